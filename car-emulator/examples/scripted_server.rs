//! The stateless scripted server on its own, for benchmarks and for measuring other tools
//! against a loopback CAR endpoint: prints its endpoint and the keys it accepts, then
//! serves sample answers until killed. (`car emulator` is the stateful service.)
//!
//! cargo run -p car-emulator --example scripted_server [-- --tls CA_PEM_PATH]
//!
//! With `--tls`, it serves HTTPS with a fresh self-signed certificate written to
//! CA_PEM_PATH (tools that only speak HTTPS, such as tccli, can then be measured too).

use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let server = match args.as_slice() {
        [] => TestServer::start()?,
        [flag, path] if flag == "--tls" => {
            let server = TestServer::builder().tls().start()?;
            std::fs::write(path, server.ca_pem().unwrap_or_default())?;
            println!("ca_bundle={path}");
            server
        }
        _ => {
            eprintln!("usage: scripted_server [--tls CA_PEM_PATH]");
            std::process::exit(2);
        }
    };
    println!("endpoint={}", server.endpoint());
    println!("TENCENTCLOUD_SECRET_ID={TEST_SECRET_ID}");
    println!("TENCENTCLOUD_SECRET_KEY={TEST_SECRET_KEY}");
    use std::io::Write;
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
