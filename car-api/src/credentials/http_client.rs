//! The small HTTP client setup shared by the metadata and STS providers.

use std::sync::OnceLock;
use std::time::Duration;

/// A lazily built `reqwest::Client`, so constructing a provider never fails or blocks.
#[derive(Debug, Default)]
pub(crate) struct LazyClient {
    client: OnceLock<reqwest::Client>,
    connect_timeout: Duration,
    timeout: Duration,
    use_proxy: bool,
}

impl LazyClient {
    /// `use_proxy: false` for the link-local metadata service and loopback test
    /// servers, which a proxy from `HTTP_PROXY` could not (or should not) reach.
    pub(crate) fn new(connect_timeout: Duration, timeout: Duration, use_proxy: bool) -> Self {
        LazyClient {
            client: OnceLock::new(),
            connect_timeout,
            timeout,
            use_proxy,
        }
    }

    pub(crate) fn get(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        // Redirects are never followed: one would carry a signed request to another host.
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none());
        if !self.use_proxy {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot build HTTP client: {}", describe(&e)))?;
        Ok(self.client.get_or_init(|| client))
    }
}

/// A short description of a transport error: its kind and innermost cause.
pub(crate) fn describe(err: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = err;
    while let Some(next) = root.source() {
        root = next;
    }
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() || err.is_decode() {
        "reading response failed"
    } else {
        "request failed"
    };
    if std::ptr::addr_eq(root, err as &dyn std::error::Error) {
        kind.to_owned()
    } else {
        format!("{kind}: {root}")
    }
}

/// Largest answer accepted from the metadata service or STS; real ones are under 4 KiB.
pub(crate) const MAX_CREDENTIALS_RESPONSE_BYTES: usize = 64 * 1024;

/// Why a body could not be read whole.
pub(crate) enum ReadError {
    TooLarge,
    Http(reqwest::Error),
}

/// Reads a body, refusing it as soon as it grows past `limit`.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut out = Vec::with_capacity(resp.content_length().map_or(1024, |n| n as usize));
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Http)? {
        if out.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads a credentials answer: not a redirect, and within the size limit. Errors are
/// messages for the provider to attach its source name to.
pub(crate) async fn read_credentials_answer(
    resp: reqwest::Response,
) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    let status = resp.status();
    if status.is_redirection() {
        return Err(crate::client::redirect_message(
            crate::client::location_of(&resp).as_deref(),
        ));
    }
    match read_limited(resp, MAX_CREDENTIALS_RESPONSE_BYTES).await {
        Ok(body) => Ok((status, body)),
        Err(ReadError::TooLarge) => Err(format!(
            "HTTP {status}: response larger than {MAX_CREDENTIALS_RESPONSE_BYTES} bytes"
        )),
        Err(ReadError::Http(e)) => Err(describe(&e)),
    }
}
