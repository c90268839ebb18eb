//! What a crash leaves in the objects directory (a temporary file mid-write, a body
//! renamed into place whose row never committed) is cleared when the COS side starts
//! again; everything a row names survives.

mod cos_harness;

use std::sync::Arc;

use car_emulator::cos::{router, CosState};
use car_emulator::{objects, ManualClock};
use cos_harness::*;

#[tokio::test]
async fn a_restart_clears_crash_leftovers_and_keeps_acknowledged_data() {
    let cos = Cos::start().await;
    let key = "apps/app-1/ver-1/pkg.zip";
    assert_eq!(cos.req("PUT", key).body("kept").send().await.status(), 200);
    let (_, _, body) = read(
        cos.req("POST", key)
            .param("uploads", "")
            .body("")
            .send()
            .await,
    )
    .await;
    let upload = element(&body, "UploadId");
    let part = cos
        .req("PUT", key)
        .param("partNumber", "1")
        .param("uploadId", &upload)
        .body("part")
        .send()
        .await;
    assert_eq!(part.status(), 200);

    let dir = cos.store.objects_dir();
    std::fs::write(dir.join(".tmp-0123"), b"half a body").unwrap();
    std::fs::write(
        dir.join(objects::new_blob_name()),
        b"renamed, never recorded",
    )
    .unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 4);

    // A second router over the same store stands in for the restarted process.
    let _again = router(CosState {
        store: cos.store.clone(),
        clock: Arc::new(ManualClock::at_unix(START)),
        bucket: BUCKET.into(),
        region: REGION.into(),
    });
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "the object and the part remain"
    );
    let (status, _, body) = read(cos.req("GET", key).send().await).await;
    assert_eq!((status, body.as_str()), (200, "kept"));
    let (_, _, body) = read(cos.req("GET", key).param("uploadId", &upload).send().await).await;
    assert_eq!(elements(&body, "Size"), ["4"]);
}

#[tokio::test]
async fn a_restart_keeps_the_files_of_a_multipart_object() {
    let cos = Cos::start().await;
    let key = "apps/app-1/ver-1/pkg.zip";
    let (_, _, body) = read(
        cos.req("POST", key)
            .param("uploads", "")
            .body("")
            .send()
            .await,
    )
    .await;
    let upload = element(&body, "UploadId");
    let first = vec![b'a'; MIB];
    let mut etags = Vec::new();
    for (n, data) in [(1, first.clone()), (2, b"tail".to_vec())] {
        let resp = cos
            .req("PUT", key)
            .param("partNumber", &n.to_string())
            .param("uploadId", &upload)
            .body(data)
            .send()
            .await;
        assert_eq!(resp.status(), 200);
        etags.push((n, header(resp.headers(), "etag")));
    }
    let list: Vec<(u32, &str)> = etags.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let resp = cos
        .req("POST", key)
        .param("uploadId", &upload)
        .body(complete_body(&list))
        .send()
        .await;
    assert_eq!(resp.status(), 200);

    let _again = router(CosState {
        store: cos.store.clone(),
        clock: Arc::new(ManualClock::at_unix(START)),
        bucket: BUCKET.into(),
        region: REGION.into(),
    });
    let got = cos.req("GET", key).send().await.bytes().await.unwrap();
    let mut expected = first;
    expected.extend_from_slice(b"tail");
    assert!(
        got[..] == expected[..],
        "both parts' files survive the sweep"
    );
}
