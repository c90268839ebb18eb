//! `--filter` and `--waiter` expressions: JMESPath, compiled before anything is sent.
//!
//! The jmespath crate parses, evaluates and drops expressions recursively, so a deeply
//! nested one overflows the stack and aborts the process. The text is measured first,
//! and anything past these bounds is refused with an error naming the option.

use serde_json::Value;

/// How deep `(`, `[` and `{` may nest. Real filters rarely go past three or four.
pub const MAX_NESTING: usize = 64;

/// How many operators (`.`, `|`, `&`, `!`, comparisons, brackets) an expression may hold.
/// Chains such as `a.b.c…` nest in the parsed tree without nesting in the text; this
/// bounds them. The crate has been seen to survive ten times this in a debug build.
pub const MAX_OPERATORS: usize = 512;

/// A compiled `--filter` (or `--waiter` `expr`) expression.
pub struct Filter(jmespath::Expression<'static>);

impl Filter {
    /// Compiles `expr`; errors name `option` (`--filter`, `--waiter expr`).
    pub fn compile(expr: &str, option: &str) -> Result<Filter, String> {
        check_size(expr).map_err(|why| format!("{option}: {why}"))?;
        jmespath::compile(expr).map(Filter).map_err(|e| {
            format!(
                "{option}: invalid JMESPath expression: {}",
                one_line(&e.to_string())
            )
        })
    }

    pub fn search(&self, v: &Value) -> Result<Value, String> {
        let found = self
            .0
            .search(v)
            .map_err(|e| format!("--filter: {}", one_line(&e.to_string())))?;
        serde_json::to_value(&*found).map_err(|e| format!("--filter: {e}"))
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Refuses expressions that nest deeper than [`MAX_NESTING`] or hold more than
/// [`MAX_OPERATORS`] operators. Quoted identifiers, raw strings and JSON literals are
/// skipped the way the crate's lexer skips them (a backslash escapes the next character);
/// JSON literals are parsed by serde_json, which has its own depth limit.
fn check_size(expr: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut operators = 0usize;
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                while let Some(inner) = chars.next() {
                    if inner == c {
                        break;
                    }
                    if inner == '\\' {
                        chars.next();
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                operators += 1;
                if depth > MAX_NESTING {
                    return Err(format!(
                        "the expression nests more than {MAX_NESTING} levels deep"
                    ));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '.' | '|' | '&' | '!' | '<' | '>' | '=' => operators += 1,
            _ => {}
        }
        if operators > MAX_OPERATORS {
            return Err(format!(
                "the expression has more than {MAX_OPERATORS} operators; split it up"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nesting_is_bounded_before_parsing() {
        let ok = format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(Filter::compile(&ok, "--filter").is_ok());
        let deep = format!(
            "{}a{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        let err = Filter::compile(&deep, "--filter").err().unwrap();
        assert_eq!(
            err,
            "--filter: the expression nests more than 64 levels deep"
        );
        // Each kind of bracket counts, mixed too.
        let mixed = "[{a: (".repeat(30);
        assert!(Filter::compile(&mixed, "--waiter expr")
            .err()
            .unwrap()
            .starts_with("--waiter expr: the expression nests"));
    }

    #[test]
    fn chains_and_prefix_operators_are_bounded() {
        let not = format!("{}a", "!".repeat(MAX_OPERATORS + 1));
        assert!(Filter::compile(&not, "--filter")
            .err()
            .unwrap()
            .contains("more than 512 operators"));
        let chain = format!("a{}", ".b".repeat(MAX_OPERATORS + 1));
        assert!(Filter::compile(&chain, "--filter").is_err());
        let chain = format!("a{}", ".b".repeat(100));
        let f = Filter::compile(&chain, "--filter").ok().unwrap();
        assert_eq!(f.search(&json!({"a": 1})).ok(), Some(Value::Null));
    }

    #[test]
    fn quoted_text_is_not_counted() {
        for quoted in [
            format!("'{}'", "(".repeat(1000)),
            format!("\"{}\"", "[".repeat(1000)),
            format!("`\"{}\"`", "{".repeat(1000)),
            format!("'\\'{}'", "!".repeat(1000)),
        ] {
            assert!(Filter::compile(&quoted, "--filter").is_ok(), "{quoted}");
        }
        let f = Filter::compile("Name == 'a(b'", "--filter").ok().unwrap();
        assert_eq!(f.search(&json!({"Name": "a(b"})).ok(), Some(json!(true)));
    }
}
