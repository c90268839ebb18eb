//! Replays a corpus of tccli command lines (tests/fixtures/tccli/corpus.txt) through
//! tccli-intl-en and car against one loopback HTTPS server, and checks that both send
//! the same request bodies and print the same output.
//!
//! Needs tccli: `CAR_TCCLI=/path/to/venv/bin/tccli cargo test -p car-cli --test
//! tccli_compat -- --ignored`. Without `CAR_TCCLI` the test fails: a skipped check would
//! pass silently.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use car_emulator::test_server::{
    sample_response, Reply, TestServer, TEST_SECRET_ID, TEST_SECRET_KEY,
};
use serde_json::{Map, Value};

const REQUEST_ID: &str = "req-corpus";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tccli")
}

/// One line of the corpus.
#[derive(Debug)]
struct Case {
    line: String,
    reply: Option<Map<String, Value>>,
    /// Why stdout is allowed to differ (the bodies must still match).
    body_only: Option<String>,
    /// Neither tool sends a request.
    no_request: bool,
    args: Vec<String>,
}

fn parse_corpus(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for raw in text.lines() {
        let mut rest = raw.trim();
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        let line = rest.to_string();
        let mut reply = None;
        if rest.starts_with('{') {
            let end = rest.find("} ").map(|i| i + 1).unwrap_or(rest.len());
            let v: Value = serde_json::from_str(&rest[..end])
                .unwrap_or_else(|e| panic!("corpus reply {:?}: {e}", &rest[..end]));
            reply = v.as_object().cloned();
            rest = rest[end..].trim_start();
        }
        let no_request = rest.starts_with("!no-request ");
        if no_request {
            rest = rest["!no-request ".len()..].trim_start();
        }
        let mut body_only = None;
        if let Some(r) = rest.strip_prefix("!body-only(") {
            let end = r
                .find(") ")
                .unwrap_or_else(|| panic!("unclosed !body-only in {line}"));
            body_only = Some(r[..end].to_string());
            rest = r[end + 1..].trim_start();
        }
        cases.push(Case {
            args: shell_words(rest).unwrap_or_else(|e| panic!("{line}: {e}")),
            line,
            reply,
            body_only,
            no_request,
        });
    }
    cases
}

