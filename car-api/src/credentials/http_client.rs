//! The small HTTP client setup shared by the metadata and STS providers.

use std::sync::OnceLock;
use std::time::Duration;

use crate::http::HttpSettings;

/// A lazily built `reqwest::Client`, so constructing a provider never fails or blocks.
#[derive(Debug)]
pub(crate) struct LazyClient {
    client: OnceLock<reqwest::Client>,
    settings: HttpSettings,
    // `Some((connect, total))` for the metadata service: its own timeouts, no proxy.
    metadata_timeouts: Option<(Duration, Duration)>,
}

impl LazyClient {
    /// A client for API requests (STS), with every setting as given.
    pub(crate) fn api(settings: HttpSettings) -> Self {
        LazyClient {
            client: OnceLock::new(),
            settings,
            metadata_timeouts: None,
        }
    }

    /// A client for the metadata service: the TLS settings of `settings`, these
    /// timeouts, and never a proxy (the service is link-local).
    pub(crate) fn metadata(settings: HttpSettings, connect: Duration, total: Duration) -> Self {
        LazyClient {
            client: OnceLock::new(),
            settings,
            metadata_timeouts: Some((connect, total)),
        }
    }

    /// The settings the client is built from.
    pub(crate) fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    pub(crate) fn get(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = match self.metadata_timeouts {
            Some((connect, total)) => self.settings.metadata_client(connect, total),
            None => self.settings.client(),
        }
        .map_err(|e| e.message())?;
        Ok(self.client.get_or_init(|| client))
    }
}

/// A short description of a transport error: its kind, innermost cause and, for the
/// usual set-up mistakes, what to do.
pub(crate) fn describe(err: &reqwest::Error) -> String {
    describe_via(err, None)
}

/// [`describe`], knowing the proxy in use (shown without its password).
pub(crate) fn describe_via(err: &reqwest::Error, proxy: Option<&str>) -> String {
    let base = describe_plain(err);
    match hint(&base, proxy) {
        Some(h) => format!("{base}; {h}"),
        None => base,
    }
}

/// The errors come from rustls and hyper-util through several wrappers (some of which
/// hide their inner error from `source()`), so the hint keys on the stable names they
/// print.
fn hint(text: &str, proxy: Option<&str>) -> Option<String> {
    let h = if text.contains("InvalidContentType") || text.contains("corrupt message") {
        "the server does not speak TLS there: if it is a plain HTTP server, use an http:// \
         endpoint (accepted for loopback, otherwise with --insecure-http)"
            .to_string()
    } else if text.contains("UnknownIssuer") {
        "the server's certificate is not issued by a trusted certificate authority; for a \
         private CA, trust its certificate with --ca-bundle FILE (ClientBuilder::ca_bundle)"
            .to_string()
    } else if text.contains("CaUsedAsEndEntity") {
        "the server presents a CA certificate (basic constraints CA:TRUE, as `openssl req \
         -x509` makes by default) as its own, which TLS refuses; give the server a server \
         certificate signed by that CA and keep the CA in --ca-bundle"
            .to_string()
    } else if text.contains("NotValidForName") {
        "the server's certificate does not name this host; use the host name it was issued \
         for"
        .to_string()
    } else if text.contains("Expired") && text.contains("certificate") {
        "the server's certificate has expired, or this machine's clock is wrong".to_string()
    } else if let Some(p) = proxy.filter(|_| text.contains("Connection refused")) {
        format!(
            "nothing accepts connections at the proxy {}; check its address \
             (--https-proxy, HTTPS_PROXY)",
            crate::config::redact_userinfo(p)
        )
    } else if text.contains("tunnel") {
        match proxy {
            Some(p) => format!(
                "the proxy {} refused to open a tunnel (CONNECT) to the endpoint; check the \
                 proxy address, its credentials and whether it allows this host",
                crate::config::redact_userinfo(p)
            ),
            None => "the proxy refused to open a tunnel (CONNECT) to the endpoint".to_string(),
        }
    } else {
        return None;
    };
    Some(format!("hint: {h}"))
}

/// True for a described failure that is the same on every attempt (TLS set-up, a
/// proxy refusing the tunnel), so retrying cannot help.
pub(crate) fn is_setup_mistake(message: &str) -> bool {
    message.contains("; hint: the server") || message.contains("refused to open a tunnel")
}

fn describe_plain(err: &reqwest::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::hint;

    #[test]
    fn a_refused_connection_names_the_proxy_only_when_one_is_in_use() {
        let refused = "cannot connect: Connection refused (os error 111)";
        assert_eq!(
            hint(refused, Some("http://bob:pw@proxy.example:3128")).as_deref(),
            Some(
                "hint: nothing accepts connections at the proxy http://***@proxy.example:3128; \
                 check its address (--https-proxy, HTTPS_PROXY)"
            )
        );
        assert_eq!(hint(refused, None), None);
    }
}
