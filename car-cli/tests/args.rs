//! The command line as the real binary reads it: options are never values, tccli's
//! forms and global options, and what car says when a line is wrong.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use car_emulator::test_server::{TestServer, TEST_SECRET_ID};
use common::Sandbox;
use serde_json::{json, Value};

fn server() -> TestServer {
    TestServer::start().expect("test server")
}

fn bodies(srv: &TestServer) -> Vec<Value> {
    srv.requests().into_iter().map(|r| r.body).collect()
}

#[test]
fn an_option_after_a_value_taking_flag_is_refused_and_nothing_is_sent() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    for (args, flag) in [
        (
            vec!["delete-application", "--application-id", "--dry-run"],
            "--application-id",
        ),
        (
            vec!["delete-application", "--application-id", "--help"],
            "--application-id",
        ),
        (
            vec![
                "DeleteApplication",
                "--ApplicationId",
                "--generate-cli-skeleton",
            ],
            "--ApplicationId",
        ),
        (
            vec!["delete-application", "--application-id", "--region", "ap-x"],
            "--application-id",
        ),
        (
            vec!["delete-application", "--application-id", "--output", "json"],
            "--application-id",
        ),
        (
            vec!["delete-application", "--application-id", "--secretId", "x"],
            "--application-id",
        ),
        (
            vec!["delete-application", "--application-id", "--use-cvm-role"],
            "--application-id",
        ),
        (
            vec!["delete-application", "--application-id"],
            "--application-id",
        ),
        (
            vec!["--profile", "delete-application", "--application-id", "a"],
            "--profile",
        ),
    ] {
        let mut line = args.clone();
        line.splice(0..0, ["--endpoint", e.as_str()]);
        let run = sb.car(&line);
        run.expect(2);
        assert!(
            run.stderr.contains(&format!("{flag} expects a value")),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    assert_eq!(srv.requests().len(), 0, "a request was sent");
}

#[test]
fn values_that_start_with_a_dash_still_work() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    sb.car(&["stop-publish-stream", "--user-id", "-abc", "--endpoint", &e])
        .expect(0);
    sb.car(&["StopPublishStream", "--UserId=-abc", "--endpoint", &e])
        .expect(0);
    sb.car(&[
        "describe-application-list",
        "--offset",
        "-1",
        "--limit",
        "10",
        "--endpoint",
        &e,
    ])
    .expect(0);
    assert_eq!(
        bodies(&srv),
        [
            json!({"UserId": "-abc"}),
            json!({"UserId": "-abc"}),
            json!({"Offset": -1, "Limit": 10})
        ]
    );
    let run = sb.car(&[
        "stop-publish-stream",
        "--user-id",
        "u",
        "--timeout",
        "-5",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("--timeout: expected a number of seconds above zero, got \"-5\""),
        "{}",
        run.stderr
    );
    assert_eq!(srv.requests().len(), 3);
}

#[test]
fn a_repeated_parameter_flag_keeps_the_last_value() {
    // tccli-conventions.md §4.4: `--ApplicationId a --ApplicationId b` sends `b`.
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    sb.car(&[
        "DescribeCosCredential",
        "--ApplicationId",
        "a",
        "--ApplicationId",
        "b",
        "--endpoint",
        &e,
    ])
    .expect(0);
    sb.car(&[
        "DeleteApplicationProjects",
        "--ProjectIds",
        r#"["p1"]"#,
        "--ProjectIds",
        r#"["p2"]"#,
        "--region",
        "ap-x",
        "--region",
        "ap-y",
        "--endpoint",
        &e,
    ])
    .expect(0);
    assert_eq!(
        bodies(&srv),
        [json!({"ApplicationId": "b"}), json!({"ProjectIds": ["p2"]})]
    );
    assert_eq!(srv.requests()[1].header("X-TC-Region"), Some("ap-y"));
}

#[test]
fn unfolded_arguments_build_nested_requests() {
    // The observed example of tccli-conventions.md §5.
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    sb.car(&[
        "DescribeApplicationList",
        "--cli-unfold-argument",
        "--Offset",
        "0",
        "--Limit",
        "20",
        "--Filters.0.Name",
        "ApplicationId",
        "--Filters.0.Values",
        "app-1",
        "app-2",
        "--endpoint",
        &e,
    ])
    .expect(0);
    // Globals before the action, nested objects, booleans in tccli's spelling.
    sb.car(&[
        "--cli-unfold-argument",
        "--endpoint",
        &e,
        "ModifyApplicationProject",
        "--ProjectId",
        "cap-1",
        "--IsPreload",
        "t",
        "--VideoEncodeConfig.StreamPushGOPSeconds",
        "5",
        "--DisableVideoCodecs",
        "H264",
        "VP8",
    ])
    .expect(0);
    assert_eq!(
        bodies(&srv),
        [
            json!({"Offset": 0, "Limit": 20, "Filters": [{"Name": "ApplicationId", "Values": ["app-1", "app-2"]}]}),
            json!({"ProjectId": "cap-1", "IsPreload": true, "VideoEncodeConfig": {"StreamPushGOPSeconds": 5}, "DisableVideoCodecs": ["H264", "VP8"]}),
        ]
    );
    let run = sb.car(&[
        "DescribeApplicationList",
        "--cli-unfold-argument",
        "--Offset",
        "0",
        "--Limit",
        "1",
        "--Filters.1.Name",
        "x",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr.contains("--Filters: indices must start at 0"),
        "{}",
        run.stderr
    );
    assert_eq!(srv.requests().len(), 2);
}

#[test]
fn tccli_help_skeleton_version_and_warning_forms() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let short = sb.car(&["DescribeApplicationList", "help"]);
    short.expect(0);
    assert!(
        short.stdout.contains("--Offset") || short.stdout.contains("--offset"),
        "{}",
        short.stdout
    );
    let long = sb.car(&["DescribeApplicationList", "help", "--detail"]);
    long.expect(0);
    assert!(long.stdout.contains("Usage:"), "{}", long.stdout);

    let skeleton = sb.car(&[
        "DescribeApplicationList",
        "--generate-cli-skeleton",
        "input",
    ]);
    skeleton.expect(0);
    assert_eq!(skeleton.json()["Filters"][0]["Values"][0], "String");

    sb.car(&[
        "--version",
        "2022-01-10",
        "DescribeConcurrentSummary",
        "--warning",
        "--endpoint",
        &e,
    ])
    .expect(0);
    sb.car(&[
        "DescribeConcurrentSummary",
        "--version=2022-01-10",
        "--endpoint",
        &e,
    ])
    .expect(0);
    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--version",
        "2020-01-01",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("--version: car speaks CAR API version 2022-01-10 only, got \"2020-01-01\""),
        "{}",
        run.stderr
    );
    let version = sb.car(&["--version"]);
    version.expect(0);
    assert!(version.stdout.starts_with("car "), "{}", version.stdout);
    assert_eq!(srv.requests().len(), 2);
}

