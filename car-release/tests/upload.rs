//! The uploader against the emulator's COS side on loopback.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use car_release::cos::{upload_file, CosError, Progress, ProgressEvent, UploadOptions};
use support::*;

/// CRC-64/XZ computed with the crate directly, independently of the uploader's code.
fn crc64(data: &[u8]) -> u64 {
    let mut digest = crc64fast::Digest::new();
    digest.write(data);
    digest.sum64()
}

async fn upload(
    cos: &Cos,
    path: &std::path::Path,
    options: &UploadOptions,
) -> Result<car_release::cos::UploadReport, CosError> {
    upload_file(path, &cos.target(), cos.issuer.clone(), options).await
}

#[tokio::test]
async fn a_small_file_goes_in_one_put_with_its_crc_checked() {
    let cos = Cos::start().await;
    let bytes = data(300_000, 1);
    let path = write_file(cos.dir.path(), "small.zip", &bytes);
    let report = upload(&cos, &path, &cos.options()).await.expect("upload");
    assert_eq!(report.parts, 1);
    assert_eq!(report.upload_id, None);
    assert_eq!(report.crc64, crc64(&bytes));
    assert_eq!(cos.faults.puts.load(Ordering::SeqCst), 1);
    assert_eq!(cos.parts_sent(), 0);
    assert_eq!(cos.object().await, bytes);
}

#[tokio::test]
async fn a_large_file_goes_in_concurrent_parts_and_the_object_is_byte_identical() {
    let cos = Cos::start().await;
    let bytes = data(5 * MIB + 12_345, 2);
    let path = write_file(cos.dir.path(), "big.zip", &bytes);
    let report = upload(&cos, &path, &cos.options()).await.expect("upload");
    assert_eq!(
        (report.parts, report.parts_sent, report.parts_reused),
        (6, 6, 0)
    );
    assert_eq!(report.crc64, crc64(&bytes));
    assert_eq!(cos.parts_sent(), 6);
    assert_eq!(cos.object().await, bytes);
    assert!(
        std::fs::read_dir(cos.checkpoints())
            .unwrap()
            .next()
            .is_none(),
        "the checkpoint is removed once the object is complete"
    );
}

