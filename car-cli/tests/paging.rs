//! `--all-pages` and `--wait-until` with the real binary against the loopback server,
//! which answers each request with the next scripted reply.

mod common;

use car_emulator::test_server::{Reply, TestServer};
use common::{Run, Sandbox};
use serde_json::{json, Value};

fn server() -> TestServer {
    TestServer::start().expect("start test server")
}

fn call(sb: &Sandbox, srv: &TestServer, args: &[&str]) -> Run {
    let endpoint = srv.endpoint();
    let mut all = args.to_vec();
    all.extend(["--endpoint", &endpoint]);
    sb.car(&all)
}

fn project(id: &str) -> Value {
    json!({"ProjectId": id, "Name": id})
}

#[test]
fn all_pages_merges_the_lists_and_sends_each_offset() {
    let srv = server();
    let sb = Sandbox::with_keys();
    // Three projects in all, two per page: pages at offsets 0 and 2, then stop on the total.
    srv.push_reply(Reply::ok(json!({
        "Total": 3, "Projects": [project("cap-1"), project("cap-2")]
    })));
    srv.push_reply(Reply::ok(json!({
        "Total": 3, "Projects": [project("cap-3")]
    })));
    let run = call(
        &sb,
        &srv,
        &[
            "describe-application-projects",
            "--limit",
            "2",
            "--all-pages",
        ],
    );
    run.expect(0);
    let out: Value = serde_json::from_str(&run.stdout).expect("json");
    let ids: Vec<&str> = out["Projects"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["ProjectId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cap-1", "cap-2", "cap-3"]);
    assert_eq!(out["Total"], 3);
    let offsets: Vec<Value> = srv
        .requests()
        .into_iter()
        .map(|r| r.body["Offset"].clone())
        .collect();
    assert_eq!(offsets, [json!(0), json!(2)]);
}

#[test]
fn all_pages_is_refused_where_an_action_does_not_page() {
    let srv = server();
    let run = call(
        &Sandbox::with_keys(),
        &srv,
        &[
            "describe-application-status",
            "--application-id-list",
            "app-1",
            "--all-pages",
        ],
    );
    run.expect(2);
    assert!(run.stderr.contains("--all-pages"), "{}", run.stderr);
    assert!(srv.requests().is_empty());
}

fn versions(status: &str) -> Reply {
    Reply::ok(json!({"Versions": [
        {"ApplicationVersionId": "ver-1", "ApplicationVersionStatus": status}
    ]}))
}

#[test]
fn wait_until_polls_until_the_named_state_and_prints_the_entry() {
    let srv = server();
    let sb = Sandbox::with_keys();
    // Polls are 5 s apart (tccli's interval), so the version is ready on the first poll
    // here, and a second test below covers a failure state.
    srv.push_reply(versions("Normal"));
    let run = call(
        &sb,
        &srv,
        &[
            "describe-application-version",
            "--application-id",
            "app-1",
            "--wait-until",
            "ApplicationVersionReady=ver-1",
        ],
    );
    run.expect(0);
    let entry: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(entry["ApplicationVersionStatus"], "Normal");
    assert_eq!(srv.requests().len(), 1);

    srv.push_reply(versions("CreateFailed"));
    let run = call(
        &sb,
        &srv,
        &[
            "describe-application-version",
            "--application-id",
            "app-1",
            "--wait-until",
            "ApplicationVersionReady=ver-1",
        ],
    );
    run.expect(4);
    assert!(run.stderr.contains("WaiterFailed"), "{}", run.stderr);
    assert!(run.stderr.contains("CreateFailed"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn wait_until_is_checked_before_sending() {
    let srv = server();
    let sb = Sandbox::with_keys();
    for (args, says) in [
        (
            vec!["--wait-until", "ApplicationRunning=app-1"],
            "no waiter \"ApplicationRunning\" for DescribeApplicationVersion",
        ),
        (
            vec!["--wait-until", "ApplicationVersionReady=v", "--all-pages"],
            "cannot be combined",
        ),
        (vec!["--wait-timeout", "5"], "give --wait-until with it"),
    ] {
        let mut line = vec!["describe-application-version", "--application-id", "app-1"];
        line.extend(args);
        let run = call(&sb, &srv, &line);
        run.expect(2);
        assert!(run.stderr.contains(says), "{line:?}: {}", run.stderr);
    }
    assert!(srv.requests().is_empty());
}