#[test]
fn request_client_is_appended_as_tccli_does() {
    // tccli-conventions.md §10: the value follows the tool's own tag after "; ", verbatim.
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    sb.car(&[
        "DescribeConcurrentSummary",
        "--request-client",
        "my;cli/x y",
        "--endpoint",
        &e,
    ])
    .expect(0);
    sb.car(&["DescribeConcurrentSummary", "--endpoint", &e])
        .expect(0);
    let reqs = srv.requests();
    let own = format!("car-cli/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        reqs[0].header("X-TC-RequestClient"),
        Some(format!("{own}; my;cli/x y").as_str())
    );
    assert_eq!(reqs[1].header("X-TC-RequestClient"), Some(own.as_str()));
    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--request-client",
        "a\r\nX: y",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("--request-client: expected printable ASCII"),
        "{}",
        run.stderr
    );
    assert_eq!(srv.requests().len(), 2);
}

#[test]
fn explicit_keys_beat_environment_and_profile() {
    let srv = TestServer::builder()
        .credentials("AKIDflagEXAMPLE", "flag-secret-key")
        .token("flag-token")
        .start()
        .expect("server");
    let mut sb = Sandbox::with_keys();
    sb.write(
        ".tccli/default.credential",
        r#"{"secretId": "AKIDfile", "secretKey": "file-key"}"#,
    );
    sb.set("TENCENTCLOUD_TOKEN", "env-token");
    let e = srv.endpoint();
    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--secretId",
        "AKIDflagEXAMPLE",
        "--secretKey",
        "flag-secret-key",
        "--token",
        "flag-token",
        "--endpoint",
        &e,
    ]);
    run.expect(0);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].rejected, None);
    assert_eq!(reqs[0].header("X-TC-Token"), Some("flag-token"));

    // A debug log never shows the keys given as flags.
    let run = sb.car(&[
        "-vv",
        "DescribeConcurrentSummary",
        "--secretId",
        "AKIDflagEXAMPLE",
        "--secretKey",
        "flag-secret-key",
        "--token",
        "flag-token",
        "--endpoint",
        &e,
        "--dry-run",
    ]);
    run.expect(0);
    for secret in ["flag-secret-key", "flag-token"] {
        assert!(
            !run.stderr.contains(secret) && !run.stdout.contains(secret),
            "{secret} leaked"
        );
    }

    // No environment: the flags beat the profile's keys, even a profile chosen by name.
    let profile_only = Sandbox::empty();
    profile_only.write(
        ".tccli/p.credential",
        r#"{"secretId": "AKIDfile", "secretKey": "file-key"}"#,
    );
    profile_only
        .car(&[
            "DescribeConcurrentSummary",
            "--profile",
            "p",
            "--secretId",
            "AKIDflagEXAMPLE",
            "--secretKey",
            "flag-secret-key",
            "--token",
            "flag-token",
            "--endpoint",
            &e,
        ])
        .expect(0);
    assert_eq!(srv.requests().len(), 2);
    assert_eq!(srv.requests()[1].rejected, None);

    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--secretId",
        "AKIDx",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr.contains("--secretId: give --secretKey with it"),
        "{}",
        run.stderr
    );
    assert_eq!(srv.requests().len(), 2);
}

