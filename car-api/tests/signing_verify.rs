//! The verifier accepts every request Tencent's official Python SDK signed
//! (`tests/data/tc3-signing.json`, compiled in so a missing copy fails the build) and
//! refuses each one-byte change to what the signature covers.

use car_api::signing::{verify, Authorization, ReceivedRequest, VerifyError};
use serde_json::Value;

const TC3_VECTORS: &str = include_str!("data/tc3-signing.json");

struct Vector {
    name: String,
    secret_key: String,
    service: String,
    timestamp: i64,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

impl Vector {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn check(&self) -> Result<(), VerifyError> {
        let auth = Authorization::parse(self.header("Authorization").expect("Authorization"))?;
        let request = ReceivedRequest {
            method: "POST",
            path: "/",
            query: "",
            timestamp: self.timestamp,
            body: &self.body,
        };
        verify(&auth, &self.secret_key, &self.service, &request, |n| {
            self.header(n)
        })
    }

    fn set_header(&mut self, name: &str, value: String) {
        for (k, v) in &mut self.headers {
            if k.eq_ignore_ascii_case(name) {
                *v = value;
                return;
            }
        }
        panic!("vector {} has no header {name}", self.name);
    }
}

fn vectors() -> Vec<Vector> {
    let doc: Value = serde_json::from_str(TC3_VECTORS).expect("valid JSON");
    let list = doc["vectors"].as_array().expect("a vectors array");
    assert_eq!(list.len(), 6, "tests/data/tc3-signing.json lost vectors");
    list.iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().to_owned(),
            secret_key: v["secret_key"].as_str().unwrap().to_owned(),
            service: v["service"].as_str().unwrap().to_owned(),
            timestamp: v["timestamp"].as_i64().unwrap(),
            body: v["body"].as_str().unwrap().as_bytes().to_vec(),
            headers: v["expected_headers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect(),
        })
        .collect()
}

