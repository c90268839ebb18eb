//! The generated paginators against the loopback server, which serves pages out of a
//! fixed list according to the `Offset` and `Limit` it receives.

use car_api::credentials::Credentials;
use car_api::operations::{
    DescribeApplicationListItem, DescribeApplicationListRequest, DescribeApplicationListRequired,
    DescribeApplicationProjectsRequest, DescribeConcurrentPackagesRequest,
};
use car_api::{Client, ErrorKind, RetryConfig};
use car_emulator::test_server::{Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{json, Value};

fn client(server: &TestServer) -> Client {
    Client::builder()
        .credentials(Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY))
        .endpoint(server.endpoint())
        .retry(RetryConfig::disabled())
        .rate_limiting(false)
        .build()
        .unwrap()
}

/// The window `[Offset, Offset + Limit)` of `all`, as a CAR server cuts it.
fn window(params: &Value, all: &[Value]) -> Vec<Value> {
    let offset = params["Offset"].as_u64().unwrap_or(0) as usize;
    let limit = params["Limit"].as_u64().unwrap() as usize;
    all.iter().skip(offset).take(limit).cloned().collect()
}

fn projects(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"ProjectId": format!("cap-{i}")}))
        .collect()
}

/// A DescribeApplicationProjects server over `n` projects; `total` says whether it
/// reports the total (upstream allows it to be null).
fn project_server(n: usize, total: bool) -> TestServer {
    let all = projects(n);
    TestServer::builder()
        .handler(move |_, params| {
            let page = window(params, &all);
            if total {
                Reply::ok(json!({"Projects": page, "Total": all.len()}))
            } else {
                Reply::ok(json!({"Projects": page}))
            }
        })
        .start()
        .unwrap()
}

/// The offset of each request; a request without one starts at 0.
fn offsets(server: &TestServer) -> Vec<u64> {
    server
        .requests()
        .iter()
        .map(|r| r.body["Offset"].as_u64().unwrap_or(0))
        .collect()
}

#[tokio::test]
async fn items_stop_on_a_short_page() {
    let server = project_server(45, true);
    let ids: Vec<String> = client(&server)
        .describe_application_projects_paginator(
            DescribeApplicationProjectsRequest::new().limit(20),
        )
        .items()
        .map_ok(|p| p.project_id.unwrap())
        .try_collect()
        .await
        .unwrap();
    let want: Vec<String> = (0..45).map(|i| format!("cap-{i}")).collect();
    assert_eq!(ids, want);
    // 20 + 20 + 5: the third page is short, so there is no fourth request.
    assert_eq!(offsets(&server), [0, 20, 40]);
}

#[tokio::test]
async fn pages_stop_when_the_total_is_reached() {
    let server = project_server(40, true);
    let pages: Vec<_> = client(&server)
        .describe_application_projects_paginator(
            DescribeApplicationProjectsRequest::new().limit(20),
        )
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    // Both pages are full, but 40 of 40 are in hand: no request for an empty third page.
    assert_eq!(offsets(&server), [0, 20]);
}

#[tokio::test]
async fn without_a_total_an_empty_page_ends_it() {
    let server = project_server(40, false);
    let n = client(&server)
        .describe_application_projects_paginator(
            DescribeApplicationProjectsRequest::new().limit(20),
        )
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 40);
    assert_eq!(offsets(&server), [0, 20, 40]);
}

#[tokio::test]
async fn a_server_that_ignores_offset_ends_with_an_error_not_a_loop() {
    let all = projects(20);
    let server = TestServer::builder()
        .handler(move |_, _| Reply::ok(json!({"Projects": all, "Total": 1000})))
        .start()
        .unwrap();
    let results: Vec<_> = client(&server)
        .describe_application_projects_paginator(
            DescribeApplicationProjectsRequest::new().limit(20),
        )
        .pages()
        .collect()
        .await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results[0].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidResponse { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("ignore Offset"), "{err}");
    assert_eq!(offsets(&server), [0, 20]);
}

