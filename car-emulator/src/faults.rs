//! Faults on demand, for clients' reliability tests: per CAR action or COS operation,
//! throttling, HTTP 5xx, a connection reset, a delay, a truncated body or a scripted API
//! error, for the next N
//! matching requests or a fraction of them (drawn from a seeded generator, so a test
//! sees the same sequence every run).
//!
//! A fault is written `[cos:]NAME:KIND[:COUNT]`:
//! - `NAME`: a CAR action (`CreateSession`), a COS operation after `cos:` (`UploadPart`),
//!   or `*` for any;
//! - `KIND`: `throttle` (CAR `RequestLimitExceeded`, COS `SlowDown` with 503),
//!   `status=5xx` (that HTTP status), `reset` (close without answering), `delay=DURATION`
//!   (`250ms`, `2s`; then the normal answer), `truncate` (half the body, then close) or
//!   `error=CODE` (that API error in the service's envelope, e.g.
//!   `error=ResourceNotFound.NoIdle`; on COS, that code in its XML form with 400);
//! - `COUNT`: `next=N` (the next N matching requests; the default is `next=1`) or
//!   `rate=F` (each matching request with probability F, 0 < F ≤ 1, until cleared).
//!
//! Examples: `CreateSession:throttle:next=3`, `cos:UploadPart:reset:rate=0.2`,
//! `*:delay=2s:next=1`, `CreateSession:error=ResourceNotFound.NoIdle`.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Which side a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// The CAR API; the name is an action.
    Car,
    /// The COS API; the name is an operation.
    Cos,
}

/// What happens to a request a fault hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The service answers with this API error code, in its usual envelope (CAR) or
    /// XML error form with status 400 (COS): the scripted answer a test wants to see
    /// handled, e.g. `ResourceNotFound.NoIdle`.
    Error(String),
    /// The service's throttling answer.
    Throttle,
    /// This HTTP status with a gateway-style body.
    Status(u16),
    /// The connection closes without an answer.
    Reset,
    /// The answer comes this much later (by tokio's clock).
    Delay(Duration),
    /// The answer announces its full length, sends half, and the connection closes.
    Truncate,
}

/// How many matching requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultCount {
    /// The next N, then the fault is spent.
    Next(u32),
    /// Each with this probability, until the faults are cleared.
    Rate(f64),
}

/// One fault: where, what and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// CAR or COS.
    pub side: Side,
    /// The action or operation; `None` for any.
    pub name: Option<String>,
    /// What happens.
    pub kind: FaultKind,
    /// How often.
    pub count: FaultCount,
}

impl Fault {
    /// A fault for the next request of the CAR action `action` (`*` for any).
    pub fn car(action: &str, kind: FaultKind) -> Fault {
        Fault {
            side: Side::Car,
            name: (action != "*").then(|| action.to_owned()),
            kind,
            count: FaultCount::Next(1),
        }
    }

    /// A fault for the next request of the COS operation `operation` (`*` for any).
    pub fn cos(operation: &str, kind: FaultKind) -> Fault {
        Fault {
            side: Side::Cos,
            ..Fault::car(operation, kind)
        }
    }

    /// Hits the next `n` matching requests.
    pub fn next(mut self, n: u32) -> Fault {
        self.count = FaultCount::Next(n);
        self
    }

    /// Hits each matching request with probability `rate`.
    pub fn rate(mut self, rate: f64) -> Fault {
        self.count = FaultCount::Rate(rate);
        self
    }
}

