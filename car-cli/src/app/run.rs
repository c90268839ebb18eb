//! Running a `car app` subcommand: the client from the global options, a runtime, the
//! library call, the JSON summary on stdout.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use car_api::waiter::WaitPolicy;
use car_api::Client;
use car_release::cos::{CosClient, Now, Target, UploadOptions};
use car_release::release::{self, CarCosCredentials, PackageSource, ReleaseError, ReleaseOptions};
use clap::ArgMatches;
use serde_json::{json, Value};

use crate::cli::{Format, Globals};
use crate::exit::{print_stdout, Failure, Status};

const MIB: u64 = 1024 * 1024;

fn text(m: &ArgMatches, name: &str) -> Option<String> {
    m.get_one::<String>(name).cloned()
}

fn required(m: &ArgMatches, name: &str) -> String {
    // clap enforces `required(true)` before this runs.
    text(m, name).unwrap_or_default()
}

/// `--wait-timeout` in seconds (default 1800: processing a package of several GB takes a while).
fn wait_policy(g: &Globals) -> Result<WaitPolicy, Failure> {
    let secs = match &g.wait_timeout {
        Some(v) => v.parse::<u64>().map_err(|_| {
            Failure::usage(format!("--wait-timeout: expected whole seconds, got {v:?}"))
        })?,
        None => 1800,
    };
    Ok(WaitPolicy::with_timeout(Duration::from_secs(secs)))
}

fn checkpoint_dir(m: &ArgMatches) -> Option<PathBuf> {
    text(m, "checkpoint-dir")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".car").join("uploads")))
}

fn upload_options(
    client: &Client,
    m: &ArgMatches,
    json: bool,
) -> (UploadOptions, Option<indicatif::ProgressBar>) {
    let (progress, bar) = super::progress::reporter(json);
    let defaults = UploadOptions::default();
    let part_size = m
        .get_one::<u64>("part-size")
        .map_or(defaults.part_size, |n| n * MIB);
    (
        UploadOptions {
            part_size,
            multipart_threshold: part_size,
            concurrency: m
                .get_one::<u64>("concurrency")
                .map_or(defaults.concurrency, |n| *n as usize),
            checkpoint_dir: checkpoint_dir(m),
            http: client.http_settings().clone(),
            now: Now::system(),
            progress: Some(progress),
            ..defaults
        },
        bar,
    )
}

fn from_release(e: ReleaseError) -> Failure {
    match e {
        ReleaseError::Preflight { .. } => Failure::usage(e.to_string()),
        ReleaseError::Api { ref source, .. } => {
            let mut f = Failure::from_api(source);
            f.messages = vec![e.to_string()];
            f
        }
        ReleaseError::Step { .. } => Failure::new(Status::Api, "ReleaseStepFailed", e.to_string()),
        _ => Failure::new(Status::Api, "ReleaseFailed", e.to_string()),
    }
}

fn from_cos(e: car_release::cos::CosError) -> Failure {
    Failure::new(
        Status::Network,
        e.code().unwrap_or("UploadFailed"),
        e.to_string(),
    )
}

fn show(v: &Value) {
    print_stdout(&format!(
        "{}\n",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    ));
}

/// Runs `car app …` (the whole command line, `app` in it).
pub fn run(args: Vec<String>) -> Result<(), Failure> {
    let matches = match crate::cli::root()
        .subcommand(super::command())
        .try_get_matches_from(args)
    {
        Ok(m) => m,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                    | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            print_stdout(&e.render().to_string());
            return Ok(());
        }
        Err(e) => return Err(Failure::from_clap(&e)),
    };
    let g = Globals::from_matches(&matches)?;
    let Some(("app", app)) = matches.subcommand() else {
        return Err(Failure::usage("expected `car app SUBCOMMAND`"));
    };
    let problems = crate::call::check_flags(&g);
    if !problems.is_empty() {
        return Err(Failure::params(problems));
    }
    let policy = wait_policy(&g)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Status::Network,
                "ClientRuntimeError",
                format!("cannot start the I/O runtime: {e}"),
            )
        })?;
    // `car --local app …`: the emulator in this process serves both CAR and COS.
    let local = match g.local {
        true => {
            let dir = g.data_dir.clone().map(PathBuf::from);
            Some(rt.block_on(crate::emulator_cmd::start_local(dir))?)
        }
        false => None,
    };
    let result = (|| {
        let (client, format) = crate::call::client_for(&g, local.as_ref())?;
        let json = format == Format::Json && g.output.is_some();
        let cos_endpoint = local.as_ref().map(|e| e.cos_endpoint().to_string());
        rt.block_on(dispatch(&client, app, &policy, json, cos_endpoint))
    })();
    if let Some(emulator) = local {
        rt.block_on(emulator.shutdown());
    }
    show(&result?);
    Ok(())
}

