//! COS XML API request signatures (`q-sign-algorithm=sha1`): signing, as an uploader needs
//! it, and verification, as a COS server (the emulator) needs it. One implementation of
//! the canonical form serves both, so a signer and a verifier cannot drift apart.
//!
//! The steps (COS "Request Signature" page; `cos_auth.py` in cos-python-sdk-v5):
//! 1. `KeyTime` is `<start>;<end>` in Unix seconds.
//! 2. `SignKey` is the lowercase hex of `HMAC-SHA1(SecretKey, KeyTime)`; the hex *text* is
//!    the key of the last step.
//! 3. Parameters and headers are percent-encoded (everything but `A-Z a-z 0-9 - _ . ~`,
//!    uppercase hex), names lowercased, sorted, joined as `name=value` with `&`; their
//!    names joined with `;` are `q-url-param-list` / `q-header-list`.
//! 4. `HttpString` is `lower(method)\n<decoded path>\n<params>\n<headers>\n`.
//! 5. `StringToSign` is `sha1\n<KeyTime>\n<hex sha1(HttpString)>\n`.
//! 6. The signature is the hex of `HMAC-SHA1(SignKey, StringToSign)`.

use std::fmt;
use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};

type HmacSha1 = Hmac<Sha1>;

/// The only algorithm COS's XML API signatures use.
pub const ALGORITHM: &str = "sha1";

/// Headers cos-python-sdk-v5 signs (`cos_auth.py` `filter_headers`), besides any whose
/// name starts with `x-cos-` or `x-ci-`.
const SIGNED_HEADER_NAMES: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-type",
    "content-md5",
    "content-length",
    "expect",
    "expires",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-unmodified-since",
    "origin",
    "range",
    "transfer-encoding",
    "pic-operations",
];

/// Whether the official SDK signs a header of this name (any case): an uploader should sign
/// exactly these so that its requests look like the SDK's.
pub fn is_signed_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("x-cos-")
        || lower.starts_with("x-ci-")
        || SIGNED_HEADER_NAMES.contains(&lower.as_str())
}

/// A signature's validity window, `<start>;<end>` in Unix seconds (both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTime {
    /// First second the signature is valid.
    pub start: i64,
    /// Last second the signature is valid.
    pub end: i64,
}

impl KeyTime {
    /// The window cos-python-sdk-v5 uses: from 60 s before `now` (so a server whose clock
    /// is a little behind still accepts it) to `ttl_secs` after.
    pub fn around(now: i64, ttl_secs: i64) -> KeyTime {
        KeyTime {
            start: now.saturating_sub(60),
            end: now.saturating_add(ttl_secs),
        }
    }

    /// Parses `<start>;<end>`; `None` unless both are decimal seconds and start ≤ end.
    pub fn parse(text: &str) -> Option<KeyTime> {
        let (start, end) = text.split_once(';')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(start) || !digits(end) {
            return None;
        }
        let kt = KeyTime {
            start: start.parse().ok()?,
            end: end.parse().ok()?,
        };
        (kt.start <= kt.end).then_some(kt)
    }

    /// Whether `now` lies inside the window.
    pub fn covers(&self, now: i64) -> bool {
        self.start <= now && now <= self.end
    }
}

impl fmt::Display for KeyTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{}", self.start, self.end)
    }
}

/// The parts of a request a COS signature covers.
#[derive(Debug, Clone, Copy)]
pub struct CosRequest<'a> {
    /// HTTP method, any case.
    pub method: &'a str,
    /// The **decoded** object path with one leading `/` (`/` alone for bucket calls).
    pub path: &'a str,
    /// Query parameters as decoded `(name, value)` pairs; `?uploads` is `("uploads", "")`.
    pub params: &'a [(&'a str, &'a str)],
    /// Headers as `(name, value)` pairs with the values exactly as sent.
    pub headers: &'a [(&'a str, &'a str)],
}

/// Percent-encodes `text` as COS's canonical form does: unreserved characters stay, every
/// other byte of its UTF-8 becomes `%XX` with uppercase hex.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// One list (parameters or headers) in canonical form.
struct Canonical {
    /// `name=value&…`, sorted.
    joined: String,
    /// `name;…`, sorted.
    names: String,
}

fn canonical<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Canonical {
    let mut encoded: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(n, v)| (encode(n).to_ascii_lowercase(), encode(v)))
        .collect();
    encoded.sort();
    let mut joined = String::new();
    let mut names = String::new();
    for (i, (n, v)) in encoded.iter().enumerate() {
        if i > 0 {
            joined.push('&');
            names.push(';');
        }
        let _ = write!(joined, "{n}={v}");
        names.push_str(n);
    }
    Canonical { joined, names }
}

fn http_string_of(method: &str, path: &str, params: &Canonical, headers: &Canonical) -> String {
    format!(
        "{}\n{}\n{}\n{}\n",
        method.to_ascii_lowercase(),
        path,
        params.joined,
        headers.joined
    )
}

