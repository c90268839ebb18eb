//! What happens to a package after CreateApplicationSnapshot: the version is `Creating`
//! for [`PROCESSING_SECONDS`] on the emulator's clock, then the package is read (a zip's
//! directory is listed; `.rar`/`.7z` are only recognised by their signature) and the
//! version becomes `Normal`, or `CreateFailed` when the package is missing or unreadable.
//! The listing answers DescribeApplicationPathList and DescribeApplicationFileInfo.

use std::fs::File;
use std::io::{BufReader, Read, Seek};

use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::types::{FileState, UserApplicationFileInfo};
use car_api::ErrorCode;
use rusqlite::{params, Connection};

use super::applications;
use super::db::{self, invalid_value, refuse, Outcome};
use super::versions::{self, Status, VersionRow};
use super::CarState;
use crate::car::CallContext;

/// Seconds between CreateApplicationSnapshot and the version's processing result, unless
/// [`CarState::with_processing_delay`] says otherwise.
pub const PROCESSING_SECONDS: i64 = 6;

const COS_SOURCE: &str = "cos:";
const FILE_SOURCE: &str = "file:";

/// The COS key DescribeCosCredential names for a version: `<uin>/<app>/<version>/<app>.<ext>`.
pub(crate) fn package_key(uin: &str, app_id: &str, version_id: &str, ext: &str) -> String {
    format!("{uin}/{app_id}/{version_id}/{app_id}.{ext}")
}

/// What reading a package found.
struct Package {
    size: i64,
    files: Vec<String>,
}

/// What the last settling saw, so later calls can tell that nothing can be due yet
/// without asking the database: the connection's change count then (any write since
/// may have started processing or a deletion) and the earliest moment work was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Horizon {
    changes: u64,
    due: i64,
}

/// The store's state as far as settling is concerned, read under one hold of the
/// connection so the change count belongs to the due time found.
fn horizon(c: &Connection) -> rusqlite::Result<Horizon> {
    let due: Option<i64> = db::one(
        c,
        "SELECT MIN(at) FROM (
             SELECT MIN(ready_at) AS at FROM car_versions WHERE status = 'Creating'
             UNION ALL
             SELECT MIN(delete_at) FROM car_versions WHERE status = 'Deleting')",
        [],
        |r| r.get(0),
    )?;
    Ok(Horizon {
        changes: c.total_changes(),
        due: due.unwrap_or(i64::MAX),
    })
}

/// Finishes due work: versions whose processing time is over get their result, versions
/// whose deletion time is over disappear. Called before any action reads versions.
pub(crate) fn settle(state: &CarState) -> Result<(), ServiceError> {
    let now = state.now();
    // The store has one connection, so its change count sees every write, whoever
    // made it; while it stands still, what was not due at the last look becomes due
    // only when the clock reaches the earliest due time then found.
    let quiet = db::read(&state.store, |c| {
        let last = *state.horizon.lock().unwrap_or_else(|p| p.into_inner());
        Ok(last.is_some_and(|h| h.changes == c.total_changes() && now < h.due))
    })?;
    if quiet {
        return Ok(());
    }
    settle_due(state, now)?;
    db::read(&state.store, |c| {
        let found = horizon(c)?;
        *state.horizon.lock().unwrap_or_else(|p| p.into_inner()) = Some(found);
        Ok(())
    })
}

