//! Proves `car_api::cos_signing` against COS's published worked example and the vectors
//! computed with the official cos-python-sdk-v5 (`tests/data/cos-signing-and-crc64.json`,
//! compiled in: a missing copy fails the build of this test rather than skipping it).

use car_api::cos_signing::{
    authorization, encode, http_string, is_signed_header, sign_key, string_to_sign, verify,
    Authorization, CosRequest, KeyTime, ParseError, VerifyError,
};
use serde_json::Value;
use sha1::{Digest, Sha1};

const VECTORS: &str = include_str!("data/cos-signing-and-crc64.json");

fn doc() -> Value {
    serde_json::from_str(VECTORS).expect("tests/data/cos-signing-and-crc64.json is JSON")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("member `{key}` is not a string: {v}"))
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
        .collect()
}

fn borrowed(p: &[(String, String)]) -> Vec<(&str, &str)> {
    p.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// One SDK vector, owned.
struct Vector {
    name: String,
    method: String,
    path: String,
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    now: i64,
    key_time: KeyTime,
    secret_id: String,
    secret_key: String,
    expected: String,
}

impl Vector {
    fn request<'a>(
        &'a self,
        params: &'a [(&'a str, &'a str)],
        headers: &'a [(&'a str, &'a str)],
    ) -> CosRequest<'a> {
        CosRequest {
            method: &self.method,
            path: &self.path,
            params,
            headers,
        }
    }
}

fn vectors() -> Vec<Vector> {
    let doc = doc();
    let list = doc["vectors"].as_array().expect("a `vectors` array");
    // The file holds six SDK vectors; fewer means it was truncated or replaced.
    assert_eq!(list.len(), 6, "the vector file lost vectors");
    list.iter()
        .map(|v| Vector {
            name: text(v, "name").to_owned(),
            method: text(v, "method").to_owned(),
            path: format!("/{}", text(v, "key")),
            params: pairs(&v["query"]),
            headers: pairs(&v["headers"]),
            now: v["now"].as_i64().expect("now"),
            key_time: KeyTime::parse(text(v, "key_time")).expect("key_time"),
            secret_id: text(v, "secret_id").to_owned(),
            secret_key: text(v, "secret_key").to_owned(),
            expected: text(v, "expected_authorization").to_owned(),
        })
        .collect()
}

#[test]
fn every_sdk_vector_is_reproduced_byte_for_byte() {
    for v in vectors() {
        let params = borrowed(&v.params);
        let headers = borrowed(&v.headers);
        let got = authorization(
            &v.secret_id,
            &v.secret_key,
            &v.request(&params, &headers),
            v.key_time,
        );
        assert_eq!(got, v.expected, "vector {}", v.name);
    }
}

#[test]
fn the_published_worked_example_is_reproduced_step_by_step() {
    let doc = doc();
    let ex = &doc["published_doc_example"];
    let headers = pairs(&ex["headers"]);
    let headers = borrowed(&headers);
    let key_time = KeyTime::parse(text(ex, "key_time")).expect("key_time");
    let request = CosRequest {
        method: text(ex, "method"),
        path: text(ex, "path_decoded"),
        params: &[],
        headers: &headers,
    };
    assert_eq!(
        sign_key(text(ex, "secret_key"), key_time),
        text(ex, "sign_key")
    );
    let http = http_string(&request);
    assert_eq!(
        hex::encode(Sha1::digest(http.as_bytes())),
        text(ex, "sha1_http_string")
    );
    let auth = authorization(
        text(ex, "secret_id"),
        text(ex, "secret_key"),
        &request,
        key_time,
    );
    let expected_tail = format!(
        "&q-header-list={}&q-url-param-list=&q-signature={}",
        text(ex, "header_list"),
        text(ex, "signature")
    );
    assert!(auth.ends_with(&expected_tail), "{auth}");
    assert!(
        auth.starts_with(&format!(
            "q-sign-algorithm=sha1&q-ak={}&q-sign-time={key_time}&q-key-time={key_time}&",
            text(ex, "secret_id")
        )),
        "{auth}"
    );
    // Step 5's layout: the algorithm, the window and the HttpString's SHA-1, each ending a line.
    assert_eq!(
        string_to_sign(key_time, &http),
        format!("sha1\n{key_time}\n{}\n", text(ex, "sha1_http_string"))
    );
}

