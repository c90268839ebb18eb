//! What a COS request addresses: the bucket (from `Host`), the decoded object key and the
//! form-decoded query, and which of the nine operations it is.

use axum::http::{header, request::Parts, Method, Uri};
use percent_encoding::percent_decode_str;

use super::errors::{Code, CosError};

/// The operations the emulator tells apart (COS reference §10's routing table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `PUT /<key>`.
    PutObject,
    /// `HEAD /<key>`.
    HeadObject,
    /// `GET /<key>`.
    GetObject,
    /// `POST /<key>?uploads`.
    InitiateMultipartUpload,
    /// `PUT /<key>?partNumber&uploadId`.
    UploadPart,
    /// `GET /<key>?uploadId`.
    ListParts,
    /// `GET /?uploads`.
    ListMultipartUploads,
    /// `POST /<key>?uploadId`.
    CompleteMultipartUpload,
    /// `DELETE /<key>?uploadId`.
    AbortMultipartUpload,
    /// Anything else (DELETE Object, GET Bucket, other methods).
    Unsupported,
}

impl Operation {
    /// Classifies a request by method and the query parameters it names.
    pub fn of(method: &Method, uri: &Uri) -> Operation {
        let query = uri.query().unwrap_or("");
        let has = |name: &str| form_urlencoded::parse(query.as_bytes()).any(|(n, _)| n == name);
        match *method {
            Method::PUT if has("uploadId") => Operation::UploadPart,
            Method::PUT => Operation::PutObject,
            Method::HEAD => Operation::HeadObject,
            Method::GET if has("uploads") => Operation::ListMultipartUploads,
            Method::GET if has("uploadId") => Operation::ListParts,
            Method::GET => Operation::GetObject,
            Method::POST if has("uploads") => Operation::InitiateMultipartUpload,
            Method::POST if has("uploadId") => Operation::CompleteMultipartUpload,
            Method::DELETE if has("uploadId") => Operation::AbortMultipartUpload,
            _ => Operation::Unsupported,
        }
    }

    /// The name COS's API documentation gives the operation.
    pub fn name(self) -> &'static str {
        match self {
            Operation::PutObject => "PutObject",
            Operation::HeadObject => "HeadObject",
            Operation::GetObject => "GetObject",
            Operation::InitiateMultipartUpload => "InitiateMultipartUpload",
            Operation::UploadPart => "UploadPart",
            Operation::ListParts => "ListParts",
            Operation::ListMultipartUploads => "ListMultipartUploads",
            Operation::CompleteMultipartUpload => "CompleteMultipartUpload",
            Operation::AbortMultipartUpload => "AbortMultipartUpload",
            Operation::Unsupported => "Unsupported",
        }
    }

    /// Whether the operation acts on the bucket rather than one object.
    pub fn is_bucket_level(self) -> bool {
        self == Operation::ListMultipartUploads
    }
}

/// A request's address, decoded.
#[derive(Debug)]
pub struct Target {
    /// The decoded object key, without its leading `/` (empty for bucket calls).
    pub key: String,
    /// The form-decoded query parameters in their order.
    pub params: Vec<(String, String)>,
}

impl Target {
    /// The first value of query parameter `name` (case-sensitive, as COS's names are).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Like [`Target::param`], treating an empty value as absent (the SDK sends every list
    /// parameter, empty ones included).
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.param(name).filter(|v| !v.is_empty())
    }

    /// The path the signature covers: the decoded key with one leading `/`.
    pub fn signed_path(&self) -> String {
        format!("/{}", self.key)
    }
}

/// The host named by `Host` (or the URI's authority), without a port.
pub fn host_name(parts: &Parts) -> Option<&str> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))?;
    Some(strip_port(host))
}

/// `host` without a trailing `:port` (IPv6 literals keep their brackets).
pub fn strip_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    }
}

/// Checks that the request is for `bucket` in `region`: a `Host` of the virtual-hosted form
/// `<bucket>.cos.<region>.myqcloud.com` must name them; any other host (the emulator's own
/// address, a custom domain) means the one bucket served.
pub fn check_bucket(parts: &Parts, bucket: &str, region: &str) -> Result<(), CosError> {
    let Some(host) = host_name(parts) else {
        return Ok(());
    };
    let host = host.to_ascii_lowercase();
    let Some(rest) = host.strip_suffix(".myqcloud.com") else {
        return Ok(());
    };
    let Some((name, host_region)) = rest.split_once(".cos.") else {
        return Ok(());
    };
    if name == bucket && host_region == region {
        Ok(())
    } else {
        Err(CosError::new(
            Code::NoSuchBucket,
            format!(
                "The specified bucket does not exist: this emulator serves {bucket} in {region}"
            ),
        ))
    }
}

/// Decodes the path into the key and the query into parameters.
pub fn parse_target(uri: &Uri) -> Result<Target, CosError> {
    let path = percent_decode_str(uri.path()).decode_utf8().map_err(|_| {
        CosError::new(
            Code::InvalidURI,
            "The object path is not percent-encoded UTF-8",
        )
    })?;
    let key = path.strip_prefix('/').unwrap_or(&path).to_owned();
    let params = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    Ok(Target { key, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: Method, uri: &str) -> &'static str {
        Operation::of(&method, &uri.parse().unwrap()).name()
    }

    #[test]
    fn operations_follow_the_references_routing_table() {
        assert_eq!(op(Method::PUT, "/k"), "PutObject");
        assert_eq!(op(Method::PUT, "/k?partNumber=1&uploadId=U"), "UploadPart");
        assert_eq!(op(Method::POST, "/k?uploads"), "InitiateMultipartUpload");
        assert_eq!(op(Method::POST, "/k?uploads="), "InitiateMultipartUpload");
        assert_eq!(op(Method::POST, "/k?uploadId=U"), "CompleteMultipartUpload");
        assert_eq!(op(Method::GET, "/k?uploadId=U"), "ListParts");
        assert_eq!(
            op(Method::GET, "/?uploads=&prefix=a"),
            "ListMultipartUploads"
        );
        assert_eq!(op(Method::GET, "/k"), "GetObject");
        assert_eq!(op(Method::HEAD, "/k"), "HeadObject");
        assert_eq!(op(Method::DELETE, "/k?uploadId=U"), "AbortMultipartUpload");
        assert_eq!(op(Method::DELETE, "/k"), "Unsupported");
        assert_eq!(op(Method::PATCH, "/k"), "Unsupported");
    }

    #[test]
    fn the_key_is_percent_decoded_and_a_plus_stays_a_plus() {
        // The SDK's capture: key `a b/c+d~e(f)./g` went out as below.
        let t =
            parse_target(&"/a%20b/c%2Bd~e%28f%29.%2Fg?prefix=a+b%2Fc".parse().unwrap()).unwrap();
        assert_eq!(t.key, "a b/c+d~e(f)./g");
        assert_eq!(t.param("prefix"), Some("a b/c"));
        assert!(parse_target(&"/%FF".parse().unwrap()).is_err());
    }

    #[test]
    fn ports_are_stripped_but_ipv6_literals_survive() {
        assert_eq!(
            strip_port("b.cos.r.myqcloud.com:8080"),
            "b.cos.r.myqcloud.com"
        );
        assert_eq!(strip_port("127.0.0.1"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }
}
