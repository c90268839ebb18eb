//! The `car` binary against the loopback test server: every action in both spellings,
//! request input, output formats, filters, waiters, dry runs and every exit status.

mod common;

use car_api::meta::{ActionMeta, MemberMeta, Shape};
use car_emulator::test_server::{RefusingPort, Reply, TestServer, TEST_SECRET_KEY};
use common::{Run, Sandbox};
use serde_json::{json, Map, Value};

fn server() -> TestServer {
    TestServer::start().expect("start test server")
}

/// A valid value for a member, nested types filled in completely; a string with
/// documented values takes the first of them (the server refuses others).
fn sample(m: &MemberMeta) -> Value {
    sample_shape(&m.shape, m.wire_name, m.enum_name)
}

fn sample_shape(shape: &Shape, name: &str, enum_name: Option<&str>) -> Value {
    match shape {
        Shape::String => match enum_name.and_then(car_api::meta::enum_meta) {
            Some(e) => Value::String(e.values[0].value.to_string()),
            None => Value::String(format!("v-{name}")),
        },
        Shape::DateTime => json!("2026-01-01T00:00:00+08:00"),
        Shape::Int64 => json!(-3),
        Shape::UInt64 => json!(7),
        Shape::Bool => json!(true),
        Shape::List(inner) => json!([
            sample_shape(inner, name, enum_name),
            sample_shape(inner, &format!("{name}2"), enum_name)
        ]),
        Shape::Object(t) => {
            let t = car_api::meta::type_meta(t).expect("type");
            Value::Object(
                t.members
                    .iter()
                    .map(|m| (m.wire_name.to_string(), sample(m)))
                    .collect(),
            )
        }
    }
}

fn kebab(m: &MemberMeta) -> String {
    format!(
        "--{}",
        m.field_name.trim_start_matches("r#").replace('_', "-")
    )
}

/// Command-line words giving `value` to member `m`.
fn flag_words(m: &MemberMeta, flag: String, value: &Value) -> Vec<String> {
    let mut out = vec![flag];
    match (&m.shape, value) {
        (Shape::List(inner), Value::Array(items))
            if !matches!(**inner, Shape::Object(_) | Shape::List(_)) =>
        {
            out.extend(
                items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
            )
        }
        (Shape::Object(_) | Shape::List(_), v) => out.push(v.to_string()),
        (_, Value::String(s)) => out.push(s.clone()),
        (_, v) => out.push(v.to_string()),
    }
    out
}

/// Arguments and expected body for an action's required members.
fn required_args(a: &ActionMeta, pascal: bool) -> (Vec<String>, Value) {
    let name = if pascal {
        a.name.to_string()
    } else {
        a.method.replace('_', "-")
    };
    let mut args = vec![name];
    let mut body = Map::new();
    for m in a.input.iter().filter(|m| m.required) {
        let v = sample(m);
        let flag = if pascal {
            format!("--{}", m.wire_name)
        } else {
            kebab(m)
        };
        args.extend(flag_words(m, flag, &v));
        body.insert(m.wire_name.into(), v);
    }
    (args, Value::Object(body))
}

#[test]
fn every_action_in_both_spellings() {
    let srv = server();
    let endpoint = srv.endpoint();
    let sb = Sandbox::with_keys();
    let actions = car_api::metadata::ACTIONS;
    assert_eq!(actions.len(), 33);
    let jobs: Vec<(&ActionMeta, bool)> = actions
        .iter()
        .flat_map(|a| [(a, false), (a, true)])
        .collect();
    std::thread::scope(|s| {
        for chunk in jobs.chunks(jobs.len().div_ceil(6)) {
            let (sb, endpoint) = (&sb, &endpoint);
            s.spawn(move || {
                for (a, pascal) in chunk {
                    let (mut args, _) = required_args(a, *pascal);
                    args.extend(["--endpoint".to_string(), endpoint.clone()]);
                    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                    let run = sb.car(&argv);
                    run.expect(0);
                    let out = run.json();
                    assert!(
                        out["RequestId"].as_str().is_some_and(|r| !r.is_empty()),
                        "{}: {}",
                        a.name,
                        run.stdout
                    );
                    assert!(out.get("Response").is_none(), "envelope must be removed");
                }
            });
        }
    });
    let requests = srv.requests();
    for a in actions {
        let (_, body) = required_args(a, false);
        let seen: Vec<_> = requests.iter().filter(|r| r.action == a.name).collect();
        assert_eq!(seen.len(), 2, "{} requests", a.name);
        for r in seen {
            assert_eq!(
                r.rejected, None,
                "{}: the server rejected the request",
                a.name
            );
            assert_eq!(r.body, body, "{}", a.name);
            assert!(r
                .header("authorization")
                .is_some_and(|h| h.starts_with("TC3-HMAC-SHA256 Credential=")));
            assert_eq!(r.header("x-tc-version"), Some("2022-01-10"));
        }
    }
}