/// Splits like a POSIX shell for the quoting the corpus uses: '...', "..." and blanks.
fn shell_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(x) => cur.push(x),
                        None => return Err(format!("unclosed {c}")),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn envelope(members: Map<String, Value>) -> Reply {
    let mut m = members;
    m.insert("RequestId".into(), REQUEST_ID.into());
    let body = serde_json::json!({ "Response": m }).to_string();
    Reply::Raw(body.into_bytes())
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(mut cmd: Command) -> Out {
    let out = cmd.output().expect("run");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
#[ignore = "needs tccli-intl-en: set CAR_TCCLI to its executable"]
fn tccli_and_car_send_and_print_the_same() {
    let tccli = std::env::var("CAR_TCCLI").unwrap_or_default();
    assert!(
        !tccli.is_empty(),
        "CAR_TCCLI is not set: point it at tccli-intl-en 3.1.193.1's `tccli` executable \
         (python3 -m venv V && V/bin/pip install tccli-intl-en==3.1.193.1; CAR_TCCLI=V/bin/tccli)"
    );
    let server = TestServer::builder()
        .tls()
        .handler(|action, _| envelope(sample_response(action)))
        .start()
        .expect("server");
    let work = tempfile::tempdir().expect("temp dir");
    let ca = work.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem().expect("tls")).expect("write ca");
    // The Tencent SDK under tccli trusts only certifi's bundle; a `certifi` module earlier
    // on PYTHONPATH points it (and requests) at the test CA without touching tccli's venv.
    let shim = work.path().join("shim/certifi");
    std::fs::create_dir_all(&shim).expect("shim dir");
    std::fs::write(
        shim.join("__init__.py"),
        format!(
            "def where():\n    return {:?}\n\ndef contents():\n    return open(where()).read()\n",
            ca.display().to_string()
        ),
    )
    .expect("shim");
    let endpoint = format!("localhost:{}", server.addr().port());
    let cases =
        parse_corpus(&std::fs::read_to_string(fixtures().join("corpus.txt")).expect("corpus"));
    assert!(cases.len() >= 20, "corpus too small: {}", cases.len());

    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for case in &cases {
        let home = tempfile::tempdir().expect("home");
        // The same line for both: `tccli car ARGS --endpoint E` and `car ARGS --endpoint E`.
        let command = |program: &str, service: &[&str]| {
            let mut c = Command::new(program);
            c.args(service)
                .args(&case.args)
                .args(["--endpoint", &endpoint])
                .env_clear()
                .env("HOME", home.path())
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("TENCENTCLOUD_SECRET_ID", TEST_SECRET_ID)
                .env("TENCENTCLOUD_SECRET_KEY", TEST_SECRET_KEY)
                .current_dir(fixtures());
            c
        };
        let before = server.requests().len();
        if let Some(r) = &case.reply {
            server.push_reply(envelope(r.clone()));
        }
        let mut tccli_cmd = command(&tccli, &["car"]);
        tccli_cmd.env("PYTHONPATH", work.path().join("shim"));
        let t_out = run(tccli_cmd);
        if let Some(r) = &case.reply {
            server.push_reply(envelope(r.clone()));
        }
        let mut car_cmd = command(common::BIN, &[]);
        car_cmd
            .env("SSL_CERT_FILE", &ca)
            .env("CAR_METADATA_ENDPOINT", "off");
        let c_out = run(car_cmd);
        let reqs = server.requests();
        let new: Vec<&Value> = reqs[before..].iter().map(|r| &r.body).collect();
        let mut problems = Vec::new();
        if t_out.code != Some(0) {
            problems.push(format!("tccli exit {:?}: {}", t_out.code, t_out.stderr));
        }
        if c_out.code != Some(0) {
            problems.push(format!("car exit {:?}: {}", c_out.code, c_out.stderr));
        }
        if case.no_request {
            if !new.is_empty() {
                problems.push(format!("expected no request, got {}", new.len()));
            }
        } else if new.len() != 2 {
            problems.push(format!(
                "expected one request from each tool, got {}",
                new.len()
            ));
        } else if new[0] != new[1] {
            problems.push(format!(
                "bodies differ:\n  tccli {}\n  car   {}",
                new[0], new[1]
            ));
        }
        match &case.body_only {
            Some(why) => notes.push(format!(
                "{}\n  stdout not compared ({why}); tccli:\n{}  car:\n{}",
                case.line, t_out.stdout, c_out.stdout
            )),
            None if t_out.stdout != c_out.stdout => problems.push(format!(
                "stdout differs:\n--- tccli\n{}--- car\n{}",
                t_out.stdout, c_out.stdout
            )),
            None => {}
        }
        if !problems.is_empty() {
            failures.push(format!("{}\n  {}", case.line, problems.join("\n  ")));
        }
    }
    for n in &notes {
        eprintln!("note: {n}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus lines differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_corpus_parses() {
    let cases =
        parse_corpus(&std::fs::read_to_string(fixtures().join("corpus.txt")).expect("corpus"));
    assert!(cases.len() >= 20);
    // Two lines with a scripted reply, one with a reason to compare bodies only.
    let find = |args: &str| {
        cases
            .iter()
            .find(|c| c.reply.is_some() && c.args.join(" ") == args)
            .unwrap_or_else(|| panic!("no corpus line ends with {args:?}"))
    };
    let json = find("DescribeConcurrentCount --output json");
    let text = find("DescribeConcurrentCount --output text");
    assert!(json
        .body_only
        .as_deref()
        .is_some_and(|w| w.contains("null")));
    assert_eq!(text.body_only, None);
    for c in [json, text] {
        assert_eq!(
            c.reply.as_ref().map(|r| r["Total"].clone()),
            Some(Value::from(3))
        );
    }
    assert_eq!(
        shell_words(r#"a '["x", "y"]' "b c"d"#).expect("words"),
        ["a", r#"["x", "y"]"#, "b cd"]
    );
}
