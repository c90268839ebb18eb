//! Starting and stopping: the info line, a data directory that keeps its keys, a
//! temporary one that goes away, one process per directory, HTTPS with the CA written
//! to the data directory, and a shutdown that lets a request in flight finish.

#[path = "frontdoor_support/mod.rs"]
mod support;

use std::sync::Arc;

use car_api::credentials::Credentials;
use car_api::operations::{
    DescribeApplicationListRequest, DescribeApplicationListRequired,
    DescribeApplicationListResponse,
};
use car_api::service::{CarService, ServiceError};
use car_emulator::car::CallContext;
use car_emulator::{Emulator, StartError};
use serde_json::json;
use support::{builder, Recorder};
use tokio::sync::Notify;

fn list() -> DescribeApplicationListRequest {
    DescribeApplicationListRequest::new(DescribeApplicationListRequired {
        offset: 0,
        limit: 10,
    })
}

#[tokio::test]
async fn the_info_line_names_everything_a_script_needs() {
    let emulator = builder(&Recorder::default()).start().await.unwrap();
    let info = emulator.info_json();
    let keys: Vec<&str> = info
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort();
    assert_eq!(
        keys,
        [
            "cos_endpoint",
            "data_dir",
            "endpoint",
            "secret_id",
            "secret_key"
        ]
    );
    assert_eq!(info["endpoint"], emulator.endpoint());
    assert_eq!(info["secret_key"], emulator.secret_key());
    assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
    assert!(emulator.cos_endpoint().starts_with("http://127.0.0.1:"));
    assert_ne!(emulator.endpoint(), emulator.cos_endpoint());
    // Debug is for logs: no key in it.
    let shown = format!("{emulator:?}");
    assert!(!shown.contains(emulator.secret_key()), "{shown}");
    assert!(!shown.contains(emulator.secret_id()), "{shown}");
}

#[tokio::test]
async fn a_data_directory_keeps_its_keys_and_admits_one_emulator_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    let first = builder(&recorder)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let (id, key) = (first.secret_id().to_owned(), first.secret_key().to_owned());
    assert_eq!(first.data_dir(), dir.path());

    let err = builder(&recorder)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::Store(_)), "{err}");
    assert!(
        err.to_string().contains("in use by another emulator"),
        "{err}"
    );

    first.shutdown().await;
    let again = builder(&recorder)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    assert_eq!(
        (again.secret_id(), again.secret_key()),
        (id.as_str(), key.as_str())
    );
}

#[tokio::test]
async fn a_temporary_data_directory_is_removed_on_drop() {
    let emulator = builder(&Recorder::default()).start().await.unwrap();
    let dir = emulator.data_dir().to_path_buf();
    assert!(dir.join("emulator.sqlite3").exists());
    drop(emulator);
    assert!(!dir.exists(), "{}", dir.display());
}

#[tokio::test]
async fn tls_serves_a_leaf_the_written_ca_vouches_for() {
    let recorder = Recorder::default();
    let emulator = builder(&recorder).tls(true).start().await.unwrap();
    let ca = emulator.ca_pem_path().unwrap().to_path_buf();
    assert_eq!(ca, emulator.data_dir().join(car_emulator::CA_FILE));
    assert_eq!(
        emulator.info_json()["ca_file"],
        json!(ca.display().to_string())
    );
    assert!(emulator.endpoint().starts_with("https://localhost:"));

    let client = car_api::Client::builder()
        .credentials(Credentials::new(
            emulator.secret_id(),
            emulator.secret_key(),
        ))
        .endpoint(emulator.endpoint())
        .ca_bundle(&ca)
        .build()
        .unwrap();
    assert_eq!(
        client
            .describe_application_list(list())
            .await
            .unwrap()
            .application_total,
        7
    );

    // Without the CA the certificate is not trusted.
    let untrusting = car_api::Client::builder()
        .credentials(Credentials::new(
            emulator.secret_id(),
            emulator.secret_key(),
        ))
        .endpoint(emulator.endpoint())
        .build()
        .unwrap();
    untrusting
        .describe_application_list(list())
        .await
        .unwrap_err();
    assert_eq!(recorder.count(), 1);
}

/// Holds DescribeApplicationList until released, saying when it has started.
#[derive(Clone, Default)]
struct Gate {
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

impl CarService for Gate {
    type Context = CallContext;

    async fn describe_application_list(
        &self,
        _: &CallContext,
        _: DescribeApplicationListRequest,
    ) -> Result<DescribeApplicationListResponse, ServiceError> {
        self.entered.notify_one();
        self.release.notified().await;
        Ok(serde_json::from_value(json!({"ApplicationTotal": 3, "RequestId": ""})).unwrap())
    }
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_then_refuses_connections() {
    let gate = Gate::default();
    let g = gate.clone();
    let emulator = Emulator::with_service(move |_| Ok(g))
        .start()
        .await
        .unwrap();
    let endpoint = emulator.endpoint().to_owned();
    let client = car_api::Client::builder()
        .credentials(Credentials::new(
            emulator.secret_id(),
            emulator.secret_key(),
        ))
        .endpoint(&endpoint)
        .build()
        .unwrap();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move { client.describe_application_list(list()).await }
    });
    gate.entered.notified().await;
    let stopping = tokio::spawn(emulator.shutdown());
    // Shutdown waits for the request, which waits for the gate.
    tokio::task::yield_now().await;
    assert!(!stopping.is_finished());
    gate.release.notify_one();
    let answer = in_flight.await.unwrap().unwrap();
    assert_eq!(answer.application_total, 3);
    stopping.await.unwrap();

    let refused = reqwest::Client::new()
        .post(format!("{endpoint}/"))
        .send()
        .await;
    assert!(refused.is_err(), "nothing listens after shutdown");
}
