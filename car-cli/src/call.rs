//! Running one action: settings from flags, environment and the tccli profile; the
//! client; `--dry-run`; the call (repeated under `--waiter`); printing the answer.

use std::sync::Arc;
use std::time::Instant;

use car_api::config::{ConfigLoader, CredentialsSource, Origin, OutputFormat, ResolvedConfig};
use car_api::credentials::{Credentials, CredentialsError, StaticProvider};
use car_api::meta::ActionMeta;
use car_api::{Client, ErrorKind, Site};
use car_emulator::RunningEmulator;
use serde_json::Value;

use crate::cli::{Format, Globals};
use crate::exit::{print_stdout, Failure, Status};
use crate::output::{render, Filter, Hint};
use crate::waiter::Waiter;

/// Everything checked before a request is sent; built first so bad input exits 2
/// without touching credentials or the network.
pub struct Request {
    pub action: &'static ActionMeta,
    pub body: Value,
    pub filter: Option<Filter>,
    pub waiter: Option<Waiter>,
    /// `--wait-until NAME=KEY`.
    pub named: Option<crate::paging::NamedWaiter>,
    /// `--all-pages`.
    pub all_pages: bool,
}

/// What the command line needs besides the client: the output format.
struct Settings {
    output: Format,
    /// Everything resolved once, kept to rebuild the client with placeholder keys.
    config: ResolvedConfig,
}

/// Every setting from its flag, the environment or the profile, by the one precedence
/// table of `car_api::config`; the profile is read once, there.
fn resolve(g: &Globals, local: Option<&RunningEmulator>) -> Result<Settings, Failure> {
    let flag = Origin::Flag;
    let mut l = ConfigLoader::new()
        // tccli (through Python's requests) honours these variables.
        .proxy_from_env(true)
        .ca_bundle_from_env(true)
        .allow_insecure_http(g.insecure_http);
    if let Some(p) = &g.profile {
        l = l.profile(p.clone(), flag("--profile"));
    }
    if let Some(v) = &g.region {
        l = l.region(v.clone(), flag("--region"));
    }
    if let Some(v) = &g.endpoint {
        l = l.endpoint(v.clone(), flag("--endpoint"));
    }
    if let Some(v) = &g.site {
        l = l.site(
            Site::parse_from(v, flag("--site")).map_err(car_api::Error::from)?,
            flag("--site"),
        );
    }
    if let Some(v) = &g.language {
        l = l.language(v.clone(), flag("--language"));
    }
    if let Some(v) = g.output {
        let name = match v {
            Format::Json => "json",
            Format::Table => "table",
            Format::Text => "text",
        };
        l = l.output(name, flag("--output"));
    }
    if let Some(v) = &g.https_proxy {
        l = l.https_proxy(v.clone(), flag("--https-proxy"));
    }
    if let Some(v) = &g.ca_bundle {
        l = l.ca_bundle(v.clone(), flag("--ca-bundle"));
    }
    if let Some(t) = g.timeout {
        l = l
            .timeout(t, flag("--timeout"))
            .connect_timeout(t.min(MAX_CONNECT_TIMEOUT), flag("--timeout"));
    }
    let mut l = credentials(g, l);
    if let Some(emulator) = local {
        l = l
            .endpoint(emulator.endpoint().to_string(), flag("--local"))
            .keys(Credentials::new(
                emulator.secret_id(),
                emulator.secret_key(),
            ));
    }
    let config = l.resolve()?;
    let output = match config.output().value() {
        OutputFormat::Json => Format::Json,
        OutputFormat::Table => Format::Table,
        OutputFormat::Text => Format::Text,
    };
    tracing::debug!(
        endpoint = config.endpoint().value().url(),
        endpoint_from = %config.endpoint().origin(),
        region = ?config.region().map(|r| r.value()),
        language = ?config.language().map(|l| l.value()),
        output = ?output,
        "settings"
    );
    Ok(Settings { output, config })
}

/// `--timeout` also bounds connecting, but no connection needs more than this.
const MAX_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The `X-TC-RequestClient` value: car's name, then `--request-client` after `; `, the
/// way tccli appends it to its own.
const REQUEST_CLIENT: &str = concat!("car-cli/", env!("CARGO_PKG_VERSION"));
const HEADER_LIMIT: usize = 128;

/// Keys `--dry-run` signs with when none are configured: it must show the request, and
/// the signature of a request never sent proves nothing.
const PLACEHOLDER_ID: &str = "AKIDPLACEHOLDER000000000000000000000";
const PLACEHOLDER_KEY: &str = "PlaceholderSecretKeyForDryRun000";

