//! Object metadata shared by the COS side (which writes objects) and the CAR side (which
//! reads an uploaded package when it processes a version). Bodies are files under
//! [`Store::objects_dir`]; the row is written only after the file is complete, synced and
//! renamed, so a row always names a whole file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::store::{Store, StoreError};

/// The objects table.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cos_objects (
    bucket       TEXT NOT NULL,
    key          TEXT NOT NULL,
    size         INTEGER NOT NULL,
    etag         TEXT NOT NULL,
    crc64        TEXT NOT NULL,
    blob         TEXT NOT NULL,
    modified_at  INTEGER NOT NULL,
    content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
    PRIMARY KEY (bucket, key)
);";

/// The content type of objects stored without one.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

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
    /// The `Content-Type` it was stored with.
    pub content_type: String,
}

/// The object `key` (decoded, no leading `/`) in `bucket`, if it exists.
pub fn lookup(store: &Store, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StoreError> {
    let dir = store.objects_dir();
    store.read(|c| {
        c.query_row(
            "SELECT size, etag, crc64, blob, modified_at, content_type FROM cos_objects WHERE bucket = ?1 AND key = ?2",
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
                    content_type: r.get(5)?,
                })
            },
        )
        .optional()
    })
}

/// A finished body (already renamed into [`Store::objects_dir`]) to record as an object.
#[derive(Debug, Clone)]
pub struct NewObject<'a> {
    /// Size in bytes.
    pub size: u64,
    /// The ETag, with its quotes.
    pub etag: &'a str,
    /// CRC-64/XZ, decimal.
    pub crc64: &'a str,
    /// The body's file name in the objects directory.
    pub blob: &'a str,
    /// When it was written (Unix seconds).
    pub modified_at: i64,
    /// Its `Content-Type`.
    pub content_type: &'a str,
}

/// Records `object` as `key` in `bucket`, replacing any earlier one; returns the blob the
/// earlier one used, for the caller to remove once the transaction has committed.
pub fn upsert(
    tx: &Transaction<'_>,
    bucket: &str,
    key: &str,
    object: &NewObject<'_>,
) -> rusqlite::Result<Option<String>> {
    let old: Option<String> = tx
        .query_row(
            "SELECT blob FROM cos_objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key],
            |r| r.get(0),
        )
        .optional()?;
    tx.execute(
        "INSERT INTO cos_objects (bucket, key, size, etag, crc64, blob, modified_at, content_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
             crc64 = excluded.crc64, blob = excluded.blob, modified_at = excluded.modified_at,
             content_type = excluded.content_type",
        params![
            bucket,
            key,
            i64::try_from(object.size).unwrap_or(i64::MAX),
            object.etag,
            object.crc64,
            object.blob,
            object.modified_at,
            object.content_type
        ],
    )?;
    Ok(old)
}

/// A fresh, unguessable file name for a body in the objects directory.
pub fn new_blob_name() -> String {
    format!("{:032x}.blob", rand::random::<u128>())
}

/// Gives the complete, synced file `tmp` (inside `dir`) its final blob name and syncs the
/// directory, so the rename survives a crash before the metadata row points at it.
pub fn commit_blob(dir: &Path, tmp: &Path) -> std::io::Result<String> {
    let name = new_blob_name();
    std::fs::rename(tmp, dir.join(&name))?;
    File::open(dir)?.sync_all()?;
    Ok(name)
}

/// Removes a blob no row names any more; a file already gone is not an error.
pub fn remove_blob(dir: &Path, name: &str) {
    let path = dir.join(name);
    if let Err(e) = std::fs::remove_file(&path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }
}

/// Stores `bytes` as `key` in `bucket` the way a PUT Object does (ETag the quoted MD5,
/// CRC-64 of the bytes), for seeding state in tests and tools.
pub fn put_bytes(
    store: &Store,
    bucket: &str,
    key: &str,
    content_type: &str,
    bytes: &[u8],
    now: i64,
) -> Result<ObjectMeta, StoreError> {
    let dir = store.objects_dir();
    let tmp = dir.join(format!(".tmp-{}", new_blob_name()));
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { what, path, source }
    };
    let written = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| commit_blob(&dir, &tmp));
    let blob = match written {
        Ok(blob) => blob,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("cannot write object body", &tmp)(e));
        }
    };
    let etag = format!("\"{}\"", hex::encode(Md5::digest(bytes)));
    let crc64 = car_api::cos_crc::Crc64::of(bytes).to_string();
    let object = NewObject {
        size: bytes.len() as u64,
        etag: &etag,
        crc64: &crc64,
        blob: &blob,
        modified_at: now,
        content_type,
    };
    store.ensure_schema(SCHEMA)?;
    match store.write(|tx| upsert(tx, bucket, key, &object)) {
        Ok(old) => {
            if let Some(old) = old {
                remove_blob(&dir, &old);
            }
        }
        Err(e) => {
            remove_blob(&dir, &blob);
            return Err(e);
        }
    }
    Ok(ObjectMeta {
        size: object.size,
        etag,
        crc64,
        path: dir.join(blob),
        modified_at: now,
        content_type: content_type.to_owned(),
    })
}

/// After a crash: removes temporary files and bodies no row names (a body renamed into
/// place whose row never committed). Run before serving, while nothing is being written.
/// `referenced` lists every blob name the tables point at.
pub fn sweep(dir: &Path, referenced: &std::collections::HashSet<String>) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale =
            name.starts_with(".tmp-") || (name.ends_with(".blob") && !referenced.contains(name));
        if stale {
            remove_blob(dir, name);
            removed += 1;
        }
    }
    Ok(removed)
}

/// The blob names `cos_objects` points at.
pub fn referenced_blobs(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT blob FROM cos_objects")?;
    let rows = st.query_map([], |r| r.get(0))?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_bytes_is_found_again_and_an_overwrite_removes_the_old_body() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let first = put_bytes(&store, "b-1", "k", "text/plain", b"123456789", 7).unwrap();
        // MD5("123456789") and the CRC-64/XZ check value, both catalogue facts.
        assert_eq!(first.etag, "\"25f9e794323b453885f5181f1b624d0b\"");
        assert_eq!(first.crc64, 0x995D_C9BB_DF19_39FA_u64.to_string());
        assert_eq!(lookup(&store, "b-1", "k").unwrap().as_ref(), Some(&first));
        assert_eq!(std::fs::read(&first.path).unwrap(), b"123456789");
        let second = put_bytes(&store, "b-1", "k", "text/plain", b"a", 8).unwrap();
        assert!(!first.path.exists());
        assert_eq!(std::fs::read(&second.path).unwrap(), b"a");
        assert_eq!(lookup(&store, "b-2", "k").unwrap(), None);
    }
}
