//! Faults as a client sees them: `car_api::Client`'s attempts are counted where they
//! start (one credentials lookup per attempt) and where they land (the actions run), so
//! each fault kind's effect on the client's retry policy shows.

#[path = "frontdoor_support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use car_api::credentials::{Credentials, ProvideCredentials, ProvideFuture};
use car_api::operations::{
    CreateApplicationRequest, CreateApplicationRequired, DescribeApplicationListRequest,
    DescribeApplicationListRequired,
};
use car_api::types::ApplicationType;
use car_api::{Client, RetryConfig};
use car_emulator::{Fault, FaultKind, RunningEmulator};
use serde_json::json;
use support::{builder, code, Call, Recorder};

/// The emulator's keys, counting how often they are asked for: once per attempt.
struct CountingKeys {
    id: String,
    key: String,
    asked: AtomicU32,
}

impl std::fmt::Debug for CountingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CountingKeys({})", self.asked.load(Ordering::SeqCst))
    }
}

impl ProvideCredentials for CountingKeys {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let credentials = Credentials::new(self.id.clone(), self.key.clone());
        Box::pin(async move { Ok(credentials) })
    }
}

fn client(emulator: &RunningEmulator) -> (Client, Arc<CountingKeys>) {
    let keys = Arc::new(CountingKeys {
        id: emulator.secret_id().to_owned(),
        key: emulator.secret_key().to_owned(),
        asked: AtomicU32::new(0),
    });
    let client = Client::builder()
        .credentials_provider(SharedKeys(keys.clone()))
        .endpoint(emulator.endpoint())
        .retry(RetryConfig {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(30),
        })
        .rate_limiting(false)
        .build()
        .unwrap();
    (client, keys)
}

#[derive(Debug)]
struct SharedKeys(Arc<CountingKeys>);

impl ProvideCredentials for SharedKeys {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        self.0.provide_credentials()
    }
}

fn list() -> DescribeApplicationListRequest {
    DescribeApplicationListRequest::new(DescribeApplicationListRequired {
        offset: 0,
        limit: 10,
    })
}

fn create() -> CreateApplicationRequest {
    CreateApplicationRequest::new(CreateApplicationRequired {
        application_name: "a".into(),
        application_type: ApplicationType::Application3D,
    })
}

#[tokio::test]
async fn throttling_from_the_spec_string_is_retried_until_it_passes() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder)
        .fault("DescribeApplicationList:throttle:next=2".parse().unwrap())
        .start()
        .await
        .unwrap();
    let (client, keys) = client(&emulator);
    let answer = client.describe_application_list(list()).await.unwrap();
    assert_eq!(answer.application_total, 7);
    assert_eq!(
        keys.asked.load(Ordering::SeqCst),
        3,
        "two throttled, one through"
    );
    assert_eq!(recorder.count(), 1);
    assert!(emulator.faults().active().is_empty(), "the fault is spent");
}

#[tokio::test]
async fn a_5xx_and_a_reset_are_retried_for_a_read_only_action_only() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder).start().await.unwrap();
    let (client, keys) = client(&emulator);

    emulator.faults().push(Fault::car(
        "DescribeApplicationList",
        FaultKind::Status(503),
    ));
    client.describe_application_list(list()).await.unwrap();
    assert_eq!(keys.asked.swap(0, Ordering::SeqCst), 2);

    emulator
        .faults()
        .push(Fault::car("DescribeApplicationList", FaultKind::Reset));
    client.describe_application_list(list()).await.unwrap();
    assert_eq!(keys.asked.swap(0, Ordering::SeqCst), 2);
    assert_eq!(recorder.count(), 2);

    // CreateApplication is not safe to repeat: one attempt, and the error says why.
    emulator
        .faults()
        .push(Fault::car("CreateApplication", FaultKind::Status(502)));
    let err = client.create_application(create()).await.unwrap_err();
    assert!(err.to_string().contains("502"), "{err}");
    assert_eq!(keys.asked.swap(0, Ordering::SeqCst), 1);

    emulator.faults().push(Fault::car("*", FaultKind::Reset));
    client.create_application(create()).await.unwrap_err();
    assert_eq!(keys.asked.swap(0, Ordering::SeqCst), 1);
    assert_eq!(recorder.count(), 2, "no CreateApplication ran");

    client.create_application(create()).await.unwrap();
    assert_eq!(keys.asked.swap(0, Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_truncated_answer_is_an_error_the_client_sees() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder)
        .fault(Fault::car("CreateApplication", FaultKind::Truncate))
        .start()
        .await
        .unwrap();
    let (client, keys) = client(&emulator);
    client.create_application(create()).await.unwrap_err();
    assert_eq!(keys.asked.load(Ordering::SeqCst), 1);

    // By hand: the full length is announced, half of it arrives.
    emulator
        .faults()
        .push(Fault::car("DescribeApplicationList", FaultKind::Truncate));
    let body = json!({"Offset": 0, "Limit": 10}).to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let host = emulator.endpoint().trim_start_matches("http://").to_owned();
    let headers = car_api::signing::tc3_headers(
        emulator.secret_id(),
        emulator.secret_key(),
        None,
        "car",
        "2022-01-10",
        "DescribeApplicationList",
        None,
        &host,
        now,
        None,
        body.as_bytes(),
    );
    let mut request = reqwest::Client::new().post(format!("{}/", emulator.endpoint()));
    for (k, v) in headers.iter().filter(|(k, _)| *k != "Host") {
        request = request.header(*k, v);
    }
    let response = request.body(body).send().await.unwrap();
    let announced = response.content_length().unwrap();
    assert!(announced > 40, "{announced}");
    assert!(response.bytes().await.is_err(), "the body ends early");
}

