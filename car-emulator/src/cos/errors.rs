//! COS's error answers: an XML `<Error>` body (none for HEAD) with the status COS's
//! *Error Codes* table pairs with each code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::xml;
use crate::store::StoreError;

/// The error codes the emulator answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// No or unusable credentials, a key outside the grant, an expired signature.
    AccessDenied,
    /// The recomputed signature differs.
    SignatureDoesNotMatch,
    /// The SecretId was never issued.
    InvalidAccessKeyId,
    /// The signature's window starts in the future.
    RequestTimeTooSkewed,
    /// The temporary key has expired.
    ExpiredToken,
    /// GET on a missing object.
    NoSuchKey,
    /// The `Host` names another bucket.
    NoSuchBucket,
    /// The upload ID is unknown, finished or aborted.
    NoSuchUpload,
    /// Complete: a listed part is missing, has another ETag, or leaves a gap.
    InvalidPart,
    /// Complete: part numbers not ascending.
    InvalidPartOrder,
    /// Complete: a part other than the last is under 1 MiB.
    EntityTooSmall,
    /// A body over 5 GiB.
    EntityTooLarge,
    /// `Content-MD5` differs from the body's MD5.
    BadDigest,
    /// `Content-MD5` is not base64 of 16 bytes.
    InvalidDigest,
    /// Complete's body is not a `CompleteMultipartUpload` document.
    MalformedXML,
    /// A parameter value is out of range or not a number.
    InvalidArgument,
    /// The range starts past the end of the object.
    InvalidRange,
    /// A PUT with neither `Content-Length` nor chunked encoding.
    MissingContentLength,
    /// The path is not percent-encoded UTF-8.
    InvalidURI,
    /// The body ended before `Content-Length` bytes arrived.
    IncompleteBody,
    /// The emulator failed (its store or file system).
    InternalError,
    /// An operation this emulator does not offer.
    NotImplemented,
}

impl Code {
    /// The code as COS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::AccessDenied => "AccessDenied",
            Code::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Code::InvalidAccessKeyId => "InvalidAccessKeyId",
            Code::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            Code::ExpiredToken => "ExpiredToken",
            Code::NoSuchKey => "NoSuchKey",
            Code::NoSuchBucket => "NoSuchBucket",
            Code::NoSuchUpload => "NoSuchUpload",
            Code::InvalidPart => "InvalidPart",
            Code::InvalidPartOrder => "InvalidPartOrder",
            Code::EntityTooSmall => "EntityTooSmall",
            Code::EntityTooLarge => "EntityTooLarge",
            Code::BadDigest => "BadDigest",
            Code::InvalidDigest => "InvalidDigest",
            Code::MalformedXML => "MalformedXML",
            Code::InvalidArgument => "InvalidArgument",
            Code::InvalidRange => "InvalidRange",
            Code::MissingContentLength => "MissingContentLength",
            Code::InvalidURI => "InvalidURI",
            Code::IncompleteBody => "IncompleteBody",
            Code::InternalError => "InternalError",
            Code::NotImplemented => "NotImplemented",
        }
    }

    /// The HTTP status COS pairs with the code.
    pub fn status(self) -> StatusCode {
        match self {
            Code::AccessDenied
            | Code::SignatureDoesNotMatch
            | Code::InvalidAccessKeyId
            | Code::RequestTimeTooSkewed => StatusCode::FORBIDDEN,
            Code::NoSuchKey | Code::NoSuchBucket | Code::NoSuchUpload => StatusCode::NOT_FOUND,
            Code::InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE,
            Code::MissingContentLength => StatusCode::LENGTH_REQUIRED,
            Code::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Code::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            Code::ExpiredToken
            | Code::InvalidPart
            | Code::InvalidPartOrder
            | Code::EntityTooSmall
            | Code::EntityTooLarge
            | Code::BadDigest
            | Code::InvalidDigest
            | Code::MalformedXML
            | Code::InvalidArgument
            | Code::InvalidURI
            | Code::IncompleteBody => StatusCode::BAD_REQUEST,
        }
    }
}

/// An error answer on its way out; the message never holds a secret.
#[derive(Debug)]
pub struct CosError {
    /// The code.
    pub code: Code,
    /// A human explanation.
    pub message: String,
}

impl CosError {
    /// `code` with `message`.
    pub fn new(code: Code, message: impl Into<String>) -> CosError {
        CosError {
            code,
            message: message.into(),
        }
    }

    /// An emulator fault, logged with its cause and answered as `InternalError`.
    pub fn internal(what: &str, cause: impl std::fmt::Display) -> CosError {
        tracing::error!("cos: {what}: {cause}");
        CosError::new(
            Code::InternalError,
            format!("{what}; see the emulator's log"),
        )
    }

    /// The response: `head` answers carry no body, as COS's never do.
    pub fn into_response(self, head: bool, resource: &str, request_id: &str) -> Response {
        let status = self.code.status();
        if head {
            return status.into_response();
        }
        let body = xml::error_document(self.code.as_str(), &self.message, resource, request_id);
        (status, [("Content-Type", "application/xml")], body).into_response()
    }
}

impl From<StoreError> for CosError {
    fn from(e: StoreError) -> CosError {
        CosError::internal("the emulator's store failed", e)
    }
}

impl From<rusqlite::Error> for CosError {
    fn from(e: rusqlite::Error) -> CosError {
        CosError::internal("the emulator's database failed", e)
    }
}
