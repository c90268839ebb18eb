//! Object metadata shared by the COS side (which writes objects) and the CAR side (which
//! reads an uploaded package when it processes a version). Bodies are files under
//! [`Store::objects_dir`]; the row is written only after the file is complete and renamed,
//! so a row always names a whole file.

use std::path::PathBuf;

use rusqlite::{params, OptionalExtension};

use crate::store::{Store, StoreError};

/// The objects table.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cos_objects (
    bucket      TEXT NOT NULL,
    key         TEXT NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    crc64       TEXT NOT NULL,
    blob        TEXT NOT NULL,
    modified_at INTEGER NOT NULL,
    PRIMARY KEY (bucket, key)
);";

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
    /// The ETag, with its quotes.
    pub etag: String,
    /// CRC-64/XZ of the whole object, decimal, as `x-cos-hash-crc64ecma` carries it.
    pub crc64: String,
    /// The file holding the body.
    pub path: PathBuf,
    /// Last modification (Unix seconds).
    pub modified_at: i64,
}

/// The object `key` (decoded, no leading `/`) in `bucket`, if it exists.
pub fn lookup(store: &Store, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StoreError> {
    let dir = store.objects_dir();
    store.read(|c| {
        c.query_row(
            "SELECT size, etag, crc64, blob, modified_at FROM cos_objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key],
            |r| {
                let size: i64 = r.get(0)?;
                let blob: String = r.get(3)?;
                Ok(ObjectMeta {
                    size: u64::try_from(size).unwrap_or(0),
                    etag: r.get(1)?,
                    crc64: r.get(2)?,
                    path: dir.join(blob),
                    modified_at: r.get(4)?,
                })
            },
        )
        .optional()
    })
}
