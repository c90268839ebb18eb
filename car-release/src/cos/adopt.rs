//! Finding an unfinished upload without a local checkpoint: another machine, a wiped
//! home directory or another `--checkpoint-dir` started it. COS lists it (List Multipart
//! Uploads with the object key as prefix, as cos-python-sdk-v5's resume asks), and a
//! checkpoint naming it, with no parts acknowledged, is written; [`super::upload_file`]
//! then continues it, keeping only the parts whose size and MD5 ETag match the local
//! file's, so parts of another file are never mixed in.

use std::path::Path;
use std::sync::Arc;

use super::checkpoint::{self, FileIdentity, Record};
use super::client::ListedUpload;
use super::credentials::CredentialSource;
use super::error::CosError;
use super::plan::PartPlan;
use super::upload::{client_for, Target, UploadOptions};

/// The newest unfinished upload of exactly `key` among `uploads`. `Initiated` is an
/// ISO-8601 time in one format, so its text orders like the time.
fn newest<'a>(uploads: &'a [ListedUpload], key: &str) -> Option<&'a ListedUpload> {
    uploads
        .iter()
        .filter(|u| u.key == key)
        .max_by(|a, b| a.initiated.cmp(&b.initiated))
}

/// Records the newest unfinished upload of `target` in `options.checkpoint_dir` when
/// there is no checkpoint for it yet, so the next [`super::upload_file`] with the same
/// options continues it; returns its upload ID. Does nothing (and asks COS nothing)
/// without a checkpoint directory, for a file that goes up in one PUT, or when a
/// checkpoint exists (the uploader checks that one itself).
pub async fn adopt_unfinished_upload(
    path: &Path,
    target: &Target,
    credentials: Arc<dyn CredentialSource>,
    options: &UploadOptions,
) -> Result<Option<String>, CosError> {
    let Some(dir) = &options.checkpoint_dir else {
        return Ok(None);
    };
    let at = checkpoint::path_for(dir, &target.bucket, &target.key);
    if checkpoint::load(&at).is_some() {
        return Ok(None);
    }
    let identity = FileIdentity::of(path)?;
    if identity.size <= options.multipart_threshold {
        return Ok(None);
    }
    let plan = PartPlan::new(identity.size, options.part_size)?;
    let client = client_for(target, credentials, options)?;
    let uploads = client.list_uploads(&target.key).await?;
    let Some(found) = newest(&uploads, &target.key) else {
        return Ok(None);
    };
    tracing::info!(upload_id = %found.upload_id, key = %target.key, "continuing an unfinished upload found in COS");
    checkpoint::save(
        &at,
        &Record {
            bucket: target.bucket.clone(),
            key: target.key.clone(),
            upload_id: found.upload_id.clone(),
            part_size: plan.part_size,
            file: identity,
            parts: Vec::new(),
        },
    )?;
    Ok(Some(found.upload_id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(key: &str, id: &str, initiated: Option<&str>) -> ListedUpload {
        ListedUpload {
            key: key.into(),
            upload_id: id.into(),
            initiated: initiated.map(Into::into),
        }
    }

    #[test]
    fn the_newest_upload_of_exactly_the_key_is_chosen() {
        let uploads = [
            upload("a/b.zip", "old", Some("2026-01-01T00:00:00.000Z")),
            upload("a/b.zip", "new", Some("2026-01-02T00:00:00.000Z")),
            upload("a/b.zip.bak", "other-key", Some("2026-01-03T00:00:00.000Z")),
        ];
        assert_eq!(newest(&uploads, "a/b.zip").unwrap().upload_id, "new");
        assert!(newest(&uploads, "a/c.zip").is_none());
    }
}