#[tokio::test(start_paused = true)]
async fn a_delay_holds_the_answer_for_that_long_on_tokios_clock() {
    let recorder = Recorder::default();
    let clock = car_emulator::ManualClock::at_unix(1_767_225_600);
    let emulator = builder(&recorder)
        .clock(Arc::new(clock))
        .fault("*:delay=30s:next=1".parse().unwrap())
        .start()
        .await
        .unwrap();
    let call = Call::new(
        emulator.secret_id(),
        emulator.secret_key(),
        "DescribeApplicationList",
        json!({"Offset": 0, "Limit": 10}),
        1_767_225_600,
    );
    let started = tokio::time::Instant::now();
    let (_, answer) = call.send(emulator.endpoint()).await;
    assert_eq!(code(&answer), None, "{answer}");
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let started = tokio::time::Instant::now();
    call.send(emulator.endpoint()).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "only the next request waits"
    );
}

#[tokio::test]
async fn cos_faults_answer_in_coss_own_form() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder)
        .fault("cos:PutObject:throttle".parse().unwrap())
        .fault("cos:*:status=502".parse().unwrap())
        .fault("cos:*:reset".parse().unwrap())
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/pkg/app.zip", emulator.cos_endpoint());

    let throttled = http.put(&url).body("x").send().await.unwrap();
    assert_eq!(throttled.status().as_u16(), 503);
    let text = throttled.text().await.unwrap();
    assert!(text.contains("<Code>SlowDown</Code>"), "{text}");

    let gateway = http.get(&url).send().await.unwrap();
    assert_eq!(gateway.status().as_u16(), 502);

    assert!(
        http.get(&url).send().await.is_err(),
        "reset without an answer"
    );
    assert!(emulator.faults().active().is_empty());
    assert_eq!(recorder.count(), 0);
}

/// A scripted API error (`error=CODE`) answers the next matching call in the service's
/// envelope, is not retried (it is not throttling), changes nothing, and the stateful
/// emulator answers the call after it as usual. The code is one CreateApplication
/// documents.
#[tokio::test]
async fn a_scripted_error_answers_once_and_changes_nothing() {
    let emulator = car_emulator::Emulator::builder()
        .fault(
            "CreateApplication:error=OperationDenied.ApplicationLimitExceeded"
                .parse()
                .unwrap(),
        )
        .start()
        .await
        .unwrap();
    let (client, keys) = client(&emulator);
    let err = client.create_application(create()).await.unwrap_err();
    assert_eq!(
        err.code(),
        "OperationDenied.ApplicationLimitExceeded",
        "{err}"
    );
    assert!(err.message().contains("fault injected"), "{err}");
    assert_eq!(keys.asked.load(Ordering::SeqCst), 1, "not retried");
    assert_eq!(
        client
            .describe_application_list(list())
            .await
            .unwrap()
            .application_total,
        0,
        "the refused call created nothing"
    );
    let created = client.create_application(create()).await.unwrap();
    assert!(created.application_id.starts_with("app-"), "{created:?}");
    assert_eq!(
        client
            .describe_application_list(list())
            .await
            .unwrap()
            .application_total,
        1
    );
    emulator.shutdown().await;
}
