//! The client: builds, signs and sends calls, classifies failures and retries them.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::Instrument;

use crate::config::{Endpoint, HttpSettings, RetryConfig, Site};
use crate::credentials::http_client::{read_limited, ReadError};
use crate::credentials::{self, Credentials, ProvideCredentials};
use crate::error::{Error, ErrorKind};
use crate::meta::ActionMeta;
use crate::rate_limit::RateLimiter;
use crate::retry::{backoff, Failure};
use crate::signing;

/// Responses larger than this are refused rather than buffered.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A request of one action: its parameters, and the response type it yields.
pub trait Operation: serde::Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The typed response of this action.
    type Response: serde::Serialize + DeserializeOwned + Send + 'static;
    /// The action's entry in [`crate::metadata::ACTIONS`].
    fn meta() -> &'static ActionMeta;
}

/// Generic code over every operation, reached by action name through
/// [`crate::visit_operation`].
pub trait OperationVisitor {
    /// What the visitor returns.
    type Output;
    /// Called with the request type of the action that was named.
    fn visit<O: Operation>(self) -> Self::Output;
}

/// An async CAR client. Cheap to clone; clones share connections and rate limits.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: Endpoint,
    // Known only for the sites' own hosts; members limited to one site are checked
    // against it.
    site: Option<Site>,
    region: Option<String>,
    language: Option<String>,
    credentials: Arc<dyn ProvideCredentials>,
    retry: RetryConfig,
    limiter: Option<RateLimiter>,
    request_client: Option<String>,
    timeout: Duration,
    max_response_bytes: usize,
    // For error hints only.
    https_proxy: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.url())
            .field("region", &self.inner.region)
            .field("language", &self.inner.language)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    credentials: Option<Arc<dyn ProvideCredentials>>,
    region: Option<String>,
    site: Option<Site>,
    endpoint: Option<String>,
    language: Option<String>,
    http: HttpSettings,
    retry: RetryConfig,
    rate_limiting: Option<bool>,
    request_client: Option<String>,
    max_response_bytes: Option<usize>,
    profile: Option<String>,
    chain: Option<credentials::DefaultChainBuilder>,
    allow_insecure_http: bool,
}

impl ClientBuilder {
    /// Customises the standard credential chain (home directory, environment, metadata
    /// service) used when no credentials provider is set.
    pub fn default_chain(mut self, chain: credentials::DefaultChainBuilder) -> Self {
        self.chain = Some(chain);
        self
    }

    /// The tccli profile to read credentials, region and `car.endpoint` from when no
    /// credentials provider is set (default: `TCCLI_PROFILE`, else `default`).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Where credentials come from; by default the standard chain
    /// ([`credentials::DefaultChain`]).
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// Fixed credentials.
    pub fn credentials(self, credentials: Credentials) -> Self {
        self.credentials_provider(credentials::StaticProvider::new(credentials))
    }

