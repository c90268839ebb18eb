//! Parameter checks from the spec's metadata, made before an action runs, with the
//! service's error codes: `MissingParameter`, `UnknownParameter`, `InvalidParameter`
//! (a JSON type the member does not have) and `InvalidParameterValue` (a string outside
//! the member's documented values). The first problem found is the answer, as the
//! service reports one error per request.

use car_api::meta::{self, ActionMeta, MemberMeta, Shape};
use car_api::params::{self, ProblemKind};
use car_api::service::ServiceError;
use serde_json::Value;

/// Checks `body` as the parameters of `action`.
pub fn check(action: &ActionMeta, body: &Value) -> Result<(), ServiceError> {
    if let Some(problem) = params::check(action, body).into_iter().next() {
        let code = match problem.kind {
            ProblemKind::Missing => "MissingParameter",
            ProblemKind::Unknown { .. } => "UnknownParameter",
            ProblemKind::WrongType { .. } | ProblemKind::NotAnObject { .. } => "InvalidParameter",
        };
        return Err(ServiceError::new(code, problem.to_string()));
    }
    check_enums(action.input, body, "")
}

fn check_enums(members: &[MemberMeta], value: &Value, prefix: &str) -> Result<(), ServiceError> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    for m in members {
        if let Some(v) = map.get(m.wire_name) {
            let path = if prefix.is_empty() {
                m.wire_name.to_owned()
            } else {
                format!("{prefix}.{}", m.wire_name)
            };
            check_value(m, &m.shape, v, &path)?;
        }
    }
    Ok(())
}

fn check_value(
    member: &MemberMeta,
    shape: &Shape,
    v: &Value,
    path: &str,
) -> Result<(), ServiceError> {
    match (shape, v) {
        (Shape::String, Value::String(s)) => {
            let Some(values) = member.enum_name.and_then(meta::enum_meta) else {
                return Ok(());
            };
            if values.values.iter().any(|e| e.value == s) {
                return Ok(());
            }
            let allowed: Vec<&str> = values.values.iter().map(|e| e.value).collect();
            Err(ServiceError::new(
                "InvalidParameterValue",
                format!(
                    "parameter {path}: expected one of {}, got {}",
                    allowed.join(", "),
                    params::describe_value(v)
                ),
            ))
        }
        (Shape::List(inner), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check_value(member, inner, item, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Shape::Object(name), Value::Object(_)) => match meta::type_meta(name) {
            Some(t) => check_enums(t.members, v, path),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}
