//! Client-side cost of one typical call, without the network: build the typed request,
//! serialize it, fetch credentials, sign, and parse a typical response into its type.
//! A second benchmark adds a real HTTP round trip to the loopback test server.

use car_api::credentials::Credentials;
use car_api::operations::{
    DescribeApplicationListRequest, DescribeApplicationListRequired,
    DescribeApplicationListResponse,
};
use car_api::types::{Filter, FilterRequired};
use car_api::{decode_response, Client, RetryConfig};
use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const RESPONSE: &[u8] = br#"{"Response":{"UserApplicationList":[{"ApplicationId":"app-1a2b3c4d","ApplicationName":"demo","ApplicationType":"Application3D","ApplicationExePath":"demo/demo.exe","ApplicationRunStatus":"ApplicationRunning","ApplicationUpdateStatus":"ApplicationUpdateNormal","ApplicationCreateTime":"2026-01-01T00:00:00+08:00","ApplicationVersions":[{"ApplicationVersionId":"ver-1","ApplicationVersionSize":1024,"ApplicationVersionStatus":"Inuse","ApplicationVersionName":"demo.zip","CreateTime":"2026-01-01T00:00:00+08:00"}],"ApplicationUpdateProgress":100,"ApplicationNature":"PRIVATE"}],"ApplicationTotal":1,"RequestId":"6e1e7a7e-3a0b-4ab8-b1b5-9b6c3f0f1c2d"}}"#;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = TestServer::start().unwrap();
    let client = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig::disabled())
        .rate_limiting(false)
        .build()
        .unwrap();
    let meta = car_api::meta::action("DescribeApplicationList").unwrap();

    c.bench_function("call overhead: build+serialize+sign+parse", |b| {
        b.to_async(&rt).iter(|| async {
            let req = DescribeApplicationListRequest::new(DescribeApplicationListRequired {
                offset: 0,
                limit: 10,
            })
            .filters([Filter::new(FilterRequired {
                name: "ApplicationId".into(),
                values: vec!["app-1a2b3c4d".into()],
            })]);
            let body = serde_json::to_vec(black_box(&req)).unwrap();
            let signed = client.sign(meta, body).await.unwrap();
            black_box(&signed);
            let resp: DescribeApplicationListResponse =
                decode_response(meta, black_box(RESPONSE)).unwrap();
            black_box(resp)
        })
    });

    c.bench_function("loopback call DescribeApplicationList", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .describe_application_list(DescribeApplicationListRequest::new(
                    DescribeApplicationListRequired {
                        offset: 0,
                        limit: 10,
                    },
                ))
                .await
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
