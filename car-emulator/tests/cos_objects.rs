//! PUT, HEAD and GET Object over loopback HTTP: ETags, CRC-64 values from the vector
//! file, Content-MD5, ranges, and the error answers.

mod cos_harness;

use base64::Engine as _;
use cos_harness::*;

const KEY: &str = "apps/app-1/ver-1/pkg.zip";

fn b64_md5(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

#[tokio::test]
async fn put_returns_the_md5_etag_and_the_crc64_cos_would() {
    let cos = Cos::start().await;
    for input in ["123456789", "a", "hello cloud rendering", ""] {
        let (status, headers, body) = read(cos.req("PUT", KEY).body(input).send().await).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            header(&headers, "x-cos-hash-crc64ecma"),
            crc_fact(input),
            "{input:?}"
        );
        assert_eq!(header(&headers, "etag"), md5_etag(input.as_bytes()));
    }
    // MD5("123456789"), a catalogue value, to pin the ETag's form independently.
    let (_, headers, _) = read(cos.req("PUT", KEY).body("123456789").send().await).await;
    assert_eq!(
        header(&headers, "etag"),
        "\"25f9e794323b453885f5181f1b624d0b\""
    );
}

#[tokio::test]
async fn head_and_get_return_what_was_put() {
    let cos = Cos::start().await;
    let put = cos
        .req("PUT", KEY)
        .header("Content-Type", "application/zip")
        .body("hello cloud rendering")
        .send()
        .await;
    let etag = header(put.headers(), "etag");

    let (status, headers, body) = read(cos.req("HEAD", KEY).send().await).await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(header(&headers, "content-length"), "21");
    assert_eq!(header(&headers, "content-type"), "application/zip");
    assert_eq!(header(&headers, "etag"), etag);
    assert_eq!(
        header(&headers, "x-cos-hash-crc64ecma"),
        crc_fact("hello cloud rendering")
    );
    // 2026-01-01T00:00:00Z, the manual clock's time.
    assert_eq!(
        header(&headers, "last-modified"),
        "Thu, 01 Jan 2026 00:00:00 GMT"
    );

    let (status, headers, body) = read(cos.req("GET", KEY).send().await).await;
    assert_eq!((status, body.as_str()), (200, "hello cloud rendering"));
    assert_eq!(header(&headers, "etag"), etag);
}

