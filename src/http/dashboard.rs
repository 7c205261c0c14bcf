//! The monitoring dashboard at `/`: static files inside the binary, a client
//! of `/graphql` that runs the documents of `queries/` (served at
//! `/queries/{name}.graphql`). Sent compressed, with ETags (see `embedded`).

use super::embedded;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// The dashboard's files: name under `/assets/`, media type, content. The
/// Thai web font (Sarabun, OFL: its licence is served beside it) is inside the
/// binary too, so that a machine with no Thai font (a kiosk, a headless PDF
/// job) still draws Thai, and no other host is asked for it.
const FILES: [(&str, &str, &[u8]); 9] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../assets/dashboard/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/dashboard/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/dashboard/app.css"),
    ),
    (
        "chart.umd.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/dashboard/chart.umd.js"),
    ),
    (
        "sarabun-thai-400-normal.woff2",
        "font/woff2",
        include_bytes!("../../assets/dashboard/fonts/sarabun-thai-400-normal.woff2"),
    ),
    (
        "sarabun-thai-700-normal.woff2",
        "font/woff2",
        include_bytes!("../../assets/dashboard/fonts/sarabun-thai-700-normal.woff2"),
    ),
    (
        "sarabun-latin-400-normal.woff2",
        "font/woff2",
        include_bytes!("../../assets/dashboard/fonts/sarabun-latin-400-normal.woff2"),
    ),
    (
        "sarabun-latin-700-normal.woff2",
        "font/woff2",
        include_bytes!("../../assets/dashboard/fonts/sarabun-latin-700-normal.woff2"),
    ),
    (
        "LICENSE.sarabun.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/dashboard/fonts/LICENSE.sarabun.txt"),
    ),
];

/// The documents of `queries/`, by name: served to the dashboard, and the only
/// ones accepted in persisted-only mode.
pub const QUERIES: [(&str, &str); 13] = [
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
    // The dashboard's sign-in form and sign-out button.
    ("sign-in", include_str!("../../queries/sign-in.graphql")),
    ("sign-out", include_str!("../../queries/sign-out.graphql")),
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

/// How long a browser keeps the dashboard's scripts, styles and documents
/// before asking again (then a 304 answers when nothing changed).
const ASSET_CACHE: &str = "public, max-age=3600";

/// `GET /`: always revalidated, so a new release's page is seen at once.
pub async fn index(headers: HeaderMap) -> Response {
    let (_, mime, bytes) = FILES[0];
    embedded::send("/", mime, bytes, "no-cache", &headers).await
}

/// `GET /assets/{file}`
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == file) {
        Some((name, mime, bytes)) => embedded::send(name, mime, bytes, ASSET_CACHE, &headers).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /queries/{name}.graphql`: the documents users run.
pub async fn query(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let name = file.strip_suffix(".graphql").unwrap_or(&file);
    match QUERIES.iter().find(|(n, _)| *n == name) {
        Some((name, text)) => {
            embedded::send(
                name,
                "application/graphql; charset=utf-8",
                text.as_bytes(),
                ASSET_CACHE,
                &headers,
            )
            .await
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    /// Every document of `queries/` is served (and so is a GraphiQL tab and
    /// allowed in persisted-only mode): a new file needs its line in QUERIES.
    #[test]
    fn every_document_in_queries_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut files = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                super::QUERIES.iter().any(|(n, t)| *n == name && *t == text),
                "queries/{name}.graphql is missing from dashboard::QUERIES"
            );
            files += 1;
        }
        assert_eq!(files, super::QUERIES.len());
    }
}
