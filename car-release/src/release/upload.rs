//! The package upload of a release (and of `car app upload`): an unfinished upload COS
//! holds for the version's key is continued even without a local checkpoint, then the
//! file goes up.

use std::path::Path;
use std::sync::Arc;

use super::credentials::CarCosCredentials;
use crate::cos::{
    adopt_unfinished_upload, upload_file, CosError, Target, UploadOptions, UploadReport,
};

/// Uploads `path` to `target` with keys from DescribeCosCredential, continuing an
/// unfinished upload of the same key that COS lists when no checkpoint names one.
pub async fn upload_package(
    path: &Path,
    target: &Target,
    credentials: CarCosCredentials,
    options: &UploadOptions,
) -> Result<UploadReport, CosError> {
    let credentials = Arc::new(credentials);
    // Finding an old upload is a saving, not a requirement: if COS cannot list, the
    // upload starts afresh (and meets the same trouble there, with its own error).
    if let Err(e) = adopt_unfinished_upload(path, target, credentials.clone(), options).await {
        tracing::warn!(error = %e, "cannot look for unfinished uploads in COS");
    }
    upload_file(path, target, credentials, options).await
}
