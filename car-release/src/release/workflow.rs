//! The release sequence of car-behaviour.md ("Shipping a package").

use std::path::PathBuf;
use std::time::{Duration, Instant};

use car_api::operations::{
    CreateApplicationSnapshotRequest, CreateApplicationSnapshotRequired,
    CreateApplicationVersionRequest, CreateApplicationVersionRequired,
    DeleteApplicationVersionRequest, DeleteApplicationVersionRequired,
    DescribeApplicationFileInfoRequest, DescribeApplicationFileInfoRequired,
    DescribeApplicationListRequest, DescribeApplicationListRequired,
    DescribeApplicationPathListRequest, DescribeApplicationPathListRequired,
    DescribeApplicationVersionRequest, DescribeApplicationVersionRequired,
    SetApplicationVersionOnlineRequest, SetApplicationVersionOnlineRequired,
};
use car_api::types::{
    ApplicationFilterName, ApplicationVersionStatus, ApplicationVersionUpdateMode, FileState,
    Filter, FilterRequired, UserApplicationInfo, UserApplicationVersion,
};
use car_api::waiter::WaitPolicy;
use car_api::Client;

use super::credentials::CarCosCredentials;
use super::error::{ReleaseError, Step};
use super::preflight::check_package;
use super::upload::upload_package;
use crate::cos::{Target, UploadOptions, UploadReport};

/// CAR keeps at most this many versions per application (car-behaviour.md).
pub const VERSION_LIMIT: usize = 5;

/// What is shipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageSource {
    /// A local package, uploaded to COS.
    File(PathBuf),
    /// A URL CAR downloads the package from (CreateApplicationSnapshot's
    /// `ApplicationDownloadUrl`); the last path segment names the version.
    Url(String),
}

/// How to release.
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    /// The application.
    pub application_id: String,
    /// The package.
    pub source: PackageSource,
    /// `ApplicationVersionRegions`; empty leaves CAR's default.
    pub regions: Vec<String>,
    /// `ApplicationVersionUpdateMode`.
    pub update_mode: Option<ApplicationVersionUpdateMode>,
    /// At the 5-version limit, delete the oldest version that is not live first.
    pub prune_oldest: bool,
    /// Wait until the version is processed.
    pub wait: bool,
    /// Check the launch path and release the version (implies `wait`).
    pub online: bool,
    /// How to wait.
    pub wait_policy: WaitPolicy,
    /// Another address for the COS bucket (an emulator's).
    pub cos_endpoint: Option<String>,
    /// How to upload.
    pub upload: UploadOptions,
}

/// What was released.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReleaseReport {
    /// The application.
    pub application_id: String,
    /// The new version.
    pub version_id: String,
    /// The version's state at the end.
    pub state: String,
    /// Whether it is live.
    pub online: bool,
    /// The version deleted to make room, if any.
    pub pruned_version_id: Option<String>,
    /// The upload, in file mode.
    pub upload: Option<UploadReport>,
    /// Wall time of the whole release.
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn api(action: &'static str) -> impl FnOnce(car_api::Error) -> ReleaseError {
    move |source| ReleaseError::Api { action, source }
}

/// A word the shell passes through unchanged.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The application, or a pre-flight error if the account has none with that ID.
pub async fn find_application(
    client: &Client,
    id: &str,
) -> Result<UserApplicationInfo, ReleaseError> {
    let filter = Filter::new(FilterRequired {
        name: ApplicationFilterName::ApplicationId,
        values: vec![id.to_string()],
    });
    let list = client
        .describe_application_list(
            DescribeApplicationListRequest::new(DescribeApplicationListRequired {
                offset: 0,
                limit: 10,
            })
            .filters([filter]),
        )
        .await
        .map_err(api("DescribeApplicationList"))?;
    list.user_application_list
        .into_iter()
        .find(|a| a.application_id == id)
        .ok_or_else(|| {
            ReleaseError::preflight(format!(
                "application-id: no application {id} in this account"
            ))
        })
}

