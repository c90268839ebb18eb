//! Multipart uploads: Initiate, Upload Part, Complete and Abort. Uploads and parts live
//! in SQLite; each part's body is its own blob, and Complete hands the chosen parts' blobs
//! to the object as its pieces in one transaction, so no byte is written twice.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use md5::{Digest, Md5};
use rusqlite::{params, OptionalExtension};

use super::body::{self, body_rules};
use super::crc;
use super::errors::{Code, CosError};
use super::objects::content_type;
use super::request::Target;
use super::xml::{self, CompletePart};
use super::CosState;
use crate::objects::{self as meta, NewObject};

/// The uploads and parts tables.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cos_uploads (
    upload_id    TEXT PRIMARY KEY,
    bucket       TEXT NOT NULL,
    key          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    initiated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cos_uploads_by_key ON cos_uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS cos_parts (
    upload_id   TEXT NOT NULL REFERENCES cos_uploads (upload_id),
    part_number INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    crc64       TEXT NOT NULL,
    blob        TEXT NOT NULL,
    modified_at INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
CREATE TABLE IF NOT EXISTS cos_upload_counter (id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL);";

/// The blob names `cos_parts` points at.
pub fn referenced_blobs(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT blob FROM cos_parts")?;
    let rows = st.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// Part numbers COS accepts.
const PART_NUMBERS: std::ops::RangeInclusive<u32> = 1..=10_000;
/// The smallest part other than the last that Complete accepts (1 MiB, as the SDK counts).
pub const MIN_PART: u64 = 1024 * 1024;
/// A Complete body listing 10 000 parts is well under this.
const MAX_COMPLETE_BODY: usize = 4 * 1024 * 1024;

fn no_such_upload() -> CosError {
    CosError::new(
        Code::NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed",
    )
}

/// Whether `upload_id` is an upload of `key` in `bucket`.
fn upload_exists(
    tx: &rusqlite::Connection,
    upload_id: &str,
    bucket: &str,
    key: &str,
) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT 1 FROM cos_uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3",
        params![upload_id, bucket, key],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// The upload a request names, checked to belong to its bucket and key.
async fn require_upload(state: &CosState, target: &Target) -> Result<String, CosError> {
    let upload_id = target.param("uploadId").unwrap_or("").to_owned();
    let (bucket, key, id) = (state.bucket.clone(), target.key.clone(), upload_id.clone());
    let found = state
        .db(move |store| Ok(store.read(|c| upload_exists(c, &id, &bucket, &key))?))
        .await?;
    if found {
        Ok(upload_id)
    } else {
        Err(no_such_upload())
    }
}

/// Initiate: a new upload ID, a decimal time then hex like COS's, sorting by age.
pub async fn initiate(
    state: &CosState,
    target: &Target,
    headers: &HeaderMap,
) -> Result<Response, CosError> {
    let now = state.clock.unix_seconds();
    let (bucket, key, content_type) = (
        state.bucket.clone(),
        target.key.clone(),
        content_type(headers),
    );
    let upload_id = state
        .db(move |store| {
            Ok(store.write(|tx| {
                let seq: i64 = tx.query_row(
                    "INSERT INTO cos_upload_counter (id, next) VALUES (1, 1)
                     ON CONFLICT (id) DO UPDATE SET next = next + 1 RETURNING next",
                    [],
                    |r| r.get(0),
                )?;
                let upload_id = format!("{now:010}{seq:012x}{:032x}", rand::random::<u128>());
                tx.execute(
                    "INSERT INTO cos_uploads (upload_id, bucket, key, content_type, initiated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![upload_id, bucket, key, content_type, now],
                )?;
                Ok(upload_id)
            })?)
        })
        .await?;
    let body = xml::document(
        "InitiateMultipartUploadResult",
        &xml::InitiateResult {
            bucket: &state.bucket,
            key: &target.key,
            upload_id: &upload_id,
        },
    )?;
    Ok((StatusCode::OK, [("Content-Type", "application/xml")], body).into_response())
}

fn part_number(target: &Target) -> Result<u32, CosError> {
    let given = target.param("partNumber").unwrap_or("");
    given
        .parse::<u32>()
        .ok()
        .filter(|n| PART_NUMBERS.contains(n))
        .ok_or_else(|| {
            CosError::new(
                Code::InvalidArgument,
                format!("partNumber must be a whole number from 1 to 10000, got `{given}`"),
            )
        })
}

/// Upload Part: the part streams to its own blob; a re-upload replaces the earlier one.
pub async fn upload_part(
    state: &CosState,
    target: &Target,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, CosError> {
    let number = part_number(target)?;
    let rules = body_rules(headers)?;
    let upload_id = require_upload(state, target).await?;
    let dir = state.store.objects_dir();
    let received = body::receive(body, &dir, rules).await?;
    let etag = received.etag();
    let crc64 = received.crc64.to_string();
    let size = received.size;
    let blob = received.blob.commit(&dir)?;
    let now = state.clock.unix_seconds();
    let (bucket, key) = (state.bucket.clone(), target.key.clone());
    let (etag_row, crc_row) = (etag.clone(), crc64.clone());
    state
        .db(move |store| {
            let outcome = store.write(|tx| {
                // The upload may have been completed or aborted while the body streamed.
                if !upload_exists(tx, &upload_id, &bucket, &key)? {
                    return Ok(None);
                }
                let old: Option<String> = tx
                    .query_row(
                        "SELECT blob FROM cos_parts WHERE upload_id = ?1 AND part_number = ?2",
                        params![upload_id, number],
                        |r| r.get(0),
                    )
                    .optional()?;
                tx.execute(
                    "INSERT INTO cos_parts (upload_id, part_number, size, etag, crc64, blob, modified_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size,
                         etag = excluded.etag, crc64 = excluded.crc64, blob = excluded.blob,
                         modified_at = excluded.modified_at",
                    params![upload_id, number, size as i64, etag_row, crc_row, blob, now],
                )?;
                Ok(Some(old))
            });
            match outcome {
                Ok(Some(old)) => {
                    if let Some(old) = old {
                        meta::remove_blob(&store.objects_dir(), &old);
                    }
                    Ok(())
                }
                Ok(None) => {
                    meta::remove_blob(&store.objects_dir(), &blob);
                    Err(no_such_upload())
                }
                Err(e) => {
                    meta::remove_blob(&store.objects_dir(), &blob);
                    Err(e.into())
                }
            }
        })
        .await?;
    Ok((
        StatusCode::OK,
        [("ETag", etag), ("x-cos-hash-crc64ecma", crc64)],
    )
        .into_response())
}

/// A stored part.
#[derive(Debug, Clone)]
struct StoredPart {
    number: u32,
    size: u64,
    etag: String,
    crc64: u64,
    blob: String,
}

fn stored_parts(tx: &rusqlite::Connection, upload_id: &str) -> rusqlite::Result<Vec<StoredPart>> {
    let mut st = tx.prepare(
        "SELECT part_number, size, etag, crc64, blob FROM cos_parts WHERE upload_id = ?1 ORDER BY part_number",
    )?;
    let rows = st.query_map([upload_id], |r| {
        let crc: String = r.get(3)?;
        Ok(StoredPart {
            number: r.get(0)?,
            size: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            etag: r.get(2)?,
            crc64: crc.parse().unwrap_or(0),
            blob: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Checks Complete's list against the stored parts (COS reference §3.8 and §10) and
/// returns the parts to assemble, in order.
fn choose_parts(
    listed: &[CompletePart],
    stored: &[StoredPart],
) -> Result<Vec<StoredPart>, CosError> {
    for pair in listed.windows(2) {
        if pair[1].part_number <= pair[0].part_number {
            return Err(CosError::new(
                Code::InvalidPartOrder,
                format!(
                    "The list of parts was not in ascending order: part {} follows part {}",
                    pair[1].part_number, pair[0].part_number
                ),
            ));
        }
    }
    let mut chosen = Vec::with_capacity(listed.len());
    for (i, want) in listed.iter().enumerate() {
        if i > 0 && want.part_number != listed[i - 1].part_number + 1 {
            return Err(CosError::new(
                Code::InvalidPart,
                format!(
                    "The part numbers must be consecutive: part {} follows part {}",
                    want.part_number,
                    listed[i - 1].part_number
                ),
            ));
        }
        let part = stored
            .iter()
            .find(|p| p.number == want.part_number && p.etag.trim_matches('"') == want.etag)
            .ok_or_else(|| {
                CosError::new(
                    Code::InvalidPart,
                    format!(
                        "One or more of the specified parts could not be found: part {} with ETag \"{}\"",
                        want.part_number, want.etag
                    ),
                )
            })?;
        chosen.push(part.clone());
    }
    let last = chosen.len() - 1;
    if let Some(small) = chosen[..last].iter().find(|p| p.size < MIN_PART) {
        return Err(CosError::new(
            Code::EntityTooSmall,
            format!(
                "Your proposed upload is smaller than the minimum allowed object size: part {} has {} bytes; every part but the last needs at least {MIN_PART}",
                small.number, small.size
            ),
        ));
    }
    Ok(chosen)
}

/// The ETag of a completed upload: the MD5 of the parts' binary MD5s, `-<count>` (the
/// S3-style value the reference §7 suggests).
fn multipart_etag(parts: &[StoredPart]) -> String {
    let mut md5 = Md5::new();
    for p in parts {
        match hex::decode(p.etag.trim_matches('"')) {
            Ok(bytes) => md5.update(bytes),
            Err(_) => md5.update(p.etag.as_bytes()),
        }
    }
    format!("\"{}-{}\"", hex::encode(md5.finalize()), parts.len())
}

/// Complete: checks the list, assembles the object, records it and forgets the upload in
/// one transaction.
pub async fn complete(state: &CosState, target: &Target, body: Body) -> Result<Response, CosError> {
    let upload_id = require_upload(state, target).await?;
    let bytes = http_body_util::Limited::new(body, MAX_COMPLETE_BODY)
        .collect()
        .await
        .map_err(|e| {
            CosError::new(
                Code::MalformedXML,
                format!("The Complete body could not be read: {e}"),
            )
        })?
        .to_bytes();
    let listed = xml::parse_complete(&bytes)?;
    let now = state.clock.unix_seconds();
    let (bucket, key) = (state.bucket.clone(), target.key.clone());
    let (etag, crc64) = state
        .db(move |store| {
            let dir: PathBuf = store.objects_dir();
            let parts = store.read(|c| stored_parts(c, &upload_id))?;
            let chosen = choose_parts(&listed, &parts)?;
            let crc = chosen
                .iter()
                .skip(1)
                .fold(chosen[0].crc64, |acc, p| crc::combine(acc, p.crc64, p.size));
            let etag = multipart_etag(&chosen);
            let crc64 = crc.to_string();
            let pieces: Vec<(String, u64)> =
                chosen.iter().map(|p| (p.blob.clone(), p.size)).collect();
            let outcome = store.write(|tx| {
                // A part replaced or the upload finished meanwhile: this list is stale.
                let current = stored_parts(tx, &upload_id)?;
                let unchanged = chosen.iter().all(|c| {
                    current
                        .iter()
                        .any(|p| p.number == c.number && p.blob == c.blob)
                });
                if !upload_exists(tx, &upload_id, &bucket, &key)? || !unchanged {
                    return Ok(None);
                }
                let content_type: String = tx.query_row(
                    "SELECT content_type FROM cos_uploads WHERE upload_id = ?1",
                    [&upload_id],
                    |r| r.get(0),
                )?;
                let object = NewObject {
                    etag: &etag,
                    crc64: &crc64,
                    pieces: &pieces,
                    modified_at: now,
                    content_type: &content_type,
                };
                let old = meta::upsert(tx, &bucket, &key, &object)?;
                tx.execute("DELETE FROM cos_parts WHERE upload_id = ?1", [&upload_id])?;
                tx.execute("DELETE FROM cos_uploads WHERE upload_id = ?1", [&upload_id])?;
                Ok(Some((old, current)))
            })?;
            let (old, current) = outcome.ok_or_else(no_such_upload)?;
            // Parts uploaded but left out of the list are dropped, as COS drops them.
            let unused = current
                .iter()
                .filter(|p| !chosen.iter().any(|c| c.blob == p.blob))
                .map(|p| &p.blob);
            for blob in unused.chain(old.iter()) {
                meta::remove_blob(&dir, blob);
            }
            Ok((etag, crc64))
        })
        .await?;
    let location = format!("{}/{}", state.host(), target.key);
    let body = xml::document(
        "CompleteMultipartUploadResult",
        &xml::CompleteResult {
            location: &location,
            bucket: &state.bucket,
            key: &target.key,
            etag: &etag,
        },
    )?;
    Ok((
        StatusCode::OK,
        [
            ("Content-Type", "application/xml".to_owned()),
            ("x-cos-hash-crc64ecma", crc64),
        ],
        body,
    )
        .into_response())
}

/// Abort: forgets the upload and removes its parts.
pub async fn abort(state: &CosState, target: &Target) -> Result<Response, CosError> {
    let upload_id = target.param("uploadId").unwrap_or("").to_owned();
    let (bucket, key) = (state.bucket.clone(), target.key.clone());
    state
        .db(move |store| {
            let blobs = store.write(|tx| {
                if !upload_exists(tx, &upload_id, &bucket, &key)? {
                    return Ok(None);
                }
                let parts = stored_parts(tx, &upload_id)?;
                tx.execute("DELETE FROM cos_parts WHERE upload_id = ?1", [&upload_id])?;
                tx.execute("DELETE FROM cos_uploads WHERE upload_id = ?1", [&upload_id])?;
                Ok(Some(parts))
            })?;
            let parts = blobs.ok_or_else(no_such_upload)?;
            for p in parts {
                meta::remove_blob(&store.objects_dir(), &p.blob);
            }
            Ok(())
        })
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [("Content-Type", "application/xml")],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(number: u32, size: u64, etag: &str) -> StoredPart {
        StoredPart {
            number,
            size,
            etag: format!("\"{etag}\""),
            crc64: 0,
            blob: format!("b{number}"),
        }
    }

    fn listed(number: u32, etag: &str) -> CompletePart {
        CompletePart {
            part_number: number,
            etag: etag.into(),
        }
    }

    #[test]
    fn complete_rules_in_the_references_order() {
        let parts = [
            stored(1, MIN_PART, "a"),
            stored(2, MIN_PART, "b"),
            stored(3, 5, "c"),
            stored(5, 5, "e"),
        ];
        let code =
            |l: &[CompletePart]| choose_parts(l, &parts).map(|c| c.len()).map_err(|e| e.code);
        assert_eq!(
            code(&[listed(1, "a"), listed(2, "b"), listed(3, "c")]),
            Ok(3)
        );
        assert_eq!(
            code(&[listed(2, "b"), listed(1, "a")]),
            Err(Code::InvalidPartOrder)
        );
        assert_eq!(
            code(&[listed(1, "a"), listed(1, "a")]),
            Err(Code::InvalidPartOrder)
        );
        assert_eq!(
            code(&[listed(1, "a"), listed(2, "x")]),
            Err(Code::InvalidPart)
        );
        assert_eq!(
            code(&[listed(3, "c"), listed(5, "e")]),
            Err(Code::InvalidPart)
        );
        assert_eq!(code(&[listed(4, "d")]), Err(Code::InvalidPart));
        assert_eq!(code(&[listed(2, "b"), listed(3, "c")]), Ok(2));
        // Part 3 (5 bytes) is not the last here.
        let parts = [
            stored(1, MIN_PART, "a"),
            stored(2, MIN_PART - 1, "b"),
            stored(3, 5, "c"),
        ];
        let err =
            choose_parts(&[listed(1, "a"), listed(2, "b"), listed(3, "c")], &parts).unwrap_err();
        assert_eq!(err.code, Code::EntityTooSmall);
    }

    #[test]
    fn the_multipart_etag_is_the_md5_of_the_binary_md5s_and_the_count() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e; MD5 of those 16 bytes twice, computed
        // with coreutils: printf '\xd4\x1d…\x7e\xd4\x1d…\x7e' | md5sum.
        let parts = [
            stored(1, 0, "d41d8cd98f00b204e9800998ecf8427e"),
            stored(2, 0, "d41d8cd98f00b204e9800998ecf8427e"),
        ];
        let expected = "5873dd45edd01f09c1ef2e7819369e8e";
        assert_eq!(multipart_etag(&parts), format!("\"{expected}-2\""));
    }
}
