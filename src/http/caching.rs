//! HTTP caching of GET `/graphql` answers and of the exports
//! (docs/bi.md, "HTTP caching").
//!
//! An answer's strong `ETag` is a hash of what it is made of: the data
//! version, the request (document or persisted-query hash, variables,
//! operation name, as the URL spells them), the answer's media type and
//! `Accept-Encoding` (which decides its gzip, brotli or plain bytes), the
//! caller's scope (anonymous, or the account with its role, LAO and
//! province) and the day in Thailand (a few answers count days). A request
//! whose `If-None-Match` names it is answered `304 Not Modified` without
//! running anything, while the version has not moved.
//!
//! The version is the one this process has heard (`Analytics::subscribe`,
//! kept by its LISTEN task), read from memory: a revalidation costs no
//! statement. When it is not known (0: nothing heard yet, or a server
//! without the listener) no ETag is given and nothing is answered 304; nor
//! with read replicas (a replica may not have replayed the version heard);
//! nor for a short while after a mutation of this process, until the
//! version it made has been heard.
//!
//! `Cache-Control`: `no-cache, private` for a signed-in caller (the browser
//! keeps the answer, revalidates it each time, and no shared cache keeps
//! it); `public, max-age=30` for an anonymous one (published data, the same
//! for everyone: a CDN or proxy may serve it for 30 seconds, then
//! revalidates). Reference data keeps its resolvers' longer hint.

use super::AppState;
use crate::analytics::Analytics;
use crate::auth::Access;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `Cache-Control` of an anonymous answer.
pub const ANONYMOUS: &str = "public, max-age=30";
/// `Cache-Control` of a signed-in caller's answer.
pub const SIGNED_IN: &str = "no-cache, private";
/// What a cached answer varies by, besides `Accept-Encoding` (added by the
/// compression layer) and `Origin` (by the CORS layer).
pub const VARY: &str = "Accept, Authorization";

/// How long after a mutation of this process no answer is 304, unless the
/// version it made has been heard before.
const AFTER_WRITE: Duration = Duration::from_secs(10);

/// The process's own writes, which it may hear of only a moment later.
#[derive(Default)]
pub struct Writes {
    /// The version heard when this process last ran a mutation.
    version: AtomicI64,
    at: Mutex<Option<Instant>>,
}

impl Writes {
    /// Notes that a mutation ran (over HTTP), at the version heard now.
    pub fn wrote(&self, state: &AppState) {
        if let Some(analytics) = analytics(state) {
            let heard = *analytics.subscribe().borrow();
            self.version.fetch_max(heard, Ordering::SeqCst);
        }
        if let Ok(mut at) = self.at.lock() {
            *at = Some(Instant::now());
        }
    }

    /// Whether a write of this process may not have been heard yet.
    fn pending(&self, heard: i64) -> bool {
        let recent = self
            .at
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < AFTER_WRITE);
        recent && heard <= self.version.load(Ordering::SeqCst)
    }
}

fn analytics(state: &AppState) -> Option<&Arc<Analytics>> {
    state.schema.data::<Arc<Analytics>>()
}

/// The data version answers may be tagged and revalidated with, if known.
pub fn version(state: &AppState) -> Option<i64> {
    if state.replicas.is_some() {
        return None;
    }
    let heard = *analytics(state)?.subscribe().borrow();
    (heard > 0 && !state.writes.pending(heard)).then_some(heard)
}

/// The scope part of the tag: who reads what.
fn scope(access: &Access) -> String {
    match &access.account {
        None => "anonymous".into(),
        Some(a) => format!(
            "{}|{:?}|{:?}|{:?}",
            a.id, a.role, a.organisation_id, a.province_code
        ),
    }
}

/// The strong ETag of an answer: version, caller's scope, day, and `parts`
/// (the request as sent, the media type).
pub fn etag(version: i64, access: &Access, parts: &[&str]) -> String {
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let mut hash = Sha256::new();
    hash.update(scope(access).as_bytes());
    hash.update(b"\0");
    hash.update(today.to_string().as_bytes());
    for part in parts {
        hash.update(b"\0");
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"v{version}-{hex}\"")
}

/// The request's `Accept-Encoding`, a part of the tag: the compression
/// layer picks the representation's bytes by it, and a strong ETag names
/// bytes.
pub fn accept_encoding(headers: &HeaderMap) -> &str {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak comparison, as
/// RFC 9110 asks of `If-None-Match`.
pub fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// The `Cache-Control` for the caller.
pub fn control_for(access: &Access) -> &'static str {
    if access.account.is_some() {
        SIGNED_IN
    } else {
        ANONYMOUS
    }
}

/// Adds the validator and the caching headers to an answer.
pub fn tag(response: &mut Response, etag: Option<&str>, control: &str) {
    let headers = response.headers_mut();
    if let Some(value) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.append(header::VARY, HeaderValue::from_static(VARY));
}

/// `304 Not Modified` with the headers the full answer would have had.
pub fn not_modified(etag: &str, control: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    tag(&mut response, Some(etag), control);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_names_the_tag() {
        let tag = etag(7, &Access::anonymous(), &["query={a}", "json"]);
        assert!(tag.starts_with("\"v7-") && tag.ends_with('"'), "{tag}");
        assert_ne!(tag, etag(8, &Access::anonymous(), &["query={a}", "json"]));
        assert_ne!(tag, etag(7, &Access::anonymous(), &["query={b}", "json"]));
        let mut headers = HeaderMap::new();
        assert!(!matches(&headers, &tag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"other\", W/{tag}")).unwrap(),
        );
        assert!(matches(&headers, &tag));
    }
}
