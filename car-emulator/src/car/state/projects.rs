//! Projects: an application bound to a concurrency type with its streaming settings.
//! The advanced settings are kept as the JSON members the request sent, so what
//! DescribeApplicationProjectAdvancedConfig returns is exactly what was set.

use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::types::{
    ApplicationCategory, ApplicationProject, BackgroundImage, ConcurrencyType,
    ProjectApplicationStatus, ProjectType, Region,
};
use car_api::ErrorCode;
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::applications::{self, derive};
use super::db::{self, invalid_value, refuse, Fail, Outcome};
use super::versions::{self, Status};
use super::{packages, processing, sessions, CarState};
use crate::car::CallContext;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS car_projects (
    project_id       TEXT PRIMARY KEY,
    account_uin      TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    concurrency_type TEXT NOT NULL,
    application_id   TEXT NOT NULL REFERENCES car_applications (application_id),
    is_preload       INTEGER NOT NULL,
    project_type     TEXT NOT NULL,
    category         TEXT NOT NULL,
    config           TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS car_projects_account ON car_projects (account_uin, created_at);";

/// The members of Create/ModifyApplicationProject that make up the advanced settings.
const ADVANCED: &[&str] = &[
    "ApplicationParams",
    "Resolution",
    "FPS",
    "MinBitrate",
    "MaxBitrate",
    "PreloadDuration",
    "ReconnectTimeout",
    "UpstreamAudioOption",
    "VideoEncodeConfig",
    "XRMaxWidth",
    "BackgroundImageCOSFileId",
    "DisableVideoCodecs",
];

/// One project as stored.
#[derive(Debug, Clone)]
pub(crate) struct ProjectRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub concurrency_type: String,
    pub app_id: String,
    pub is_preload: bool,
    pub project_type: String,
    pub category: String,
    pub config: Map<String, Value>,
    pub created_at: i64,
}

const PROJECT_COLUMNS: &str = "project_id, name, description, concurrency_type, application_id, is_preload, project_type, category, config, created_at";

fn project_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProjectRow> {
    let config: String = r.get(8)?;
    Ok(ProjectRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        concurrency_type: r.get(3)?,
        app_id: r.get(4)?,
        is_preload: r.get(5)?,
        project_type: r.get(6)?,
        category: r.get(7)?,
        config: serde_json::from_str(&config).unwrap_or_default(),
        created_at: r.get(9)?,
    })
}

/// The project `id` of `uin`, if it has one.
pub(crate) fn find(c: &Connection, uin: &str, id: &str) -> Outcome<Option<ProjectRow>> {
    Ok(db::one(
        c,
        &format!(
            "SELECT {PROJECT_COLUMNS} FROM car_projects WHERE account_uin = ?1 AND project_id = ?2"
        ),
        params![uin, id],
        project_from_row,
    )
    .optional()?)
}

fn load_all(c: &Connection, uin: &str) -> Outcome<Vec<ProjectRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {PROJECT_COLUMNS} FROM car_projects WHERE account_uin = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = st.query_map([uin], project_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn project_not_found(id: &str) -> Fail {
    refuse(
        ErrorCode::FailedOperation,
        format!("ProjectId {id:?} names no project of this account"),
    )
}

fn json_members<T: serde::Serialize>(request: &T) -> Result<Map<String, Value>, ServiceError> {
    match serde_json::to_value(request) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(_) | Err(_) => Err(ServiceError::new(
            ErrorCode::InternalError,
            "a project request did not encode as a JSON object",
        )),
    }
}

