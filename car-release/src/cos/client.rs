//! Signed COS requests with temporary keys: one attempt per call of [`CosClient::send`],
//! and [`CosClient::with_retry`] around it, which re-signs every attempt, backs off as the
//! CAR client does and fetches fresh keys when they near expiry or COS says they expired.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use car_api::cos_signing::{self, CosRequest, KeyTime};
use car_api::http::HttpSettings;
use car_api::{Endpoint, RetryConfig};
use reqwest::{Method, Url};
use tokio::sync::Mutex;

use super::credentials::{CosCredentials, CredentialSource, Now};
use super::error::{CosError, ServiceError};
use super::progress::{emit, Progress, ProgressEvent};
use super::xml;

/// How long a signature is valid for at most (it never outlives the keys).
const SIGNATURE_TTL: i64 = 3600;
/// Keys with less than this left are renewed before the next request.
pub(crate) const DEFAULT_RENEW_BEFORE: i64 = 300;

/// What COS said about a stored object or part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartReceipt {
    /// `ETag`, quotes included, as Complete wants it back.
    pub etag: String,
    /// `x-cos-hash-crc64ecma`, if sent.
    pub crc64: Option<String>,
}

/// A part COS holds for an unfinished upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPart {
    /// Its number.
    pub number: u32,
    /// Its ETag.
    pub etag: String,
    /// Its size.
    pub size: u64,
}

/// An unfinished multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListedUpload {
    /// The object key.
    pub key: String,
    /// The upload.
    pub upload_id: String,
    /// When it was started, as COS writes it.
    pub initiated: Option<String>,
}

/// A client for one bucket.
pub struct CosClient {
    http: reqwest::Client,
    base: Url,
    host: String,
    source: Arc<dyn CredentialSource>,
    current: Mutex<Option<CosCredentials>>,
    now: Now,
    retry: RetryConfig,
    renew_before: i64,
    renewals: AtomicU64,
    progress: Option<Progress>,
}

impl std::fmt::Debug for CosClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// The default address of `bucket` in `region` (reference §1.1).
pub(crate) fn default_endpoint(bucket: &str, region: &str) -> String {
    format!("https://{bucket}.cos.{region}.myqcloud.com")
}

/// The key as cos-python-sdk-v5 puts it on the wire: every byte but unreserved ones and
/// `/` escaped (reference §1.2).
fn wire_key(key: &str) -> String {
    key.split('/')
        .map(cos_signing::encode)
        .collect::<Vec<_>>()
        .join("/")
}

impl CosClient {
    /// A client for the bucket at `endpoint` (`https://<bucket>.cos.<region>.myqcloud.com`
    /// or an override such as an emulator's), with `http`'s CA bundle, proxy and
    /// timeouts. Cleartext to a host that is not loopback is refused unless `http` allows it.
    pub fn new(
        http: &HttpSettings,
        endpoint: &str,
        source: Arc<dyn CredentialSource>,
        now: Now,
        retry: RetryConfig,
    ) -> Result<CosClient, CosError> {
        let invalid = |why: String| CosError::Invalid {
            parameter: "COS endpoint",
            expected: "an http(s) URL with a host and no path".into(),
            given: format!("{endpoint} ({why})"),
        };
        let parsed = Endpoint::parse(endpoint).map_err(|e| invalid(e.to_string()))?;
        http.check_transport(&parsed).map_err(invalid)?;
        let base = Url::parse(parsed.url()).map_err(|e| invalid(e.to_string()))?;
        let client = http.client().map_err(|e| CosError::Invalid {
            parameter: "HTTP settings",
            expected: "a usable CA bundle and proxy".into(),
            given: e.to_string(),
        })?;
        Ok(CosClient {
            http: client,
            host: parsed.host().to_string(),
            base,
            source,
            current: Mutex::new(None),
            now,
            retry,
            renew_before: DEFAULT_RENEW_BEFORE,
            renewals: AtomicU64::new(0),
            progress: None,
        })
    }