/// A tiny HTTP/1.1 server for the services car reaches besides CAR (STS, the CVM
/// metadata service): answers each request with `reply(method, path, body)`.
struct Stub {
    url: String,
    /// The headers of each request, in order.
    seen: Arc<Mutex<Vec<Headers>>>,
}

type Headers = Vec<(String, String)>;

impl Stub {
    fn start(reply: impl Fn(&str, &str) -> (u16, String) + Send + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mut reader = BufReader::new(stream);
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.trim_end().split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                        headers.push((k.to_string(), v.trim().to_string()));
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let mut parts = first.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let (status, text) = reply(&method, &path);
                log.lock().expect("log").push(headers);
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Stub { url, seen }
    }
}

fn far_future() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 7200
}

#[test]
fn role_arn_and_session_name_assume_the_role_through_sts() {
    let srv = TestServer::builder()
        .credentials("AKIDtmpEXAMPLE", "tmp-secret-key")
        .token("sts-token")
        .start()
        .expect("server");
    let expires = far_future();
    let sts = Stub::start(move |_, _| {
        (
            200,
            json!({"Response": {
                "Credentials": {"Token": "sts-token", "TmpSecretId": "AKIDtmpEXAMPLE", "TmpSecretKey": "tmp-secret-key"},
                "ExpiredTime": expires, "Expiration": "2030-01-01T00:00:00Z", "RequestId": "req-sts"
            }})
            .to_string(),
        )
    });
    let sb = Sandbox::with_keys();
    sb.write(
        ".tccli/default.configure",
        &json!({"sts": {"endpoint": sts.url}}).to_string(),
    );
    let e = srv.endpoint();
    sb.car(&[
        "DescribeConcurrentSummary",
        "--role-arn",
        "qcs::cam::uin/1:roleName/car",
        "--role-session-name",
        "ci",
        "--endpoint",
        &e,
    ])
    .expect(0);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].rejected, None);
    assert_eq!(reqs[0].header("X-TC-Token"), Some("sts-token"));
    let seen = sts.seen.lock().expect("log");
    assert_eq!(seen.len(), 1);
    let action = seen[0]
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("X-TC-Action"));
    assert_eq!(action.map(|(_, v)| v.as_str()), Some("AssumeRole"));
    let auth = seen[0]
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Authorization"));
    assert!(
        auth.is_some_and(|(_, v)| v.contains(&format!("Credential={TEST_SECRET_ID}/"))),
        "STS call not signed with the source keys: {auth:?}"
    );
    drop(seen);

    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--role-arn",
        "a",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("--role-arn: give --role-session-name with it"),
        "{}",
        run.stderr
    );
}