    /// `X-TC-Region`; CAR does not require one.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into()).filter(|r: &String| !r.is_empty());
        self
    }

    /// The site whose endpoint to use (international by default).
    pub fn site(mut self, site: Site) -> Self {
        self.site = Some(site);
        self
    }

    /// Any endpoint: a host, `host:port`, or an `http(s)://` URL (http for local use).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// `X-TC-Language`: `en-US` or `zh-CN`.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Time allowed to open a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from sending to the last response byte (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// Sends HTTPS through this proxy.
    pub fn https_proxy(mut self, url: impl Into<String>) -> Self {
        self.http.https_proxy = Some(url.into());
        self
    }

    /// Trusts the certificates in this PEM file as well as the built-in roots.
    pub fn ca_bundle(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.http.ca_bundle = Some(path.into());
        self
    }

    /// Allows plain `http://` endpoints (CAR, and STS for role profiles) on hosts that
    /// are not loopback. Off by default: cleartext would expose the session token and,
    /// from STS, new temporary keys to anyone on the path.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Retry policy (default: 4 attempts, jittered exponential back-off).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Client-side rate limiting per action, from the spec's limits (on by default).
    pub fn rate_limiting(mut self, on: bool) -> Self {
        self.rate_limiting = Some(on);
        self
    }

    /// A tag added to the `User-Agent`-like `X-TC-RequestClient` header.
    pub fn request_client(mut self, tag: impl Into<String>) -> Self {
        self.request_client = Some(tag.into());
        self
    }

    /// Refuse responses larger than this (default 16 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// Without an explicit credentials provider, the standard chain is used, and the
    /// region and endpoint not set here come from the environment and the tccli profile,
    /// as tccli itself would pick them.
    pub fn build(mut self) -> Result<Client, Error> {
        let mut profile_endpoint = None;
        if self.credentials.is_none() {
            let mut chain = self.chain.take().unwrap_or_default();
            if self.allow_insecure_http {
                chain = chain.allow_insecure_http(true);
            }
            if let Some(p) = &self.profile {
                chain = chain.profile(p.clone());
            }
            let chain = chain.build();
            if self.region.is_none() {
                self.region = chain.region()?;
            }
            // An explicit site beats the profile: tccli writes `car.endpoint` into every
            // profile, so letting it win would make the site setting useless there.
            if self.endpoint.is_none() && self.site.is_none() {
                profile_endpoint = match chain.tccli_config()? {
                    Some(config) => match config.car_endpoint() {
                        Some(e) => {
                            let in_file = |why: String| {
                                Error::config(format!(
                                    "{}: car.endpoint: {why}",
                                    config.path().display()
                                ))
                            };
                            let endpoint = Endpoint::parse(e).map_err(|err| {
                                in_file(
                                    err.message()
                                        .trim_start_matches("parameter endpoint: ")
                                        .to_string(),
                                )
                            })?;
                            endpoint
                                .check_transport(self.allow_insecure_http)
                                .map_err(in_file)?;
                            Some(endpoint)
                        }
                        None => None,
                    },
                    None => None,
                };
            }
            self.credentials = Some(Arc::new(chain));
        }
        let endpoint = match (&self.endpoint, self.site, profile_endpoint) {
            (Some(e), _, _) => {
                let endpoint = Endpoint::parse(e)?;
                endpoint
                    .check_transport(self.allow_insecure_http)
                    .map_err(|why| Error::config(format!("endpoint: {why}")))?;
                endpoint
            }
            (None, Some(site), _) => Endpoint::parse(site.host())?,
            (None, None, Some(e)) => e,
            (None, None, None) => Endpoint::parse(Site::default().host())?,
        };
        if let Some(region) = &self.region {
            credentials::check_plain_value(region)
                .map_err(|why| Error::config(format!("region given explicitly: {why}")))?;
        }
        if let Some(lang) = &self.language {
            if lang != "en-US" && lang != "zh-CN" {
                return Err(Error::invalid_request(
                    Some("language"),
                    format!("expected `en-US` or `zh-CN`, got `{lang}`"),
                ));
            }
        }
        if let Some(tag) = &self.request_client {
            if tag.len() > 128 || !tag.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
                return Err(Error::invalid_request(
                    Some("request_client"),
                    "expected at most 128 printable ASCII characters",
                ));
            }
        }
        if self.http.timeout.is_zero() || self.http.connect_timeout.is_zero() {
            return Err(Error::invalid_request(
                Some("timeout"),
                "expected a duration above zero",
            ));
        }
        let http = self.http.build_client()?;
        let credentials = self
            .credentials
            .ok_or_else(|| Error::config("no credentials provider"))?;
        let site = [Site::Intl, Site::China]
            .into_iter()
            .find(|s| endpoint.host().eq_ignore_ascii_case(s.host()));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                site,
                endpoint,
                region: self.region,
                language: self.language,
                credentials,
                retry: self.retry,
                limiter: self.rate_limiting.unwrap_or(true).then(RateLimiter::new),
                request_client: self.request_client,
                timeout: self.http.timeout,
                https_proxy: self.http.https_proxy.clone(),
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            }),
        })
    }
}

