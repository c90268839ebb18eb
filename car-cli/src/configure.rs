//! `car configure [set|get|list|remove]`: reads and writes tccli's own profile files,
//! `~/.tccli/<profile>.credential` and `~/.tccli/<profile>.configure`, in the layout
//! car-api's `TccliConfig` reads, so tccli and car share one set-up.

mod store;

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

use crate::exit::{print_stdout, Failure};
use crate::output::escape::for_terminal;
use store::{load, save};

const SYS_PARAM: &str = "_sys_param";
const CRED_KEYS: &[&str] = &[
    "secretId",
    "secretKey",
    "token",
    "role-arn",
    "role-session-name",
];
const SECRET_KEYS: &[&str] = &["secretId", "secretKey", "token"];
const SYS_KEYS: &[&str] = &["region", "output", "language"];
const KEY_HELP: &str = "Keys: secretId, secretKey, token, region, output (json|table|text), \
    language (en-US|zh-CN), car.endpoint, car.version (and SERVICE.endpoint / SERVICE.version)";

pub fn command() -> Command {
    let keys = |help: &'static str| {
        Arg::new("pairs")
            .value_name("KEY")
            .num_args(1..)
            .required(true)
            .action(ArgAction::Append)
            .help(help)
    };
    Command::new("configure")
        .about("Set up credentials and defaults in tccli's profile files (~/.tccli/<profile>.credential and .configure)")
        .long_about(
            "Without a subcommand, asks for SecretId, SecretKey (not echoed on a terminal), region and \
             output format, one line each on standard input; an empty answer keeps the current value, \
             and input that ends before the last answer writes nothing. Files are written with mode \
             0600, only into a ~/.tccli that no other user can write to.",
        )
        .after_help(KEY_HELP)
        .subcommand(
            Command::new("set")
                .about("Set one or more values: car configure set KEY VALUE [KEY VALUE ...]")
                .arg(keys("KEY VALUE pairs").value_name("KEY VALUE"))
                .after_help(KEY_HELP),
        )
        .subcommand(Command::new("get").about("Print values (secrets masked)").arg(keys("Keys to print")).after_help(KEY_HELP))
        .subcommand(Command::new("list").about("List the profile's settings (secrets masked)"))
        .subcommand(Command::new("remove").about("Delete the profile's files"))
}

/// Where the profile's files are.
struct Profile {
    name: String,
    credential: PathBuf,
    configure: PathBuf,
}

fn profile(explicit: Option<&str>) -> Result<Profile, Failure> {
    let env = car_api::credentials::Env::process();
    let name = car_api::credentials::tccli_profile_name(explicit, &env);
    if let Some(why) = car_api::credentials::profile_name_problem(&name) {
        let source = if explicit.is_some() {
            "--profile"
        } else {
            "TCCLI_PROFILE"
        };
        return Err(Failure::usage(format!(
            "{source}: {name:?} is not a valid profile name: {why}"
        )));
    }
    let home = env
        .home_dir()
        .ok_or_else(|| Failure::config("HOME is not set, so there is no ~/.tccli directory"))?;
    let dir = home.join(".tccli");
    Ok(Profile {
        credential: dir.join(format!("{name}.credential")),
        configure: dir.join(format!("{name}.configure")),
        name,
    })
}

