//! Reserves a concurrency slot and starts a session for one user, handling the one error
//! a busy project gives (`ResourceNotFound.NoIdle`) apart from every other failure.
//!
//! Needs `CAR_PROJECT_ID`, `CAR_USER_ID`, `CAR_USER_IP` and `CAR_CLIENT_SESSION` (the
//! blob the client SDK produced); credentials and `CAR_ENDPOINT` as in
//! `list_applications`. Exits with 3 when no slot is free, so scripts can retry later.
//!
//! ```text
//! CAR_PROJECT_ID=cap-... CAR_USER_ID=u1 CAR_USER_IP=203.0.113.7 CAR_CLIENT_SESSION=... \
//!   cargo run -p car-api --example create_session
//! ```

use std::process::ExitCode;

use car_api::operations::{
    ApplyConcurrentRequest, ApplyConcurrentRequired, CreateSessionRequest, CreateSessionRequired,
};
use car_api::{Client, ErrorCode};

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut builder = Client::builder();
    if let Ok(endpoint) = std::env::var("CAR_ENDPOINT") {
        builder = builder.endpoint(endpoint);
    }
    let client = builder.build()?;
    let (user_id, user_ip) = (env("CAR_USER_ID")?, env("CAR_USER_IP")?);

    let apply = ApplyConcurrentRequest::new(ApplyConcurrentRequired {
        user_id: user_id.clone(),
        user_ip: user_ip.clone(),
        project_id: env("CAR_PROJECT_ID")?,
    });
    match client.apply_concurrent(apply).await {
        Ok(_) => {}
        Err(e) if e.api_code() == Some(&ErrorCode::ResourceNotFoundNoIdle) => {
            eprintln!("no idle concurrency in the project; try again later ({e})");
            return Ok(ExitCode::from(3));
        }
        Err(e) => return Err(e.into()),
    }

    let session = client
        .create_session(
            CreateSessionRequest::new(CreateSessionRequired { user_id, user_ip })
                .client_session(env("CAR_CLIENT_SESSION")?),
        )
        .await?;
    // The server session is a credential for the client SDK: hand it over, never log it.
    println!(
        "session ready: {} bytes of server session for the client SDK (RequestId {})",
        session.server_session.len(),
        session.request_id
    );
    Ok(ExitCode::SUCCESS)
}
