//! Release failures: before anything is created (nothing to clean up), or at a step after
//! the version exists (with its state and what to run next).

use std::fmt;

/// A step of the release that runs once the version exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// DescribeCosCredential.
    Credentials,
    /// The COS upload.
    Upload,
    /// CreateApplicationSnapshot.
    Snapshot,
    /// Waiting until the version is processed.
    Wait,
    /// DescribeApplicationFileInfo for the launch path.
    LaunchPath,
    /// SetApplicationVersionOnline.
    Online,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Credentials => "getting upload credentials (DescribeCosCredential)",
            Step::Upload => "uploading the package",
            Step::Snapshot => "starting processing (CreateApplicationSnapshot)",
            Step::Wait => "waiting for the version to be ready",
            Step::LaunchPath => "checking the launch path (DescribeApplicationFileInfo)",
            Step::Online => "releasing the version (SetApplicationVersionOnline)",
        })
    }
}

/// Why a release stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// A check before anything was created failed; nothing was created.
    #[error("{message} (nothing was created)")]
    Preflight {
        /// What is wrong, naming the parameter and what was given.
        message: String,
    },
    /// A step after CreateApplicationVersion failed.
    #[error("{step} failed for version {version_id} (now {version_state}): {message}\n  to resume: {resume}\n  to clean up: {cleanup}")]
    Step {
        /// The step.
        step: Step,
        /// The version created.
        version_id: String,
        /// Its state as last seen.
        version_state: String,
        /// What went wrong.
        message: String,
        /// The command that continues from here.
        resume: String,
        /// The command that removes the version.
        cleanup: String,
    },
    /// A CAR call before the version existed failed.
    #[error("{action}: {source}")]
    Api {
        /// The action.
        action: &'static str,
        /// The client's error.
        #[source]
        source: car_api::Error,
    },
}

impl ReleaseError {
    pub(crate) fn preflight(message: impl Into<String>) -> ReleaseError {
        ReleaseError::Preflight {
            message: message.into(),
        }
    }

    /// The step that failed, if the version exists.
    pub fn step(&self) -> Option<Step> {
        match self {
            ReleaseError::Step { step, .. } => Some(*step),
            _ => None,
        }
    }
}
