//! Concurrency accounting and the session sequence of car-behaviour.md: ApplyConcurrent
//! reserves a slot, CreateSession needs a live reservation (`FailedOperation.LockTimeout`),
//! no free slot is `ResourceNotFound.NoIdle`, an unknown session
//! `ResourceNotFound.SessionNotFound`; stream push works on running sessions only.

mod state_support;

use base64::Engine;
use car_emulator::car::state::RESERVATION_SECONDS;
use serde_json::{json, Value};
use state_support::*;

fn package_ids(list: &Value, kind: &str) -> Vec<String> {
    list["ConcurrentPackages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["Type"] == kind)
        .map(|p| p["ConcurrentId"].as_str().unwrap().to_string())
        .collect()
}

async fn count(env: &Env, project: &str) -> (u64, u64) {
    let c = env
        .ok("DescribeConcurrentCount", json!({"ProjectId": project}))
        .await;
    (c["Total"].as_u64().unwrap(), c["Running"].as_u64().unwrap())
}

fn apply(user: &str, project: &str) -> Value {
    json!({"UserId": user, "UserIp": "203.0.113.7", "ProjectId": project})
}

fn session(user: &str) -> Value {
    json!({"UserId": user, "UserIp": "203.0.113.7", "ClientSession": "eyJhYmMiOjEyM30="})
}

#[tokio::test]
async fn slots_are_reserved_used_timed_out_and_freed() {
    let env = Env::new();
    // BEHAVIOUR.md: every account starts with two S1 packages of 2 slots and one L1 of 1.
    let summary = env.ok("DescribeConcurrentSummary", json!({})).await;
    assert_eq!(summary["PrepaidConcurrentTotal"], 5);
    let packages = env.ok("DescribeConcurrentPackages", json!({})).await;
    assert_eq!(packages["Total"], 3);
    let s1 = package_ids(&packages, "S1");
    let l1 = package_ids(&packages, "L1");
    assert_eq!((s1.len(), l1.len()), (2, 1));

    let (app, _) = env.released_app("Served").await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "p", "ApplicationId": app, "Type": "S1"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(count(&env, &project).await, (0, 0));
    let e = env.err("ApplyConcurrent", apply("u1", &project)).await;
    assert_eq!(code(&e), "ResourceNotFound.NoIdle", "{e}");

    let e = env
        .err(
            "BindConcurrentPackagesToProject",
            json!({"ConcurrentIds": [l1[0]], "ProjectId": project}),
        )
        .await;
    assert_eq!(
        code(&e),
        "FailedOperation",
        "an L1 package cannot serve an S1 project: {e}"
    );
    env.ok(
        "BindConcurrentPackagesToProject",
        json!({"ConcurrentIds": [s1[0]], "ProjectId": project}),
    )
    .await;
    assert_eq!(count(&env, &project).await, (2, 0));
    let listed = env
        .ok(
            "DescribeConcurrentPackages",
            json!({"Filters": [{"Name": "ProjectId", "Values": [project]}]}),
        )
        .await;
    assert_eq!(listed["Total"], 1);
    assert_eq!(
        listed["ConcurrentPackages"][0]["ConcurrentId"],
        s1[0].as_str()
    );

    env.ok("ApplyConcurrent", apply("u1", &project)).await;
    env.ok("ApplyConcurrent", apply("u2", &project)).await;
    let e = env.err("ApplyConcurrent", apply("u3", &project)).await;
    assert_eq!(code(&e), "ResourceNotFound.NoIdle", "{e}");
    assert_eq!(count(&env, &project).await, (2, 2));
    let projects = env.ok("DescribeApplicationProjects", json!({})).await;
    assert_eq!(projects["Projects"][0]["Amount"], 2);
    assert_eq!(projects["Projects"][0]["Using"], 2);
    assert_eq!(projects["Projects"][0]["ApplicationStatus"], "Online");

    let created = env.ok("CreateSession", session("u1")).await;
    let blob = created["ServerSession"].as_str().unwrap();
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(blob)
            .is_ok(),
        "ServerSession is a base64 blob: {blob}"
    );
    let e = env.err("CreateSession", session("nobody")).await;
    assert_eq!(code(&e), "FailedOperation.LockTimeout", "{e}");

    // u2 never creates its session: the reservation lapses and its slot comes free.
    env.advance(RESERVATION_SECONDS as u64);
    let e = env.err("CreateSession", session("u2")).await;
    assert_eq!(code(&e), "FailedOperation.LockTimeout", "{e}");
    assert_eq!(
        count(&env, &project).await,
        (2, 1),
        "the running session keeps its slot"
    );
    env.ok("ApplyConcurrent", apply("u3", &project)).await;

    env.ok("DestroySession", json!({"UserId": "u1"})).await;
    let e = env.err("DestroySession", json!({"UserId": "u1"})).await;
    assert_eq!(code(&e), "ResourceNotFound.SessionNotFound", "{e}");
    assert_eq!(count(&env, &project).await, (2, 1));

    // Deleting a project or unbinding its capacity is refused while slots are in use.
    let e = env
        .err(
            "DeleteApplicationProjects",
            json!({"ProjectIds": [project]}),
        )
        .await;
    assert_eq!(code(&e), "FailedOperation.ApplicationLockFail", "{e}");
    let e = env
        .err(
            "UnbindConcurrentPackagesFromProject",
            json!({"ConcurrentIds": [s1[0]], "ProjectId": project}),
        )
        .await;
    assert_eq!(code(&e), "FailedOperation", "{e}");
    // Resetting the package ends what runs on it.
    env.ok(
        "ResetConcurrentPackages",
        json!({"ConcurrentPackageIds": [s1[0]]}),
    )
    .await;
    assert_eq!(count(&env, &project).await, (2, 0));
    env.ok(
        "UnbindConcurrentPackagesFromProject",
        json!({"ConcurrentIds": [s1[0]], "ProjectId": project}),
    )
    .await;
    assert_eq!(count(&env, &project).await, (0, 0));

    env.ok(
        "ModifyConcurrentPackage",
        json!({"ConcurrentId": s1[1], "Name": "renamed"}),
    )
    .await;
    let listed = env
        .ok(
            "DescribeConcurrentPackages",
            json!({"Filters": [{"Name": "ConcurrentId", "Values": [s1[1]]}]}),
        )
        .await;
    assert_eq!(listed["ConcurrentPackages"][0]["Name"], "renamed");
}