pub fn run(m: &ArgMatches, explicit_profile: Option<&str>) -> Result<(), Failure> {
    let p = profile(explicit_profile)?;
    match m.subcommand() {
        Some(("set", sm)) => set(
            &p,
            &sm.get_many::<String>("pairs")
                .map(|v| v.cloned().collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
        Some(("get", sm)) => get(
            &p,
            &sm.get_many::<String>("pairs")
                .map(|v| v.cloned().collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
        Some(("list", _)) => list(&p),
        Some(("remove", _)) => remove(&p),
        _ => interactive(&p),
    }
}

/// `****abcd`: enough to tell keys apart, not enough to use one.
pub fn mask(v: &str) -> String {
    let n = v.chars().count();
    if n <= 8 {
        "****".into()
    } else {
        format!("****{}", v.chars().skip(n - 4).collect::<String>())
    }
}

enum Key<'a> {
    Cred(&'a str),
    Sys(&'a str),
    Service(&'a str, &'a str),
}

fn classify(key: &str) -> Result<Key<'_>, Failure> {
    if CRED_KEYS.contains(&key) {
        return Ok(Key::Cred(key));
    }
    if SYS_KEYS.contains(&key) {
        return Ok(Key::Sys(key));
    }
    if let Some((svc, field)) = key.split_once('.') {
        if !svc.is_empty()
            && svc.chars().all(|c| c.is_ascii_alphanumeric())
            && (field == "endpoint" || field == "version")
        {
            return Ok(Key::Service(svc, field));
        }
    }
    let known = CRED_KEYS
        .iter()
        .chain(SYS_KEYS)
        .copied()
        .chain(["car.endpoint", "car.version"]);
    let hint = car_api::params::suggest(key, known)
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    Err(Failure::usage(format!(
        "unknown configuration key {key:?}{hint}. {KEY_HELP}"
    )))
}

fn validate(key: &str, value: &str) -> Result<(), Failure> {
    match key {
        "output" if !matches!(value, "json" | "table" | "text") => Err(Failure::usage(format!(
            "output must be json, table or text, got {value:?}"
        ))),
        "language" if !matches!(value, "en-US" | "zh-CN") => Err(Failure::usage(format!(
            "language must be en-US or zh-CN, got {value:?}"
        ))),
        k if k.ends_with(".endpoint") => car_api::Endpoint::parse(value).map(|_| ()).map_err(|e| {
            Failure::usage(format!(
                "{k}: {}",
                e.message().trim_start_matches("parameter endpoint: ")
            ))
        }),
        _ => Ok(()),
    }
}

fn set(p: &Profile, pairs: &[String]) -> Result<(), Failure> {
    if !pairs.len().is_multiple_of(2) {
        return Err(Failure::usage(
            "expected KEY VALUE pairs, e.g. `car configure set region ap-singapore output table`",
        ));
    }
    let mut cred: Option<Map<String, Value>> = None;
    let mut conf: Option<Map<String, Value>> = None;
    for kv in pairs.chunks(2) {
        // Pasted values often carry a stray space or newline, which no key or region has.
        let (key, value) = (kv[0].as_str(), kv[1].trim());
        let k = classify(key)?;
        if value.is_empty() {
            return Err(Failure::usage(format!("{key}: the value is empty")));
        }
        validate(key, value)?;
        match k {
            Key::Cred(k) => {
                let c = match &mut cred {
                    Some(c) => c,
                    None => cred.insert(load(&p.credential)?),
                };
                c.insert(k.into(), Value::String(value.into()));
            }
            Key::Sys(k) => {
                let c = match &mut conf {
                    Some(c) => c,
                    None => conf.insert(load_configure(&p.configure)?),
                };
                with_sys(c, |sys| sys.insert(k.into(), Value::String(value.into())));
            }
            Key::Service(svc, field) => {
                let c = match &mut conf {
                    Some(c) => c,
                    None => conf.insert(load_configure(&p.configure)?),
                };
                let entry = c
                    .entry(svc.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(o) = entry {
                    o.insert(field.into(), Value::String(value.into()));
                }
            }
        }
    }
    if let Some(c) = cred {
        save(&p.credential, &c)?;
    }
    if let Some(c) = conf {
        save(&p.configure, &c)?;
    }
    Ok(())
}

fn lookup(p: &Profile, key: &str) -> Result<Option<String>, Failure> {
    let found = match classify(key)? {
        Key::Cred(k) => load(&p.credential)?.get(k).cloned(),
        Key::Sys(k) => {
            let c = load_configure(&p.configure)?;
            c.get(SYS_PARAM).and_then(|s| s.get(k)).cloned()
        }
        Key::Service(svc, field) => load(&p.configure)?
            .get(svc)
            .and_then(|s| s.get(field))
            .cloned(),
    };
    Ok(match found {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Null) | Some(Value::String(_)) | None => None,
        Some(other) => Some(other.to_string()),
    })
}

fn get(p: &Profile, keys: &[String]) -> Result<(), Failure> {
    for key in keys {
        classify(key)?;
    }
    require_profile(p)?;
    let mut out = String::new();
    for key in keys {
        match lookup(p, key)? {
            Some(v) if SECRET_KEYS.contains(&key.as_str()) => {
                out.push_str(&format!("{}\n", mask(&v)))
            }
            Some(v) => out.push_str(&format!("{}\n", for_terminal(&v))),
            None => {
                print_stdout(&out);
                return Err(Failure::config(format!(
                    "{key} is not set in profile {:?}",
                    p.name
                )));
            }
        }
    }
    print_stdout(&out);
    Ok(())
}

/// `get`, `list` and `remove` on a profile that has neither file fail alike.
fn require_profile(p: &Profile) -> Result<(), Failure> {
    if p.credential.exists() || p.configure.exists() {
        Ok(())
    } else {
        Err(missing_profile(p))
    }
}

fn missing_profile(p: &Profile) -> Failure {
    Failure::config(format!(
        "profile {:?} does not exist (there is no {} or {})",
        p.name,
        p.credential.display(),
        p.configure.display()
    ))
}

fn list(p: &Profile) -> Result<(), Failure> {
    require_profile(p)?;
    let mut out = format!("profile = {}\ncredential:\n", p.name);
    let cred = load(&p.credential)?;
    for k in CRED_KEYS {
        if let Some(Value::String(v)) = cred
            .get(*k)
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            let shown = if SECRET_KEYS.contains(k) {
                mask(v)
            } else {
                v.clone()
            };
            out.push_str(&format!("{k} = {}\n", for_terminal(&shown)));
        }
    }
    if let Some(Value::String(t)) = cred.get("type") {
        out.push_str(&format!("type = {}\n", for_terminal(t)));
    }
    out.push_str("configure:\n");
    let conf = load_configure(&p.configure)?;
    if let Some(Value::Object(sys)) = conf.get(SYS_PARAM) {
        for k in SYS_KEYS {
            if let Some(Value::String(v)) = sys
                .get(*k)
                .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            {
                out.push_str(&format!("{k} = {}\n", for_terminal(v)));
            }
        }
    }
    for (svc, v) in &conf {
        if svc == SYS_PARAM {
            continue;
        }
        for field in ["version", "endpoint"] {
            if let Some(Value::String(s)) = v.get(field) {
                out.push_str(&format!(
                    "{}.{field} = {}\n",
                    for_terminal(svc),
                    for_terminal(s)
                ));
            }
        }
    }
    print_stdout(&out);
    Ok(())
}

fn remove(p: &Profile) -> Result<(), Failure> {
    let mut removed = false;
    for path in [&p.credential, &p.configure] {
        match std::fs::remove_file(path) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Failure::config(format!(
                    "cannot remove {}: {e}",
                    path.display()
                )))
            }
        }
    }
    if removed {
        Ok(())
    } else {
        Err(missing_profile(p))
    }
}

