//! Cross-origin use of the API (`TIDTAM_CORS_ORIGINS`): a dashboard served
//! from a province's own web server calls `/graphql`, the exports and
//! `/graphql/ws` from another origin.
//!
//! - None by default: no `Access-Control-*` header, as before; a browser
//!   refuses a foreign page's call (the API's own pages are same-origin).
//! - A list of origins (`https://dash.example.go.th,http://localhost:3000`):
//!   the preflight is answered for them, with `Authorization` and
//!   `Content-Type` allowed, so a signed-in dashboard works.
//! - `*`: any origin, for anonymous reads only: `Authorization` is not among
//!   the allowed headers, so a browser never sends a token cross-origin and
//!   no credentials (cookies) are allowed either.
//!
//! Every answer carries `Vary: Origin` (and the preflight's request headers),
//! so that a shared cache keeps one copy per origin. The CSRF rule of
//! `/graphql` is unchanged: only `application/json` POSTs run (and
//! multipart uploads with a custom header), which a foreign page can send
//! only after a preflight this layer answers for allowed origins alone.
//!
//! WebSockets have no preflight and browsers send them to any origin, so
//! `/graphql/ws` checks `Origin` itself on the upgrade ([`Cors::allows_socket`]).

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Which foreign origins may call the API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cors {
    /// Only the API's own origin (the default).
    #[default]
    SameOrigin,
    /// Any origin, anonymously (`*`).
    Anonymous,
    /// These origins (`scheme://host[:port]`, lower case).
    Origins(Vec<String>),
}

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

impl Cors {
    /// Reads `TIDTAM_CORS_ORIGINS`' items: origins, or `*` alone.
    pub fn parse(items: &[String]) -> Result<Cors, String> {
        let items: Vec<&str> = items
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if items.is_empty() {
            return Ok(Cors::SameOrigin);
        }
        if items.contains(&"*") {
            if items.len() > 1 {
                return Err("TIDTAM_CORS_ORIGINS: `*` stands alone, not in a list".into());
            }
            return Ok(Cors::Anonymous);
        }
        let mut origins = Vec::new();
        for item in items {
            origins.push(normalise(item).ok_or_else(|| {
                format!("TIDTAM_CORS_ORIGINS: {item:?} is not an origin such as https://dash.example.go.th or http://127.0.0.1:3000")
            })?);
        }
        Ok(Cors::Origins(origins))
    }

    /// The layer that answers preflights and adds the `Access-Control-*`
    /// headers; `None` for the same-origin default.
    pub fn layer(&self) -> Option<CorsLayer> {
        let exposed = [
            header::ETAG,
            header::CONTENT_DISPOSITION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-tidtam-lsn"),
        ];
        let base = CorsLayer::new()
            .allow_methods([Method::GET, Method::POST])
            .expose_headers(exposed)
            .max_age(PREFLIGHT_MAX_AGE);
        match self {
            Cors::SameOrigin => None,
            Cors::Anonymous => Some(
                base.allow_origin(AllowOrigin::any())
                    .allow_headers([header::CONTENT_TYPE]),
            ),
            Cors::Origins(list) => {
                let values: Vec<HeaderValue> = list
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok())
                    .collect();
                Some(base.allow_origin(AllowOrigin::list(values)).allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    HeaderName::from_static("x-tidtam-csrf"),
                    HeaderName::from_static("apollo-require-preflight"),
                    HeaderName::from_static("x-tidtam-min-lsn"),
                ]))
            }
        }
    }

    /// Whether a WebSocket upgrade with these headers may go on: no `Origin`
    /// (not a browser), the server's own origin (`Origin`'s host is `Host`),
    /// or an origin this setting allows.
    pub fn allows_socket(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Some(origin) = origin.to_str().ok().and_then(normalise) else {
            return false;
        };
        let own = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| {
                origin
                    .split_once("://")
                    .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
            });
        own || match self {
            Cors::SameOrigin => false,
            Cors::Anonymous => true,
            Cors::Origins(list) => list.contains(&origin),
        }
    }
}

/// `scheme://host[:port]` in lower case, the default port left out, as a
/// browser writes `Origin`; `None` for anything else (a path, `null`).
fn normalise(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || !(url.path() == "/" || url.path().is_empty())
        || url.query().is_some()
        || !url.username().is_empty()
    {
        return None;
    }
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_and_checked() {
        assert_eq!(Cors::parse(&[]), Ok(Cors::SameOrigin));
        assert_eq!(Cors::parse(&["*".into()]), Ok(Cors::Anonymous));
        assert!(Cors::parse(&["*".into(), "http://a.example".into()]).is_err());
        assert_eq!(
            Cors::parse(&[
                "HTTPS://Dash.Example.go.th/".into(),
                " http://127.0.0.1:3000".into()
            ]),
            Ok(Cors::Origins(vec![
                "https://dash.example.go.th".into(),
                "http://127.0.0.1:3000".into()
            ]))
        );
        assert!(Cors::parse(&["https://a.example/path".into()]).is_err());
        assert!(Cors::parse(&["a.example".into()]).is_err());
    }

    #[test]
    fn a_socket_is_opened_from_its_own_or_an_allowed_origin() {
        let headers = |origin: Option<&str>| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
            if let Some(o) = origin {
                h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
            }
            h
        };
        let list = Cors::Origins(vec!["http://127.0.0.2:9000".into()]);
        assert!(Cors::SameOrigin.allows_socket(&headers(None)));
        assert!(Cors::SameOrigin.allows_socket(&headers(Some("http://127.0.0.1:8080"))));
        assert!(!Cors::SameOrigin.allows_socket(&headers(Some("http://127.0.0.2:9000"))));
        assert!(list.allows_socket(&headers(Some("http://127.0.0.2:9000"))));
        assert!(!list.allows_socket(&headers(Some("http://evil.example"))));
        assert!(!list.allows_socket(&headers(Some("null"))));
        assert!(Cors::Anonymous.allows_socket(&headers(Some("http://evil.example"))));
    }
}
