//! What can go wrong talking to COS or reading the file being uploaded.

use std::fmt;
use std::path::PathBuf;

/// An error answer from COS, parsed from its XML body (reference §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The HTTP status.
    pub status: u16,
    /// COS's error code (`NoSuchUpload`, `AccessDenied`…), or `Unknown` for a bodiless
    /// answer such as a HEAD's.
    pub code: String,
    /// COS's message.
    pub message: String,
    /// `x-cos-request-id`, for a support ticket.
    pub request_id: Option<String>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "COS answered {} {}: {}",
            self.status, self.code, self.message
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

/// Why a COS call or an upload failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CosError {
    /// COS refused the request.
    #[error("{operation}: {error}")]
    Service {
        /// The operation (`UploadPart 3`, `CompleteMultipartUpload`…).
        operation: String,
        /// COS's answer.
        error: ServiceError,
    },
    /// The request did not get an answer (connection refused or reset, timeout).
    #[error("{operation}: {message}")]
    Transport {
        /// The operation.
        operation: String,
        /// What the transport said.
        message: String,
    },
    /// COS answered something that is not what the API documents.
    #[error("{operation}: unexpected answer from COS: {message}")]
    Protocol {
        /// The operation.
        operation: String,
        /// What was wrong with it.
        message: String,
    },
    /// The CRC-64 COS computed differs from the one computed from the local data: the
    /// bytes were altered on the way, and nothing was completed.
    #[error("{what}: CRC-64 mismatch: COS has {remote}, the local file gives {local}")]
    CrcMismatch {
        /// Which part, or the whole object.
        what: String,
        /// COS's `x-cos-hash-crc64ecma`.
        remote: String,
        /// The local CRC-64, decimal.
        local: u64,
    },
    /// Reading the local file failed (or it changed while being uploaded).
    #[error("reading {}: {message}", path.display())]
    LocalFile {
        /// The file.
        path: PathBuf,
        /// What happened.
        message: String,
    },
    /// The checkpoint directory could not be used.
    #[error("checkpoint {}: {message}", path.display())]
    Checkpoint {
        /// The checkpoint file or directory.
        path: PathBuf,
        /// What happened.
        message: String,
    },
    /// The options or target cannot work; nothing was sent.
    #[error("invalid {parameter}: expected {expected}, got {given}")]
    Invalid {
        /// The parameter.
        parameter: &'static str,
        /// What is accepted.
        expected: String,
        /// What was given.
        given: String,
    },
    /// Fresh credentials could not be obtained.
    #[error("cannot get COS credentials: {0}")]
    Credentials(String),
}

impl CosError {
    /// The COS error code, if COS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CosError::Service { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// Whether a new attempt of the same request could succeed: throttling, 5xx and
    /// transport failures. Uploads are idempotent (a part sent twice overwrites itself),
    /// so a request that may have been processed is retried too.
    pub(crate) fn retryable(&self) -> bool {
        match self {
            CosError::Service { error, .. } => {
                error.status >= 500 || matches!(error.code.as_str(), "SlowDown" | "RequestTimeout")
            }
            CosError::Transport { .. } => true,
            _ => false,
        }
    }

    /// Whether the answer says the temporary key is no longer good, so fresh credentials
    /// should be fetched before trying again.
    pub(crate) fn credentials_expired(&self) -> bool {
        match self {
            CosError::Service { error, .. } => {
                error.code == "ExpiredToken"
                    || error.code == "RequestTimeTooSkewed"
                    || (error.code == "AccessDenied" && error.message.contains("expired"))
            }
            _ => false,
        }
    }
}
