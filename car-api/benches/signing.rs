//! Cost of signing one typical CAR request (all headers, Authorization included).

use car_api::signing::{sign_post_json, tc3_headers, SigningParams};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const BODY: &[u8] = br#"{"UserId":"user-42","UserIp":"203.0.113.7","ClientSession":"eyJzZHAiOiJvZmZlciIsInR5cGUiOiJvZmZlciJ9","RunMode":"RunWhenIdle","ProjectId":"cap-1a2b3c4d","ApplicationId":"app-5e6f7g8h"}"#;

fn bench(c: &mut Criterion) {
    c.bench_function("tc3_headers CreateSession", |b| {
        b.iter(|| {
            tc3_headers(
                black_box("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"),
                black_box("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"),
                Some("tmpToken/with+chars=="),
                "car",
                "2022-01-10",
                "CreateSession",
                Some("ap-guangzhou"),
                "car.tencentcloudapi.com",
                black_box(1_767_225_600),
                Some("en-US"),
                black_box(BODY),
            )
        })
    });
    c.bench_function("sign_post_json CreateSession", |b| {
        b.iter(|| {
            let params = SigningParams::new(
                black_box("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"),
                black_box("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"),
                "car",
                "car.tencentcloudapi.com",
                black_box(1_767_225_600),
            );
            sign_post_json(&params, black_box(BODY))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
