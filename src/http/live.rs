//! `/graphql/ws`: subscriptions over WebSocket (both the `graphql-transport-ws`
//! and the older `graphql-ws` protocol). The token goes in the
//! `connection_init` payload (`{"Authorization": "Bearer …"}`), since browsers
//! cannot set headers on a WebSocket; a bad token closes the connection, and
//! a token revoked later ends its subscriptions at their next event.
//!
//! Each operation goes through the same persisted-query rule as `/graphql`
//! (src/http/persisted.rs): in persisted-only mode a document that is not in
//! `queries/` is refused with `PERSISTED_QUERY_REQUIRED`, so the WebSocket is
//! no way around it.

use super::persisted::Persisted;
use super::AppState;
use crate::auth::Access;
use crate::graphql::TidtamSchema;
use async_graphql::{Data, Executor, Request, Response};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response as HttpResponse;
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::PgPool;
use std::sync::Arc;

/// `GET /graphql/ws` (a WebSocket upgrade).
pub async fn websocket(
    State(state): State<AppState>,
    peer: super::graphql_http::Peer,
    headers: axum::http::HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    // Browsers open a WebSocket to any origin without a preflight: a page
    // of another origin is refused here unless TIDTAM_CORS_ORIGINS allows it
    // (src/http/cors.rs).
    if !state.cors.allows_socket(&headers) {
        return super::graphql_http::plain_refusal(
            axum::http::StatusCode::FORBIDDEN,
            "ORIGIN_NOT_ALLOWED",
            "this origin may not open /graphql/ws (TIDTAM_CORS_ORIGINS) / ต้นทางนี้ไม่ได้รับอนุญาตให้เชื่อมต่อ /graphql/ws",
        );
    }
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let address = peer.map(|axum::Extension(axum::extract::ConnectInfo(a))| a.ip());
            let pool = state.pool.clone();
            let executor = PersistedExecutor {
                schema: state.schema.clone(),
                pool: state.pool.clone(),
                persisted: state.persisted.clone(),
                metrics: state.metrics.clone(),
                limits: state.limits.clone(),
                address,
            };
            GraphQLWebSocket::new(socket, executor, protocol)
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
                    // The caller's address, for resolvers that throttle by it (sign-in).
                    data.insert(crate::graphql::ClientAddress(address));
                    data.insert(Credentials(authorization));
                    Ok(data)
                })
                .serve()
        })
}

/// The `Authorization` a connection was opened with, kept so that each event
/// of a subscription first checks that the token still holds: a revoked or
/// expired token (or a disabled account) hears nothing more.
#[derive(Clone)]
struct Credentials(Option<String>);

impl Credentials {
    fn of(session: Option<&Arc<Data>>) -> Option<String> {
        session?
            .get(&std::any::TypeId::of::<Credentials>())?
            .downcast_ref::<Credentials>()?
            .0
            .clone()
    }
}

/// Ends `events` with an `UNAUTHENTICATED` error at the first event after
/// the token stopped holding. A database that does not answer is not a
/// revocation: the event goes out.
fn while_token_holds(
    events: BoxStream<'static, Response>,
    pool: PgPool,
    authorization: String,
) -> BoxStream<'static, Response> {
    stream::unfold(Some((events, pool, authorization)), |state| async move {
        let (mut events, pool, authorization) = state?;
        let event = events.next().await?;
        match crate::auth::authenticate(&pool, Some(&authorization)).await {
            Err(e @ crate::error::AppError::Unauthenticated(_)) => {
                Some((Response::from_errors(vec![e.server_error()]), None))
            }
            _ => Some((event, Some((events, pool, authorization)))),
        }
    })
    .boxed()
}

