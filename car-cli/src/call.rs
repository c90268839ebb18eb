//! Running one action: settings from flags, environment and the tccli profile; the
//! client; `--dry-run`; the call (repeated under `--waiter`); printing the answer.

use std::time::Instant;

use car_api::credentials::{tccli_profile_name, Env, TccliConfig};
use car_api::meta::ActionMeta;
use car_api::{Client, Endpoint, Site};
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

fn client(g: &Globals, s: &Settings) -> Result<Client, Failure> {
    let mut b = Client::builder().request_client(concat!("car-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(p) = &g.profile {
        b = b.profile(p.clone());
    }
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

/// Sends the request (or prints it under `--dry-run`) and prints the answer.
pub fn run(g: &Globals, req: Request) -> Result<(), Failure> {
    let settings = resolve(g)?;
    let client = client(g, &settings)?;
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
        return rt.block_on(dry_run(&client, &req));
    }
    let response = rt.block_on(call(&client, &req))?;
    let shown = match &req.filter {
        Some(f) => f.search(&response).map_err(Failure::usage)?,
        None => response,
    };
    let hint = if req.filter.is_some() {
        Hint::None
    } else {
        Hint::Response(req.action.output)
    };
    print_stdout(&render(&shown, settings.output, hint, req.action.name));
    Ok(())
}

async fn call(client: &Client, req: &Request) -> Result<Value, Failure> {
    let Some(w) = &req.waiter else {
        return client
            .call_json(req.action, &req.body)
            .await
            .map_err(Failure::from);
    };
    let started = Instant::now();
    loop {
        let response = client.call_json(req.action, &req.body).await?;
        let found = w.expr.search(&response).map_err(Failure::usage)?;
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
        crate::exit::print_stderr(&format!(
            "waiting: `{}` is {}, want {}\n",
            w.expr_text, found, w.to
        ));
        tokio::time::sleep(w.interval.min(w.timeout - elapsed)).await;
    }
}

async fn dry_run(client: &Client, req: &Request) -> Result<(), Failure> {
    let body = serde_json::to_vec(&req.body)
        .map_err(|e| Failure::usage(format!("cannot encode the request: {e}")))?;
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
