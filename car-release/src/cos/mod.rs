//! The COS XML API as an uploader needs it: signed requests with temporary keys
//! ([`CosClient`]), and [`upload_file`], which streams a file from disk as one PUT or as
//! concurrent parts, checks every CRC-64 and resumes from a local checkpoint.

mod adopt;
mod checkpoint;
mod client;
mod credentials;
mod error;
mod plan;
mod progress;
mod upload;
mod xml;

pub use adopt::adopt_unfinished_upload;
pub use car_api::cos_crc::{combine as crc64_combine, Crc64};
pub use client::{CosClient, ListedPart, ListedUpload, PartReceipt};
pub use credentials::{CosCredentials, CredentialSource, Now, StaticCredentials};
pub use error::{CosError, ServiceError};
pub use plan::{PartPlan, MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};
pub use progress::{Progress, ProgressEvent};
pub use upload::{upload_file, Target, UploadOptions, UploadReport};
