//! The release workflow over [`car_api::Client`]: pre-flight checks that create nothing,
//! then CreateApplicationVersion, DescribeCosCredential, the upload, CreateApplicationSnapshot,
//! the wait for the version, and optionally the launch-path check and SetApplicationVersionOnline.
//! Every failure after the version exists names the step, the version's state and the
//! command that resumes or cleans up.

mod credentials;
mod error;
mod preflight;
mod upload;
mod workflow;

pub use credentials::CarCosCredentials;
pub use error::{ReleaseError, Step};
pub use preflight::{allowed_extensions, check_package};
pub use upload::upload_package;
pub use workflow::{
    find_application, put_online, release, versions, wait_ready, PackageSource, ReleaseOptions,
    ReleaseReport, VERSION_LIMIT,
};