/// The application's versions.
pub async fn versions(
    client: &Client,
    id: &str,
) -> Result<Vec<UserApplicationVersion>, car_api::Error> {
    Ok(client
        .describe_application_version(DescribeApplicationVersionRequest::new(
            DescribeApplicationVersionRequired {
                application_id: id.to_string(),
            },
        ))
        .await?
        .versions)
}

/// The oldest version that is not live, to make room at the limit.
fn oldest_prunable(versions: &[UserApplicationVersion]) -> Option<&UserApplicationVersion> {
    versions
        .iter()
        .filter(|v| v.application_version_status != ApplicationVersionStatus::Inuse)
        .min_by(|a, b| a.create_time.cmp(&b.create_time))
}

/// Context for errors once the version exists.
struct Created<'a> {
    client: &'a Client,
    app: &'a str,
    version: String,
    source: Option<&'a PackageSource>,
    online: bool,
}

impl Created<'_> {
    async fn state(&self) -> String {
        match versions(self.client, self.app).await {
            Ok(vs) => vs
                .iter()
                .find(|v| v.application_version_id == self.version)
                .map_or("gone".to_string(), |v| {
                    v.application_version_status.as_str().to_string()
                }),
            Err(_) => "unknown (DescribeApplicationVersion failed)".to_string(),
        }
    }

    fn commands_from(&self, step: Step) -> String {
        let (app, ver) = (shell_word(self.app), shell_word(&self.version));
        let upload = match self.source {
            Some(PackageSource::File(p)) => format!(
                "car app upload {} --application-id {app}",
                shell_word(&p.display().to_string())
            ),
            _ => String::new(),
        };
        let url = match self.source {
            Some(PackageSource::Url(u)) => shell_word(u),
            _ => "''".to_string(),
        };
        let snapshot =
            format!("car create-application-snapshot --application-id {app} --application-download-url {url}");
        let online = if self.online { " --online" } else { "" };
        let wait = format!("car app wait --application-id {app} --version-id {ver}{online}");
        let go = format!("car app online --application-id {app} --version-id {ver}");
        let mut steps: Vec<String> = match step {
            Step::Credentials | Step::Upload => vec![upload, snapshot, wait],
            Step::Snapshot => vec![snapshot, wait],
            Step::Wait => vec![wait],
            Step::LaunchPath | Step::Online => vec![go],
        };
        steps.retain(|s| !s.is_empty());
        steps.join(" && ")
    }

    async fn fail(&self, step: Step, message: impl Into<String>) -> ReleaseError {
        ReleaseError::Step {
            step,
            version_id: self.version.clone(),
            version_state: self.state().await,
            message: message.into(),
            resume: self.commands_from(step),
            cleanup: format!(
                "car delete-application-version --application-id {} --application-version-id {}",
                shell_word(self.app),
                shell_word(&self.version)
            ),
        }
    }
}

