//! [`upload_file`]: one PUT for a small file; otherwise a multipart upload whose parts
//! are streamed from disk concurrently, each checked against COS's CRC-64, resumed from a
//! checkpoint and verified again as a whole before and after Complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use car_api::http::HttpSettings;
use car_api::RetryConfig;
use md5::{Digest, Md5};
use reqwest::Method;
use tokio::task::JoinSet;

use super::checkpoint::{self, DonePart, FileIdentity, Record};
use super::client::{default_endpoint, receipt, CosClient, ListedPart};
use super::credentials::{CredentialSource, Now};
use super::error::CosError;
use super::plan::{PartPlan, MAX_PART_SIZE};
use super::progress::{emit, Progress, ProgressEvent};
use car_api::cos_crc::{combine, Crc64};

/// Bytes read from disk per step of a part's stream; with `concurrency` parts in flight
/// this bounds the uploader's buffers. Large enough that the per-read hop to a blocking
/// thread costs nothing next to the copy.
const CHUNK: usize = 1024 * 1024;

/// Where the object goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `name-appid`.
    pub bucket: String,
    /// The bucket's region.
    pub region: String,
    /// The object key (DescribeCosCredential's `Path`), without a leading `/`.
    pub key: String,
    /// Another address for the bucket (an emulator's `cos_endpoint`); by default
    /// `https://<bucket>.cos.<region>.myqcloud.com`.
    pub endpoint: Option<String>,
}

/// How to upload.
#[derive(Clone)]
pub struct UploadOptions {
    /// Size of every part but the last (whole MiB advised); grown if the file would need
    /// more than 10,000 parts.
    pub part_size: u64,
    /// Parts in flight at once.
    pub concurrency: usize,
    /// Files up to this size go in one PUT (at most 5 GiB).
    pub multipart_threshold: u64,
    /// Where checkpoints are kept; `None` means an interrupted upload starts over.
    pub checkpoint_dir: Option<PathBuf>,
    /// Attempts and back-off per request.
    pub retry: RetryConfig,
    /// TLS, proxy and timeouts.
    pub http: HttpSettings,
    /// The clock for signatures and key expiry.
    pub now: Now,
    /// Keys with less than this many seconds left are renewed first.
    pub renew_before_secs: i64,
    /// Called with every [`ProgressEvent`].
    pub progress: Option<Progress>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
            multipart_threshold: 8 * 1024 * 1024,
            checkpoint_dir: None,
            retry: RetryConfig::default(),
            http: HttpSettings::default(),
            now: Now::system(),
            renew_before_secs: super::client::DEFAULT_RENEW_BEFORE,
            progress: None,
        }
    }
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .finish_non_exhaustive()
    }
}

/// What was uploaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UploadReport {
    /// The object key.
    pub key: String,
    /// Its size.
    pub size: u64,
    /// Its CRC-64/XZ, as COS confirmed it.
    pub crc64: u64,
    /// Its ETag.
    pub etag: String,
    /// The multipart upload used, if any.
    pub upload_id: Option<String>,
    /// Parts in all.
    pub parts: u32,
    /// Parts sent by this run.
    pub parts_sent: u32,
    /// Parts already in COS, verified and kept.
    pub parts_reused: u32,
    /// Fresh keys fetched after the first.
    pub credential_renewals: u64,
    /// Wall time.
    #[serde(with = "millis")]
    pub duration: Duration,
}

mod millis {
    pub(super) fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}

/// Uploads `path` to `target` with keys from `credentials`.
pub async fn upload_file(
    path: &Path,
    target: &Target,
    credentials: Arc<dyn CredentialSource>,
    options: &UploadOptions,
) -> Result<UploadReport, CosError> {
    if options.concurrency == 0 {
        return Err(CosError::Invalid {
            parameter: "concurrency",
            expected: "at least 1".into(),
            given: "0".into(),
        });
    }
    if options.multipart_threshold > MAX_PART_SIZE {
        return Err(CosError::Invalid {
            parameter: "multipart threshold",
            expected: format!("at most {MAX_PART_SIZE} bytes (COS's largest PUT)"),
            given: options.multipart_threshold.to_string(),
        });
    }
    let client = client_for(target, credentials, options)?.with_progress(options.progress.clone());
    let identity = FileIdentity::of(path)?;
    let started = Instant::now();
    let client = Arc::new(client);
    let job = Job {
        client: client.clone(),
        path: path.to_path_buf(),
        key: target.key.clone(),
    };
    let mut report = if identity.size <= options.multipart_threshold {
        job.simple(identity.size).await?
    } else {
        let plan = PartPlan::new(identity.size, options.part_size)?;
        let at = options
            .checkpoint_dir
            .as_ref()
            .map(|d| checkpoint::path_for(d, &target.bucket, &target.key));
        job.multipart(plan, identity, at, &target.bucket, options)
            .await?
    };
    report.credential_renewals = client.renewals();
    report.duration = started.elapsed();
    Ok(report)
}

