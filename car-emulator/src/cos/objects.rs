//! PUT, HEAD and GET (with a single `Range`) of whole objects.

use std::io::SeekFrom;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::body::{self, body_rules};
use super::errors::{Code, CosError};
use super::request::Target;
use super::{http_date, CosState};
use crate::objects::{self as meta, NewObject, ObjectMeta};

/// The `Content-Type` a write asked for, or COS's default.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or(meta::DEFAULT_CONTENT_TYPE)
        .to_owned()
}

/// PUT Object: the body streams to disk; the row is written once the file is in place.
pub async fn put(
    state: &CosState,
    target: &Target,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, CosError> {
    let rules = body_rules(headers)?;
    let dir = state.store.objects_dir();
    let received = body::receive(body, &dir, rules).await?;
    let etag = received.etag();
    let crc64 = received.crc64.to_string();
    let size = received.size;
    let blob = received.blob.commit(&dir)?;
    let now = state.clock.unix_seconds();
    let (bucket, key, content_type) = (
        state.bucket.clone(),
        target.key.clone(),
        content_type(headers),
    );
    let (etag_row, crc_row) = (etag.clone(), crc64.clone());
    let dir_for_db = dir.clone();
    state
        .db(move |store| {
            let pieces = [(blob.clone(), size)];
            let object = NewObject {
                etag: &etag_row,
                crc64: &crc_row,
                pieces: &pieces,
                modified_at: now,
                content_type: &content_type,
            };
            match store.write(|tx| meta::upsert(tx, &bucket, &key, &object)) {
                Ok(old) => {
                    for old in old {
                        meta::remove_blob(&dir_for_db, &old);
                    }
                    Ok(())
                }
                Err(e) => {
                    meta::remove_blob(&dir_for_db, &blob);
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

async fn find(state: &CosState, key: &str) -> Result<Option<ObjectMeta>, CosError> {
    let (bucket, key) = (state.bucket.clone(), key.to_owned());
    state
        .db(move |store| Ok(meta::lookup(store, &bucket, &key)?))
        .await
}

fn no_such_key() -> CosError {
    CosError::new(Code::NoSuchKey, "The specified key does not exist")
}

fn object_headers(object: &ObjectMeta) -> [(&'static str, String); 6] {
    [
        ("Content-Type", object.content_type.clone()),
        ("ETag", object.etag.clone()),
        ("Last-Modified", http_date(object.modified_at)),
        ("x-cos-hash-crc64ecma", object.crc64.clone()),
        ("Accept-Ranges", "bytes".to_owned()),
        ("Content-Length", object.size.to_string()),
    ]
}

/// HEAD Object: the object's headers, no body (a missing object is a bare 404).
pub async fn head(state: &CosState, target: &Target) -> Result<Response, CosError> {
    let object = find(state, &target.key).await?.ok_or_else(no_such_key)?;
    Ok((StatusCode::OK, object_headers(&object)).into_response())
}

/// A single byte range, inclusive, within an object of known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub first: u64,
    /// Last byte.
    pub last: u64,
}

/// Reads `Range: bytes=…` for an object of `size` bytes. `Ok(None)` means "send it all":
/// no header, or one this server ignores as RFC 7233 allows (another unit, several
/// ranges, a malformed value). A range starting past the end is `InvalidRange`.
pub fn parse_range(value: Option<&str>, size: u64) -> Result<Option<ByteRange>, CosError> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let unsatisfiable = || {
        CosError::new(
            Code::InvalidRange,
            format!(
                "The requested range `{spec}` is not satisfiable for an object of {size} bytes"
            ),
        )
    };
    let range = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let Some(n) = number(suffix) else {
                return Ok(None);
            };
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            ByteRange {
                first: size.saturating_sub(n),
                last: size - 1,
            }
        }
        (first, last) => {
            let Some(first) = number(first) else {
                return Ok(None);
            };
            let last = match last {
                "" => u64::MAX,
                l => match number(l) {
                    Some(l) if l >= first => l,
                    _ => return Ok(None),
                },
            };
            if first >= size {
                return Err(unsatisfiable());
            }
            ByteRange {
                first,
                last: last.min(size - 1),
            }
        }
    };
    Ok(Some(range))
}

/// GET Object: the whole body (200) or one range of it (206), streamed from its files.
pub async fn get(
    state: &CosState,
    target: &Target,
    headers: &HeaderMap,
) -> Result<Response, CosError> {
    // An overwrite between the lookup and the open removes the old files: look again.
    for _ in 0..3 {
        let object = find(state, &target.key).await?.ok_or_else(no_such_key)?;
        let range = parse_range(
            headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
            object.size,
        )?;
        let opening = object.clone();
        let reader = match tokio::task::spawn_blocking(move || opening.open())
            .await
            .map_err(|e| CosError::internal("cannot open the object body", e))?
        {
            Ok(reader) => reader,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(CosError::internal("cannot open the object body", e)),
        };
        let mut out = object_headers(&object).to_vec();
        let (status, first, len) = match range {
            None => (StatusCode::OK, 0, object.size),
            Some(r) => {
                out.push((
                    "Content-Range",
                    format!("bytes {}-{}/{}", r.first, r.last, object.size),
                ));
                (StatusCode::PARTIAL_CONTENT, r.first, r.last - r.first + 1)
            }
        };
        if let Some(cl) = out.iter_mut().find(|(n, _)| *n == "Content-Length") {
            cl.1 = len.to_string();
        }
        let body = Body::from_stream(segments_stream(reader.into_segments(first, len)));
        let mut response = (status, body).into_response();
        for (name, value) in out {
            if let Ok(value) = value.parse() {
                response.headers_mut().insert(name, value);
            }
        }
        return Ok(response);
    }
    Err(no_such_key())
}

/// The bytes of each `(file, offset, length)` in turn.
fn segments_stream(
    segments: Vec<(std::fs::File, u64, u64)>,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> {
    futures_util::stream::iter(segments)
        .then(|(file, offset, len)| async move {
            let mut file = tokio::fs::File::from_std(file);
            file.seek(SeekFrom::Start(offset)).await?;
            Ok::<_, std::io::Error>(ReaderStream::with_capacity(file.take(len), 64 * 1024))
        })
        .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str, size: u64) -> Option<(u64, u64)> {
        parse_range(Some(v), size)
            .unwrap()
            .map(|r| (r.first, r.last))
    }

    #[test]
    fn the_range_forms_the_reference_lists() {
        assert_eq!(range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(range("bytes=5-9", 100), Some((5, 9)));
        assert_eq!(range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(range("bytes=10-", 100), Some((10, 99)));
        assert_eq!(range("bytes=0-", 100), Some((0, 99)));
        assert_eq!(range("bytes=90-200", 100), Some((90, 99)));
        assert_eq!(range("bytes=-200", 100), Some((0, 99)));
        // Ignored, whole body: several ranges, other units, nonsense, reversed.
        for v in [
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=a-b",
            "bytes=9-5",
            "bytes=-",
        ] {
            assert_eq!(range(v, 100), None, "{v}");
        }
        for (v, size) in [("bytes=100-", 100), ("bytes=0-0", 0), ("bytes=-0", 100)] {
            let err = parse_range(Some(v), size).unwrap_err();
            assert_eq!(err.code, Code::InvalidRange, "{v}");
        }
    }
}