fn advanced_members(members: &Map<String, Value>) -> Map<String, Value> {
    members
        .iter()
        .filter(|(k, v)| ADVANCED.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn is_duration(s: &str) -> bool {
    // Go-style durations as Tencent writes them: `10s`, `5m`, `1h30m`.
    let mut digits = 0;
    let mut units = 0;
    for ch in s.chars() {
        match ch {
            '0'..='9' => digits += 1,
            'h' | 'm' | 's' if digits > 0 => {
                units += 1;
                digits = 0;
            }
            _ => return false,
        }
    }
    digits == 0 && units > 0
}

/// Checks the advanced settings as they will be after the change.
fn check_config(config: &Map<String, Value>) -> Result<(), ServiceError> {
    if let Some(res) = config.get("Resolution").and_then(Value::as_str) {
        let ok = res.split_once('x').is_some_and(|(w, h)| {
            w.parse::<u32>().is_ok_and(|w| w > 0) && h.parse::<u32>().is_ok_and(|h| h > 0)
        });
        if !ok {
            return Err(invalid_value(
                "Resolution",
                "<width>x<height>, e.g. 1920x1080",
                res,
            ));
        }
    }
    for key in ["PreloadDuration", "ReconnectTimeout"] {
        if let Some(d) = config.get(key).and_then(Value::as_str) {
            if !is_duration(d) {
                return Err(invalid_value(key, "a duration such as 10s or 5m", d));
            }
        }
    }
    for key in ["FPS", "MinBitrate", "MaxBitrate"] {
        if let Some(n) = config.get(key).and_then(Value::as_i64) {
            if n < 0 {
                return Err(invalid_value(key, "0 or more", n));
            }
        }
    }
    let min = config
        .get("MinBitrate")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let max = config
        .get("MaxBitrate")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if min > 0 && max > 0 && min > max {
        return Err(invalid_value(
            "MinBitrate",
            format_args!("at most MaxBitrate ({max})"),
            min,
        ));
    }
    Ok(())
}

fn check_type(t: &ConcurrencyType) -> Result<(), ServiceError> {
    if t.is_unknown() {
        return Err(invalid_value(
            "Type",
            "one of S1, M1, L1, L2, XL2, MM1_HD, MM1_FHD",
            t.as_str(),
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), ServiceError> {
    if name.trim().is_empty() || name.chars().count() > 64 {
        return Err(invalid_value(
            "Name",
            "a non-blank name of at most 64 characters",
            name,
        ));
    }
    Ok(())
}

pub(crate) fn create(
    state: &CarState,
    cx: &CallContext,
    req: CreateApplicationProjectRequest,
) -> Result<CreateApplicationProjectResponse, ServiceError> {
    check_name(&req.name)?;
    check_type(&req.r#type)?;
    let project_type = req.project_type.clone().unwrap_or(ProjectType::Exclusive);
    if project_type.is_unknown() {
        return Err(invalid_value(
            "ProjectType",
            "SHARED or EXCLUSIVE",
            project_type.as_str(),
        ));
    }
    let category = req
        .project_category
        .clone()
        .unwrap_or(ApplicationCategory::Desktop);
    if category.is_unknown() {
        return Err(invalid_value(
            "ProjectCategory",
            "DESKTOP or MOBILE",
            category.as_str(),
        ));
    }
    let config = advanced_members(&json_members(&req)?);
    check_config(&config)?;
    let now = state.now();
    let id = db::write(&state.store, |tx| {
        let app =
            applications::find(tx, &cx.account.uin, &req.application_id)?.ok_or_else(|| {
                refuse(
                    ErrorCode::FailedOperation,
                    format!(
                        "ApplicationId {:?} names no application of this account",
                        req.application_id
                    ),
                )
            })?;
        let mobile = category == ApplicationCategory::Mobile;
        if app.is_mobile() != mobile {
            return Err(invalid_value(
                "ProjectCategory",
                format_args!(
                    "{} for an {} application",
                    if app.is_mobile() { "MOBILE" } else { "DESKTOP" },
                    app.app_type
                ),
                category.as_str(),
            )
            .into());
        }
        let id = db::fresh_id("cap", |id| {
            db::one(
                tx,
                "SELECT EXISTS (SELECT 1 FROM car_projects WHERE project_id = ?1)",
                [id],
                |r| r.get(0),
            )
        })?;
        tx.execute(
            "INSERT INTO car_projects (project_id, account_uin, name, description, concurrency_type, application_id, is_preload, project_type, category, config, created_at)
             VALUES (?1, ?2, ?3, '', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                cx.account.uin,
                req.name,
                req.r#type.as_str(),
                app.id,
                req.is_preload.unwrap_or(false),
                project_type.as_str(),
                category.as_str(),
                Value::Object(config.clone()).to_string(),
                now
            ],
        )?;
        Ok(id)
    })?;
    let mut out = CreateApplicationProjectResponse::default();
    out.project_id = Some(id);
    Ok(out)
}

pub(crate) fn modify(
    state: &CarState,
    cx: &CallContext,
    req: ModifyApplicationProjectRequest,
) -> Result<ModifyApplicationProjectResponse, ServiceError> {
    if let Some(name) = &req.name {
        check_name(name)?;
    }
    if let Some(t) = &req.r#type {
        check_type(t)?;
    }
    let changes = advanced_members(&json_members(&req)?);
    db::write(&state.store, |tx| {
        let project = find(tx, &cx.account.uin, &req.project_id)?
            .ok_or_else(|| project_not_found(&req.project_id))?;
        if let Some(t) = &req.r#type {
            let bound = packages::bound_to(tx, &project.id)?;
            if t.as_str() != project.concurrency_type && !bound.is_empty() {
                return Err(refuse(
                    ErrorCode::FailedOperation,
                    format!(
                        "project {} has {} concurrency package(s) of type {} bound; unbind them before changing Type",
                        project.id,
                        bound.len(),
                        project.concurrency_type
                    ),
                ));
            }
        }
        let mut config = project.config.clone();
        config.extend(changes);
        check_config(&config)?;
        tx.execute(
            "UPDATE car_projects SET name = COALESCE(?2, name), description = COALESCE(?3, description),
                 concurrency_type = COALESCE(?4, concurrency_type), is_preload = COALESCE(?5, is_preload), config = ?6
             WHERE project_id = ?1",
            params![
                project.id,
                req.name,
                req.description,
                req.r#type.as_ref().map(ConcurrencyType::as_str),
                req.is_preload,
                Value::Object(config).to_string()
            ],
        )?;
        Ok(())
    })?;
    Ok(ModifyApplicationProjectResponse::default())
}

pub(crate) fn delete(
    state: &CarState,
    cx: &CallContext,
    req: DeleteApplicationProjectsRequest,
) -> Result<DeleteApplicationProjectsResponse, ServiceError> {
    if req.project_ids.is_empty() {
        return Err(invalid_value(
            "ProjectIds",
            "a list of one or more project IDs",
            "[]",
        ));
    }
    let now = state.now();
    db::write(&state.store, |tx| {
        for id in &req.project_ids {
            let project = find(tx, &cx.account.uin, id)?
                .ok_or_else(|| invalid_value("ProjectIds", "IDs of this account's projects", id))?;
            let busy = sessions::busy(tx, &project.id, now)?;
            if busy > 0 {
                return Err(refuse(
                    ErrorCode::FailedOperationApplicationLockFail,
                    format!(
                        "project {} has {busy} session(s) or reservation(s); destroy them before deleting it",
                        project.id
                    ),
                ));
            }
            tx.execute(
                "UPDATE car_packages SET project_id = NULL WHERE project_id = ?1",
                [&project.id],
            )?;
            tx.execute(
                "DELETE FROM car_sessions WHERE project_id = ?1",
                [&project.id],
            )?;
            tx.execute(
                "DELETE FROM car_projects WHERE project_id = ?1",
                [&project.id],
            )?;
        }
        Ok(())
    })?;
    Ok(DeleteApplicationProjectsResponse::default())
}

fn member<T: DeserializeOwned>(config: &Map<String, Value>, key: &str) -> Option<T> {
    config
        .get(key)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn to_api(c: &Connection, uin: &str, project: ProjectRow, now: i64) -> Outcome<ApplicationProject> {
    let app = applications::find(c, uin, &project.app_id)?;
    let versions = versions::load_for_app(c, &project.app_id)?;
    let amount = packages::capacity(c, &project.id)?;
    let using = sessions::busy(c, &project.id, now)?;
    let derived = derive(&versions, now);
    let status = if amount == 0 {
        ProjectApplicationStatus::NoConcurrent
    } else if versions.iter().any(|v| v.status == Status::Inuse) {
        ProjectApplicationStatus::Online
    } else {
        match derived.run.as_str() {
            "ApplicationCreating" => ProjectApplicationStatus::ApplicationCreating,
            "ApplicationCreateFail" => ProjectApplicationStatus::ApplicationCreateFail,
            _ => ProjectApplicationStatus::ApplicationNoConfigured,
        }
    };
    let regions: Option<Vec<Region>> = versions
        .iter()
        .find(|v| v.status == Status::Inuse)
        .and_then(|v| v.to_api().application_version_regions);
    let mut p = ApplicationProject::default();
    p.application_params = member(&project.config, "ApplicationParams");
    p.resolution = member(&project.config, "Resolution");
    p.project_id = Some(project.id);
    p.name = Some(project.name);
    p.description = Some(project.description);
    p.r#type = Some(ConcurrencyType::from(project.concurrency_type.as_str()));
    p.application_id = Some(project.app_id);
    p.is_preload = Some(project.is_preload);
    p.amount = Some(amount);
    p.using = Some(using);
    p.application_status = Some(status);
    p.create_time = Some(db::iso8601(project.created_at));
    p.application_name = app.map(|a| a.name);
    p.project_type = Some(ProjectType::from(project.project_type.as_str()));
    p.application_regions = regions.clone();
    p.concurrent_regions = regions;
    p.project_category = Some(ApplicationCategory::from(project.category.as_str()));
    Ok(p)
}

/// The filter names DescribeApplicationProjects understands (Tencent lists none).
const PROJECT_FILTERS: &[&str] = &["ProjectId", "ProjectName", "ApplicationId"];

pub(crate) fn list(
    state: &CarState,
    cx: &CallContext,
    req: DescribeApplicationProjectsRequest,
) -> Result<DescribeApplicationProjectsResponse, ServiceError> {
    let page = db::page(req.offset, req.limit)?;
    let filters = req.filters.unwrap_or_default();
    for f in &filters {
        if !PROJECT_FILTERS.contains(&f.name.as_str()) {
            return Err(invalid_value(
                "Filters.Name",
                format_args!("one of {}", PROJECT_FILTERS.join(", ")),
                f.name.as_str(),
            ));
        }
    }
    processing::settle(state)?;
    let now = state.now();
    let projects = db::read(&state.store, |c| {
        let all: Vec<ProjectRow> = load_all(c, &cx.account.uin)?
            .into_iter()
            .filter(|p| {
                req.project_category
                    .as_ref()
                    .is_none_or(|cat| cat.as_str() == p.category)
            })
            .filter(|p| {
                filters.iter().all(|f| {
                    let field = match f.name.as_str() {
                        "ProjectId" => &p.id,
                        "ProjectName" => {
                            return f.values.iter().any(|v| p.name.contains(v.as_str()))
                        }
                        _ => &p.app_id,
                    };
                    f.values.iter().any(|v| v == field)
                })
            })
            .collect();
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let shown = db::slice(all, page)
            .into_iter()
            .map(|p| to_api(c, &cx.account.uin, p, now))
            .collect::<Outcome<Vec<_>>>()?;
        Ok((shown, total))
    })?;
    let mut out = DescribeApplicationProjectsResponse::default();
    out.total = Some(projects.1);
    out.projects = Some(projects.0);
    Ok(out)
}

pub(crate) fn advanced_config(
    state: &CarState,
    cx: &CallContext,
    req: DescribeApplicationProjectAdvancedConfigRequest,
) -> Result<DescribeApplicationProjectAdvancedConfigResponse, ServiceError> {
    let project = db::read(&state.store, |c| {
        find(c, &cx.account.uin, &req.project_id)?.ok_or_else(|| project_not_found(&req.project_id))
    })?;
    let cfg = &project.config;
    let mut out = DescribeApplicationProjectAdvancedConfigResponse::default();
    out.application_params = member(cfg, "ApplicationParams");
    out.resolution = member(cfg, "Resolution");
    out.fps = member(cfg, "FPS");
    out.min_bitrate = member(cfg, "MinBitrate");
    out.max_bitrate = member(cfg, "MaxBitrate");
    out.preload_duration = member(cfg, "PreloadDuration");
    out.reconnect_timeout = member(cfg, "ReconnectTimeout");
    out.upstream_audio_option = member(cfg, "UpstreamAudioOption");
    out.video_encode_config = member(cfg, "VideoEncodeConfig");
    out.xr_max_width = member(cfg, "XRMaxWidth");
    out.disable_video_codecs = member(cfg, "DisableVideoCodecs");
    out.background_image = member::<String>(cfg, "BackgroundImageCOSFileId").map(|id| {
        let mut image = BackgroundImage::default();
        image.cos_file_id = Some(id);
        image
    });
    Ok(out)
}
