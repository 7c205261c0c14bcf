//! `/graphql/ws`: subscriptions over WebSocket (both the `graphql-transport-ws`
//! and the older `graphql-ws` protocol). The token goes in the
//! `connection_init` payload (`{"Authorization": "Bearer …"}`), since browsers
//! cannot set headers on a WebSocket; a bad token closes the connection.

use super::AppState;
use crate::auth::Access;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;

/// `GET /graphql/ws` (a WebSocket upgrade).
pub async fn websocket(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let pool = state.pool.clone();
            GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|v| v.as_str())
                        .map(str::to_string);
                    let access = crate::auth::authenticate(&pool, authorization.as_deref())
                        .await
                        .map_err(|e| async_graphql::Error::new(e.to_string()))?;
                    let mut data = Data::default();
                    data.insert::<Access>(access);
                    Ok(data)
                })
                .serve()
        })
}