/// A signed request, as it would be sent: for `--dry-run` and debugging.
#[derive(Clone)]
pub struct SignedRequest {
    /// The full URL the request goes to.
    pub url: String,
    /// Every header, `Authorization` included.
    pub headers: Vec<(&'static str, String)>,
    /// The exact body bytes that were signed.
    pub body: Vec<u8>,
}

impl SignedRequest {
    /// The headers with the token and signature replaced, safe to print.
    pub fn redacted_headers(&self) -> Vec<(&'static str, String)> {
        self.headers
            .iter()
            .map(|(k, v)| {
                let v = match *k {
                    "X-TC-Token" => "** redacted **".to_string(),
                    "Authorization" => redact_authorization(v),
                    _ => v.clone(),
                };
                (*k, v)
            })
            .collect()
    }
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("url", &self.url)
            .field("headers", &self.redacted_headers())
            .field(
                "body",
                &crate::redact::mask_sensitive_json(&String::from_utf8_lossy(&self.body)),
            )
            .finish()
    }
}

/// Keeps the credential scope (useful for debugging) but masks the SecretId and hides
/// the signature, which would authorise a replay for a few minutes.
fn redact_authorization(v: &str) -> String {
    let Some(sig) = v.find("Signature=") else {
        return "** redacted **".to_string();
    };
    let head = &v[..sig];
    let masked = head
        .find("Credential=")
        .map(|i| i + "Credential=".len())
        .and_then(|start| {
            let len = head[start..].find('/')?;
            Some(format!(
                "{}{}{}",
                &head[..start],
                signing::mask_secret_id(&head[start..start + len]),
                &head[start + len..]
            ))
        });
    format!(
        "{}Signature=** redacted **",
        masked.unwrap_or_else(|| head.to_string())
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn authorization_keeps_scope_but_not_secret_id_or_signature() {
        let a = "TC3-HMAC-SHA256 Credential=AKIDabcdef/2026-01-01/car/tc3_request, SignedHeaders=content-type;host, Signature=0123abcd";
        assert_eq!(
            super::redact_authorization(a),
            "TC3-HMAC-SHA256 Credential=AKID****/2026-01-01/car/tc3_request, SignedHeaders=content-type;host, Signature=** redacted **"
        );
        assert_eq!(super::redact_authorization("garbage"), "** redacted **");
    }

    #[test]
    fn signed_request_debug_masks_sensitive_members_of_the_body() {
        // CreateSession.ClientSession is marked sensitive in the spec.
        let req = super::SignedRequest {
            url: "https://car.tencentcloudapi.com/".into(),
            headers: vec![("X-TC-Token", "tok-secret".into())],
            body: br#"{"UserId":"u","ClientSession":"client-session-secret"}"#.to_vec(),
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("client-session-secret"), "{shown}");
        assert!(!shown.contains("tok-secret"), "{shown}");
        assert!(shown.contains(r#"\"UserId\":\"u\""#), "{shown}");
    }

    #[test]
    fn a_clock_before_1970_is_an_error_not_timestamp_zero() {
        use std::time::{Duration, UNIX_EPOCH};
        let err = super::unix_timestamp(UNIX_EPOCH - Duration::from_secs(1)).unwrap_err();
        assert_eq!(err.code(), "ClientConfigError");
        assert!(err.to_string().contains("before 1970"), "{err}");
        assert_eq!(
            super::unix_timestamp(UNIX_EPOCH + Duration::from_secs(1_551_113_065)).unwrap(),
            1_551_113_065
        );
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Response", borrow)]
    response: Option<&'a serde_json::value::RawValue>,
}

#[derive(Deserialize)]
struct ErrorProbe {
    #[serde(rename = "Error")]
    error: Option<ApiErrorBody>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ApiErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// One attempt's outcome before it is turned into a result.
enum Attempt {
    Answer {
        status: u16,
        body: Vec<u8>,
    },
    /// Not followed: it would re-send the signed body and token to another host.
    Redirect {
        status: u16,
        location: Option<String>,
    },
    Failed {
        error: Error,
        failure: Failure,
    },
}

impl Client {
    /// A builder with the defaults: international site, default credential chain.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The configured region, if any.
    pub fn region(&self) -> Option<&str> {
        self.inner.region.as_deref()
    }

    /// Sends a typed request and parses its typed response.
    pub async fn send<O: Operation>(&self, request: O) -> Result<O::Response, Error> {
        let meta = O::meta();
        let body = serde_json::to_vec(&request).map_err(|e| {
            Error::invalid_request(None, format!("cannot encode the request: {e}"))
                .with_action(meta.name)
        })?;
        self.check_site_bytes(meta, &body)?;
        let raw = self.call_raw(meta, body).await?;
        parse_success::<O::Response>(meta, &raw)
    }

    /// Sends a JSON request body for `action` and returns the `Response` object (with
    /// `RequestId`) as JSON. The body is sent as given; the CLI checks it beforehand.
    pub async fn call_json(
        &self,
        action: &'static ActionMeta,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let body = serde_json::to_vec(params).map_err(|e| {
            Error::invalid_request(None, format!("cannot encode the request: {e}"))
                .with_action(action.name)
        })?;
        if let Some(site) = self.inner.site {
            check_site(action, params, site)?;
        }
        let raw = self.call_raw(action, body).await?;
        parse_success::<serde_json::Value>(action, &raw)
    }

    /// [`check_site`] on an encoded body, decoded only for the few actions where a
    /// member is limited to one site.
    fn check_site_bytes(&self, action: &'static ActionMeta, body: &[u8]) -> Result<(), Error> {
        let Some(site) = self.inner.site else {
            return Ok(());
        };
        if !crate::params::has_site_limited_input(action) {
            return Ok(());
        }
        // A body that is not JSON has no members to check; the server will say so.
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => check_site(action, &value, site),
            Err(_) => Ok(()),
        }
    }

    /// Signs `body` for `action` as it would be sent now, without sending it. Members
    /// the client's site does not publish are refused, as in a real call.
    pub async fn sign(
        &self,
        action: &'static ActionMeta,
        body: Vec<u8>,
    ) -> Result<SignedRequest, Error> {
        self.check_site_bytes(action, &body)?;
        let creds = self
            .inner
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| Error::from(e).with_action(action.name))?;
        self.signed(action, &creds, body)
            .map_err(|e| e.with_action(action.name))
    }

    fn signed(
        &self,
        action: &'static ActionMeta,
        creds: &Credentials,
        body: Vec<u8>,
    ) -> Result<SignedRequest, Error> {
        let timestamp = unix_timestamp(SystemTime::now())?;
        check_header_values(creds)?;
        let inner = &self.inner;
        let mut headers = signing::tc3_headers(
            &creds.secret_id,
            &creds.secret_key,
            creds.token(),
            crate::metadata::SERVICE.name,
            crate::metadata::SERVICE.version,
            action.name,
            inner.region.as_deref(),
            inner.endpoint.host(),
            timestamp,
            inner.language.as_deref(),
            &body,
        );
        if let Some(tag) = &inner.request_client {
            headers.push(("X-TC-RequestClient", tag.clone()));
        }
        Ok(SignedRequest {
            url: inner.endpoint.url().to_string(),
            headers,
            body,
        })
    }

    /// The retry loop shared by typed and JSON calls; returns the raw 200 body.
    async fn call_raw(&self, action: &'static ActionMeta, body: Vec<u8>) -> Result<Vec<u8>, Error> {
        let started = Instant::now();
        let retry = &self.inner.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "car.call",
                action = action.name,
                attempt,
                request_id = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
                outcome = tracing::field::Empty,
            );
            let t0 = Instant::now();
            let (result, failure) = self
                .attempt(action, body.clone())
                .instrument(span.clone())
                .await;
            span.record("latency_ms", t0.elapsed().as_millis() as u64);
            let err = match result {
                Ok(raw) => {
                    span.record("outcome", "ok");
                    if let Ok(probe) = probe_request_id(&raw) {
                        span.record("request_id", probe.as_str());
                    }
                    tracing::debug!(parent: &span, "call succeeded");
                    return Ok(raw);
                }
                Err(e) => e,
            };
            if let Some(id) = err.request_id() {
                span.record("request_id", id);
            }
            span.record("outcome", err.code());
            let may_retry = failure.retryable(action.retry_safe)
                && attempt < retry.max_attempts
                && started.elapsed() < retry.max_elapsed;
            if !may_retry {
                tracing::debug!(parent: &span, code = err.code(), "call failed");
                return Err(err.with_action(action.name));
            }
            let wait = backoff(retry, attempt);
            tracing::info!(parent: &span, code = err.code(), wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: throttle, sign, send, read, classify.
    async fn attempt(
        &self,
        action: &'static ActionMeta,
        body: Vec<u8>,
    ) -> (Result<Vec<u8>, Error>, Failure) {
        if let Some(l) = &self.inner.limiter {
            l.acquire(action.name, action.rate_limit).await;
        }
        let creds = match self.inner.credentials.provide_credentials().await {
            Ok(c) => c,
            Err(e) => return (Err(Error::from(e)), Failure::Final),
        };
        let signed = match self.signed(action, &creds, body) {
            Ok(s) => s,
            Err(e) => return (Err(e), Failure::Final),
        };
        match self.transmit(signed).await {
            Attempt::Failed { error, failure } => (Err(error), failure),
            Attempt::Answer { status, body } => classify_answer(status, body),
            Attempt::Redirect { status, location } => (
                Err(Error::new(ErrorKind::InvalidResponse {
                    status,
                    message: redirect_message(location.as_deref()),
                    snippet: String::new(),
                })),
                Failure::Final,
            ),
        }
    }

    async fn transmit(&self, req: SignedRequest) -> Attempt {
        let mut rb = self.inner.http.post(&req.url);
        for (k, v) in &req.headers {
            rb = rb.header(*k, v);
        }
        let resp = match rb.body(req.body).send().await {
            Ok(r) => r,
            Err(e) => return self.send_failure(e),
        };
        let status = resp.status().as_u16();
        if resp.status().is_redirection() {
            return Attempt::Redirect {
                status,
                location: location_of(&resp),
            };
        }
        match read_limited(resp, self.inner.max_response_bytes).await {
            Ok(body) => Attempt::Answer { status, body },
            Err(ReadError::TooLarge) => Attempt::Failed {
                error: Error::new(ErrorKind::InvalidResponse {
                    status,
                    message: format!(
                        "response larger than {} bytes",
                        self.inner.max_response_bytes
                    ),
                    snippet: String::new(),
                }),
                failure: Failure::Final,
            },
            Err(ReadError::Http(e)) => self.send_failure(e),
        }
    }
}

/// The `Location` of a redirect, escaped so it cannot drive a terminal.
pub(crate) fn location_of(resp: &reqwest::Response) -> Option<String> {
    resp.headers().get(reqwest::header::LOCATION).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .escape_debug()
            .to_string()
    })
}

