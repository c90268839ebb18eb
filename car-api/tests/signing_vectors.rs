//! Reproduces, byte for byte, the TC3 vectors computed with Tencent's official Python
//! SDK request builder and the steps Tencent's "Signature v3" page publishes.
//!
//! Every expected value here comes from `tests/data/tc3-signing.json`, a copy of the
//! project's shared vectors kept in the repository so a fresh clone tests against them:
//! the file is compiled in, so a missing or unreadable copy fails the build of this
//! test rather than skipping it.

use car_api::signing::{
    canonical_request, credential_scope, hashed_payload, sign_post_json, string_to_sign,
    tc3_headers, utc_date, SigningParams,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

const TC3_VECTORS: &str = include_str!("data/tc3-signing.json");
const COS_VECTORS: &str = include_str!("data/cos-signing-and-crc64.json");

fn tc3() -> Value {
    serde_json::from_str(TC3_VECTORS).expect("tests/data/tc3-signing.json is valid JSON")
}

fn vectors(doc: &Value) -> &[Value] {
    let list = doc["vectors"]
        .as_array()
        .expect("tests/data/tc3-signing.json has a `vectors` array");
    // The file holds six vectors; fewer means it was truncated or replaced.
    assert_eq!(list.len(), 6, "tests/data/tc3-signing.json lost vectors");
    list
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector member `{key}` is not a string: {v}"))
}

/// `(secret_id, scope, signature)` parsed out of an expected `Authorization` value.
fn authorization_parts(auth: &str) -> (&str, &str, &str) {
    let rest = auth
        .strip_prefix("TC3-HMAC-SHA256 Credential=")
        .expect("vector Authorization starts with the algorithm");
    let (credential, rest) = rest
        .split_once(", SignedHeaders=content-type;host, Signature=")
        .expect("vector Authorization has SignedHeaders and Signature");
    let (id, scope) = credential.split_once('/').expect("Credential has a scope");
    (id, scope, rest)
}

#[test]
fn every_vector_reproduces_expected_headers() {
    let doc = tc3();
    for v in vectors(&doc) {
        let name = text(v, "name");
        let expected: Vec<(String, String)> = v["expected_headers"]
            .as_object()
            .expect("expected_headers object")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("header value").to_owned()))
            .collect();
        // The SDK always sends its language; the vector records which one it used.
        let language = expected
            .iter()
            .find(|(k, _)| k == "X-TC-Language")
            .map(|(_, v)| v.as_str());
        let headers = tc3_headers(
            text(v, "secret_id"),
            text(v, "secret_key"),
            v["token"].as_str(),
            text(v, "service"),
            text(v, "version"),
            text(v, "action"),
            v["region"].as_str(),
            text(v, "host"),
            v["timestamp"].as_i64().expect("timestamp"),
            language,
            text(v, "body").as_bytes(),
        );
        let got: Vec<(String, String)> = headers
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        // serde_json keeps object order only with `preserve_order`; compare as sets and
        // check the SDK's order (Content-Type first, Authorization last) separately.
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert_eq!(got_sorted, expected_sorted, "vector {name}");
        assert_eq!(
            got.first().map(|h| h.0.as_str()),
            Some("Content-Type"),
            "vector {name}"
        );
        assert_eq!(
            got.last().map(|h| h.0.as_str()),
            Some("Authorization"),
            "vector {name}"
        );
    }
}

#[test]
fn sign_post_json_matches_vector_authorization() {
    let doc = tc3();
    for v in vectors(&doc) {
        let name = text(v, "name");
        let body = text(v, "body").as_bytes();
        let params = SigningParams::new(
            text(v, "secret_id"),
            text(v, "secret_key"),
            text(v, "service"),
            text(v, "host"),
            v["timestamp"].as_i64().expect("timestamp"),
        );
        let sig = sign_post_json(&params, body);
        let want = text(&v["expected_headers"], "Authorization");
        assert_eq!(sig.authorization(), want, "vector {name}");
        assert_eq!(sig.clone().into_authorization(), want, "vector {name}");
        let (_, want_scope, want_signature) = authorization_parts(want);
        assert_eq!(sig.credential_scope(), want_scope, "vector {name}");
        assert_eq!(sig.signature(), want_signature, "vector {name}");
        assert_eq!(
            credential_scope(params.timestamp, params.service),
            want_scope,
            "vector {name}"
        );
        assert_eq!(
            format!("{}/car/tc3_request", utc_date(params.timestamp)),
            want_scope,
            "vector {name}"
        );
        // The body hash is plain SHA-256 of the bytes sent (the `sha2` crate, not ours).
        let body_hash = hex::encode(Sha256::digest(body));
        assert_eq!(sig.hashed_payload(), body_hash, "vector {name}");
        assert_eq!(hashed_payload(body), body_hash, "vector {name}");

        // Steps 1-2 through the public helpers give the text the streamed signer hashed.
        let canonical = canonical_request(params.content_type, params.host, &body_hash);
        assert_eq!(
            canonical,
            format!(
                "POST\n/\n\ncontent-type:application/json\nhost:{}\n\ncontent-type;host\n{body_hash}",
                text(v, "host")
            ),
            "vector {name}"
        );
        let hashed = hex::encode(Sha256::digest(canonical.as_bytes()));
        assert_eq!(sig.hashed_canonical_request(), hashed, "vector {name}");
        let sts = string_to_sign(params.timestamp, params.service, &canonical);
        assert_eq!(
            sts,
            format!(
                "TC3-HMAC-SHA256\n{}\n{want_scope}\n{hashed}",
                v["timestamp"]
            ),
            "vector {name}"
        );
    }
}

