//! Serving the CAR API instead of calling it: the generated [`CarService`] trait has one
//! async method per action, taking the typed request and returning the typed response or
//! a [`ServiceError`]; [`dispatch`] routes an action name and its JSON parameters to the
//! right method. Local emulators and test doubles implement the trait; a spec change adds
//! a method whose default answer is `UnsupportedOperation` until someone implements it.
//!
//! Authentication, the envelope (`{"Response": {...}}`), request IDs and rate limits are
//! the server's business, not this module's: `dispatch` sees only the parameters.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::ErrorCode;

pub use crate::generated_service::{dispatch, CarService};

/// An API error as a service answers it: a code and a message (Tencent's
/// `{"Error": {"Code", "Message"}}`).
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceError {
    code: ErrorCode,
    message: String,
}

impl ServiceError {
    /// An error with `code` (an [`ErrorCode`] or its wire string) and a message for people.
    pub fn new(code: impl Into<ErrorCode>, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The answer for an action the service does not implement.
    pub fn unsupported(action: &str) -> ServiceError {
        ServiceError::new(
            ErrorCode::UnsupportedOperation,
            format!("{action} is not supported by this server"),
        )
    }

    /// The answer for an action name the API does not have.
    pub fn invalid_action(action: &str) -> ServiceError {
        ServiceError::new(
            ErrorCode::InvalidAction,
            format!("the action `{action}` does not exist"),
        )
    }

    /// The error code.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceError({}: {})", self.code, self.message)
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}

/// Decodes an action's parameters; used by the generated [`dispatch`].
#[doc(hidden)]
pub fn decode_request<T: DeserializeOwned>(action: &str, params: Value) -> Result<T, ServiceError> {
    serde_json::from_value(params).map_err(|e| {
        ServiceError::new(
            ErrorCode::InvalidParameter,
            format!("the parameters of {action} do not fit its definition: {e}"),
        )
    })
}

/// Encodes a response's members; used by the generated [`dispatch`]. The request ID is
/// the server's to set, so it is left out here.
#[doc(hidden)]
pub fn encode_response<T: Serialize>(action: &str, response: &T) -> Result<Value, ServiceError> {
    let mut value = serde_json::to_value(response).map_err(|e| {
        ServiceError::new(
            ErrorCode::InternalError,
            format!("the response of {action} could not be encoded: {e}"),
        )
    })?;
    if let Some(members) = value.as_object_mut() {
        members.remove("RequestId");
    }
    Ok(value)
}
