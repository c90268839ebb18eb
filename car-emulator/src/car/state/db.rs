//! What every part of the state shares: transactions that roll back on an API error,
//! fresh resource IDs, ISO-8601 dates, paging and the common error answers.

use std::fmt::Display;

use car_api::service::ServiceError;
use car_api::ErrorCode;
use rand::Rng;
use rusqlite::{Connection, Transaction};

use crate::store::{Store, StoreError};

/// Why a state operation stopped: the database failed, or the request is refused with
/// an API error. Either way the transaction it ran in is rolled back.
#[derive(Debug)]
pub(crate) enum Fail {
    Sql(rusqlite::Error),
    Api(ServiceError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        Fail::Sql(e)
    }
}

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Fail {
        Fail::Api(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::Api(internal(e))
    }
}

/// Result of a state operation.
pub(crate) type Outcome<T> = Result<T, Fail>;

fn internal(e: StoreError) -> ServiceError {
    // The store's messages name tables and paths, never keys or tokens.
    ServiceError::new(ErrorCode::InternalError, e.to_string())
}

/// Runs `f` in one write transaction: all of its changes commit together, and an API
/// error from `f` rolls back whatever it had written before refusing.
pub(crate) fn write<R>(
    store: &Store,
    f: impl FnOnce(&Transaction<'_>) -> Outcome<R>,
) -> Result<R, ServiceError> {
    let mut refused = None;
    let out = store.write(|tx| {
        f(tx).map_err(|fail| match fail {
            Fail::Sql(e) => e,
            Fail::Api(api) => {
                refused = Some(api);
                // Any error makes `Store::write` roll back; the refusal itself is
                // answered from `refused`.
                rusqlite::Error::InvalidQuery
            }
        })
    });
    match (out, refused) {
        (_, Some(api)) => Err(api),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(internal(e)),
    }
}

/// Runs `f` on the connection for reading.
pub(crate) fn read<R>(
    store: &Store,
    f: impl FnOnce(&Connection) -> Outcome<R>,
) -> Result<R, ServiceError> {
    let mut api = None;
    let out = store.read(|c| match f(c) {
        Ok(v) => Ok(Some(v)),
        Err(Fail::Sql(e)) => Err(e),
        Err(Fail::Api(e)) => {
            api = Some(e);
            Ok(None)
        }
    });
    match (out, api) {
        (_, Some(e)) => Err(e),
        (Ok(Some(v)), None) => Ok(v),
        (Ok(None), None) => Err(ServiceError::new(
            ErrorCode::InternalError,
            "a read stopped without an answer",
        )),
        (Err(e), None) => Err(internal(e)),
    }
}

/// The one row `sql` selects, through the connection's statement cache (the same few
/// lookups run on every request).
pub(crate) fn one<T, P: rusqlite::Params>(
    c: &Connection,
    sql: &str,
    params: P,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    c.prepare_cached(sql)?.query_row(params, f)
}

/// A fresh ID `<prefix>-` followed by eight lowercase letters and digits, the shape of
/// CAR's `app-…`, `ver-…` and `cap-…` IDs. `taken` says whether a candidate is in use.
pub(crate) fn fresh_id(
    prefix: &str,
    mut taken: impl FnMut(&str) -> rusqlite::Result<bool>,
) -> Outcome<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    // 36^8 IDs: a clash is rare, so a handful of draws always suffices in practice.
    for _ in 0..16 {
        let mut rng = rand::thread_rng();
        let tail: String = (0..8)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        let id = format!("{prefix}-{tail}");
        if !taken(&id)? {
            return Ok(id);
        }
    }
    Err(Fail::Api(ServiceError::new(
        ErrorCode::InternalError,
        format!("could not draw a free {prefix}- ID"),
    )))
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC), the form CAR's `CreateTime` members take.
pub(crate) fn iso8601(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The page size used when a request leaves `Limit` out or sends 0 (as Tencent's own
/// DescribeConcurrentPackages example does).
pub(crate) const DEFAULT_LIMIT: i64 = 20;
/// The largest page.
pub(crate) const MAX_LIMIT: i64 = 100;

/// Checks `Offset`/`Limit` and returns them as indices into a listing.
pub(crate) fn page(
    offset: Option<i64>,
    limit: Option<i64>,
) -> Result<(usize, usize), ServiceError> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(0);
    if offset < 0 {
        return Err(invalid_value(
            "Offset",
            "a number of items to skip, 0 or more",
            offset,
        ));
    }
    if !(0..=MAX_LIMIT).contains(&limit) {
        return Err(invalid_value(
            "Limit",
            format_args!("a page size from 1 to {MAX_LIMIT} (0 means {DEFAULT_LIMIT})"),
            limit,
        ));
    }
    let limit = if limit == 0 { DEFAULT_LIMIT } else { limit };
    Ok((
        usize::try_from(offset).unwrap_or(usize::MAX),
        usize::try_from(limit).unwrap_or(0),
    ))
}

/// The items of `all` on the page `(offset, limit)`.
pub(crate) fn slice<T>(all: Vec<T>, (offset, limit): (usize, usize)) -> Vec<T> {
    all.into_iter().skip(offset).take(limit).collect()
}

/// `InvalidParameterValue` naming the parameter, what it must be and what was given.
pub(crate) fn invalid_value(
    parameter: &str,
    expected: impl Display,
    given: impl std::fmt::Debug,
) -> ServiceError {
    ServiceError::new(
        ErrorCode::InvalidParameterValue,
        format!("{parameter} must be {expected}; given {given:?}"),
    )
}

/// The application `id` does not exist for this account (also when another account owns it).
pub(crate) fn application_not_found(id: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::FailedOperationApplicationNotFind,
        format!("ApplicationId {id:?} names no application of this account"),
    )
}

/// An error with `code` and `message`.
pub(crate) fn refuse(code: ErrorCode, message: impl Into<String>) -> Fail {
    Fail::Api(ServiceError::new(code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_dates() {
        // Values from `date -u -d @N +%Y-%m-%dT%H:%M:%SZ`.
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_630_224_030), "2021-08-29T08:00:30Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn paging_defaults_and_refusals() {
        assert_eq!(page(None, None).unwrap(), (0, 20));
        assert_eq!(page(Some(5), Some(100)).unwrap(), (5, 100));
        let e = page(Some(-1), Some(10)).unwrap_err();
        assert_eq!(e.code().code(), "InvalidParameterValue");
        assert!(e.message().contains("Offset"), "{e}");
        let e = page(Some(0), Some(101)).unwrap_err();
        assert!(
            e.message().contains("Limit") && e.message().contains("101"),
            "{e}"
        );
    }
}