/// A fault specification that does not parse; says which and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault `{spec}`: {problem} (the form is [cos:]NAME:KIND[:next=N|:rate=F], e.g. CreateSession:throttle:next=3)")]
pub struct FaultSpecError {
    /// The specification as given.
    pub spec: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FromStr for Fault {
    type Err = FaultSpecError;

    fn from_str(spec: &str) -> Result<Fault, FaultSpecError> {
        let fail = |problem: String| FaultSpecError {
            spec: spec.to_owned(),
            problem,
        };
        let (side, rest) = match spec.strip_prefix("cos:") {
            Some(rest) => (Side::Cos, rest),
            None => (Side::Car, spec),
        };
        let mut parts = rest.split(':');
        let name = parts.next().unwrap_or_default();
        if name.is_empty() || !(name == "*" || name.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return Err(fail(format!(
                "expected an action or operation name or `*` first, got `{name}`"
            )));
        }
        let kind = match parts.next() {
            None | Some("") => return Err(fail("expected a kind after the name".into())),
            Some(k) => parse_kind(k).map_err(fail)?,
        };
        let count = match parts.next() {
            None => FaultCount::Next(1),
            Some(c) => parse_count(c).map_err(fail)?,
        };
        if let Some(extra) = parts.next() {
            return Err(fail(format!(
                "expected nothing after the count, got `{extra}`"
            )));
        }
        Ok(Fault {
            side,
            name: (name != "*").then(|| name.to_owned()),
            kind,
            count,
        })
    }
}

fn parse_kind(kind: &str) -> Result<FaultKind, String> {
    let (word, value) = match kind.split_once('=') {
        Some((w, v)) => (w, Some(v)),
        None => (kind, None),
    };
    match (word, value) {
        ("throttle", None) => Ok(FaultKind::Throttle),
        ("reset", None) => Ok(FaultKind::Reset),
        ("truncate", None) => Ok(FaultKind::Truncate),
        ("error", Some(code))
            if !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_') =>
        {
            Ok(FaultKind::Error(code.to_owned()))
        }
        ("error", _) => Err(format!(
            "expected error=CODE, an API error code such as ResourceNotFound.NoIdle, got `{kind}`"
        )),
        ("status", Some(v)) => match v.parse::<u16>() {
            Ok(s @ 500..=599) => Ok(FaultKind::Status(s)),
            _ => Err(format!("expected status=5xx (500 to 599), got `{kind}`")),
        },
        ("delay", Some(v)) => parse_duration(v)
            .map(FaultKind::Delay)
            .ok_or_else(|| format!("expected delay=DURATION such as 250ms or 2s, got `{kind}`")),
        _ => Err(format!(
            "expected a kind: throttle, status=5xx, reset, delay=DURATION, truncate or error=CODE, got `{kind}`"
        )),
    }
}

fn parse_duration(v: &str) -> Option<Duration> {
    if let Some(ms) = v.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    v.strip_suffix('s')?.parse().ok().map(Duration::from_secs)
}

fn parse_count(count: &str) -> Result<FaultCount, String> {
    match count.split_once('=') {
        Some(("next", n)) => match n.parse::<u32>() {
            Ok(n) if n > 0 => Ok(FaultCount::Next(n)),
            _ => Err(format!(
                "expected next=N with N a positive whole number, got `{count}`"
            )),
        },
        Some(("rate", f)) => match f.parse::<f64>() {
            Ok(f) if f > 0.0 && f <= 1.0 => Ok(FaultCount::Rate(f)),
            _ => Err(format!("expected rate=F with 0 < F <= 1, got `{count}`")),
        },
        _ => Err(format!("expected next=N or rate=F, got `{count}`")),
    }
}

/// The faults in force; clones share them. Set from `--fault` at start and changed at
/// run time through [`crate::RunningEmulator::faults`].
#[derive(Clone)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    active: Vec<Fault>,
    rng: StdRng,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.lock().active.iter()).finish()
    }
}

impl Faults {
    /// No faults; `seed` drives `rate=` draws.
    pub fn new(seed: u64) -> Faults {
        Faults {
            inner: Arc::new(Mutex::new(Inner {
                active: Vec::new(),
                rng: StdRng::seed_from_u64(seed),
            })),
        }
    }

    /// Adds a fault; earlier faults are consulted first.
    pub fn push(&self, fault: Fault) {
        self.lock().active.push(fault);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.lock().active.clear();
    }

    /// The faults still in force.
    pub fn active(&self) -> Vec<Fault> {
        self.lock().active.clone()
    }

