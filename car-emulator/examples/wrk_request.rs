//! Prints a wrk Lua script that replays one signed DescribeApplicationList request, for
//! measuring a CAR server's request rate (`scripts/bench-emulator.sh` uses it). The
//! signature is valid for the server's 5-minute skew window from now.
//!
//! cargo run -p car-emulator --example wrk_request -- HOST:PORT SECRET_ID SECRET_KEY

use std::time::{SystemTime, UNIX_EPOCH};

fn lua_string(s: &str) -> String {
    format!("{s:?}")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, secret_id, secret_key] = args.as_slice() else {
        eprintln!("usage: wrk_request HOST:PORT SECRET_ID SECRET_KEY");
        std::process::exit(2);
    };
    let body = br#"{"Offset":0,"Limit":20}"#;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let headers = car_api::signing::tc3_headers(
        secret_id,
        secret_key,
        None,
        "car",
        "2022-01-10",
        "DescribeApplicationList",
        None,
        host,
        now,
        None,
        body,
    );
    println!("wrk.method = \"POST\"");
    println!(
        "wrk.body = {}",
        lua_string(std::str::from_utf8(body).unwrap_or_default())
    );
    for (name, value) in headers {
        println!("wrk.headers[{}] = {}", lua_string(name), lua_string(&value));
    }
}