#[tokio::test]
async fn a_session_needs_a_released_application_and_a_well_formed_client_blob() {
    let env = Env::new();
    let app = env.create_app("Unreleased", "Application3D").await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "p", "ApplicationId": app, "Type": "S1"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();
    let packages = env.ok("DescribeConcurrentPackages", json!({})).await;
    env.ok(
        "BindConcurrentPackagesToProject",
        json!({"ConcurrentIds": [package_ids(&packages, "S1")[0]], "ProjectId": project}),
    )
    .await;
    let e = env.err("ApplyConcurrent", apply("u1", &project)).await;
    assert_eq!(code(&e), "FailedOperation", "{e}");
    assert!(e.message().contains("SetApplicationVersionOnline"), "{e}");

    let e = env
        .err(
            "ApplyConcurrent",
            json!({"UserId": "u1", "UserIp": "not-an-ip", "ProjectId": project}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(
        e.message().contains("UserIp") && e.message().contains("not-an-ip"),
        "{e}"
    );

    let secret = "%%not base64 but secret-looking%%";
    let e = env
        .err(
            "CreateSession",
            json!({"UserId": "u1", "UserIp": "203.0.113.7", "ClientSession": secret}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(e.message().contains("ClientSession"), "{e}");
    assert!(
        !e.message().contains(secret),
        "the blob must not be echoed: {e}"
    );
}

#[tokio::test]
async fn stream_push_needs_a_running_session() {
    let env = Env::new();
    let (app, _) = env.released_app("Streamed").await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "p", "ApplicationId": app, "Type": "S1"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();
    let packages = env.ok("DescribeConcurrentPackages", json!({})).await;
    env.ok(
        "BindConcurrentPackagesToProject",
        json!({"ConcurrentIds": [package_ids(&packages, "S1")[0]], "ProjectId": project}),
    )
    .await;
    env.ok("ApplyConcurrent", apply("viewer", &project)).await;
    let e = env
        .err("StartPublishStream", json!({"UserId": "viewer"}))
        .await;
    assert_eq!(
        code(&e),
        "ResourceNotFound.SessionNotFound",
        "a reservation is not a session: {e}"
    );
    env.ok("CreateSession", session("viewer")).await;

    let e = env
        .err(
            "StartPublishStreamWithURL",
            json!({"UserId": "viewer", "PublishStreamURL": "https://example.com/live"}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(e.message().contains("PublishStreamURL"), "{e}");
    env.ok(
        "StartPublishStreamWithURL",
        json!({"UserId": "viewer", "PublishStreamURL": "rtmp://push.example.com/live/viewer"}),
    )
    .await;
    let e = env
        .err("StartPublishStream", json!({"UserId": "viewer"}))
        .await;
    assert_eq!(code(&e), "OperationDenied", "already publishing: {e}");
    env.ok("StopPublishStream", json!({"UserId": "viewer"}))
        .await;
    let e = env
        .err("StopPublishStream", json!({"UserId": "viewer"}))
        .await;
    assert_eq!(code(&e), "OperationDenied", "not publishing: {e}");
    env.ok(
        "StartPublishStream",
        json!({"UserId": "viewer", "PublishStreamArgs": "a=1"}),
    )
    .await;

    env.ok("DestroySession", json!({"UserId": "viewer"})).await;
    let e = env
        .err("StopPublishStream", json!({"UserId": "viewer"}))
        .await;
    assert_eq!(code(&e), "ResourceNotFound.SessionNotFound", "{e}");
}

#[tokio::test]
async fn account_wide_counts_and_reconnects() {
    let env = Env::new();
    let (app, _) = env.released_app("Counted").await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "p", "ApplicationId": app, "Type": "S1"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();
    let packages = env.ok("DescribeConcurrentPackages", json!({})).await;
    env.ok(
        "BindConcurrentPackagesToProject",
        json!({"ConcurrentIds": package_ids(&packages, "S1"), "ProjectId": project}),
    )
    .await;
    env.ok("ApplyConcurrent", apply("u1", &project)).await;
    let first = env.ok("CreateSession", session("u1")).await;
    let again = env.ok("CreateSession", session("u1")).await;
    assert_eq!(
        first["ServerSession"], again["ServerSession"],
        "a reconnect gets the same session"
    );

    let all = env.ok("DescribeConcurrentCount", json!({})).await;
    assert_eq!(
        (all["Total"].as_u64(), all["Running"].as_u64()),
        (Some(5), Some(1))
    );
    let mobile = env
        .ok(
            "DescribeConcurrentCount",
            json!({"ApplicationCategory": "MOBILE"}),
        )
        .await;
    assert_eq!(
        (mobile["Total"].as_u64(), mobile["Running"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(count(&env, &project).await, (4, 1));

    // Sessions and bindings survive a restart.
    let env = env.reopen();
    assert_eq!(count(&env, &project).await, (4, 1));
    env.ok("DestroySession", json!({"UserId": "u1"})).await;
}