#[test]
fn use_cvm_role_reads_the_metadata_service() {
    let srv = TestServer::builder()
        .credentials("AKIDcvmEXAMPLE", "cvm-secret-key")
        .token("cvm-token")
        .start()
        .expect("server");
    let expires = far_future();
    let meta = Stub::start(move |_, path| {
        match path {
        "/latest/meta-data/cam/security-credentials/" => (200, "car-role".into()),
        "/latest/meta-data/cam/security-credentials/car-role" => (
            200,
            json!({"TmpSecretId": "AKIDcvmEXAMPLE", "TmpSecretKey": "cvm-secret-key", "Token": "cvm-token",
                   "ExpiredTime": expires, "Expiration": "2030-01-01T00:00:00Z", "Code": "Success"})
            .to_string(),
        ),
        _ => (404, String::new()),
    }
    });
    // Keys in the environment too: the flag asks for the role, and the role wins (tccli §3.6).
    let mut sb = Sandbox::with_keys();
    sb.set("CAR_METADATA_ENDPOINT", &meta.url);
    let e = srv.endpoint();
    sb.car(&[
        "--use-cvm-role",
        "DescribeConcurrentSummary",
        "--endpoint",
        &e,
    ])
    .expect(0);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header("X-TC-Token"), Some("cvm-token"));
    assert_eq!(reqs[0].rejected, None);

    sb.set("CAR_METADATA_ENDPOINT", "off");
    let run = sb.car(&[
        "--use-cvm-role",
        "DescribeConcurrentSummary",
        "--endpoint",
        &e,
    ]);
    run.expect(5);
    assert!(run.stderr.contains("--use-cvm-role"), "{}", run.stderr);
}

#[test]
fn expressions_are_compiled_before_anything_is_sent() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--filter",
        "a[",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr.contains("--filter: invalid JMESPath"),
        "{}",
        run.stderr
    );
    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--waiter",
        r#"{"expr":"a[","to":1}"#,
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr.contains("--waiter expr: invalid JMESPath"),
        "{}",
        run.stderr
    );
    assert_eq!(srv.requests().len(), 0);
}

#[test]
fn a_filter_failing_on_a_successful_result_prints_the_result_and_exit_6() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    // abs() of a string is a JMESPath type error, found only once the result is there.
    let run = sb.car(&[
        "DescribeConcurrentSummary",
        "--filter",
        "abs(RequestId)",
        "--endpoint",
        &e,
    ]);
    run.expect(6);
    assert_eq!(srv.requests().len(), 1);
    let shown = run.json();
    assert!(shown["RequestId"].is_string(), "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "DescribeConcurrentSummary succeeded and its whole result is printed instead"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_waiter_on_an_action_that_changes_something_is_refused() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let run = sb.car(&[
        "delete-application",
        "--application-id",
        "app-1",
        "--waiter",
        r#"{"expr":"RequestId","to":"x"}"#,
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    assert!(
        run.stderr.contains("would repeat the change"),
        "{}",
        run.stderr
    );
    assert_eq!(srv.requests().len(), 0);
}

