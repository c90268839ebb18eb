//! Request bodies streamed to a temporary file in the objects directory, hashed (MD5 and
//! CRC-64) on the way, synced, then renamed: never held in memory, and never visible under
//! a final name until complete.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, HeaderMap};
use base64::Engine as _;
use bytes::Bytes;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use tokio::sync::mpsc;

use super::errors::{Code, CosError};
use crate::objects;

/// The largest simple upload or part COS takes (5 GiB, as the SDK counts it).
pub const MAX_BODY: u64 = 5 * 1024 * 1024 * 1024;

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

/// Network chunks queued for each of a body's threads: enough to keep both busy. Hyper
/// hands over at most about 400 KiB per chunk, so one body holds at most a few MiB.
const QUEUE: usize = 4;

/// Writes smaller than this are gathered first, so the file system sees large writes.
const WRITE_BUFFER: usize = 256 * 1024;

/// What the writer saw.
struct Written {
    file: std::fs::File,
    size: u64,
    crc64: u64,
}

/// Streams `body` into a temporary file in `dir`, checking `rules` at the end.
///
/// The connection's task only hands chunks (shared, not copied) to two blocking threads:
/// one hashes MD5, the other computes the CRC-64 and writes. MD5 costs more than all the
/// rest together, so this way a single stream keeps both cores busy.
pub async fn receive(body: Body, dir: &Path, rules: BodyRules) -> Result<Received, CosError> {
    let blob = TempBlob::new(dir);
    let (to_hasher, for_hasher) = mpsc::channel::<Bytes>(QUEUE);
    let (to_writer, for_writer) = mpsc::channel::<Bytes>(QUEUE);
    let path = blob.path().to_path_buf();
    let hasher = tokio::task::spawn_blocking(move || hash_chunks(for_hasher));
    let writer = tokio::task::spawn_blocking(move || write_chunks(&path, for_writer));
    let pumped = pump(body, to_hasher, to_writer).await;
    let lost = |e| CosError::internal("a body thread failed", e);
    let md5 = hasher.await.map_err(lost)?;
    let written = writer.await.map_err(lost)?;
    // A broken request explains a writer that stopped early; otherwise the writer's own
    // failure is the news.
    pumped?;
    let written = written.map_err(|e| CosError::internal("cannot write the object body", e))?;
    let file = written.file;
    tokio::task::spawn_blocking(move || file.sync_all())
        .await
        .map_err(lost)?
        .map_err(|e| CosError::internal("cannot sync the object body", e))?;
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
        size: written.size,
        md5,
        crc64: written.crc64,
    })
}

/// Hands every chunk of the body to the hasher and the writer; stops early when the
/// writer has gone (its error is reported instead).
async fn pump(
    body: Body,
    hasher: mpsc::Sender<Bytes>,
    writer: mpsc::Sender<Bytes>,
) -> Result<(), CosError> {
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
        if hasher.send(chunk.clone()).await.is_err() || writer.send(chunk).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The hashing thread: the MD5 of every chunk until the queue closes.
fn hash_chunks(mut chunks: mpsc::Receiver<Bytes>) -> [u8; 16] {
    let mut md5 = Md5::new();
    while let Some(chunk) = chunks.blocking_recv() {
        md5.update(&chunk);
    }
    md5.finalize().into()
}

/// The writing thread: checksums and writes every chunk until the queue closes.
fn write_chunks(path: &Path, mut chunks: mpsc::Receiver<Bytes>) -> std::io::Result<Written> {
    let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, std::fs::File::create(path)?);
    let mut crc = car_api::cos_crc::Crc64::new();
    let mut size = 0u64;
    while let Some(chunk) = chunks.blocking_recv() {
        crc.update(&chunk);
        out.write_all(&chunk)?;
        size += chunk.len() as u64;
    }
    Ok(Written {
        file: out.into_inner().map_err(|e| e.into_error())?,
        size,
        crc64: crc.value(),
    })
}
