//! A COS router on a real loopback listener, a manual clock, one temporary key, and a
//! client that signs like cos-python-sdk-v5 through `car_api::cos_signing` (which the
//! vector tests in car-api prove independently).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use car_api::cos_signing::{self, CosRequest, KeyTime};
use car_emulator::cos::{router, CosState};
use car_emulator::grants::{self, CosGrant};
use car_emulator::{ManualClock, Store};
use serde_json::Value;

/// The SDK vectors and CRC facts, vendored in car-api (compiled in: a missing file fails
/// the build, never skips).
pub const VECTORS: &str = include_str!("../../../car-api/tests/data/cos-signing-and-crc64.json");

pub const BUCKET: &str = "examplebucket-1250000000";
pub const REGION: &str = "ap-guangzhou";
pub const VHOST: &str = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com";
pub const PREFIX: &str = "apps/";
/// 2026-01-01T00:00:00Z, the vectors' `now`.
pub const START: u64 = 1_767_225_600;
pub const MIB: usize = 1024 * 1024;

pub fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("the vendored vector file is JSON")
}

/// The decimal CRC the vector file gives for `input_ascii`.
pub fn crc_fact(input_ascii: &str) -> String {
    vectors()["crc64"]
        .as_array()
        .expect("crc64 list")
        .iter()
        .find(|c| c["input_ascii"] == input_ascii)
        .unwrap_or_else(|| panic!("no CRC fact for {input_ascii:?}"))["crc64ecma_decimal"]
        .as_str()
        .expect("decimal string")
        .to_owned()
}

/// The vector file's 3 MiB input (`bytes(range(256))` repeated) and its whole and
/// per-1-MiB-part CRCs.
pub fn three_mib_fact() -> (Vec<u8>, String, Vec<String>) {
    let doc = vectors();
    let entry = doc["crc64"]
        .as_array()
        .expect("crc64 list")
        .iter()
        .find(|c| c.get("parts_1MiB_decimal").is_some())
        .expect("the 3 MiB entry")
        .clone();
    let data: Vec<u8> = (0..3 * MIB).map(|i| (i % 256) as u8).collect();
    let parts = entry["parts_1MiB_decimal"]
        .as_array()
        .expect("part CRCs")
        .iter()
        .map(|v| v.as_str().expect("decimal").to_owned())
        .collect();
    (
        data,
        entry["crc64ecma_decimal"]
            .as_str()
            .expect("decimal")
            .to_owned(),
        parts,
    )
}

pub struct Cos {
    pub base: String,
    pub host: String,
    pub clock: ManualClock,
    pub store: Arc<Store>,
    pub grant: CosGrant,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Cos {
    pub async fn start() -> Cos {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(Store::open(dir.path()).expect("store"));
        store.ensure_schema(grants::SCHEMA).expect("grants table");
        let clock = ManualClock::at_unix(START);
        let grant =
            grants::issue(&store, BUCKET, REGION, PREFIX, START as i64, 1800).expect("grant");
        let app = router(CosState {
            store: store.clone(),
            clock: Arc::new(clock.clone()),
            bucket: BUCKET.into(),
            region: REGION.into(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Cos {
            base: format!("http://{addr}"),
            host: addr.to_string(),
            clock,
            store,
            grant,
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(600))
                .build()
                .expect("client"),
            _dir: dir,
        }
    }

    pub fn now(&self) -> i64 {
        use car_emulator::Clock;
        self.clock.unix_seconds()
    }

    /// Another grant, e.g. for a different prefix.
    pub fn issue(&self, prefix: &str, ttl: i64) -> CosGrant {
        grants::issue(&self.store, BUCKET, REGION, prefix, self.now(), ttl).expect("grant")
    }

    pub fn req(&self, method: &str, key: &str) -> Req<'_> {
        Req {
            cos: self,
            method: method.into(),
            key: key.into(),
            params: Vec::new(),
            headers: Vec::new(),
            body: None,
            grant: self.grant.clone(),
            key_time: KeyTime::around(self.now(), 3600),
            host: self.host.clone(),
            signed_host: None,
            token: Some(self.grant.session_token.clone()),
            sign: true,
            signed_path: None,
        }
    }
}

/// The key as the SDK puts it on the wire: every byte but unreserved ones and `/` escaped.
pub fn wire_key(key: &str) -> String {
    key.split('/')
        .map(cos_signing::encode)
        .collect::<Vec<_>>()
        .join("/")
}

pub struct Req<'a> {
    cos: &'a Cos,
    pub method: String,
    pub key: String,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<reqwest::Body>,
    pub grant: CosGrant,
    pub key_time: KeyTime,
    pub host: String,
    pub signed_host: Option<String>,
    pub token: Option<String>,
    pub sign: bool,
    pub signed_path: Option<String>,
}

impl Req<'_> {
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A body of known length (signed as `Content-Length`, as the SDK does).
    pub fn body(mut self, body: impl Into<bytes::Bytes>) -> Self {
        let body: bytes::Bytes = body.into();
        self.headers
            .push(("Content-Length".into(), body.len().to_string()));
        self.body = Some(body.into());
        self
    }