/// Checks the credential and header options, before anything is read or sent.
pub fn check_flags(g: &Globals) -> Vec<String> {
    let mut problems = Vec::new();
    if g.local {
        // The emulator supplies the endpoint and the keys; another source of either
        // would be silently ignored, so it is refused instead.
        let given = [
            ("--endpoint", g.endpoint.is_some()),
            ("--site", g.site.is_some()),
            ("--secretId", g.secret_id.is_some()),
            ("--use-cvm-role", g.use_cvm_role),
            ("--role-arn", g.role_arn.is_some()),
        ];
        for (flag, _) in given.iter().filter(|(_, on)| *on) {
            problems.push(format!(
                "{flag}: cannot be combined with --local, which runs against the built-in emulator with its own endpoint and keys"
            ));
        }
    } else if g.data_dir.is_some() {
        problems.push("--data-dir: only means something with --local (or `car emulator`)".into());
    }
    match (&g.secret_id, &g.secret_key) {
        (Some(_), None) => problems.push("--secretId: give --secretKey with it".to_string()),
        (None, Some(_)) => problems.push("--secretKey: give --secretId with it".to_string()),
        (None, None) if g.token.is_some() => {
            problems.push("--token: give --secretId and --secretKey with it".to_string())
        }
        _ => {}
    }
    match (&g.role_arn, &g.role_session_name) {
        (Some(_), None) => problems.push("--role-arn: give --role-session-name with it".into()),
        (None, Some(_)) => problems.push("--role-session-name: give --role-arn with it".into()),
        _ => {}
    }
    if let Some(v) = &g.request_client {
        let room = HEADER_LIMIT - REQUEST_CLIENT.len() - 2;
        if let Some(c) = v.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
            problems.push(format!(
                "--request-client: expected printable ASCII (it goes into an HTTP header), got {c:?}"
            ));
        } else if v.len() > room {
            problems.push(format!(
                "--request-client: expected at most {room} characters, got {}",
                v.len()
            ));
        }
    }
    problems
}

fn client(g: &Globals, config: ResolvedConfig) -> Result<Client, Failure> {
    let tag = match &g.request_client {
        Some(v) => format!("{REQUEST_CLIENT}; {v}"),
        None => REQUEST_CLIENT.to_string(),
    };
    Ok(Client::builder()
        .request_client(tag)
        .resolved(config)
        .build()?)
}

/// Where the keys come from: tccli's order (CVM role, then STS AssumeRole, then the
/// keys), each taking its source keys from `--secretId`/`--secretKey` or the standard
/// chain.
fn credentials(g: &Globals, l: ConfigLoader) -> ConfigLoader {
    let l = match (&g.secret_id, &g.secret_key) {
        (Some(id), Some(key)) => {
            let c = Credentials::new(id.0.clone(), key.0.clone());
            l.keys(match &g.token {
                Some(t) => c.with_token(t.0.clone()),
                None => c,
            })
        }
        _ => l,
    };
    if g.use_cvm_role {
        return l.credentials_source(CredentialsSource::CvmRole, Origin::Flag("--use-cvm-role"));
    }
    match (&g.role_arn, &g.role_session_name) {
        (Some(arn), Some(name)) => l.credentials_source(
            CredentialsSource::AssumeRole {
                role_arn: arn.clone(),
                session_name: name.clone(),
            },
            Origin::Flag("--role-arn"),
        ),
        _ => l,
    }
}

/// The client and output format the global options give, for `car app`; with
/// `--local`, for the emulator given.
pub fn client_for(
    g: &Globals,
    local: Option<&RunningEmulator>,
) -> Result<(Client, Format), Failure> {
    let settings = resolve(g, local)?;
    Ok((client(g, settings.config)?, settings.output))
}

/// Sends the request (or prints it under `--dry-run`) and prints the answer; with
/// `--local`, to an emulator started in this process for this one command.
pub fn run(g: &Globals, req: Request) -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Status::Network,
                "ClientRuntimeError",
                format!("cannot start the I/O runtime: {e}"),
            )
        })?;
    if !g.local {
        return run_on(&rt, g, req, None);
    }
    let data_dir = g.data_dir.clone().map(std::path::PathBuf::from);
    let emulator = rt.block_on(crate::emulator_cmd::start_local(data_dir))?;
    let result = run_on(&rt, g, req, Some(&emulator));
    // Requests in flight finish and the data directory is released before exiting.
    rt.block_on(emulator.shutdown());
    result
}

