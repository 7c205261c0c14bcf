//! A bug must answer one request with 500, never take the process (and every
//! other caller) down: each HTTP request runs under tower-http's panic layer,
//! each WebSocket operation under `catch_unwind` (src/http/live.rs). A panic
//! is logged with its message and counted (`tidtam_panics_total` on
//! `/metrics`); the caller gets a GraphQL-shaped error with the code
//! `INTERNAL_SERVER_ERROR` and a neutral message.

use crate::ops::metrics::Metrics;
use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::Router;
use std::any::Any;
use std::sync::Arc;

/// `router` with every request run under the panic layer.
pub fn guard(router: Router, metrics: Arc<Metrics>) -> Router {
    router.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        move |panic: Box<dyn Any + Send + 'static>| answer(&metrics, panic.as_ref()),
    ))
}

/// The text a panic was raised with, if any.
pub fn message_of(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Logs and counts a panic; the error to send in its place.
pub fn recorded(metrics: &Metrics, panic: &(dyn Any + Send)) -> async_graphql::ServerError {
    metrics.count_panic();
    tracing::error!(
        panic = message_of(panic),
        "a request panicked; answered 500"
    );
    internal_error()
}

/// The neutral error a caller gets for a bug: nothing of the server's
/// insides (types, paths, panic text) goes out.
pub fn internal_error() -> async_graphql::ServerError {
    crate::graphql::depth::coded(
        crate::error::codes::INTERNAL,
        "เกิดข้อผิดพลาดภายในเซิร์ฟเวอร์ / an internal error occurred; it has been logged".into(),
    )
}

fn answer(metrics: &Metrics, panic: &(dyn Any + Send)) -> Response<Body> {
    let error = recorded(metrics, panic);
    let body = serde_json::json!({ "errors": [error] }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