#[test]
fn dry_run_without_credentials_signs_with_placeholders_and_says_so() {
    let sb = Sandbox::empty();
    let run = sb.car(&[
        "delete-application",
        "--application-id",
        "app-1",
        "--dry-run",
    ]);
    run.expect(0);
    assert!(run.stderr.contains("placeholder keys"), "{}", run.stderr);
    assert!(
        run.stdout.contains("X-TC-Action: DeleteApplication"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("{\"ApplicationId\":\"app-1\"}"),
        "{}",
        run.stdout
    );
    // With keys configured, they are used and nothing is said.
    let run =
        Sandbox::with_keys().car(&["delete-application", "--application-id", "a", "--dry-run"]);
    run.expect(0);
    assert!(!run.stderr.contains("placeholder"), "{}", run.stderr);
    assert!(!run.stdout.contains("AKIDPLACEHOLDER"), "{}", run.stdout);
}

#[test]
fn misplaced_words_are_explained() {
    let sb = Sandbox::with_keys();
    let run = sb.car(&["car", "describe-concurrent-summary"]);
    run.expect(2);
    assert!(run.stderr.contains("drop the word `car`"), "{}", run.stderr);
    let run = sb.car(&["--application-id", "app-1", "delete-application"]);
    run.expect(2);
    assert!(
        run.stderr.contains(
            "--application-id is a parameter of DeleteApplication: write it after the action name"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn configure_help_lists_only_its_own_options() {
    let run = Sandbox::empty().car(&["configure", "--help"]);
    run.expect(0);
    assert!(run.stdout.contains("--profile"), "{}", run.stdout);
    for other in [
        "--region",
        "--endpoint",
        "--output",
        "--dry-run",
        "--filter",
        "--secretId",
    ] {
        assert!(
            !run.stdout.contains(other),
            "{other} in configure help:\n{}",
            run.stdout
        );
    }
}

#[test]
fn completions_offer_documented_values() {
    let run = Sandbox::empty().car(&["completions", "bash"]);
    run.expect(0);
    // car-enums.json: CreateSessionRequest.Role is Player or Viewer.
    assert!(
        run.stdout.contains("Player Viewer"),
        "no Role values in the bash script"
    );
}

#[cfg(unix)]
#[test]
fn a_non_utf8_argument_is_not_echoed() {
    use std::os::unix::ffi::OsStrExt;
    let secret = std::ffi::OsStr::from_bytes(b"s3cr3t\xffkey");
    let out = std::process::Command::new(common::BIN)
        .arg("DescribeConcurrentSummary")
        .arg("--secretKey")
        .arg(secret)
        .env_clear()
        .output()
        .expect("run car");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("argument 3 (the value of --secretKey) is not valid UTF-8"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
}

/// Cleartext to a host that is not loopback needs `--insecure-http`; `--dry-run` builds
/// and signs the request without sending it, so no traffic leaves the machine.
#[test]
fn cleartext_beyond_loopback_needs_insecure_http() {
    let sb = Sandbox::with_keys();
    let line = [
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "10",
        "--endpoint",
        "http://car.example.com",
        "--dry-run",
    ];
    let run = sb.car(&line);
    run.expect(5);
    assert!(run.stderr.contains("--insecure-http"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    let mut allowed = line.to_vec();
    allowed.push("--insecure-http");
    let run = sb.car(&allowed);
    run.expect(0);
    assert!(
        run.stdout.starts_with("POST http://car.example.com/"),
        "{}",
        run.stdout
    );
    // Loopback needs no opt-in.
    let run = sb.car(&[
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "10",
        "--endpoint",
        "http://127.0.0.1:9",
        "--dry-run",
    ]);
    run.expect(0);
}
