//! Keeps secrets out of `Debug` output.

use std::fmt;

/// Stands in for a sensitive value in `Debug` output; says whether a value was there.
pub struct Redacted(Shown);

/// What `Debug` may tell about a sensitive value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// A value is there: it is hidden.
    Hidden,
    /// An unset `Option`.
    Unset,
    /// An empty text: a promised member the server left out. Nothing to hide.
    Empty,
}

impl Redacted {
    /// Wraps any value; only whether an `Option` is set, or a text is empty, shows
    /// through.
    pub fn of<T: Presence + ?Sized>(value: &T) -> Redacted {
        Redacted(if !value.is_present() {
            Shown::Unset
        } else if value.is_empty_text() {
            Shown::Empty
        } else {
            Shown::Hidden
        })
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Shown::Hidden => "\"** redacted **\"",
            Shown::Unset => "None",
            Shown::Empty => "\"\"",
        })
    }
}

/// Whether a possibly-optional value holds something.
pub trait Presence {
    /// True when there is a value to hide.
    fn is_present(&self) -> bool;

    /// True for a text with nothing in it: shown as `""`, since there is nothing to hide
    /// and a member the server left out must look different from a hidden one.
    fn is_empty_text(&self) -> bool {
        false
    }
}

impl<T> Presence for Option<T> {
    fn is_present(&self) -> bool {
        self.is_some()
    }
}

impl Presence for String {
    fn is_present(&self) -> bool {
        true
    }
    fn is_empty_text(&self) -> bool {
        self.is_empty()
    }
}

impl Presence for str {
    fn is_present(&self) -> bool {
        true
    }
    fn is_empty_text(&self) -> bool {
        self.is_empty()
    }
}

/// Wire names of every member the spec marks sensitive, in any action or type.
fn sensitive_names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let actions = crate::metadata::ACTIONS
            .iter()
            .flat_map(|a| a.input.iter().chain(a.output.iter()));
        let types = crate::metadata::TYPES.iter().flat_map(|t| t.members.iter());
        let mut names: Vec<&'static str> = actions
            .chain(types)
            .filter(|m| m.sensitive)
            .map(|m| m.wire_name)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    })
}

const MASK: &str = "** redacted **";

/// Masks the values of sensitive members in (possibly truncated or malformed) JSON
/// text, so a snippet of a response can be shown. Keys written with escapes are
/// treated as sensitive, since they could spell a sensitive name.
pub(crate) fn mask_sensitive_json(text: &str) -> String {
    let masked = mask_by_scan(text);
    if leaves_secrets(&masked) {
        WITHHELD.to_string()
    } else {
        masked
    }
}

/// What a snippet becomes when masking cannot be trusted.
const WITHHELD: &str = "(text withheld: it may hold secret members)";

/// A second look that does not depend on quote parity: malformed text (a stray quote)
/// can put the scanner out of step, so a sensitive name still followed by a value other
/// than the mask, or a `\u` escape that could spell such a name, withholds the text.
fn leaves_secrets(masked: &str) -> bool {
    if masked.contains("\\u") {
        return true;
    }
    let mask = format!("\"{MASK}\"");
    sensitive_names().iter().any(|name| {
        masked.match_indices(name).any(|(at, _)| {
            let rest = masked[at + name.len()..]
                .trim_start_matches(|c: char| c == '"' || c.is_ascii_whitespace());
            rest.strip_prefix(':').is_some_and(|value| {
                let value = value.trim_start();
                !(value.is_empty() || value.starts_with(&mask))
            })
        })
    })
}

fn mask_by_scan(text: &str) -> String {
    let names = sensitive_names();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let (end, escaped) = string_end(bytes, i + 1);
        let key = &text[i + 1..end.min(bytes.len())];
        let mut j = end + 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let is_key = j < bytes.len() && bytes[j] == b':';
        if !(is_key && (escaped || names.contains(&key))) {
            i = end + 1;
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let value_end = if j < bytes.len() && bytes[j] == b'"' {
            (string_end(bytes, j + 1).0 + 1).min(bytes.len())
        } else {
            bytes[j..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']'))
                .map_or(bytes.len(), |p| j + p)
        };
        if value_end > j {
            out.push_str(&text[copied..j]);
            out.push('"');
            out.push_str(MASK);
            out.push('"');
            copied = value_end;
        }
        i = value_end.max(j);
    }
    out.push_str(&text[copied..]);
    out
}

