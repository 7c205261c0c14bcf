//! The HTTP surface: `/graphql` (GraphQL over HTTP), GraphiQL at
//! `/graphiql`, the SDL at `/schema.graphql`, `/healthz`.

pub mod admission;
pub mod caching;
pub mod connections;
pub mod cors;
pub mod dashboard;
pub mod embedded;
pub mod export;
pub mod graphiql;
pub mod graphql_http;
pub mod live;
pub mod panic;
pub mod persisted;
pub mod shutdown;

use crate::auth::rate::RateLimits;
use crate::graphql::TidtamSchema;
use crate::ops::metrics::Metrics;
use crate::ops::Draining;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};

/// Largest request body accepted: an upload of an e-LAAS file with the
/// GraphQL document around it (multipart). JSON bodies have their own, much
/// smaller limit ([`ServerLimits::max_json_body`]).
pub const MAX_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 64 * 1024;

/// Largest JSON body of `POST /graphql` by default: a document with its
/// variables is a few kilobytes; the largest in queries/ is under 4 KiB.
pub const DEFAULT_MAX_JSON_BODY: usize = 1024 * 1024;

/// Largest e-LAAS file accepted by upload (a national CSV is about 100 MB;
/// larger files go through `tidtam import elaas`).
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: TidtamSchema,
    pub pool: PgPool,
    pub limits: Arc<ServerLimits>,
    pub metrics: Arc<Metrics>,
    pub draining: Draining,
    pub persisted: Arc<persisted::Persisted>,
    /// Read replicas (`DATABASE_READ_URL`), if any.
    pub replicas: Option<Arc<crate::db::replicas::Replicas>>,
    /// Which foreign origins may call the API (`TIDTAM_CORS_ORIGINS`).
    pub cors: Arc<cors::Cors>,
    /// This process's own writes, for HTTP caching (src/http/caching.rs).
    pub writes: Arc<caching::Writes>,
}

impl AppState {
    /// The state with the default limits.
    pub fn new(schema: TidtamSchema, pool: PgPool) -> Self {
        AppState {
            schema,
            pool,
            limits: Arc::new(ServerLimits::default()),
            metrics: Arc::new(Metrics::default()),
            draining: Draining::default(),
            persisted: Arc::new(persisted::Persisted::new(false)),
            replicas: None,
            cors: Arc::new(cors::Cors::default()),
            writes: Arc::new(caching::Writes::default()),
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
    /// Largest JSON body of `POST /graphql`, in bytes (uploads: [`MAX_BODY_BYTES`]).
    pub max_json_body: usize,
    /// The longest gap in a request body, and the time after which it must
    /// average [`connections::MIN_BODY_RATE`] (`408`, `BODY_TIMEOUT`).
    pub body_read_timeout: Duration,
    /// Most operations in one batch (a JSON array POSTed to `/graphql`).
    pub max_batch: usize,
}

/// Requests per minute a caller may send by default.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 1200;
/// Most operations in one batch by default (Apollo's `BatchHttpLink` sends
/// at most 10 by default).
pub const DEFAULT_MAX_BATCH: usize = 10;
/// How long a request may run by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            rate: RateLimits::new(DEFAULT_RATE_PER_MINUTE),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            statement_timeout: crate::graphql::STATEMENT_TIMEOUT,
            max_json_body: DEFAULT_MAX_JSON_BODY,
            body_read_timeout: connections::DEFAULT_BODY_READ_TIMEOUT,
            max_batch: DEFAULT_MAX_BATCH,
        }
    }
}