/// The schema behind the persisted-query rule: each operation's document is
/// resolved (from its hash) and checked before it runs.
#[derive(Clone)]
struct PersistedExecutor {
    schema: TidtamSchema,
    pool: PgPool,
    persisted: Arc<Persisted>,
    /// Where a panicking operation is counted.
    metrics: Arc<crate::ops::metrics::Metrics>,
    /// The server's limits: each operation is admitted as an HTTP request
    /// is (src/http/admission.rs) and runs with the same statement timeout.
    limits: Arc<super::ServerLimits>,
    /// The connection's client address (the rate key without a token).
    address: Option<std::net::IpAddr>,
}

impl PersistedExecutor {
    /// The request with its document, or the refusal to send instead.
    async fn resolve(&self, mut request: Request) -> Result<Request, Response> {
        // As over HTTP: nesting first, so that no deep document is stored by
        // its hash (the schema checks again, whatever the path).
        if let Err(e) = super::graphql_http::nesting(&request) {
            return Err(Response::from_errors(vec![e]));
        }
        match self.persisted.resolve(&self.pool, &mut request).await {
            Ok(()) => Ok(request),
            Err(e) => Err(Response::from_errors(vec![e.server_error()])),
        }
    }
}

impl PersistedExecutor {
    /// The request with the per-request data `/graphql` gives it (src/graphql/mod.rs).
    fn prepare(&self, request: Request, session: Option<&Data>) -> Request {
        let access = access_of(session);
        let kind = async_graphql::parser::parse_query(&request.query)
            .ok()
            .and_then(|doc| {
                let name = request.operation_name.as_deref();
                doc.operations
                    .iter()
                    .find(|(n, _)| name.is_none() || n.map(|n| n.as_str()) == name)
                    .map(|(_, op)| op.node.ty)
            });
        let options = crate::graphql::RequestOptions {
            read_only: kind == Some(async_graphql::parser::types::OperationType::Query),
            statement_timeout: self.limits.statement_timeout,
            ..Default::default()
        };
        crate::graphql::prepare_with(request, &self.pool, access, &options)
    }
}

/// The connection's caller (anonymous without a token).
fn access_of(session: Option<&Data>) -> Access {
    session
        .and_then(|d| d.get(&std::any::TypeId::of::<Access>()))
        .and_then(|a| a.downcast_ref::<Access>())
        .cloned()
        .unwrap_or_else(Access::anonymous)
}

impl Executor for PersistedExecutor {
    async fn execute(&self, request: Request) -> Response {
        match self.resolve(request).await {
            Ok(request) => self.schema.execute(request).await,
            Err(refusal) => refusal,
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let this = self.clone();
        let credentials = Credentials::of(session_data.as_ref());
        // The check is asynchronous (a hash may be looked up in PostgreSQL):
        // a stream whose first step resolves, then runs the operation's own.
        // Each operation is admitted as an HTTP request is: the same rate
        // key and allowance (a connection is no way around the limit).
        let access = access_of(session_data.as_deref());
        if let Err(e) = super::admission::within_rate(&this.limits, &access, this.address) {
            return stream::once(async move { Response::from_errors(vec![e.server_error()]) })
                .boxed();
        }
        let events = stream::once(async move {
            match this.resolve(request).await {
                Ok(request) => {
                    // Queries and mutations come this way too: each runs as
                    // over HTTP, with the connection's caller scoped in its
                    // own Db and fresh loaders.
                    let request = this.prepare(request, session_data.as_deref());
                    let events = Executor::execute_stream(&this.schema, request, session_data);
                    match credentials {
                        Some(authorization) => {
                            while_token_holds(events, this.pool.clone(), authorization)
                        }
                        None => events,
                    }
                }
                Err(refusal) => stream::once(async move { refusal }).boxed(),
            }
        })
        .flatten();
        // A bug in one operation answers it with INTERNAL_SERVER_ERROR and
        // ends it; the connection, its other operations and the process go on.
        let metrics = self.metrics.clone();
        std::panic::AssertUnwindSafe(events)
            .catch_unwind()
            .map(move |event| match event {
                Ok(response) => response,
                Err(panic) => {
                    Response::from_errors(vec![super::panic::recorded(&metrics, panic.as_ref())])
                }
            })
            .boxed()
    }
}
