//! Listings: DescribeApplicationList's filters (the four names CAR documents), paging
//! and totals; desktop and mobile applications in their separate lists.

mod state_support;

use serde_json::{json, Value};
use state_support::*;

fn ids(list: &Value, member: &str) -> Vec<String> {
    list[member]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ApplicationName"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn application_list_pages_filters_and_counts() {
    let env = Env::new();
    let mut apps = Vec::new();
    for i in 0..5 {
        apps.push(env.create_app(&format!("desk-{i}"), "Application3D").await);
        env.advance(1);
    }
    let phone = env.create_app("phone", "ApplicationAPK").await;

    let page = env
        .ok("DescribeApplicationList", json!({"Offset": 1, "Limit": 2}))
        .await;
    assert_eq!(page["ApplicationTotal"], 6);
    assert_eq!(ids(&page, "UserApplicationList"), ["desk-1", "desk-2"]);
    assert_eq!(page["UserMobileApplicationList"], json!([]));

    let last = env
        .ok("DescribeApplicationList", json!({"Offset": 4, "Limit": 20}))
        .await;
    assert_eq!(ids(&last, "UserApplicationList"), ["desk-4"]);
    assert_eq!(ids(&last, "UserMobileApplicationList"), ["phone"]);
    assert_eq!(
        last["UserMobileApplicationList"][0]["ApplicationType"],
        "ApplicationAPK"
    );

    let mobile = env
        .ok(
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 20, "ApplicationCategory": "MOBILE"}),
        )
        .await;
    assert_eq!(mobile["ApplicationTotal"], 1);
    assert_eq!(
        mobile["UserMobileApplicationList"][0]["ApplicationId"],
        phone.as_str()
    );

    let by_id = env
        .ok(
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 20, "Filters": [{"Name": "ApplicationId", "Values": [apps[3], apps[0]]}]}),
        )
        .await;
    assert_eq!(ids(&by_id, "UserApplicationList"), ["desk-0", "desk-3"]);

    // Filters combine with AND.
    let none = env
        .ok(
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 20, "Filters": [
                {"Name": "ApplicationId", "Values": [apps[3]]},
                {"Name": "ApplicationName", "Values": ["desk-1"]}]}),
        )
        .await;
    assert_eq!(none["ApplicationTotal"], 0);

    // Run status: an application without any version has no package.
    env.set_exe(&apps[2], "Game/Game.exe").await;
    env.ship(&apps[2], "g.zip", &game_zip()).await;
    env.advance(PROCESSING);
    env.ok(
        "SetApplicationVersionOnline",
        json!({"ApplicationId": apps[2], "ApplicationVersionId": env.versions(&apps[2]).await[0].0}),
    )
    .await;
    let running = env
        .ok(
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 20, "Filters": [{"Name": "ApplicationRunStatus", "Values": ["ApplicationRunning"]}]}),
        )
        .await;
    assert_eq!(ids(&running, "UserApplicationList"), ["desk-2"]);
    let entry = &running["UserApplicationList"][0];
    assert_eq!(entry["ApplicationUpdateStatus"], "ApplicationUpdateNormal");
    assert_eq!(entry["ApplicationExePath"], "Game/Game.exe");
    assert_eq!(
        entry["ApplicationVersions"][0]["ApplicationVersionStatus"],
        "Inuse"
    );
    assert_eq!(
        entry["ApplicationBaseInfo"]["WindowUseType"],
        "ApplicationDesktop"
    );

    let e = env
        .err(
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 20, "Filters": [{"Name": "Colour", "Values": ["red"]}]}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(e.message().contains("Colour"), "{e}");
    let e = env
        .err(
            "DescribeApplicationList",
            json!({"Offset": -1, "Limit": 20}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(e.message().contains("Offset"), "{e}");
}

#[tokio::test]
async fn modifying_applications_shows_in_the_listing() {
    let env = Env::new();
    let app = env.create_app("before", "Application3D").await;
    env.ok(
        "ModifyApplicationBaseInfo",
        json!({"ApplicationId": app, "ApplicationExePath": "Bin/Run.exe", "ApplicationInterList": "Run.exe",
               "ApplicationBaseInfo": {"WindowUseType": "ApplicationWindow", "WindowName": "Run", "WindowCaptureMode": "DDA_CUT"},
               "ApplicationParams": "-windowed", "ApplicationName": "after"}),
    )
    .await;
    let list = env
        .ok("DescribeApplicationList", json!({"Offset": 0, "Limit": 20}))
        .await;
    let a = &list["UserApplicationList"][0];
    assert_eq!(a["ApplicationName"], "after");
    assert_eq!(a["ApplicationExePath"], "Bin/Run.exe");
    assert_eq!(a["ApplicationInterList"], "Run.exe");
    assert_eq!(a["ApplicationParams"], "-windowed");
    assert_eq!(
        a["ApplicationBaseInfo"],
        json!({"WindowUseType": "ApplicationWindow", "WindowName": "Run", "WindowCaptureMode": "DDA_CUT"})
    );
    let e = env
        .err(
            "ModifyMobileApplicationInfo",
            json!({"ApplicationId": app, "ApplicationName": "x"}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue", "{e}");

    let phone = env.create_app("phone", "ApplicationAPK").await;
    env.ok(
        "ModifyMobileApplicationInfo",
        json!({"ApplicationId": phone, "ApplicationName": "phone 2"}),
    )
    .await;
    let list = env
        .ok(
            "DescribeApplicationList",
            json!({"Offset": 0, "Limit": 20, "ApplicationCategory": "MOBILE"}),
        )
        .await;
    assert_eq!(
        list["UserMobileApplicationList"][0]["ApplicationName"],
        "phone 2"
    );
}

#[tokio::test]
async fn projects_list_and_keep_their_advanced_settings() {
    let env = Env::new();
    let app = env.create_app("proj", "Application3D").await;
    let created = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "first", "ApplicationId": app, "Type": "S1", "Resolution": "1920x1080",
                   "FPS": 60, "MinBitrate": 1, "MaxBitrate": 10, "PreloadDuration": "10s",
                   "ReconnectTimeout": "20s", "DisableVideoCodecs": ["H265"]}),
        )
        .await;
    let first = created["ProjectId"].as_str().unwrap().to_string();
    assert!(first.starts_with("cap-"), "{first}");
    env.ok(
        "CreateApplicationProject",
        json!({"Name": "second", "ApplicationId": app, "Type": "L1"}),
    )
    .await;

    let config = env
        .ok(
            "DescribeApplicationProjectAdvancedConfig",
            json!({"ProjectId": first}),
        )
        .await;
    assert_eq!(config["Resolution"], "1920x1080");
    assert_eq!(config["FPS"], 60);
    assert_eq!(config["PreloadDuration"], "10s");
    assert_eq!(config["DisableVideoCodecs"], json!(["H265"]));

    env.ok(
        "ModifyApplicationProject",
        json!({"ProjectId": first, "FPS": 30, "Description": "d"}),
    )
    .await;
    let config = env
        .ok(
            "DescribeApplicationProjectAdvancedConfig",
            json!({"ProjectId": first}),
        )
        .await;
    assert_eq!(config["FPS"], 30);
    assert_eq!(config["Resolution"], "1920x1080", "untouched settings stay");

    let e = env
        .err(
            "ModifyApplicationProject",
            json!({"ProjectId": first, "MinBitrate": 20}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(e.message().contains("MinBitrate"), "{e}");

    let all = env.ok("DescribeApplicationProjects", json!({})).await;
    assert_eq!(all["Total"], 2);
    let p = &all["Projects"][0];
    assert_eq!(p["Name"], "first");
    assert_eq!(p["Description"], "d");
    assert_eq!(p["Type"], "S1");
    assert_eq!(p["ApplicationName"], "proj");
    assert_eq!(p["ProjectType"], "EXCLUSIVE");
    assert_eq!(p["ProjectCategory"], "DESKTOP");
    assert_eq!(p["ApplicationStatus"], "NoConcurrent");
    assert_eq!(p["Amount"], 0);

    let one = env
        .ok(
            "DescribeApplicationProjects",
            json!({"Offset": 1, "Limit": 1}),
        )
        .await;
    assert_eq!(one["Total"], 2);
    assert_eq!(one["Projects"][0]["Name"], "second");
    let filtered = env
        .ok(
            "DescribeApplicationProjects",
            json!({"Filters": [{"Name": "ProjectId", "Values": [first]}]}),
        )
        .await;
    assert_eq!(filtered["Total"], 1);

    env.ok("DeleteApplicationProjects", json!({"ProjectIds": [first]}))
        .await;
    let e = env
        .err(
            "DescribeApplicationProjectAdvancedConfig",
            json!({"ProjectId": first}),
        )
        .await;
    assert_eq!(code(&e), "FailedOperation");
}

#[tokio::test]
async fn a_refused_call_changes_nothing_even_after_part_of_its_work() {
    let env = Env::new();
    let app = env.create_app("atomic", "Application3D").await;
    let project = env
        .ok(
            "CreateApplicationProject",
            json!({"Name": "kept", "ApplicationId": app, "Type": "S1"}),
        )
        .await["ProjectId"]
        .as_str()
        .unwrap()
        .to_string();
    // The first ID is deleted before the second is found unknown; the refusal undoes it.
    let e = env
        .err(
            "DeleteApplicationProjects",
            json!({"ProjectIds": [project, "cap-unknown0"]}),
        )
        .await;
    assert_eq!(code(&e), "InvalidParameterValue", "{e}");
    assert!(e.message().contains("cap-unknown0"), "{e}");
    let all = env.ok("DescribeApplicationProjects", json!({})).await;
    assert_eq!(all["Total"], 1);
    assert_eq!(all["Projects"][0]["ProjectId"], project.as_str());
}

#[tokio::test]
async fn a_page_past_the_end_is_empty_but_still_counts() {
    let env = Env::new();
    env.create_app("only", "Application3D").await;
    let page = env
        .ok(
            "DescribeApplicationList",
            json!({"Offset": i64::MAX, "Limit": 100}),
        )
        .await;
    assert_eq!(page["ApplicationTotal"], 1);
    assert_eq!(page["UserApplicationList"], json!([]));
    let e = env
        .err("DescribeApplicationList", json!({"Offset": 0, "Limit": -5}))
        .await;
    assert_eq!(code(&e), "InvalidParameterValue");
    assert!(
        e.message().contains("Limit") && e.message().contains("-5"),
        "{e}"
    );
    let packages = env
        .ok(
            "DescribeConcurrentPackages",
            json!({"Offset": 2, "Limit": 5}),
        )
        .await;
    assert_eq!(packages["Total"], 3);
    assert_eq!(packages["ConcurrentPackages"].as_array().unwrap().len(), 1);
}