pub(crate) fn redirect_message(location: Option<&str>) -> String {
    match location {
        Some(to) => format!(
            "the server redirected to `{to}`; redirects are not followed, since they would \
             send the signed request elsewhere"
        ),
        None => "the server answered with a redirect without a Location; redirects are not \
                 followed"
            .to_string(),
    }
}

/// Unix seconds now; a clock before 1970 cannot produce a valid signature.
fn unix_timestamp(now: SystemTime) -> Result<i64, Error> {
    now.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .ok_or_else(|| {
            Error::config("the system clock is set before 1970, so requests cannot be signed")
        })
}

/// Credentials from a custom provider are not checked at their source; a value that
/// cannot be a header would otherwise fail as a network error and be retried.
fn check_header_values(creds: &Credentials) -> Result<(), Error> {
    let bad = [
        ("SecretId", Some(creds.secret_id.as_str())),
        ("SecretKey", Some(creds.secret_key.as_str())),
        ("token", creds.token()),
    ]
    .into_iter()
    .find_map(|(name, v)| Some((name, credentials::check_plain_value(v?).err()?)));
    match bad {
        Some((name, why)) => Err(Error::config(format!(
            "the credentials provider gave a {name} that {why}"
        ))),
        None => Ok(()),
    }
}

/// Refuses members published on the other site only, before anything is sent.
fn check_site(action: &ActionMeta, body: &serde_json::Value, site: Site) -> Result<(), Error> {
    match crate::params::site_problems(action, body, site)
        .into_iter()
        .next()
    {
        Some(p) => Err(Error::invalid_request(Some(&p.path), p.reason).with_action(action.name)),
        None => Ok(()),
    }
}

