//! Running one action: settings from flags, environment and the tccli profile; the
//! client; `--dry-run`; the call (repeated under `--waiter`); printing the answer.

use std::sync::Arc;
use std::time::Instant;

use car_api::credentials::{
    tccli_profile_name, Credentials, CredentialsError, CvmRoleProvider, DefaultChain,
    DefaultChainBuilder, Env, StsAssumeRoleProvider, TccliConfig, METADATA_ENDPOINT_VAR,
};
use car_api::meta::ActionMeta;
use car_api::{Client, ClientBuilder, Endpoint, ErrorKind, Site};
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

/// Settings only the command line has: where output and language come from. Endpoint,
/// region and credentials follow the runtime's own precedence (`ClientBuilder::build`).
struct Settings {
    endpoint: Option<String>,
    site: Option<Site>,
    language: Option<String>,
    output: Format,
    ca_bundle: Option<String>,
}

fn resolve(g: &Globals) -> Result<Settings, Failure> {
    let env = Env::process();
    let profile = tccli_profile_name(g.profile.as_deref(), &env);
    let config = match env.home_dir() {
        Some(h) => TccliConfig::load(&h, &profile).map_err(|e| Failure::config(e.to_string()))?,
        None => None,
    };
    let cfg_path = || {
        config
            .as_ref()
            .map(|c| c.path().display().to_string())
            .unwrap_or_default()
    };

    // Flags are checked here so their errors name the flag.
    let site = match g.site.as_deref() {
        Some(s) => Some(
            s.parse::<Site>()
                .map_err(|e| Failure::usage(format!("--site: {}", e.message())))?,
        ),
        None => None,
    };
    if let Some(e) = &g.endpoint {
        Endpoint::parse(e).map_err(|err| {
            Failure::usage(format!(
                "--endpoint: {}",
                err.message().trim_start_matches("parameter endpoint: ")
            ))
        })?;
    }

    let output = match (g.output, config.as_ref().and_then(|c| c.output())) {
        (Some(f), _) => f,
        (None, Some(o)) => Format::parse(o).ok_or_else(|| {
            Failure::config(format!(
                "{}: output must be json, table or text, got {o:?}",
                cfg_path()
            ))
        })?,
        (None, None) => Format::Json,
    };

    let language = match (&g.language, config.as_ref().and_then(|c| c.language())) {
        (Some(l), _) => Some(l.clone()),
        (None, Some(l)) if l == "en-US" || l == "zh-CN" => Some(l.to_string()),
        (None, Some(l)) => {
            return Err(Failure::config(format!(
                "{}: language must be en-US or zh-CN, got {l:?}",
                cfg_path()
            )))
        }
        (None, None) => None,
    };

    let ca_bundle = g.ca_bundle.clone().or_else(|| env.get("SSL_CERT_FILE"));
    Ok(Settings {
        endpoint: g.endpoint.clone(),
        site,
        language,
        output,
        ca_bundle,
    })
}

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