/// `HttpString` (step 4) over every parameter and header of `request`.
pub fn http_string(request: &CosRequest<'_>) -> String {
    http_string_of(
        request.method,
        request.path,
        &canonical(request.params.iter().copied()),
        &canonical(request.headers.iter().copied()),
    )
}

fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

/// `StringToSign` (step 5).
pub fn string_to_sign(key_time: KeyTime, http_string: &str) -> String {
    format!(
        "{ALGORITHM}\n{key_time}\n{}\n",
        sha1_hex(http_string.as_bytes())
    )
}

fn hmac_sha1(key: &[u8]) -> HmacSha1 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha1::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// `SignKey` (step 2): hex of `HMAC-SHA1(secret_key, key_time)`. As secret as the key for
/// that window: never log it.
pub fn sign_key(secret_key: &str, key_time: KeyTime) -> String {
    let mut mac = hmac_sha1(secret_key.as_bytes());
    mac.update(key_time.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn signature_mac(secret_key: &str, key_time: KeyTime, http_string: &str) -> HmacSha1 {
    let mut mac = hmac_sha1(sign_key(secret_key, key_time).as_bytes());
    mac.update(string_to_sign(key_time, http_string).as_bytes());
    mac
}

/// The `Authorization` header value for `request`, signing every parameter and header it
/// holds (pass only the headers [`is_signed_header`] accepts to sign as the SDK does).
/// `q-sign-time` and `q-key-time` are both `key_time`, as the SDK sends them.
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    request: &CosRequest<'_>,
    key_time: KeyTime,
) -> String {
    let params = canonical(request.params.iter().copied());
    let headers = canonical(request.headers.iter().copied());
    let http = http_string_of(request.method, request.path, &params, &headers);
    let signature = hex::encode(
        signature_mac(secret_key, key_time, &http)
            .finalize()
            .into_bytes(),
    );
    format!(
        "q-sign-algorithm={ALGORITHM}&q-ak={secret_id}&q-sign-time={key_time}&q-key-time={key_time}\
         &q-header-list={}&q-url-param-list={}&q-signature={signature}",
        headers.names, params.names
    )
}

/// A parsed `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    secret_id: String,
    sign_time: KeyTime,
    key_time: KeyTime,
    header_list: Vec<String>,
    param_list: Vec<String>,
    signature: String,
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field(
                "secret_id",
                &crate::signing::mask_secret_id(&self.secret_id),
            )
            .field("sign_time", &self.sign_time)
            .field("key_time", &self.key_time)
            .field("header_list", &self.header_list)
            .field("param_list", &self.param_list)
            .finish_non_exhaustive()
    }
}

/// Why an `Authorization` value could not be read; names the field, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A required `q-*` field is absent.
    #[error("the Authorization header has no `{0}` field")]
    Missing(&'static str),
    /// A field appears twice.
    #[error("the Authorization header has `{0}` twice")]
    Repeated(&'static str),
    /// A field's value is not what it should be.
    #[error("the Authorization header's `{field}` is not {expected}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What it should have been.
        expected: &'static str,
    },
}

const FIELDS: [&str; 7] = [
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
];

fn split_list(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split(';').map(str::to_owned).collect()
    }
}

