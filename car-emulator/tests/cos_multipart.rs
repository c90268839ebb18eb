//! Multipart uploads over loopback HTTP: the vector file's 3 MiB input in three 1 MiB
//! parts (per-part and whole CRCs are independent facts), listings with their markers,
//! and every refusal Complete, Upload Part and Abort can give.

mod cos_harness;

use cos_harness::*;

const KEY: &str = "apps/app-1/ver-1/pkg.zip";

async fn initiate(cos: &Cos, key: &str) -> String {
    let (status, headers, body) = read(
        cos.req("POST", key)
            .param("uploads", "")
            .body("")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "content-type"), "application/xml");
    assert_eq!(element(&body, "Bucket"), BUCKET);
    assert_eq!(element(&body, "Key"), key);
    element(&body, "UploadId")
}

async fn upload_part(
    cos: &Cos,
    key: &str,
    upload: &str,
    n: u32,
    data: Vec<u8>,
) -> (String, String) {
    let resp = cos
        .req("PUT", key)
        .param("partNumber", &n.to_string())
        .param("uploadId", upload)
        .body(data)
        .send()
        .await;
    let (status, headers, body) = read(resp).await;
    assert_eq!(status, 200, "part {n}: {body}");
    (
        header(&headers, "etag"),
        header(&headers, "x-cos-hash-crc64ecma"),
    )
}

async fn complete(cos: &Cos, key: &str, upload: &str, parts: &[(u32, &str)]) -> reqwest::Response {
    cos.req("POST", key)
        .param("uploadId", upload)
        .body(complete_body(parts))
        .send()
        .await
}

#[tokio::test]
async fn three_parts_make_the_vector_files_object_with_its_crc() {
    let cos = Cos::start().await;
    let (data, whole_crc, part_crcs) = three_mib_fact();
    let upload = initiate(&cos, KEY).await;
    let mut etags = Vec::new();
    // Out of order, as the SDK's thread pool may send them.
    for n in [3u32, 1, 2] {
        let i = (n - 1) as usize;
        let chunk = data[i * MIB..(i + 1) * MIB].to_vec();
        let (etag, crc) = upload_part(&cos, KEY, &upload, n, chunk.clone()).await;
        assert_eq!(crc, part_crcs[i], "part {n}");
        assert_eq!(etag, md5_etag(&chunk));
        etags.push((n, etag));
    }
    etags.sort();
    let list: Vec<(u32, &str)> = etags.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let parts_files = file_names(&cos);
    let (status, headers, body) = read(complete(&cos, KEY, &upload, &list).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-cos-hash-crc64ecma"), whole_crc);
    // The parts' files become the object's body as they are: Complete writes no bytes.
    assert_eq!(file_names(&cos), parts_files);
    assert_eq!(element(&body, "Key"), KEY);
    assert_eq!(element(&body, "Bucket"), BUCKET);
    assert_eq!(element(&body, "Location"), format!("{VHOST}/{KEY}"));
    let etag = element(&body, "ETag");
    assert!(etag.starts_with('"') && etag.ends_with("-3\""), "{etag}");

    let (status, headers, _) = read(cos.req("HEAD", KEY).send().await).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "etag"), etag);
    assert_eq!(header(&headers, "x-cos-hash-crc64ecma"), whole_crc);
    assert_eq!(header(&headers, "content-length"), (3 * MIB).to_string());

    let got = cos.req("GET", KEY).send().await.bytes().await.unwrap();
    assert!(
        got[..] == data[..],
        "the object is the parts' concatenation"
    );

    // Ranges within one part and across both part boundaries.
    for (first, last) in [(5, 9), (MIB - 3, 2 * MIB + 4), (3 * MIB - 2, 3 * MIB - 1)] {
        let resp = cos
            .req("GET", KEY)
            .header("Range", &format!("bytes={first}-{last}"))
            .send()
            .await;
        assert_eq!(resp.status(), 206);
        let got = resp.bytes().await.unwrap();
        assert!(got[..] == data[first..=last], "bytes {first}-{last}");
    }

    expect_error(
        cos.req("GET", KEY).param("uploadId", &upload).send().await,
        404,
        "NoSuchUpload",
    )
    .await;

    // An overwrite removes every file of the multipart object.
    assert_eq!(cos.req("PUT", KEY).body("small").send().await.status(), 200);
    assert_eq!(file_names(&cos).len(), 1);
    let (status, _, body) = read(cos.req("GET", KEY).send().await).await;
    assert_eq!((status, body.as_str()), (200, "small"));
}