impl Client {
    fn send_failure(&self, e: reqwest::Error) -> Attempt {
        if e.is_timeout() {
            return Attempt::Failed {
                error: Error::new(ErrorKind::Timeout {
                    after: self.inner.timeout,
                }),
                failure: Failure::MaybeSent,
            };
        }
        // The proxy carries https only, so only then did a refused connection come from it.
        let proxy = self
            .inner
            .https_proxy
            .as_deref()
            .filter(|_| !self.inner.endpoint.is_cleartext());
        let message = crate::credentials::http_client::describe_via(&e, proxy);
        // A refused or failed connection means no byte of the request reached the
        // server; but a TLS set-up mistake fails the same way every time.
        let failure = if !e.is_connect() {
            Failure::MaybeSent
        } else if crate::credentials::http_client::is_setup_mistake(&message) {
            Failure::Final
        } else {
            Failure::NotSent
        };
        Attempt::Failed {
            error: Error::new(ErrorKind::Transport {
                message,
                source: Some(Box::new(e.without_url())),
            }),
            failure,
        }
    }
}

/// The start of a body for error messages, with sensitive members' values masked.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    crate::redact::mask_sensitive_json(&text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn classify_answer(status: u16, body: Vec<u8>) -> (Result<Vec<u8>, Error>, Failure) {
    if status != 200 {
        // Some gateways answer a proper API error with a 4xx/5xx status; its code is
        // the truth, not the status.
        if let Some(error) = api_error_in(&body) {
            let failure = if error.is_throttling() {
                Failure::Throttled
            } else if status >= 500 {
                Failure::MaybeSent
            } else {
                Failure::Final
            };
            return (Err(error), failure);
        }
        let failure = if status >= 500 {
            Failure::MaybeSent
        } else {
            Failure::Final
        };
        let error = Error::new(ErrorKind::InvalidResponse {
            status,
            message: format!("the gateway answered HTTP {status} instead of an API response"),
            snippet: snippet(&body),
        });
        return (Err(error), failure);
    }
    let envelope: Envelope<'_> = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            let message = if e.is_eof() {
                format!(
                    "the response JSON is truncated ({} bytes received)",
                    body.len()
                )
            } else {
                format!("the response is not valid JSON: {}", serde_problem(&e))
            };
            return (
                Err(Error::new(ErrorKind::InvalidResponse {
                    status,
                    message,
                    snippet: snippet(&body),
                })),
                Failure::Final,
            );
        }
    };
    let Some(raw) = envelope.response else {
        let error = Error::new(ErrorKind::InvalidResponse {
            status,
            message: "the response has no `Response` object".into(),
            snippet: snippet(&body),
        });
        return (Err(error), Failure::Final);
    };
    match serde_json::from_str::<ErrorProbe>(raw.get()) {
        Ok(ErrorProbe {
            error: Some(err),
            request_id,
        }) => {
            let error = Error::api(err.code.as_str(), err.message, request_id);
            let failure = if error.is_throttling() {
                Failure::Throttled
            } else {
                Failure::Final
            };
            (Err(error), failure)
        }
        Ok(ErrorProbe {
            request_id: Some(id),
            ..
        }) if !id.is_empty() => (Ok(body), Failure::Final),
        Ok(_) => {
            let error = Error::new(ErrorKind::InvalidResponse {
                status,
                message: "the `Response` object has no `RequestId`".into(),
                snippet: snippet(&body),
            });
            (Err(error), Failure::Final)
        }
        Err(e) => {
            let error = Error::new(ErrorKind::InvalidResponse {
                status,
                message: format!("the `Response` object is malformed: {}", serde_problem(&e)),
                snippet: snippet(&body),
            });
            (Err(error), Failure::Final)
        }
    }
}

