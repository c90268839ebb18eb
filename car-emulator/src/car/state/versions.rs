//! Application versions: creation (with the 5-version limit and the states that block a
//! new one), listing, renaming, asynchronous deletion and release
//! (SetApplicationVersionOnline).

use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::types::{
    ApplicationVersionStatus, ApplicationVersionUpdateMode, Region, UserApplicationVersion,
};
use car_api::ErrorCode;
use rusqlite::{params, Connection, OptionalExtension};

use super::applications::{self, AppRow};
use super::db::{self, invalid_value, refuse, Outcome};
use super::processing;
use super::CarState;
use crate::car::CallContext;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS car_versions (
    version_id      TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES car_applications (application_id) ON DELETE CASCADE,
    file_name       TEXT NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    update_mode     TEXT NOT NULL,
    regions         TEXT,
    size            INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    package_key     TEXT,
    source          TEXT,
    started_at      INTEGER,
    ready_at        INTEGER,
    failure         TEXT,
    online_exe_path TEXT,
    delete_at       INTEGER
);
CREATE INDEX IF NOT EXISTS car_versions_app ON car_versions (application_id);
CREATE INDEX IF NOT EXISTS car_versions_status ON car_versions (status);
CREATE TABLE IF NOT EXISTS car_version_files (
    version_id TEXT NOT NULL REFERENCES car_versions (version_id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    PRIMARY KEY (version_id, path)
);";

/// Versions an application may have at once (Tencent's tool and console both state 5).
pub const MAX_VERSIONS: i64 = 5;

/// Seconds a deleted version stays `Deleting` before it is gone.
pub const DELETION_SECONDS: i64 = 10;

/// A version's status as stored (the wire values of `ApplicationVersionStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Uploading,
    Creating,
    Normal,
    CreateFailed,
    Inuse,
    Usable,
    Deleting,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Uploading => "Uploading",
            Status::Creating => "Creating",
            Status::Normal => "Normal",
            Status::CreateFailed => "CreateFailed",
            Status::Inuse => "Inuse",
            Status::Usable => "Usable",
            Status::Deleting => "Deleting",
        }
    }

    fn parse(s: &str) -> rusqlite::Result<Status> {
        Ok(match s {
            "Uploading" => Status::Uploading,
            "Creating" => Status::Creating,
            "Normal" => Status::Normal,
            "CreateFailed" => Status::CreateFailed,
            "Inuse" => Status::Inuse,
            "Usable" => Status::Usable,
            "Deleting" => Status::Deleting,
            other => {
                return Err(rusqlite::Error::InvalidColumnType(
                    0,
                    format!("version status {other:?}"),
                    rusqlite::types::Type::Text,
                ))
            }
        })
    }
}

/// One version as stored.
#[derive(Debug, Clone)]
pub(crate) struct VersionRow {
    pub id: String,
    pub app_id: String,
    pub file_name: String,
    pub name: String,
    pub status: Status,
    pub update_mode: String,
    pub regions: Option<String>,
    pub size: i64,
    pub created_at: i64,
    pub package_key: Option<String>,
    pub source: Option<String>,
    pub started_at: Option<i64>,
    pub ready_at: Option<i64>,
    pub online_exe_path: Option<String>,
}

const VERSION_COLUMNS: &str = "version_id, application_id, file_name, name, status, update_mode, regions, size, created_at, package_key, source, started_at, ready_at, online_exe_path";

fn version_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VersionRow> {
    let status: String = r.get(4)?;
    Ok(VersionRow {
        id: r.get(0)?,
        app_id: r.get(1)?,
        file_name: r.get(2)?,
        name: r.get(3)?,
        status: Status::parse(&status)?,
        update_mode: r.get(5)?,
        regions: r.get(6)?,
        size: r.get(7)?,
        created_at: r.get(8)?,
        package_key: r.get(9)?,
        source: r.get(10)?,
        started_at: r.get(11)?,
        ready_at: r.get(12)?,
        online_exe_path: r.get(13)?,
    })
}