fn file_names(cos: &Cos) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(cos.store.objects_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[tokio::test]
async fn parts_left_out_of_complete_are_removed_with_the_upload() {
    let cos = Cos::start().await;
    let upload = initiate(&cos, KEY).await;
    let (etag1, _) = upload_part(&cos, KEY, &upload, 1, b"first".to_vec()).await;
    upload_part(&cos, KEY, &upload, 2, b"never listed".to_vec()).await;
    let (status, _, body) = read(complete(&cos, KEY, &upload, &[(1, etag1.as_str())]).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(file_names(&cos).len(), 1, "part 2's file is gone");
    let (status, _, body) = read(cos.req("GET", KEY).send().await).await;
    assert_eq!((status, body.as_str()), (200, "first"));
}

#[tokio::test]
async fn the_last_part_may_be_small_and_etags_are_accepted_without_quotes() {
    let cos = Cos::start().await;
    let upload = initiate(&cos, KEY).await;
    let first = vec![7u8; MIB];
    let (e1, _) = upload_part(&cos, KEY, &upload, 1, first.clone()).await;
    let (e2, _) = upload_part(&cos, KEY, &upload, 2, b"tail".to_vec()).await;
    let bare = e2.trim_matches('"').to_owned();
    let (status, headers, body) =
        read(complete(&cos, KEY, &upload, &[(1, &e1), (2, &bare)]).await).await;
    assert_eq!(status, 200, "{body}");
    let mut whole = first;
    whole.extend_from_slice(b"tail");
    let mut crc = crc64fast::Digest::new();
    crc.write(&whole);
    assert_eq!(
        header(&headers, "x-cos-hash-crc64ecma"),
        crc.sum64().to_string()
    );
    let got = cos.req("GET", KEY).send().await.bytes().await.unwrap();
    assert!(got[..] == whole[..]);
}

#[tokio::test]
async fn complete_refuses_bad_lists_with_coss_codes() {
    let cos = Cos::start().await;
    let upload = initiate(&cos, KEY).await;
    let (e1, _) = upload_part(&cos, KEY, &upload, 1, vec![1u8; MIB]).await;
    let (e2, _) = upload_part(&cos, KEY, &upload, 2, vec![2u8; 1000]).await;
    let (e3, _) = upload_part(&cos, KEY, &upload, 3, vec![3u8; 10]).await;
    let (e5, _) = upload_part(&cos, KEY, &upload, 5, vec![5u8; MIB]).await;

    let order = complete(&cos, KEY, &upload, &[(2, &e2), (1, &e1)]).await;
    expect_error(order, 400, "InvalidPartOrder").await;
    let wrong_etag = complete(&cos, KEY, &upload, &[(1, &e2)]).await;
    expect_error(wrong_etag, 400, "InvalidPart").await;
    let unknown = complete(&cos, KEY, &upload, &[(4, &e1)]).await;
    expect_error(unknown, 400, "InvalidPart").await;
    let gap = complete(&cos, KEY, &upload, &[(3, &e3), (5, &e5)]).await;
    expect_error(gap, 400, "InvalidPart").await;
    // Part 2 (1000 bytes) is not the last.
    let small = complete(&cos, KEY, &upload, &[(1, &e1), (2, &e2), (3, &e3)]).await;
    let message = expect_error(small, 400, "EntityTooSmall").await;
    assert!(message.contains("part 2"), "{message}");
    let malformed = cos
        .req("POST", KEY)
        .param("uploadId", &upload)
        .body("<CompleteMultipartUpload><Part>")
        .send()
        .await;
    expect_error(malformed, 400, "MalformedXML").await;

    // None of that disturbed the upload: it still completes.
    let (status, _, body) = read(complete(&cos, KEY, &upload, &[(1, &e1), (2, &e2)]).await).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn unknown_upload_ids_are_no_such_upload_everywhere() {
    let cos = Cos::start().await;
    let upload = "1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361";
    let part = cos
        .req("PUT", KEY)
        .param("partNumber", "1")
        .param("uploadId", upload)
        .body("x")
        .send()
        .await;
    expect_error(part, 404, "NoSuchUpload").await;
    let list = cos.req("GET", KEY).param("uploadId", upload).send().await;
    expect_error(list, 404, "NoSuchUpload").await;
    expect_error(
        complete(&cos, KEY, upload, &[(1, "\"x\"")]).await,
        404,
        "NoSuchUpload",
    )
    .await;
    let abort = cos
        .req("DELETE", KEY)
        .param("uploadId", upload)
        .body("")
        .send()
        .await;
    expect_error(abort, 404, "NoSuchUpload").await;
    // An upload of another key is not this key's.
    let other = initiate(&cos, "apps/other.zip").await;
    let part = cos
        .req("PUT", KEY)
        .param("partNumber", "1")
        .param("uploadId", &other)
        .body("x")
        .send()
        .await;
    expect_error(part, 404, "NoSuchUpload").await;
}

#[tokio::test]
async fn part_numbers_outside_1_to_10000_are_invalid_arguments() {
    let cos = Cos::start().await;
    let upload = initiate(&cos, KEY).await;
    for n in ["0", "10001", "-1", "x", ""] {
        let resp = cos
            .req("PUT", KEY)
            .param("partNumber", n)
            .param("uploadId", &upload)
            .body("x")
            .send()
            .await;
        let message = expect_error(resp, 400, "InvalidArgument").await;
        assert!(message.contains("partNumber"), "{message}");
    }
    upload_part(&cos, KEY, &upload, 10_000, b"x".to_vec()).await;
}

#[tokio::test]
async fn abort_forgets_the_upload_and_its_parts() {
    let cos = Cos::start().await;
    let upload = initiate(&cos, KEY).await;
    upload_part(&cos, KEY, &upload, 1, b"abc".to_vec()).await;
    let (status, headers, body) = read(
        cos.req("DELETE", KEY)
            .param("uploadId", &upload)
            .body("")
            .send()
            .await,
    )
    .await;
    assert_eq!((status, body.as_str()), (204, ""));
    assert!(!header(&headers, "x-cos-request-id").is_empty());
    let list = cos.req("GET", KEY).param("uploadId", &upload).send().await;
    expect_error(list, 404, "NoSuchUpload").await;
    let part = cos
        .req("PUT", KEY)
        .param("partNumber", "2")
        .param("uploadId", &upload)
        .body("x")
        .send()
        .await;
    expect_error(part, 404, "NoSuchUpload").await;
    assert_eq!(
        std::fs::read_dir(cos.store.objects_dir()).unwrap().count(),
        0
    );
}

#[tokio::test]
async fn list_parts_pages_with_its_markers_and_shows_a_replaced_part() {
    let cos = Cos::start().await;
    let key = "apps/云渲染 demo/v1 (final).zip";
    let upload = initiate(&cos, key).await;
    for n in 1..=3u32 {
        upload_part(&cos, key, &upload, n, vec![n as u8; n as usize]).await;
    }
    // Re-sending a part replaces it.
    let (e2, _) = upload_part(&cos, key, &upload, 2, b"replaced".to_vec()).await;

    let page = |marker: &str| {
        cos.req("GET", key)
            .param("uploadId", &upload)
            .param("part-number-marker", marker)
            .param("max-parts", "2")
            .param("encoding-type", "url")
            .send()
    };
    let (status, _, body) = read(page("0").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(elements(&body, "PartNumber"), ["1", "2"]);
    assert_eq!(elements(&body, "Size"), ["1", "8"]);
    assert_eq!(elements(&body, "ETag")[1], e2);
    assert_eq!(element(&body, "IsTruncated"), "true");
    assert_eq!(element(&body, "NextPartNumberMarker"), "2");
    assert_eq!(element(&body, "MaxParts"), "2");
    assert_eq!(element(&body, "Encoding-type"), "url");
    // encoding-type=url: %20 for a space, so Python's unquote gets the key back.
    assert_eq!(
        element(&body, "Key"),
        "apps/%E4%BA%91%E6%B8%B2%E6%9F%93%20demo/v1%20%28final%29.zip"
    );
    assert_eq!(element(&body, "UploadId"), upload);

    let (_, _, body) = read(page("2").await).await;
    assert_eq!(elements(&body, "PartNumber"), ["3"]);
    assert_eq!(element(&body, "IsTruncated"), "false");
    assert_eq!(element(&body, "NextPartNumberMarker"), "3");
    assert!(
        elements(&body, "LastModified")[0].starts_with("2026-01-01T00:00:00"),
        "{body}"
    );

    let bad = cos
        .req("GET", key)
        .param("uploadId", &upload)
        .param("max-parts", "many")
        .send()
        .await;
    expect_error(bad, 400, "InvalidArgument").await;
}

#[tokio::test]
async fn list_multipart_uploads_pages_by_key_then_age_and_groups_by_delimiter() {
    let cos = Cos::start().await;
    let a1 = initiate(&cos, "apps/a.zip").await;
    cos.clock.advance(std::time::Duration::from_secs(1));
    let a2 = initiate(&cos, "apps/a.zip").await;
    let b = initiate(&cos, "apps/b c.zip").await;
    let d1 = initiate(&cos, "apps/dir/x.zip").await;
    let d2 = initiate(&cos, "apps/dir/y.zip").await;
    let _ = (d1, d2);

    // What the SDK sends when resuming: every parameter, empty ones included.
    let sdk = cos
        .req("GET", "")
        .param("uploads", "")
        .param("prefix", "apps/a.zip")
        .param("delimiter", "")
        .param("key-marker", "")
        .param("upload-id-marker", "")
        .param("max-uploads", "1000")
        .param("encoding-type", "url")
        .send()
        .await;
    let (status, headers, body) = read(sdk).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "content-type"), "application/xml");
    // The SDK takes the last entry for a key as the newest.
    assert_eq!(elements(&body, "UploadId"), [a1.clone(), a2.clone()]);
    assert_eq!(element(&body, "IsTruncated"), "false");

    // Pages of two across everything, following NextKeyMarker/NextUploadIdMarker.
    let mut seen = Vec::new();
    let (mut km, mut um) = (String::new(), String::new());
    for _ in 0..5 {
        let resp = cos
            .req("GET", "")
            .param("uploads", "")
            .param("prefix", "apps/")
            .param("key-marker", &km)
            .param("upload-id-marker", &um)
            .param("max-uploads", "2")
            .send()
            .await;
        let (_, _, body) = read(resp).await;
        let keys = elements(&body, "Key");
        let ids = elements(&body, "UploadId");
        seen.extend(keys.into_iter().zip(ids));
        if element(&body, "IsTruncated") == "false" {
            break;
        }
        km = element(&body, "NextKeyMarker");
        um = element(&body, "NextUploadIdMarker");
    }
    let keys: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "apps/a.zip",
            "apps/a.zip",
            "apps/b c.zip",
            "apps/dir/x.zip",
            "apps/dir/y.zip"
        ]
    );
    assert_eq!(seen[0].1, a1);
    assert_eq!(seen[2].1, b);

    // encoding-type=url: %20 for the space, which Python's unquote turns back.
    let resp = cos
        .req("GET", "")
        .param("uploads", "")
        .param("prefix", "apps/b")
        .param("encoding-type", "url")
        .send()
        .await;
    let (_, _, body) = read(resp).await;
    assert_eq!(elements(&body, "Key"), ["apps/b%20c.zip"]);
    assert_eq!(element(&body, "Encoding-Type"), "url");

    // A delimiter folds apps/dir/ into one common prefix.
    let resp = cos
        .req("GET", "")
        .param("uploads", "")
        .param("prefix", "apps/")
        .param("delimiter", "/")
        .send()
        .await;
    let (_, _, body) = read(resp).await;
    assert_eq!(
        elements(&body, "Key"),
        ["apps/a.zip", "apps/a.zip", "apps/b c.zip"]
    );
    let prefixes = elements(&body, "CommonPrefixes");
    assert_eq!(prefixes, ["<Prefix>apps/dir/</Prefix>"]);
}
