//! `car configure`, settings precedence, help and completions.

mod common;

use car_emulator::test_server::{TestServer, TEST_SECRET_ID, TEST_SECRET_KEY};
use common::{mode, Sandbox};
use serde_json::Value;

fn read_json(sb: &Sandbox, rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(sb.path(rel)).expect("read")).expect("json")
}

#[test]
fn configure_set_get_list_with_private_files() {
    let sb = Sandbox::empty();
    sb.car(&[
        "configure",
        "set",
        "secretId",
        TEST_SECRET_ID,
        "secretKey",
        TEST_SECRET_KEY,
        "region",
        "ap-singapore",
    ])
    .expect(0);
    sb.car(&[
        "configure",
        "set",
        "output",
        "table",
        "car.endpoint",
        "car.intl.tencentcloudapi.com",
        "--profile",
        "default",
    ])
    .expect(0);
    sb.car(&["configure", "set", "token", "session-token-abcdefgh"])
        .expect(0);

    let cred = read_json(&sb, ".tccli/default.credential");
    assert_eq!(cred["secretId"], TEST_SECRET_ID);
    assert_eq!(cred["secretKey"], TEST_SECRET_KEY);
    assert_eq!(cred["token"], "session-token-abcdefgh");
    let conf = read_json(&sb, ".tccli/default.configure");
    assert_eq!(conf["_sys_param"]["region"], "ap-singapore");
    assert_eq!(conf["_sys_param"]["output"], "table");
    assert_eq!(conf["car"]["endpoint"], "car.intl.tencentcloudapi.com");
    for f in [".tccli/default.credential", ".tccli/default.configure"] {
        assert_eq!(mode(&sb.path(f)), 0o600, "{f}");
    }
    assert_eq!(mode(&sb.path(".tccli")), 0o700);

    // What car-api's reader makes of the files.
    let c = car_api::credentials::TccliConfig::load(sb.home.path(), "default")
        .expect("load")
        .expect("exists");
    assert_eq!(
        (c.region(), c.output(), c.car_endpoint()),
        (
            Some("ap-singapore"),
            Some("table"),
            Some("car.intl.tencentcloudapi.com")
        )
    );

    assert_eq!(
        sb.car(&["configure", "get", "region"]).expect(0).stdout,
        "ap-singapore\n"
    );
    assert_eq!(
        sb.car(&["configure", "get", "car.endpoint", "output"])
            .expect(0)
            .stdout,
        "car.intl.tencentcloudapi.com\ntable\n"
    );
    let key = sb.car(&["configure", "get", "secretKey"]);
    assert_eq!(
        key.expect(0).stdout,
        format!("****{}\n", &TEST_SECRET_KEY[TEST_SECRET_KEY.len() - 4..])
    );

    let list = sb.car(&["configure", "list"]);
    list.expect(0);
    for secret in [TEST_SECRET_ID, TEST_SECRET_KEY, "session-token-abcdefgh"] {
        assert!(!list.stdout.contains(secret), "{}", list.stdout);
    }
    assert!(
        list.stdout.contains("secretId = ****0000\n"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("token = ****efgh\n"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("region = ap-singapore\n"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout
            .contains("car.endpoint = car.intl.tencentcloudapi.com\n"),
        "{}",
        list.stdout
    );

    // Existing files with loose modes are tightened when rewritten.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            sb.path(".tccli/default.credential"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        sb.car(&["configure", "set", "secretId", TEST_SECRET_ID])
            .expect(0);
        assert_eq!(mode(&sb.path(".tccli/default.credential")), 0o600);
    }

    // Another profile, from TCCLI_PROFILE.
    let mut sb2 = Sandbox::empty();
    sb2.set("TCCLI_PROFILE", "work");
    sb2.car(&["configure", "set", "region", "ap-tokyo"])
        .expect(0);
    assert!(sb2.path(".tccli/work.configure").exists());
    assert_eq!(
        sb2.car(&["configure", "get", "region"]).expect(0).stdout,
        "ap-tokyo\n"
    );
}

#[test]
fn configure_rejects_bad_keys_and_values() {
    let sb = Sandbox::empty();
    let r = sb.car(&["configure", "set", "regoin", "x"]);
    r.expect(2);
    assert!(r.stderr.contains("did you mean region?"), "{}", r.stderr);
    sb.car(&["configure", "set", "output", "yaml"]).expect(2);
    sb.car(&["configure", "set", "language", "fr-FR"]).expect(2);
    sb.car(&["configure", "set", "region"]).expect(2);
    sb.car(&["configure", "set", "car.endpoint", "ftp://x"])
        .expect(2);
    let r = sb.car(&["configure", "get", "region"]);
    r.expect(5);
    assert!(
        r.stderr.contains("profile \"default\" does not exist"),
        "{}",
        r.stderr
    );
    sb.car(&["configure", "set", "region", "   "]).expect(2);
    sb.car(&["configure", "set", "region", "x", "--profile", "../evil"])
        .expect(2);
    assert!(
        !sb.path(".tccli").exists(),
        "nothing written for rejected input"
    );
}

#[test]
fn configure_interactive_reads_stdin_lines() {
    let srv = TestServer::start().expect("server");
    let sb = Sandbox::empty();
    let input = format!("{TEST_SECRET_ID}\n{TEST_SECRET_KEY}\nap-guangzhou\ntext\n");
    let run = sb.car_stdin(&["configure"], Some(&input));
    run.expect(0);
    assert!(
        run.stdout.contains("TencentCloud API secretId [None]: "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Default output format [json]: "),
        "{}",
        run.stdout
    );
    assert_eq!(
        read_json(&sb, ".tccli/default.credential")["secretKey"],
        TEST_SECRET_KEY
    );
    assert_eq!(
        read_json(&sb, ".tccli/default.configure")["_sys_param"]["output"],
        "text"
    );
    assert_eq!(mode(&sb.path(".tccli/default.credential")), 0o600);

    // Empty answers keep what is there; the prompt shows secrets masked.
    let run = sb.car_stdin(&["configure"], Some("\n\n\n\n"));
    run.expect(0);
    assert!(run.stdout.contains("secretId [****0000]"), "{}", run.stdout);
    assert!(!run.stdout.contains(TEST_SECRET_KEY));
    assert_eq!(
        read_json(&sb, ".tccli/default.credential")["secretId"],
        TEST_SECRET_ID
    );
    assert_eq!(
        read_json(&sb, ".tccli/default.configure")["_sys_param"]["region"],
        "ap-guangzhou"
    );
    // Input ending before the last answer writes nothing, and says so.
    let before = std::fs::read_to_string(sb.path(".tccli/default.credential")).expect("read");
    for partial in ["", "AKIDother\n", "AKIDother\nkey\nap-tokyo\n"] {
        let run = sb.car_stdin(&["configure"], Some(partial));
        run.expect(2);
        assert!(
            run.stderr.contains(
                "standard input ended before every question was answered; nothing was written"
            ),
            "{}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(sb.path(".tccli/default.credential")).expect("read"),
        before
    );
    assert_eq!(
        read_json(&sb, ".tccli/default.configure")["_sys_param"]["region"],
        "ap-guangzhou"
    );

    // The profile alone is enough to call: keys, region and output from the files.
    let run = sb.car(&["describe-concurrent-summary", "--endpoint", &srv.endpoint()]);
    run.expect(0);
    assert!(
        run.stdout.contains('\t'),
        "profile output=text: {}",
        run.stdout
    );
    assert_eq!(
        srv.requests()[0].header("x-tc-region"),
        Some("ap-guangzhou")
    );
}

#[test]
fn settings_precedence() {
    let srv = TestServer::start().expect("server");
    let mut sb = Sandbox::empty();
    sb.car(&[
        "configure",
        "set",
        "secretId",
        TEST_SECRET_ID,
        "secretKey",
        TEST_SECRET_KEY,
        "region",
        "from-profile",
        "car.endpoint",
        &srv.endpoint(),
    ])
    .expect(0);
    // Endpoint from the profile: no --endpoint needed.
    sb.car(&["describe-concurrent-summary"]).expect(0);
    sb.set("TENCENTCLOUD_REGION", "from-env");
    sb.car(&["describe-concurrent-summary"]).expect(0);
    sb.car(&["describe-concurrent-summary", "--region", "from-flag"])
        .expect(0);
    let regions: Vec<Option<String>> = srv
        .requests()
        .iter()
        .map(|r| r.header("x-tc-region").map(str::to_owned))
        .collect();
    assert_eq!(
        regions,
        vec![
            Some("from-profile".into()),
            Some("from-env".into()),
            Some("from-flag".into())
        ]
    );

    // --endpoint beats the profile's: the other server gets the call.
    let other = TestServer::start().expect("server");
    sb.car(&[
        "describe-concurrent-summary",
        "--endpoint",
        &other.endpoint(),
    ])
    .expect(0);
    assert_eq!((srv.requests().len(), other.requests().len()), (3, 1));
    // An explicit --site beats the profile's car.endpoint (shown without sending).
    let run = sb.car(&["describe-concurrent-summary", "--site", "cn", "--dry-run"]);
    run.expect(0);
    assert!(
        run.stdout
            .starts_with("POST https://car.tencentcloudapi.com/"),
        "{}",
        run.stdout
    );
    // A named profile that does not exist has no keys (and ignores the environment's).
    sb.set("TENCENTCLOUD_SECRET_ID", TEST_SECRET_ID);
    sb.set("TENCENTCLOUD_SECRET_KEY", TEST_SECRET_KEY);
    sb.car(&[
        "describe-concurrent-summary",
        "--profile",
        "nosuch",
        "--endpoint",
        &srv.endpoint(),
    ])
    .expect(5);
    // Language from the flag reaches the server.
    sb.car(&["describe-concurrent-summary", "--language", "zh-CN"])
        .expect(0);
    assert_eq!(
        srv.requests()
            .last()
            .and_then(|r| r.header("x-tc-language").map(str::to_owned))
            .as_deref(),
        Some("zh-CN")
    );
}

#[test]
fn help_describes_actions() {
    let sb = Sandbox::empty();
    let top = sb.car(&["--help"]);
    top.expect(0);
    assert!(
        top.stdout.contains("describe-application-list"),
        "{}",
        top.stdout
    );
    assert!(top.stdout.contains("configure") && top.stdout.contains("completions"));
    assert!(top.stdout.contains("--endpoint <URL>"));

    let a = car_api::meta::action("DescribeApplicationList").expect("action");
    for args in [
        vec!["describe-application-list", "--help"],
        vec!["DescribeApplicationList", "-h"],
        vec!["help", "describe-application-list"],
        vec!["--output", "json", "describe-application-list", "--help"],
    ] {
        let h = sb.car(&args);
        h.expect(0);
        let out = &h.stdout;
        assert!(out.contains(a.doc), "{args:?}: {out}");
        for m in a.input {
            assert!(
                out.contains(m.doc),
                "{args:?}: member {} undocumented",
                m.wire_name
            );
            assert!(
                out.contains(&format!("--{}", m.wire_name)),
                "{args:?}: alias of {}",
                m.wire_name
            );
        }
        assert!(out.contains("--offset <INT>"), "{out}");
        assert!(out.contains("[required]"), "{out}");
        assert!(out.contains("[type: list[Filter]"), "{out}");
        assert!(out.contains("Filter {\"Name\": string (required)"), "{out}");
        for e in a.errors {
            assert!(out.contains(e), "{args:?}: error {e} missing");
        }
        assert!(out.contains("Rate limit: 20 requests per second"), "{out}");
    }
    // Every action's help works.
    for a in car_api::metadata::ACTIONS {
        let h = sb.car(&[a.name, "--help"]);
        h.expect(0);
        assert!(h
            .stdout
            .contains(&format!("Rate limit: {} requests per second", a.rate_limit)));
    }
    assert!(sb.car(&["--version"]).expect(0).stdout.starts_with("car "));
    // No arguments: usage on stderr, exit 2.
    let none = sb.car(&[]);
    none.expect(2);
    assert!(none.stderr.contains("Usage: car"), "{}", none.stderr);
}

#[test]
fn completions_for_each_shell() {
    let sb = Sandbox::empty();
    for shell in ["bash", "zsh", "fish"] {
        let run = sb.car(&["completions", shell]);
        run.expect(0);
        assert!(run.stdout.contains("describe-application-list"), "{shell}");
        assert!(run.stdout.contains("application-id"), "{shell}");
    }
    sb.car(&["completions", "tcsh"]).expect(2);
}

#[test]
fn configure_trims_values_and_treats_a_missing_profile_alike() {
    let sb = Sandbox::empty();
    sb.car(&[
        "configure",
        "set",
        "region",
        " ap-tokyo\n",
        "secretId",
        "\tAKIDpasted  ",
    ])
    .expect(0);
    assert_eq!(
        read_json(&sb, ".tccli/default.configure")["_sys_param"]["region"],
        "ap-tokyo"
    );
    assert_eq!(
        read_json(&sb, ".tccli/default.credential")["secretId"],
        "AKIDpasted"
    );
    // Interactive answers too.
    let input = format!(" {TEST_SECRET_ID} \n{TEST_SECRET_KEY}\t\n ap-seoul \n text \n");
    sb.car_stdin(&["configure", "--profile", "p2"], Some(&input))
        .expect(0);
    assert_eq!(
        read_json(&sb, ".tccli/p2.credential")["secretId"],
        TEST_SECRET_ID
    );
    assert_eq!(
        read_json(&sb, ".tccli/p2.credential")["secretKey"],
        TEST_SECRET_KEY
    );
    assert_eq!(
        read_json(&sb, ".tccli/p2.configure")["_sys_param"]["output"],
        "text"
    );

    // list, get and remove on a profile that does not exist: one outcome, one wording.
    let expected = format!(
        "error: ClientConfigError: profile \"ghost\" does not exist (there is no {} or {})\n",
        sb.path(".tccli/ghost.credential").display(),
        sb.path(".tccli/ghost.configure").display()
    );
    for cmd in [
        vec!["configure", "list", "--profile", "ghost"],
        vec!["configure", "remove", "--profile", "ghost"],
        vec!["configure", "get", "region", "--profile", "ghost"],
    ] {
        let run = sb.car(&cmd);
        run.expect(5);
        assert_eq!(run.stderr, expected, "{cmd:?}");
        assert_eq!(run.stdout, "", "{cmd:?}");
    }
    // Once it exists, both work.
    sb.car(&["configure", "list", "--profile", "p2"]).expect(0);
    sb.car(&["configure", "remove", "--profile", "p2"])
        .expect(0);
    assert!(!sb.path(".tccli/p2.credential").exists());
}