#[test]
fn every_member_of_a_big_action_as_flags() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let a = car_api::meta::action("CreateApplicationProject").expect("action");
    let mut args = vec!["create-application-project".to_string()];
    let mut body = Map::new();
    for (i, m) in a.input.iter().enumerate() {
        let v = sample(m);
        // Alternate spellings member by member.
        let flag = if i % 2 == 0 {
            kebab(m)
        } else {
            format!("--{}", m.wire_name)
        };
        args.extend(flag_words(m, flag, &v));
        body.insert(m.wire_name.into(), v);
    }
    args.extend(["--endpoint".into(), srv.endpoint()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.car(&argv).expect(0);
    let r = &srv.requests()[0];
    assert_eq!(r.rejected, None);
    assert_eq!(r.body, Value::Object(body));
    assert!(
        r.body["XRMaxWidth"].is_u64()
            && r.body["IsPreload"].is_boolean()
            && r.body["VideoEncodeConfig"].is_object()
    );
}

#[test]
fn lists_of_strings_take_words_or_json() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    sb.car(&[
        "describe-application-status",
        "--application-id-list",
        "a",
        "b",
        "--endpoint",
        &e,
    ])
    .expect(0);
    sb.car(&[
        "DescribeApplicationStatus",
        "--ApplicationIdList",
        r#"["c"]"#,
        "--endpoint",
        &e,
    ])
    .expect(0);
    sb.car(&[
        "describe-application-status",
        "--application-id-list",
        "d",
        "--application-id-list",
        "e",
        "--endpoint",
        &e,
    ])
    .expect(0);
    let bodies: Vec<Value> = srv.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(
        bodies,
        vec![
            json!({"ApplicationIdList": ["a", "b"]}),
            json!({"ApplicationIdList": ["c"]}),
            json!({"ApplicationIdList": ["d", "e"]})
        ]
    );
}

#[test]
fn global_options_before_or_after_the_action() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let a = sb.car(&[
        "--endpoint",
        &e,
        "--output",
        "text",
        "--region",
        "ap-x",
        "describe-concurrent-summary",
    ]);
    let b = sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        &e,
        "--output",
        "text",
        "--region",
        "ap-x",
    ]);
    a.expect(0);
    b.expect(0);
    assert!(a.stdout.contains('\t') && b.stdout.contains('\t'));
    for r in srv.requests() {
        assert_eq!(r.header("x-tc-region"), Some("ap-x"));
    }
}

#[test]
fn cli_input_json_string_file_and_override() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let req = r#"{"Offset": 5, "Limit": 20, "Filters": [{"Name": "ApplicationId", "Values": ["app-1"]}]}"#;
    sb.car(&[
        "describe-application-list",
        "--cli-input-json",
        req,
        "--endpoint",
        &e,
    ])
    .expect(0);
    let file = sb.write("req.json", req);
    let uri = format!("file://{}", file.display());
    sb.car(&[
        "--cli-input-json",
        &uri,
        "describe-application-list",
        "--limit",
        "3",
        "--endpoint",
        &e,
    ])
    .expect(0);
    sb.car(&[
        "DescribeApplicationList",
        "--cli-input-json",
        "file://req.json",
        "--Offset",
        "0",
        "--endpoint",
        &e,
    ])
    .expect(0);
    let bodies: Vec<Value> = srv.requests().into_iter().map(|r| r.body).collect();
    let filters = json!([{"Name": "ApplicationId", "Values": ["app-1"]}]);
    assert_eq!(
        bodies[0],
        json!({"Offset": 5, "Limit": 20, "Filters": filters})
    );
    assert_eq!(
        bodies[1],
        json!({"Offset": 5, "Limit": 3, "Filters": filters})
    );
    assert_eq!(
        bodies[2],
        json!({"Offset": 0, "Limit": 20, "Filters": filters})
    );
}

