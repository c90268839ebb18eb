//! Temporary COS keys: DescribeCosCredential issues them (CAR side), the COS side honours
//! each one only for requests under its path prefix, in its bucket, until it expires.
//! The record lives in the store so a grant survives an emulator restart, as real
//! temporary keys outlive any one connection.

use std::fmt;

use rand::distributions::Alphanumeric;
use rand::Rng;
use rusqlite::{params, OptionalExtension};

use crate::store::{Store, StoreError};

/// The grants table.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cos_grants (
    secret_id     TEXT PRIMARY KEY,
    secret_key    TEXT NOT NULL,
    session_token TEXT NOT NULL,
    bucket        TEXT NOT NULL,
    region        TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    start_time    INTEGER NOT NULL,
    expired_time  INTEGER NOT NULL
);";

/// One set of temporary COS keys and what they allow.
#[derive(Clone, PartialEq, Eq)]
pub struct CosGrant {
    /// The temporary SecretId (`AKID…`).
    pub secret_id: String,
    /// The temporary SecretKey.
    pub secret_key: String,
    /// The token sent as `x-cos-security-token`.
    pub session_token: String,
    /// The bucket the keys are for (`name-appid`).
    pub bucket: String,
    /// The bucket's region.
    pub region: String,
    /// Object keys the grant covers start with this (no leading `/`).
    pub prefix: String,
    /// Valid from (Unix seconds).
    pub start_time: i64,
    /// Valid until (Unix seconds, exclusive).
    pub expired_time: i64,
}

impl fmt::Debug for CosGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosGrant")
            .field(
                "secret_id",
                &car_api::signing::mask_secret_id(&self.secret_id),
            )
            .field("secret_key", &"** redacted **")
            .field("session_token", &"** redacted **")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .field("start_time", &self.start_time)
            .field("expired_time", &self.expired_time)
            .finish()
    }
}

impl CosGrant {
    /// Whether the grant is valid at `now` (Unix seconds).
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.start_time <= now && now < self.expired_time
    }

    /// Whether the grant covers object `key` (decoded, without a leading `/`) in `bucket`.
    pub fn covers(&self, bucket: &str, key: &str) -> bool {
        bucket == self.bucket && key.starts_with(&self.prefix)
    }
}

fn random(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Issues and records fresh keys for `prefix` in `bucket`, valid from `now` for `ttl_secs`.
pub fn issue(
    store: &Store,
    bucket: &str,
    region: &str,
    prefix: &str,
    now: i64,
    ttl_secs: i64,
) -> Result<CosGrant, StoreError> {
    let grant = CosGrant {
        secret_id: format!("AKID{}", random(32)),
        secret_key: random(32),
        session_token: random(96),
        bucket: bucket.to_string(),
        region: region.to_string(),
        prefix: prefix.to_string(),
        start_time: now,
        expired_time: now.saturating_add(ttl_secs),
    };
    store.write(|tx| {
        tx.execute(
            "INSERT INTO cos_grants (secret_id, secret_key, session_token, bucket, region, prefix, start_time, expired_time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                grant.secret_id,
                grant.secret_key,
                grant.session_token,
                grant.bucket,
                grant.region,
                grant.prefix,
                grant.start_time,
                grant.expired_time
            ],
        )
    })?;
    Ok(grant)
}

/// The grant whose SecretId is `secret_id`, if one was ever issued.
pub fn lookup(store: &Store, secret_id: &str) -> Result<Option<CosGrant>, StoreError> {
    store.read(|c| {
        c.query_row(
            "SELECT secret_id, secret_key, session_token, bucket, region, prefix, start_time, expired_time
             FROM cos_grants WHERE secret_id = ?1",
            [secret_id],
            |r| {
                Ok(CosGrant {
                    secret_id: r.get(0)?,
                    secret_key: r.get(1)?,
                    session_token: r.get(2)?,
                    bucket: r.get(3)?,
                    region: r.get(4)?,
                    prefix: r.get(5)?,
                    start_time: r.get(6)?,
                    expired_time: r.get(7)?,
                })
            },
        )
        .optional()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_grant_is_found_again_and_covers_only_its_prefix_and_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.ensure_schema(SCHEMA).unwrap();
        let g = issue(
            &store,
            "car-1250000000",
            "ap-guangzhou",
            "100/app-1/ver-1/",
            1000,
            1800,
        )
        .unwrap();
        let found = lookup(&store, &g.secret_id).unwrap().unwrap();
        assert_eq!(found, g);
        assert!(g.covers("car-1250000000", "100/app-1/ver-1/app-1.zip"));
        assert!(!g.covers("car-1250000000", "100/app-1/ver-2/app-1.zip"));
        assert!(!g.covers("other-1250000000", "100/app-1/ver-1/app-1.zip"));
        assert!(g.is_valid_at(1000) && g.is_valid_at(2799));
        assert!(!g.is_valid_at(999) && !g.is_valid_at(2800));
        assert_eq!(lookup(&store, "AKIDnope").unwrap(), None);
        let shown = format!("{g:?}");
        assert!(
            !shown.contains(&g.secret_key) && !shown.contains(&g.session_token),
            "{shown}"
        );
    }
}
