//! Reproduces the TC3 vectors computed with Tencent's official Python SDK
//! (`shared/test-vectors/tc3-signing.json`) byte for byte.

use car_api::signing::{
    canonical_request, credential_scope, hashed_payload, sign_post_json, string_to_sign,
    tc3_headers, utc_date, SigningParams,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/test-vectors/tc3-signing.json"
);

fn load() -> Option<Value> {
    match std::fs::read_to_string(VECTORS) {
        Ok(text) => Some(serde_json::from_str(&text).expect("vector file is valid JSON")),
        Err(err) => {
            eprintln!("note: {VECTORS} not readable ({err}); skipping shared TC3 vectors");
            None
        }
    }
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

#[test]
fn every_vector_reproduces_expected_headers() {
    let Some(doc) = load() else { return };
    let vectors = doc["vectors"].as_array().expect("vectors array");
    assert!(!vectors.is_empty());
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let expected: Vec<(String, String)> = v["expected_headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let language = expected
            .iter()
            .find(|(k, _)| k == "X-TC-Language")
            .map(|(_, v)| v.as_str());
        let headers = tc3_headers(
            v["secret_id"].as_str().unwrap(),
            v["secret_key"].as_str().unwrap(),
            opt_str(&v["token"]),
            v["service"].as_str().unwrap(),
            v["version"].as_str().unwrap(),
            v["action"].as_str().unwrap(),
            opt_str(&v["region"]),
            v["host"].as_str().unwrap(),
            v["timestamp"].as_i64().unwrap(),
            language,
            v["body"].as_str().unwrap().as_bytes(),
        );
        let got: Vec<(String, String)> = headers
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        // serde_json keeps object order only with `preserve_order`; compare as sets and
        // check our own order separately.
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
    let Some(doc) = load() else { return };
    for v in doc["vectors"].as_array().unwrap() {
        let body = v["body"].as_str().unwrap().as_bytes();
        let params = SigningParams::new(
            v["secret_id"].as_str().unwrap(),
            v["secret_key"].as_str().unwrap(),
            v["service"].as_str().unwrap(),
            v["host"].as_str().unwrap(),
            v["timestamp"].as_i64().unwrap(),
        );
        let sig = sign_post_json(&params, body);
        assert_eq!(
            sig.authorization(),
            v["expected_headers"]["Authorization"].as_str().unwrap()
        );
        assert_eq!(
            sig.credential_scope(),
            format!("{}/car/tc3_request", utc_date(params.timestamp))
        );
        // Steps 1-2 through the public helpers agree with the streamed computation.
        let canonical = canonical_request(params.content_type, params.host, &hashed_payload(body));
        let hashed = hex::encode(Sha256::digest(canonical.as_bytes()));
        assert_eq!(sig.hashed_canonical_request(), hashed);
        let sts = string_to_sign(params.timestamp, params.service, &canonical);
        assert_eq!(
            sts,
            format!(
                "TC3-HMAC-SHA256\n{}\n{}\n{}",
                params.timestamp,
                sig.credential_scope(),
                hashed
            )
        );
    }
}

#[test]
fn published_doc_example_steps_1_and_2() {
    let Some(doc) = load() else { return };
    let ex = &doc["published_doc_example"];
    let body = ex["body"].as_str().unwrap().as_bytes();
    let content_type = ex["content_type"].as_str().unwrap();
    let host = ex["host"].as_str().unwrap();
    let service = ex["service"].as_str().unwrap();
    let timestamp = ex["timestamp"].as_i64().unwrap();
    assert_eq!(
        ex["signed_headers"].as_str(),
        Some(car_api::signing::SIGNED_HEADERS)
    );

    let payload = hashed_payload(body);
    assert_eq!(payload, ex["hashed_payload"].as_str().unwrap());

    let canonical = canonical_request(content_type, host, &payload);
    let hashed = hex::encode(Sha256::digest(canonical.as_bytes()));
    assert_eq!(hashed, ex["hashed_canonical_request"].as_str().unwrap());
    assert_eq!(
        credential_scope(timestamp, service),
        ex["credential_scope"].as_str().unwrap()
    );

    // The same through the one-shot signer with the example's content type.
    let params = SigningParams::new("AKIDEXAMPLE", "masked", service, host, timestamp)
        .with_content_type(content_type);
    let sig = sign_post_json(&params, body);
    assert_eq!(sig.hashed_payload(), ex["hashed_payload"].as_str().unwrap());
    assert_eq!(
        sig.hashed_canonical_request(),
        ex["hashed_canonical_request"].as_str().unwrap()
    );
    assert_eq!(
        sig.credential_scope(),
        ex["credential_scope"].as_str().unwrap()
    );
}

#[test]
fn utc_date_around_epoch_and_leap_years() {
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