#[test]
fn skeleton_lists_every_member_and_sends_nothing() {
    let srv = server();
    let sb = Sandbox::empty();
    for a in car_api::metadata::ACTIONS {
        let run = sb.car(&[
            a.name,
            "--generate-cli-skeleton",
            "--endpoint",
            &srv.endpoint(),
        ]);
        run.expect(0);
        let v = run.json();
        for m in a.input {
            assert!(
                v.get(m.wire_name).is_some(),
                "{}.{} missing from skeleton",
                a.name,
                m.wire_name
            );
        }
        assert!(
            run.stdout.starts_with("{\n    ") || a.input.is_empty(),
            "4-space indent: {}",
            run.stdout
        );
    }
    let v = sb
        .car(&["describe-application-list", "--generate-cli-skeleton"])
        .json();
    assert_eq!(v["Offset"], "Integer");
    assert_eq!(v["Filters"][0]["Values"], json!(["String"]));
    let out = sb
        .car(&[
            "describe-application-list",
            "--generate-cli-skeleton=output",
        ])
        .json();
    assert!(out.get("UserApplicationList").is_some() && out.get("RequestId").is_some());
    assert!(srv.requests().is_empty());
}

#[test]
fn output_formats() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let base = [
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "10",
        "--endpoint",
        e.as_str(),
    ];
    let run = |extra: &[&str]| -> Run {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let r = sb.car(&args);
        r.expect(0);
        r
    };
    let json_out = run(&[]);
    let v = json_out.json();
    assert!(
        json_out
            .stdout
            .starts_with("{\n    \"UserApplicationList\": [\n        {\n"),
        "{}",
        json_out.stdout
    );
    assert!(json_out.stdout.trim_end().ends_with(&format!(
        "\"RequestId\": \"{}\"\n}}",
        v["RequestId"].as_str().unwrap_or_default()
    )));
    assert_eq!(v["ApplicationTotal"], 1);

    let table = run(&["--output", "table"]).stdout.clone();
    assert!(table.contains("| ApplicationTotal | 1 "), "{table}");
    assert!(table.contains("+------------------+"), "{table}");
    assert!(
        table.lines().any(|l| l.starts_with("| ApplicationId ")),
        "{table}"
    );

    let text = run(&["--output", "text"]).stdout.clone();
    let first: Vec<&str> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split('\t')
        .collect();
    assert_eq!(first[0], "1", "{text}");
    assert!(first[1].starts_with("00000000-"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("USERAPPLICATIONLIST\t")),
        "{text}"
    );

    // The profile's output applies when --output is not given.
    sb.write(
        ".tccli/default.configure",
        r#"{"_sys_param": {"output": "text"}}"#,
    );
    assert!(run(&[]).stdout.contains('\t'));
    assert!(run(&["--output", "json"]).stdout.starts_with('{'));
}

/// Text output for answers whose tccli output is recorded in tccli-conventions §7.3
/// (observed with tccli): the expected text is tccli's, not ours.
#[test]
fn text_output_matches_tccli_observed_output() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let count = br#"{"Response": {"Running": 0, "Total": 5, "RequestId": "req-3"}}"#;
    let call = |output: &str| {
        srv.push_reply(Reply::Raw(count.to_vec()));
        let run = sb.car(&[
            "describe-concurrent-count",
            "--endpoint",
            &e,
            "--output",
            output,
        ]);
        run.expect(0);
        run.stdout.clone()
    };
    assert_eq!(call("text"), "req-3\t0\t5\n");
}

