//! A 1 GiB multipart upload through the COS side, checked byte for byte by CRC-64 on the
//! way back. Heavy, so `#[ignore]`d: CI runs it in release mode, under `/usr/bin/time -v`
//! for the peak RSS (the emulator streams every body to disk, so memory stays bounded).

mod cos_harness;

use bytes::Bytes;
use cos_harness::*;

const PART: usize = 8 * MIB;
const PARTS: u32 = 128; // 1 GiB

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "uploads 1 GiB; run in release: cargo test --release -p car-emulator --test cos_memory -- --ignored"]
async fn a_one_gib_multipart_upload_streams_through_bounded_memory() {
    let cos = Cos::start().await;
    let key = "apps/app-1/ver-1/big.zip";
    // Two distinct part bodies, alternating, so a misordered assembly changes the CRC;
    // `Bytes` clones share them, so the client holds 16 MiB however many parts go out.
    let bodies = [
        Bytes::from((0..PART).map(|i| (i % 251) as u8).collect::<Vec<_>>()),
        Bytes::from(
            (0..PART)
                .map(|i| (i % 241) as u8 ^ 0x5a)
                .collect::<Vec<_>>(),
        ),
    ];
    let mut expected = crc64fast::Digest::new();
    let (_, _, body) = read(
        cos.req("POST", key)
            .param("uploads", "")
            .body("")
            .send()
            .await,
    )
    .await;
    let upload = element(&body, "UploadId");
    let mut etags = Vec::new();
    for n in 1..=PARTS {
        let data = bodies[(n % 2) as usize].clone();
        expected.write(&data);
        let resp = cos
            .req("PUT", key)
            .param("partNumber", &n.to_string())
            .param("uploadId", &upload)
            .body(data)
            .send()
            .await;
        assert_eq!(resp.status(), 200, "part {n}");
        etags.push((n, header(resp.headers(), "etag")));
    }
    let list: Vec<(u32, &str)> = etags.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let resp = cos
        .req("POST", key)
        .param("uploadId", &upload)
        .body(complete_body(&list))
        .send()
        .await;
    let (status, headers, body) = read(resp).await;
    assert_eq!(status, 200, "{body}");
    let expected = expected.sum64().to_string();
    assert_eq!(header(&headers, "x-cos-hash-crc64ecma"), expected);

    let mut resp = cos.req("GET", key).send().await;
    assert_eq!(resp.status(), 200);
    let mut got = crc64fast::Digest::new();
    let mut size = 0u64;
    while let Some(chunk) = resp.chunk().await.expect("body chunk") {
        size += chunk.len() as u64;
        got.write(&chunk);
    }
    assert_eq!(size, PART as u64 * u64::from(PARTS));
    assert_eq!(got.sum64().to_string(), expected);
}