struct Job {
    client: Arc<CosClient>,
    path: PathBuf,
    key: String,
}

/// What a part's stream saw: its CRC, and the local error that ended it, if any.
#[derive(Default)]
struct Tap {
    crc: Crc64,
    read: u64,
    error: Option<String>,
}

/// A body streaming `len` bytes of `path` from `offset`, feeding `tap` as it goes. A file
/// that ends early is an error of the stream, so the request fails instead of hanging.
///
/// Each chunk is read by a blocking task straight into the buffer that goes on the wire:
/// one copy out of the page cache, none in between.
/// A COS client for `target` (its endpoint, or the bucket's public host) with the
/// options' HTTP settings, clock, retries and renewal margin.
pub(super) fn client_for(
    target: &Target,
    credentials: Arc<dyn CredentialSource>,
    options: &UploadOptions,
) -> Result<CosClient, CosError> {
    let endpoint = target
        .endpoint
        .clone()
        .unwrap_or_else(|| default_endpoint(&target.bucket, &target.region));
    Ok(CosClient::new(
        &options.http,
        &endpoint,
        credentials,
        options.now.clone(),
        options.retry.clone(),
    )?
    .renew_before(options.renew_before_secs))
}

fn part_body(
    path: PathBuf,
    offset: u64,
    len: u64,
    tap: Arc<Mutex<Tap>>,
    progress: Option<Progress>,
) -> reqwest::Body {
    let fail = |tap: &Arc<Mutex<Tap>>, msg: String| {
        lock(tap).error = Some(msg.clone());
        std::io::Error::other(msg)
    };
    let stream = futures_util::stream::try_unfold(
        (None::<std::fs::File>, len, tap),
        move |(file, remaining, tap)| {
            let path = path.clone();
            let progress = progress.clone();
            async move {
                if remaining == 0 {
                    return Ok(None);
                }
                let want = remaining.min(CHUNK as u64) as usize;
                let read =
                    tokio::task::spawn_blocking(move || read_chunk(file, &path, offset, want))
                        .await
                        .map_err(|e| std::io::Error::other(e.to_string()))
                        .and_then(|r| r);
                let (file, buf) = read.map_err(|e| fail(&tap, e.to_string()))?;
                if buf.len() < want {
                    return Err(fail(
                        &tap,
                        format!(
                            "the file ended {} bytes early (was it truncated during the upload?)",
                            remaining - buf.len() as u64
                        ),
                    ));
                }
                {
                    let mut t = lock(&tap);
                    t.crc.update(&buf);
                    t.read += buf.len() as u64;
                }
                emit(
                    &progress,
                    ProgressEvent::Bytes {
                        sent: buf.len() as u64,
                    },
                );
                Ok(Some((
                    Bytes::from(buf),
                    (Some(file), remaining - want as u64, tap),
                )))
            }
        },
    );
    reqwest::Body::wrap_stream(stream)
}

/// Reads up to `want` bytes from `file` (opened at `offset` of `path` on the first call);
/// fewer only at the end of the file.
fn read_chunk(
    file: Option<std::fs::File>,
    path: &Path,
    offset: u64,
    want: usize,
) -> std::io::Result<(std::fs::File, Vec<u8>)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match file {
        Some(f) => f,
        None => {
            let mut f = std::fs::File::open(path)?;
            f.seek(SeekFrom::Start(offset))?;
            f
        }
    };
    let mut buf = Vec::with_capacity(want);
    (&mut file).take(want as u64).read_to_end(&mut buf)?;
    Ok((file, buf))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The decimal CRC COS sent, checked against `local`.
fn check_crc(what: &str, remote: Option<&str>, local: u64) -> Result<(), CosError> {
    match remote {
        Some(r) if r.trim().parse::<u64>().ok() == Some(local) => Ok(()),
        Some(r) => Err(CosError::CrcMismatch {
            what: what.to_string(),
            remote: r.to_string(),
            local,
        }),
        None => Err(CosError::Protocol {
            operation: what.to_string(),
            message: "no x-cos-hash-crc64ecma header, so the data cannot be verified".into(),
        }),
    }
}

impl Job {
    fn local_error(&self, message: String) -> CosError {
        CosError::LocalFile {
            path: self.path.clone(),
            message,
        }
    }