#[test]
fn filter_selects_from_the_response() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let base = [
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "10",
        "--endpoint",
        e.as_str(),
    ];
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        sb.car(&a)
    };
    assert_eq!(
        with(&["--filter", "ApplicationTotal"]).expect(0).stdout,
        "1\n"
    );
    assert_eq!(
        with(&["--filter", "UserApplicationList[0].ApplicationId"])
            .expect(0)
            .stdout,
        "\"sample-ApplicationId\"\n"
    );
    assert_eq!(
        with(&[
            "--filter",
            "UserApplicationList[].ApplicationId",
            "--output",
            "text"
        ])
        .expect(0)
        .stdout,
        "sample-ApplicationId\n"
    );
    let v = with(&[
        "--filter",
        "{total: ApplicationTotal, ids: UserApplicationList[].ApplicationId}",
    ])
    .expect(0)
    .json();
    assert_eq!(v, json!({"total": 1, "ids": ["sample-ApplicationId"]}));
    let sent = srv.requests().len();
    let bad = with(&["--filter", "UserApplicationList[0"]);
    bad.expect(2);
    assert!(
        bad.stderr.contains("--filter: invalid JMESPath expression"),
        "{}",
        bad.stderr
    );
    assert_eq!(
        srv.requests().len(),
        sent,
        "a bad filter must stop the call before sending"
    );
}

#[test]
fn waiter_repeats_until_the_value_is_reached() {
    let srv = server();
    let sb = Sandbox::with_keys();
    for total in [0, 0, 2] {
        srv.push_reply(Reply::ok(json!({"ApplicationTotal": total})));
    }
    let waiter = r#"{"expr": "ApplicationTotal", "to": 2, "timeout": 10, "interval": 0.05}"#;
    let run = sb.car(&[
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "1",
        "--waiter",
        waiter,
        "--endpoint",
        &srv.endpoint(),
    ]);
    run.expect(0);
    assert_eq!(run.json()["ApplicationTotal"], 2);
    assert_eq!(srv.requests().len(), 3);
    assert_eq!(
        run.stderr
            .matches("waiting: `ApplicationTotal` is 0, want 2")
            .count(),
        2,
        "{}",
        run.stderr
    );

    // A string target matches a number with that spelling.
    srv.push_reply(Reply::ok(json!({"ApplicationTotal": 4})));
    let w = r#"{"expr": "ApplicationTotal", "to": "4", "interval": 0.05}"#;
    sb.car(&[
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "1",
        "--waiter",
        w,
        "--endpoint",
        &srv.endpoint(),
    ])
    .expect(0);
}

