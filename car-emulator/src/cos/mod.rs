//! The COS XML API side: the object and multipart operations an uploader needs, signed
//! with temporary keys from DescribeCosCredential.

use std::sync::Arc;

use crate::clock::Clock;
use crate::store::Store;

/// What the COS side needs: the store, the clock and the one bucket it serves.
#[derive(Clone)]
pub struct CosState {
    /// Metadata and object bodies.
    pub store: Arc<Store>,
    /// Dates signatures and grants.
    pub clock: Arc<dyn Clock>,
    /// The bucket served (`name-appid`).
    pub bucket: String,
    /// Its region.
    pub region: String,
}

/// The COS XML API for [`CosState::bucket`]. (Replaced by the COS side's implementation.)
pub fn router(state: CosState) -> axum::Router {
    let _ = state;
    axum::Router::new()
}
