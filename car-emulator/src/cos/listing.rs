//! List Parts and List Multipart Uploads, with COS's markers and page sizes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::params;

use super::errors::{Code, CosError};
use super::request::Target;
use super::xml::{self, CommonPrefix, ListedPart, ListedUpload, Principal};
use super::{iso8601, url_encode_key, CosState};

/// The largest and default page size of both listings.
const MAX_PAGE: u32 = 1000;

/// Who the emulator says owns and started everything (one account).
fn principal() -> Principal {
    let id = "qcs::cam::uin/100000000001:uin/100000000001".to_owned();
    Principal {
        id: id.clone(),
        display_name: id,
    }
}

/// A numeric query parameter, `default` when absent or empty.
fn number(target: &Target, name: &str, default: u32) -> Result<u32, CosError> {
    match target.non_empty(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            CosError::new(
                Code::InvalidArgument,
                format!("{name} must be a non-negative whole number, got `{v}`"),
            )
        }),
    }
}

fn page_size(target: &Target, name: &str) -> Result<u32, CosError> {
    match number(target, name, MAX_PAGE)? {
        0 => Err(CosError::new(
            Code::InvalidArgument,
            format!("{name} must be from 1 to {MAX_PAGE}, got 0"),
        )),
        n => Ok(n.min(MAX_PAGE)),
    }
}

fn url_encoded(target: &Target) -> bool {
    target.param("encoding-type") == Some("url")
}

fn xml_response(body: String) -> Response {
    (StatusCode::OK, [("Content-Type", "application/xml")], body).into_response()
}