/// Changes one byte of `s` (the one at `at`) to another printable ASCII byte.
fn one_byte_changed(s: &str, at: usize) -> String {
    let mut bytes = s.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn every_official_sdk_vector_verifies() {
    for v in vectors() {
        assert_eq!(v.check(), Ok(()), "vector {}", v.name);
    }
}

#[test]
fn a_one_byte_change_to_anything_signed_is_a_mismatch() {
    for original in vectors() {
        let name = original.name.clone();

        let mut v = vectors().into_iter().find(|x| x.name == name).unwrap();
        let last = v.body.len() - 2;
        v.body[last] ^= 0x01;
        assert_eq!(v.check(), Err(VerifyError::Mismatch), "{name}: body");

        let mut v = vectors().into_iter().find(|x| x.name == name).unwrap();
        let host = v.header("Host").unwrap().to_owned();
        v.set_header("Host", one_byte_changed(&host, 0));
        assert_eq!(v.check(), Err(VerifyError::Mismatch), "{name}: host");

        let mut v = vectors().into_iter().find(|x| x.name == name).unwrap();
        v.set_header("Content-Type", "application/jsoN".into());
        assert_eq!(
            v.check(),
            Err(VerifyError::Mismatch),
            "{name}: content type"
        );

        let mut v = vectors().into_iter().find(|x| x.name == name).unwrap();
        // One second off, staying on the same UTC day (two vectors sit on a day boundary).
        v.timestamp += if v.timestamp % 86_400 == 0 { 1 } else { -1 };
        assert_eq!(v.check(), Err(VerifyError::Mismatch), "{name}: timestamp");

        let mut v = vectors().into_iter().find(|x| x.name == name).unwrap();
        v.secret_key = one_byte_changed(&v.secret_key, 5);
        assert_eq!(v.check(), Err(VerifyError::Mismatch), "{name}: key");

        let mut v = vectors().into_iter().find(|x| x.name == name).unwrap();
        let auth = v.header("Authorization").unwrap().to_owned();
        v.set_header("Authorization", one_byte_changed(&auth, auth.len() - 1));
        assert_eq!(v.check(), Err(VerifyError::Mismatch), "{name}: signature");
    }
}

#[test]
fn unsigned_headers_may_change_freely() {
    // The token, action, region and language are sent but not signed (SignedHeaders is
    // content-type;host in every vector), so the service does not notice a change.
    for mut v in vectors() {
        v.set_header("X-TC-Action", "SomethingElse".into());
        v.set_header("X-TC-Language", "zh-CN".into());
        assert_eq!(v.check(), Ok(()), "vector {}", v.name);
    }
}

#[test]
fn the_scope_must_fit_the_timestamp_and_service() {
    let mut v = vectors().remove(0);
    // A day later: the credential scope's date no longer matches.
    v.timestamp += 86_400;
    let err = v.check().unwrap_err();
    assert!(matches!(err, VerifyError::Scope(_)), "{err:?}");
    assert_eq!(err.error_code(), "AuthFailure.InvalidAuthorization");
    assert!(err.to_string().contains("2019-02-25"), "{err}");

    let mut v = vectors().remove(0);
    v.service = "cvm".into();
    let err = v.check().unwrap_err();
    assert!(
        err.to_string().contains("service `car` is not `cvm`"),
        "{err}"
    );
}

/// A request whose SignedHeaders add `x-tc-action` to the required two. Expected
/// signature computed with Python's hashlib/hmac following Tencent's published steps
/// (canonical headers in SignedHeaders order, values as sent), not with this crate.
#[test]
fn any_signed_header_set_with_content_type_and_host_verifies() {
    let auth = "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/car/tc3_request, \
                SignedHeaders=content-type;host;x-tc-action, \
                Signature=de0add2d88890cbcdb5d00994c60d5c610bdcde18d65a2fd9540abb4e0d9a097";
    let headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("host", "127.0.0.1:8787"),
        ("x-tc-action", "DescribeApplicationList"),
    ];
    let body = br#"{"Limit": 10, "Offset": 0}"#;
    let request = ReceivedRequest {
        method: "POST",
        path: "/",
        query: "",
        timestamp: 1_700_000_000,
        body,
    };
    let lookup = |name: &str| headers.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let parsed = Authorization::parse(auth).unwrap();
    assert_eq!(parsed.signed_headers(), "content-type;host;x-tc-action");
    let key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
    assert_eq!(verify(&parsed, key, "car", &request, lookup), Ok(()));

    // Now the action header is covered: changing it is a mismatch.
    let changed = |name: &str| match name {
        "x-tc-action" => Some("DescribeApplicationLisT"),
        other => lookup(other),
    };
    assert_eq!(
        verify(&parsed, key, "car", &request, changed),
        Err(VerifyError::Mismatch)
    );
    // And leaving it out is named.
    let missing = |name: &str| lookup(name).filter(|_| name != "x-tc-action");
    assert_eq!(
        verify(&parsed, key, "car", &request, missing),
        Err(VerifyError::MissingHeader("x-tc-action".into()))
    );
}

#[test]
fn signed_headers_without_content_type_or_host_are_refused_by_name() {
    let v = vectors().remove(0);
    let auth = v.header("Authorization").unwrap();
    for (signed, missing) in [("host", "content-type"), ("content-type", "host")] {
        let changed = auth.replace(
            "SignedHeaders=content-type;host",
            &format!("SignedHeaders={signed}"),
        );
        let parsed = Authorization::parse(&changed).unwrap();
        let request = ReceivedRequest {
            method: "POST",
            path: "/",
            query: "",
            timestamp: v.timestamp,
            body: &v.body,
        };
        let err = verify(&parsed, &v.secret_key, "car", &request, |n| v.header(n)).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("must include `{missing}`")),
            "{err}"
        );
    }
}