fn settle_due(state: &CarState, now: i64) -> Result<(), ServiceError> {
    let due: Vec<(VersionRow, String)> = db::read(&state.store, |c| {
        let mut st = c.prepare_cached(
            "SELECT v.version_id, a.account_uin FROM car_versions v
             JOIN car_applications a ON a.application_id = v.application_id
             WHERE v.status = 'Creating' AND v.ready_at <= ?1",
        )?;
        let ids = st
            .query_map([now], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.into_iter()
            .filter_map(|(id, uin)| match versions::load_by_id(c, &id) {
                Ok(Some(v)) => Some(Ok((v, uin))),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            })
            .collect()
    })?;
    for (version, uin) in due {
        // Read outside any transaction: the package may be large, and the object lookup
        // takes the store itself.
        let result = read_package(state, &version);
        match &result {
            Ok(p) => {
                tracing::info!(version = %version.id, account = %uin, files = p.files.len(), "package processed")
            }
            Err(why) => {
                tracing::info!(version = %version.id, account = %uin, %why, "package processing failed")
            }
        }
        db::write(&state.store, |tx| record(tx, &version, result))?;
    }
    let deletions_due: bool = db::read(&state.store, |c| {
        Ok(db::one(c,
            "SELECT EXISTS (SELECT 1 FROM car_versions WHERE status = 'Deleting' AND delete_at <= ?1)",
            [now],
            |r| r.get(0),
        )?)
    })?;
    // Most calls find nothing due; they must not pay for a write transaction.
    if !deletions_due {
        return Ok(());
    }
    db::write(&state.store, |tx| {
        tx.execute(
            "DELETE FROM car_versions WHERE status = 'Deleting' AND delete_at <= ?1",
            [now],
        )?;
        Ok(())
    })
}

fn record(tx: &Connection, version: &VersionRow, result: Result<Package, String>) -> Outcome<()> {
    let still_creating: bool = db::one(
        tx,
        "SELECT EXISTS (SELECT 1 FROM car_versions WHERE version_id = ?1 AND status = 'Creating')",
        [&version.id],
        |r| r.get(0),
    )?;
    if !still_creating {
        return Ok(());
    }
    match result {
        Ok(package) => {
            tx.execute(
                "UPDATE car_versions SET status = 'Normal', size = ?2, failure = NULL WHERE version_id = ?1",
                params![version.id, package.size],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO car_version_files (version_id, path) VALUES (?1, ?2)",
            )?;
            for path in &package.files {
                insert.execute(params![version.id, path])?;
            }
            if version.update_mode == "INCREMENT" {
                // An increment adds to the files of the version that is live when it
                // completes.
                tx.execute(
                    "INSERT OR IGNORE INTO car_version_files (version_id, path)
                     SELECT ?1, f.path FROM car_version_files f
                     JOIN car_versions v ON v.version_id = f.version_id
                     WHERE v.application_id = ?2 AND v.status = 'Inuse'",
                    params![version.id, version.app_id],
                )?;
            }
        }
        Err(why) => {
            tx.execute(
                "UPDATE car_versions SET status = 'CreateFailed', failure = ?2 WHERE version_id = ?1",
                params![version.id, why],
            )?;
        }
    }
    Ok(())
}

fn read_package(state: &CarState, version: &VersionRow) -> Result<Package, String> {
    let source = version.source.as_deref().unwrap_or_default();
    let (mut body, size, name): (Box<dyn ReadSeek>, u64, String) =
        if let Some(key) = source.strip_prefix(COS_SOURCE) {
            match crate::objects::lookup(&state.store, &state.cos.bucket, key) {
                Ok(Some(meta)) => {
                    let body = meta
                        .open()
                        .map_err(|e| format!("cannot read object {key}: {e}"))?;
                    (Box::new(body), meta.size, key.to_string())
                }
                Ok(None) => return Err(format!("no object {key} in bucket {}", state.cos.bucket)),
                Err(e) => return Err(format!("object lookup failed: {e}")),
            }
        } else if let Some(path) = source.strip_prefix(FILE_SOURCE) {
            let file = File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let size = file
                .metadata()
                .map_err(|e| format!("cannot read {path}: {e}"))?
                .len();
            (Box::new(file), size, path.to_string())
        } else {
            return Err(format!("unknown package source {source:?}"));
        };
    let files = match versions::extension(&name).as_deref() {
        Some("zip" | "apk" | "xapk") => list_zip(body)?,
        Some("rar") => {
            check_signature(&mut body, b"Rar!\x1a\x07", "RAR")?;
            Vec::new()
        }
        Some("7z") => {
            check_signature(&mut body, b"7z\xbc\xaf\x27\x1c", "7z")?;
            Vec::new()
        }
        _ => return Err(format!("{name} is not a package type CAR accepts")),
    };
    Ok(Package {
        size: i64::try_from(size).unwrap_or(i64::MAX),
        files,
    })
}

/// A package body: a file, or an object's pieces read as one.
trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// The file names in a zip, read from its central directory and each entry's local
/// header (seeking, never loading the archive).
fn list_zip(body: Box<dyn ReadSeek>) -> Result<Vec<String>, String> {
    let mut archive = zip::ZipArchive::new(BufReader::new(body))
        .map_err(|e| format!("not a readable zip archive: {e}"))?;
    let mut files = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| format!("zip entry {i} is damaged: {e}"))?;
        if !entry.is_dir() {
            files.push(normalise(entry.name()));
        }
    }
    if files.is_empty() {
        return Err("the package holds no files".to_string());
    }
    Ok(files)
}

fn check_signature(body: &mut dyn ReadSeek, magic: &[u8], kind: &str) -> Result<(), String> {
    let mut head = vec![0u8; magic.len()];
    body.read_exact(&mut head)
        .map_err(|e| format!("cannot read the {kind} signature: {e}"))?;
    if head != magic {
        return Err(format!("not a {kind} archive"));
    }
    Ok(())
}

/// A package path in one spelling: `/` separators, no leading `./` or `/`.
fn normalise(path: &str) -> String {
    let forward = path.replace('\\', "/");
    let mut rest = forward.as_str();
    loop {
        if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('/') {
            rest = r;
        } else {
            return rest.to_string();
        }
    }
}

