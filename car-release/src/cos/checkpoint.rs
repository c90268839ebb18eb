//! The local record of an unfinished multipart upload: which upload, for which file
//! (size, mtime, and a hash of its first and last MiB), and the parts COS acknowledged
//! with a matching CRC. Rewritten atomically (temporary file, then rename) after every part,
//! so a kill at any moment leaves the previous or the next record, never half of one.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::CosError;

/// What makes a file the same file as last time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileIdentity {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u128,
    /// SHA-256 of the first and the last MiB.
    pub(crate) ends_sha256: String,
}

const ENDS: u64 = 1024 * 1024;

impl FileIdentity {
    pub(crate) fn of(path: &Path) -> Result<FileIdentity, CosError> {
        let local = |e: std::io::Error| CosError::LocalFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut file = fs::File::open(path).map_err(local)?;
        let meta = file.metadata().map_err(local)?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let size = meta.len();
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; ENDS.min(size) as usize];
        file.read_exact(&mut buf).map_err(local)?;
        hash.update(&buf);
        if size > ENDS {
            let tail = ENDS.min(size - ENDS);
            file.seek(SeekFrom::Start(size - tail)).map_err(local)?;
            buf.resize(tail as usize, 0);
            file.read_exact(&mut buf).map_err(local)?;
            hash.update(&buf);
        }
        Ok(FileIdentity {
            size,
            mtime_ns,
            ends_sha256: hex::encode(hash.finalize()),
        })
    }
}

/// A part COS holds, as acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DonePart {
    pub(crate) number: u32,
    pub(crate) size: u64,
    pub(crate) crc64: u64,
    pub(crate) etag: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) upload_id: String,
    pub(crate) part_size: u64,
    pub(crate) file: FileIdentity,
    pub(crate) parts: Vec<DonePart>,
}

/// Where the record for `bucket`/`key` lives in `dir`.
pub(crate) fn path_for(dir: &Path, bucket: &str, key: &str) -> PathBuf {
    let mut h = Sha256::new();
    h.update(bucket.as_bytes());
    h.update(b"\n");
    h.update(key.as_bytes());
    dir.join(format!("{}.json", &hex::encode(h.finalize())[..32]))
}

fn checkpoint_error(path: &Path, e: impl std::fmt::Display) -> CosError {
    CosError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The record at `path`; `None` if there is none or it cannot be read (it is then
/// ignored and replaced: a damaged record must not block a fresh upload).
pub(crate) fn load(path: &Path) -> Option<Record> {
    let text = fs::read(path).ok()?;
    match serde_json::from_slice(&text) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable checkpoint");
            None
        }
    }
}

/// Writes `record` to `path` atomically.
pub(crate) fn save(path: &Path, record: &Record) -> Result<(), CosError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| checkpoint_error(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| checkpoint_error(dir, e))?;
    let json = serde_json::to_vec(record).map_err(|e| checkpoint_error(path, e))?;
    tmp.write_all(&json)
        .map_err(|e| checkpoint_error(path, e))?;
    tmp.persist(path)
        .map_err(|e| checkpoint_error(path, e.error))?;
    Ok(())
}

/// Removes the record once the object is complete.
pub(crate) fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove the checkpoint");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_a_round_trip_and_identity_sees_a_changed_last_byte() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pkg.zip");
        fs::write(&file, vec![7u8; 3 * 1024 * 1024]).unwrap();
        let id = FileIdentity::of(&file).unwrap();
        let rec = Record {
            bucket: "b-1".into(),
            key: "k".into(),
            upload_id: "u".into(),
            part_size: 1024 * 1024,
            file: id.clone(),
            parts: vec![DonePart {
                number: 1,
                size: 1,
                crc64: 2,
                etag: "\"e\"".into(),
            }],
        };
        let at = path_for(&dir.path().join("ck"), "b-1", "k");
        save(&at, &rec).unwrap();
        assert_eq!(load(&at), Some(rec));
        let mut data = vec![7u8; 3 * 1024 * 1024];
        data[3 * 1024 * 1024 - 1] = 8;
        fs::write(&file, data).unwrap();
        assert_ne!(FileIdentity::of(&file).unwrap().ends_sha256, id.ends_sha256);
        remove(&at);
        assert_eq!(load(&at), None);
    }
}
