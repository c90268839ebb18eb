//! Who may touch the bucket: temporary keys only, with their token, within their lifetime
//! and prefix, signed correctly, within the signature's window; and which bucket a `Host`
//! names.

mod cos_harness;

use std::time::Duration;

use car_api::cos_signing::KeyTime;
use cos_harness::*;

const KEY: &str = "apps/app-1/ver-1/pkg.zip";

async fn head_status(cos: &Cos, key: &str) -> u16 {
    let wide = cos.issue("", 1800);
    cos.req("HEAD", key)
        .grant(&wide)
        .send()
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_correctly_signed_request_with_its_token_is_served() {
    let cos = Cos::start().await;
    let (status, headers, body) = read(cos.req("PUT", KEY).body("x").send().await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "server"), "tencent-cos");
    assert!(!header(&headers, "x-cos-request-id").is_empty());
    // The probe the refusal tests use sees a write that happened.
    assert_eq!(head_status(&cos, KEY).await, 200);
}

#[tokio::test]
async fn anonymous_requests_are_denied_and_change_nothing() {
    let cos = Cos::start().await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.sign = false;
    expect_error(req.send().await, 403, "AccessDenied").await;
    assert_eq!(head_status(&cos, KEY).await, 404);
}

#[tokio::test]
async fn an_unknown_secret_id_is_invalid_access_key_id() {
    let cos = Cos::start().await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.grant.secret_id = "AKIDneverIssued000000000000000000000".into();
    expect_error(req.send().await, 403, "InvalidAccessKeyId").await;
    assert_eq!(head_status(&cos, KEY).await, 404);
}

#[tokio::test]
async fn a_wrong_secret_key_or_tampered_request_does_not_match() {
    let cos = Cos::start().await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.grant.secret_key.push('x');
    let message = expect_error(req.send().await, 403, "SignatureDoesNotMatch").await;
    assert!(!message.contains(&cos.grant.secret_key), "{message}");

    // Signed for one key, sent to another (inside the prefix).
    let mut req = cos.req("PUT", "apps/app-1/ver-1/other.zip").body("x");
    req.signed_path = Some(format!("/{KEY}"));
    expect_error(req.send().await, 403, "SignatureDoesNotMatch").await;

    assert_eq!(head_status(&cos, KEY).await, 404);
    assert_eq!(head_status(&cos, "apps/app-1/ver-1/other.zip").await, 404);
}

#[tokio::test]
async fn a_signed_header_altered_in_transit_is_refused() {
    let cos = Cos::start().await;
    // The signed Host differs by one byte from the one sent.
    let mut req = cos.req("PUT", KEY).body("x");
    req.signed_host = Some(format!("{}x", cos.host));
    expect_error(req.send().await, 403, "SignatureDoesNotMatch").await;
    assert_eq!(head_status(&cos, KEY).await, 404);
}

#[tokio::test]
async fn the_token_must_be_sent_and_must_be_the_grants() {
    let cos = Cos::start().await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.token = None;
    expect_error(req.send().await, 403, "AccessDenied").await;

    let other = cos.issue(PREFIX, 1800);
    let mut req = cos.req("PUT", KEY).body("x");
    req.token = Some(other.session_token.clone());
    let message = expect_error(req.send().await, 403, "AccessDenied").await;
    assert!(!message.contains(&other.session_token) && !message.contains(&cos.grant.session_token));
    assert_eq!(head_status(&cos, KEY).await, 404);
}

#[tokio::test]
async fn an_expired_temporary_key_is_expired_token_by_the_injected_clock() {
    let cos = Cos::start().await;
    // The grant lasts 1800 s from START; 1799 s later it still works…
    cos.clock.advance(Duration::from_secs(1799));
    let (status, _, body) = read(cos.req("PUT", KEY).body("x").send().await).await;
    assert_eq!(status, 200, "{body}");
    // …one more second and it is expired, even with a fresh signature.
    cos.clock.advance(Duration::from_secs(1));
    expect_error(
        cos.req("PUT", KEY).body("y").send().await,
        400,
        "ExpiredToken",
    )
    .await;
}

#[tokio::test]
async fn the_signature_window_is_checked_against_the_clock() {
    let cos = Cos::start().await;
    let now = cos.now();
    let mut req = cos.req("PUT", KEY).body("x");
    req.key_time = KeyTime {
        start: now - 120,
        end: now - 1,
    };
    let message = expect_error(req.send().await, 403, "AccessDenied").await;
    assert!(message.contains("Request has expired"), "{message}");

    let mut req = cos.req("PUT", KEY).body("x");
    req.key_time = KeyTime {
        start: now + 60,
        end: now + 600,
    };
    expect_error(req.send().await, 403, "RequestTimeTooSkewed").await;
    assert_eq!(head_status(&cos, KEY).await, 404);
}

#[tokio::test]
async fn keys_outside_the_grants_prefix_are_denied() {
    let cos = Cos::start().await;
    for key in ["other/pkg.zip", "apps", "app/x"] {
        expect_error(
            cos.req("PUT", key).body("x").send().await,
            403,
            "AccessDenied",
        )
        .await;
        assert_eq!(head_status(&cos, key).await, 404, "{key}");
    }
    // A bucket listing is allowed only for a prefix inside the grant's.
    expect_error(
        cos.req("GET", "")
            .param("uploads", "")
            .param("prefix", "other/")
            .send()
            .await,
        403,
        "AccessDenied",
    )
    .await;
    let (status, _, body) = read(
        cos.req("GET", "")
            .param("uploads", "")
            .param("prefix", "apps/x")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_virtual_hosted_bucket_name_is_honoured_and_another_is_no_such_bucket() {
    let cos = Cos::start().await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.host = VHOST.into();
    let (status, _, body) = read(req.send().await).await;
    assert_eq!(status, 200, "{body}");

    let mut req = cos.req("PUT", KEY).body("x");
    req.host = "otherbucket-1250000000.cos.ap-guangzhou.myqcloud.com".into();
    expect_error(req.send().await, 404, "NoSuchBucket").await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.host = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com".into();
    expect_error(req.send().await, 404, "NoSuchBucket").await;
}

#[tokio::test]
async fn a_host_signed_without_its_port_is_accepted() {
    // An SDK given no explicit Host signs `urlparse().hostname`, which has no port.
    let cos = Cos::start().await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.signed_host = Some("127.0.0.1".into());
    let (status, _, body) = read(req.send().await).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_malformed_authorization_is_denied_naming_the_field() {
    let cos = Cos::start().await;
    let mut req = cos.req("PUT", KEY).body("x");
    req.sign = false;
    let req = req.header("Authorization", "q-sign-algorithm=md5&q-ak=AKIDx");
    let message = expect_error(req.send().await, 403, "AccessDenied").await;
    assert!(message.contains("q-sign-algorithm"), "{message}");
}