/// List Parts: the parts after `part-number-marker`, at most `max-parts`.
pub async fn list_parts(state: &CosState, target: &Target) -> Result<Response, CosError> {
    let upload_id = target.param("uploadId").unwrap_or("").to_owned();
    let max_parts = page_size(target, "max-parts")?;
    let marker = number(target, "part-number-marker", 0)?;
    let (bucket, key, id) = (state.bucket.clone(), target.key.clone(), upload_id.clone());
    let rows = state
        .db(move |store| {
            Ok(store.read(|c| {
                let known: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM cos_uploads WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3)",
                    params![id, bucket, key],
                    |r| r.get(0),
                )?;
                if !known {
                    return Ok(None);
                }
                let mut st = c.prepare(
                    "SELECT part_number, modified_at, etag, size FROM cos_parts
                     WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number LIMIT ?3",
                )?;
                let rows = st.query_map(params![id, marker, max_parts + 1], |r| {
                    Ok(ListedPart {
                        part_number: r.get(0)?,
                        last_modified: iso8601(r.get(1)?),
                        etag: r.get(2)?,
                        size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map(Some)
            })?)
        })
        .await?;
    let Some(mut parts) = rows else {
        return Err(CosError::new(
            Code::NoSuchUpload,
            "The specified upload does not exist",
        ));
    };
    let is_truncated = parts.len() > max_parts as usize;
    parts.truncate(max_parts as usize);
    let next = parts.last().map_or(marker, |p| p.part_number);
    let encode = url_encoded(target);
    let body = xml::document(
        "ListPartsResult",
        &xml::ListPartsResult {
            bucket: state.bucket.clone(),
            encoding_type: if encode { "url".into() } else { String::new() },
            key: if encode {
                url_encode_key(&target.key)
            } else {
                target.key.clone()
            },
            upload_id,
            initiator: principal(),
            owner: principal(),
            part_number_marker: marker,
            parts,
            next_part_number_marker: next,
            storage_class: "STANDARD",
            max_parts,
            is_truncated,
        },
    )?;
    Ok(xml_response(body))
}

/// One upload as stored.
struct UploadRow {
    key: String,
    upload_id: String,
    initiated_at: i64,
}

/// One entry of a listing page: an upload or a group of keys under a common prefix.
enum Entry {
    Upload(UploadRow),
    Prefix(String),
}

/// Pages `rows` (sorted by key, then upload ID, all after the markers) the way S3 and COS
/// do: keys with `delimiter` after `prefix` fold into one common prefix each, and every
/// upload or common prefix counts once against `max`. Returns the page and whether more
/// entries follow.
fn paginate(
    rows: Vec<UploadRow>,
    prefix: &str,
    delimiter: Option<&str>,
    key_marker: Option<&str>,
    max: usize,
) -> (Vec<Entry>, bool) {
    let mut page: Vec<Entry> = Vec::new();
    for row in rows {
        let group = delimiter.and_then(|d| {
            let rest = row.key.get(prefix.len()..)?;
            rest.find(d)
                .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        if let Some(group) = group {
            // A page that ended on this prefix already covered every key in it.
            if Some(group.as_str()) == key_marker {
                continue;
            }
            if matches!(page.last(), Some(Entry::Prefix(p)) if *p == group) {
                continue;
            }
            if page.len() == max {
                return (page, true);
            }
            page.push(Entry::Prefix(group));
        } else {
            if page.len() == max {
                return (page, true);
            }
            page.push(Entry::Upload(row));
        }
    }
    (page, false)
}

/// List Multipart Uploads: the bucket's uploads under `prefix`, after the markers.
pub async fn list_uploads(state: &CosState, target: &Target) -> Result<Response, CosError> {
    let max_uploads = page_size(target, "max-uploads")?;
    let prefix = target.param("prefix").unwrap_or("").to_owned();
    let delimiter = target.non_empty("delimiter").map(str::to_owned);
    let key_marker = target.non_empty("key-marker").map(str::to_owned);
    // COS ignores upload-id-marker without key-marker.
    let upload_id_marker = key_marker
        .as_ref()
        .and(target.non_empty("upload-id-marker"))
        .map(str::to_owned);
    let (bucket, p, km, um) = (
        state.bucket.clone(),
        prefix.clone(),
        key_marker.clone(),
        upload_id_marker.clone(),
    );
    let rows = state
        .db(move |store| {
            Ok(store.read(|c| {
                let mut st = c.prepare(
                    "SELECT key, upload_id, initiated_at FROM cos_uploads
                     WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2
                       AND (?3 IS NULL OR key > ?3 OR (key = ?3 AND ?4 IS NOT NULL AND upload_id > ?4))
                     ORDER BY key, upload_id",
                )?;
                let rows = st.query_map(params![bucket, p, km, um], |r| {
                    Ok(UploadRow {
                        key: r.get(0)?,
                        upload_id: r.get(1)?,
                        initiated_at: r.get(2)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })?)
        })
        .await?;
    let (page, is_truncated) = paginate(
        rows,
        &prefix,
        delimiter.as_deref(),
        key_marker.as_deref(),
        max_uploads as usize,
    );
    let encode = url_encoded(target);
    let enc = |s: &str| {
        if encode {
            url_encode_key(s)
        } else {
            s.to_owned()
        }
    };
    let (next_key, next_id) = match page.last() {
        Some(Entry::Upload(u)) if is_truncated => (u.key.clone(), u.upload_id.clone()),
        Some(Entry::Prefix(p)) if is_truncated => (p.clone(), String::new()),
        _ => (String::new(), String::new()),
    };
    let mut uploads = Vec::new();
    let mut common_prefixes = Vec::new();
    for entry in page {
        match entry {
            Entry::Upload(u) => uploads.push(ListedUpload {
                key: enc(&u.key),
                upload_id: u.upload_id,
                storage_class: "STANDARD",
                initiator: principal(),
                owner: principal(),
                initiated: iso8601(u.initiated_at),
            }),
            Entry::Prefix(p) => common_prefixes.push(CommonPrefix { prefix: enc(&p) }),
        }
    }
    let body = xml::document(
        "ListMultipartUploadsResult",
        &xml::ListUploadsResult {
            bucket: state.bucket.clone(),
            encoding_type: if encode { "url".into() } else { String::new() },
            key_marker: enc(key_marker.as_deref().unwrap_or("")),
            upload_id_marker: upload_id_marker.unwrap_or_default(),
            next_key_marker: enc(&next_key),
            next_upload_id_marker: next_id,
            max_uploads,
            is_truncated,
            prefix: enc(&prefix),
            delimiter: delimiter.unwrap_or_default(),
            uploads,
            common_prefixes,
        },
    )?;
    Ok(xml_response(body))
}
