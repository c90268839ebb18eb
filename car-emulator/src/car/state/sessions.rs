//! Sessions: ApplyConcurrent reserves one of a project's slots for a user for
//! [`RESERVATION_SECONDS`]; CreateSession turns a live reservation into a running
//! session; DestroySession frees the slot.

use std::net::IpAddr;

use base64::Engine;
use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::types::RunMode;
use car_api::ErrorCode;
use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension};

use super::db::{self, invalid_value, refuse, Outcome};
use super::versions::{self, Status};
use super::{applications, packages, processing, projects, CarState};
use crate::car::CallContext;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS car_sessions (
    account_uin     TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    project_id      TEXT NOT NULL REFERENCES car_projects (project_id) ON DELETE CASCADE,
    user_ip         TEXT NOT NULL,
    state           TEXT NOT NULL,
    lock_expires_at INTEGER NOT NULL,
    server_session  TEXT,
    publishing      INTEGER NOT NULL DEFAULT 0,
    publish_url     TEXT,
    publish_args    TEXT,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (account_uin, user_id)
);
CREATE INDEX IF NOT EXISTS car_sessions_project ON car_sessions (project_id);";

/// Seconds a reservation from ApplyConcurrent waits for CreateSession.
pub const RESERVATION_SECONDS: i64 = 30;

const RESERVED: &str = "reserved";
const RUNNING: &str = "running";

/// One user's reservation or session.
#[derive(Debug, Clone)]
pub(crate) struct SessionRow {
    pub user_id: String,
    pub project_id: String,
    pub state: String,
    pub lock_expires_at: i64,
    pub server_session: Option<String>,
    pub publishing: bool,
}

impl SessionRow {
    pub fn is_running(&self) -> bool {
        self.state == RUNNING
    }

    fn holds_slot(&self, now: i64) -> bool {
        self.is_running() || self.lock_expires_at > now
    }
}

pub(crate) fn find(c: &Connection, uin: &str, user_id: &str) -> Outcome<Option<SessionRow>> {
    Ok(db::one(
        c,
        "SELECT user_id, project_id, state, lock_expires_at, server_session, publishing
         FROM car_sessions WHERE account_uin = ?1 AND user_id = ?2",
        params![uin, user_id],
        |r| {
            Ok(SessionRow {
                user_id: r.get(0)?,
                project_id: r.get(1)?,
                state: r.get(2)?,
                lock_expires_at: r.get(3)?,
                server_session: r.get(4)?,
                publishing: r.get(5)?,
            })
        },
    )
    .optional()?)
}

/// The running session of `user_id`, or `ResourceNotFound.SessionNotFound`.
pub(crate) fn running(c: &Connection, uin: &str, user_id: &str) -> Outcome<SessionRow> {
    match find(c, uin, user_id)? {
        Some(s) if s.is_running() => Ok(s),
        _ => Err(refuse(
            ErrorCode::ResourceNotFoundSessionNotFound,
            format!("UserId {user_id:?} has no running session"),
        )),
    }
}

/// Slots of a project in use: running sessions and unexpired reservations.
pub(crate) fn busy(c: &Connection, project_id: &str, now: i64) -> Outcome<i64> {
    Ok(db::one(c,
        "SELECT COUNT(*) FROM car_sessions WHERE project_id = ?1 AND (state = 'running' OR lock_expires_at > ?2)",
        params![project_id, now],
        |r| r.get(0),
    )?)
}

/// Slots in use across all of an account's projects.
pub(crate) fn busy_in_account(c: &Connection, uin: &str, now: i64) -> Outcome<i64> {
    Ok(db::one(c,
        "SELECT COUNT(*) FROM car_sessions WHERE account_uin = ?1 AND (state = 'running' OR lock_expires_at > ?2)",
        params![uin, now],
        |r| r.get(0),
    )?)
}

fn check_user(user_id: &str) -> Result<(), ServiceError> {
    if user_id.trim().is_empty() || user_id.chars().count() > 64 {
        return Err(invalid_value(
            "UserId",
            "a non-blank user ID of at most 64 characters",
            user_id,
        ));
    }
    Ok(())
}

fn check_ip(user_ip: &str) -> Result<(), ServiceError> {
    if user_ip.parse::<IpAddr>().is_err() {
        return Err(invalid_value("UserIp", "an IPv4 or IPv6 address", user_ip));
    }
    Ok(())
}

