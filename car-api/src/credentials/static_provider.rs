//! Credentials given directly by the caller.

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// Always returns the same credentials (explicit keys from code or command-line flags).
///
/// Fails with [`CredentialsError::Expired`] once their `expires_at` has passed, since
/// nothing can refresh them.
#[derive(Clone)]
pub struct StaticProvider {
    credentials: Credentials,
    source_name: String,
}

impl StaticProvider {
    /// Wraps explicit credentials; errors name the source `explicit credentials`.
    pub fn new(credentials: Credentials) -> Self {
        Self::named(credentials, "explicit credentials")
    }

    /// Wraps credentials read from somewhere else, keeping that name for errors.
    pub fn named(credentials: Credentials, source_name: impl Into<String>) -> Self {
        StaticProvider {
            credentials,
            source_name: source_name.into(),
        }
    }

    /// The wrapped credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    fn check(&self) -> Result<Credentials, CredentialsError> {
        match self.credentials.expires_at {
            Some(at) if self.credentials.is_expired() => {
                Err(CredentialsError::expired(self.source_name.clone(), at))
            }
            _ => super::check_credentials(
                self.credentials.clone(),
                &self.source_name,
                ["SecretId", "SecretKey", "token"],
            ),
        }
    }
}

impl std::fmt::Debug for StaticProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticProvider")
            .field("source", &self.source_name)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl ProvideCredentials for StaticProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        let result = self.check();
        Box::pin(async move { result })
    }
}

impl From<Credentials> for StaticProvider {
    fn from(credentials: Credentials) -> Self {
        StaticProvider::new(credentials)
    }
}