/// The router of the whole server.
pub fn router(state: AppState) -> Router {
    let panics = state.metrics.clone();
    let body_read_timeout = state.limits.body_read_timeout;
    let cors = state.cors.layer();
    // gzip or brotli as Accept-Encoding asks, on the GraphQL answers and the
    // CSV/JSON exports (Parquet and xlsx are compressed already; the
    // embedded files carry their own precompressed copies).
    let compressed = Router::new()
        .route("/graphql", get(graphql_http::get).post(graphql_http::post))
        .route("/export/{file}", get(export::export))
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new(
                        "application/vnd.apache.parquet",
                    ))
                    .and(NotForContentType::const_new(
                        "application/vnd.openxmlformats-officedocument",
                    )),
            ),
        );
    let routes = Router::new()
        .merge(compressed)
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::asset))
        .route("/queries/{file}", get(dashboard::query))
        .route("/graphql/ws", get(live::websocket))
        .route("/graphiql", get(graphiql::page))
        .route("/graphiql/assets/{file}", get(graphiql::asset))
        .route("/schema.graphql", get(sdl))
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        // `/graphql` reads its body itself, with a limit by media type and a
        // GraphQL-shaped refusal; this one guards every other route.
        .layer(DefaultBodyLimit::max(DEFAULT_MAX_JSON_BODY))
        // Slow bodies are cut off (src/http/connections.rs).
        .layer(axum::middleware::map_request_with_state(
            body_read_timeout,
            connections::time_body,
        ))
        .with_state(state);
    // Outside everything else, so that a preflight is answered before any
    // route or limit sees it.
    let routes = match cors {
        Some(layer) => routes.layer(layer),
        None => routes,
    };
    panic::guard(routes, panics)
}

async fn sdl(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.schema.sdl(),
    )
}

/// Liveness: the process answers. A load balancer restarts it only when this fails.
async fn livez() -> &'static str {
    "ok"
}

/// Readiness: the process can serve reads: a database answers (the primary,
/// else a read replica while the primary restarts), every migration this
/// binary knows is applied there, and the process is not shutting down.
/// Mutations fail with the retryable `DATABASE_UNAVAILABLE` meanwhile; taking
/// every process out of the load balancer would fail the reads too.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.draining.is_draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    let mut pools = vec![state.pool.clone()];
    if let Some(replicas) = &state.replicas {
        pools.extend(replicas.all());
    }
    let mut answer = (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    for pool in pools {
        // Bounded: PgBouncer queues a client whose server refuses connections.
        match tokio::time::timeout(READY_PROBE, migrated(&pool)).await {
            Ok(Ok(true)) => return (StatusCode::OK, "ready"),
            Ok(Ok(false)) => answer = (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
            Ok(Err(e)) => tracing::warn!(error = %e, "readiness check failed"),
            Err(_) => tracing::warn!("readiness check timed out"),
        }
    }
    answer
}

/// How long readiness waits for one database.
const READY_PROBE: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether every migration this binary knows is applied in `pool`'s database.
async fn migrated(pool: &sqlx::PgPool) -> Result<bool, sqlx::Error> {
    let newest = crate::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let applied = crate::db::simple_text(
        pool,
        "SELECT max(version)::text FROM _sqlx_migrations WHERE success",
    )
    .await?;
    Ok(applied
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|v| v >= newest))
}

/// Prometheus metrics, in the OpenMetrics text format that
/// prometheus-client writes (a counter's `# TYPE` names the family, its
/// sample ends in `_total`; the text ends with `# EOF`).
/// A scraper that asks for `text/plain` (version 0.0.4) over OpenMetrics gets
/// the classic Prometheus format (`ops::metrics::Exposition`).
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> impl IntoResponse {
    let rendered = state.metrics.render();
    let body = rendered.strip_suffix("# EOF\n").unwrap_or(&rendered);
    let openmetrics = format!("{body}{}# EOF\n", replica_metrics(&state));
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let exposition = crate::ops::metrics::Exposition::from_accept(accept);
    (
        [(header::CONTENT_TYPE, exposition.content_type())],
        exposition.render(&openmetrics),
    )
}

/// The replicas' lines of `/metrics`: which are in use, and how many reads
/// had to fall back to the primary.
fn replica_metrics(state: &AppState) -> String {
    let Some(replicas) = &state.replicas else {
        return String::new();
    };
    let mut out = String::from(
        "# HELP tidtam_replica_fallbacks Reads that fell back to the primary because a replica failed.\n\
         # TYPE tidtam_replica_fallbacks counter\n",
    );
    out.push_str(&format!(
        "tidtam_replica_fallbacks_total {}\n",
        replicas.fallbacks()
    ));
    out.push_str("# HELP tidtam_replica_in_use Whether a read replica is answering and fresh enough.\n# TYPE tidtam_replica_in_use gauge\n");
    for (name, up) in replicas.status() {
        out.push_str(&format!(
            "tidtam_replica_in_use{{replica=\"{name}\"}} {}\n",
            u8::from(up)
        ));
    }
    out
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::raw_sql("SELECT 1").execute(&state.pool).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