fn interactive(p: &Profile) -> Result<(), Failure> {
    let mut cred = load(&p.credential)?;
    let mut conf = load_configure(&p.configure)?;
    let stdin = std::io::stdin();
    let on_terminal = stdin.is_terminal();
    let mut lines = stdin.lock().lines();
    let mut ask = |prompt: &str, current: &str, secret: bool| -> Result<String, Failure> {
        print_stdout(&format!("{prompt} [{current}]: "));
        let answer = if secret && on_terminal {
            read_hidden()
        } else {
            lines.next().transpose()
        };
        match answer {
            Ok(Some(l)) => Ok(l.trim().to_string()),
            Ok(None) => {
                // A script that stops early meant something else: keep what is there.
                print_stdout("\n");
                Err(Failure::usage(
                    "standard input ended before every question was answered; nothing was written",
                ))
            }
            Err(e) => Err(Failure::usage(format!("cannot read standard input: {e}"))),
        }
    };
    let shown =
        |v: Option<&Value>, secret: bool| match v.and_then(Value::as_str).filter(|s| !s.is_empty())
        {
            Some(s) if secret => mask(s),
            Some(s) => s.to_string(),
            None => "None".to_string(),
        };
    for (key, prompt) in [
        ("secretId", "TencentCloud API secretId"),
        ("secretKey", "TencentCloud API secretKey"),
    ] {
        let answer = ask(prompt, &shown(cred.get(key), true), key == "secretKey")?;
        if !answer.is_empty() {
            cred.insert(key.into(), Value::String(answer));
        }
    }
    let mut sys = match conf.remove(SYS_PARAM) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let region = ask(
        "Default region name",
        &shown(sys.get("region"), false),
        false,
    )?;
    if !region.is_empty() {
        sys.insert("region".into(), Value::String(region));
    }
    let current_output = sys
        .get("output")
        .and_then(Value::as_str)
        .filter(|o| matches!(*o, "json" | "table" | "text"))
        .unwrap_or("json")
        .to_string();
    let output = ask("Default output format", &current_output, false)?;
    let output = if output.is_empty() {
        current_output
    } else if matches!(output.as_str(), "json" | "table" | "text") {
        output
    } else {
        crate::exit::print_stderr(&format!(
            "output format must be json, text or table; keeping {current_output}\n"
        ));
        current_output
    };
    sys.insert("output".into(), Value::String(output));
    conf.insert(SYS_PARAM.into(), Value::Object(sys));
    save(&p.credential, &cred)?;
    save(&p.configure, &conf)?;
    Ok(())
}