/// Ships `options.source` as a new version of `options.application_id`.
pub async fn release(
    client: &Client,
    options: &ReleaseOptions,
) -> Result<ReleaseReport, ReleaseError> {
    let started = Instant::now();
    let app_id = options.application_id.as_str();
    if let PackageSource::File(path) = &options.source {
        check_package(path, None)?;
    }
    let app = find_application(client, app_id).await?;
    let file_name = match &options.source {
        PackageSource::File(path) => {
            check_package(path, Some(&app.application_type))?;
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string()
        }
        PackageSource::Url(url) => {
            let name = url
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("");
            let scheme_ok = ["https://", "http://", "file://"]
                .iter()
                .any(|p| url.starts_with(p));
            if !scheme_ok || name.is_empty() {
                return Err(ReleaseError::preflight(format!(
                    "url: expected an http(s) URL (or a file:// URL for a local emulator) ending in the package's file name, got {url}"
                )));
            }
            name.to_string()
        }
    };
    let existing = versions(client, app_id)
        .await
        .map_err(api("DescribeApplicationVersion"))?;
    let mut pruned = None;
    if existing.len() >= VERSION_LIMIT {
        let Some(oldest) = oldest_prunable(&existing) else {
            return Err(ReleaseError::preflight(format!(
                "application {app_id} has {} versions, CAR's limit, and none that is not live",
                existing.len()
            )));
        };
        if !options.prune_oldest {
            return Err(ReleaseError::preflight(format!(
                "application {app_id} has {} versions, CAR's limit of {VERSION_LIMIT}; pass --prune-oldest to delete the oldest one that is not live ({}), or run: car delete-application-version --application-id {app_id} --application-version-id {}",
                existing.len(),
                oldest.application_version_id,
                oldest.application_version_id
            )));
        }
        let id = oldest.application_version_id.clone();
        client
            .delete_application_version(DeleteApplicationVersionRequest::new(
                DeleteApplicationVersionRequired {
                    application_id: app_id.to_string(),
                    application_version_id: id.clone(),
                },
            ))
            .await
            .map_err(api("DeleteApplicationVersion"))?;
        client
            .wait_until_application_version_deleted(
                DescribeApplicationVersionRequest::new(DescribeApplicationVersionRequired {
                    application_id: app_id.to_string(),
                }),
                &id,
                &options.wait_policy,
            )
            .await
            .map_err(|e| {
                ReleaseError::preflight(format!("deleting version {id} to make room: {e}"))
            })?;
        pruned = Some(id);
    }

    let mut create = CreateApplicationVersionRequest::new(CreateApplicationVersionRequired {
        application_id: app_id.to_string(),
        application_file_name: file_name,
    });
    if !options.regions.is_empty() {
        create = create.application_version_regions(options.regions.clone());
    }
    if let Some(mode) = &options.update_mode {
        create = create.application_version_update_mode(mode.clone());
    }
    let version = client
        .create_application_version(create)
        .await
        .map_err(api("CreateApplicationVersion"))?
        .version;
    let created = Created {
        client,
        app: app_id,
        version: version.application_version_id,
        source: Some(&options.source),
        online: options.online,
    };

    let (upload, url) = match &options.source {
        PackageSource::File(path) => {
            let source = CarCosCredentials::new(client.clone(), app_id);
            let (_, bucket, region, key) = match source.describe().await {
                Ok(d) => d,
                Err(e) => return Err(created.fail(Step::Credentials, e.to_string()).await),
            };
            let target = Target {
                bucket,
                region,
                key,
                endpoint: options.cos_endpoint.clone(),
            };
            match upload_package(path, &target, source, &options.upload).await {
                Ok(r) => (Some(r), String::new()),
                Err(e) => return Err(created.fail(Step::Upload, e.to_string()).await),
            }
        }
        PackageSource::Url(u) => (None, u.clone()),
    };
    if let Err(e) = client
        .create_application_snapshot(CreateApplicationSnapshotRequest::new(
            CreateApplicationSnapshotRequired {
                application_id: app_id.to_string(),
                application_download_url: url,
            },
        ))
        .await
    {
        return Err(created.fail(Step::Snapshot, e.to_string()).await);
    }
    let mut state = if options.wait || options.online {
        match client
            .wait_until_application_version_ready(
                DescribeApplicationVersionRequest::new(DescribeApplicationVersionRequired {
                    application_id: app_id.to_string(),
                }),
                &created.version,
                &options.wait_policy,
            )
            .await
        {
            Ok(v) => v.application_version_status.as_str().to_string(),
            Err(e) => return Err(created.fail(Step::Wait, e.to_string()).await),
        }
    } else {
        created.state().await
    };
    if options.online {
        online(client, &app, &created).await?;
        state = ApplicationVersionStatus::Inuse.as_str().to_string();
    }
    Ok(ReleaseReport {
        application_id: app_id.to_string(),
        version_id: created.version.clone(),
        state,
        online: options.online,
        pruned_version_id: pruned,
        upload,
        duration: started.elapsed(),
    })
}

