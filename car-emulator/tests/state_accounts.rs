//! Every resource belongs to the account that created it, and all of it survives
//! closing and reopening the data directory.

mod state_support;

use serde_json::json;
use state_support::*;

#[tokio::test]
async fn another_account_can_neither_see_nor_touch_a_resource() {
    let env = Env::new();
    let (app, version) = env.released_app("Private").await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "p", "ApplicationId": app, "Type": "S1"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();

    let list = env
        .ok_as(
            BOB,
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 20}),
        )
        .await;
    assert_eq!(list["ApplicationTotal"], 0);
    assert_eq!(list["UserApplicationList"], json!([]));

    for (action, params) in [
        ("DescribeApplicationVersion", json!({"ApplicationId": app})),
        ("DescribeCosCredential", json!({"ApplicationId": app})),
        ("DeleteApplication", json!({"ApplicationId": app})),
        (
            "ModifyApplicationBaseInfo",
            json!({"ApplicationId": app, "ApplicationExePath": "x.exe",
            "ApplicationInterList": "", "ApplicationBaseInfo": {"WindowUseType": "ApplicationDesktop"}}),
        ),
        (
            "SetApplicationVersionOnline",
            json!({"ApplicationId": app, "ApplicationVersionId": version}),
        ),
        (
            "DeleteApplicationVersion",
            json!({"ApplicationId": app, "ApplicationVersionId": version}),
        ),
        ("DescribeApplicationPathList", json!({"ApplicationId": app})),
        (
            "DescribeApplicationFileInfo",
            json!({"ApplicationId": app, "FilePathList": ["Game/Game.exe"]}),
        ),
    ] {
        let e = env.err_as(BOB, action, params).await;
        assert_eq!(
            code(&e),
            "FailedOperation.ApplicationNotFind",
            "{action}: {e}"
        );
    }
    let e = env
        .err_as(
            BOB,
            "DescribeApplicationStatus",
            json!({"ApplicationIdList": [app]}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue", "{e}");
    let e = env
        .err_as(
            BOB,
            "DescribeApplicationProjectAdvancedConfig",
            json!({"ProjectId": project}),
        )
        .await;
    assert_eq!(code(&e), "FailedOperation", "{e}");
    let e = env
        .err_as(
            BOB,
            "CreateApplicationProject",
            json!({"Name": "steal", "ApplicationId": app, "Type": "S1"}),
        )
        .await;
    assert_eq!(code(&e), "FailedOperation", "{e}");
    let e = env
        .err_as(
            BOB,
            "ApplyConcurrent",
            json!({"UserId": "u", "UserIp": "10.0.0.1", "ProjectId": project}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue", "{e}");
    let bob_projects = env
        .ok_as(BOB, "DescribeApplicationProjects", json!({}))
        .await;
    assert_eq!(bob_projects["Total"], 0);

    // Alice's packages are hers: Bob cannot bind them.
    let alice_packages = env.ok("DescribeConcurrentPackages", json!({})).await;
    let alice_package = alice_packages["ConcurrentPackages"][0]["ConcurrentId"].clone();
    let e = env
        .err_as(
            BOB,
            "ModifyConcurrentPackage",
            json!({"ConcurrentId": alice_package, "Name": "mine"}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue", "{e}");

    // Nothing Bob tried changed Alice's application.
    assert_eq!(env.status_of(&app, &version).await, "Inuse");
}

#[tokio::test]
async fn state_survives_reopening_the_data_directory() {
    let env = Env::new();
    let (app, version) = env.released_app("Durable").await;
    let pending = env
        .ok(
            "CreateApplicationVersion",
            json!({"ApplicationId": app, "ApplicationFileName": "next.zip"}),
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
        &zip_with(&[("Next/Next.exe", b"MZ")]),
    );
    env.ok(
        "CreateApplicationSnapshot",
        json!({"ApplicationId": app, "ApplicationDownloadUrl": ""}),
    )
    .await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "p", "ApplicationId": app, "Type": "S1", "Resolution": "1280x720"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();

    let env = env.reopen();
    assert_eq!(
        env.versions(&app).await,
        vec![
            (version.clone(), "Inuse".to_string()),
            (pending.clone(), "Creating".to_string())
        ]
    );
    // Processing started before the restart finishes on the clock after it.
    env.advance(PROCESSING);
    assert_eq!(env.status_of(&app, &pending).await, "Normal");
    let paths = env
        .ok(
            "DescribeApplicationPathList",
            json!({"ApplicationId": app, "ApplicationVersionId": pending}),
        )
        .await;
    assert_eq!(paths["PathList"], json!(["Next\\Next.exe"]));
    let config = env
        .ok(
            "DescribeApplicationProjectAdvancedConfig",
            json!({"ProjectId": project}),
        )
        .await;
    assert_eq!(config["Resolution"], "1280x720");
    let list = env
        .ok("DescribeApplicationList", json!({"Offset": 0, "Limit": 10}))
        .await;
    assert_eq!(
        list["UserApplicationList"][0]["ApplicationExePath"],
        "Game/Game.exe"
    );
}