#[tokio::test]
async fn a_key_with_spaces_unicode_and_reserved_characters_round_trips() {
    let cos = Cos::start().await;
    // The reference's capture key, plus the tricky `+` and `./`.
    for key in ["apps/云渲染 demo/v1 (final).zip", "apps/a b/c+d~e(f)./g"] {
        let (status, _, body) = read(cos.req("PUT", key).body(key.to_owned()).send().await).await;
        assert_eq!(status, 200, "{key}: {body}");
        let (status, _, body) = read(cos.req("GET", key).send().await).await;
        assert_eq!((status, body.as_str()), (200, key));
    }
    // `+` in a path is a plus, not a space.
    let (status, _, _) = read(cos.req("HEAD", "apps/a b/c d~e(f)./g").send().await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_overwrite_replaces_the_object() {
    let cos = Cos::start().await;
    cos.req("PUT", KEY).body("first").send().await;
    cos.req("PUT", KEY).body("second").send().await;
    let (_, headers, body) = read(cos.req("GET", KEY).send().await).await;
    assert_eq!(body, "second");
    assert_eq!(header(&headers, "etag"), md5_etag(b"second"));
    // Only the live body is left on disk (plus nothing temporary).
    let files = std::fs::read_dir(cos.store.objects_dir()).unwrap().count();
    assert_eq!(files, 1);
}

#[tokio::test]
async fn content_md5_is_checked_when_sent() {
    let cos = Cos::start().await;
    let good = cos
        .req("PUT", KEY)
        .header("Content-MD5", &b64_md5(b"123456789"))
        .body("123456789")
        .send()
        .await;
    assert_eq!(good.status(), 200);
    // The reference's capture: Content-MD5 of a 13-byte body, sent with another body.
    let bad = cos
        .req("PUT", KEY)
        .header("Content-MD5", "VwWZ1CCswlcjszew25XHxw==")
        .body("123456789")
        .send()
        .await;
    expect_error(bad, 400, "BadDigest").await;
    let invalid = cos
        .req("PUT", KEY)
        .header("Content-MD5", "not-md5")
        .body("x")
        .send()
        .await;
    expect_error(invalid, 400, "InvalidDigest").await;
    // Neither refusal replaced the object nor left a file behind.
    let (_, headers, _) = read(cos.req("HEAD", KEY).send().await).await;
    assert_eq!(header(&headers, "etag"), md5_etag(b"123456789"));
    assert_eq!(
        std::fs::read_dir(cos.store.objects_dir()).unwrap().count(),
        1
    );
}

#[tokio::test]
async fn ranges_give_206_with_content_range_and_past_the_end_is_invalid_range() {
    let cos = Cos::start().await;
    cos.req("PUT", KEY).body("0123456789").send().await;
    for (range, expected, content_range) in [
        ("bytes=0-4", "01234", "bytes 0-4/10"),
        ("bytes=5-9", "56789", "bytes 5-9/10"),
        ("bytes=-3", "789", "bytes 7-9/10"),
        ("bytes=8-", "89", "bytes 8-9/10"),
        ("bytes=0-", "0123456789", "bytes 0-9/10"),
        ("bytes=6-100", "6789", "bytes 6-9/10"),
    ] {
        let (status, headers, body) =
            read(cos.req("GET", KEY).header("Range", range).send().await).await;
        assert_eq!((status, body.as_str()), (206, expected), "{range}");
        assert_eq!(header(&headers, "content-range"), content_range);
        assert_eq!(
            header(&headers, "content-length"),
            expected.len().to_string()
        );
        // The header describes the object, not the slice.
        assert_eq!(
            header(&headers, "x-cos-hash-crc64ecma"),
            crc_fact_of(b"0123456789")
        );
    }
    let resp = cos
        .req("GET", KEY)
        .header("Range", "bytes=10-")
        .send()
        .await;
    expect_error(resp, 416, "InvalidRange").await;
}

/// CRC-64/XZ computed here with crc64fast, independently of the server's streaming code.
fn crc_fact_of(data: &[u8]) -> String {
    let mut d = crc64fast::Digest::new();
    d.write(data);
    d.sum64().to_string()
}

#[tokio::test]
async fn missing_objects_are_no_such_key_and_a_bare_404_on_head() {
    let cos = Cos::start().await;
    expect_error(cos.req("GET", KEY).send().await, 404, "NoSuchKey").await;
    let (status, headers, body) = read(cos.req("HEAD", KEY).send().await).await;
    assert_eq!((status, body.as_str()), (404, ""));
    assert!(!header(&headers, "x-cos-request-id").is_empty());
    assert!(!header(&headers, "x-cos-trace-id").is_empty());
}

#[tokio::test]
async fn unsupported_operations_say_so() {
    let cos = Cos::start().await;
    expect_error(cos.req("DELETE", KEY).send().await, 501, "NotImplemented").await;
}

/// Sends `head` + `body` on a fresh connection with a signature over Host and the token,
/// and returns the whole answer (reqwest always frames bodies itself, so this is by hand).
async fn raw_put(cos: &Cos, extra_headers: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let auth = car_api::cos_signing::authorization(
        &cos.grant.secret_id,
        &cos.grant.secret_key,
        &car_api::cos_signing::CosRequest {
            method: "PUT",
            path: &format!("/{KEY}"),
            params: &[],
            headers: &[
                ("host", &cos.host),
                ("x-cos-security-token", &cos.grant.session_token),
            ],
        },
        car_api::cos_signing::KeyTime::around(cos.now(), 600),
    );
    let mut stream = tokio::net::TcpStream::connect(&cos.host).await.unwrap();
    let raw = format!(
        "PUT /{KEY} HTTP/1.1\r\nHost: {}\r\nx-cos-security-token: {}\r\nAuthorization: {auth}\r\n{extra_headers}Connection: close\r\n\r\n{body}",
        cos.host, cos.grant.session_token
    );
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn a_put_without_content_length_or_chunking_is_missing_content_length() {
    let cos = Cos::start().await;
    let answer = raw_put(&cos, "", "").await;
    assert!(answer.starts_with("HTTP/1.1 411"), "{answer}");
    assert!(
        answer.contains("<Code>MissingContentLength</Code>"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_chunked_put_is_stored() {
    let cos = Cos::start().await;
    let answer = raw_put(
        &cos,
        "Transfer-Encoding: chunked\r\n",
        "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // MD5("hello"), a well-known value.
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("etag: \"5d41402abc4b2a76b9719d911017c592\""),
        "{answer}"
    );
    let (_, _, body) = read(cos.req("GET", KEY).send().await).await;
    assert_eq!(body, "hello");
}

#[tokio::test]
async fn a_body_cut_short_leaves_no_file_and_no_object() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cos = Cos::start().await;
    let auth = car_api::cos_signing::authorization(
        &cos.grant.secret_id,
        &cos.grant.secret_key,
        &car_api::cos_signing::CosRequest {
            method: "PUT",
            path: &format!("/{KEY}"),
            params: &[],
            headers: &[
                ("host", &cos.host),
                ("x-cos-security-token", &cos.grant.session_token),
            ],
        },
        car_api::cos_signing::KeyTime::around(cos.now(), 600),
    );
    let mut stream = tokio::net::TcpStream::connect(&cos.host).await.unwrap();
    let head = format!(
        "PUT /{KEY} HTTP/1.1\r\nHost: {}\r\nx-cos-security-token: {}\r\nAuthorization: {auth}\r\nContent-Length: 100\r\n\r\n",
        cos.host, cos.grant.session_token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[7u8; 10]).await.unwrap();
    stream.shutdown().await.unwrap();
    // The server closes the connection only once the request's handler has finished.
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let left: Vec<_> = std::fs::read_dir(cos.store.objects_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let (status, _, _) = read(cos.req("HEAD", KEY).send().await).await;
    assert_eq!(status, 404);
}
