//! What an upload reports while it runs, for a progress bar or NDJSON on stderr.

use std::sync::Arc;

use serde::Serialize;

/// One step of an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProgressEvent {
    /// The transfer begins; `reused_bytes` are already in COS and verified.
    Started {
        /// The file's size.
        size: u64,
        /// Parts in all (1 for a simple PUT).
        parts: u32,
        /// Every part's size but the last's.
        part_size: u64,
        /// The multipart upload, if one is used.
        upload_id: Option<String>,
        /// Parts found in COS, checked against the local data and kept.
        reused_parts: u32,
        /// Their bytes.
        reused_bytes: u64,
    },
    /// More bytes were read from disk and handed to the connection.
    Bytes {
        /// How many, since the last event.
        sent: u64,
    },
    /// A part (or the whole simple PUT) is in COS with a matching CRC-64.
    PartDone {
        /// Its number.
        number: u32,
        /// Its size.
        size: u64,
    },
    /// A request failed in a way worth another attempt.
    Retrying {
        /// The operation.
        operation: String,
        /// The attempt that failed.
        attempt: u32,
        /// Why.
        error: String,
    },
    /// The temporary keys neared expiry and fresh ones were fetched.
    CredentialsRenewed,
}

/// Called with every event, from whichever task produced it.
pub type Progress = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

pub(crate) fn emit(progress: &Option<Progress>, event: ProgressEvent) {
    if let Some(p) = progress {
        p(&event);
    }
}
