//! What reaches stdout and stderr: tccli's text columns, server text that cannot drive
//! the terminal, bounded filter expressions, and write failures on stdout.

mod common;

use car_emulator::test_server::{Reply, TestServer};
use common::{Run, Sandbox};

fn server() -> TestServer {
    TestServer::start().expect("start test server")
}

fn raw(response: &str) -> Reply {
    Reply::Raw(format!(r#"{{"Response":{response}}}"#).into_bytes())
}

fn call(sb: &Sandbox, srv: &TestServer, args: &[&str]) -> Run {
    let endpoint = srv.endpoint();
    let mut all = args.to_vec();
    all.extend(["--endpoint", &endpoint]);
    sb.car(&all)
}

// Expected lines follow tccli-conventions.md §7.3: the observed `req-3<TAB>0<TAB>5` for
// DescribeConcurrentCount (RequestId, Running, Total), and `None` for what the server
// leaves out, since tccli prints its model, not the server's JSON.
#[test]
fn text_keeps_columns_when_members_are_absent() {
    let srv = server();
    let sb = Sandbox::with_keys();
    srv.push_reply(raw(r#"{"Running":0,"Total":5,"RequestId":"req-3"}"#));
    srv.push_reply(raw(r#"{"Total":5,"RequestId":"req-3"}"#));
    srv.push_reply(raw(
        r#"{"Total":5,"Running":0,"Queued":2,"RequestId":"req-3"}"#,
    ));
    for expected in ["req-3\t0\t5\n", "req-3\tNone\t5\n", "req-3\t0\t5\n"] {
        let run = call(
            &sb,
            &srv,
            &["describe-concurrent-count", "--output", "text"],
        );
        assert_eq!(run.expect(0).stdout, expected);
    }
}

// §7.3, observed: DescribeApplicationList without UserMobileApplicationList prints
// `2<TAB>req-9<TAB>None` first (ApplicationTotal, RequestId, the null list). Each
// application row has every UserApplicationInfo member, sorted by name; a member null in
// one element is a column in all, and where another element has an object there, its
// Python repr (members in the model's order) fills the column.
#[test]
fn text_of_a_list_is_tccli_positional() {
    let srv = server();
    let sb = Sandbox::with_keys();
    srv.push_reply(raw(r#"{"ApplicationTotal":2,"UserApplicationList":[
            {"ApplicationId":"app-1","ApplicationName":"One",
             "ApplicationBaseInfo":{"WindowUseType":"SYSTEM_DEFAULT","WindowName":"w"}},
            {"ApplicationId":"app-2","ApplicationName":"Two","ApplicationUpdateProgress":40}
        ],"RequestId":"req-9"}"#));
    let run = call(
        &sb,
        &srv,
        &[
            "describe-application-list",
            "--offset",
            "0",
            "--limit",
            "10",
            "--output",
            "text",
        ],
    );
    // BaseInfo CreateTime ExePath Id InterList Name Nature Params RunStatus Stores Type
    // UpdateProgress UpdateStatus Versions
    let expected = "2\treq-9\tNone\n\
        USERAPPLICATIONLIST\t{'WindowUseType': 'SYSTEM_DEFAULT', 'WindowName': 'w', \
        'WindowClassName': None, 'WindowCaptureMode': None}\tNone\tNone\tapp-1\tNone\tOne\
        \tNone\tNone\tNone\tNone\tNone\tNone\tNone\tNone\n\
        USERAPPLICATIONLIST\tNone\tNone\tNone\tapp-2\tNone\tTwo\tNone\tNone\tNone\tNone\
        \tNone\t40\tNone\tNone\n";
    assert_eq!(run.expect(0).stdout, expected);
}

const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J";
const SHOWN: &str = "\\x1b]0;owned\\x07\\x1b[2J";

#[test]
fn server_text_is_escaped_in_errors_and_cells() {
    let srv = server();
    let sb = Sandbox::with_keys();
    srv.push_reply(Reply::error("FailedOperation", HOSTILE));
    let run = call(&sb, &srv, &["describe-concurrent-count"]);
    run.expect(3);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("error: FailedOperation: {SHOWN} (RequestId: ")),
        "{}",
        run.stderr
    );

    // JSON errors: escaped by the JSON encoder, and the text survives a round trip.
    srv.push_reply(Reply::error("FailedOperation", HOSTILE));
    let run = call(
        &sb,
        &srv,
        &["describe-concurrent-count", "--output", "json"],
    );
    run.expect(3);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert_eq!(run.stderr_json()["Error"]["Message"], HOSTILE);

    let body = format!(
        r#"{{"Running":0,"Total":5,"RequestId":{}}}"#,
        serde_json::Value::String(HOSTILE.into())
    );
    for format in ["text", "table", "json"] {
        srv.push_reply(raw(&body));
        let run = call(
            &sb,
            &srv,
            &["describe-concurrent-count", "--output", format],
        );
        run.expect(0);
        assert!(!run.stdout.contains('\u{1b}'), "{format}: {:?}", run.stdout);
        if format == "json" {
            assert_eq!(run.json()["RequestId"], HOSTILE);
        } else {
            assert!(run.stdout.contains(SHOWN), "{format}: {}", run.stdout);
        }
    }
}

#[test]
fn an_error_without_a_message_has_no_dangling_colon() {
    let srv = server();
    let sb = Sandbox::with_keys();
    srv.push_reply(Reply::error("ResourceNotFound.Application", ""));
    let run = call(&sb, &srv, &["describe-concurrent-count"]);
    run.expect(3);
    assert!(
        run.stderr
            .starts_with("error: ResourceNotFound.Application (RequestId: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

// Before the bound, these overflowed the stack and the process aborted (SIGABRT).
#[test]
fn deeply_nested_expressions_are_refused_before_sending() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let deep = format!("{}a{}", "(".repeat(40_000), ")".repeat(40_000));
    let run = call(&sb, &srv, &["describe-concurrent-count", "--filter", &deep]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("--filter: the expression nests more than 64 levels deep"),
        "{}",
        run.stderr
    );
    let nots = format!(r#"{{"expr": "{}Total", "to": true}}"#, "!".repeat(60_000));
    let run = call(&sb, &srv, &["describe-concurrent-count", "--waiter", &nots]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("--waiter expr: the expression has more than"),
        "{}",
        run.stderr
    );
    assert!(srv.requests().is_empty(), "nothing is sent");
}

#[cfg(unix)]
fn run_with_stdout(sb: &Sandbox, srv: &TestServer, stdout: std::process::Stdio) -> Run {
    use std::process::{Command, Stdio};
    let out = Command::new(common::BIN)
        .args(["describe-concurrent-count", "--endpoint", &srv.endpoint()])
        .env_clear()
        .envs(sb.vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("run car");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    common::assert_no_panic(&run, &["describe-concurrent-count"]);
    run
}

/// The reader is gone before car starts, so its first write gets EPIPE.
#[cfg(unix)]
#[test]
fn a_closed_pipe_is_quiet_and_successful() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let run = run_with_stdout(&sb, &srv, writer.into());
    run.expect(0);
    assert_eq!(run.stderr, "");
    assert_eq!(srv.requests().len(), 1);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_reported() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let run = run_with_stdout(&sb, &srv, full.into());
    run.expect(6);
    assert_eq!(
        run.stderr,
        "error: ClientOutputError: cannot write to standard output: \
         No space left on device (os error 28)\n"
    );
    // Help is output too.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let out = std::process::Command::new(common::BIN)
        .arg("--help")
        .env_clear()
        .stdin(std::process::Stdio::null())
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run car");
    assert_eq!(out.status.code(), Some(6), "{out:?}");
}
