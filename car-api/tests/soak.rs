//! Many tasks sharing one client under injected faults: every call ends in success or
//! a classified error matching what the server sent, nothing hangs, and the shared
//! per-action rate limit holds.
//! Heavy, so `#[ignore]`d; CI runs it in release mode.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use car_api::credentials::Credentials;
use car_api::operations::{ApplyConcurrentRequest, ApplyConcurrentRequired};
use car_api::{Client, RetryConfig};
use car_emulator::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "heavy: several seconds of paced traffic; run with --ignored in release mode"]
async fn shared_rate_limit_holds_across_tasks_under_faults() {
    // What the server answered, counted on its side: [throttled, 502, ok].
    let sent = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let counter = AtomicU64::new(0);
    let tally = sent.clone();
    let server = TestServer::builder()
        .handler(move |_, _| {
            let (class, reply) = match counter.fetch_add(1, Ordering::SeqCst) % 10 {
                0 => (0, Reply::error("RequestLimitExceeded", "slow down")),
                1 => (1, Reply::Status(502, "bad gateway".into())),
                _ => (2, Reply::ok(serde_json::json!({}))),
            };
            tally[class].fetch_add(1, Ordering::SeqCst);
            reply
        })
        .start()
        .unwrap();
    let client = Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            max_elapsed: Duration::from_secs(30),
        })
        .build()
        .unwrap();

    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for i in 0..25 {
                    let req = ApplyConcurrentRequest::new(ApplyConcurrentRequired {
                        user_id: format!("user-{t}-{i}"),
                        user_ip: "10.0.0.1".into(),
                        project_id: "cap-1".into(),
                    });
                    outcomes.push(
                        client
                            .apply_concurrent(req)
                            .await
                            .map(|_| ())
                            .map_err(|e| e.code().to_string()),
                    );
                }
                outcomes
            })
        })
        .collect();
    let mut ok = 0;
    let mut errors = std::collections::BTreeMap::<String, usize>::new();
    for t in tasks {
        for o in tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("no task hangs")
            .unwrap()
        {
            match o {
                Ok(()) => ok += 1,
                Err(code) => *errors.entry(code).or_default() += 1,
            }
        }
    }
    let [throttled, bad_gateway, answered] = [0, 1, 2].map(|i| sent[i].load(Ordering::SeqCst));
    // Every request passed the server's checks (signature, parameters) and got an answer.
    let seen = server.requests();
    assert!(seen.iter().all(|r| r.rejected.is_none()));
    assert_eq!(seen.len(), throttled + bad_gateway + answered);
    // Each success the server sent ends exactly one call.
    assert_eq!(ok, answered, "errors={errors:?}");
    // ApplyConcurrent changes state, so a 502 is final for it: one failed call each.
    assert_eq!(
        errors.get("ClientInvalidResponse").copied().unwrap_or(0),
        bad_gateway,
        "{errors:?}"
    );
    // Throttling is retried: a call gives up only after 4 throttled attempts.
    let gave_up = errors.get("RequestLimitExceeded").copied().unwrap_or(0);
    assert!(
        gave_up * 4 <= throttled,
        "{gave_up} calls gave up on {throttled} throttles"
    );
    assert!(
        errors
            .keys()
            .all(|c| c == "ClientInvalidResponse" || c == "RequestLimitExceeded"),
        "{errors:?}"
    );

    // ApplyConcurrent's limit is 100/s with a burst of 100, so N requests take at least
    // (N - 100) / 100 s. Only a lower bound on time is checked: a slow machine makes the
    // run longer, never shorter. The slack covers the first request's own transit time.
    let first = seen.first().expect("requests were made").received_at;
    let last = seen.last().expect("requests were made").received_at;
    let floor = Duration::from_secs_f64((seen.len() - 100) as f64 / 100.0);
    assert!(
        last - first + Duration::from_millis(200) >= floor,
        "{} requests in {:?}: faster than 100/s",
        seen.len(),
        last - first
    );
}
