//! A loopback CAR server for trying and benchmarking `car`: prints its endpoint and the
//! keys it accepts, then serves sample answers until killed.
//!
//! cargo run -p car-cli --example loopback_server

use car_api::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

fn main() -> std::io::Result<()> {
    let server = TestServer::start()?;
    println!("endpoint={}", server.endpoint());
    println!("TENCENTCLOUD_SECRET_ID={TEST_SECRET_ID}");
    println!("TENCENTCLOUD_SECRET_KEY={TEST_SECRET_KEY}");
    use std::io::Write;
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
