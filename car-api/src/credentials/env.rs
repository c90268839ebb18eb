//! Credentials and region from `TENCENTCLOUD_*` environment variables, with the
//! variable lookup injectable so tests never touch the process environment.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// SecretId variable, as in the official SDKs and tccli.
pub const SECRET_ID_VAR: &str = "TENCENTCLOUD_SECRET_ID";
/// SecretKey variable.
pub const SECRET_KEY_VAR: &str = "TENCENTCLOUD_SECRET_KEY";
/// Session token variable read first.
pub const TOKEN_VAR: &str = "TENCENTCLOUD_TOKEN";
/// Session token variable read when [`TOKEN_VAR`] is unset.
pub const SESSION_TOKEN_VAR: &str = "TENCENTCLOUD_SESSION_TOKEN";
/// Region variable.
pub const REGION_VAR: &str = "TENCENTCLOUD_REGION";

const SOURCE: &str = "environment";

type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// A view of environment variables: the process environment, a fixed map, or any
/// function. Empty values count as unset, as in the official SDKs.
#[derive(Clone)]
pub struct Env {
    lookup: Arc<LookupFn>,
}

impl Env {
    /// The real process environment.
    pub fn process() -> Self {
        Env::from_fn(|name| std::env::var(name).ok())
    }

    /// A fixed set of variables (for tests, or for configuration read elsewhere).
    pub fn from_map<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Env::from_fn(move |name| map.get(name).cloned())
    }

    /// Any lookup function.
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Env {
            lookup: Arc::new(lookup),
        }
    }

    /// The variable's value, `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.is_empty())
    }

    /// The home directory: `HOME`, or `USERPROFILE` on Windows.
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.get("HOME")
            .or_else(|| {
                if cfg!(windows) {
                    self.get("USERPROFILE")
                } else {
                    None
                }
            })
            .map(PathBuf::from)
    }

    /// `TENCENTCLOUD_REGION`, if set.
    pub fn region(&self) -> Option<String> {
        self.get(REGION_VAR)
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::process()
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Env { .. }")
    }
}

/// Reads `TENCENTCLOUD_SECRET_ID`/`TENCENTCLOUD_SECRET_KEY` and the token from
/// `TENCENTCLOUD_TOKEN` or `TENCENTCLOUD_SESSION_TOKEN`.
#[derive(Debug, Clone, Default)]
pub struct EnvProvider {
    env: Env,
}

impl EnvProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        EnvProvider {
            env: Env::process(),
        }
    }

    /// Reads the given variables instead of the process environment.
    pub fn with_env(env: Env) -> Self {
        EnvProvider { env }
    }

    /// The credentials now in the environment (no I/O).
    pub fn read(&self) -> Result<Credentials, CredentialsError> {
        let id = self.env.get(SECRET_ID_VAR);
        let key = self.env.get(SECRET_KEY_VAR);
        let (id, key) = match (id, key) {
            (Some(id), Some(key)) => (id, key),
            (None, None) => {
                return Err(CredentialsError::not_configured(
                    SOURCE,
                    format!("{SECRET_ID_VAR} and {SECRET_KEY_VAR} are not set"),
                ))
            }
            (Some(_), None) => {
                return Err(CredentialsError::invalid(
                    SOURCE,
                    format!("{SECRET_ID_VAR} is set but {SECRET_KEY_VAR} is not"),
                ))
            }
            (None, Some(_)) => {
                return Err(CredentialsError::invalid(
                    SOURCE,
                    format!("{SECRET_KEY_VAR} is set but {SECRET_ID_VAR} is not"),
                ))
            }
        };
        let (token, token_var) = match self.env.get(TOKEN_VAR) {
            Some(t) => (Some(t), TOKEN_VAR),
            None => (self.env.get(SESSION_TOKEN_VAR), SESSION_TOKEN_VAR),
        };
        let mut credentials = Credentials::new(id, key);
        credentials.token = token;
        super::check_credentials(
            credentials,
            SOURCE,
            [SECRET_ID_VAR, SECRET_KEY_VAR, token_var],
        )
    }
}

impl ProvideCredentials for EnvProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let result = self.read();
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pair_and_token_fallback() {
        let env = Env::from_map([
            (SECRET_ID_VAR, "AKIDenv"),
            (SECRET_KEY_VAR, "keyenv"),
            (SESSION_TOKEN_VAR, "tok2"),
        ]);
        let c = EnvProvider::with_env(env).read().unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.secret_key.as_str()),
            ("AKIDenv", "keyenv")
        );
        assert_eq!(c.token.as_deref(), Some("tok2"));

        let env = Env::from_map([
            (SECRET_ID_VAR, "a"),
            (SECRET_KEY_VAR, "b"),
            (TOKEN_VAR, "tok1"),
            (SESSION_TOKEN_VAR, "tok2"),
        ]);
        assert_eq!(
            EnvProvider::with_env(env).read().unwrap().token.as_deref(),
            Some("tok1")
        );
    }

    #[test]
    fn half_set_pair_is_invalid_and_names_the_variables() {
        let env = Env::from_map([(SECRET_KEY_VAR, "only-the-key")]);
        let err = EnvProvider::with_env(env).read().unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment: TENCENTCLOUD_SECRET_KEY is set but TENCENTCLOUD_SECRET_ID is not"
        );
        assert!(!err.is_not_configured());
    }

    #[test]
    fn whitespace_is_invalid_and_names_the_variable() {
        let env = Env::from_map([
            (SECRET_ID_VAR, "AKIDenv"),
            (SECRET_KEY_VAR, "key"),
            (SESSION_TOKEN_VAR, "tok\r"),
        ]);
        let err = EnvProvider::with_env(env).read().unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment: TENCENTCLOUD_SESSION_TOKEN contains a line break at character 4 of 4"
        );
    }

    #[test]
    fn unset_or_empty_is_not_configured() {
        let err = EnvProvider::with_env(Env::from_map([(SECRET_ID_VAR, "")]))
            .read()
            .unwrap_err();
        assert!(err.is_not_configured());
    }

    #[test]
    fn region_helper() {
        assert_eq!(
            Env::from_map([(REGION_VAR, "ap-singapore")])
                .region()
                .as_deref(),
            Some("ap-singapore")
        );
        assert_eq!(Env::from_map([(REGION_VAR, "")]).region(), None);
    }
}