#[test]
fn waiter_timeout_is_exit_4() {
    let srv = TestServer::builder()
        .handler(|_, _| Reply::ok(json!({"ApplicationTotal": 0})))
        .start()
        .expect("server");
    let sb = Sandbox::with_keys();
    let waiter = r#"{"expr": "ApplicationTotal", "to": 1, "timeout": 0.3, "interval": 0.1}"#;
    let run = sb.car(&[
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "1",
        "--waiter",
        waiter,
        "--endpoint",
        &srv.endpoint(),
    ]);
    run.expect(4);
    assert!(
        run.stderr.contains(
            "error: WaiterTimeout: `ApplicationTotal` did not become 1 within 0.3 s; last value: 0"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert!(srv.requests().len() >= 2);
    let bad = sb.car(&[
        "describe-application-list",
        "--offset",
        "0",
        "--limit",
        "1",
        "--waiter",
        r#"{"expr": "a"}"#,
    ]);
    bad.expect(2);
    assert!(bad.stderr.contains("`to` must be given"), "{}", bad.stderr);
}

#[test]
fn dry_run_prints_the_signed_request_and_sends_nothing() {
    let srv = server();
    let mut sb = Sandbox::with_keys();
    sb.set("TENCENTCLOUD_TOKEN", "tok-very-secret-session-token");
    let run = sb.car(&[
        "create-session",
        "--user-id",
        "u1",
        "--user-ip",
        "203.0.113.7",
        "--client-session",
        "client-session-secret-blob",
        "--dry-run",
        "--endpoint",
        &srv.endpoint(),
        "--region",
        "ap-y",
    ]);
    run.expect(0);
    let out = &run.stdout;
    assert!(
        out.starts_with(&format!("POST {}/\n", srv.endpoint())),
        "{out}"
    );
    assert!(out.contains("X-TC-Action: CreateSession\n"), "{out}");
    assert!(out.contains("X-TC-Region: ap-y\n"), "{out}");
    assert!(out.contains("Signature=** redacted **"), "{out}");
    assert!(out.contains("X-TC-Token: ** redacted **"), "{out}");
    assert!(out.contains(r#""UserId":"u1""#), "{out}");
    for secret in [
        TEST_SECRET_KEY,
        "tok-very-secret-session-token",
        "client-session-secret-blob",
        car_emulator::test_server::TEST_SECRET_ID,
    ] {
        assert!(
            !out.contains(secret) && !run.stderr.contains(secret),
            "{secret} printed:\n{out}"
        );
    }
    assert!(srv.requests().is_empty(), "dry run sent a request");
}

#[test]
fn debug_logs_go_to_stderr_without_secrets() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let run = sb.car(&[
        "-v",
        "create-session",
        "--user-id",
        "u1",
        "--user-ip",
        "1.2.3.4",
        "--client-session",
        "blob-secret-xyz",
        "--endpoint",
        &srv.endpoint(),
    ]);
    run.expect(0);
    assert!(run.stderr.contains("DEBUG"), "{}", run.stderr);
    assert!(run.stderr.contains("CreateSession"));
    for secret in [
        TEST_SECRET_KEY,
        "blob-secret-xyz",
        car_emulator::test_server::TEST_SECRET_ID,
    ] {
        assert!(
            !run.stderr.contains(secret),
            "{secret} logged:\n{}",
            run.stderr
        );
    }
    run.json();
    let quiet = sb.car(&["describe-concurrent-summary", "--endpoint", &srv.endpoint()]);
    assert!(quiet.expect(0).stderr.is_empty(), "{}", quiet.stderr);
}

#[test]
fn api_error_is_exit_3_one_line_or_json() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    srv.push_reply(Reply::error(
        "FailedOperation.ApplicationNotFind",
        "no application app-x",
    ));
    let run = sb.car(&[
        "describe-cos-credential",
        "--application-id",
        "app-x",
        "--endpoint",
        &e,
    ]);
    run.expect(3);
    assert!(run.stdout.is_empty());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with(
            "error: FailedOperation.ApplicationNotFind: no application app-x (RequestId: 00000000-"
        ),
        "{}",
        lines[0]
    );

    srv.push_reply(Reply::error(
        "FailedOperation.ApplicationNotFind",
        "no application app-x",
    ));
    let run = sb.car(&[
        "describe-cos-credential",
        "--application-id",
        "app-x",
        "--endpoint",
        &e,
        "--output",
        "json",
    ]);
    run.expect(3);
    let v = run.stderr_json();
    assert_eq!(v["Error"]["Code"], "FailedOperation.ApplicationNotFind");
    assert_eq!(v["Error"]["Message"], "no application app-x");
    assert!(v["RequestId"]
        .as_str()
        .is_some_and(|r| r.starts_with("00000000-")));

    // The server's own checks answer with API errors too: a wrong key.
    let mut other = Sandbox::with_keys();
    other.set("TENCENTCLOUD_SECRET_KEY", "not-the-right-key");
    let run = other.car(&["describe-concurrent-summary", "--endpoint", &e]);
    run.expect(3);
    assert!(
        run.stderr
            .starts_with("error: AuthFailure.SignatureFailure: "),
        "{}",
        run.stderr
    );
}

#[test]
fn network_and_bad_answers_are_exit_4() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    srv.push_reply(Reply::Status(502, "<html>bad gateway</html>".into()));
    let run = sb.car(&[
        "create-application",
        "--application-name",
        "n",
        "--application-type",
        "Application3D",
        "--endpoint",
        &e,
    ]);
    run.expect(4);
    assert!(
        run.stderr.starts_with("error: ClientInvalidResponse: "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("502"), "{}", run.stderr);

    srv.push_reply(Reply::Raw(b"{\"Response\": {\"Request".to_vec()));
    let run = sb.car(&[
        "create-application",
        "--application-name",
        "n",
        "--application-type",
        "Application3D",
        "--endpoint",
        &e,
    ]);
    run.expect(4);

    // Held for the test's whole life, so the 0.3 s timeout fires however slow the machine.
    srv.push_reply(Reply::Delay(
        std::time::Duration::from_secs(3600),
        Box::new(Reply::ok(json!({}))),
    ));
    let run = sb.car(&[
        "create-application",
        "--application-name",
        "n",
        "--application-type",
        "Application3D",
        "--endpoint",
        &e,
        "--timeout",
        "0.3",
    ]);
    run.expect(4);
    assert!(
        run.stderr.starts_with("error: ClientTimeout: "),
        "{}",
        run.stderr
    );

    // A port held by this test with nobody listening on it.
    let port = RefusingPort::new().expect("reserve a port");
    let closed = port.endpoint();
    let run = sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        &closed,
        "--output",
        "json",
    ]);
    run.expect(4);
    assert_eq!(run.stderr_json()["Error"]["Code"], "ClientNetworkError");
}

