//! Request bodies streamed to a temporary file in the objects directory, hashed (MD5 and
//! CRC-64) on the way, synced, then renamed: never held in memory, and never visible under
//! a final name until complete.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, HeaderMap};
use base64::Engine as _;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;

use super::errors::{Code, CosError};
use crate::objects;

/// The largest simple upload or part COS takes (5 GiB, as the SDK counts it).
pub const MAX_BODY: u64 = 5 * 1024 * 1024 * 1024;

/// Writes are buffered so the file system sees large writes, not every network frame.
const WRITE_BUFFER: usize = 256 * 1024;

/// A file in the objects directory that is removed when dropped, unless committed.
pub struct TempBlob {
    path: PathBuf,
    committed: bool,
}

impl TempBlob {
    /// A fresh temporary name in `dir`.
    pub fn new(dir: &Path) -> TempBlob {
        TempBlob {
            path: dir.join(format!(".tmp-{}", objects::new_blob_name())),
            committed: false,
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the (synced) file to its final blob name; returns the name.
    pub fn commit(mut self, dir: &Path) -> Result<String, CosError> {
        let name = objects::commit_blob(dir, &self.path)
            .map_err(|e| CosError::internal("cannot store the object body", e))?;
        self.committed = true;
        Ok(name)
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What a request's headers promise about its body.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    /// The decoded `Content-MD5`, when sent.
    pub content_md5: Option<[u8; 16]>,
}

/// Checks `Content-Length` (or chunked encoding) and `Content-MD5` before any byte is read.
pub fn body_rules(headers: &HeaderMap) -> Result<BodyRules, CosError> {
    match headers.get(header::CONTENT_LENGTH) {
        Some(value) => {
            let length = value
                .to_str()
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| {
                    CosError::new(
                        Code::InvalidArgument,
                        "Content-Length must be a whole number of bytes",
                    )
                })?;
            if length > MAX_BODY {
                return Err(too_large(length));
            }
        }
        None if headers.contains_key(header::TRANSFER_ENCODING) => {}
        None => {
            return Err(CosError::new(
                Code::MissingContentLength,
                "You must provide the Content-Length HTTP header",
            ))
        }
    }
    let content_md5 = match headers.get("content-md5") {
        None => None,
        Some(value) => Some(decode_md5(value.as_bytes()).ok_or_else(|| {
            CosError::new(
                Code::InvalidDigest,
                "The Content-MD5 you specified is not base64 of a 16-byte MD5 digest",
            )
        })?),
    };
    Ok(BodyRules { content_md5 })
}

fn decode_md5(value: &[u8]) -> Option<[u8; 16]> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    bytes.try_into().ok()
}

fn too_large(size: u64) -> CosError {
    CosError::new(
        Code::EntityTooLarge,
        format!("Your proposed upload of {size} bytes exceeds the maximum allowed object size of {MAX_BODY} bytes"),
    )
}

/// A body received in full.
pub struct Received {
    /// The synced temporary file holding it.
    pub blob: TempBlob,
    /// Its length.
    pub size: u64,
    /// Its MD5.
    pub md5: [u8; 16],
    /// Its CRC-64/XZ.
    pub crc64: u64,
}

impl Received {
    /// `"<lowercase hex md5>"`, the ETag of a simple upload or a part.
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode(self.md5))
    }
}

/// Streams `body` into a temporary file in `dir`, checking `rules` at the end.
pub async fn receive(body: Body, dir: &Path, rules: BodyRules) -> Result<Received, CosError> {
    let blob = TempBlob::new(dir);
    let file = tokio::fs::File::create(blob.path())
        .await
        .map_err(|e| CosError::internal("cannot create a temporary file", e))?;
    let mut out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut md5 = Md5::new();
    let mut crc = car_api::cos_crc::Crc64::new();
    let mut size: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            CosError::new(
                Code::IncompleteBody,
                format!("The request body ended before it was complete: {e}"),
            )
        })?;
        size += chunk.len() as u64;
        if size > MAX_BODY {
            return Err(too_large(size));
        }
        md5.update(&chunk);
        crc.update(&chunk);
        out.write_all(&chunk)
            .await
            .map_err(|e| CosError::internal("cannot write the object body", e))?;
    }
    out.flush()
        .await
        .map_err(|e| CosError::internal("cannot write the object body", e))?;
    out.into_inner()
        .sync_all()
        .await
        .map_err(|e| CosError::internal("cannot sync the object body", e))?;
    let md5: [u8; 16] = md5.finalize().into();
    if let Some(expected) = rules.content_md5 {
        if expected != md5 {
            return Err(CosError::new(
                Code::BadDigest,
                "The Content-MD5 you specified did not match what we received",
            ));
        }
    }
    Ok(Received {
        blob,
        size,
        md5,
        crc64: crc.value(),
    })
}