    /// The fault, if any, for this request of `name` on `side`; spends one of a `next=`
    /// fault's requests.
    pub fn take(&self, side: Side, name: &str) -> Option<FaultKind> {
        let mut inner = self.lock();
        let Inner { active, rng } = &mut *inner;
        let mut hit = None;
        for (i, fault) in active.iter_mut().enumerate() {
            if fault.side != side || fault.name.as_deref().is_some_and(|n| n != name) {
                continue;
            }
            match &mut fault.count {
                FaultCount::Next(n) => {
                    *n -= 1;
                    hit = Some((i, fault.kind.clone(), *n == 0));
                    break;
                }
                FaultCount::Rate(p) => {
                    if rng.gen_bool(*p) {
                        hit = Some((i, fault.kind.clone(), false));
                        break;
                    }
                }
            }
        }
        let (i, kind, spent) = hit?;
        if spent {
            active.remove(i);
        }
        Some(kind)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Marks a response the server must not send: it closes the connection instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hangup;

/// A response that makes the server close the connection without answering.
pub(crate) fn hangup() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(Hangup);
    response
}

/// A gateway-style answer with `status`, as a load balancer in front of the service
/// would give.
pub(crate) fn gateway_status(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let text = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Server Error")
    );
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `response` with its full `Content-Length` announced but only the first half of its
/// body sent, after which the connection fails.
pub(crate) async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return hangup(),
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(..bytes.len() / 2);
    // hyper flushes what it holds when the body is not ready; yielding once between the
    // half and the failure makes the head and the half reach the client before the
    // connection is cut.
    let stream = futures_util::stream::unfold(Some(half), |state| async move {
        match state {
            Some(half) => Some((Ok(half), None)),
            None => {
                tokio::task::yield_now().await;
                Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "truncated by a fault",
                    )),
                    None,
                ))
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples_parse() {
        assert_eq!(
            "CreateSession:throttle:next=3".parse::<Fault>().unwrap(),
            Fault::car("CreateSession", FaultKind::Throttle).next(3)
        );
        assert_eq!(
            "cos:UploadPart:reset:rate=0.2".parse::<Fault>().unwrap(),
            Fault::cos("UploadPart", FaultKind::Reset).rate(0.2)
        );
        assert_eq!(
            "*:delay=2s:next=1".parse::<Fault>().unwrap(),
            Fault::car("*", FaultKind::Delay(Duration::from_secs(2)))
        );
        assert_eq!(
            "cos:*:status=503".parse::<Fault>().unwrap(),
            Fault::cos("*", FaultKind::Status(503))
        );
        assert_eq!(
            "X:delay=250ms:next=2".parse::<Fault>().unwrap().kind,
            FaultKind::Delay(Duration::from_millis(250))
        );
        assert_eq!(
            "X:truncate".parse::<Fault>().unwrap().kind,
            FaultKind::Truncate
        );
        assert_eq!(
            "CreateSession:error=ResourceNotFound.NoIdle"
                .parse::<Fault>()
                .unwrap(),
            Fault::car(
                "CreateSession",
                FaultKind::Error("ResourceNotFound.NoIdle".into())
            )
        );
    }

    #[test]
    fn parse_errors_name_the_spec_and_what_was_expected() {
        for (spec, expected) in [
            ("", "expected an action or operation name or `*` first, got ``"),
            ("Create-Session:throttle", "name or `*` first, got `Create-Session`"),
            ("CreateSession", "expected a kind after the name"),
            ("CreateSession:explode", "expected a kind: throttle, status=5xx, reset, delay=DURATION, truncate or error=CODE, got `explode`"),
            ("CreateSession:error=", "expected error=CODE, an API error code such as ResourceNotFound.NoIdle, got `error=`"),
            ("CreateSession:error=a<b>", "expected error=CODE, an API error code such as ResourceNotFound.NoIdle, got `error=a<b>`"),
            ("CreateSession:status=404", "expected status=5xx (500 to 599), got `status=404`"),
            ("CreateSession:delay=2h", "expected delay=DURATION such as 250ms or 2s, got `delay=2h`"),
            ("CreateSession:reset:next=0", "expected next=N with N a positive whole number, got `next=0`"),
            ("CreateSession:reset:rate=1.5", "expected rate=F with 0 < F <= 1, got `rate=1.5`"),
            ("CreateSession:reset:often", "expected next=N or rate=F, got `often`"),
            ("CreateSession:reset:next=1:x", "expected nothing after the count, got `x`"),
        ] {
            let err = spec.parse::<Fault>().unwrap_err().to_string();
            assert!(err.starts_with(&format!("invalid fault `{spec}`: ")), "{err}");
            assert!(err.contains(expected), "{spec}: {err}");
        }
    }

    #[test]
    fn next_faults_hit_exactly_n_matching_requests_in_order() {
        let faults = Faults::new(0);
        faults.push(Fault::car("A", FaultKind::Throttle).next(2));
        faults.push(Fault::car("*", FaultKind::Reset));
        assert_eq!(faults.take(Side::Cos, "A"), None, "COS is another side");
        assert_eq!(faults.take(Side::Car, "A"), Some(FaultKind::Throttle));
        assert_eq!(faults.take(Side::Car, "B"), Some(FaultKind::Reset));
        assert_eq!(faults.take(Side::Car, "A"), Some(FaultKind::Throttle));
        assert_eq!(faults.take(Side::Car, "A"), None);
        assert!(faults.active().is_empty());
    }

    #[test]
    fn rate_faults_are_deterministic_for_a_seed_and_near_their_rate() {
        let draw = |seed| {
            let faults = Faults::new(seed);
            faults.push(Fault::cos("UploadPart", FaultKind::Reset).rate(0.25));
            (0..1000)
                .map(|_| faults.take(Side::Cos, "UploadPart").is_some())
                .collect::<Vec<bool>>()
        };
        let first = draw(7);
        assert_eq!(first, draw(7));
        assert_ne!(first, draw(8));
        let hits = first.iter().filter(|h| **h).count();
        // Binomial(1000, 0.25): mean 250, sd ≈ 13.7; ±6 sd never fails by chance.
        assert!((168..=332).contains(&hits), "{hits}");
    }
}
