//! The keys the CAR side accepts. One permanent key pair per data directory, generated
//! at random the first time the directory is used and kept in the store, so a data
//! directory keeps its credentials across restarts (and `car --local` finds them again).
//!
//! Temporary keys: the CAR side also accepts STS-style keys (SecretId, SecretKey and a
//! token sent as `X-TC-Token`) that [`Accounts::issue_temporary`] creates for the same
//! account, so clients' token handling can be tested. A temporary key without its token,
//! with another token, or after its expiry is refused with `AuthFailure.TokenFailure`;
//! a permanent key sent with a token is refused the same way (the token names no
//! session of that key).

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;
use rusqlite::params;

use crate::car::Account;
use crate::store::{Store, StoreError};

/// The keys table; `token` and `expired_time` are NULL for the permanent key.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS car_keys (
    secret_id    TEXT PRIMARY KEY,
    secret_key   TEXT NOT NULL,
    uin          TEXT NOT NULL,
    app_id       INTEGER NOT NULL,
    token        TEXT,
    expired_time INTEGER
);";

/// One key pair the CAR side accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// `AKID…`.
    pub secret_id: String,
    /// The signing secret.
    pub secret_key: String,
    /// The account the key belongs to.
    pub account: Account,
    /// For a temporary key: the `X-TC-Token` it needs and its expiry (Unix seconds).
    pub temporary: Option<(String, i64)>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field(
                "secret_id",
                &car_api::signing::mask_secret_id(&self.secret_id),
            )
            .field("secret_key", &"** redacted **")
            .field("account", &self.account)
            .field(
                "temporary",
                &self
                    .temporary
                    .as_ref()
                    .map(|(_, exp)| ("** redacted **", exp)),
            )
            .finish()
    }
}

/// Every key of the data directory, read once and kept in memory (keys change only
/// through this type, which writes through to the store first).
pub struct Accounts {
    keys: RwLock<HashMap<String, Key>>,
    permanent: Key,
}

impl fmt::Debug for Accounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accounts")
            .field("permanent", &self.permanent)
            .finish_non_exhaustive()
    }
}

impl Accounts {
    /// Loads the keys, creating the permanent key pair on first use of the directory.
    pub fn open(store: &Store) -> Result<Accounts, StoreError> {
        store.ensure_schema(SCHEMA)?;
        let candidate = new_permanent_key(&mut rand::thread_rng());
        // Insert-if-absent in one transaction, so the key pair is created exactly once.
        store.write(|tx| {
            let existing: i64 = tx.query_row(
                "SELECT COUNT(*) FROM car_keys WHERE token IS NULL",
                [],
                |r| r.get(0),
            )?;
            if existing == 0 {
                tx.execute(
                    "INSERT INTO car_keys (secret_id, secret_key, uin, app_id) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        candidate.secret_id,
                        candidate.secret_key,
                        candidate.account.uin,
                        candidate.account.app_id as i64
                    ],
                )?;
            }
            Ok(())
        })?;
        let keys = store.read(|c| {
            let mut st = c.prepare(
                "SELECT secret_id, secret_key, uin, app_id, token, expired_time FROM car_keys ORDER BY rowid",
            )?;
            let rows = st.query_map([], |r| {
                let token: Option<String> = r.get(4)?;
                let expired: Option<i64> = r.get(5)?;
                Ok(Key {
                    secret_id: r.get(0)?,
                    secret_key: r.get(1)?,
                    account: Account {
                        uin: r.get(2)?,
                        app_id: r.get::<_, i64>(3)? as u64,
                    },
                    temporary: token.zip(expired),
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<Key>>>()
        })?;
        let permanent = keys
            .iter()
            .find(|k| k.temporary.is_none())
            .cloned()
            .ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows))?;
        Ok(Accounts {
            keys: RwLock::new(keys.into_iter().map(|k| (k.secret_id.clone(), k)).collect()),
            permanent,
        })
    }

    /// The data directory's permanent key pair.
    pub fn permanent(&self) -> &Key {
        &self.permanent
    }

    /// The key with this SecretId, if there is one.
    pub fn find(&self, secret_id: &str) -> Option<Key> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(secret_id)
            .cloned()
    }

