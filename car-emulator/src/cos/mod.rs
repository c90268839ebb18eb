//! The COS XML API side: the object and multipart operations an uploader needs, signed
//! with temporary keys from DescribeCosCredential.
//!
//! [`router`] serves one bucket: at its own listener with no bucket in host or path (as
//! SDKs address a custom domain), and when `Host` is `<bucket>.cos.<region>.myqcloud.com`.

mod auth;
mod body;
pub use car_api::cos_crc as crc;
mod errors;
mod listing;
mod multipart;
mod objects;
mod request;
mod router;
mod xml;

use std::sync::Arc;

use crate::clock::Clock;
use crate::store::Store;

pub use errors::Code;
pub use router::{operation_name, router};

/// What the COS side needs: the store, the clock, and the one bucket it serves.
#[derive(Clone)]
pub struct CosState {
    /// Metadata and object bodies.
    pub store: Arc<Store>,
    /// Time for grant expiry and signature windows.
    pub clock: Arc<dyn Clock>,
    /// The bucket served (`name-appid`).
    pub bucket: String,
    /// Its region.
    pub region: String,
}

impl std::fmt::Debug for CosState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosState")
            .field("store", &self.store)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl CosState {
    /// Runs blocking store work off the async threads (a commit waits for fsync).
    async fn db<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<R, errors::CosError> + Send + 'static,
    ) -> Result<R, errors::CosError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| errors::CosError::internal("a store task failed", e))?
    }

    /// `<bucket>.cos.<region>.myqcloud.com`, as COS names resources in answers.
    fn host(&self) -> String {
        format!("{}.cos.{}.myqcloud.com", self.bucket, self.region)
    }
}

/// `2020-03-25T10:07:15.000Z` for Unix seconds `secs`, the form COS's XML uses.
fn iso8601(secs: i64) -> String {
    let (y, m, d) = car_api::signing::civil_from_unix(secs);
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// An HTTP date (`Last-Modified`) for Unix seconds `secs`.
fn http_date(secs: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    httpdate::fmt_http_date(t)
}

/// Percent-encodes a key for `encoding-type=url` answers: `%20` for a space (the SDK
/// decodes with `unquote`, which leaves `+` alone), `/` kept.
fn url_encode_key(key: &str) -> String {
    key.split('/')
        .map(car_api::cos_signing::encode)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_coss_two_forms() {
        // `date -u -d @1585130821` → Wed Mar 25 10:07:01 UTC 2020.
        assert_eq!(iso8601(1_585_130_821), "2020-03-25T10:07:01.000Z");
        assert_eq!(http_date(1_585_130_821), "Wed, 25 Mar 2020 10:07:01 GMT");
    }

    #[test]
    fn encoded_keys_use_percent_20_and_keep_slashes() {
        assert_eq!(
            url_encode_key("apps/a b+c/云.zip"),
            "apps/a%20b%2Bc/%E4%BA%91.zip"
        );
    }
}
