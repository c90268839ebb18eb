//! Temporary COS keys (DescribeCosCredential's SecretID, SecretKey, SessionToken) and
//! where fresh ones come from when the current ones near expiry.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;

use super::error::CosError;

/// One set of temporary COS keys.
#[derive(Clone, PartialEq, Eq)]
pub struct CosCredentials {
    /// `q-ak`.
    pub secret_id: String,
    /// The HMAC key; never shown.
    pub secret_key: String,
    /// Sent as `x-cos-security-token`; never shown.
    pub session_token: Option<String>,
    /// When the keys stop working (Unix seconds); `None` for long-lived keys.
    pub expired_time: Option<i64>,
}

impl fmt::Debug for CosCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosCredentials")
            .field(
                "secret_id",
                &car_api::signing::mask_secret_id(&self.secret_id),
            )
            .field("secret_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expired_time", &self.expired_time)
            .finish()
    }
}

/// Where keys come from. Asked once at the start and again whenever the keys in use are
/// about to expire or COS says they have.
pub trait CredentialSource: Send + Sync {
    /// Fresh keys.
    fn fetch(&self) -> BoxFuture<'_, Result<CosCredentials, CosError>>;
}

/// The same keys every time (long-lived keys, or a test).
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub CosCredentials);

impl CredentialSource for StaticCredentials {
    fn fetch(&self) -> BoxFuture<'_, Result<CosCredentials, CosError>> {
        let c = self.0.clone();
        Box::pin(async move { Ok(c) })
    }
}

/// The current time in Unix seconds, for signature windows and key expiry; tests give a
/// manual clock instead of the system's.
#[derive(Clone)]
pub struct Now(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Now {
    /// A clock reading `f`.
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Now {
        Now(Arc::new(f))
    }

    /// The system clock.
    pub fn system() -> Now {
        Now::from_fn(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }

    /// The time now.
    pub fn get(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Now {
    fn default() -> Self {
        Now::system()
    }
}

impl fmt::Debug for Now {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Now")
    }
}
