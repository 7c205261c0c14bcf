//! The monitoring dashboard at `/`: static files inside the binary, a client
//! of `/graphql` that runs the documents of `queries/` (served at
//! `/queries/{name}.graphql`). Text assets are sent gzip-compressed when the
//! browser accepts it.

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::sync::OnceLock;

const FILES: [(&str, &str, &str); 4] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../assets/dashboard/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard/app.css"),
    ),
    (
        "chart.umd.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/chart.umd.js"),
    ),
];

/// The documents of `queries/`, by name: served to the dashboard, and the only
/// ones accepted in persisted-only mode.
pub const QUERIES: [(&str, &str); 11] = [
    (
        "first-query",
        include_str!("../../queries/first-query.graphql"),
    ),
    (
        "project-report-list",
        include_str!("../../queries/project-report-list.graphql"),
    ),
    (
        "report-form",
        include_str!("../../queries/report-form.graphql"),
    ),
    (
        "elaas-balance",
        include_str!("../../queries/elaas-balance.graphql"),
    ),
    (
        "tracking-report",
        include_str!("../../queries/tracking-report.graphql"),
    ),
    (
        "province-overview",
        include_str!("../../queries/province-overview.graphql"),
    ),
    (
        "league-table",
        include_str!("../../queries/league-table.graphql"),
    ),
    ("provinces", include_str!("../../queries/provinces.graphql")),
    ("viewer", include_str!("../../queries/viewer.graphql")),
    (
        "organisation-disbursement",
        include_str!("../../queries/organisation-disbursement.graphql"),
    ),
    // A subscription, over /graphql/ws: registered so live dashboards work in
    // persisted-only mode too.
    (
        "tracking-changed",
        include_str!("../../queries/tracking-changed.graphql"),
    ),
];

/// Each file gzip-compressed once, on first use.
fn gzipped(index: usize) -> Option<&'static [u8]> {
    static CACHE: OnceLock<Vec<Option<Vec<u8>>>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            FILES
                .iter()
                .map(|(_, _, text)| {
                    let mut enc =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                    enc.write_all(text.as_bytes()).ok()?;
                    enc.finish().ok()
                })
                .collect()
        })
        .get(index)
        .and_then(|v| v.as_deref())
}

fn serve(name: &str, headers: &HeaderMap, cache: &'static str) -> Response {
    let Some(index) = FILES.iter().position(|(n, _, _)| *n == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (_, mime, text) = FILES[index];
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let vary = (header::VARY, "accept-encoding");
    match gzipped(index).filter(|_| gzip_ok) {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, cache),
                (header::CONTENT_ENCODING, "gzip"),
                vary,
            ],
            bytes,
        )
            .into_response(),
        None => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, cache),
                vary,
            ],
            text,
        )
            .into_response(),
    }
}

/// `GET /`
pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers, "no-cache")
}

/// `GET /assets/{file}`
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(&file, &headers, "public, max-age=3600")
}

/// `GET /queries/{name}.graphql`: the documents users run.
pub async fn query(Path(file): Path<String>) -> Response {
    let name = file.strip_suffix(".graphql").unwrap_or(&file);
    match QUERIES.iter().find(|(n, _)| *n == name) {
        Some((_, text)) => (
            [(header::CONTENT_TYPE, "application/graphql; charset=utf-8")],
            *text,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
