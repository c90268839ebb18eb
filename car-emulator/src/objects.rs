//! Object metadata shared by the COS side (which writes objects) and the CAR side (which
//! reads an uploaded package when it processes a version). Bodies are files under
//! [`Store::objects_dir`]; a row is written only after its files are complete, synced and
//! renamed, so a row always names whole files.
//!
//! A simple upload is one file. A completed multipart upload keeps its parts' files as its
//! pieces, in order: assembling them into one file would write the whole object a second
//! time, and a reader sees one body either way ([`ObjectMeta::open`]).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::store::{Store, StoreError};

/// The objects table, and the pieces of objects stored as several files. An object whose
/// `blob` is empty is the concatenation of its pieces, in `seq` order.
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
);
CREATE TABLE IF NOT EXISTS cos_object_pieces (
    bucket TEXT NOT NULL,
    key    TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    blob   TEXT NOT NULL,
    size   INTEGER NOT NULL,
    PRIMARY KEY (bucket, key, seq)
);";

/// The content type of objects stored without one.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// One file of an object's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The file.
    pub path: PathBuf,
    /// Its length.
    pub size: u64,
}

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
    /// The ETag, with its quotes.
    pub etag: String,
    /// CRC-64/XZ of the whole object, decimal, as `x-cos-hash-crc64ecma` carries it.
    pub crc64: String,
    /// The files holding the body, in order.
    pub pieces: Vec<Piece>,
    /// Last modification (Unix seconds).
    pub modified_at: i64,
    /// The `Content-Type` it was stored with.
    pub content_type: String,
}

impl ObjectMeta {
    /// Opens every piece at once, so the reader keeps the body that was looked up even
    /// if an overwrite removes its files meanwhile.
    pub fn open(&self) -> std::io::Result<ObjectReader> {
        let mut files = Vec::with_capacity(self.pieces.len());
        let mut start = 0;
        for piece in &self.pieces {
            files.push((File::open(&piece.path)?, start));
            start += piece.size;
        }
        Ok(ObjectReader {
            files,
            size: start,
            pos: 0,
        })
    }
}

/// An object's body as one seekable stream over its pieces.
#[derive(Debug)]
pub struct ObjectReader {
    /// Each piece's file and the object offset it starts at.
    files: Vec<(File, u64)>,
    size: u64,
    pos: u64,
}

impl ObjectReader {
    /// The open pieces covering `first..first + len`, each with the offset to start
    /// reading it at and how many bytes to take from it.
    pub fn into_segments(self, first: u64, len: u64) -> Vec<(File, u64, u64)> {
        let end = first.saturating_add(len).min(self.size);
        let mut out = Vec::new();
        let mut starts = self
            .files
            .iter()
            .map(|(_, s)| *s)
            .skip(1)
            .collect::<Vec<_>>();
        starts.push(self.size);
        for ((file, start), stop) in self.files.into_iter().zip(starts) {
            if stop <= first || start >= end {
                continue;
            }
            let from = first.max(start);
            out.push((file, from - start, end.min(stop) - from));
        }
        out
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.pos >= self.size {
            return Ok(0);
        }
        let i = self.files.partition_point(|(_, start)| *start <= self.pos) - 1;
        let start = self.files[i].1;
        let stop = self.files.get(i + 1).map_or(self.size, |(_, s)| *s);
        let want = buf
            .len()
            .min(usize::try_from(stop - self.pos).unwrap_or(usize::MAX));
        let mut file = &self.files[i].0;
        file.seek(SeekFrom::Start(self.pos - start))?;
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "an object piece is shorter than its recorded size",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ObjectReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "cannot seek before the start of an object",
            )
        })?;
        Ok(self.pos)
    }
}

