//! GraphiQL with every asset inside the binary (no request to another host),
//! opened with the documents of `queries/` as tabs.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// The documents users run, as GraphiQL's first tabs.
const QUERIES: [&str; 7] = [
    include_str!("../../queries/first-query.graphql"),
    include_str!("../../queries/project-report-list.graphql"),
    include_str!("../../queries/report-form.graphql"),
    include_str!("../../queries/elaas-balance.graphql"),
    include_str!("../../queries/tracking-report.graphql"),
    include_str!("../../queries/province-overview.graphql"),
    include_str!("../../queries/league-table.graphql"),
];

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

/// `GET /graphiql`
pub async fn page() -> Html<String> {
    let tabs: Vec<serde_json::Value> = QUERIES
        .iter()
        .map(|q| serde_json::json!({ "query": q }))
        .collect();
    // `</` would end the script element early; JSON allows escaping the slash.
    let tabs = serde_json::Value::Array(tabs)
        .to_string()
        .replace("</", "<\\/");
    Html(include_str!("graphiql.html").replace("/*TABS*/[]", &tabs))
}

/// `GET /graphiql/assets/{file}`: vendored files, cached for a year (their
/// names change with their versions).
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
