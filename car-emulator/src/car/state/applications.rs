//! Applications: create, modify, delete, list and status. An application's run and
//! update status are not stored but derived from its versions, so they can never
//! disagree with what DescribeApplicationVersion shows.

use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::types::{
    ApplicationBaseInfo, ApplicationBaseInfoRequired, ApplicationCategory, ApplicationFilterName,
    ApplicationNature, ApplicationRunStatus, ApplicationType, ApplicationUpdateStatus,
    UserApplicationInfo, UserApplicationStatus, UserApplicationStore, UserMobileApplicationInfo,
    WindowCaptureMode, WindowUseType,
};
use car_api::ErrorCode;
use rusqlite::{params, Connection, OptionalExtension};

use super::db::{self, application_not_found, invalid_value, refuse, Outcome};
use super::versions::{self, Status, VersionRow};
use super::CarState;
use crate::car::CallContext;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS car_applications (
    application_id TEXT PRIMARY KEY,
    account_uin    TEXT NOT NULL,
    name           TEXT NOT NULL,
    app_type       TEXT NOT NULL,
    exe_path       TEXT NOT NULL,
    inter_list     TEXT NOT NULL,
    params         TEXT NOT NULL,
    base_info      TEXT NOT NULL,
    stores         TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS car_applications_account ON car_applications (account_uin, created_at);";

/// Applications one account may hold (the emulator's choice; CAR documents a limit
/// through `OperationDenied.ApplicationLimitExceeded` but not its size).
pub const MAX_APPLICATIONS: i64 = 100;

/// One application as stored.
#[derive(Debug, Clone)]
pub(crate) struct AppRow {
    pub id: String,
    pub name: String,
    pub app_type: String,
    pub exe_path: String,
    pub inter_list: String,
    pub params: String,
    pub base_info: String,
    pub stores: String,
    pub created_at: i64,
}

impl AppRow {
    pub fn is_mobile(&self) -> bool {
        self.app_type == ApplicationType::ApplicationApk.as_str()
    }
}

const APP_COLUMNS: &str =
    "application_id, name, app_type, exe_path, inter_list, params, base_info, stores, created_at";

fn app_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AppRow> {
    Ok(AppRow {
        id: r.get(0)?,
        name: r.get(1)?,
        app_type: r.get(2)?,
        exe_path: r.get(3)?,
        inter_list: r.get(4)?,
        params: r.get(5)?,
        base_info: r.get(6)?,
        stores: r.get(7)?,
        created_at: r.get(8)?,
    })
}

/// The application `id` of `uin`, or `FailedOperation.ApplicationNotFind`.
pub(crate) fn load(c: &Connection, uin: &str, id: &str) -> Outcome<AppRow> {
    find(c, uin, id)?.ok_or_else(|| application_not_found(id).into())
}

/// The application `id` of `uin`, if it has one.
pub(crate) fn find(c: &Connection, uin: &str, id: &str) -> Outcome<Option<AppRow>> {
    Ok(db::one(c,
        &format!(
            "SELECT {APP_COLUMNS} FROM car_applications WHERE account_uin = ?1 AND application_id = ?2"
        ),
        params![uin, id],
        app_from_row,
    )
    .optional()?)
}

fn load_all(c: &Connection, uin: &str) -> Outcome<Vec<AppRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {APP_COLUMNS} FROM car_applications WHERE account_uin = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = st.query_map([uin], app_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What an application's versions say about it as a whole.
pub(crate) struct Derived {
    pub run: ApplicationRunStatus,
    pub update: ApplicationUpdateStatus,
    pub progress: i64,
}

/// Run status, update status and progress from the versions (see BEHAVIOUR.md).
pub(crate) fn derive(versions: &[VersionRow], now: i64) -> Derived {
    let has = |s: Status| versions.iter().any(|v| v.status == s);
    let pending = versions
        .iter()
        .find(|v| matches!(v.status, Status::Uploading | Status::Creating));
    let update = if pending.is_some() {
        ApplicationUpdateStatus::ApplicationUpdateCreating
    } else if has(Status::CreateFailed) {
        ApplicationUpdateStatus::ApplicationUpdateCreateFail
    } else if has(Status::Normal) {
        ApplicationUpdateStatus::ApplicationUpdateNoReleased
    } else {
        ApplicationUpdateStatus::ApplicationUpdateNormal
    };
    let progress = match pending {
        Some(v) => v.progress(now),
        None => 100,
    };
    let run = if has(Status::Inuse) {
        ApplicationRunStatus::ApplicationRunning
    } else if pending.is_some() {
        ApplicationRunStatus::ApplicationCreating
    } else if has(Status::CreateFailed) {
        ApplicationRunStatus::ApplicationCreateFail
    } else if has(Status::Normal) || has(Status::Usable) {
        ApplicationRunStatus::ApplicationNoConfigured
    } else {
        ApplicationRunStatus::ApplicationNoPackage
    };
    Derived {
        run,
        update,
        progress,
    }
}

fn default_base_info() -> ApplicationBaseInfo {
    ApplicationBaseInfo::new(ApplicationBaseInfoRequired {
        window_use_type: WindowUseType::ApplicationDesktop,
    })
    .window_capture_mode(WindowCaptureMode::Hook)
}

fn check_name(parameter: &str, name: &str) -> Result<(), ServiceError> {
    let chars = name.chars().count();
    if name.trim().is_empty() || chars > 64 {
        return Err(invalid_value(
            parameter,
            "a non-blank name of at most 64 characters",
            name,
        ));
    }
    Ok(())
}

pub(crate) fn create(
    state: &CarState,
    cx: &CallContext,
    req: CreateApplicationRequest,
) -> Result<CreateApplicationResponse, ServiceError> {
    check_name("ApplicationName", &req.application_name)?;
    match req.application_type {
        ApplicationType::Application3D
        | ApplicationType::ApplicationXr
        | ApplicationType::ApplicationApk => {}
        ref other => {
            return Err(invalid_value(
                "ApplicationType",
                "one of Application3D, ApplicationXR, ApplicationAPK",
                other.as_str(),
            ))
        }
    }
    let now = state.now();
    let base_info = serde_json::to_string(&default_base_info())
        .map_err(|e| ServiceError::new(ErrorCode::InternalError, e.to_string()))?;
    let id = db::write(&state.store, |tx| {
        let held: i64 = db::one(
            tx,
            "SELECT COUNT(*) FROM car_applications WHERE account_uin = ?1",
            [&cx.account.uin],
            |r| r.get(0),
        )?;
        if held >= MAX_APPLICATIONS {
            return Err(refuse(
                ErrorCode::OperationDeniedApplicationLimitExceeded,
                format!("the account already holds {held} applications, the most the emulator allows; delete one first"),
            ));
        }
        let id = db::fresh_id("app", |id| {
            db::one(
                tx,
                "SELECT EXISTS (SELECT 1 FROM car_applications WHERE application_id = ?1)",
                [id],
                |r| r.get(0),
            )
        })?;
        tx.execute(
            "INSERT INTO car_applications (application_id, account_uin, name, app_type, exe_path, inter_list, params, base_info, stores, created_at)
             VALUES (?1, ?2, ?3, ?4, '', '', '', ?5, '[]', ?6)",
            params![id, cx.account.uin, req.application_name, req.application_type.as_str(), base_info, now],
        )?;
        Ok(id)
    })?;
    let mut out = CreateApplicationResponse::default();
    out.application_id = id;
    Ok(out)
}

pub(crate) fn modify_base_info(
    state: &CarState,
    cx: &CallContext,
    req: ModifyApplicationBaseInfoRequest,
) -> Result<ModifyApplicationBaseInfoResponse, ServiceError> {
    if let Some(name) = &req.application_name {
        check_name("ApplicationName", name)?;
    }
    let base_info = serde_json::to_string(&req.application_base_info)
        .map_err(|e| ServiceError::new(ErrorCode::InternalError, e.to_string()))?;
    let stores = match &req.application_stores {
        Some(s) => Some(
            serde_json::to_string(s)
                .map_err(|e| ServiceError::new(ErrorCode::InternalError, e.to_string()))?,
        ),
        None => None,
    };
    db::write(&state.store, |tx| {
        let app = load(tx, &cx.account.uin, &req.application_id)?;
        if app.is_mobile() {
            return Err(invalid_value(
                "ApplicationId",
                "a desktop application (ApplicationAPK apps are changed with ModifyMobileApplicationInfo)",
                &req.application_id,
            )
            .into());
        }
        tx.execute(
            "UPDATE car_applications SET exe_path = ?2, inter_list = ?3, base_info = ?4,
                 params = COALESCE(?5, params), name = COALESCE(?6, name), stores = COALESCE(?7, stores)
             WHERE application_id = ?1",
            params![
                app.id,
                req.application_exe_path,
                req.application_inter_list,
                base_info,
                req.application_params,
                req.application_name,
                stores
            ],
        )?;
        Ok(())
    })?;
    Ok(ModifyApplicationBaseInfoResponse::default())
}

pub(crate) fn modify_mobile_info(
    state: &CarState,
    cx: &CallContext,
    req: ModifyMobileApplicationInfoRequest,
) -> Result<ModifyMobileApplicationInfoResponse, ServiceError> {
    check_name("ApplicationName", &req.application_name)?;
    db::write(&state.store, |tx| {
        let app = load(tx, &cx.account.uin, &req.application_id)?;
        if !app.is_mobile() {
            return Err(invalid_value(
                "ApplicationId",
                "an ApplicationAPK application (desktop apps are changed with ModifyApplicationBaseInfo)",
                &req.application_id,
            )
            .into());
        }
        tx.execute(
            "UPDATE car_applications SET name = ?2 WHERE application_id = ?1",
            params![app.id, req.application_name],
        )?;
        Ok(())
    })?;
    Ok(ModifyMobileApplicationInfoResponse::default())
}

pub(crate) fn delete(
    state: &CarState,
    cx: &CallContext,
    req: DeleteApplicationRequest,
) -> Result<DeleteApplicationResponse, ServiceError> {
    super::processing::settle(state)?;
    db::write(&state.store, |tx| {
        let app = load(tx, &cx.account.uin, &req.application_id)?;
        let projects: Vec<String> = {
            let mut st = tx.prepare_cached(
                "SELECT project_id FROM car_projects WHERE application_id = ?1 ORDER BY project_id",
            )?;
            let rows = st.query_map([&app.id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if !projects.is_empty() {
            return Err(refuse(
                ErrorCode::FailedOperationApplicationLockFail,
                format!(
                    "application {} is used by project(s) {}; delete them first (DeleteApplicationProjects)",
                    app.id,
                    projects.join(", ")
                ),
            ));
        }
        let busy: Vec<VersionRow> = versions::load_for_app(tx, &app.id)?
            .into_iter()
            .filter(|v| {
                matches!(
                    v.status,
                    Status::Inuse | Status::Creating | Status::Deleting
                )
            })
            .collect();
        if let Some(v) = busy.first() {
            return Err(refuse(
                ErrorCode::FailedOperationVersionLockFail,
                format!(
                    "version {} of application {} is {}; an application cannot be deleted while a version is live, being processed or being deleted",
                    v.id,
                    app.id,
                    v.status.as_str()
                ),
            ));
        }
        tx.execute(
            "DELETE FROM car_applications WHERE application_id = ?1",
            [&app.id],
        )?;
        Ok(())
    })?;
    Ok(DeleteApplicationResponse::default())
}

/// An application with everything a listing shows about it.
struct Listed {
    app: AppRow,
    versions: Vec<VersionRow>,
    derived: Derived,
}

fn listed(c: &Connection, uin: &str, now: i64) -> Outcome<Vec<Listed>> {
    load_all(c, uin)?
        .into_iter()
        .map(|app| {
            let versions = versions::load_for_app(c, &app.id)?;
            let derived = derive(&versions, now);
            Ok(Listed {
                app,
                versions,
                derived,
            })
        })
        .collect()
}

fn matches_filter(item: &Listed, name: &ApplicationFilterName, values: &[String]) -> bool {
    let field = match name {
        ApplicationFilterName::ApplicationId => item.app.id.as_str(),
        ApplicationFilterName::ApplicationName => {
            return values.iter().any(|v| item.app.name.contains(v.as_str()))
        }
        ApplicationFilterName::ApplicationRunStatus => item.derived.run.as_str(),
        ApplicationFilterName::ApplicationUpdateStatus => item.derived.update.as_str(),
        _ => return false,
    };
    values.iter().any(|v| v == field)
}

fn desktop_info(item: Listed) -> UserApplicationInfo {
    let mut info = UserApplicationInfo::default();
    info.application_base_info =
        serde_json::from_str(&item.app.base_info).unwrap_or_else(|_| default_base_info());
    info.application_stores =
        serde_json::from_str::<Vec<UserApplicationStore>>(&item.app.stores).unwrap_or_default();
    info.application_id = item.app.id;
    info.application_name = item.app.name;
    info.application_type = ApplicationType::from(item.app.app_type.as_str());
    info.application_exe_path = item.app.exe_path;
    info.application_inter_list = item.app.inter_list;
    info.application_params = item.app.params;
    info.application_run_status = item.derived.run;
    info.application_update_status = item.derived.update;
    info.application_update_progress = item.derived.progress;
    info.application_create_time = db::iso8601(item.app.created_at);
    info.application_versions = item.versions.iter().map(VersionRow::to_api).collect();
    info.application_nature = ApplicationNature::Private;
    info
}

fn mobile_info(item: Listed) -> UserMobileApplicationInfo {
    let mut info = UserMobileApplicationInfo::default();
    info.application_id = item.app.id;
    info.application_name = item.app.name;
    info.application_type = ApplicationType::from(item.app.app_type.as_str());
    info.application_run_status = item.derived.run;
    info.application_update_status = item.derived.update;
    info.application_create_time = db::iso8601(item.app.created_at);
    info.application_versions = item.versions.iter().map(VersionRow::to_api).collect();
    info.application_nature = ApplicationNature::Private;
    info
}

pub(crate) fn list(
    state: &CarState,
    cx: &CallContext,
    req: DescribeApplicationListRequest,
) -> Result<DescribeApplicationListResponse, ServiceError> {
    let page = db::page(Some(req.offset), Some(req.limit))?;
    let filters = req.filters.unwrap_or_default();
    for f in &filters {
        if f.name.is_unknown() {
            return Err(invalid_value(
                "Filters.Name",
                "one of ApplicationId, ApplicationName, ApplicationRunStatus, ApplicationUpdateStatus",
                f.name.as_str(),
            ));
        }
    }
    let mobile_wanted = match &req.application_category {
        None => None,
        Some(ApplicationCategory::Desktop) => Some(false),
        Some(ApplicationCategory::Mobile) => Some(true),
        Some(other) => {
            return Err(invalid_value(
                "ApplicationCategory",
                "DESKTOP or MOBILE",
                other.as_str(),
            ))
        }
    };
    super::processing::settle(state)?;
    let now = state.now();
    let all = db::read(&state.store, |c| listed(c, &cx.account.uin, now))?;
    let matching: Vec<Listed> = all
        .into_iter()
        .filter(|item| mobile_wanted.is_none_or(|m| item.app.is_mobile() == m))
        .filter(|item| {
            filters
                .iter()
                .all(|f| matches_filter(item, &f.name, &f.values))
        })
        .collect();
    let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
    let mut out = DescribeApplicationListResponse::default();
    for item in db::slice(matching, page) {
        if item.app.is_mobile() {
            out.user_mobile_application_list.push(mobile_info(item));
        } else {
            out.user_application_list.push(desktop_info(item));
        }
    }
    out.application_total = total;
    Ok(out)
}

pub(crate) fn status(
    state: &CarState,
    cx: &CallContext,
    req: DescribeApplicationStatusRequest,
) -> Result<DescribeApplicationStatusResponse, ServiceError> {
    super::processing::settle(state)?;
    let now = state.now();
    let list = db::read(&state.store, |c| {
        req.application_id_list
            .iter()
            .map(|id| {
                let app = find(c, &cx.account.uin, id)?.ok_or_else(|| {
                    invalid_value(
                        "ApplicationIdList",
                        "IDs of this account's applications",
                        id,
                    )
                })?;
                let derived = derive(&versions::load_for_app(c, &app.id)?, now);
                let mut s = UserApplicationStatus::default();
                s.application_id = app.id;
                s.application_run_status = derived.run;
                s.application_update_status = derived.update;
                s.application_update_progress = derived.progress;
                Ok(s)
            })
            .collect::<Outcome<Vec<_>>>()
    })?;
    let mut out = DescribeApplicationStatusResponse::default();
    out.status_list = list;
    Ok(out)
}
