//! Version rules from car-behaviour.md: at most 5 versions, no new version while one is
//! being created, awaits release or has failed; a missing or unreadable package ends in
//! CreateFailed; the live version cannot be deleted.

mod state_support;

use serde_json::json;
use state_support::*;

async fn create_version(
    env: &Env,
    app: &str,
    file: &str,
) -> Result<String, car_api::service::ServiceError> {
    env.call_as(
        ALICE,
        "CreateApplicationVersion",
        json!({"ApplicationId": app, "ApplicationFileName": file}),
    )
    .await
    .map(|v| {
        v["Version"]["ApplicationVersionId"]
            .as_str()
            .unwrap()
            .to_string()
    })
}

#[tokio::test]
async fn each_unfinished_state_blocks_a_new_version_until_it_is_released_or_deleted() {
    let env = Env::new();
    let app = env.create_app("Blocked", "Application3D").await;
    env.set_exe(&app, "Game/Game.exe").await;

    let first = create_version(&env, &app, "a.zip").await.unwrap();
    // Uploading (created, no package yet).
    let e = create_version(&env, &app, "b.zip").await.unwrap_err();
    assert_eq!(code(&e), "OperationDenied.VersionCreating", "{e}");
    assert!(e.message().contains(&first), "{e}");

    // Creating (being processed).
    let cred = env
        .ok("DescribeCosCredential", json!({"ApplicationId": app}))
        .await;
    env.put_object(cred["Path"].as_str().unwrap(), &game_zip());
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
    )
    .await;
    let e = create_version(&env, &app, "b.zip").await.unwrap_err();
    assert_eq!(code(&e), "OperationDenied.VersionCreating", "{e}");

    // Normal (created, not released).
    env.advance(PROCESSING);
    assert_eq!(env.status_of(&app, &first).await, "Normal");
    let e = create_version(&env, &app, "b.zip").await.unwrap_err();
    assert_eq!(code(&e), "OperationDenied.VersionCreating", "{e}");

    // Released: the way is free.
    env.ok(
        "SetApplicationVersionOnline",
        json!({"ApplicationId": app, "ApplicationVersionId": first}),
    )
    .await;
    let second = create_version(&env, &app, "b.zip").await.unwrap();

    // CreateFailed (no package was uploaded) blocks until deleted.
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
    )
    .await;
    env.advance(PROCESSING);
    assert_eq!(env.status_of(&app, &second).await, "CreateFailed");
    let status = env
        .ok(
            "DescribeApplicationStatus",
            json!({"ApplicationIdList": [app]}),
        )
        .await;
    assert_eq!(
        status["StatusList"][0]["ApplicationUpdateStatus"],
        "ApplicationUpdateCreateFail"
    );
    let e = create_version(&env, &app, "c.zip").await.unwrap_err();
    assert_eq!(code(&e), "OperationDenied.VersionCreating", "{e}");
    env.ok(
        "DeleteApplicationVersion",
        json!({"ApplicationId": app, "ApplicationVersionId": second}),
    )
    .await;
    create_version(&env, &app, "c.zip").await.unwrap();
}

#[tokio::test]
async fn an_application_keeps_at_most_five_versions() {
    let env = Env::new();
    let app = env.create_app("Five", "Application3D").await;
    env.set_exe(&app, "Game/Game.exe").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (v, _) = env.ship(&app, &format!("v{i}.zip"), &game_zip()).await;
        env.advance(PROCESSING);
        env.ok(
            "SetApplicationVersionOnline",
            json!({"ApplicationId": app, "ApplicationVersionId": v}),
        )
        .await;
        ids.push(v);
    }
    let e = create_version(&env, &app, "v5.zip").await.unwrap_err();
    assert_eq!(code(&e), "OperationDenied.VersionLimitExceeded", "{e}");

    // The live version cannot go; an older one can, asynchronously.
    let e = env
        .err(
            "DeleteApplicationVersion",
            json!({"ApplicationId": app, "ApplicationVersionId": ids[4]}),
        )
        .await;
    assert_eq!(code(&e), "OperationDenied", "{e}");
    env.ok(
        "DeleteApplicationVersion",
        json!({"ApplicationId": app, "ApplicationVersionId": ids[0]}),
    )
    .await;
    assert_eq!(env.status_of(&app, &ids[0]).await, "Deleting");
    let e = create_version(&env, &app, "v5.zip").await.unwrap_err();
    assert_eq!(
        code(&e),
        "OperationDenied.VersionLimitExceeded",
        "a Deleting version still counts: {e}"
    );
    env.advance(car_emulator::car::state::DELETION_SECONDS as u64);
    assert_eq!(env.status_of(&app, &ids[0]).await, "<gone>");
    create_version(&env, &app, "v5.zip").await.unwrap();
}

