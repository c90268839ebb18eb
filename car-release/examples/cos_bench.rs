//! The pieces of scripts/bench-upload.sh, so each side runs in its own process and its
//! peak RSS is its own:
//! - `serve DIR`: the emulator's COS router on 127.0.0.1:0 with one grant for `bench/`;
//!   prints `{"endpoint","bucket","region","secret_id","secret_key","token"}` and serves.
//! - `curl-args SERVE_JSON KEY FILE`: the signed headers and URL for `curl -T`.
//! - `upload SERVE_JSON KEY FILE`: car-release's uploader with its defaults (or `CONCURRENCY`,
//!   `PART_MIB`); prints its report.

use std::sync::Arc;

use car_api::cos_signing::{self, CosRequest, KeyTime};
use car_api::http::HttpSettings;
use car_emulator::cos::{router, CosState};
use car_emulator::{grants, Clock, Store, SystemClock};
use car_release::cos::{upload_file, CosCredentials, StaticCredentials, Target, UploadOptions};
use serde_json::{json, Value};

const BUCKET: &str = "bench-1250000000";
const REGION: &str = "ap-guangzhou";

fn arg(n: usize) -> String {
    std::env::args().nth(n).unwrap_or_else(|| {
        eprintln!("usage: cos_bench serve DIR | curl-args JSON KEY FILE | upload JSON KEY FILE");
        std::process::exit(2)
    })
}

#[tokio::main]
async fn main() {
    match arg(1).as_str() {
        "serve" => {
            let store = Arc::new(Store::open(std::path::Path::new(&arg(2))).expect("store"));
            store.ensure_schema(grants::SCHEMA).expect("schema");
            let now = SystemClock.unix_seconds();
            let g = grants::issue(&store, BUCKET, REGION, "bench/", now - 60, 7200).expect("grant");
            let app = router(CosState {
                store,
                clock: Arc::new(SystemClock),
                bucket: BUCKET.into(),
                region: REGION.into(),
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            println!(
                "{}",
                json!({"endpoint": format!("http://{addr}"), "bucket": BUCKET, "region": REGION,
                       "secret_id": g.secret_id, "secret_key": g.secret_key, "token": g.session_token})
            );
            axum::serve(listener, app).await.expect("serve");
        }
        "curl-args" => {
            let s: Value = serde_json::from_str(&arg(2)).expect("serve JSON");
            let (key, file) = (arg(3), arg(4));
            let len = std::fs::metadata(&file).expect("file").len().to_string();
            let endpoint = s["endpoint"].as_str().unwrap();
            let host = endpoint.trim_start_matches("http://");
            let token = s["token"].as_str().unwrap();
            let headers = [
                ("content-length", len.as_str()),
                ("host", host),
                ("x-cos-security-token", token),
            ];
            let auth = cos_signing::authorization(
                s["secret_id"].as_str().unwrap(),
                s["secret_key"].as_str().unwrap(),
                &CosRequest {
                    method: "PUT",
                    path: &format!("/{key}"),
                    params: &[],
                    headers: &headers,
                },
                KeyTime::around(SystemClock.unix_seconds(), 3600),
            );
            println!(
                "-H\nAuthorization: {auth}\n-H\nx-cos-security-token: {token}\n{endpoint}/{key}"
            );
        }
        "upload" => {
            let s: Value = serde_json::from_str(&arg(2)).expect("serve JSON");
            let creds = CosCredentials {
                secret_id: s["secret_id"].as_str().unwrap().into(),
                secret_key: s["secret_key"].as_str().unwrap().into(),
                session_token: s["token"].as_str().map(Into::into),
                expired_time: None,
            };
            let target = Target {
                bucket: BUCKET.into(),
                region: REGION.into(),
                key: arg(3),
                endpoint: s["endpoint"].as_str().map(Into::into),
            };
            // CONCURRENCY and PART_MIB override the defaults, for trying other settings.
            let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
            let defaults = UploadOptions::default();
            let options = UploadOptions {
                concurrency: env("CONCURRENCY").map_or(defaults.concurrency, |c| c as usize),
                part_size: env("PART_MIB").map_or(defaults.part_size, |m| m << 20),
                http: HttpSettings::default(),
                ..defaults
            };
            let report = upload_file(
                std::path::Path::new(&arg(4)),
                &target,
                Arc::new(StaticCredentials(creds)),
                &options,
            )
            .await
            .expect("upload");
            println!("{}", serde_json::to_string(&report).unwrap());
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    }
}