    /// Issues a temporary key for the permanent key's account, valid until `expired_time`
    /// (Unix seconds), stored so it outlives a restart like a real STS key.
    pub fn issue_temporary(&self, store: &Store, expired_time: i64) -> Result<Key, StoreError> {
        let mut rng = rand::thread_rng();
        let key = Key {
            secret_id: format!("AKID{}", Alphanumeric.sample_string(&mut rng, 32)),
            secret_key: Alphanumeric.sample_string(&mut rng, 32),
            account: self.permanent.account.clone(),
            temporary: Some((Alphanumeric.sample_string(&mut rng, 64), expired_time)),
        };
        let (token, _) = key.temporary.as_ref().expect("set above");
        store.write(|tx| {
            tx.execute(
                "INSERT INTO car_keys (secret_id, secret_key, uin, app_id, token, expired_time) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    key.secret_id,
                    key.secret_key,
                    key.account.uin,
                    key.account.app_id as i64,
                    token,
                    expired_time
                ],
            )
        })?;
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.secret_id.clone(), key.clone());
        Ok(key)
    }
}

/// A fresh permanent key pair: `AKID` + 32 characters and a 32-character key (the shape
/// of Tencent's keys), a 12-digit UIN and a 10-digit APPID starting `13` (as newer
/// accounts' do).
fn new_permanent_key(rng: &mut impl Rng) -> Key {
    Key {
        secret_id: format!("AKID{}", Alphanumeric.sample_string(rng, 32)),
        secret_key: Alphanumeric.sample_string(rng, 32),
        account: Account {
            uin: rng
                .gen_range(100_000_000_000u64..1_000_000_000_000)
                .to_string(),
            app_id: rng.gen_range(1_300_000_000u64..1_400_000_000),
        },
        temporary: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_directory_keeps_its_key_and_a_new_one_gets_another() {
        let dir = tempfile::tempdir().unwrap();
        let first = {
            let store = Store::open(dir.path()).unwrap();
            Accounts::open(&store).unwrap().permanent().clone()
        };
        assert!(first.secret_id.starts_with("AKID") && first.secret_id.len() == 36);
        assert_eq!(first.secret_key.len(), 32);
        assert_eq!(first.account.uin.len(), 12);
        assert_eq!(first.account.app_id.to_string().len(), 10);
        let again = {
            let store = Store::open(dir.path()).unwrap();
            Accounts::open(&store).unwrap().permanent().clone()
        };
        assert_eq!(again, first);

        let other = tempfile::tempdir().unwrap();
        let store = Store::open(other.path()).unwrap();
        assert_ne!(
            Accounts::open(&store).unwrap().permanent().secret_id,
            first.secret_id
        );
    }

    #[test]
    fn temporary_keys_survive_a_restart_and_debug_shows_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let issued = {
            let store = Store::open(dir.path()).unwrap();
            let accounts = Accounts::open(&store).unwrap();
            let key = accounts.issue_temporary(&store, 1_800_000_000).unwrap();
            assert_eq!(key.account, accounts.permanent().account);
            key
        };
        let store = Store::open(dir.path()).unwrap();
        let found = Accounts::open(&store).unwrap().find(&issued.secret_id);
        assert_eq!(found.as_ref(), Some(&issued));
        let shown = format!("{issued:?}");
        let (token, _) = issued.temporary.as_ref().unwrap();
        assert!(!shown.contains(&issued.secret_key), "{shown}");
        assert!(!shown.contains(token.as_str()), "{shown}");
        assert!(!shown.contains(&issued.secret_id), "{shown}");
    }
}
