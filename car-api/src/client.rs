//! The client: builds, signs and sends calls, classifies failures and retries them.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::Instrument;

use crate::config::{
    ConfigError, ConfigLoader, CredentialsSource, Endpoint, Origin, ResolvedConfig, RetryConfig,
    Setting, Site,
};
use crate::credentials::http_client::{read_limited, ReadError};
use crate::credentials::{self, Credentials, ProvideCredentials};
use crate::error::{Error, ErrorKind};
use crate::meta::ActionMeta;
use crate::overrides::{CallOverrides, Overrides};
use crate::rate_limit::RateLimiter;
use crate::retry::{backoff, Failure};
use crate::signing;

pub use crate::http::DEFAULT_MAX_RESPONSE_BYTES;

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
    // Set by `with_overrides`: applies to every call made through this handle.
    overrides: Option<Arc<Overrides>>,
}

struct Inner {
    http: reqwest::Client,
    // What `http` was built from, for other clients (COS) to be built alike.
    settings: crate::http::HttpSettings,
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
    attempt_timeout: Option<Duration>,
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

/// Configures a [`Client`]. Settings not made here come from the environment and the
/// tccli profile by the precedence table of [`crate::config`].
#[derive(Default)]
pub struct ClientBuilder {
    credentials: Option<Arc<dyn ProvideCredentials>>,
    region: Option<String>,
    site: Option<Site>,
    endpoint: Option<String>,
    language: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    https_proxy: Option<String>,
    ca_bundle: Option<std::path::PathBuf>,
    proxy_from_env: bool,
    ca_bundle_from_env: bool,
    retry: RetryConfig,
    rate_limiting: Option<bool>,
    request_client: Option<String>,
    max_response_bytes: Option<usize>,
    profile: Option<String>,
    chain: Option<credentials::DefaultChainBuilder>,
    allow_insecure_http: bool,
    resolved: Option<ResolvedConfig>,
}

impl ClientBuilder {
    /// Customises the standard credential chain (home directory, environment, metadata
    /// service) used when no credentials provider is set; its environment and home
    /// directory are also where the other settings are read from.
    pub fn default_chain(mut self, chain: credentials::DefaultChainBuilder) -> Self {
        self.chain = Some(chain);
        self
    }

    /// The tccli profile to read credentials, region, language and `car.endpoint` from
    /// when no credentials provider is set (default: `TCCLI_PROFILE`, else `default`).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Where credentials come from; by default the standard chain
    /// ([`credentials::DefaultChain`]). With a provider of its own, the client reads
    /// neither the environment nor the profile for its other settings.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// Fixed credentials.
    pub fn credentials(self, credentials: Credentials) -> Self {
        self.credentials_provider(credentials::StaticProvider::new(credentials))
    }

    /// The region sent as `X-TC-Region`. CAR's actions do not need one.
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
        self.connect_timeout = Some(timeout);
        self
    }

    /// The deadline of a whole call: every attempt and the waits between retries
    /// (default 60 s). When it passes, the call fails with
    /// [`crate::ErrorKind::Deadline`], saying how many attempts were made.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time allowed for one attempt (default: whatever is left of the call's deadline).
    /// An attempt cut off by it is retried like any other timeout (read-only actions
    /// only), so a stuck connection need not use up the whole deadline.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Sends HTTPS through this proxy.
    pub fn https_proxy(mut self, url: impl Into<String>) -> Self {
        self.https_proxy = Some(url.into());
        self
    }

    /// Without an explicit [`ClientBuilder::https_proxy`], sends HTTPS through the proxy
    /// in `HTTPS_PROXY`/`https_proxy`, except to the hosts in `NO_PROXY`/`no_proxy`.
    /// Off by default, so a library's traffic never depends on variables its program did
    /// not choose to honour; the `car` command line turns it on, as tccli honours them.
    pub fn proxy_from_env(mut self, on: bool) -> Self {
        self.proxy_from_env = on;
        self
    }