pub(crate) fn apply(
    state: &CarState,
    cx: &CallContext,
    req: ApplyConcurrentRequest,
) -> Result<ApplyConcurrentResponse, ServiceError> {
    check_user(&req.user_id)?;
    check_ip(&req.user_ip)?;
    processing::settle(state)?;
    let now = state.now();
    db::write(&state.store, |tx| {
        let uin = &cx.account.uin;
        let project = projects::find(tx, uin, &req.project_id)?.ok_or_else(|| {
            invalid_value(
                "ProjectId",
                "the ID of one of this account's projects",
                &req.project_id,
            )
        })?;
        if let Some(app_id) = &req.application_id {
            if app_id != &project.app_id {
                return Err(invalid_value(
                    "ApplicationId",
                    format_args!("the project's application {}", project.app_id),
                    app_id,
                )
                .into());
            }
        }
        let app = applications::load(tx, uin, &project.app_id)?;
        let all = versions::load_for_app(tx, &app.id)?;
        match &req.application_version_id {
            Some(id) => {
                let v = versions::load(tx, &app.id, id, "ApplicationVersionId")?;
                if !matches!(v.status, Status::Inuse | Status::Usable | Status::Normal) {
                    return Err(invalid_value(
                        "ApplicationVersionId",
                        "a processed version (Normal, Usable or Inuse)",
                        format_args!("{} ({})", v.id, v.status.as_str()),
                    )
                    .into());
                }
            }
            None if !all.iter().any(|v| v.status == Status::Inuse) => {
                return Err(refuse(
                    ErrorCode::FailedOperation,
                    format!(
                        "application {} has no released version; release one with SetApplicationVersionOnline",
                        app.id
                    ),
                ))
            }
            None => {}
        }
        if let Some(existing) = find(tx, uin, &req.user_id)? {
            if existing.is_running() {
                return Err(refuse(
                    ErrorCode::FailedOperation,
                    format!(
                        "UserId {:?} already has a running session in project {}; DestroySession first",
                        existing.user_id, existing.project_id
                    ),
                ));
            }
            // A new reservation replaces the user's earlier one.
            tx.execute(
                "DELETE FROM car_sessions WHERE account_uin = ?1 AND user_id = ?2",
                params![uin, req.user_id],
            )?;
        }
        let capacity = packages::capacity(tx, &project.id)?;
        let used = busy(tx, &project.id, now)?;
        if used >= capacity {
            return Err(refuse(
                ErrorCode::ResourceNotFoundNoIdle,
                format!(
                    "project {} has no free slot: {used} of {capacity} in use (bind more concurrency packages or destroy sessions)",
                    project.id
                ),
            ));
        }
        tx.execute(
            "INSERT INTO car_sessions (account_uin, user_id, project_id, user_ip, state, lock_expires_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![uin, req.user_id, project.id, req.user_ip, RESERVED, now + RESERVATION_SECONDS, now],
        )?;
        Ok(())
    })?;
    Ok(ApplyConcurrentResponse::default())
}

fn server_session(user_id: &str) -> String {
    let nonce: [u8; 24] = rand::thread_rng().gen();
    let blob = serde_json::json!({
        "emulator": "car-emulator",
        "user": user_id,
        "nonce": hex::encode(nonce),
    });
    base64::engine::general_purpose::STANDARD.encode(blob.to_string())
}

pub(crate) fn create(
    state: &CarState,
    cx: &CallContext,
    req: CreateSessionRequest,
) -> Result<CreateSessionResponse, ServiceError> {
    check_user(&req.user_id)?;
    check_ip(&req.user_ip)?;
    let without_client = req.run_mode == Some(RunMode::RunWithoutClient);
    match req.client_session.as_deref() {
        None | Some("") if !without_client => {
            return Err(ServiceError::new(
                ErrorCode::InvalidParameterValue,
                "ClientSession must be the client's base64 session blob unless RunMode is RunWithoutClient; none was given",
            ))
        }
        // The blob carries connection secrets, so the message does not repeat it.
        Some(blob)
            if !blob.is_empty()
                && base64::engine::general_purpose::STANDARD
                    .decode(blob)
                    .is_err() =>
        {
            return Err(ServiceError::new(
                ErrorCode::InvalidParameterValue,
                format!(
                    "ClientSession must be base64 (as the client SDK produces it); the {} characters given are not",
                    blob.chars().count()
                ),
            ))
        }
        _ => {}
    }
    let now = state.now();
    // A lapsed reservation needs no clean-up: it holds no slot, ApplyConcurrent
    // replaces it and DestroySession treats it as absent.
    let blob = db::write(&state.store, |tx| {
        let uin = &cx.account.uin;
        let Some(row) = find(tx, uin, &req.user_id)? else {
            return Err(refuse(
                ErrorCode::FailedOperationLockTimeout,
                format!(
                    "UserId {:?} has no reserved slot; call ApplyConcurrent first",
                    req.user_id
                ),
            ));
        };
        if row.is_running() {
            // Reconnecting: the session is already up.
            return Ok(row.server_session.unwrap_or_default());
        }
        if !row.holds_slot(now) {
            return Err(refuse(
                ErrorCode::FailedOperationLockTimeout,
                format!(
                    "the slot reserved for UserId {:?} lapsed {RESERVATION_SECONDS} s after ApplyConcurrent; call ApplyConcurrent again",
                    req.user_id
                ),
            ));
        }
        let blob = server_session(&req.user_id);
        tx.execute(
            "UPDATE car_sessions SET state = ?3, server_session = ?4, user_ip = ?5
             WHERE account_uin = ?1 AND user_id = ?2",
            params![uin, req.user_id, RUNNING, blob, req.user_ip],
        )?;
        Ok(blob)
    })?;
    let mut out = CreateSessionResponse::default();
    out.server_session = blob;
    Ok(out)
}

pub(crate) fn destroy(
    state: &CarState,
    cx: &CallContext,
    req: DestroySessionRequest,
) -> Result<DestroySessionResponse, ServiceError> {
    let now = state.now();
    db::write(&state.store, |tx| {
        let uin = &cx.account.uin;
        match find(tx, uin, &req.user_id)? {
            Some(row) if row.holds_slot(now) => {
                tx.execute(
                    "DELETE FROM car_sessions WHERE account_uin = ?1 AND user_id = ?2",
                    params![uin, req.user_id],
                )?;
                Ok(())
            }
            _ => Err(refuse(
                ErrorCode::ResourceNotFoundSessionNotFound,
                format!("UserId {:?} has no session or reservation", req.user_id),
            )),
        }
    })?;
    Ok(DestroySessionResponse::default())
}