#[test]
fn malformed_authorization_values_say_what_was_expected() {
    for (value, expected) in [
        ("HMAC-SHA1 Credential=a", "start with `TC3-HMAC-SHA256 `"),
        (
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/car, SignedHeaders=host, Signature=00",
            "Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request",
        ),
        (
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/car/tc3_request, Signature=00",
            "a SignedHeaders part",
        ),
        (
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/car/tc3_request, SignedHeaders=host, SignedHeaders=host, Signature=0",
            "each of its parts once",
        ),
        (
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/car/tc3_request, Extra=1",
            "only Credential, SignedHeaders and Signature",
        ),
    ] {
        let err = Authorization::parse(value).unwrap_err();
        assert!(err.to_string().contains(expected), "{value}: {err}");
        assert_eq!(err.error_code(), "AuthFailure.InvalidAuthorization");
    }
}

#[test]
fn debug_of_a_parsed_authorization_shows_neither_id_nor_signature() {
    let v = vectors().remove(0);
    let auth = v.header("Authorization").unwrap();
    let parsed = Authorization::parse(auth).unwrap();
    let shown = format!("{parsed:?}");
    let signature = auth.rsplit("Signature=").next().unwrap();
    assert!(!shown.contains(signature), "{shown}");
    assert!(
        !shown.contains("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"),
        "{shown}"
    );
    assert!(
        shown.contains("AKID****") && shown.contains("2019-02-25"),
        "{shown}"
    );
}

/// What `Authorization::parse` reads back is what the SDK was given: the vector's
/// SecretId, the UTC date of its timestamp (1551113065 is 2019-02-25) and its service.
#[test]
fn the_parsed_authorization_names_the_vectors_key_date_and_service() {
    let doc: Value = serde_json::from_str(TC3_VECTORS).unwrap();
    for v in doc["vectors"].as_array().unwrap() {
        let header = v["expected_headers"]["Authorization"].as_str().unwrap();
        let auth = Authorization::parse(header).unwrap();
        assert_eq!(auth.secret_id(), v["secret_id"].as_str().unwrap());
        assert_eq!(auth.service(), v["service"].as_str().unwrap());
        assert_eq!(auth.signed_headers(), "content-type;host");
        if v["timestamp"] == 1551113065 {
            assert_eq!(auth.date(), "2019-02-25");
        }
    }
}

/// The codes are Tencent's: a signature that does not match is
/// `AuthFailure.SignatureFailure`; anything malformed is `AuthFailure.InvalidAuthorization`.
#[test]
fn refusals_carry_the_services_codes() {
    let mut v = vectors().remove(0);
    let key = v.secret_key.clone();
    v.secret_key = one_byte_changed(&key, 0);
    let err = v.check().unwrap_err();
    assert_eq!(err, VerifyError::Mismatch);
    assert_eq!(err.error_code(), "AuthFailure.SignatureFailure");
    for other in [
        VerifyError::Malformed("x"),
        VerifyError::SignedHeaders("x".into()),
        VerifyError::MissingHeader("x".into()),
        VerifyError::Scope("x".into()),
    ] {
        assert_eq!(other.error_code(), "AuthFailure.InvalidAuthorization");
    }
}

/// An empty name in SignedHeaders (`content-type;;host`) is refused as a bad list, not
/// looked up as a header called "".
#[test]
fn an_empty_signed_header_name_is_a_bad_list() {
    let mut v = vectors().remove(0);
    let auth = v.header("Authorization").unwrap().to_owned();
    v.set_header(
        "Authorization",
        auth.replace(
            "SignedHeaders=content-type;host",
            "SignedHeaders=content-type;;host",
        ),
    );
    match v.check() {
        Err(VerifyError::SignedHeaders(why)) => {
            assert!(why.contains("content-type;;host"), "{why}")
        }
        other => panic!("expected a SignedHeaders refusal, got {other:?}"),
    }
}