/// The index of the closing quote of a JSON string whose content starts at `start`
/// (`bytes.len()` when it is cut off), and whether it holds escapes.
fn string_end(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut escaped = false;
    let mut k = start;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => {
                escaped = true;
                k += 2;
            }
            b'"' => return (k, escaped),
            _ => k += 1,
        }
    }
    (bytes.len(), escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_are_masked_also_when_cut_off() {
        assert!(sensitive_names().contains(&"SecretKey"));
        assert!(sensitive_names().contains(&"SessionToken"));
        let whole = r#"{"Response":{"SecretID":"AKIDx","SecretKey" : "k3y", "SessionToken":"tok","RequestId":"r"}}"#;
        assert_eq!(
            mask_sensitive_json(whole),
            r#"{"Response":{"SecretID":"AKIDx","SecretKey" : "** redacted **", "SessionToken":"** redacted **","RequestId":"r"}}"#
        );
        let cut = r#"{"Response":{"SecretKey":"k3y-partial"#;
        assert_eq!(
            mask_sensitive_json(cut),
            r#"{"Response":{"SecretKey":"** redacted **""#
        );
        let odd = r#"{"Secret\u004bey":"k3y","SessionToken":12345}"#;
        let masked = mask_sensitive_json(odd);
        assert!(
            !masked.contains("k3y") && !masked.contains("12345"),
            "{masked}"
        );
        let escaped_value = r#"{"SecretKey":"a\"b k3y","X":1}"#;
        assert_eq!(
            mask_sensitive_json(escaped_value),
            r#"{"SecretKey":"** redacted **","X":1}"#
        );
    }

    #[test]
    fn other_members_and_values_are_left_exactly_as_they_were() {
        // Strings that are values, and keys that are not sensitive, stay; only the values
        // of sensitive keys change, wherever they stand among the others.
        let body = r#"{"A":"SecretKey","SecretKey":"s1","B":"y","SessionToken":"s2","C":["SecretKey"],"D":{"SecretKey":7}}"#;
        assert_eq!(
            mask_sensitive_json(body),
            r#"{"A":"SecretKey","SecretKey":"** redacted **","B":"y","SessionToken":"** redacted **","C":["SecretKey"],"D":{"SecretKey":"** redacted **"}}"#
        );
        let plain = r#"{"Path":"p/q","CosBucket":"b","Items":["x","y"],"N":1}"#;
        assert_eq!(mask_sensitive_json(plain), plain);
        assert_eq!(mask_sensitive_json(r#""SecretKey""#), r#""SecretKey""#);
        assert_eq!(mask_sensitive_json(""), "");
    }

    #[test]
    fn text_the_scanner_misreads_is_withheld() {
        // A stray quote puts the scanner out of step, so it would not see SecretKey as a key.
        let stray = r#"{"Response":{"X":"a"b","SecretKey":"leak"}}"#;
        assert_eq!(mask_sensitive_json(stray), WITHHELD);
        // An escape could spell a sensitive name.
        let escaped = r#"{"Secret\u004bey":"k3y"}"#;
        assert_eq!(mask_sensitive_json(escaped), WITHHELD);
        // A key run into the string before it.
        assert_eq!(mask_sensitive_json(r#"{"A"SecretKey":"v"}"#), WITHHELD);
        // Delimiters inside a secret string belong to the secret.
        assert_eq!(
            mask_sensitive_json(r#"{"SecretKey":"k,3}y]","X":1}"#),
            r#"{"SecretKey":"** redacted **","X":1}"#
        );
        // A sensitive name that is a value, not a key, is no reason to withhold.
        let value = r#"{"Name":"SecretKey","List":["SessionToken"]}"#;
        assert_eq!(mask_sensitive_json(value), value);
    }

    #[test]
    fn text_cut_off_around_a_sensitive_key_is_safe() {
        // Cut right after the key, after spaces, after the colon and inside the value:
        // never an out-of-range read, never the secret.
        for (cut, want) in [
            (r#"{"SecretKey""#, r#"{"SecretKey""#),
            (r#"{"SecretKey"  "#, r#"{"SecretKey"  "#),
            (r#"{"SecretKey":"#, r#"{"SecretKey":"#),
            (r#"{"SecretKey":  "#, r#"{"SecretKey":  "#),
            (r#"{"SecretKey":12"#, r#"{"SecretKey":"** redacted **""#),
            (r#"{"SecretKey":"#, r#"{"SecretKey":"#),
            (r#"{"SecretKey":"s"#, r#"{"SecretKey":"** redacted **""#),
            (r#"{"SecretKey":"s","#, r#"{"SecretKey":"** redacted **","#),
            (r#"{"Secret"#, r#"{"Secret"#),
        ] {
            assert_eq!(mask_sensitive_json(cut), want, "{cut}");
        }
    }
}