impl VersionRow {
    pub fn to_api(&self) -> UserApplicationVersion {
        let mut v = UserApplicationVersion::default();
        v.application_version_id = self.id.clone();
        v.application_version_size = self.size;
        v.application_version_status = ApplicationVersionStatus::from(self.status.as_str());
        v.application_version_name = self.name.clone();
        v.create_time = db::iso8601(self.created_at);
        v.application_version_regions = self.regions.as_deref().map(|json| {
            serde_json::from_str::<Vec<String>>(json)
                .unwrap_or_default()
                .iter()
                .map(|r| Region::from(r.as_str()))
                .collect()
        });
        v.application_version_update_mode = Some(ApplicationVersionUpdateMode::from(
            self.update_mode.as_str(),
        ));
        v
    }

    /// Percent done: 0 while waiting for a package, then growing with the processing
    /// time elapsed, 100 once processed.
    pub fn progress(&self, now: i64) -> i64 {
        match (self.status, self.started_at, self.ready_at) {
            (Status::Uploading, ..) => 0,
            (Status::Creating, Some(start), Some(ready)) if ready > start => {
                ((now - start).clamp(0, ready - start) * 100 / (ready - start)).min(99)
            }
            (Status::Creating, ..) => 0,
            _ => 100,
        }
    }

    /// The package's extension, lower-case, from the file name.
    pub fn extension(&self) -> String {
        extension(&self.file_name).unwrap_or_default()
    }
}

pub(crate) fn extension(file_name: &str) -> Option<String> {
    let (stem, ext) = file_name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The package extensions an application type takes.
pub(crate) fn allowed_extensions(app: &AppRow) -> &'static [&'static str] {
    if app.is_mobile() {
        &["apk", "xapk", "zip"]
    } else {
        &["zip", "rar", "7z"]
    }
}

/// Checks a package file name against the application's type; returns its extension.
pub(crate) fn check_file_name(
    parameter: &str,
    app: &AppRow,
    file_name: &str,
) -> Result<String, ServiceError> {
    let allowed = allowed_extensions(app);
    let expected = || {
        format!(
            "a file name without a directory ending in .{} for an {} application",
            allowed.join(", ."),
            app.app_type
        )
    };
    if file_name.contains(['/', '\\']) {
        return Err(invalid_value(parameter, expected(), file_name));
    }
    match extension(file_name) {
        Some(ext) if allowed.contains(&ext.as_str()) => Ok(ext),
        _ => Err(invalid_value(parameter, expected(), file_name)),
    }
}