async fn outcome_of(package: Option<&[u8]>, file: &str) -> (String, serde_json::Value) {
    let env = Env::new();
    let app = env.create_app("Outcome", "Application3D").await;
    let v = create_version(&env, &app, file).await.unwrap();
    let cred = env
        .ok("DescribeCosCredential", json!({"ApplicationId": app}))
        .await;
    if let Some(body) = package {
        env.put_object(cred["Path"].as_str().unwrap(), body);
    }
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
    )
    .await;
    env.advance(PROCESSING);
    let status = env.status_of(&app, &v).await;
    let paths = env
        .ok(
            "DescribeApplicationPathList",
            json!({"ApplicationId": app, "ApplicationVersionId": v}),
        )
        .await;
    (status, paths["PathList"].clone())
}

#[tokio::test]
async fn a_missing_or_unreadable_package_ends_in_create_failed() {
    assert_eq!(
        outcome_of(None, "game.zip").await.0,
        "CreateFailed",
        "nothing uploaded"
    );
    assert_eq!(
        outcome_of(Some(b"this is not a zip archive at all"), "game.zip")
            .await
            .0,
        "CreateFailed",
        "not a zip"
    );
    let whole = game_zip();
    assert_eq!(
        outcome_of(Some(&whole[..whole.len() / 2]), "game.zip")
            .await
            .0,
        "CreateFailed",
        "a zip cut in half has no central directory"
    );
    let mut bad_header = whole.clone();
    bad_header[..4].copy_from_slice(b"XXXX");
    assert_eq!(
        outcome_of(Some(&bad_header), "game.zip").await.0,
        "CreateFailed",
        "a damaged local header behind an intact central directory"
    );
    assert_eq!(
        outcome_of(Some(&zip_with(&[("empty/", b"")])), "game.zip")
            .await
            .0,
        "CreateFailed",
        "a zip with no files"
    );
    assert_eq!(
        outcome_of(Some(&whole), "game.rar").await.0,
        "CreateFailed",
        "zip bytes under a .rar name"
    );
}

#[tokio::test]
async fn rar_and_7z_packages_are_accepted_by_signature_but_not_listed() {
    let (status, paths) = outcome_of(
        Some(b"Rar!\x1a\x07\x01\x00 rest of a RAR5 archive"),
        "game.rar",
    )
    .await;
    assert_eq!(status, "Normal");
    assert_eq!(paths, json!([]));
    let (status, _) = outcome_of(Some(b"7z\xbc\xaf\x27\x1c rest of a 7z archive"), "game.7z").await;
    assert_eq!(status, "Normal");
}

#[tokio::test]
async fn package_names_must_fit_the_application_type() {
    let env = Env::new();
    let desktop = env.create_app("Desk", "Application3D").await;
    let e = create_version(&env, &desktop, "game.apk")
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(
        e.message().contains("ApplicationFileName") && e.message().contains("game.apk"),
        "{e}"
    );
    let e = create_version(&env, &desktop, "../game.zip")
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValue");
    let mobile = env.create_app("Phone", "ApplicationAPK").await;
    create_version(&env, &mobile, "phone.apk").await.unwrap();
    // DescribeCosCredential's ApplicationFileName decides the extension of the Path.
    let cred = env
        .ok(
            "DescribeCosCredential",
            json!({"ApplicationId": mobile, "ApplicationFileName": "phone.xapk"}),
        )
        .await;
    assert!(
        cred["Path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{mobile}.xapk")),
        "{cred}"
    );
}

#[tokio::test]
async fn a_credential_or_snapshot_without_a_pending_version_is_refused() {
    let env = Env::new();
    let app = env.create_app("Idle", "Application3D").await;
    let e = env
        .err("DescribeCosCredential", json!({"ApplicationId": app}))
        .await;
    assert_eq!(code(&e), "OperationDenied", "{e}");
    let e = env
        .err(
            "CreateApplicationSnapshot",
            json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
        )
        .await;
    assert_eq!(code(&e), "OperationDenied", "{e}");
    let e = env
        .err(
            "DescribeCosCredential",
            json!({"ApplicationId": "app-nothere1"}),
        )
        .await;
    assert_eq!(code(&e), "FailedOperation.ApplicationNotFind", "{e}");
}

