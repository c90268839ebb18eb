//! Concurrency packages: the account's prepaid capacity. Every account starts with the
//! packages in [`STARTER_PACKAGES`]; binding one to a project adds its slots to the
//! project's capacity, which ApplyConcurrent draws on.

use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::types::ApplicationConcurrentPackage;
use car_api::ErrorCode;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::{json, Value};

use super::db::{self, invalid_value, refuse, Outcome};
use super::{projects, sessions, CarState};
use crate::car::CallContext;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS car_accounts (
    account_uin TEXT PRIMARY KEY,
    seeded_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS car_packages (
    concurrent_id    TEXT PRIMARY KEY,
    account_uin      TEXT NOT NULL,
    name             TEXT NOT NULL,
    concurrency_type TEXT NOT NULL,
    amount           INTEGER NOT NULL,
    project_id       TEXT REFERENCES car_projects (project_id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS car_packages_account ON car_packages (account_uin);
CREATE INDEX IF NOT EXISTS car_packages_project ON car_packages (project_id);";

/// The packages every account starts with: (name, concurrency type, slots).
pub const STARTER_PACKAGES: &[(&str, &str, i64)] = &[
    ("emulator-s1-a", "S1", 2),
    ("emulator-s1-b", "S1", 2),
    ("emulator-l1", "L1", 1),
];

/// One package as stored.
#[derive(Debug, Clone)]
pub(crate) struct PackageRow {
    pub id: String,
    pub name: String,
    pub concurrency_type: String,
    pub amount: i64,
    pub project_id: Option<String>,
    pub created_at: i64,
}

const PACKAGE_COLUMNS: &str =
    "concurrent_id, name, concurrency_type, amount, project_id, created_at";

fn package_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PackageRow> {
    Ok(PackageRow {
        id: r.get(0)?,
        name: r.get(1)?,
        concurrency_type: r.get(2)?,
        amount: r.get(3)?,
        project_id: r.get(4)?,
        created_at: r.get(5)?,
    })
}

/// Gives an account it has never seen its starter packages, taking a write transaction
/// only the first time (reads must not pay for a synced commit).
fn seed(state: &CarState, uin: &str) -> Result<(), ServiceError> {
    let seeded: bool = db::read(&state.store, |c| {
        Ok(db::one(
            c,
            "SELECT EXISTS (SELECT 1 FROM car_accounts WHERE account_uin = ?1)",
            [uin],
            |r| r.get(0),
        )?)
    })?;
    if seeded {
        return Ok(());
    }
    let now = state.now();
    db::write(&state.store, |tx| ensure_seeded(tx, uin, now))
}

/// Gives an account it has never seen its starter packages.
fn ensure_seeded(tx: &Transaction<'_>, uin: &str, now: i64) -> Outcome<()> {
    let fresh = tx.execute(
        "INSERT OR IGNORE INTO car_accounts (account_uin, seeded_at) VALUES (?1, ?2)",
        params![uin, now],
    )?;
    if fresh == 0 {
        return Ok(());
    }
    for (i, (name, kind, amount)) in STARTER_PACKAGES.iter().enumerate() {
        let id = db::fresh_id("cp", |id| {
            db::one(
                tx,
                "SELECT EXISTS (SELECT 1 FROM car_packages WHERE concurrent_id = ?1)",
                [id],
                |r| r.get(0),
            )
        })?;
        // Distinct creation times keep the listing order stable.
        let created = now + i64::try_from(i).unwrap_or(0);
        tx.execute(
            "INSERT INTO car_packages (concurrent_id, account_uin, name, concurrency_type, amount, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, uin, name, kind, amount, created],
        )?;
    }
    Ok(())
}

fn load_all(c: &Connection, uin: &str) -> Outcome<Vec<PackageRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {PACKAGE_COLUMNS} FROM car_packages WHERE account_uin = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = st.query_map([uin], package_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn load(c: &Connection, uin: &str, id: &str, parameter: &str) -> Outcome<PackageRow> {
    db::one(c,
        &format!("SELECT {PACKAGE_COLUMNS} FROM car_packages WHERE account_uin = ?1 AND concurrent_id = ?2"),
        params![uin, id],
        package_from_row,
    )
    .optional()?
    .ok_or_else(|| invalid_value(parameter, "IDs of this account's concurrency packages", id).into())
}

/// The packages bound to a project.
pub(crate) fn bound_to(c: &Connection, project_id: &str) -> Outcome<Vec<PackageRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {PACKAGE_COLUMNS} FROM car_packages WHERE project_id = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = st.query_map([project_id], package_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The slots a project has: the sum of its bound packages.
pub(crate) fn capacity(c: &Connection, project_id: &str) -> Outcome<i64> {
    Ok(db::one(
        c,
        "SELECT COALESCE(SUM(amount), 0) FROM car_packages WHERE project_id = ?1",
        [project_id],
        |r| r.get(0),
    )?)
}

fn to_api(p: PackageRow) -> ApplicationConcurrentPackage {
    let mut out = ApplicationConcurrentPackage::default();
    out.extra = match json!({
        "ConcurrentId": p.id,
        "Name": p.name,
        "Type": p.concurrency_type,
        "Amount": p.amount,
        "ProjectId": p.project_id.unwrap_or_default(),
        "CreateTime": db::iso8601(p.created_at),
    }) {
        Value::Object(members) => members,
        _ => serde_json::Map::new(),
    };
    out
}

/// The filter names DescribeConcurrentPackages understands (Tencent lists none).
const PACKAGE_FILTERS: &[&str] = &["ConcurrentId", "ProjectId", "Type", "Name"];

pub(crate) fn list(
    state: &CarState,
    cx: &CallContext,
    req: DescribeConcurrentPackagesRequest,
) -> Result<DescribeConcurrentPackagesResponse, ServiceError> {
    let page = db::page(req.offset, req.limit)?;
    let filters = req.filters.unwrap_or_default();
    for f in &filters {
        if !PACKAGE_FILTERS.contains(&f.name.as_str()) {
            return Err(invalid_value(
                "Filters.Name",
                format_args!("one of {}", PACKAGE_FILTERS.join(", ")),
                f.name.as_str(),
            ));
        }
    }
    seed(state, &cx.account.uin)?;
    let all = db::read(&state.store, |c| load_all(c, &cx.account.uin))?;
    let matching: Vec<PackageRow> = all
        .into_iter()
        .filter(|p| {
            filters.iter().all(|f| {
                let field = match f.name.as_str() {
                    "ConcurrentId" => p.id.as_str(),
                    "ProjectId" => p.project_id.as_deref().unwrap_or_default(),
                    "Type" => p.concurrency_type.as_str(),
                    _ => p.name.as_str(),
                };
                f.values.iter().any(|v| v == field)
            })
        })
        .collect();
    let mut out = DescribeConcurrentPackagesResponse::default();
    out.total = Some(i64::try_from(matching.len()).unwrap_or(i64::MAX));
    out.concurrent_packages = Some(db::slice(matching, page).into_iter().map(to_api).collect());
    Ok(out)
}

pub(crate) fn summary(
    state: &CarState,
    cx: &CallContext,
    _req: DescribeConcurrentSummaryRequest,
) -> Result<DescribeConcurrentSummaryResponse, ServiceError> {
    seed(state, &cx.account.uin)?;
    let all = db::read(&state.store, |c| load_all(c, &cx.account.uin))?;
    let mut out = DescribeConcurrentSummaryResponse::default();
    out.prepaid_concurrent_total = all
        .iter()
        .map(|p| u64::try_from(p.amount).unwrap_or(0))
        .sum();
    // The emulator has prepaid packages only.
    out.hourly_remain_duration = "0h0m0s".to_string();
    Ok(out)
}

pub(crate) fn count(
    state: &CarState,
    cx: &CallContext,
    req: DescribeConcurrentCountRequest,
) -> Result<DescribeConcurrentCountResponse, ServiceError> {
    if let Some(cat) = &req.application_category {
        if cat.is_unknown() {
            return Err(invalid_value(
                "ApplicationCategory",
                "DESKTOP or MOBILE",
                cat.as_str(),
            ));
        }
    }
    seed(state, &cx.account.uin)?;
    let now = state.now();
    let (total, running) = db::read(&state.store, |tx| {
        let uin = &cx.account.uin;
        if let Some(id) = &req.project_id {
            let project = projects::find(tx, uin, id)?.ok_or_else(|| {
                invalid_value("ProjectId", "the ID of one of this account's projects", id)
            })?;
            return Ok((
                capacity(tx, &project.id)?,
                sessions::busy(tx, &project.id, now)?,
            ));
        }
        let packages = load_all(tx, uin)?;
        match &req.application_category {
            None => Ok((
                packages.iter().map(|p| p.amount).sum(),
                sessions::busy_in_account(tx, uin, now)?,
            )),
            Some(cat) => {
                let mut total = 0;
                let mut running = 0;
                let mut st = tx.prepare_cached(
                    "SELECT project_id FROM car_projects WHERE account_uin = ?1 AND category = ?2",
                )?;
                let ids = st
                    .query_map(params![uin, cat.as_str()], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                for id in ids {
                    total += capacity(tx, &id)?;
                    running += sessions::busy(tx, &id, now)?;
                }
                Ok((total, running))
            }
        }
    })?;
    let mut out = DescribeConcurrentCountResponse::default();
    out.total = u64::try_from(total).unwrap_or(0);
    out.running = u64::try_from(running).unwrap_or(0);
    Ok(out)
}

fn check_ids(parameter: &str, ids: &[String]) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Err(invalid_value(
            parameter,
            "a list of one or more package IDs",
            "[]",
        ));
    }
    Ok(())
}

pub(crate) fn bind(
    state: &CarState,
    cx: &CallContext,
    req: BindConcurrentPackagesToProjectRequest,
) -> Result<BindConcurrentPackagesToProjectResponse, ServiceError> {
    check_ids("ConcurrentIds", &req.concurrent_ids)?;
    let now = state.now();
    db::write(&state.store, |tx| {
        let uin = &cx.account.uin;
        ensure_seeded(tx, uin, now)?;
        let project = projects::find(tx, uin, &req.project_id)?.ok_or_else(|| {
            invalid_value(
                "ProjectId",
                "the ID of one of this account's projects",
                &req.project_id,
            )
        })?;
        for id in &req.concurrent_ids {
            let p = load(tx, uin, id, "ConcurrentIds")?;
            match &p.project_id {
                Some(bound) if bound == &project.id => continue,
                Some(bound) => {
                    return Err(refuse(
                        ErrorCode::FailedOperation,
                        format!(
                            "package {} is bound to project {bound}; unbind it first",
                            p.id
                        ),
                    ))
                }
                None => {}
            }
            if p.concurrency_type != project.concurrency_type {
                return Err(refuse(
                    ErrorCode::FailedOperation,
                    format!(
                        "package {} is of type {} but project {} runs on {}",
                        p.id, p.concurrency_type, project.id, project.concurrency_type
                    ),
                ));
            }
            tx.execute(
                "UPDATE car_packages SET project_id = ?2 WHERE concurrent_id = ?1",
                params![p.id, project.id],
            )?;
        }
        Ok(())
    })?;
    Ok(BindConcurrentPackagesToProjectResponse::default())
}

pub(crate) fn unbind(
    state: &CarState,
    cx: &CallContext,
    req: UnbindConcurrentPackagesFromProjectRequest,
) -> Result<UnbindConcurrentPackagesFromProjectResponse, ServiceError> {
    check_ids("ConcurrentIds", &req.concurrent_ids)?;
    let now = state.now();
    db::write(&state.store, |tx| {
        let uin = &cx.account.uin;
        ensure_seeded(tx, uin, now)?;
        if let Some(id) = &req.project_id {
            projects::find(tx, uin, id)?.ok_or_else(|| {
                invalid_value("ProjectId", "the ID of one of this account's projects", id)
            })?;
        }
        let mut touched = Vec::new();
        for id in &req.concurrent_ids {
            let p = load(tx, uin, id, "ConcurrentIds")?;
            let Some(bound) = p.project_id else { continue };
            if req
                .project_id
                .as_ref()
                .is_some_and(|wanted| wanted != &bound)
            {
                return Err(refuse(
                    ErrorCode::FailedOperation,
                    format!(
                        "package {} is bound to project {bound}, not to the ProjectId given",
                        p.id
                    ),
                ));
            }
            tx.execute(
                "UPDATE car_packages SET project_id = NULL WHERE concurrent_id = ?1",
                [&p.id],
            )?;
            touched.push(bound);
        }
        for project in touched {
            let (left, busy) = (capacity(tx, &project)?, sessions::busy(tx, &project, now)?);
            if busy > left {
                return Err(refuse(
                    ErrorCode::FailedOperation,
                    format!(
                        "project {project} has {busy} slot(s) in use and would keep only {left}; destroy sessions first"
                    ),
                ));
            }
        }
        Ok(())
    })?;
    Ok(UnbindConcurrentPackagesFromProjectResponse::default())
}

pub(crate) fn modify(
    state: &CarState,
    cx: &CallContext,
    req: ModifyConcurrentPackageRequest,
) -> Result<ModifyConcurrentPackageResponse, ServiceError> {
    if req.name.trim().is_empty() || req.name.chars().count() > 64 {
        return Err(invalid_value(
            "Name",
            "a non-blank name of at most 64 characters",
            &req.name,
        ));
    }
    let now = state.now();
    db::write(&state.store, |tx| {
        ensure_seeded(tx, &cx.account.uin, now)?;
        let p = load(tx, &cx.account.uin, &req.concurrent_id, "ConcurrentId")?;
        tx.execute(
            "UPDATE car_packages SET name = ?2 WHERE concurrent_id = ?1",
            params![p.id, req.name],
        )?;
        Ok(())
    })?;
    Ok(ModifyConcurrentPackageResponse::default())
}

pub(crate) fn reset(
    state: &CarState,
    cx: &CallContext,
    req: ResetConcurrentPackagesRequest,
) -> Result<ResetConcurrentPackagesResponse, ServiceError> {
    check_ids("ConcurrentPackageIds", &req.concurrent_package_ids)?;
    let now = state.now();
    db::write(&state.store, |tx| {
        ensure_seeded(tx, &cx.account.uin, now)?;
        for id in &req.concurrent_package_ids {
            let p = load(tx, &cx.account.uin, id, "ConcurrentPackageIds")?;
            if let Some(project) = p.project_id {
                // Slots are not pinned to packages, so resetting a package restarts every
                // session of the project it serves.
                tx.execute("DELETE FROM car_sessions WHERE project_id = ?1", [&project])?;
            }
        }
        Ok(())
    })?;
    Ok(ResetConcurrentPackagesResponse::default())
}
