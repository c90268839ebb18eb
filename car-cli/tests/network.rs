//! The command line's network settings: the proxy variables tccli honours (`NO_PROXY`
//! included), configuration errors and their exit statuses, and `--timeout` as the
//! deadline of the whole call.

mod common;

use car_emulator::test_proxy::ConnectProxy;
use car_emulator::test_server::{Reply, TestServer};
use common::Sandbox;

fn tls_sandbox(server: &TestServer) -> (Sandbox, String) {
    let sb = Sandbox::with_keys();
    let bundle = sb.write("gateway-ca.pem", server.ca_pem().expect("tls"));
    (sb, bundle.display().to_string())
}

#[test]
fn the_proxy_variables_are_honoured_and_no_proxy_bypasses_them() {
    let server = TestServer::builder().tls().start().expect("server");
    let proxy = ConnectProxy::start().expect("proxy");
    let (mut sb, bundle) = tls_sandbox(&server);
    let e = server.endpoint();
    let call = |sb: &Sandbox| {
        sb.car(&[
            "describe-concurrent-summary",
            "--endpoint",
            &e,
            "--ca-bundle",
            &bundle,
        ])
        .expect(0);
    };

    sb.set("HTTPS_PROXY", proxy.url());
    call(&sb);
    let port = server.addr().port();
    assert_eq!(proxy.tunnels(), [format!("localhost:{port}")]);

    // tccli (through Python's requests) skips the proxy for hosts in NO_PROXY.
    for (var, value) in [
        ("NO_PROXY", "localhost"),
        ("no_proxy", ".example.com,localhost"),
    ] {
        sb.set(var, value);
        call(&sb);
        sb.unset(var);
        assert_eq!(proxy.tunnels().len(), 1, "{var}={value}");
    }
    sb.unset("HTTPS_PROXY");
    sb.set("https_proxy", proxy.url());
    call(&sb);
    assert_eq!(proxy.tunnels().len(), 2, "https_proxy");
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn configuration_errors_name_their_source_and_keep_their_exit_status() {
    let server = TestServer::start().expect("server");
    let e = server.endpoint();
    let mut sb = Sandbox::with_keys();

    // A malformed flag value is invalid input (2); an unusable one is configuration (5).
    let run = sb.car(&["describe-concurrent-summary", "--endpoint", "ftp://x"]);
    run.expect(2);
    assert_eq!(
        run.stderr,
        "error: --endpoint: expected an http:// or https:// URL or a host name, got `ftp://x`\n"
    );
    let run = sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        "http://gw.example",
    ]);
    run.expect(5);
    assert!(
        run.stderr
            .starts_with("error: ClientConfigError: --endpoint: "),
        "{}",
        run.stderr
    );
    let run = sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        &e,
        "--https-proxy",
        "http://bad host:1",
    ]);
    run.expect(5);
    assert!(
        run.stderr.contains("--https-proxy: expected a proxy URL"),
        "{}",
        run.stderr
    );

    sb.set("HTTPS_PROXY", "http://bob:pa55w0rd@bad host:1");
    let run = sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        &e,
        "--output",
        "json",
    ]);
    run.expect(5);
    let message = run.stderr_json()["Error"]["Message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("environment variable HTTPS_PROXY (proxy): "),
        "{message}"
    );
    assert!(!message.contains("pa55w0rd"), "{message}");
    sb.unset("HTTPS_PROXY");

    sb.write(
        ".tccli/default.configure",
        r#"{"_sys_param": {"language": "fr-FR"}}"#,
    );
    let run = sb.car(&["describe-concurrent-summary", "--endpoint", &e]);
    run.expect(5);
    assert!(
        run.stderr
            .contains("default.configure: language: expected en-US or zh-CN, got \"fr-FR\""),
        "{}",
        run.stderr
    );
    assert!(server.requests().is_empty());
}

#[test]
fn timeout_is_the_deadline_of_the_whole_call() {
    let server = TestServer::start().expect("server");
    // Held for the test's whole life, so the 0.3 s deadline passes however slow the machine.
    server.push_reply(Reply::Delay(
        std::time::Duration::from_secs(3600),
        Box::new(Reply::ok(serde_json::json!({}))),
    ));
    let sb = Sandbox::with_keys();
    let run = sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        &server.endpoint(),
        "--timeout",
        "0.3",
    ]);
    run.expect(4);
    assert!(
        run.stderr
            .starts_with("error: ClientTimeout: gave up after 1 attempt in ")
            && run.stderr.contains(": deadline 0.3 s reached"),
        "{}",
        run.stderr
    );
}
