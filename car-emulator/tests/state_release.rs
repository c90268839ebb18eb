//! The whole package-shipping sequence of car-behaviour.md ("Shipping a package"), driven
//! through the generated dispatcher against the state alone.

mod state_support;

use serde_json::json;
use state_support::*;

#[tokio::test]
async fn a_package_goes_from_upload_to_live_and_the_previous_version_becomes_usable() {
    let env = Env::new();
    let app = env.create_app("Space Game", "Application3D").await;
    assert!(
        app.len() == 12 && app.starts_with("app-"),
        "CAR application IDs look like app-xkfad8s7: {app}"
    );
    env.set_exe(&app, "Game/Game.exe").await;

    let created = env
        .ok(
            "CreateApplicationVersion",
            json!({"ApplicationId": app, "ApplicationFileName": "space-game.zip",
                   "ApplicationVersionRegions": ["ap-chinese-mainland"]}),
        )
        .await;
    let version = created["Version"]["ApplicationVersionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(version.starts_with("ver-"), "{version}");
    assert_eq!(created["Version"]["ApplicationVersionStatus"], "Uploading");
    assert_eq!(created["Version"]["ApplicationVersionName"], "space-game");
    assert_eq!(created["Version"]["CreateTime"], "2023-11-14T22:13:20Z");
    assert_eq!(
        created["Version"]["ApplicationVersionRegions"],
        json!(["ap-chinese-mainland"])
    );

    let cred = env
        .ok("DescribeCosCredential", json!({"ApplicationId": app}))
        .await;
    // car-behaviour.md: Path is <uin>/<app-id>/<version-id>/<app-id>.<ext>.
    assert_eq!(
        cred["Path"],
        format!("{ALICE}/{app}/{version}/{app}.zip").as_str()
    );
    assert_eq!(cred["CosBucket"], BUCKET);
    assert_eq!(cred["CosRegion"], REGION);
    assert_eq!(cred["StartTime"], START);
    assert_eq!(cred["ExpiredTime"], START + 1800);
    assert!(cred["SecretID"].as_str().unwrap().starts_with("AKID"));
    assert!(!cred["SecretKey"].as_str().unwrap().is_empty());
    assert!(!cred["SessionToken"].as_str().unwrap().is_empty());
    // The keys the COS side will check are the ones handed out, scoped to that Path.
    let grant = car_emulator::grants::lookup(&env.store, cred["SecretID"].as_str().unwrap())
        .unwrap()
        .expect("the grant is recorded for the COS side");
    assert_eq!(grant.secret_key, cred["SecretKey"].as_str().unwrap());
    assert!(grant.covers(BUCKET, cred["Path"].as_str().unwrap()));
    assert!(!grant.covers(BUCKET, &format!("{ALICE}/{app}/ver-other000/{app}.zip")));

    env.put_object(cred["Path"].as_str().unwrap(), &game_zip());
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
    )
    .await;
    assert_eq!(env.status_of(&app, &version).await, "Creating");
    let status = env
        .ok(
            "DescribeApplicationStatus",
            json!({"ApplicationIdList": [app]}),
        )
        .await;
    assert_eq!(
        status["StatusList"][0]["ApplicationUpdateStatus"],
        "ApplicationUpdateCreating"
    );
    assert_eq!(status["StatusList"][0]["ApplicationUpdateProgress"], 0);

    env.advance(PROCESSING / 2);
    let status = env
        .ok(
            "DescribeApplicationStatus",
            json!({"ApplicationIdList": [app]}),
        )
        .await;
    assert_eq!(status["StatusList"][0]["ApplicationUpdateProgress"], 50);
    assert_eq!(env.status_of(&app, &version).await, "Creating");

    env.advance(PROCESSING / 2);
    assert_eq!(env.status_of(&app, &version).await, "Normal");
    let versions = env
        .ok("DescribeApplicationVersion", json!({"ApplicationId": app}))
        .await;
    assert_eq!(
        versions["Versions"][0]["ApplicationVersionSize"],
        game_zip().len()
    );
    let status = env
        .ok(
            "DescribeApplicationStatus",
            json!({"ApplicationIdList": [app]}),
        )
        .await;
    assert_eq!(
        status["StatusList"][0]["ApplicationUpdateStatus"],
        "ApplicationUpdateNoReleased"
    );

    // Tencent's example answers Windows paths with backslashes: "xxxx\\xxx.exe".
    let paths = env
        .ok(
            "DescribeApplicationPathList",
            json!({"ApplicationId": app, "ApplicationVersionId": version}),
        )
        .await;
    assert_eq!(
        paths["PathList"],
        json!(["Game\\Game.exe", "Game\\Tools\\Crash Reporter.exe"])
    );
    let info = env
        .ok(
            "DescribeApplicationFileInfo",
            json!({"ApplicationId": app,
                   "FilePathList": ["Game/Game.exe", "Game\\Data\\level1.pak", "Game/Missing.exe", "Game"]}),
        )
        .await;
    assert_eq!(
        info["FileInfoList"],
        json!([
            {"FilePath": "Game/Game.exe", "FileState": "EXIST"},
            {"FilePath": "Game\\Data\\level1.pak", "FileState": "EXIST"},
            {"FilePath": "Game/Missing.exe", "FileState": "NO_EXIST"},
            {"FilePath": "Game", "FileState": "NO_EXIST"},
        ])
    );

    let online = env
        .ok(
            "SetApplicationVersionOnline",
            json!({"ApplicationId": app, "ApplicationVersionId": version}),
        )
        .await;
    assert_eq!(online["Versions"][0]["ApplicationVersionStatus"], "Inuse");
    let status = env
        .ok(
            "DescribeApplicationStatus",
            json!({"ApplicationIdList": [app]}),
        )
        .await;
    assert_eq!(
        status["StatusList"][0]["ApplicationRunStatus"],
        "ApplicationRunning"
    );

    // A second release: the first version steps down to Usable.
    let (second, _) = env
        .ship(
            &app,
            "space-game-2.zip",
            &zip_with(&[("Game/Game.exe", b"MZ v2")]),
        )
        .await;
    env.advance(PROCESSING);
    env.ok(
        "SetApplicationVersionOnline",
        json!({"ApplicationId": app, "ApplicationVersionId": second}),
    )
    .await;
    assert_eq!(
        env.versions(&app).await,
        vec![
            (version.clone(), "Usable".to_string()),
            (second.clone(), "Inuse".to_string())
        ]
    );
    // The path list without a version looks at the live one.
    let paths = env
        .ok("DescribeApplicationPathList", json!({"ApplicationId": app}))
        .await;
    assert_eq!(paths["PathList"], json!(["Game\\Game.exe"]));
}

