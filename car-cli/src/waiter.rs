//! `--waiter '{"expr": "...", "to": ..., "timeout": 180, "interval": 5}'`: repeat the
//! call until a JMESPath expression over the response equals `to`, as tccli does.

use std::time::Duration;

use serde_json::Value;

use crate::output::Filter;

pub struct Waiter {
    pub expr_text: String,
    pub expr: Filter,
    pub to: Value,
    pub timeout: Duration,
    pub interval: Duration,
}

const KEYS: [&str; 4] = ["expr", "to", "timeout", "interval"];

impl Waiter {
    /// Parses and checks the option before anything is sent.
    pub fn parse(arg: &str) -> Result<Waiter, Vec<String>> {
        let v: Value = serde_json::from_str(arg)
            .map_err(|e| vec![format!("--waiter: malformed JSON: {e}")])?;
        let Value::Object(map) = v else {
            return Err(vec![format!(
                "--waiter: expected a JSON object, got {}",
                car_api::params::describe_value(&v)
            )]);
        };
        let mut problems = Vec::new();
        for k in map.keys() {
            if !KEYS.contains(&k.as_str()) {
                let hint = car_api::params::suggest(k, KEYS)
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                problems.push(format!("--waiter: unknown key {k:?}{hint}"));
            }
        }
        let expr_text = match map.get("expr") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                problems.push(format!(
                    "--waiter: `expr` must be a string, got {}",
                    car_api::params::describe_value(other)
                ));
                None
            }
            None => {
                problems.push("--waiter: `expr` must be given".into());
                None
            }
        };
        let expr = expr_text
            .as_deref()
            .and_then(|e| match Filter::compile(e, "--waiter expr") {
                Ok(f) => Some(f),
                Err(p) => {
                    problems.push(p);
                    None
                }
            });
        let to = map.get("to").cloned();
        if to.is_none() {
            problems.push("--waiter: `to` must be given".into());
        }
        let mut seconds = |key: &str, default: f64| match map.get(key) {
            None => Some(default),
            Some(v) => match v.as_f64() {
                Some(s) if s >= 0.0 && s.is_finite() && s < 1e9 => Some(s),
                _ => {
                    problems.push(format!(
                        "--waiter: `{key}` must be a number of seconds, got {}",
                        car_api::params::describe_value(v)
                    ));
                    None
                }
            },
        };
        let timeout = seconds("timeout", 180.0);
        let interval = seconds("interval", 5.0);
        match (expr_text, expr, to, timeout, interval) {
            (Some(expr_text), Some(expr), Some(to), Some(timeout), Some(interval))
                if problems.is_empty() =>
            {
                Ok(Waiter {
                    expr_text,
                    expr,
                    to,
                    timeout: Duration::from_secs_f64(timeout),
                    interval: Duration::from_secs_f64(interval.min(timeout)),
                })
            }
            _ => Err(problems),
        }
    }

    /// True when the expression's value is `to`. A string `to` also matches a number
    /// or boolean with that spelling, since shell users quote everything.
    pub fn reached(&self, found: &Value) -> bool {
        if *found == self.to {
            return true;
        }
        match (&self.to, found) {
            (Value::String(want), Value::Number(_) | Value::Bool(_)) => {
                want.as_str() == found.to_string().as_str()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_with_defaults() {
        let w = Waiter::parse(r#"{"expr":"Status","to":"Ready"}"#)
            .ok()
            .unwrap();
        assert_eq!(w.timeout, Duration::from_secs(180));
        assert_eq!(w.interval, Duration::from_secs(5));
        assert!(w.reached(&json!("Ready")));
        let w = Waiter::parse(r#"{"expr":"Total","to":"3","timeout":1,"interval":9}"#)
            .ok()
            .unwrap();
        assert_eq!(w.interval, Duration::from_secs(1));
        assert!(w.reached(&json!(3)));
    }

    #[test]
    fn reports_every_problem() {
        let p = Waiter::parse(r#"{"exp":"a","timeout":"x"}"#).err().unwrap();
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(Waiter::parse("{").err().unwrap()[0].contains("line 1 column 1"));
        assert!(
            Waiter::parse(r#"{"expr":"a[","to":1}"#).err().unwrap()[0].contains("invalid JMESPath")
        );
    }
}