#[tokio::test]
async fn a_non_positive_limit_is_refused_before_sending() {
    let server = project_server(5, true);
    let results: Vec<_> = client(&server)
        .describe_application_projects_paginator(DescribeApplicationProjectsRequest::new().limit(0))
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 1);
    let err = results[0].as_ref().unwrap_err();
    match err.kind() {
        ErrorKind::InvalidRequest { parameter, message } => {
            assert_eq!(parameter.as_deref(), Some("Limit"));
            assert!(
                message.contains("positive") && message.contains('0'),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_unset_limit_sends_the_default_page_size() {
    let server = TestServer::builder()
        .handler(|_, params| {
            let all: Vec<Value> = (0..3)
                .map(|i| json!({"ConcurrentId": format!("cp-{i}")}))
                .collect();
            Reply::ok(json!({"ConcurrentPackages": window(params, &all), "Total": 3}))
        })
        .start()
        .unwrap();
    let ids: Vec<String> = client(&server)
        .describe_concurrent_packages_paginator(DescribeConcurrentPackagesRequest::new())
        .items()
        .map_ok(|p| p.concurrent_id().unwrap().to_owned())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["cp-0", "cp-1", "cp-2"]);
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["Limit"], 20);
}

#[tokio::test]
async fn application_list_items_carry_desktop_and_mobile_entries() {
    let server = TestServer::builder()
        .handler(|_, _| {
            Reply::ok(json!({
                "UserApplicationList": [{"ApplicationId": "app-desktop"}],
                "UserMobileApplicationList": [{"ApplicationId": "app-mobile"}],
                "ApplicationTotal": 2
            }))
        })
        .start()
        .unwrap();
    let request = DescribeApplicationListRequest::new(DescribeApplicationListRequired {
        offset: 0,
        limit: 10,
    });
    let items: Vec<_> = client(&server)
        .describe_application_list_paginator(request)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|i| match i {
            DescribeApplicationListItem::Desktop(a) => a.application_id.as_str(),
            DescribeApplicationListItem::Mobile(a) => a.application_id.as_str(),
            _ => unreachable!("only two kinds of entry today"),
        })
        .collect();
    assert_eq!(ids, ["app-desktop", "app-mobile"]);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_total_the_server_left_out_does_not_cut_the_listing_short() {
    // ApplicationTotal is promised, so a missing one reads as 0; 0 of 25 cannot be right.
    let apps: Vec<Value> = (0..25)
        .map(|i| json!({"ApplicationId": format!("app-{i}")}))
        .collect();
    let server = TestServer::builder()
        .handler(move |_, params| {
            Reply::ok(json!({"UserApplicationList": window(params, &apps), "UserMobileApplicationList": []}))
        })
        .start()
        .unwrap();
    let request = DescribeApplicationListRequest::new(DescribeApplicationListRequired {
        offset: 0,
        limit: 10,
    });
    let n = client(&server)
        .describe_application_list_paginator(request)
        .items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 25);
    assert_eq!(offsets(&server), [0, 10, 20]);
}

#[tokio::test]
async fn all_pages_as_json_merges_the_lists_into_one_response() {
    let server = project_server(45, true);
    let action = car_api::meta::action("DescribeApplicationProjects").unwrap();
    let merged = client(&server)
        .call_json_all_pages(action, &json!({"Limit": 20, "ProjectCategory": "DESKTOP"}))
        .await
        .unwrap();
    let ids: Vec<&str> = merged["Projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ProjectId"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..45).map(|i| format!("cap-{i}")).collect();
    assert_eq!(ids, want);
    assert_eq!(merged["Total"], 45);
    assert!(merged["RequestId"].is_string());
    assert_eq!(offsets(&server), [0, 20, 40]);
    // Every page carries the caller's other parameters.
    assert!(server
        .requests()
        .iter()
        .all(|r| r.body["ProjectCategory"] == "DESKTOP" && r.body["Limit"] == 20));
}

#[tokio::test]
async fn all_pages_as_json_refuses_actions_that_do_not_page() {
    let server = project_server(1, true);
    let action = car_api::meta::action("DescribeConcurrentCount").unwrap();
    let err = client(&server)
        .call_json_all_pages(action, &json!({}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not page"), "{err}");
    assert!(server.requests().is_empty());
}