#[test]
fn missing_or_broken_configuration_is_exit_5() {
    let srv = server();
    let sb = Sandbox::empty();
    let run = sb.car(&["describe-concurrent-summary", "--endpoint", &srv.endpoint()]);
    run.expect(5);
    assert!(
        run.stderr
            .starts_with("error: ClientCredentialsError: no credentials found"),
        "{}",
        run.stderr
    );

    let sb = Sandbox::with_keys();
    sb.write(".tccli/default.configure", "{\"_sys_param\": {\"output\": ");
    let run = sb.car(&["describe-concurrent-summary", "--endpoint", &srv.endpoint()]);
    run.expect(5);
    assert!(run.stderr.contains("line 1 column"), "{}", run.stderr);

    sb.write(
        ".tccli/default.configure",
        r#"{"_sys_param": {"output": "xml"}}"#,
    );
    sb.car(&["describe-concurrent-summary", "--endpoint", &srv.endpoint()])
        .expect(5);

    // An unusable endpoint in the profile is configuration (5), not input (2).
    sb.write(
        ".tccli/default.configure",
        r#"{"car": {"endpoint": "ftp://gateway"}}"#,
    );
    let run = sb.car(&["describe-concurrent-summary"]);
    run.expect(5);
    assert!(
        run.stderr.contains("default.configure: car.endpoint"),
        "{}",
        run.stderr
    );

    let sb = Sandbox::with_keys();
    let run = sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        &srv.endpoint(),
        "--ca-bundle",
        "/nonexistent/ca.pem",
    ]);
    run.expect(5);
    assert!(run.stderr.contains("CA bundle"), "{}", run.stderr);
    let mut sb = Sandbox::with_keys();
    sb.set("SSL_CERT_FILE", "/nonexistent/bundle.pem");
    let run = sb.car(&["describe-concurrent-summary", "--endpoint", &srv.endpoint()]);
    run.expect(5);
    assert!(
        run.stderr.contains("/nonexistent/bundle.pem"),
        "{}",
        run.stderr
    );
    assert!(srv.requests().is_empty());
}

