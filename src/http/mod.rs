//! The HTTP surface: `POST /graphql`, GraphiQL on `GET /graphql`, `/healthz`.

use crate::graphql::{with_loaders, TidtamSchema};
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: TidtamSchema,
    pub pool: PgPool,
}

/// The router of the whole server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .with_state(state)
}

async fn graphql_post(State(state): State<AppState>, req: GraphQLRequest) -> GraphQLResponse {
    // Accounts arrive with the auth issue; until then every caller is anonymous.
    let request =
        with_loaders(req.into_inner(), &state.pool).data(crate::audit::Actor::anonymous());
    state.schema.execute(request).await.into()
}

/// A browser gets GraphiQL; any other client runs the query in the URL.
async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    match req {
        Ok(req) if !wants_html => graphql_post(State(state), req).await.into_response(),
        Err(rejection) if !wants_html => rejection.into_response(),
        _ => Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response(),
    }
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