    /// Sends `len` bytes from `offset` with `params`, retried; the answer's CRC must be the
    /// one of the bytes read. A local read error ends it at once, never retried.
    async fn send_range(
        &self,
        operation: &str,
        params: &[(&str, &str)],
        offset: u64,
        len: u64,
    ) -> Result<(String, u64), CosError> {
        let client = &self.client;
        client
            .with_retry(operation, |_| async {
                let tap = Arc::new(Mutex::new(Tap::default()));
                let body = part_body(
                    self.path.clone(),
                    offset,
                    len,
                    tap.clone(),
                    client.progress().clone(),
                );
                let sent = client
                    .send(operation, Method::PUT, &self.key, params, Some((body, len)))
                    .await;
                let t = lock(&tap);
                if let Some(e) = &t.error {
                    return Err(self.local_error(e.clone()));
                }
                let resp = sent?;
                let r = receipt(operation, &resp)?;
                if t.read != len {
                    return Err(CosError::Protocol {
                        operation: operation.into(),
                        message: format!("COS answered after {} of {len} bytes", t.read),
                    });
                }
                check_crc(operation, r.crc64.as_deref(), t.crc.value())?;
                Ok((r.etag, t.crc.value()))
            })
            .await
    }

    async fn simple(&self, size: u64) -> Result<UploadReport, CosError> {
        emit(
            self.client.progress(),
            ProgressEvent::Started {
                size,
                parts: 1,
                part_size: size,
                upload_id: None,
                reused_parts: 0,
                reused_bytes: 0,
            },
        );
        let (etag, crc64) = self.send_range("PutObject", &[], 0, size).await?;
        emit(
            self.client.progress(),
            ProgressEvent::PartDone { number: 1, size },
        );
        Ok(UploadReport {
            key: self.key.clone(),
            size,
            crc64,
            etag,
            upload_id: None,
            parts: 1,
            parts_sent: 1,
            parts_reused: 0,
            credential_renewals: 0,
            duration: Duration::ZERO,
        })
    }

    /// Reads part `number` from disk: its CRC-64 and its ETag as COS computes it for a
    /// plain part (quoted MD5 hex, reference §7).
    fn local_digest(&self, plan: &PartPlan, number: u32) -> Result<(u64, String), CosError> {
        use std::io::{Read, Seek, SeekFrom};
        let (offset, len) = plan.range(number);
        let io = |e: std::io::Error| self.local_error(e.to_string());
        let mut f = std::fs::File::open(&self.path).map_err(io)?;
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut reader = f.take(len);
        let (mut crc, mut md5) = (Crc64::new(), Md5::new());
        let mut buf = vec![0u8; CHUNK];
        let mut seen = 0u64;
        loop {
            let n = reader.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            crc.update(&buf[..n]);
            md5.update(&buf[..n]);
            seen += n as u64;
        }
        if seen != len {
            return Err(self.local_error(format!("part {number} ended {} bytes early", len - seen)));
        }
        Ok((crc.value(), format!("\"{}\"", hex::encode(md5.finalize()))))
    }

    /// The parts of `record`'s upload that COS still holds and that match the local data;
    /// `None` if the upload is gone.
    fn verify_listed(
        &self,
        plan: &PartPlan,
        record: &Record,
        listed: &[ListedPart],
    ) -> Result<BTreeMap<u32, DonePart>, CosError> {
        let known: BTreeMap<u32, &DonePart> = record.parts.iter().map(|p| (p.number, p)).collect();
        let mut kept = BTreeMap::new();
        for part in listed {
            if part.number == 0
                || part.number > plan.count()
                || part.size != plan.range(part.number).1
            {
                continue;
            }
            let (crc64, md5_etag) = self.local_digest(plan, part.number)?;
            let acknowledged = known
                .get(&part.number)
                .is_some_and(|k| k.etag == part.etag && k.crc64 == crc64);
            if acknowledged || md5_etag == part.etag {
                kept.insert(
                    part.number,
                    DonePart {
                        number: part.number,
                        size: part.size,
                        crc64,
                        etag: part.etag.clone(),
                    },
                );
            }
        }
        Ok(kept)
    }

    /// The upload to continue and the parts to keep: the checkpoint's, if it is for this
    /// very file and COS still has the upload; otherwise a new upload.
    async fn resume_or_start(
        &self,
        plan: &PartPlan,
        identity: &FileIdentity,
        at: Option<&Path>,
        bucket: &str,
    ) -> Result<(Record, BTreeMap<u32, DonePart>), CosError> {
        if let Some(old) = at.and_then(checkpoint::load) {
            let same_file = old.file == *identity && old.part_size == plan.part_size;
            if old.key == self.key && old.bucket == bucket && same_file {
                match self.client.list_parts(&self.key, &old.upload_id).await {
                    Ok(listed) => {
                        let kept = self.verify_listed(plan, &old, &listed)?;
                        return Ok((old, kept));
                    }
                    Err(e) if e.code() == Some("NoSuchUpload") => {
                        tracing::info!(upload_id = %old.upload_id, "the checkpoint's upload is gone; starting a new one");
                    }
                    Err(e) => return Err(e),
                }
            } else if old.key == self.key && old.bucket == bucket {
                // Parts of another version of the file must never be mixed in; the old
                // upload only costs storage now.
                tracing::info!(upload_id = %old.upload_id, "the file changed since the checkpoint; starting a new upload");
                if let Err(e) = self.client.abort(&self.key, &old.upload_id).await {
                    tracing::warn!(error = %e, "cannot abort the stale upload");
                }
            }
        }
        let upload_id = self.client.initiate(&self.key).await?;
        let record = Record {
            bucket: bucket.to_string(),
            key: self.key.clone(),
            upload_id,
            part_size: plan.part_size,
            file: identity.clone(),
            parts: Vec::new(),
        };
        if let Some(at) = at {
            checkpoint::save(at, &record)?;
        }
        Ok((record, BTreeMap::new()))
    }