#[test]
fn verify_accepts_each_vector_as_received() {
    for v in vectors() {
        let auth = Authorization::parse(&v.expected).expect(&v.name);
        let params = borrowed(&v.params);
        let headers = borrowed(&v.headers);
        assert_eq!(auth.secret_id(), v.secret_id);
        assert_eq!(
            verify(&auth, &v.secret_key, &v.request(&params, &headers), v.now),
            Ok(()),
            "vector {}",
            v.name
        );
        // Unsigned extras (a retry's x-cos-sdk-retry is signed, but e.g. User-Agent is not)
        // do not disturb the signature.
        let mut more = headers.clone();
        more.push(("User-Agent", "cos-python-sdk-v5.1.9.44"));
        assert_eq!(
            verify(&auth, &v.secret_key, &v.request(&params, &more), v.now),
            Ok(()),
            "vector {} with an unsigned header",
            v.name
        );
    }
}

/// Changes the last byte of `s` to another printable ASCII character.
fn flip_last(s: &str) -> String {
    let mut bytes = s.as_bytes().to_vec();
    let last = bytes.last_mut().expect("non-empty");
    *last = if *last == b'x' { b'y' } else { b'x' };
    String::from_utf8(bytes).expect("ASCII change keeps UTF-8")
}

#[test]
fn verify_refuses_a_one_byte_change_anywhere_signed() {
    let mut params_checked = 0;
    for v in vectors() {
        let auth = Authorization::parse(&v.expected).expect(&v.name);
        let params = borrowed(&v.params);
        let headers = borrowed(&v.headers);
        let mismatch = Err(VerifyError::SignatureMismatch);

        let wrong_secret = flip_last(&v.secret_key);
        assert_eq!(
            verify(&auth, &wrong_secret, &v.request(&params, &headers), v.now),
            mismatch,
            "{}: secret key",
            v.name
        );

        let path = flip_last(&v.path);
        let mut req = v.request(&params, &headers);
        req.path = &path;
        assert_eq!(
            verify(&auth, &v.secret_key, &req, v.now),
            mismatch,
            "{}: path",
            v.name
        );

        let method = if v.method == "PUT" { "POST" } else { "PUT" };
        let mut req = v.request(&params, &headers);
        req.method = method;
        assert_eq!(
            verify(&auth, &v.secret_key, &req, v.now),
            mismatch,
            "{}: method",
            v.name
        );

        for i in 0..headers.len() {
            let changed = flip_last(headers[i].1);
            let mut h = headers.clone();
            h[i].1 = &changed;
            assert_eq!(
                verify(&auth, &v.secret_key, &v.request(&params, &h), v.now),
                mismatch,
                "{}: header {}",
                v.name,
                headers[i].0
            );
        }

        for i in 0..params.len() {
            let changed = if params[i].1.is_empty() {
                "x".to_owned()
            } else {
                flip_last(params[i].1)
            };
            let mut p = params.clone();
            p[i].1 = &changed;
            assert_eq!(
                verify(&auth, &v.secret_key, &v.request(&p, &headers), v.now),
                mismatch,
                "{}: param {}",
                v.name,
                params[i].0
            );
            params_checked += 1;
        }
    }
    // initiate (1), upload-part (2), list-parts (3), complete (1).
    assert_eq!(params_checked, 7);
}

#[test]
fn verify_checks_the_time_window_against_the_given_now() {
    for v in vectors() {
        let auth = Authorization::parse(&v.expected).expect(&v.name);
        let params = borrowed(&v.params);
        let headers = borrowed(&v.headers);
        let req = v.request(&params, &headers);
        let end = v.key_time.end;
        let start = v.key_time.start;
        assert_eq!(verify(&auth, &v.secret_key, &req, end), Ok(()));
        assert_eq!(verify(&auth, &v.secret_key, &req, start), Ok(()));
        assert_eq!(
            verify(&auth, &v.secret_key, &req, end + 1),
            Err(VerifyError::Expired { end, now: end + 1 })
        );
        assert_eq!(
            verify(&auth, &v.secret_key, &req, start - 1),
            Err(VerifyError::NotYetValid {
                start,
                now: start - 1
            })
        );
    }
}