#[test]
fn published_doc_example_steps_1_and_2() {
    let doc = tc3();
    let ex = &doc["published_doc_example"];
    let body = text(ex, "body").as_bytes();
    let content_type = text(ex, "content_type");
    let host = text(ex, "host");
    let service = text(ex, "service");
    let timestamp = ex["timestamp"].as_i64().expect("timestamp");
    assert_eq!(text(ex, "signed_headers"), car_api::signing::SIGNED_HEADERS);

    let payload = hashed_payload(body);
    assert_eq!(payload, text(ex, "hashed_payload"));

    let canonical = canonical_request(content_type, host, &payload);
    let hashed = hex::encode(Sha256::digest(canonical.as_bytes()));
    assert_eq!(hashed, text(ex, "hashed_canonical_request"));
    assert_eq!(
        credential_scope(timestamp, service),
        text(ex, "credential_scope")
    );
    assert_eq!(
        string_to_sign(timestamp, service, &canonical),
        format!(
            "TC3-HMAC-SHA256\n{timestamp}\n{}\n{}",
            text(ex, "credential_scope"),
            text(ex, "hashed_canonical_request")
        )
    );

    // The same through the one-shot signer with the example's content type.
    let params = SigningParams::new("AKIDEXAMPLE", "masked", service, host, timestamp)
        .with_content_type(content_type);
    let sig = sign_post_json(&params, body);
    assert_eq!(sig.hashed_payload(), text(ex, "hashed_payload"));
    assert_eq!(
        sig.hashed_canonical_request(),
        text(ex, "hashed_canonical_request")
    );
    assert_eq!(sig.credential_scope(), text(ex, "credential_scope"));
}

/// The COS vectors are for the uploader; until it exists they are checked for being
/// whole, so the copy cannot rot unnoticed.
#[test]
fn cos_vectors_are_vendored_whole() {
    let doc: Value =
        serde_json::from_str(COS_VECTORS).expect("tests/data/cos-signing-and-crc64.json is JSON");
    let vectors = doc["vectors"].as_array().expect("cos vectors array");
    assert_eq!(vectors.len(), 6);
    for v in vectors {
        assert!(
            text(v, "expected_authorization").starts_with("q-sign-algorithm=sha1&q-ak="),
            "{v}"
        );
    }
    // CRC-64/XZ's catalogue check value for "123456789" is 0x995DC9BBDF1939FA.
    let check = doc["crc64"]
        .as_array()
        .expect("crc64 array")
        .iter()
        .find(|c| c["input_ascii"] == "123456789")
        .expect("the check input is present");
    assert_eq!(
        text(check, "crc64ecma_decimal"),
        0x995D_C9BB_DF19_39FA_u64.to_string()
    );
}

#[test]
fn utc_date_around_epoch_and_leap_years() {
    // Dates from the Gregorian calendar (`date -u -d @<ts>`), not from our code.
    assert_eq!(utc_date(0), "1970-01-01");
    assert_eq!(utc_date(-1), "1969-12-31");
    assert_eq!(utc_date(951_782_399), "2000-02-28");
    assert_eq!(utc_date(951_782_400), "2000-02-29");
    assert_eq!(utc_date(1_709_251_199), "2024-02-29");
    assert_eq!(utc_date(1_709_251_200), "2024-03-01");
    assert_eq!(utc_date(4_107_542_399), "2100-02-28");
    assert_eq!(utc_date(4_107_542_400), "2100-03-01");
    // Last second of a UTC day stays on that day whatever the local zone is.
    assert_eq!(utc_date(1_767_139_199), "2025-12-30");
    assert_eq!(utc_date(1_767_139_200), "2025-12-31");
}

#[test]
fn header_order_and_optional_headers() {
    let headers = tc3_headers(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        Some("tok"),
        "car",
        "2022-01-10",
        "DescribeCosCredential",
        Some("ap-guangzhou"),
        "car.tencentcloudapi.com",
        1_551_113_065,
        Some("en-US"),
        b"{}",
    );
    let names: Vec<&str> = headers.iter().map(|h| h.0).collect();
    // The order tencentcloud-sdk-python's `_build_req_with_tc3_signature` sets them in.
    assert_eq!(
        names,
        [
            "Content-Type",
            "Host",
            "X-TC-Action",
            "X-TC-Timestamp",
            "X-TC-Version",
            "X-TC-Region",
            "X-TC-Token",
            "X-TC-Language",
            "Authorization"
        ]
    );
    let bare = tc3_headers(
        "id",
        "key",
        Some(""),
        "car",
        "v",
        "A",
        None,
        "h",
        1,
        Some(""),
        b"{}",
    );
    let names: Vec<&str> = bare.iter().map(|h| h.0).collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "Host",
            "X-TC-Action",
            "X-TC-Timestamp",
            "X-TC-Version",
            "Authorization"
        ]
    );
}