impl Authorization {
    /// Parses `q-sign-algorithm=sha1&q-ak=…&…&q-signature=…`. Fields may come in any order;
    /// unknown fields are refused, as a value COS would not have produced.
    pub fn parse(header: &str) -> Result<Authorization, ParseError> {
        let mut values: [Option<&str>; 7] = [None; 7];
        for item in header.trim().split('&') {
            let (name, value) = item.split_once('=').ok_or(ParseError::Invalid {
                field: "Authorization",
                expected: "`&`-separated `q-name=value` fields",
            })?;
            let index = FIELDS
                .iter()
                .position(|f| *f == name)
                .ok_or(ParseError::Invalid {
                    field: "Authorization",
                    expected: "made only of the seven q-* fields",
                })?;
            if values[index].replace(value).is_some() {
                return Err(ParseError::Repeated(FIELDS[index]));
            }
        }
        let get = |i: usize| values[i].ok_or(ParseError::Missing(FIELDS[i]));
        if get(0)? != ALGORITHM {
            return Err(ParseError::Invalid {
                field: FIELDS[0],
                expected: "`sha1`",
            });
        }
        let secret_id = get(1)?;
        if secret_id.is_empty() {
            return Err(ParseError::Invalid {
                field: FIELDS[1],
                expected: "a SecretId",
            });
        }
        let time = |i: usize| {
            KeyTime::parse(get(i)?).ok_or(ParseError::Invalid {
                field: FIELDS[i],
                expected: "`<start>;<end>` in Unix seconds with start <= end",
            })
        };
        let signature = get(6)?;
        if signature.len() != 40 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseError::Invalid {
                field: FIELDS[6],
                expected: "40 hex digits",
            });
        }
        Ok(Authorization {
            secret_id: secret_id.to_owned(),
            sign_time: time(2)?,
            key_time: time(3)?,
            header_list: split_list(get(4)?),
            param_list: split_list(get(5)?),
            signature: signature.to_ascii_lowercase(),
        })
    }

    /// `q-ak`: the SecretId whose key signed the request.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// `q-sign-time`.
    pub fn sign_time(&self) -> KeyTime {
        self.sign_time
    }

    /// `q-key-time`.
    pub fn key_time(&self) -> KeyTime {
        self.key_time
    }

    /// `q-header-list`: the (encoded, lowercase) names of the signed headers.
    pub fn header_list(&self) -> &[String] {
        &self.header_list
    }

    /// `q-url-param-list`: the (encoded, lowercase) names of the signed parameters.
    pub fn param_list(&self) -> &[String] {
        &self.param_list
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `now` is after `q-sign-time`'s end.
    #[error("Request has expired: the signature was valid until {end}, it is now {now}")]
    Expired {
        /// End of `q-sign-time`.
        end: i64,
        /// The server's time.
        now: i64,
    },
    /// `now` is before `q-sign-time`'s start.
    #[error("the signature is valid only from {start}, it is now {now}")]
    NotYetValid {
        /// Start of `q-sign-time`.
        start: i64,
        /// The server's time.
        now: i64,
    },
    /// `q-key-time` does not cover `now`.
    #[error("q-key-time {key_time} does not cover the current time {now}")]
    KeyTimeNotCurrent {
        /// `q-key-time`.
        key_time: KeyTime,
        /// The server's time.
        now: i64,
    },
    /// A header named in `q-header-list` is not in the request.
    #[error("the signed header `{0}` is not in the request")]
    MissingHeader(String),
    /// A parameter named in `q-url-param-list` is not in the request.
    #[error("the signed parameter `{0}` is not in the request")]
    MissingParam(String),
    /// The recomputed signature differs.
    #[error("the request signature we calculated does not match the signature you provided")]
    SignatureMismatch,
}

/// The received pairs whose encoded, lowercased names are in `list` (the first of each),
/// with their names as received so that [`canonical`] encodes them once.
fn select<'a>(
    list: &'a [String],
    received: &'a [(&'a str, &'a str)],
    missing: fn(String) -> VerifyError,
) -> Result<Vec<(&'a str, &'a str)>, VerifyError> {
    list.iter()
        .map(|name| {
            received
                .iter()
                .find(|(n, _)| encode(n).eq_ignore_ascii_case(name))
                .copied()
                .ok_or_else(|| missing(name.clone()))
        })
        .collect()
}

/// Checks `auth` against the received `request` and the key `secret_key` at server time
/// `now` (Unix seconds): the time windows first, then the signature recomputed over the
/// headers and parameters the header names (others are not covered, so a retry's extra
/// `x-cos-sdk-retry` is harmless), compared in constant time.
pub fn verify(
    auth: &Authorization,
    secret_key: &str,
    request: &CosRequest<'_>,
    now: i64,
) -> Result<(), VerifyError> {
    if now > auth.sign_time.end {
        return Err(VerifyError::Expired {
            end: auth.sign_time.end,
            now,
        });
    }
    if now < auth.sign_time.start {
        return Err(VerifyError::NotYetValid {
            start: auth.sign_time.start,
            now,
        });
    }
    if !auth.key_time.covers(now) {
        return Err(VerifyError::KeyTimeNotCurrent {
            key_time: auth.key_time,
            now,
        });
    }
    let headers = select(
        &auth.header_list,
        request.headers,
        VerifyError::MissingHeader,
    )?;
    let params = select(&auth.param_list, request.params, VerifyError::MissingParam)?;
    let http = http_string_of(
        request.method,
        request.path,
        &canonical(params),
        &canonical(headers),
    );
    let claimed = hex::decode(&auth.signature).map_err(|_| VerifyError::SignatureMismatch)?;
    signature_mac(secret_key, auth.key_time, &http)
        .verify_slice(&claimed)
        .map_err(|_| VerifyError::SignatureMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        // RFC 3986 unreserved set; everything else escaped with uppercase hex.
        assert_eq!(encode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(encode("a b/c+d=e;f"), "a%20b%2Fc%2Bd%3De%3Bf");
        assert_eq!(encode("云"), "%E4%BA%91");
    }

    #[test]
    fn key_time_parsing_refuses_what_cos_would_not_send() {
        assert_eq!(KeyTime::parse("1;2"), Some(KeyTime { start: 1, end: 2 }));
        for bad in ["", "1", "2;1", "-1;2", "1;+2", "a;b", "1;2;3"] {
            assert_eq!(KeyTime::parse(bad), None, "{bad}");
        }
    }
}
