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

    pub(crate) fn with_client(client: reqwest::Client) -> Self {
        let lazy = LazyClient::default();
        let _ = lazy.client.set(client);
        lazy
    }

    pub(crate) fn get(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout);
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