    async fn multipart(
        self,
        plan: PartPlan,
        identity: FileIdentity,
        at: Option<PathBuf>,
        bucket: &str,
        options: &UploadOptions,
    ) -> Result<UploadReport, CosError> {
        let (mut record, kept) = self
            .resume_or_start(&plan, &identity, at.as_deref(), bucket)
            .await?;
        record.parts = kept.values().cloned().collect();
        if let Some(at) = &at {
            checkpoint::save(at, &record)?;
        }
        let reused = kept.len() as u32;
        emit(
            self.client.progress(),
            ProgressEvent::Started {
                size: plan.size,
                parts: plan.count(),
                part_size: plan.part_size,
                upload_id: Some(record.upload_id.clone()),
                reused_parts: reused,
                reused_bytes: kept.values().map(|p| p.size).sum(),
            },
        );
        let upload_id = record.upload_id.clone();
        let shared = Arc::new(Mutex::new(record));
        let job = Arc::new(self);
        let mut todo = (1..=plan.count()).filter(|n| !kept.contains_key(n));
        let mut running = JoinSet::new();
        let mut sent = 0u32;
        loop {
            while running.len() < options.concurrency {
                let Some(number) = todo.next() else { break };
                let (job, shared, at, upload_id) =
                    (job.clone(), shared.clone(), at.clone(), upload_id.clone());
                running.spawn(async move {
                    let (offset, len) = plan.range(number);
                    let n = number.to_string();
                    let params = [("partNumber", n.as_str()), ("uploadId", upload_id.as_str())];
                    let (etag, crc64) = job
                        .send_range(&format!("UploadPart {number}"), &params, offset, len)
                        .await?;
                    let snapshot = {
                        let mut rec = lock(&shared);
                        rec.parts.retain(|p| p.number != number);
                        rec.parts.push(DonePart {
                            number,
                            size: len,
                            crc64,
                            etag,
                        });
                        rec.clone()
                    };
                    if let Some(at) = &at {
                        checkpoint::save(at, &snapshot)?;
                    }
                    emit(
                        job.client.progress(),
                        ProgressEvent::PartDone { number, size: len },
                    );
                    Ok::<_, CosError>(())
                });
            }
            match running.join_next().await {
                None => break,
                Some(Ok(Ok(()))) => sent += 1,
                // Dropping the set aborts the other parts: nothing keeps running or
                // retrying once one part has failed for good.
                Some(Ok(Err(e))) => return Err(e),
                Some(Err(join)) => {
                    return Err(job.local_error(format!("a part task failed: {join}")));
                }
            }
        }
        // The parts were read from the file as it was; if it changed since, the object
        // would mix two versions.
        let now = FileIdentity::of(&job.path)?;
        if now.size != identity.size || now.mtime_ns != identity.mtime_ns {
            return Err(job.local_error(
                "the file changed during the upload; run the command again to upload it afresh"
                    .into(),
            ));
        }
        let mut parts = lock(&shared).parts.clone();
        parts.sort_by_key(|p| p.number);
        let whole = parts
            .iter()
            .skip(1)
            .fold(parts.first().map_or(0, |p| p.crc64), |acc, p| {
                combine(acc, p.crc64, p.size)
            });
        let list: Vec<(u32, String)> = parts.iter().map(|p| (p.number, p.etag.clone())).collect();
        let done = job.client.complete(&job.key, &upload_id, &list).await?;
        let remote = match done.crc64 {
            Some(c) => Some(c),
            None => job.client.head(&job.key).await?.1.crc64,
        };
        check_crc("the completed object", remote.as_deref(), whole)?;
        if let Some(at) = &at {
            checkpoint::remove(at);
        }
        Ok(UploadReport {
            key: job.key.clone(),
            size: plan.size,
            crc64: whole,
            etag: done.etag,
            upload_id: Some(upload_id),
            parts: plan.count(),
            parts_sent: sent,
            parts_reused: reused,
            credential_renewals: 0,
            duration: Duration::ZERO,
        })
    }
}