/// Runs an upload in which parts above `done` never get an answer, waits until `done`
/// parts are acknowledged, then drops the task, as a kill would.
async fn interrupted(cos: &Cos, path: &std::path::Path, done: u32) {
    cos.faults.hold_parts_above.store(done, Ordering::SeqCst);
    let (progress, mut events) = channel_progress();
    let options = UploadOptions {
        progress: Some(progress),
        concurrency: 1,
        ..cos.options()
    };
    let (path, target, issuer) = (path.to_path_buf(), cos.target(), cos.issuer.clone());
    let task = tokio::spawn(async move { upload_file(&path, &target, issuer, &options).await });
    let mut acknowledged = 0;
    while acknowledged < done {
        if let Some(ProgressEvent::PartDone { .. }) = events.recv().await {
            acknowledged += 1;
        }
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    cos.faults.hold_parts_above.store(0, Ordering::SeqCst);
    cos.faults.upload_parts.store(0, Ordering::SeqCst);
}

#[tokio::test]
async fn after_an_interruption_only_the_missing_parts_are_sent() {
    let cos = Cos::start().await;
    let bytes = data(6 * MIB, 3);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    interrupted(&cos, &path, 2).await;
    let report = upload(&cos, &path, &cos.options()).await.expect("resume");
    assert_eq!((report.parts_reused, report.parts_sent), (2, 4));
    assert_eq!(cos.parts_sent(), 4, "parts 1 and 2 are not sent again");
    assert_eq!(cos.object().await, bytes);
}

#[tokio::test]
async fn when_every_part_is_already_there_the_upload_completes_without_sending_any() {
    let cos = Cos::start().await;
    let bytes = data(3 * MIB + 7, 4);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    cos.faults.fail_complete.store(true, Ordering::SeqCst);
    let first = upload(
        &cos,
        &path,
        &UploadOptions {
            retry: car_api::RetryConfig::disabled(),
            ..cos.options()
        },
    )
    .await;
    assert_eq!(first.unwrap_err().code(), Some("InternalError"));
    assert_eq!(cos.parts_sent(), 4);
    cos.faults.fail_complete.store(false, Ordering::SeqCst);
    cos.faults.upload_parts.store(0, Ordering::SeqCst);
    let report = upload(&cos, &path, &cos.options()).await.expect("resume");
    assert_eq!((report.parts_reused, report.parts_sent), (4, 0));
    assert_eq!(cos.parts_sent(), 0);
    assert_eq!(cos.object().await, bytes);
}

#[tokio::test]
async fn a_file_changed_between_runs_starts_a_new_upload_and_mixes_nothing() {
    let cos = Cos::start().await;
    let old = data(4 * MIB, 5);
    let path = write_file(cos.dir.path(), "pkg.zip", &old);
    interrupted(&cos, &path, 2).await;
    // Same size, same first MiB; only later parts differ.
    let mut new = old.clone();
    new[3 * MIB as usize + 10] ^= 0xFF;
    std::fs::write(&path, &new).unwrap();
    let report = upload(&cos, &path, &cos.options()).await.expect("upload");
    assert_eq!((report.parts_reused, report.parts_sent), (0, 4));
    assert_eq!(cos.object().await, new);
}

#[tokio::test]
async fn parts_the_checkpoint_names_but_cos_lost_are_sent_again() {
    let cos = Cos::start().await;
    let bytes = data(4 * MIB, 6);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    interrupted(&cos, &path, 2).await;
    let client = cos.client();
    let uploads = client.list_uploads(PREFIX).await.unwrap();
    assert_eq!(uploads.len(), 1);
    client.abort(KEY, &uploads[0].upload_id).await.unwrap();
    let report = upload(&cos, &path, &cos.options()).await.expect("upload");
    assert_eq!((report.parts_reused, report.parts_sent), (0, 4));
    assert_ne!(
        report.upload_id.as_deref(),
        Some(uploads[0].upload_id.as_str())
    );
    assert_eq!(cos.object().await, bytes);
}

#[tokio::test]
async fn keys_that_expire_mid_upload_are_renewed_from_the_source() {
    let cos = Cos::start().await;
    let bytes = data(4 * MIB, 7);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    // After the first part, move past the first keys' 1800 s lifetime.
    let clock = cos.clock.clone();
    let progress: Progress = Arc::new(move |e: &ProgressEvent| {
        if let ProgressEvent::PartDone { number: 1, .. } = e {
            clock.advance(Duration::from_secs(2000));
        }
    });
    let options = UploadOptions {
        concurrency: 1,
        progress: Some(progress),
        ..cos.options()
    };
    let report = upload(&cos, &path, &options).await.expect("upload");
    assert!(report.credential_renewals >= 1, "{report:?}");
    assert_eq!(
        cos.issuer.fetches.load(Ordering::SeqCst),
        1 + report.credential_renewals
    );
    assert_eq!(cos.object().await, bytes);
}

#[tokio::test]
async fn throttled_and_failed_parts_are_retried_on_their_own() {
    let cos = Cos::start().await;
    let bytes = data(3 * MIB, 8);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    cos.faults.slow_down_parts.store(2, Ordering::SeqCst);
    cos.faults.internal_error_parts.store(1, Ordering::SeqCst);
    let report = upload(&cos, &path, &cos.options()).await.expect("upload");
    assert_eq!(report.parts_sent, 3);
    assert_eq!(
        cos.parts_sent(),
        3 + 3,
        "three failed attempts, each retried"
    );
    assert_eq!(cos.object().await, bytes);
}

#[tokio::test]
async fn parts_whose_connection_drops_are_sent_again() {
    let cos = Cos::start().await;
    let bytes = data(3 * MIB, 12);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    cos.faults.reset_parts.store(2, Ordering::SeqCst);
    let report = upload(&cos, &path, &cos.options()).await.expect("upload");
    assert_eq!(report.parts_sent, 3);
    assert_eq!(
        cos.parts_sent(),
        3 + 2,
        "two dropped attempts, each retried"
    );
    assert_eq!(cos.object().await, bytes);
}

#[tokio::test]
async fn a_part_crc_mismatch_fails_loudly_and_completes_nothing() {
    let cos = Cos::start().await;
    let bytes = data(3 * MIB, 9);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    cos.faults.corrupt_crc_of_part.store(2, Ordering::SeqCst);
    let err = upload(&cos, &path, &cos.options()).await.unwrap_err();
    assert!(matches!(err, CosError::CrcMismatch { .. }), "{err}");
    assert!(err.to_string().contains("UploadPart 2"), "{err}");
    assert_eq!(cos.faults.completes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_file_truncated_mid_upload_fails_cleanly() {
    let cos = Cos::start().await;
    let bytes = data(4 * MIB, 10);
    let path = write_file(cos.dir.path(), "pkg.zip", &bytes);
    let target = path.clone();
    let progress: Progress = Arc::new(move |e: &ProgressEvent| {
        if let ProgressEvent::PartDone { number: 1, .. } = e {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .unwrap();
            f.set_len(MIB + MIB / 2).unwrap();
        }
    });
    let options = UploadOptions {
        concurrency: 1,
        progress: Some(progress),
        ..cos.options()
    };
    let err = upload(&cos, &path, &options).await.unwrap_err();
    assert!(matches!(err, CosError::LocalFile { .. }), "{err}");
    assert!(err.to_string().contains("early"), "{err}");
    assert_eq!(cos.faults.completes.load(Ordering::SeqCst), 0);
    assert!(cos.parts_sent() <= 2, "a local read error is not retried");
}

#[tokio::test]
async fn bad_options_are_refused_by_name_before_anything_is_sent() {
    let cos = Cos::start().await;
    let path = write_file(cos.dir.path(), "pkg.zip", &data(3 * MIB, 11));
    let err = upload(
        &cos,
        &path,
        &UploadOptions {
            part_size: 1000,
            ..cos.options()
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("part size") && err.to_string().contains("1000"),
        "{err}"
    );
    let err = upload(
        &cos,
        &path,
        &UploadOptions {
            concurrency: 0,
            ..cos.options()
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("concurrency"), "{err}");
    assert_eq!(cos.parts_sent() + cos.faults.puts.load(Ordering::SeqCst), 0);
}