    /// Trusts the certificates in this PEM file as well as the built-in roots.
    pub fn ca_bundle(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// Without an explicit [`ClientBuilder::ca_bundle`], trusts the PEM file that
    /// `SSL_CERT_FILE` names. Off by default.
    pub fn ca_bundle_from_env(mut self, on: bool) -> Self {
        self.ca_bundle_from_env = on;
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

    /// Uses settings already resolved by a [`ConfigLoader`] (as the `car` command line
    /// does, which also needs the output format) instead of this builder's own
    /// credentials, endpoint, region, language, proxy, CA bundle and timeouts.
    pub fn resolved(mut self, config: ResolvedConfig) -> Self {
        self.resolved = Some(config);
        self
    }

    /// The builder's settings as a [`ConfigLoader`], each named by its method.
    fn loader(&mut self) -> ConfigLoader {
        let b = |name| Origin::Builder(name);
        let mut l = ConfigLoader::with_chain(self.chain.take().unwrap_or_default())
            .proxy_from_env(self.proxy_from_env)
            .ca_bundle_from_env(self.ca_bundle_from_env)
            .allow_insecure_http(self.allow_insecure_http);
        if let Some(p) = self.profile.take() {
            l = l.profile(p, b("ClientBuilder::profile"));
        }
        if let Some(c) = self.credentials.take() {
            l = l.credentials_source(
                CredentialsSource::Provider(c),
                b("ClientBuilder::credentials_provider"),
            );
        }
        if let Some(v) = self.region.take() {
            l = l.region(v, b("ClientBuilder::region"));
        }
        if let Some(v) = self.endpoint.take() {
            l = l.endpoint(v, b("ClientBuilder::endpoint"));
        }
        if let Some(v) = self.site {
            l = l.site(v, b("ClientBuilder::site"));
        }
        if let Some(v) = self.language.take() {
            l = l.language(v, b("ClientBuilder::language"));
        }
        if let Some(v) = self.https_proxy.take() {
            l = l.https_proxy(v, b("ClientBuilder::https_proxy"));
        }
        if let Some(v) = self.ca_bundle.take() {
            l = l.ca_bundle(v, b("ClientBuilder::ca_bundle"));
        }
        if let Some(v) = self.connect_timeout {
            l = l.connect_timeout(v, b("ClientBuilder::connect_timeout"));
        }
        if let Some(v) = self.timeout {
            l = l.timeout(v, b("ClientBuilder::timeout"));
        }
        if let Some(v) = self.max_response_bytes {
            l = l.max_response_bytes(v);
        }
        l
    }

    /// Checks the settings and builds the client. Nothing is sent.
    ///
    /// Without an explicit credentials provider, the standard chain is used, and the
    /// settings not made here come from the environment and the tccli profile, as tccli
    /// itself would pick them (see [`crate::config`]).
    pub fn build(mut self) -> Result<Client, Error> {
        let config = match self.resolved.take() {
            Some(c) => c,
            None => self.loader().resolve()?,
        };
        if let Some(tag) = &self.request_client {
            if tag.len() > 128 || !tag.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
                return Err(Error::invalid_request(
                    Some("request_client"),
                    "expected at most 128 printable ASCII characters",
                ));
            }
        }
        if self.attempt_timeout.is_some_and(|t| t.is_zero()) {
            return Err(ConfigError::malformed(
                Setting::Timeout,
                Origin::Builder("ClientBuilder::attempt_timeout"),
                "expected a duration above zero, got 0 s",
            )
            .into());
        }
        let settings = config.http();
        let http = settings.client()?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                settings: settings.clone(),
                site: config.site(),
                endpoint: config.endpoint().value().clone(),
                region: config.region().map(|r| r.value().clone()),
                language: config.language().map(|l| l.value().clone()),
                credentials: config.credentials().clone(),
                retry: self.retry,
                limiter: self.rate_limiting.unwrap_or(true).then(RateLimiter::new),
                request_client: self.request_client,
                timeout: settings.timeout,
                attempt_timeout: self.attempt_timeout,
                https_proxy: settings.proxy.as_ref().map(|p| p.url().to_owned()),
                max_response_bytes: settings.max_response_bytes,
            }),
            overrides: None,
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