/// The object `key` (decoded, no leading `/`) in `bucket`, if it exists.
pub fn lookup(store: &Store, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StoreError> {
    let dir = store.objects_dir();
    store.read(|c| {
        let row = c
            .query_row(
                "SELECT size, etag, crc64, blob, modified_at, content_type FROM cos_objects WHERE bucket = ?1 AND key = ?2",
                params![bucket, key],
                |r| {
                    Ok((
                        u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((size, etag, crc64, blob, modified_at, content_type)) = row else {
            return Ok(None);
        };
        let pieces = if blob.is_empty() {
            let mut st = c.prepare_cached(
                "SELECT blob, size FROM cos_object_pieces WHERE bucket = ?1 AND key = ?2 ORDER BY seq",
            )?;
            let rows = st.query_map(params![bucket, key], |r| {
                Ok(Piece {
                    path: dir.join(r.get::<_, String>(0)?),
                    size: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        } else {
            vec![Piece {
                path: dir.join(blob),
                size,
            }]
        };
        Ok(Some(ObjectMeta {
            size,
            etag,
            crc64,
            pieces,
            modified_at,
            content_type,
        }))
    })
}

/// Finished bodies (already renamed into [`Store::objects_dir`]) to record as an object.
#[derive(Debug, Clone)]
pub struct NewObject<'a> {
    /// The ETag, with its quotes.
    pub etag: &'a str,
    /// CRC-64/XZ, decimal.
    pub crc64: &'a str,
    /// The body's file names in the objects directory and their sizes, in order.
    pub pieces: &'a [(String, u64)],
    /// When it was written (Unix seconds).
    pub modified_at: i64,
    /// Its `Content-Type`.
    pub content_type: &'a str,
}

impl NewObject<'_> {
    /// The object's size.
    pub fn size(&self) -> u64 {
        self.pieces.iter().map(|(_, size)| size).sum()
    }
}

/// Records `object` as `key` in `bucket`, replacing any earlier one; returns the blobs the
/// earlier one used, for the caller to remove once the transaction has committed.
pub fn upsert(
    tx: &Transaction<'_>,
    bucket: &str,
    key: &str,
    object: &NewObject<'_>,
) -> rusqlite::Result<Vec<String>> {
    let mut old = blobs_of(tx, bucket, key)?;
    old.retain(|b| !object.pieces.iter().any(|(n, _)| n == b));
    tx.execute(
        "DELETE FROM cos_object_pieces WHERE bucket = ?1 AND key = ?2",
        params![bucket, key],
    )?;
    let blob = match object.pieces {
        [(one, _)] => one.as_str(),
        _ => "",
    };
    tx.execute(
        "INSERT INTO cos_objects (bucket, key, size, etag, crc64, blob, modified_at, content_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
             crc64 = excluded.crc64, blob = excluded.blob, modified_at = excluded.modified_at,
             content_type = excluded.content_type",
        params![
            bucket,
            key,
            i64::try_from(object.size()).unwrap_or(i64::MAX),
            object.etag,
            object.crc64,
            blob,
            object.modified_at,
            object.content_type
        ],
    )?;
    if blob.is_empty() {
        let mut insert = tx.prepare_cached(
            "INSERT INTO cos_object_pieces (bucket, key, seq, blob, size) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (seq, (name, size)) in object.pieces.iter().enumerate() {
            insert.execute(params![
                bucket,
                key,
                seq as i64,
                name,
                i64::try_from(*size).unwrap_or(i64::MAX)
            ])?;
        }
    }
    Ok(old)
}

/// The blobs object `key` uses now.
fn blobs_of(tx: &rusqlite::Connection, bucket: &str, key: &str) -> rusqlite::Result<Vec<String>> {
    let mut blobs: Vec<String> = tx
        .query_row(
            "SELECT blob FROM cos_objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key],
            |r| r.get(0),
        )
        .optional()?
        .into_iter()
        .filter(|b: &String| !b.is_empty())
        .collect();
    let mut st =
        tx.prepare_cached("SELECT blob FROM cos_object_pieces WHERE bucket = ?1 AND key = ?2")?;
    for b in st.query_map(params![bucket, key], |r| r.get(0))? {
        blobs.push(b?);
    }
    Ok(blobs)
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
    let size = bytes.len() as u64;
    let pieces = [(blob.clone(), size)];
    let object = NewObject {
        etag: &etag,
        crc64: &crc64,
        pieces: &pieces,
        modified_at: now,
        content_type,
    };
    store.ensure_schema(SCHEMA)?;
    match store.write(|tx| upsert(tx, bucket, key, &object)) {
        Ok(old) => {
            for old in old {
                remove_blob(&dir, &old);
            }
        }
        Err(e) => {
            remove_blob(&dir, &blob);
            return Err(e);
        }
    }
    Ok(ObjectMeta {
        size,
        etag,
        crc64,
        pieces: vec![Piece {
            path: dir.join(blob),
            size,
        }],
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

/// The blob names objects point at.
pub fn referenced_blobs(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare(
        "SELECT blob FROM cos_objects WHERE blob != '' UNION ALL SELECT blob FROM cos_object_pieces",
    )?;
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
        assert_eq!(std::fs::read(&first.pieces[0].path).unwrap(), b"123456789");
        let second = put_bytes(&store, "b-1", "k", "text/plain", b"a", 8).unwrap();
        assert!(!first.pieces[0].path.exists());
        assert_eq!(std::fs::read(&second.pieces[0].path).unwrap(), b"a");
        assert_eq!(lookup(&store, "b-2", "k").unwrap(), None);
    }

    #[test]
    fn an_object_of_several_pieces_reads_and_seeks_as_one_body() {
        let dir = tempfile::tempdir().unwrap();
        let mut pieces = Vec::new();
        for (i, text) in ["abc", "defg", "h"].iter().enumerate() {
            let path = dir.path().join(format!("{i}.blob"));
            std::fs::write(&path, text).unwrap();
            pieces.push(Piece {
                path,
                size: text.len() as u64,
            });
        }
        let object = ObjectMeta {
            size: 8,
            etag: String::new(),
            crc64: String::new(),
            pieces,
            modified_at: 0,
            content_type: String::new(),
        };
        let mut all = String::new();
        object.open().unwrap().read_to_string(&mut all).unwrap();
        assert_eq!(all, "abcdefgh");
        let mut reader = object.open().unwrap();
        let mut four = [0u8; 4];
        reader.seek(SeekFrom::Start(2)).unwrap();
        reader.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"cdef");
        reader.seek(SeekFrom::Current(-5)).unwrap();
        reader.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"bcde");
        assert_eq!(reader.seek(SeekFrom::End(-1)).unwrap(), 7);
        let mut rest = String::new();
        reader.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "h");
        assert!(reader.seek(SeekFrom::Current(-9)).is_err());
        let spans: Vec<(u64, u64)> = object
            .open()
            .unwrap()
            .into_segments(2, 5)
            .into_iter()
            .map(|(_, offset, len)| (offset, len))
            .collect();
        assert_eq!(spans, [(2, 1), (0, 4)]);
    }

    #[test]
    fn a_zip_split_into_pieces_is_read_through_its_central_directory() {
        let mut zipped = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut zipped);
            for name in ["a.txt", "dir/b.bin"] {
                let stored = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored);
                w.start_file(name, stored).unwrap();
                w.write_all(&[9u8; 3000]).unwrap();
            }
            w.finish().unwrap();
        }
        let bytes = zipped.into_inner();
        let dir = tempfile::tempdir().unwrap();
        // Cut points inside the local entries and inside the central directory.
        let cuts = [0, 1000, 2000, bytes.len() - 30, bytes.len()];
        let pieces = cuts
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let path = dir.path().join(format!("{i}.blob"));
                std::fs::write(&path, &bytes[w[0]..w[1]]).unwrap();
                Piece {
                    path,
                    size: (w[1] - w[0]) as u64,
                }
            })
            .collect();
        let object = ObjectMeta {
            size: bytes.len() as u64,
            etag: String::new(),
            crc64: String::new(),
            pieces,
            modified_at: 0,
            content_type: String::new(),
        };
        let mut archive = zip::ZipArchive::new(object.open().unwrap()).unwrap();
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        assert_eq!(names.len(), 2);
        let mut body = Vec::new();
        archive
            .by_name("dir/b.bin")
            .unwrap()
            .read_to_end(&mut body)
            .unwrap();
        assert_eq!(body, [9u8; 3000]);
    }
}