/// Runs one `car app` subcommand; `local_cos` is the emulator's COS endpoint under
/// `--local`, used unless `--cos-endpoint` names another.
async fn dispatch(
    client: &Client,
    app: &ArgMatches,
    policy: &WaitPolicy,
    json: bool,
    local_cos: Option<String>,
) -> Result<Value, Failure> {
    match app.subcommand() {
        Some(("release", m)) => {
            let source = match text(m, "url") {
                Some(u) => PackageSource::Url(u),
                None => PackageSource::File(PathBuf::from(required(m, "path"))),
            };
            let (upload, bar) = upload_options(client, m, json);
            let options = ReleaseOptions {
                application_id: required(m, "application-id"),
                source,
                regions: m
                    .get_many::<String>("regions")
                    .map(|v| v.cloned().collect())
                    .unwrap_or_default(),
                update_mode: text(m, "update-mode").map(Into::into),
                prune_oldest: m.get_flag("prune-oldest"),
                wait: m.get_flag("wait"),
                online: m.get_flag("online"),
                wait_policy: policy.clone(),
                cos_endpoint: text(m, "cos-endpoint").or_else(|| local_cos.clone()),
                upload,
            };
            let result = release::release(client, &options).await;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let r = result.map_err(from_release)?;
            let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
            if let Some(u) = &r.upload {
                let secs = u.duration.as_secs_f64().max(1e-9);
                v["upload"]["throughput_mib_s"] =
                    json!((u.size as f64 / MIB as f64 / secs * 10.0).round() / 10.0);
            }
            Ok(v)
        }
        Some(("upload", m)) => {
            let app_id = required(m, "application-id");
            let source = CarCosCredentials::new(client.clone(), &app_id);
            let (_, bucket, region, key) =
                source.describe().await.map_err(|e| Failure::from_api(&e))?;
            let path = PathBuf::from(required(m, "path"));
            release::check_package(&path, None).map_err(from_release)?;
            let (options, bar) = upload_options(client, m, json);
            let target = Target {
                bucket,
                region,
                key,
                endpoint: text(m, "cos-endpoint").or_else(|| local_cos.clone()),
            };
            let result = release::upload_package(&path, &target, source, &options).await;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            Ok(serde_json::to_value(result.map_err(from_cos)?).unwrap_or(Value::Null))
        }
        Some(("versions", m)) => {
            let vs = release::versions(client, &required(m, "application-id"))
                .await
                .map_err(|e| Failure::from_api(&e))?;
            Ok(json!({ "Versions": vs.iter().map(|v| json!({
                "ApplicationVersionId": v.application_version_id,
                "ApplicationVersionName": v.application_version_name,
                "ApplicationVersionStatus": v.application_version_status.as_str(),
                "ApplicationVersionSize": v.application_version_size,
                "CreateTime": v.create_time,
            })).collect::<Vec<_>>() }))
        }
        Some(("wait", m)) => {
            let (app_id, ver) = (required(m, "application-id"), required(m, "version-id"));
            let mut state = release::wait_ready(client, &app_id, &ver, policy)
                .await
                .map_err(from_release)?;
            if m.get_flag("online") {
                release::put_online(client, &app_id, &ver)
                    .await
                    .map_err(from_release)?;
                state = "Inuse".into();
            }
            Ok(json!({"application_id": app_id, "version_id": ver, "state": state}))
        }
        Some(("online", m)) => {
            let (app_id, ver) = (required(m, "application-id"), required(m, "version-id"));
            release::put_online(client, &app_id, &ver)
                .await
                .map_err(from_release)?;
            Ok(json!({"application_id": app_id, "version_id": ver, "state": "Inuse"}))
        }
        Some(("uploads", u)) => {
            let (sub, m) = u
                .subcommand()
                .ok_or_else(|| Failure::usage("expected list or abort"))?;
            let app_id = required(m, "application-id");
            let source = CarCosCredentials::new(client.clone(), &app_id);
            let (_, bucket, region, key) =
                source.describe().await.map_err(|e| Failure::from_api(&e))?;
            let endpoint = text(m, "cos-endpoint")
                .or_else(|| local_cos.clone())
                .unwrap_or_else(|| format!("https://{bucket}.cos.{region}.myqcloud.com"));
            let cos = CosClient::new(
                client.http_settings(),
                &endpoint,
                Arc::new(source),
                Now::system(),
                car_api::RetryConfig::default(),
            )
            .map_err(from_cos)?;
            if sub == "abort" {
                let id = required(m, "upload-id");
                cos.abort(&key, &id).await.map_err(from_cos)?;
                return Ok(json!({"key": key, "upload_id": id, "aborted": true}));
            }
            // The temporary key covers only keys under Path (the object key itself), so
            // the listing is for that key, as cos-python-sdk-v5's resume asks it.
            let mut list = cos.list_uploads(&key).await.map_err(from_cos)?;
            list.retain(|u| u.key == key);
            Ok(json!({"uploads": list}))
        }
        _ => Err(Failure::usage(
            "expected an `app` subcommand; see `car app --help`",
        )),
    }
}