    /// Reports retries and renewals to `progress`.
    pub fn with_progress(mut self, progress: Option<Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// Renews keys this many seconds before they expire (default 300).
    pub fn renew_before(mut self, secs: i64) -> Self {
        self.renew_before = secs;
        self
    }

    /// How many times fresh keys were fetched after the first.
    pub fn renewals(&self) -> u64 {
        self.renewals.load(Ordering::Relaxed)
    }

    pub(crate) fn progress(&self) -> &Option<Progress> {
        &self.progress
    }

    /// The keys to sign with, fetched again when they are about to expire.
    async fn credentials(&self) -> Result<CosCredentials, CosError> {
        let mut current = self.current.lock().await;
        let now = self.now.get();
        let fresh_enough = |c: &CosCredentials| {
            c.expired_time
                .is_none_or(|exp| exp.saturating_sub(now) > self.renew_before)
        };
        match current.as_ref() {
            Some(c) if fresh_enough(c) => Ok(c.clone()),
            had => {
                let renewing = had.is_some();
                let fetched = self.source.fetch().await?;
                if renewing {
                    self.renewals.fetch_add(1, Ordering::Relaxed);
                    emit(&self.progress, ProgressEvent::CredentialsRenewed);
                }
                *current = Some(fetched.clone());
                Ok(fetched)
            }
        }
    }

    /// Drops `stale` so the next request fetches fresh keys (once, however many parts saw
    /// the same refusal).
    async fn forget(&self, stale: &CosCredentials) {
        let mut current = self.current.lock().await;
        if current.as_ref() == Some(stale) {
            *current = Some(CosCredentials {
                expired_time: Some(i64::MIN),
                ..stale.clone()
            });
        }
    }

    /// One signed attempt. `body` is sent with its length; a non-2xx answer becomes
    /// [`CosError::Service`] with COS's code, message and request id.
    pub async fn send(
        &self,
        operation: &str,
        method: Method,
        key: &str,
        params: &[(&str, &str)],
        body: Option<(reqwest::Body, u64)>,
    ) -> Result<reqwest::Response, CosError> {
        let creds = self.credentials().await?;
        let result = self
            .send_with(&creds, operation, method, key, params, body)
            .await;
        if let Err(e) = &result {
            if e.credentials_expired() {
                self.forget(&creds).await;
            }
        }
        result
    }

    async fn send_with(
        &self,
        creds: &CosCredentials,
        operation: &str,
        method: Method,
        key: &str,
        params: &[(&str, &str)],
        body: Option<(reqwest::Body, u64)>,
    ) -> Result<reqwest::Response, CosError> {
        let mut url = self.base.clone();
        url.set_path(&format!("/{}", wire_key(key)));
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params.iter());
        }
        let mut headers: Vec<(&str, String)> = vec![("host", self.host.clone())];
        let length = body.as_ref().map_or(0, |(_, n)| *n);
        if body.is_some() || method == Method::POST || method == Method::DELETE {
            headers.push(("content-length", length.to_string()));
        }
        if let Some(token) = &creds.session_token {
            headers.push(("x-cos-security-token", token.clone()));
        }
        let now = self.now.get();
        let ttl = creds.expired_time.map_or(SIGNATURE_TTL, |exp| {
            exp.saturating_sub(now).clamp(1, SIGNATURE_TTL)
        });
        let signed: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let auth = cos_signing::authorization(
            &creds.secret_id,
            &creds.secret_key,
            &CosRequest {
                method: method.as_str(),
                path: &format!("/{key}"),
                params,
                headers: &signed,
            },
            KeyTime::around(now, ttl),
        );
        let mut rb = self.http.request(method, url).header("authorization", auth);
        for (n, v) in &headers {
            // reqwest writes Host from the URL; Content-Length is explicit so that a
            // streamed body goes out with its length, not chunked.
            if *n != "host" {
                rb = rb.header(*n, v);
            }
        }
        if let Some((b, _)) = body {
            rb = rb.body(b);
        }
        let resp = rb.send().await.map_err(|e| CosError::Transport {
            operation: operation.to_string(),
            message: error_chain(&e),
        })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(service_error(operation, resp).await)
    }

    /// Runs `attempt` until it succeeds, fails for good or runs out of attempts, with the
    /// CAR client's jittered back-off between attempts. A refusal for expired keys is
    /// followed by one more attempt with fresh keys.
    pub(crate) async fn with_retry<T, F, Fut>(
        &self,
        operation: &str,
        mut attempt: F,
    ) -> Result<T, CosError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, CosError>>,
    {
        let mut n = 0u32;
        let mut renewed = false;
        loop {
            n += 1;
            let err = match attempt(n).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let again = if err.credentials_expired() && !renewed {
                renewed = true;
                true
            } else {
                err.retryable() && n < self.retry.max_attempts
            };
            if !again {
                return Err(err);
            }
            emit(
                &self.progress,
                ProgressEvent::Retrying {
                    operation: operation.to_string(),
                    attempt: n,
                    error: err.to_string(),
                },
            );
            tracing::info!(operation, attempt = n, error = %err, "retrying");
            if !err.credentials_expired() {
                tokio::time::sleep(car_api::backoff(&self.retry, n)).await;
            }
        }
    }

    /// PUT Object with `body` (reference §3.1), retried.
    pub async fn put_object(&self, key: &str, body: Bytes) -> Result<PartReceipt, CosError> {
        let op = "PutObject";
        self.with_retry(op, |_| async {
            let len = body.len() as u64;
            let resp = self
                .send(op, Method::PUT, key, &[], Some((body.clone().into(), len)))
                .await?;
            receipt(op, &resp)
        })
        .await
    }

    /// Upload Part `number` with `body` (reference §3.5), retried.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: Bytes,
    ) -> Result<PartReceipt, CosError> {
        let op = format!("UploadPart {number}");
        let n = number.to_string();
        self.with_retry(&op, |_| async {
            let len = body.len() as u64;
            let params = [("partNumber", n.as_str()), ("uploadId", upload_id)];
            let resp = self
                .send(
                    &op,
                    Method::PUT,
                    key,
                    &params,
                    Some((body.clone().into(), len)),
                )
                .await?;
            receipt(&op, &resp)
        })
        .await
    }

    /// Initiate Multipart Upload (reference §3.4): the new upload's id.
    pub async fn initiate(&self, key: &str) -> Result<String, CosError> {
        let op = "InitiateMultipartUpload";
        let r: xml::InitiateResult = self
            .with_retry(op, |_| async {
                let resp = self
                    .send(op, Method::POST, key, &[("uploads", "")], None)
                    .await?;
                parse_body(op, resp).await
            })
            .await?;
        Ok(r.upload_id)
    }

    /// Every part COS holds for `upload_id` (reference §3.6), all pages.
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<ListedPart>, CosError> {
        let op = "ListParts";
        let mut marker = "0".to_string();
        let mut out = Vec::new();
        loop {
            let page: xml::ListPartsResult = self
                .with_retry(op, |_| async {
                    let params = [
                        ("uploadId", upload_id),
                        ("max-parts", "1000"),
                        ("part-number-marker", marker.as_str()),
                    ];
                    let resp = self.send(op, Method::GET, key, &params, None).await?;
                    parse_body(op, resp).await
                })
                .await?;
            out.extend(page.parts.into_iter().map(|p| ListedPart {
                number: p.part_number,
                etag: p.etag,
                size: p.size,
            }));
            match page.next_part_number_marker {
                Some(next) if xml::truncated(&page.is_truncated) && next != marker => marker = next,
                _ => return Ok(out),
            }
        }
    }

    /// Unfinished uploads whose key starts with `prefix` (reference §3.7), all pages.
    pub async fn list_uploads(&self, prefix: &str) -> Result<Vec<ListedUpload>, CosError> {
        let op = "ListMultipartUploads";
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        let mut out = Vec::new();
        loop {
            let page: xml::ListUploadsResult = self
                .with_retry(op, |_| async {
                    let mut params =
                        vec![("uploads", ""), ("prefix", prefix), ("max-uploads", "1000")];
                    if !key_marker.is_empty() {
                        params.push(("key-marker", key_marker.as_str()));
                        params.push(("upload-id-marker", id_marker.as_str()));
                    }
                    let resp = self.send(op, Method::GET, "", &params, None).await?;
                    parse_body(op, resp).await
                })
                .await?;
            out.extend(page.uploads.into_iter().map(|u| ListedUpload {
                key: u.key,
                upload_id: u.upload_id,
                initiated: u.initiated,
            }));
            match (page.next_key_marker, page.next_upload_id_marker) {
                (Some(k), Some(u))
                    if xml::truncated(&page.is_truncated)
                        && (k.clone(), u.clone()) != (key_marker.clone(), id_marker.clone()) =>
                {
                    key_marker = k;
                    id_marker = u;
                }
                _ => return Ok(out),
            }
        }
    }

    /// Complete Multipart Upload (reference §3.8) with `parts` in ascending order: the
    /// object's ETag and CRC-64 header. A 200 without an ETag is a failure.
    pub async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<PartReceipt, CosError> {
        let op = "CompleteMultipartUpload";
        let body = Bytes::from(xml::complete_body(parts));
        self.with_retry(op, |_| async {
            let len = body.len() as u64;
            let resp = self
                .send(
                    op,
                    Method::POST,
                    key,
                    &[("uploadId", upload_id)],
                    Some((body.clone().into(), len)),
                )
                .await?;
            let crc64 = header(&resp, "x-cos-hash-crc64ecma");
            let result: xml::CompleteResult = parse_body(op, resp).await?;
            let etag = result.etag.ok_or_else(|| CosError::Protocol {
                operation: op.into(),
                message: "a 200 answer without an ETag: the merge did not succeed".into(),
            })?;
            Ok(PartReceipt { etag, crc64 })
        })
        .await
    }

    /// Abort Multipart Upload (reference §3.9).
    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<(), CosError> {
        let op = "AbortMultipartUpload";
        self.with_retry(op, |_| async {
            self.send(op, Method::DELETE, key, &[("uploadId", upload_id)], None)
                .await
                .map(drop)
        })
        .await
    }

    /// HEAD Object (reference §3.2): size and receipt.
    pub async fn head(&self, key: &str) -> Result<(u64, PartReceipt), CosError> {
        let op = "HeadObject";
        self.with_retry(op, |_| async {
            let resp = self.send(op, Method::HEAD, key, &[], None).await?;
            let size = header(&resp, "content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            Ok((size, receipt(op, &resp)?))
        })
        .await
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The ETag and CRC-64 of a write's answer.
pub(crate) fn receipt(operation: &str, resp: &reqwest::Response) -> Result<PartReceipt, CosError> {
    let etag = header(resp, "etag").ok_or_else(|| CosError::Protocol {
        operation: operation.into(),
        message: "no ETag header".into(),
    })?;
    Ok(PartReceipt {
        etag,
        crc64: header(resp, "x-cos-hash-crc64ecma"),
    })
}

async fn parse_body<T: for<'de> serde::Deserialize<'de>>(
    operation: &str,
    resp: reqwest::Response,
) -> Result<T, CosError> {
    let text = resp.text().await.map_err(|e| CosError::Transport {
        operation: operation.into(),
        message: error_chain(&e),
    })?;
    xml::parse(&text).map_err(|why| CosError::Protocol {
        operation: operation.into(),
        message: format!("cannot read the XML answer ({why})"),
    })
}

async fn service_error(operation: &str, resp: reqwest::Response) -> CosError {
    let status = resp.status().as_u16();
    let header_id = header(&resp, "x-cos-request-id");
    let text = resp.text().await.unwrap_or_default();
    let error = match xml::parse::<xml::ErrorBody>(&text) {
        Ok(body) => ServiceError {
            status,
            code: body.code,
            message: body.message,
            request_id: body.request_id.or(header_id),
        },
        Err(_) => ServiceError {
            status,
            code: if status == 404 {
                "NoSuchResource".into()
            } else {
                "Unknown".into()
            },
            message: format!("HTTP {status} without an error body"),
            request_id: header_id,
        },
    };
    CosError::Service {
        operation: operation.to_string(),
        error,
    }
}

/// The error and its causes ("error sending request: connection reset…").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