pub(crate) fn create_snapshot(
    state: &CarState,
    cx: &CallContext,
    req: CreateApplicationSnapshotRequest,
) -> Result<CreateApplicationSnapshotResponse, ServiceError> {
    let url = req.application_download_url.trim();
    let file_source = if url.is_empty() {
        None
    } else if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(invalid_value(
                "ApplicationDownloadUrl",
                "empty (the package uploaded to COS) or a file:// URL with an absolute path",
                url,
            ));
        }
        Some(path.to_string())
    } else if url.starts_with("http://") || url.starts_with("https://") {
        return Err(invalid_value(
            "ApplicationDownloadUrl",
            "empty (upload the package to the Path DescribeCosCredential names) or a file:// URL: the emulator downloads nothing from the network",
            url,
        ));
    } else {
        return Err(invalid_value(
            "ApplicationDownloadUrl",
            "empty (the package uploaded to COS) or a file:// URL",
            url,
        ));
    };
    settle(state)?;
    let now = state.now();
    db::write(&state.store, |tx| {
        let app = applications::load(tx, &cx.account.uin, &req.application_id)?;
        let Some(version) = versions::pending(tx, &app.id)? else {
            return Err(refuse(
                ErrorCode::OperationDenied,
                format!(
                    "application {} has no version waiting for a package; call CreateApplicationVersion first",
                    app.id
                ),
            ));
        };
        let source = match &file_source {
            Some(path) => {
                let name = path.rsplit('/').next().unwrap_or_default();
                versions::check_file_name("ApplicationDownloadUrl", &app, name)?;
                format!("{FILE_SOURCE}{path}")
            }
            None => {
                let key = version.package_key.clone().unwrap_or_else(|| {
                    package_key(&cx.account.uin, &app.id, &version.id, &version.extension())
                });
                format!("{COS_SOURCE}{key}")
            }
        };
        tx.execute(
            "UPDATE car_versions SET status = 'Creating', source = ?2, started_at = ?3, ready_at = ?4
             WHERE version_id = ?1",
            params![version.id, source, now, now.saturating_add(state.processing_seconds)],
        )?;
        Ok(())
    })?;
    Ok(CreateApplicationSnapshotResponse::default())
}

/// The version whose package a query looks at: the one named, else the live one, else
/// the newest processed one.
fn inspected_version(
    c: &Connection,
    app_id: &str,
    named: Option<&str>,
) -> Outcome<Option<VersionRow>> {
    if let Some(id) = named {
        return Ok(Some(versions::load(c, app_id, id, "ApplicationVersionId")?));
    }
    let all = versions::load_for_app(c, app_id)?;
    if let Some(live) = all.iter().find(|v| v.status == Status::Inuse) {
        return Ok(Some(live.clone()));
    }
    Ok(all
        .into_iter()
        .rev()
        .find(|v| matches!(v.status, Status::Normal | Status::Usable)))
}

fn files_of(c: &Connection, version: &VersionRow) -> Outcome<Vec<String>> {
    if !matches!(
        version.status,
        Status::Normal | Status::Inuse | Status::Usable
    ) {
        return Ok(Vec::new());
    }
    let mut st =
        c.prepare_cached("SELECT path FROM car_version_files WHERE version_id = ?1 ORDER BY path")?;
    let rows = st.query_map([&version.id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn path_list(
    state: &CarState,
    cx: &CallContext,
    req: DescribeApplicationPathListRequest,
) -> Result<DescribeApplicationPathListResponse, ServiceError> {
    settle(state)?;
    let files = db::read(&state.store, |c| {
        let app = applications::load(c, &cx.account.uin, &req.application_id)?;
        match inspected_version(c, &app.id, req.application_version_id.as_deref())? {
            Some(v) => files_of(c, &v),
            None => Ok(Vec::new()),
        }
    })?;
    let mut out = DescribeApplicationPathListResponse::default();
    out.path_list = Some(
        files
            .into_iter()
            .filter(|f| f.to_ascii_lowercase().ends_with(".exe"))
            .map(|f| f.replace('/', "\\"))
            .collect(),
    );
    Ok(out)
}

pub(crate) fn file_info(
    state: &CarState,
    cx: &CallContext,
    req: DescribeApplicationFileInfoRequest,
) -> Result<DescribeApplicationFileInfoResponse, ServiceError> {
    settle(state)?;
    let files = db::read(&state.store, |c| {
        let app = applications::load(c, &cx.account.uin, &req.application_id)?;
        match inspected_version(c, &app.id, None)? {
            Some(v) => files_of(c, &v),
            None => Ok(Vec::new()),
        }
    })?;
    let files: std::collections::HashSet<String> = files.into_iter().collect();
    let mut out = DescribeApplicationFileInfoResponse::default();
    out.file_info_list = Some(
        req.file_path_list
            .unwrap_or_default()
            .into_iter()
            .map(|asked| {
                let mut info = UserApplicationFileInfo::default();
                info.file_state = Some(if files.contains(&normalise(&asked)) {
                    FileState::Exist
                } else {
                    FileState::NoExist
                });
                info.file_path = Some(asked);
                info
            })
            .collect(),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn paths_are_compared_in_one_spelling() {
        assert_eq!(normalise("Game\\Bin\\game.exe"), "Game/Bin/game.exe");
        assert_eq!(normalise("./Game/game.exe"), "Game/game.exe");
        assert_eq!(normalise("/Game/game.exe"), "Game/game.exe");
        assert_eq!(normalise("game.exe"), "game.exe");
    }
}