#[tokio::test]
async fn an_application_with_a_live_version_or_a_project_is_not_deleted() {
    let env = Env::new();
    let (app, _) = env.released_app("Live").await;
    let e = env
        .err("DeleteApplication", json!({"ApplicationId": app}))
        .await;
    assert_eq!(code(&e), "FailedOperation.VersionLockFail", "{e}");

    let plain = env.create_app("Plain", "Application3D").await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "p", "ApplicationId": plain, "Type": "S1"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();
    let e = env
        .err("DeleteApplication", json!({"ApplicationId": plain}))
        .await;
    assert_eq!(code(&e), "FailedOperation.ApplicationLockFail", "{e}");
    env.ok(
        "DeleteApplicationProjects",
        json!({"ProjectIds": [project]}),
    )
    .await;
    env.ok("DeleteApplication", json!({"ApplicationId": plain}))
        .await;
    let e = env
        .err(
            "DescribeApplicationVersion",
            json!({"ApplicationId": plain}),
        )
        .await;
    assert_eq!(code(&e), "FailedOperation.ApplicationNotFind", "{e}");
}

#[tokio::test]
async fn versions_are_renamed_and_an_increment_adds_to_the_live_files() {
    let env = Env::new();
    let e = env
        .err(
            "CreateApplicationVersion",
            json!({"ApplicationId": env.create_app("NoBase", "Application3D").await,
                   "ApplicationFileName": "patch.zip", "ApplicationVersionUpdateMode": "INCREMENT"}),
        )
        .await;
    assert_eq!(
        code(&e),
        "InvalidParameterValue",
        "an increment needs a live version: {e}"
    );

    let (app, base) = env.released_app("Patched").await;
    env.ok(
        "ModifyApplicationVersion",
        json!({"ApplicationId": app, "ApplicationVersionId": base, "ApplicationVersionName": "launch build"}),
    )
    .await;
    let versions = env
        .ok("DescribeApplicationVersion", json!({"ApplicationId": app}))
        .await;
    assert_eq!(
        versions["Versions"][0]["ApplicationVersionName"],
        "launch build"
    );
    assert_eq!(
        versions["Versions"][0]["ApplicationVersionUpdateMode"],
        "FULL"
    );

    let patch = env
        .ok(
            "CreateApplicationVersion",
            json!({"ApplicationId": app, "ApplicationFileName": "patch.zip", "ApplicationVersionUpdateMode": "INCREMENT"}),
        )
        .await["Version"]["ApplicationVersionId"]
        .as_str()
        .unwrap()
        .to_string();
    let cred = env
        .ok("DescribeCosCredential", json!({"ApplicationId": app}))
        .await;
    env.put_object(
        cred["Path"].as_str().unwrap(),
        &zip_with(&[("Game/Patch.exe", b"MZ patch")]),
    );
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
    )
    .await;
    env.advance(PROCESSING);
    let paths = env
        .ok(
            "DescribeApplicationPathList",
            json!({"ApplicationId": app, "ApplicationVersionId": patch}),
        )
        .await;
    assert_eq!(
        paths["PathList"],
        json!([
            "Game\\Game.exe",
            "Game\\Patch.exe",
            "Game\\Tools\\Crash Reporter.exe"
        ])
    );
}

/// Reads between due times find nothing to do (the emulator skips the database look
/// then); each piece of work still completes on the second it is due, also when it
/// was started after the last look and when another piece is due later.
#[tokio::test]
async fn processing_and_deletion_complete_on_the_second_they_are_due_whatever_was_read_before() {
    let env = Env::new();
    let list = json!({"Offset": 0, "Limit": 20});
    env.ok("DescribeApplicationList", list.clone()).await;
    let first = env.create_app("first", "Application3D").await;
    let (v1, _) = env.ship(&first, "game.zip", &game_zip()).await;
    env.advance(3);
    // Shipped after the reads above, due 3 s after the first: its package is missing.
    let second = env.create_app("second", "Application3D").await;
    let v2 = create_version(&env, &second, "game.zip").await.unwrap();
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": second, "ApplicationDownloadUrl": ""}),
    )
    .await;
    for _ in 0..2 {
        env.ok("DescribeApplicationList", list.clone()).await;
        assert_eq!(env.status_of(&first, &v1).await, "Creating");
    }
    env.advance(PROCESSING - 3 - 1);
    assert_eq!(env.status_of(&first, &v1).await, "Creating");
    env.advance(1);
    assert_eq!(env.status_of(&first, &v1).await, "Normal");
    assert_eq!(env.status_of(&second, &v2).await, "Creating");
    env.advance(2);
    assert_eq!(env.status_of(&second, &v2).await, "Creating");
    env.advance(1);
    assert_eq!(env.status_of(&second, &v2).await, "CreateFailed");

    env.ok(
        "DeleteApplicationVersion",
        json!({"ApplicationId": first, "ApplicationVersionId": v1}),
    )
    .await;
    env.advance(DELETION - 1);
    for _ in 0..2 {
        assert_eq!(env.status_of(&first, &v1).await, "Deleting");
    }
    env.advance(1);
    assert_eq!(env.status_of(&first, &v1).await, "<gone>");
    assert_eq!(env.status_of(&second, &v2).await, "CreateFailed");
}