/// Reads one line from the terminal on standard input without echoing it; `None` at end
/// of input (Ctrl-D on an empty line).
fn read_hidden() -> std::io::Result<Option<String>> {
    let config = rpassword::ConfigBuilder::new().output_writer(std::io::stdout());
    // The terminal the other answers come from, which is not always the controlling one.
    #[cfg(unix)]
    let config = config.input_file_path("/dev/stdin");
    match rpassword::read_password_with_config(config.build()) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// Runs `f` on the `_sys_param` object, creating it (or replacing a non-object) first.
fn with_sys<R>(conf: &mut Map<String, Value>, f: impl FnOnce(&mut Map<String, Value>) -> R) -> R {
    let mut sys = match conf.remove(SYS_PARAM) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let r = f(&mut sys);
    conf.insert(SYS_PARAM.into(), Value::Object(sys));
    r
}

/// Like [`load`], moving settings that tccli before 3.0.30 kept at the top level into
/// `_sys_param`, as tccli itself does when it rewrites the file.
fn load_configure(path: &Path) -> Result<Map<String, Value>, Failure> {
    let mut conf = load(path)?;
    for k in SYS_KEYS {
        if conf.get(*k).is_some_and(|v| !v.is_object()) {
            if let Some(v) = conf.remove(*k) {
                with_sys(&mut conf, |sys| {
                    sys.entry(k.to_string()).or_insert(v);
                });
            }
        }
    }
    Ok(conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_the_tail() {
        assert_eq!(mask("AKIDabcdefgh1234"), "****1234");
        assert_eq!(mask("short"), "****");
    }

    #[test]
    fn keys_are_classified() {
        assert!(matches!(
            classify("car.endpoint"),
            Ok(Key::Service("car", "endpoint"))
        ));
        assert!(matches!(classify("secretKey"), Ok(Key::Cred(_))));
        let e = classify("regoin").err().unwrap();
        assert!(
            e.messages[0].contains("did you mean region?"),
            "{:?}",
            e.messages
        );
    }
}