fn run_on(
    rt: &tokio::runtime::Runtime,
    g: &Globals,
    req: Request,
    local: Option<&RunningEmulator>,
) -> Result<(), Failure> {
    let settings = resolve(g, local)?;
    let client = client(g, settings.config.clone())?;
    tracing::debug!(action = req.action.name, body = %crate::actions::redacted_body(req.action, &req.body), "request");
    if g.dry_run {
        return match rt.block_on(dry_run(&client, &req)) {
            Err(e) if no_credentials(&e) => {
                crate::exit::print_stderr(
                    "note: no credentials are configured, so this request is signed with placeholder keys\n",
                );
                let placeholder =
                    StaticProvider::new(Credentials::new(PLACEHOLDER_ID, PLACEHOLDER_KEY));
                let config = settings
                    .config
                    .clone()
                    .with_credentials_provider(Arc::new(placeholder));
                let client = self::client(g, config)?;
                rt.block_on(dry_run(&client, &req)).map_err(Failure::from)
            }
            other => other.map_err(Failure::from),
        };
    }
    let mut response = rt.block_on(call(&client, &req, &settings))?;
    if req.filter.is_some() && settings.output == Format::Text {
        // tccli filters its model's view of the response, where every documented member
        // is present (None when absent), so `--filter` finds the same columns it would.
        response = crate::output::as_model(&response, Hint::Response(req.action.output));
    }
    let shown = match &req.filter {
        Some(f) => match f.search(&response) {
            Ok(v) => v,
            Err(e) => return Err(unfiltered(&response, &settings, &req, e)),
        },
        None => response,
    };
    if req.named.is_some() && shown.is_null() {
        // A waiter on a deletion has no entry to show.
        return Ok(());
    }
    let hint = if req.filter.is_some() || req.named.is_some() {
        Hint::None
    } else {
        Hint::Response(req.action.output)
    };
    print_stdout(&render(&shown, settings.output, hint, req.action.name));
    Ok(())
}

fn no_credentials(e: &car_api::Error) -> bool {
    matches!(e.kind(), ErrorKind::Credentials(c) if matches!(**c, CredentialsError::NoneFound { .. }))
}

/// A successful call whose result an expression could not be applied to: the whole
/// result is printed, so nothing the call returned is lost, and the exit status
/// ([`Status::Output`], as for an unwritable stdout) says the request was sent.
fn unfiltered(response: &Value, s: &Settings, req: &Request, problem: String) -> Failure {
    print_stdout(&render(
        response,
        s.output,
        Hint::Response(req.action.output),
        req.action.name,
    ));
    Failure::new(
        Status::Output,
        "ClientFilterError",
        format!(
            "{problem}; {} succeeded and its whole result is printed instead",
            req.action.name
        ),
    )
}

async fn call(client: &Client, req: &Request, s: &Settings) -> Result<Value, Failure> {
    if req.all_pages {
        return client
            .call_json_all_pages(req.action, &req.body)
            .await
            .map_err(Failure::from);
    }
    if let Some(n) = &req.named {
        return client
            .wait_json(n.waiter, &req.body, &n.key, &n.policy())
            .await
            .map_err(crate::paging::wait_failure);
    }
    let Some(w) = &req.waiter else {
        return client
            .call_json(req.action, &req.body)
            .await
            .map_err(Failure::from);
    };
    let started = Instant::now();
    loop {
        let response = client.call_json(req.action, &req.body).await?;
        let found = match w.expr.search(&response) {
            Ok(v) => v,
            Err(e) => {
                return Err(unfiltered(
                    &response,
                    s,
                    req,
                    e.replacen("--filter", "--waiter expr", 1),
                ))
            }
        };
        if w.reached(&found) {
            return Ok(response);
        }
        let elapsed = started.elapsed();
        if elapsed >= w.timeout {
            return Err(Failure::new(
                Status::Network,
                "WaiterTimeout",
                format!(
                    "`{}` did not become {} within {} s; last value: {}",
                    w.expr_text,
                    w.to,
                    w.timeout.as_secs_f64(),
                    found
                ),
            ));
        }
        // Progress goes to stderr so stdout stays one parseable document.
        // The value comes from the server: no control characters reach the terminal.
        crate::exit::print_stderr(&format!(
            "waiting: `{}` is {}, want {}\n",
            crate::output::escape::for_terminal(&w.expr_text),
            crate::output::escape::for_terminal(&found.to_string()),
            w.to
        ));
        tokio::time::sleep(w.interval.min(w.timeout - elapsed)).await;
    }
}

async fn dry_run(client: &Client, req: &Request) -> Result<(), car_api::Error> {
    let body = serde_json::to_vec(&req.body).map_err(|e| {
        car_api::Error::invalid_request(None, format!("cannot encode the request: {e}"))
    })?;
    let signed = client.sign(req.action, body).await?;
    let mut out = format!("POST {}\n", signed.url);
    for (k, v) in signed.redacted_headers() {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push('\n');
    out.push_str(&crate::actions::redacted_body(req.action, &req.body).to_string());
    out.push('\n');
    print_stdout(&out);
    Ok(())
}