fn client(g: &Globals, s: &Settings, placeholder_keys: bool) -> Result<Client, Failure> {
    let tag = match &g.request_client {
        Some(v) => format!("{REQUEST_CLIENT}; {v}"),
        None => REQUEST_CLIENT.to_string(),
    };
    let builder = Client::builder()
        .request_client(tag)
        .allow_insecure_http(g.insecure_http);
    let mut b = credentials(g, builder, placeholder_keys)?;
    if let Some(e) = &s.endpoint {
        b = b.endpoint(e.clone());
    }
    if let Some(site) = s.site {
        b = b.site(site);
    }
    if let Some(r) = &g.region {
        b = b.region(r.clone());
    }
    if let Some(l) = &s.language {
        b = b.language(l.clone());
    }
    if let Some(t) = g.timeout {
        b = b
            .timeout(t)
            .connect_timeout(t.min(std::time::Duration::from_secs(5)));
    }
    // Like tccli (through Python's requests), honour the usual proxy variables.
    let env_proxy = || {
        ["HTTPS_PROXY", "https_proxy"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    };
    if let Some(p) = g.https_proxy.clone().or_else(env_proxy) {
        b = b.https_proxy(p);
    }
    if let Some(c) = &s.ca_bundle {
        b = b.ca_bundle(c.clone());
    }
    let client = b.build().map_err(|e| Failure::from_api(&e))?;
    tracing::debug!(endpoint = client.endpoint().url(), region = ?client.region(), language = ?s.language, output = ?s.output, "settings");
    Ok(client)
}

/// Where the keys come from: tccli's order (CVM role, then STS AssumeRole, then the
/// keys), each taking its source keys from `--secretId`/`--secretKey` or the standard
/// chain. The chain still supplies region and endpoint from the environment and profile.
fn credentials(g: &Globals, b: ClientBuilder, placeholder: bool) -> Result<ClientBuilder, Failure> {
    let mut chain = DefaultChain::builder();
    if let Some(p) = &g.profile {
        chain = chain.profile(p.clone());
    }
    let explicit = match (&g.secret_id, &g.secret_key) {
        (Some(id), Some(key)) => {
            let c = Credentials::new(id.0.clone(), key.0.clone());
            Some(match &g.token {
                Some(t) => c.with_token(t.0.clone()),
                None => c,
            })
        }
        _ => None,
    };
    if placeholder {
        chain = chain.explicit(Credentials::new(PLACEHOLDER_ID, PLACEHOLDER_KEY));
    } else if let Some(c) = explicit {
        chain = chain.explicit(c);
    }
    if placeholder || !(g.use_cvm_role || g.role_arn.is_some()) {
        return Ok(b.default_chain(chain));
    }
    let b = profile_settings(g, b, &chain)?;
    if g.use_cvm_role {
        let env = Env::process();
        let provider = match env.get(METADATA_ENDPOINT_VAR).as_deref() {
            Some("off") => {
                return Err(Failure::config(format!(
                    "--use-cvm-role: the metadata service is switched off ({METADATA_ENDPOINT_VAR}=off)"
                )))
            }
            Some(url) if !url.is_empty() => CvmRoleProvider::new().with_base_url(url),
            _ => CvmRoleProvider::new(),
        };
        return Ok(b.credentials_provider(provider.allow_insecure_http(g.insecure_http)));
    }
    let (Some(arn), Some(name)) = (&g.role_arn, &g.role_session_name) else {
        return Ok(b.default_chain(chain));
    };
    let source = chain.build();
    let sts_endpoint = source
        .tccli_config()
        .map_err(config_failure)?
        .and_then(|c| c.sts_endpoint().map(str::to_owned));
    let mut sts = StsAssumeRoleProvider::new(Arc::new(source), arn.clone(), name.clone())
        .allow_insecure_http(g.insecure_http);
    if let Some(e) = sts_endpoint {
        sts = sts.with_endpoint(&e);
    }
    Ok(b.credentials_provider(sts))
}

/// With a credentials provider of its own, the client no longer reads the profile, so
/// region and endpoint are taken from it here, in the same order.
fn profile_settings(
    g: &Globals,
    mut b: ClientBuilder,
    chain: &DefaultChainBuilder,
) -> Result<ClientBuilder, Failure> {
    let chain = chain.clone().build();
    if g.region.is_none() {
        if let Some(r) = chain.region().map_err(config_failure)? {
            b = b.region(r);
        }
    }
    if g.endpoint.is_none() && g.site.is_none() {
        let config = chain.tccli_config().map_err(config_failure)?;
        if let Some(e) = config.as_ref().and_then(|c| c.car_endpoint()) {
            b = b.endpoint(e.to_string());
        }
    }
    Ok(b)
}

fn config_failure(e: CredentialsError) -> Failure {
    Failure::from_api(&car_api::Error::from(e))
}

/// Sends the request (or prints it under `--dry-run`) and prints the answer.
pub fn run(g: &Globals, req: Request) -> Result<(), Failure> {
    let settings = resolve(g)?;
    let client = client(g, &settings, false)?;
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
    tracing::debug!(action = req.action.name, body = %crate::actions::redacted_body(req.action, &req.body), "request");
    if g.dry_run {
        return match rt.block_on(dry_run(&client, &req)) {
            Err(e) if no_credentials(&e) => {
                crate::exit::print_stderr(
                    "note: no credentials are configured, so this request is signed with placeholder keys\n",
                );
                let client = self::client(g, &settings, true)?;
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