pub(crate) fn load_for_app(c: &Connection, app_id: &str) -> Outcome<Vec<VersionRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM car_versions WHERE application_id = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = st.query_map([app_id], version_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The version `id` of application `app_id`, or `InvalidParameterValue` for `parameter`.
pub(crate) fn load(c: &Connection, app_id: &str, id: &str, parameter: &str) -> Outcome<VersionRow> {
    db::one(c,
        &format!("SELECT {VERSION_COLUMNS} FROM car_versions WHERE application_id = ?1 AND version_id = ?2"),
        params![app_id, id],
        version_from_row,
    )
    .optional()?
    .ok_or_else(|| {
        invalid_value(parameter, format_args!("a version of application {app_id}"), id).into()
    })
}

/// The version still waiting for its package, if any.
pub(crate) fn pending(c: &Connection, app_id: &str) -> Outcome<Option<VersionRow>> {
    Ok(load_for_app(c, app_id)?
        .into_iter()
        .find(|v| v.status == Status::Uploading))
}

pub(crate) fn load_by_id(c: &Connection, id: &str) -> Outcome<Option<VersionRow>> {
    Ok(db::one(
        c,
        &format!("SELECT {VERSION_COLUMNS} FROM car_versions WHERE version_id = ?1"),
        [id],
        version_from_row,
    )
    .optional()?)
}

pub(crate) fn create(
    state: &CarState,
    cx: &CallContext,
    req: CreateApplicationVersionRequest,
) -> Result<CreateApplicationVersionResponse, ServiceError> {
    if let Some(regions) = &req.application_version_regions {
        if let Some(bad) = regions.iter().find(|r| r.is_unknown()) {
            return Err(invalid_value(
                "ApplicationVersionRegions",
                "a list of CAR regions such as ap-chinese-mainland",
                bad.as_str(),
            ));
        }
    }
    let mode = match &req.application_version_update_mode {
        None => ApplicationVersionUpdateMode::Full,
        Some(m) if m.is_unknown() => {
            return Err(invalid_value(
                "ApplicationVersionUpdateMode",
                "FULL or INCREMENT",
                m.as_str(),
            ))
        }
        Some(m) => m.clone(),
    };
    let regions = req.application_version_regions.as_ref().map(|r| {
        serde_json::Value::from(r.iter().map(|r| r.as_str()).collect::<Vec<_>>()).to_string()
    });
    processing::settle(state)?;
    let now = state.now();
    let version = db::write(&state.store, |tx| {
        let app = applications::load(tx, &cx.account.uin, &req.application_id)?;
        check_file_name("ApplicationFileName", &app, &req.application_file_name)?;
        let existing = load_for_app(tx, &app.id)?;
        if let Some(v) = existing.iter().find(|v| {
            matches!(
                v.status,
                Status::Uploading | Status::Creating | Status::Normal | Status::CreateFailed
            )
        }) {
            return Err(refuse(
                ErrorCode::OperationDeniedVersionCreating,
                format!(
                    "version {} of application {} is {}; release it (SetApplicationVersionOnline) or delete it (DeleteApplicationVersion) before creating another",
                    v.id, app.id, v.status.as_str()
                ),
            ));
        }
        let held = i64::try_from(existing.len()).unwrap_or(i64::MAX);
        if held >= MAX_VERSIONS {
            return Err(refuse(
                ErrorCode::OperationDeniedVersionLimitExceeded,
                format!(
                    "application {} already has {held} versions, the most CAR allows; delete one first",
                    app.id
                ),
            ));
        }
        if mode == ApplicationVersionUpdateMode::Increment
            && !existing.iter().any(|v| v.status == Status::Inuse)
        {
            return Err(invalid_value(
                "ApplicationVersionUpdateMode",
                "FULL while the application has no live (Inuse) version for an increment to build on",
                "INCREMENT",
            )
            .into());
        }
        let id = db::fresh_id("ver", |id| {
            db::one(
                tx,
                "SELECT EXISTS (SELECT 1 FROM car_versions WHERE version_id = ?1)",
                [id],
                |r| r.get(0),
            )
        })?;
        let name = req
            .application_file_name
            .rsplit_once('.')
            .map_or(req.application_file_name.as_str(), |(stem, _)| stem);
        tx.execute(
            "INSERT INTO car_versions (version_id, application_id, file_name, name, status, update_mode, regions, created_at)
             VALUES (?1, ?2, ?3, ?4, 'Uploading', ?5, ?6, ?7)",
            params![id, app.id, req.application_file_name, name, mode.as_str(), regions, now],
        )?;
        load(tx, &app.id, &id, "ApplicationVersionId")
    })?;
    let mut out = CreateApplicationVersionResponse::default();
    out.version = version.to_api();
    Ok(out)
}

pub(crate) fn describe(
    state: &CarState,
    cx: &CallContext,
    req: DescribeApplicationVersionRequest,
) -> Result<DescribeApplicationVersionResponse, ServiceError> {
    processing::settle(state)?;
    let versions = db::read(&state.store, |c| {
        let app = applications::load(c, &cx.account.uin, &req.application_id)?;
        load_for_app(c, &app.id)
    })?;
    let mut out = DescribeApplicationVersionResponse::default();
    out.versions = versions.iter().map(VersionRow::to_api).collect();
    Ok(out)
}

pub(crate) fn modify(
    state: &CarState,
    cx: &CallContext,
    req: ModifyApplicationVersionRequest,
) -> Result<ModifyApplicationVersionResponse, ServiceError> {
    if let Some(name) = &req.application_version_name {
        if name.trim().is_empty() || name.chars().count() > 64 {
            return Err(invalid_value(
                "ApplicationVersionName",
                "a non-blank name of at most 64 characters",
                name,
            ));
        }
    }
    processing::settle(state)?;
    db::write(&state.store, |tx| {
        let app = applications::load(tx, &cx.account.uin, &req.application_id)?;
        let v = load(
            tx,
            &app.id,
            &req.application_version_id,
            "ApplicationVersionId",
        )?;
        if v.status == Status::Deleting {
            return Err(refuse(
                ErrorCode::OperationDenied,
                format!("version {} is being deleted", v.id),
            ));
        }
        if let Some(name) = &req.application_version_name {
            tx.execute(
                "UPDATE car_versions SET name = ?2 WHERE version_id = ?1",
                params![v.id, name],
            )?;
        }
        Ok(())
    })?;
    Ok(ModifyApplicationVersionResponse::default())
}

pub(crate) fn delete(
    state: &CarState,
    cx: &CallContext,
    req: DeleteApplicationVersionRequest,
) -> Result<DeleteApplicationVersionResponse, ServiceError> {
    processing::settle(state)?;
    let now = state.now();
    db::write(&state.store, |tx| {
        let app = applications::load(tx, &cx.account.uin, &req.application_id)?;
        let v = load(
            tx,
            &app.id,
            &req.application_version_id,
            "ApplicationVersionId",
        )?;
        match v.status {
            Status::Inuse => {
                return Err(refuse(
                    ErrorCode::OperationDenied,
                    format!(
                        "version {} is live (Inuse); release another version before deleting it",
                        v.id
                    ),
                ))
            }
            Status::Deleting => {
                return Err(refuse(
                    ErrorCode::OperationDenied,
                    format!("version {} is already being deleted", v.id),
                ))
            }
            Status::Creating => {
                return Err(refuse(
                    ErrorCode::FailedOperationVersionLockFail,
                    format!(
                    "version {} is being processed; delete it once it is Normal or CreateFailed",
                    v.id
                ),
                ))
            }
            _ => {}
        }
        tx.execute(
            "UPDATE car_versions SET status = 'Deleting', delete_at = ?2 WHERE version_id = ?1",
            params![v.id, now + DELETION_SECONDS],
        )?;
        Ok(())
    })?;
    Ok(DeleteApplicationVersionResponse::default())
}

pub(crate) fn set_online(
    state: &CarState,
    cx: &CallContext,
    req: SetApplicationVersionOnlineRequest,
) -> Result<SetApplicationVersionOnlineResponse, ServiceError> {
    processing::settle(state)?;
    let versions = db::write(&state.store, |tx| {
        let app = applications::load(tx, &cx.account.uin, &req.application_id)?;
        let v = load(
            tx,
            &app.id,
            &req.application_version_id,
            "ApplicationVersionId",
        )?;
        match v.status {
            Status::Normal => {}
            Status::Usable => {
                let launched_with = v.online_exe_path.as_deref().unwrap_or_default();
                if !app.is_mobile() && launched_with != app.exe_path {
                    return Err(refuse(
                        ErrorCode::OperationDenied,
                        format!(
                            "rolling back to version {} needs the launch path it ran with ({launched_with:?}); ApplicationExePath is now {:?}",
                            v.id, app.exe_path
                        ),
                    ));
                }
            }
            other => {
                return Err(refuse(
                    ErrorCode::OperationDenied,
                    format!(
                        "version {} is {}; only a Normal or Usable version can be released",
                        v.id,
                        other.as_str()
                    ),
                ))
            }
        }
        if !app.is_mobile() && app.exe_path.is_empty() {
            return Err(refuse(
                ErrorCode::OperationDenied,
                format!(
                    "application {} has no launch path; set ApplicationExePath with ModifyApplicationBaseInfo first",
                    app.id
                ),
            ));
        }
        tx.execute(
            "UPDATE car_versions SET status = 'Usable' WHERE application_id = ?1 AND status = 'Inuse'",
            [&app.id],
        )?;
        tx.execute(
            "UPDATE car_versions SET status = 'Inuse', online_exe_path = ?2 WHERE version_id = ?1",
            params![v.id, app.exe_path],
        )?;
        load_for_app(tx, &app.id)
    })?;
    let mut out = SetApplicationVersionOnlineResponse::default();
    out.versions = versions.iter().map(VersionRow::to_api).collect();
    Ok(out)
}