/// Checks a desktop application's launch path in the new package, then releases it.
async fn online(
    client: &Client,
    app: &UserApplicationInfo,
    created: &Created<'_>,
) -> Result<(), ReleaseError> {
    let exe = app.application_exe_path.trim();
    let desktop = super::preflight::allowed_extensions(&app.application_type)
        .is_some_and(|e| e.contains(&"7z"));
    if desktop && !exe.is_empty() {
        let found = match launch_path_present(client, created, exe).await {
            Ok(found) => found,
            Err(e) => return Err(created.fail(Step::LaunchPath, e.to_string()).await),
        };
        if !found {
            return Err(created
                .fail(
                    Step::LaunchPath,
                    format!(
                        "the launch path {exe} is not in the new package; the version was not released"
                    ),
                )
                .await);
        }
    }
    if let Err(e) = client
        .set_application_version_online(SetApplicationVersionOnlineRequest::new(
            SetApplicationVersionOnlineRequired {
                application_id: created.app.to_string(),
                application_version_id: created.version.clone(),
            },
        ))
        .await
    {
        return Err(created.fail(Step::Online, e.to_string()).await);
    }
    Ok(())
}

/// Waits until `version_id` is processed (`Normal`, `Usable` or `Inuse`); its state.
pub async fn wait_ready(
    client: &Client,
    application_id: &str,
    version_id: &str,
    policy: &WaitPolicy,
) -> Result<String, ReleaseError> {
    let created = Created {
        client,
        app: application_id,
        version: version_id.to_string(),
        source: None,
        online: false,
    };
    match client
        .wait_until_application_version_ready(
            DescribeApplicationVersionRequest::new(DescribeApplicationVersionRequired {
                application_id: application_id.to_string(),
            }),
            version_id,
            policy,
        )
        .await
    {
        Ok(v) => Ok(v.application_version_status.as_str().to_string()),
        Err(e) => Err(created.fail(Step::Wait, e.to_string()).await),
    }
}

/// Checks the launch path of a processed version and releases it.
pub async fn put_online(
    client: &Client,
    application_id: &str,
    version_id: &str,
) -> Result<(), ReleaseError> {
    let app = find_application(client, application_id).await?;
    let created = Created {
        client,
        app: application_id,
        version: version_id.to_string(),
        source: None,
        online: true,
    };
    online(client, &app, &created).await
}

/// `Game\\Game.exe`, `./Game/Game.exe` and `Game/Game.exe` are one path.
fn normalise(path: &str) -> String {
    path.replace('\\', "/")
        .trim_start_matches("./")
        .trim_start_matches('/')
        .to_ascii_lowercase()
}

/// Whether the new version's package holds `exe`. An `.exe` is looked up in that very
/// version's path list (DescribeApplicationPathList takes the version);
/// DescribeApplicationFileInfo, which takes no version and so looks at the live one while
/// there is one, answers for other launch paths.
async fn launch_path_present(
    client: &Client,
    created: &Created<'_>,
    exe: &str,
) -> Result<bool, car_api::Error> {
    if exe.to_ascii_lowercase().ends_with(".exe") {
        let list = client
            .describe_application_path_list(
                DescribeApplicationPathListRequest::new(DescribeApplicationPathListRequired {
                    application_id: created.app.to_string(),
                })
                .application_version_id(created.version.clone()),
            )
            .await?;
        let want = normalise(exe);
        return Ok(list
            .path_list
            .unwrap_or_default()
            .iter()
            .any(|p| normalise(p) == want));
    }
    let info = client
        .describe_application_file_info(
            DescribeApplicationFileInfoRequest::new(DescribeApplicationFileInfoRequired {
                application_id: created.app.to_string(),
            })
            .file_path_list([exe.to_string()]),
        )
        .await?;
    Ok(info
        .file_info_list
        .unwrap_or_default()
        .iter()
        .any(|f| f.file_state == Some(FileState::Exist)))
}