    /// A handle to the same client (same connections, credentials and rate limits)
    /// whose calls use these overrides: a timeout, a number of attempts, extra headers.
    /// Overrides add up: on a handle that has some, later values win.
    pub fn with_overrides(&self, overrides: CallOverrides) -> Result<Client, Error> {
        let base = self.overrides.as_deref().cloned().unwrap_or_default();
        Ok(Client {
            inner: self.inner.clone(),
            overrides: Some(Arc::new(base.merged(overrides)?)),
        })
    }

    /// The HTTP settings (CA bundle, proxy, timeouts) this client was built from, so
    /// that other clients (COS uploads) can be built alike with
    /// [`crate::http::HttpSettings::client`].
    pub fn http_settings(&self) -> &crate::http::HttpSettings {
        &self.inner.settings
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
        let overrides = self.overrides.as_deref();
        let retry = &self.inner.retry;
        let plan = crate::retry::Plan {
            retry,
            max_attempts: overrides
                .and_then(|o| o.max_attempts)
                .unwrap_or(retry.max_attempts),
            deadline: overrides
                .and_then(|o| o.timeout)
                .unwrap_or(self.inner.timeout),
            retry_safe: action.retry_safe,
        };
        crate::retry::run(
            plan,
            |n| backoff(retry, n),
            |attempt, deadline| {
                let body = body.clone();
                async move {
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
                        .attempt(action, body, deadline)
                        .instrument(span.clone())
                        .await;
                    span.record("latency_ms", t0.elapsed().as_millis() as u64);
                    match &result {
                        Ok(raw) => {
                            span.record("outcome", "ok");
                            if let Ok(probe) = probe_request_id(raw) {
                                span.record("request_id", probe.as_str());
                            }
                            tracing::debug!(parent: &span, "call succeeded");
                        }
                        Err(err) => {
                            if let Some(id) = err.request_id() {
                                span.record("request_id", id);
                            }
                            span.record("outcome", err.code());
                            tracing::debug!(parent: &span, code = err.code(), "attempt failed");
                        }
                    }
                    (result, failure)
                }
            },
        )
        .await
        .map_err(|e| e.with_action(action.name))
    }

    /// One attempt: throttle, sign, send, read, classify.
    async fn attempt(
        &self,
        action: &'static ActionMeta,
        body: Vec<u8>,
        deadline: tokio::time::Instant,
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
        // The transport's timer: the attempt's own limit, or the time left before the
        // deadline, whichever is shorter.
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let limit = match self.inner.attempt_timeout {
            Some(t) if t < left => t,
            _ => left,
        };
        match self.transmit(signed, limit).await {
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

    async fn transmit(&self, req: SignedRequest, limit: Duration) -> Attempt {
        let mut rb = self.inner.http.post(&req.url).timeout(limit);
        for (k, v) in &req.headers {
            rb = rb.header(*k, v);
        }
        if let Some(o) = &self.overrides {
            for (k, v) in &o.headers {
                rb = rb.header(k.clone(), v.clone());
            }
        }
        let resp = match rb.body(req.body).send().await {
            Ok(r) => r,
            Err(e) => return self.send_failure(e, limit),
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
            Err(ReadError::Http(e)) => self.send_failure(e, limit),
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
    fn send_failure(&self, e: reqwest::Error, limit: Duration) -> Attempt {
        if e.is_timeout() {
            return Attempt::Failed {
                error: Error::new(ErrorKind::Timeout { after: limit }),
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