/// Each bad input is named, exits 2, and nothing reaches the server.
#[test]
fn bad_input_is_exit_2_and_named() {
    let srv = server();
    let sb = Sandbox::with_keys();
    let e = srv.endpoint();
    let file = sb.write("bad.json", "{\n  \"Offset\": 0,\n  \"Limit\": 1,\n}");
    let bad_file = format!("file://{}", file.display());
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["describe-application-list", "--limt", "3"], vec!["unexpected argument '--limt'", "similar argument exists: '--limit'"]),
        (vec!["describe-application-list", "--offset", "abc", "--limit", "1"], vec!["parameter Offset (--offset): expected an integer, got \"abc\""]),
        (vec!["create-application-project", "--name", "n", "--application-id", "a", "--type", "t", "--is-preload", "maybe"], vec!["parameter IsPreload (--is-preload): expected a boolean"]),
        (vec!["create-application-project", "--name", "n", "--application-id", "a", "--type", "t", "--xr-max-width", "-1"], vec!["parameter XRMaxWidth (--xr-max-width): expected a non-negative integer"]),
        (vec!["describe-application-list", "--offset", "0", "--limit", "1", "--filters", "[{\"Name\": \"x\",\n \"Values\": [}]"], vec!["parameter Filters (--filters): malformed JSON", "line 2 column"]),
        (vec!["describe-application-list", "--offset", "0", "--limit", "1", "--filters", r#"[{"Name": 3, "Values": ["a"]}]"#], vec!["parameter Filters[0].Name: expected a string, got number 3"]),
        (vec!["create-application-project"], vec!["missing required parameter Name (--name)", "missing required parameter ApplicationId (--application-id)", "missing required parameter Type (--type)"]),
        (vec!["describe-application-list", "--cli-input-json", r#"{"Offset": 0, "Limit": 1, "Limt": 2}"#], vec!["unknown parameter Limt in --cli-input-json (did you mean Limit?)"]),
        (vec!["describe-application-list", "--cli-input-json", "[1]"], vec!["the request must be a JSON object, got an array"]),
        (vec!["describe-application-list", "--cli-input-json", bad_file.as_str()], vec!["malformed JSON", "line 4 column 1"]),
        (vec!["describe-application-list", "--cli-input-json", "file:///nonexistent/req.json"], vec!["cannot read file:///nonexistent/req.json"]),
        (vec!["describe-aplication-list"], vec!["unknown command \"describe-aplication-list\" (did you mean describe-application-list?)"]),
        (vec!["DescribeConcurrentSummary", "--output", "yaml"], vec!["invalid value 'yaml'"]),
        (vec!["describe-concurrent-summary", "--timeout", "soon"], vec!["--timeout: expected a number of seconds"]),
        (vec!["describe-concurrent-summary", "--endpoint", "ftp://x"], vec!["--endpoint: expected an http:// or https:// URL"]),
    ];
    std::thread::scope(|s| {
        for (args, wants) in &cases {
            let (sb, e) = (&sb, &e);
            s.spawn(move || {
                let mut args = args.clone();
                if !args.contains(&"--endpoint") {
                    args.extend(["--endpoint", e.as_str()]);
                }
                let run = sb.car(&args);
                run.expect(2);
                assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
                for w in wants {
                    assert!(
                        run.stderr.contains(w),
                        "{args:?}: want {w:?} in:\n{}",
                        run.stderr
                    );
                }
                assert!(
                    run.stderr.starts_with("error: "),
                    "{args:?}: {}",
                    run.stderr
                );
            });
        }
    });
    assert!(
        srv.requests().is_empty(),
        "bad input reached the server: {:?}",
        srv.requests()
    );

    // Every problem at once, also as JSON.
    let run = sb.car(&[
        "describe-application-list",
        "--offset",
        "x",
        "--output",
        "json",
        "--endpoint",
        &e,
    ]);
    run.expect(2);
    let v = run.stderr_json();
    assert_eq!(v["Error"]["Code"], "ClientParamsError");
    assert_eq!(
        v["Error"]["Problems"].as_array().map(Vec::len),
        Some(2),
        "{v}"
    );
}

/// Runs `car` with a stdout whose reading end is closed before it starts, so every
/// write it makes fails with a broken pipe.
fn car_into_closed_pipe(sb: &Sandbox, args: &[&str]) -> Run {
    use std::process::{Command, Stdio};
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(common::BIN)
        .args(args)
        .env_clear()
        .envs(sb.vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run car");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    common::assert_no_panic(&run, args);
    run
}

/// `car ... | head` stopping early is not an error (README: a closed pipe is ignored):
/// exit 0, nothing on stderr.
#[test]
fn closed_stdout_exits_zero_quietly() {
    let srv = server();
    let sb = Sandbox::with_keys();
    // Completions are larger than a pipe's buffer; an answer is small.
    let run = car_into_closed_pipe(&sb, &["completions", "bash"]);
    run.expect(0);
    assert_eq!(run.stderr, "");
    let run = car_into_closed_pipe(
        &sb,
        &["describe-concurrent-summary", "--endpoint", &srv.endpoint()],
    );
    run.expect(0);
    assert_eq!(run.stderr, "");
    assert_eq!(srv.requests().len(), 1);
}
