//! Comparing a decoded response with Tencent's published example: members upstream
//! promises but an example leaves out come back filled with their default.

use serde_json::Value;

fn is_default(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        Value::Null => false,
    }
}

/// Members upstream promises but an example leaves out come back filled with their
/// default; drops exactly those (recursively) so the rest must match the example.
pub fn drop_filled_defaults(got: &mut Value, want: &Value) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            g.retain(|k, v| w.contains_key(k) || !is_default(v));
            for (k, v) in g.iter_mut() {
                if let Some(wv) = w.get(k) {
                    drop_filled_defaults(v, wv);
                }
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            for (gv, wv) in g.iter_mut().zip(w) {
                drop_filled_defaults(gv, wv);
            }
        }
        _ => {}
    }
}
