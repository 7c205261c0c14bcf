//! The HTTP surface: `/graphql` (GraphQL over HTTP), GraphiQL at
//! `/graphiql`, the SDL at `/schema.graphql`, `/healthz`.

pub mod dashboard;
pub mod graphiql;
pub mod graphql_http;
pub mod live;

use crate::auth::rate::RateLimits;
use crate::graphql::TidtamSchema;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body accepted: a GraphQL document with its variables, or
/// an upload of an e-LAAS file.
pub const MAX_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 64 * 1024;

/// Largest e-LAAS file accepted by upload (a national CSV is about 100 MB;
/// larger files go through `tidtam import elaas`).
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: TidtamSchema,
    pub pool: PgPool,
    pub limits: Arc<ServerLimits>,
}

impl AppState {
    /// The state with the default limits.
    pub fn new(schema: TidtamSchema, pool: PgPool) -> Self {
        AppState {
            schema,
            pool,
            limits: Arc::new(ServerLimits::default()),
        }
    }
}

/// Limits against abusive traffic, besides those the schema enforces (depth,
/// complexity, aliases, page size) and the body size.
pub struct ServerLimits {
    /// Requests per caller (token, or client address without one).
    pub rate: RateLimits,
    /// How long a whole GraphQL request may run.
    pub request_timeout: Duration,
    /// How long one of its SQL statements may run (PostgreSQL's `statement_timeout`).
    pub statement_timeout: Duration,
}

/// Requests per minute a caller may send by default.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 1200;
/// How long a request may run by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            rate: RateLimits::new(DEFAULT_RATE_PER_MINUTE),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            statement_timeout: crate::graphql::STATEMENT_TIMEOUT,
        }
    }
}

/// The router of the whole server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::asset))
        .route("/queries/{file}", get(dashboard::query))
        .route("/graphql", get(graphql_http::get).post(graphql_http::post))
        .route("/graphql/ws", get(live::websocket))
        .route("/graphiql", get(graphiql::page))
        .route("/graphiql/assets/{file}", get(graphiql::asset))
        .route("/schema.graphql", get(sdl))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn sdl(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.schema.sdl(),
    )
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
