//! Shared by the front-door, fault and server tests: a small CAR service that answers two
//! actions and remembers what it was called with, and hand-built signed requests.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use car_api::operations::{
    CreateApplicationRequest, CreateApplicationResponse, DescribeApplicationListRequest,
    DescribeApplicationListResponse,
};
use car_api::service::{CarService, ServiceError};
use car_emulator::car::CallContext;
use car_emulator::{Emulator, EmulatorBuilder};
use serde_json::{json, Value};

/// Answers DescribeApplicationList (ApplicationTotal 7) and CreateApplication
/// (`app-<n>`); every other action keeps the generated `UnsupportedOperation`.
#[derive(Default, Clone)]
pub struct Recorder {
    pub calls: Arc<Mutex<Vec<(String, CallContext)>>>,
}

impl CarService for Recorder {
    type Context = CallContext;

    async fn describe_application_list(
        &self,
        context: &CallContext,
        _: DescribeApplicationListRequest,
    ) -> Result<DescribeApplicationListResponse, ServiceError> {
        self.record("DescribeApplicationList", context);
        Ok(serde_json::from_value(json!({
            "ApplicationTotal": 7, "UserApplicationList": [], "RequestId": ""
        }))
        .unwrap())
    }

    async fn create_application(
        &self,
        context: &CallContext,
        _: CreateApplicationRequest,
    ) -> Result<CreateApplicationResponse, ServiceError> {
        let n = self.record("CreateApplication", context);
        Ok(
            serde_json::from_value(json!({"ApplicationId": format!("app-{n}"), "RequestId": ""}))
                .unwrap(),
        )
    }
}

impl Recorder {
    fn record(&self, action: &str, context: &CallContext) -> usize {
        let mut calls = self.calls.lock().unwrap();
        calls.push((action.to_owned(), context.clone()));
        calls.len()
    }

    pub fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

/// A builder serving `recorder`.
pub fn builder(recorder: &Recorder) -> EmulatorBuilder<Recorder> {
    let r = recorder.clone();
    Emulator::with_service(move |_| Ok(r))
}

/// One hand-built request: the parts a test may get wrong on purpose.
pub struct Call<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    pub token: Option<&'a str>,
    pub action: &'a str,
    pub version: &'a str,
    pub timestamp: i64,
    pub body: String,
}

impl<'a> Call<'a> {
    pub fn new(
        secret_id: &'a str,
        secret_key: &'a str,
        action: &'a str,
        body: Value,
        timestamp: i64,
    ) -> Self {
        Call {
            secret_id,
            secret_key,
            token: None,
            action,
            version: "2022-01-10",
            timestamp,
            body: body.to_string(),
        }
    }

    /// Sends it signed (with the SDK's headers) to `endpoint`; returns HTTP status and JSON.
    pub async fn send(&self, endpoint: &str) -> (u16, Value) {
        let host = endpoint.trim_start_matches("http://");
        let headers = car_api::signing::tc3_headers(
            self.secret_id,
            self.secret_key,
            self.token,
            "car",
            self.version,
            self.action,
            Some("ap-guangzhou"),
            host,
            self.timestamp,
            None,
            self.body.as_bytes(),
        );
        let mut request = reqwest::Client::new().post(format!("{endpoint}/"));
        for (k, v) in headers.iter().filter(|(k, _)| *k != "Host") {
            request = request.header(*k, v);
        }
        let response = request.body(self.body.clone()).send().await.expect("send");
        let status = response.status().as_u16();
        (status, json(response).await)
    }
}

/// The error code of an answer, or `None` for a success.
pub fn code(answer: &Value) -> Option<&str> {
    answer["Response"]["Error"]["Code"].as_str()
}

/// The error message of an answer.
pub fn message(answer: &Value) -> &str {
    answer["Response"]["Error"]["Message"]
        .as_str()
        .unwrap_or("")
}

/// The JSON body of a response.
pub async fn json(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.expect("a whole body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}
