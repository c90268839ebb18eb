//! Text from the server (error messages, cell values, member names) must not drive the
//! terminal: an `ESC]0;…` could retitle the window, an `ESC[2J` clear the screen, a
//! carriage return hide what came before. Control characters are shown as escapes.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control character (Unicode `Cc`: C0, DEL and C1) written as a visible
/// escape: `\n`, `\r`, `\t`, else `\xNN`. Everything else, non-ASCII included, is kept.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A JSON string literal. serde_json escapes C0 controls; DEL and C1 (`\u{9b}` is a CSI
/// on some terminals) are escaped here too, which any JSON reader decodes to the same text.
pub fn json_string(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_owned()).to_string();
    if !quoted.chars().any(char::is_control) {
        return quoted;
    }
    let mut out = String::with_capacity(quoted.len() + 8);
    for c in quoted.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible() {
        assert_eq!(
            for_terminal("a\u{1b}]0;owned\u{7}b\u{1b}[2J"),
            "a\\x1b]0;owned\\x07b\\x1b[2J"
        );
        assert_eq!(
            for_terminal("x\r\ny\tz\u{7f}\u{9b}"),
            "x\\r\\ny\\tz\\x7f\\x9b"
        );
        assert!(matches!(for_terminal("plain é 中"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_strings_carry_no_raw_controls() {
        let s = json_string("a\u{1b}[2J\u{9b}\u{7f}é");
        assert_eq!(s, "\"a\\u001b[2J\\u009b\\u007fé\"");
        let back: String = serde_json::from_str(&s).expect("valid JSON");
        assert_eq!(back, "a\u{1b}[2J\u{9b}\u{7f}é");
    }
}
