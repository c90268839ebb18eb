//! `--all-pages` and `--wait-until NAME=KEY`: the library's paginators and named waiters,
//! reached from the command line of the action they drive.

use std::time::Duration;

use car_api::meta::ActionMeta;
use car_api::waiter::{WaitError, WaitPolicy, WaiterMeta};

use crate::exit::{Failure, Status};

/// tccli's waiter defaults, which `--waiter` uses too.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(180);
const INTERVAL: Duration = Duration::from_secs(5);

/// A named waiter, checked against the action before anything is sent.
#[derive(Debug)]
pub struct NamedWaiter {
    pub waiter: &'static WaiterMeta,
    pub key: String,
    pub timeout: Duration,
}

impl NamedWaiter {
    pub fn policy(&self) -> WaitPolicy {
        WaitPolicy::with_timeout(self.timeout)
            .interval(INTERVAL)
            .backoff(1.0, INTERVAL)
    }
}

/// `--all-pages` needs an action that pages.
pub fn check_all_pages(a: &ActionMeta) -> Result<(), String> {
    if car_api::paginate::paginator_meta(a.name).is_some() {
        return Ok(());
    }
    let paged: Vec<&str> = car_api::metadata::ACTIONS
        .iter()
        .filter(|x| car_api::paginate::paginator_meta(x.name).is_some())
        .map(|x| x.name)
        .collect();
    Err(format!(
        "--all-pages: {} does not page; the actions that do are {}",
        a.name,
        paged.join(", ")
    ))
}

/// Parses `--wait-until NAME=KEY` (NAME in the spec's or the method's spelling) and
/// `--wait-timeout SECONDS`.
pub fn parse_wait_until(
    a: &ActionMeta,
    arg: &str,
    timeout: Option<&str>,
) -> Result<NamedWaiter, String> {
    let names = || {
        let own: Vec<&str> = car_api::metadata::WAITERS
            .iter()
            .filter(|w| w.action == a.name)
            .map(|w| w.name)
            .collect();
        if own.is_empty() {
            format!("{} has no waiters", a.name)
        } else {
            format!("the waiters of {} are {}", a.name, own.join(", "))
        }
    };
    let Some((name, key)) = arg.split_once('=') else {
        return Err(format!(
            "--wait-until: expected NAME=KEY (e.g. ApplicationVersionReady=ver-1a2b3c4d), got {arg:?}; {}",
            names()
        ));
    };
    let Some(waiter) = car_api::waiter::waiter_meta(name).filter(|w| w.action == a.name) else {
        return Err(format!(
            "--wait-until: no waiter {name:?} for {}; {}",
            a.name,
            names()
        ));
    };
    if key.is_empty() {
        return Err(format!(
            "--wait-until: expected the {} to wait for after `=`",
            waiter.key
        ));
    }
    let timeout = match timeout {
        None => DEFAULT_TIMEOUT,
        Some(t) => match t.parse::<f64>() {
            Ok(s) if s > 0.0 && s.is_finite() && s < 1e9 => Duration::from_secs_f64(s),
            _ => {
                return Err(format!(
                    "--wait-timeout: expected a number of seconds above zero, got {t:?}"
                ))
            }
        },
    };
    Ok(NamedWaiter {
        waiter,
        key: key.to_string(),
        timeout,
    })
}

/// How a named wait that did not succeed is reported.
pub fn wait_failure(e: WaitError) -> Failure {
    match e {
        WaitError::Call { source, .. } => Failure::from(source),
        WaitError::Failed { .. } => Failure::new(Status::Network, "WaiterFailed", e.to_string()),
        other => Failure::new(Status::Network, "WaiterTimeout", other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(name: &str) -> &'static ActionMeta {
        car_api::meta::action(name).expect("action")
    }

    #[test]
    fn wait_until_is_checked_against_the_action() {
        let a = action("DescribeApplicationVersion");
        let w = parse_wait_until(a, "ApplicationVersionReady=ver-1", None).unwrap();
        assert_eq!(w.waiter.name, "ApplicationVersionReady");
        assert_eq!(w.key, "ver-1");
        assert_eq!(w.timeout, DEFAULT_TIMEOUT);
        let w =
            parse_wait_until(a, "wait_until_application_version_deleted=v", Some("2.5")).unwrap();
        assert_eq!(w.waiter.name, "ApplicationVersionDeleted");
        assert_eq!(w.timeout, Duration::from_millis(2500));

        let e = parse_wait_until(a, "ApplicationRunning=app-1", None).unwrap_err();
        assert!(
            e.contains("no waiter \"ApplicationRunning\" for DescribeApplicationVersion"),
            "{e}"
        );
        assert!(e.contains("ApplicationVersionReady"), "{e}");
        let e = parse_wait_until(a, "ApplicationVersionReady", None).unwrap_err();
        assert!(e.contains("expected NAME=KEY"), "{e}");
        let e = parse_wait_until(a, "ApplicationVersionReady=", None).unwrap_err();
        assert!(e.contains("ApplicationVersionId"), "{e}");
        let e = parse_wait_until(a, "ApplicationVersionReady=v", Some("-1")).unwrap_err();
        assert!(e.starts_with("--wait-timeout"), "{e}");
        let e = parse_wait_until(action("DeleteApplication"), "X=y", None).unwrap_err();
        assert!(e.contains("DeleteApplication has no waiters"), "{e}");
    }

    #[test]
    fn all_pages_only_where_an_action_pages() {
        assert!(check_all_pages(action("DescribeApplicationList")).is_ok());
        let e = check_all_pages(action("DescribeApplicationStatus")).unwrap_err();
        assert!(e.contains("DescribeApplicationList"), "{e}");
    }
}