#[test]
fn a_signed_header_or_param_missing_from_the_request_is_named() {
    let v = vectors()
        .into_iter()
        .find(|v| v.name == "upload-part")
        .expect("the upload-part vector");
    let auth = Authorization::parse(&v.expected).unwrap();
    let params = borrowed(&v.params);
    let headers = borrowed(&v.headers);
    let no_token: Vec<_> = headers
        .iter()
        .copied()
        .filter(|(n, _)| *n != "x-cos-security-token")
        .collect();
    assert_eq!(
        verify(&auth, &v.secret_key, &v.request(&params, &no_token), v.now),
        Err(VerifyError::MissingHeader("x-cos-security-token".into()))
    );
    let no_upload: Vec<_> = params
        .iter()
        .copied()
        .filter(|(n, _)| *n != "uploadId")
        .collect();
    assert_eq!(
        verify(
            &auth,
            &v.secret_key,
            &v.request(&no_upload, &headers),
            v.now
        ),
        Err(VerifyError::MissingParam("uploadid".into()))
    );
    // Header names match whatever case they arrive in (HTTP/2 and hyper lowercase them).
    let lower: Vec<(String, String)> = v
        .headers
        .iter()
        .map(|(n, val)| (n.to_ascii_lowercase(), val.clone()))
        .collect();
    let lower = borrowed(&lower);
    assert_eq!(
        verify(&auth, &v.secret_key, &v.request(&params, &lower), v.now),
        Ok(())
    );
}

#[test]
fn malformed_authorization_values_are_refused_with_the_field_named() {
    let good = &vectors()[0].expected;
    assert!(Authorization::parse(good).is_ok());
    assert_eq!(
        Authorization::parse(&good.replace("q-sign-algorithm=sha1", "q-sign-algorithm=md5")),
        Err(ParseError::Invalid {
            field: "q-sign-algorithm",
            expected: "`sha1`"
        })
    );
    let without_sig = good.split("&q-signature=").next().unwrap();
    assert_eq!(
        Authorization::parse(without_sig),
        Err(ParseError::Missing("q-signature"))
    );
    assert!(matches!(
        Authorization::parse(&good.replace("q-key-time=1767225540;1767229200", "q-key-time=9;1")),
        Err(ParseError::Invalid {
            field: "q-key-time",
            ..
        })
    ));
    assert_eq!(
        Authorization::parse(&format!("{good}&q-ak=AKIDother")),
        Err(ParseError::Repeated("q-ak"))
    );
    assert!(Authorization::parse("TC3-HMAC-SHA256 Credential=x").is_err());
    let short = &good[..good.len() - 1];
    assert!(matches!(
        Authorization::parse(short),
        Err(ParseError::Invalid {
            field: "q-signature",
            ..
        })
    ));
}

#[test]
fn no_secret_shows_in_debug_or_errors() {
    let v = &vectors()[0];
    let auth = Authorization::parse(&v.expected).unwrap();
    let shown = format!("{auth:?}");
    assert!(!shown.contains(&v.secret_id), "{shown}");
    let params = borrowed(&v.params);
    let headers = borrowed(&v.headers);
    let err = verify(&auth, "wrong", &v.request(&params, &headers), v.now).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(&v.secret_key) && !text.contains("wrong"),
        "{text}"
    );
}

#[test]
fn the_sdk_header_filter_and_encoding() {
    // cos_auth.py filter_headers: a fixed list plus x-cos-* / x-ci-*, any case.
    for name in [
        "Host",
        "Content-Length",
        "x-cos-security-token",
        "Range",
        "X-CI-Foo",
    ] {
        assert!(is_signed_header(name), "{name}");
    }
    for name in [
        "User-Agent",
        "Accept",
        "Accept-Encoding",
        "Connection",
        "Authorization",
    ] {
        assert!(!is_signed_header(name), "{name}");
    }
    // The reference's example: uin="100000000011" is signed as uin%3D%22100000000011%22.
    assert_eq!(encode("uin=\"100000000011\""), "uin%3D%22100000000011%22");
}