#[tokio::test]
async fn rolling_back_needs_the_launch_path_the_old_version_ran_with() {
    let env = Env::new();
    let (app, first) = env.released_app("Rollback").await;
    env.set_exe(&app, "Game/Tools/Crash Reporter.exe").await;
    let (second, _) = env.ship(&app, "two.zip", &game_zip()).await;
    env.advance(PROCESSING);
    env.ok(
        "SetApplicationVersionOnline",
        json!({"ApplicationId": app, "ApplicationVersionId": second}),
    )
    .await;

    let e = env
        .err(
            "SetApplicationVersionOnline",
            json!({"ApplicationId": app, "ApplicationVersionId": first}),
        )
        .await;
    assert_eq!(code(&e), "OperationDenied", "{e}");
    assert!(e.message().contains("Game/Game.exe"), "{e}");
    assert_eq!(env.status_of(&app, &second).await, "Inuse");

    env.set_exe(&app, "Game/Game.exe").await;
    env.ok(
        "SetApplicationVersionOnline",
        json!({"ApplicationId": app, "ApplicationVersionId": first}),
    )
    .await;
    assert_eq!(env.status_of(&app, &first).await, "Inuse");
    assert_eq!(env.status_of(&app, &second).await, "Usable");
}

#[tokio::test]
async fn a_file_url_is_processed_and_a_network_url_is_refused() {
    let env = Env::new();
    let app = env.create_app("Local", "Application3D").await;
    env.ok(
        "CreateApplicationVersion",
        json!({"ApplicationId": app, "ApplicationFileName": "local.zip"}),
    )
    .await;
    let e = env
        .err(
            "CreateApplicationSnapshot",
            // Tencent's own example URL.
            json!({"ApplicationId": app, "ApplicationDownloadUrl": "http://www.xxx/xxx.zip"}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(
        e.message().contains("ApplicationDownloadUrl")
            && e.message().contains("http://www.xxx/xxx.zip"),
        "{e}"
    );

    let package = env.dir.path().join("outside.zip");
    std::fs::write(&package, zip_with(&[("Bin/App.exe", b"MZ")])).unwrap();
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": app, "ApplicationDownloadUrl": format!("file://{}", package.display())}),
    )
    .await;
    env.advance(PROCESSING);
    let paths = env
        .ok("DescribeApplicationPathList", json!({"ApplicationId": app}))
        .await;
    assert_eq!(paths["PathList"], json!(["Bin\\App.exe"]));
}