/// An API error envelope with a code, whatever the HTTP status.
fn api_error_in(body: &[u8]) -> Option<Error> {
    let envelope: Envelope<'_> = serde_json::from_slice(body).ok()?;
    let probe: ErrorProbe = serde_json::from_str(envelope.response?.get()).ok()?;
    let err = probe.error.filter(|e| !e.code.is_empty())?;
    Some(Error::api(err.code.as_str(), err.message, probe.request_id))
}

/// serde's message without the values it may quote (a malformed member can be a
/// secret): the kind of problem, the expectation and the position.
fn serde_problem(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let msg = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    let at = format!("at line {} column {}", e.line(), e.column());
    for kind in [
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
    ] {
        if msg.starts_with(kind) {
            return match msg.rsplit_once(", expected ") {
                Some((_, expected)) => format!("{kind} {at}, expected {expected}"),
                None => format!("{kind} {at}"),
            };
        }
    }
    if msg.starts_with("missing field") || msg.starts_with("duplicate field") {
        return format!("{msg} {at}");
    }
    match e.classify() {
        serde_json::error::Category::Syntax => format!("syntax error {at}"),
        serde_json::error::Category::Eof => format!("unexpected end {at}"),
        _ => format!("unexpected data {at}"),
    }
}

fn probe_request_id(body: &[u8]) -> Result<String, serde_json::Error> {
    let env: Envelope<'_> = serde_json::from_slice(body)?;
    let probe: ErrorProbe = serde_json::from_str(env.response.map_or("{}", |r| r.get()))?;
    Ok(probe.request_id.unwrap_or_default())
}

