//! GraphiQL with every asset inside the binary (no request to another host),
//! opened with every document of `queries/` as a tab, each with a header
//! editor ready for `Authorization: Bearer …`.

use super::embedded;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

const ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// What each tab's header editor starts with: GraphiQL's default tabs get no
/// headers of their own (its `defaultHeaders` reaches only tabs opened later).
pub const HEADERS: &str = "{\n  \"Authorization\": \"Bearer \"\n}";

/// The page, made once: the documents users run (those the dashboard runs,
/// `dashboard::QUERIES`) as GraphiQL's tabs.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let tabs: Vec<serde_json::Value> = super::dashboard::QUERIES
        .iter()
        .map(|(_, q)| serde_json::json!({ "query": q, "headers": HEADERS }))
        .collect();
    // `</` would end the script element early; JSON allows escaping the slash.
    let tabs = serde_json::Value::Array(tabs)
        .to_string()
        .replace("</", "<\\/");
    include_str!("graphiql.html").replace("/*TABS*/[]", &tabs)
});

/// `GET /graphiql`
pub async fn page(headers: HeaderMap) -> Response {
    embedded::send(
        "/graphiql",
        "text/html; charset=utf-8",
        PAGE.as_bytes(),
        "no-cache",
        &headers,
    )
    .await
}

/// `GET /graphiql/assets/{file}`: vendored files. Their names do not change
/// with their versions, so they are kept an hour and then revalidated by
/// ETag rather than kept for good.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((name, mime, bytes)) => {
            embedded::send(name, mime, bytes, "public, max-age=3600", &headers).await
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