    pub fn grant(mut self, grant: &CosGrant) -> Self {
        self.token = Some(grant.session_token.clone());
        self.grant = grant.clone();
        self
    }

    pub async fn send(self) -> reqwest::Response {
        let mut headers = self.headers.clone();
        headers.push(("Host".into(), self.host.clone()));
        if let Some(token) = &self.token {
            headers.push(("x-cos-security-token".into(), token.clone()));
        }
        let mut signed_headers = headers.clone();
        if let Some(h) = &self.signed_host {
            for (n, v) in &mut signed_headers {
                if n == "Host" {
                    *v = h.clone();
                }
            }
        }
        if self.sign {
            let path = self
                .signed_path
                .clone()
                .unwrap_or_else(|| format!("/{}", self.key));
            let params: Vec<(&str, &str)> = self
                .params
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let to_sign: Vec<(&str, &str)> = signed_headers
                .iter()
                .filter(|(n, _)| cos_signing::is_signed_header(n))
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let auth = cos_signing::authorization(
                &self.grant.secret_id,
                &self.grant.secret_key,
                &CosRequest {
                    method: &self.method,
                    path: &path,
                    params: &params,
                    headers: &to_sign,
                },
                self.key_time,
            );
            headers.push(("Authorization".into(), auth));
        }
        let mut url = format!("{}/{}", self.cos.base, wire_key(&self.key));
        if !self.params.is_empty() {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(self.params.iter())
                .finish();
            url = format!("{url}?{query}");
        }
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut rb = self.cos.client.request(method, url);
        for (n, v) in headers {
            rb = rb.header(n, v);
        }
        if let Some(body) = self.body {
            rb = rb.body(body);
        }
        rb.send().await.expect("the emulator answers")
    }
}

/// The status, the headers and the body text of an answer.
pub async fn read(resp: reqwest::Response) -> (u16, reqwest::header::HeaderMap, String) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    (status, headers, body)
}

pub fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
        .to_str()
        .expect("ASCII header")
        .to_owned()
}

/// The texts of every `<name>` element in `doc` (with the five XML escapes undone).
pub fn elements(doc: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let j = after
            .find(&close)
            .unwrap_or_else(|| panic!("unclosed <{name}> in {doc}"));
        out.push(
            after[..j]
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
        rest = &after[j + close.len()..];
    }
    out
}

pub fn element(doc: &str, name: &str) -> String {
    let all = elements(doc, name);
    assert_eq!(all.len(), 1, "expected one <{name}> in {doc}");
    all.into_iter().next().unwrap_or_default()
}

/// Checks a COS error answer: status, code, and the fields the SDK's parser requires.
pub async fn expect_error(resp: reqwest::Response, status: u16, code: &str) -> String {
    let (got, headers, body) = read(resp).await;
    assert_eq!(
        (got, elements(&body, "Code")),
        (status, vec![code.to_owned()]),
        "{body}"
    );
    for field in ["Message", "Resource", "RequestId"] {
        assert!(!element(&body, field).is_empty(), "{field} empty in {body}");
    }
    assert_eq!(header(&headers, "content-type"), "application/xml");
    assert_eq!(
        header(&headers, "x-cos-request-id"),
        element(&body, "RequestId")
    );
    assert!(!header(&headers, "x-cos-trace-id").is_empty());
    assert_eq!(header(&headers, "server"), "tencent-cos");
    element(&body, "Message")
}

/// `"<md5 hex>"` of `data`, as COS's ETag of a simple upload or part (reference §7).
pub fn md5_etag(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    format!("\"{}\"", hex::encode(Md5::digest(data)))
}

/// The Complete body exactly as cos-python-sdk-v5 builds it.
pub fn complete_body(parts: &[(u32, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><CompleteMultipartUpload>");
    for (n, etag) in parts {
        s.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
            etag.replace('"', "&quot;")
        ));
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}