/// Parses a raw API answer (the whole `{"Response": ...}` body) as `action`'s response,
/// turning an error envelope into an [`Error`], exactly as a live call would.
pub fn decode_response<T: DeserializeOwned>(
    action: &'static ActionMeta,
    body: &[u8],
) -> Result<T, Error> {
    match classify_answer(200, body.to_vec()) {
        (Ok(raw), _) => parse_success(action, &raw),
        (Err(e), _) => Err(e.with_action(action.name)),
    }
}

fn parse_success<T: DeserializeOwned>(
    action: &'static ActionMeta,
    body: &[u8],
) -> Result<T, Error> {
    let env: Envelope<'_> = serde_json::from_slice(body).map_err(|e| {
        Error::new(ErrorKind::InvalidResponse {
            status: 200,
            message: serde_problem(&e),
            snippet: snippet(body),
        })
    })?;
    let raw = env.response.map_or("{}", |r| r.get());
    serde_json::from_str::<T>(raw).map_err(|e| {
        let request_id = serde_json::from_str::<ErrorProbe>(raw)
            .ok()
            .and_then(|p| p.request_id);
        Error::new(ErrorKind::InvalidResponse {
            status: 200,
            message: format!(
                "the response does not match {}Response: {}",
                action.name,
                serde_problem(&e)
            ),
            snippet: snippet(body),
        })
        .with_action(action.name)
        .with_request_id(request_id)
    })
}
