//! `/graphql` as the GraphQL-over-HTTP spec asks (graphql-http's audit is
//! the test):
//! - the response media type follows `Accept`: `application/graphql-response+json`
//!   when asked for, `application/json` for `application/json`, `*/*` or no
//!   `Accept`; 406 when nothing acceptable is asked for;
//! - a POST body is read only as `application/json` (415 otherwise), so that
//!   no cross-site "simple request" (form, text/plain) can run a mutation;
//! - a request error (unparsable body or document, failed validation,
//!   variables that do not coerce) has no `data`, and is 400 under
//!   `application/graphql-response+json`, 200 under `application/json`;
//! - a file upload (GraphQL multipart request) is read as `multipart/form-data`
//!   only with an `x-tidtam-csrf` (or `apollo-require-preflight`) header: a
//!   custom header forces the browser's CORS preflight, which a foreign page
//!   cannot pass;
//! - GET runs queries only (405 with `Allow: POST` for a mutation) and keeps
//!   the `Cache-Control` resolvers ask for.

use super::AppState;
use crate::auth::Access;
use crate::error::AppError;
use crate::ops::metrics::Outcome;
use async_graphql::parser::types::{OperationType, Selection};
use async_graphql::{Request, Response, ServerError};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::Extension;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type of the answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }
}

/// The media type `Accept` asks for, if Tidtam can give one.
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let mut best: Option<(f32, Media)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';').map(str::trim);
        let media = pieces.next().unwrap_or("").to_ascii_lowercase();
        let q: f32 = pieces
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse().ok())
            .unwrap_or(1.0);
        let kind = match media.as_str() {
            GRAPHQL_RESPONSE => Media::GraphqlResponse,
            JSON | "*/*" | "application/*" => Media::Json,
            _ => continue,
        };
        if q > 0.0
            && best.is_none_or(|(bq, bm)| {
                q > bq || (q == bq && bm == Media::Json && kind == Media::GraphqlResponse)
            })
        {
            best = Some((q, kind));
        }
    }
    best.map(|(_, m)| m)
}

#[derive(Deserialize)]
struct Body {
    query: Option<serde_json::Value>,
    #[serde(rename = "operationName")]
    operation_name: Option<serde_json::Value>,
    variables: Option<serde_json::Value>,
    extensions: Option<serde_json::Value>,
}

/// The code of a request that is not a well-formed GraphQL-over-HTTP request.
pub const BAD_REQUEST: &str = "BAD_REQUEST";
/// The code of a batch (a JSON array body, as Apollo's `BatchHttpLink`
/// sends) with more operations than `TIDTAM_MAX_BATCH`.
pub const BATCH_TOO_LARGE: &str = "BATCH_TOO_LARGE";

/// A request the server refuses before running it, with its code.
fn request_error(media: Media, status_json: StatusCode, code: &str, message: &str) -> HttpResponse {
    let errors = vec![crate::graphql::depth::coded(code, message.to_string())];
    respond(media, errors_only(&errors), true, status_json, None)
}

/// A refusal outside GraphQL's media negotiation (406, 415, 405): still the
/// shape of a GraphQL error with a code, as JSON, so that every error
/// Tidtam sends can be read the same way.
pub(super) fn plain_refusal(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let body = errors_only(&[crate::graphql::depth::coded(code, message.to_string())]);
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, Media::Json.content_type());
    response
}

fn not_acceptable() -> HttpResponse {
    plain_refusal(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        "Accept application/graphql-response+json or application/json / ต้องยอมรับ application/json",
    )
}

/// `{"errors": [...]}`, each error's keys in async-graphql's order.
fn errors_only(errors: &[ServerError]) -> String {
    #[derive(serde::Serialize)]
    struct ErrorsOnly<'a> {
        errors: &'a [ServerError],
    }
    serde_json::to_string(&ErrorsOnly { errors }).unwrap_or_else(|_| r#"{"errors":[]}"#.to_string())
}

fn respond(
    media: Media,
    body: String,
    request_error: bool,
    status_json: StatusCode,
    cache: Option<String>,
) -> HttpResponse {
    let status = match (media, request_error) {
        (Media::GraphqlResponse, true) => StatusCode::BAD_REQUEST,
        (Media::Json, true) => status_json,
        _ => StatusCode::OK,
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    if let Some(value) = cache.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// A POST body: one operation, or a batch of them.
enum Posted {
    One(Body),
    /// A JSON array of operations (Apollo's `BatchHttpLink`), answered by an
    /// array in the same order.
    Batch(Vec<Body>),
}

/// Reads a POST body: one JSON object, or an array of at most `max_batch`
/// of them. JSON nested past serde_json's recursion limit (128) is refused
/// as a value too deep, a batch over the cap as `BATCH_TOO_LARGE`, each with
/// its code; anything else that is not JSON is not JSON.
fn parse_body(body: &[u8], max_batch: usize) -> Result<Posted, (&'static str, String)> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        let batch: Vec<Body> = serde_json::from_slice(body).map_err(|e| {
            let (code, why) = json_refusal(
                &e,
                "a batch is a JSON array of objects, each with a `query` / คำขอแบบชุดต้องเป็น JSON array ของออบเจ็กต์ที่มี query",
            );
            (code, why.to_string())
        })?;
        if batch.is_empty() {
            return Err((
                BAD_REQUEST,
                "the batch is empty / คำขอแบบชุดไม่มีคำสั่ง".to_string(),
            ));
        }
        if batch.len() > max_batch {
            return Err((
                BATCH_TOO_LARGE,
                format!(
                    "a batch may hold at most {max_batch} operations; this one has {} / คำขอแบบชุดมีได้ไม่เกิน {max_batch} คำสั่ง (ส่งมา {} คำสั่ง)",
                    batch.len(),
                    batch.len()
                ),
            ));
        }
        return Ok(Posted::Batch(batch));
    }
    serde_json::from_slice(body).map(Posted::One).map_err(|e| {
        let (code, why) = json_refusal(
            &e,
            "the body is not a JSON object with a `query` / เนื้อหาคำขอไม่ใช่ออบเจ็กต์ JSON ที่มี query",
        );
        (code, why.to_string())
    })
}

/// The code and message for JSON that does not read: nested too deep, or not
/// what was asked.
fn json_refusal(e: &serde_json::Error, otherwise: &'static str) -> (&'static str, &'static str) {
    if e.to_string().contains("recursion limit") {
        (
            crate::graphql::depth::VALUE_TOO_DEEP,
            "the JSON is nested too deep / JSON ซ้อนกันลึกเกินไป",
        )
    } else {
        (BAD_REQUEST, otherwise)
    }
}

/// Turns a JSON body (POST) or the URL's parameters (GET) into a request.
fn build(body: Body) -> Result<Request, &'static str> {
    let persisted = body
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("persistedQuery").is_some());
    let query = match body.query {
        Some(serde_json::Value::String(query)) => query,
        // Automatic persisted queries: the hash alone (src/http/persisted.rs).
        None | Some(serde_json::Value::Null) if persisted => String::new(),
        _ => return Err("the request needs a string `query` / คำขอต้องมี query เป็นข้อความ"),
    };
    let mut request = Request::new(query);
    match body.operation_name {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string / operationName ต้องเป็นข้อความ"),
    }
    match body.variables {
        None | Some(serde_json::Value::Null) => {}
        Some(v @ serde_json::Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(v))
        }
        Some(_) => return Err("`variables` must be an object / variables ต้องเป็นออบเจ็กต์"),
    }
    match body.extensions {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(map)) => {
            for (k, v) in map {
                if let Ok(value) = async_graphql::Value::from_json(v) {
                    request.extensions.insert(k, value);
                }
            }
        }
        Some(_) => return Err("`extensions` must be an object / extensions ต้องเป็นออบเจ็กต์"),
    }
    Ok(request)
}

/// The operation a request would run, read from its document once.
struct Operation {
    /// For metrics and logs: the name asked for, else the name of the
    /// document's only operation.
    name: Option<String>,
    /// Query, mutation or subscription, if the document parses and names one.
    kind: Option<OperationType>,
    /// Whether every root field of the operation is reference data (see
    /// REFERENCE_ROOTS), so that a GET may keep its resolvers' cache hint.
    reference_only: bool,
}

/// The root fields of slow-changing reference data: their resolvers carry a
/// `cache_control` hint. async-graphql merges hints over the fields that
/// have one and ignores the rest, so a query that mixes these with anything
/// else (a report, a figure) must not keep the hint: it is kept only when
/// every root field is one of these.
const REFERENCE_ROOTS: [&str; 4] = [
    "planEditions",
    "nationalStrategies",
    "masterPlans",
    "subPlans",
];

fn operation_of(request: &Request) -> Operation {
    let asked = request.operation_name.clone();
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return Operation {
            name: asked,
            kind: None,
            reference_only: false,
        };
    };
    let ops: Vec<_> = doc.operations.iter().collect();
    let chosen = match &asked {
        Some(name) => ops
            .into_iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str())),
        None if ops.len() == 1 => ops.into_iter().next(),
        None => None,
    };
    // Fragments at the root are not looked into: such a query is simply not cached.
    let reference_only = chosen.is_some_and(|(_, op)| {
        let items = &op.node.selection_set.node.items;
        !items.is_empty()
            && items.iter().all(|item| match &item.node {
                Selection::Field(f) => REFERENCE_ROOTS.contains(&f.node.name.node.as_str()),
                _ => false,
            })
    });
    Operation {
        name: asked.or_else(|| chosen.and_then(|(n, _)| n.map(|n| n.to_string()))),
        kind: chosen.map(|(_, op)| op.node.ty),
        reference_only,
    }
}

/// Who is calling: the account of the bearer token, or nobody.
pub struct Caller {
    headers: HeaderMap,
    peer: Option<SocketAddr>,
}

/// The peer address, where the server was started with connection info.
pub type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

impl Caller {
    fn new(headers: &HeaderMap, peer: Peer) -> Self {
        Caller {
            headers: headers.clone(),
            peer: peer.map(|Extension(ConnectInfo(addr))| addr),
        }
    }

    /// The caller's own last write (read-your-writes), from the header or the cookie.
    fn min_lsn(&self) -> Option<u64> {
        let header = self
            .headers
            .get("x-tidtam-min-lsn")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::db::replicas::parse_lsn);
        header.or_else(|| {
            self.headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|c| c.trim().strip_prefix("tidtam_lsn="))
                .and_then(crate::db::replicas::parse_lsn)
        })
    }
}

/// An error refused before the operation runs, with its HTTP status.
pub(super) fn refusal(media: Media, status: StatusCode, error: AppError) -> HttpResponse {
    let server_error = error.server_error();
    let mut response = respond(media, errors_only(&[server_error]), true, status, None);
    *response.status_mut() = status;
    response
}

/// One request (GET, or POST of one operation): admitted, revalidated (a
/// GET whose `If-None-Match` still holds is `304` and runs nothing), run.
/// `get` is the URL's query string of a GET.
async fn execute(
    state: &AppState,
    caller: Caller,
    media: Media,
    request: Request,
    get: Option<String>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    // Who calls and whether it is within its rate come first: the
    // persisted-query lookup may store a document, and a caller over its
    // rate must not get that far.
    let access = match admit(state, &caller, media).await {
        Ok(access) => access,
        Err(refused) => {
            let name = named(&request).and_then(|op| op.name);
            finished(state, name.as_deref(), Outcome::Refused, &refused, started);
            return refused;
        }
    };
    // A GET's validator, from the version heard (no statement).
    let etag = get.as_ref().and_then(|raw| {
        let version = super::caching::version(state)?;
        let media_name = format!("{media:?}");
        let coding = super::caching::accept_encoding(&caller.headers);
        Some(super::caching::etag(
            version,
            &access,
            &[raw, &media_name, coding],
        ))
    });
    if let Some(tag) = etag.as_deref() {
        if super::caching::matches(&caller.headers, tag) {
            let operation = named(&request);
            let control = if operation.as_ref().is_some_and(|op| op.reference_only) {
                // The hint the full answer had (reference data).
                "public, max-age=3600"
            } else {
                super::caching::control_for(&access)
            };
            let response = super::caching::not_modified(tag, control);
            let name = operation.and_then(|op| op.name);
            finished(state, name.as_deref(), Outcome::Ok, &response, started);
            return response;
        }
    }
    let reply = operate(state, &caller, &access, media, request, get.is_some()).await;
    if reply.mutation {
        state.writes.wrote(state);
    }
    let mut response = match reply.refusal {
        Some(refusal) => refusal,
        None => respond(media, reply.body, reply.request_error, StatusCode::OK, None),
    };
    if get.is_some() && reply.clean {
        let control = reply
            .cache
            .unwrap_or_else(|| super::caching::control_for(&access).to_string());
        super::caching::tag(&mut response, etag.as_deref(), &control);
    }
    if reply.mutation {
        mark_write(state, &mut response).await;
    }
    response
}

/// A batch: admitted once (one request against the rate limit), its
/// operations run one after the other in the order sent (so mutations
/// apply in order) against one complexity budget, the answers an array in
/// the same order.
async fn execute_batch(
    state: &AppState,
    caller: Caller,
    media: Media,
    requests: Vec<Request>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let access = match admit(state, &caller, media).await {
        Ok(access) => access,
        Err(refused) => {
            finished(state, None, Outcome::Refused, &refused, started);
            return refused;
        }
    };
    let budget = Arc::new(crate::graphql::limits::BatchBudget::default());
    let mut answers = Vec::with_capacity(requests.len());
    let mut wrote = false;
    for request in requests {
        let request = request.data(budget.clone());
        let reply = operate(state, &caller, &access, media, request, false).await;
        wrote |= reply.mutation;
        answers.push(reply.body);
    }
    if wrote {
        state.writes.wrote(state);
    }
    let body = format!("[{}]", answers.join(","));
    let mut response = respond(media, body, false, StatusCode::OK, None);
    if wrote {
        mark_write(state, &mut response).await;
    }
    response
}

/// What one operation came to.
struct Reply {
    /// The answer (or the request error) as JSON text.
    body: String,
    /// Refused before it ran: no `data`.
    request_error: bool,
    /// A refusal with a status and headers of its own (timeout, a mutation
    /// over GET); a batch sends its body alone.
    refusal: Option<HttpResponse>,
    /// The resolvers' hint of a GET of reference data.
    cache: Option<String>,
    /// A mutation ran (or was tried).
    mutation: bool,
    /// Answered without an error: a GET's answer may be cached.
    clean: bool,
}

impl Reply {
    fn refused(body: String) -> Self {
        Reply {
            body,
            request_error: true,
            refusal: None,
            cache: None,
            mutation: false,
            clean: false,
        }
    }
}

/// The name and kind of the request's operation, if its text is not nested
/// too deep to read.
fn named(request: &Request) -> Option<Operation> {
    nesting(request).ok().map(|_| operation_of(request))
}

/// Counts and logs a request that ended.
fn finished(
    state: &AppState,
    operation: Option<&str>,
    outcome: Outcome,
    response: &HttpResponse,
    started: std::time::Instant,
) {
    let took = started.elapsed();
    state.metrics.observe(operation, outcome, took);
    tracing::info!(
        operation = operation.unwrap_or("anonymous"),
        status = response.status().as_u16(),
        outcome = ?outcome,
        ms = took.as_secs_f64() * 1000.0,
        "graphql"
    );
}

/// Runs one admitted operation: its document (from a persisted hash), its
/// nesting, GET's rule (queries only), then the schema.
async fn operate(
    state: &AppState,
    caller: &Caller,
    access: &Access,
    media: Media,
    mut request: Request,
    get: bool,
) -> Reply {
    let started = std::time::Instant::now();
    // Nesting is checked on the text before anything parses it (the name of
    // the operation below, the schema), and before a document is stored by
    // its hash; again once a hash has given the document.
    let mut shape = nesting(&request);
    let resolved = match &shape {
        Ok(()) => {
            let resolved = state.persisted.resolve(&state.pool, &mut request).await;
            shape = nesting(&request);
            resolved
        }
        Err(_) => Ok(()),
    };
    let Operation {
        name: operation,
        kind,
        reference_only,
    } = match &shape {
        Ok(()) => operation_of(&request),
        Err(_) => Operation {
            name: None,
            kind: None,
            reference_only: false,
        },
    };
    let span = tracing::info_span!(
        "graphql",
        operation = operation.as_deref().unwrap_or("anonymous"),
        otel.name = %format!("graphql {}", operation.as_deref().unwrap_or("anonymous")),
    );
    let (reply, outcome) = match (resolved, shape) {
        (Err(e), _) => (
            Reply::refused(errors_only(&[e.server_error()])),
            Outcome::Refused,
        ),
        (Ok(()), Err(e)) => (Reply::refused(errors_only(&[e])), Outcome::Refused),
        // GET runs queries only (also when the document came by its hash).
        (Ok(()), Ok(())) if get && kind == Some(OperationType::Mutation) => {
            let mut reply = Reply::refused(errors_only(&[crate::graphql::depth::coded(
                "METHOD_NOT_ALLOWED",
                MUTATION_OVER_GET.to_string(),
            )]));
            reply.refusal = Some(mutation_over_get());
            (reply, Outcome::Refused)
        }
        (Ok(()), Ok(())) => {
            use tracing::Instrument;
            run(
                state,
                caller,
                access.clone(),
                media,
                request,
                kind,
                get && reference_only,
            )
            .instrument(span)
            .await
        }
    };
    let took = started.elapsed();
    state.metrics.observe(operation.as_deref(), outcome, took);
    tracing::info!(
        operation = operation.as_deref().unwrap_or("anonymous"),
        outcome = ?outcome,
        ms = took.as_secs_f64() * 1000.0,
        "graphql"
    );
    reply
}

/// The nesting of the request's document text and variables, checked
/// without recursion (src/graphql/depth.rs).
pub(super) fn nesting(request: &Request) -> Result<(), ServerError> {
    crate::graphql::depth::check_text(&request.query)?;
    crate::graphql::depth::check_variables(&request.variables)
}

/// The caller's account (from its token), if it is within its rate; else the
/// refusal to send (`401`, `429`, or `503` while accounts cannot be read).
async fn admit(state: &AppState, caller: &Caller, media: Media) -> Result<Access, HttpResponse> {
    let authorization = caller
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let access = match authenticate(state, authorization).await {
        Ok(access) => access,
        Err(e @ AppError::Unauthenticated(_)) => {
            let mut response = refusal(media, StatusCode::UNAUTHORIZED, e);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Err(response);
        }
        Err(e) => return Err(refusal(media, StatusCode::SERVICE_UNAVAILABLE, e)),
    };
    let address = caller.peer.map(|addr| addr.ip());
    if let Err(AppError::RateLimited(seconds)) =
        super::admission::within_rate(&state.limits, &access, address)
    {
        return Err(rate_limited(media, seconds));
    }
    Ok(access)
}

async fn run(
    state: &AppState,
    caller: &Caller,
    access: Access,
    media: Media,
    request: Request,
    kind: Option<OperationType>,
    cacheable: bool,
) -> (Reply, Outcome) {
    let mutation = kind == Some(OperationType::Mutation);
    let options = crate::graphql::RequestOptions {
        statement_timeout: state.limits.statement_timeout,
        replicas: state.replicas.clone(),
        read_only: kind == Some(OperationType::Query),
        min_lsn: caller.min_lsn(),
    };
    let request = crate::graphql::prepare_with(request, &state.pool, access, &options).data(
        crate::graphql::ClientAddress(caller.peer.map(|addr| addr.ip())),
    );
    let response: Response =
        match tokio::time::timeout(state.limits.request_timeout, state.schema.execute(request))
            .await
        {
            Ok(response) => response,
            Err(_) => {
                let mut reply = Reply::refused(errors_only(&[AppError::Timeout.server_error()]));
                reply.refusal = Some(refusal(
                    media,
                    StatusCode::SERVICE_UNAVAILABLE,
                    AppError::Timeout,
                ));
                reply.mutation = mutation;
                return (reply, Outcome::Refused);
            }
        };
    // Errors raised before execution carry no path, and leave no data.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // Only a GET of reference data keeps the resolvers' hint; `public` is
    // written out so that a shared cache may keep it too.
    let cc = response.cache_control;
    let cache = if !cacheable || !response.errors.is_empty() {
        None
    } else if cc.public && cc.max_age > 0 {
        Some(format!("public, max-age={}", cc.max_age))
    } else {
        None
    };
    // Serialised as it is, not through serde_json::Value (whose map sorts
    // keys): the answer's keys stay in the selection's order.
    let body = if request_error {
        errors_only(&response.errors)
    } else {
        serde_json::to_string(&response).unwrap_or_else(|_| r#"{"errors":[]}"#.to_string())
    };
    let clean = response.errors.is_empty();
    let outcome = if clean { Outcome::Ok } else { Outcome::Error };
    let reply = Reply {
        body,
        request_error,
        refusal: None,
        cache,
        mutation,
        clean,
    };
    (reply, outcome)
}

/// The caller's token, checked on the primary; while the primary is down, on
/// a replica (accounts are replicated), so that reads go on.
async fn authenticate(state: &AppState, authorization: Option<&str>) -> Result<Access, AppError> {
    match crate::auth::authenticate(&state.pool, authorization).await {
        Err(AppError::Database(e)) if crate::error::unavailable(&e) => {
            match state.replicas.as_ref().and_then(|r| r.pick(None)) {
                Some((_, replica)) => crate::auth::authenticate(&replica, authorization).await,
                None => Err(AppError::Database(e)),
            }
        }
        other => other,
    }
}

/// Read-your-writes: after a mutation, the primary's WAL position goes back
/// as `x-tidtam-lsn` and a cookie; a caller that sends it again (header
/// `x-tidtam-min-lsn`, or the cookie) reads only from a replica that has
/// replayed it, else from the primary.
async fn mark_write(state: &AppState, response: &mut HttpResponse) {
    let Some(replicas) = &state.replicas else {
        return;
    };
    let Some(lsn) = replicas.primary_lsn().await else {
        return;
    };
    let text = crate::db::replicas::format_lsn(lsn);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&text) {
        headers.insert("x-tidtam-lsn", v);
    }
    let cookie = format!("tidtam_lsn={text}; Path=/; Max-Age=300; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.append(header::SET_COOKIE, v);
    }
}

const MUTATION_OVER_GET: &str = "mutations are sent with POST / คำสั่งแก้ไขข้อมูลต้องส่งด้วย POST";

fn mutation_over_get() -> HttpResponse {
    let mut response = plain_refusal(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        MUTATION_OVER_GET,
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

fn rate_limited(media: Media, seconds: u64) -> HttpResponse {
    let error = AppError::RateLimited(seconds);
    let mut response = refusal(media, StatusCode::TOO_MANY_REQUESTS, error);
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Reads a body of at most `limit` bytes; `Ok(None)` as soon as it is larger
/// (a declared `Content-Length` over the limit is refused before reading).
async fn read_limited(
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<Option<Bytes>, axum::Error> {
    use futures_util::StreamExt;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut stream = body.into_data_stream();
    let mut read = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if read.len() + chunk.len() > limit {
            return Ok(None);
        }
        read.extend_from_slice(&chunk);
    }
    Ok(Some(read.into()))
}

/// `POST /graphql`. The body limit depends on what it is: a JSON document is
/// small ([`super::ServerLimits::max_json_body`], 1 MiB), only an e-LAAS upload
/// may be large ([`super::MAX_BODY_BYTES`]); a larger body is refused with
/// `413` and `PAYLOAD_TOO_LARGE` in the shape of any GraphQL error.
pub async fn post(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: axum::body::Body,
) -> HttpResponse {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = content_type.split(';').next().map(str::trim).unwrap_or("");
    let upload_body = essence == "multipart/form-data" && has_csrf_header(&headers);
    if !upload_body && essence != JSON {
        return plain_refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST /graphql takes Content-Type: application/json (file uploads: multipart/form-data with an x-tidtam-csrf header) / ส่งเป็น application/json",
        );
    }
    // Only a signed-in account may import, so an upload's caller is known
    // before its (up to 256 MiB) body is read: an anonymous one sends none.
    if upload_body {
        if let Some(refused) = refuse_anonymous_upload(&state, &headers, media).await {
            return refused;
        }
    }
    let limit = if upload_body {
        super::MAX_BODY_BYTES
    } else {
        state.limits.max_json_body
    };
    let body = match read_limited(&headers, body, limit).await {
        Ok(Some(body)) => body,
        Ok(None) => {
            return refusal(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                AppError::PayloadTooLarge(limit),
            )
        }
        Err(e) if super::connections::timed_out(&e) => {
            let mut response = plain_refusal(
                StatusCode::REQUEST_TIMEOUT,
                super::connections::BODY_TIMEOUT,
                &super::connections::BodyTimedOut.to_string(),
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Err(_) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                "the body could not be read / อ่านเนื้อหาคำขอไม่ได้",
            )
        }
    };
    if upload_body {
        let caller = Caller::new(&headers, peer);
        return upload(&state, caller, media, &content_type, body).await;
    }
    let body = match parse_body(&body, state.limits.max_batch) {
        Ok(body) => body,
        Err((code, why)) => return request_error(media, StatusCode::BAD_REQUEST, code, &why),
    };
    let caller = Caller::new(&headers, peer);
    match body {
        Posted::One(body) => match build(body) {
            Ok(request) => execute(&state, caller, media, request, None).await,
            Err(why) => request_error(media, StatusCode::BAD_REQUEST, BAD_REQUEST, why),
        },
        Posted::Batch(bodies) => {
            let mut requests = Vec::with_capacity(bodies.len());
            for (i, body) in bodies.into_iter().enumerate() {
                match build(body) {
                    Ok(request) => requests.push(request),
                    Err(why) => {
                        let why = format!("operation {i} of the batch (คำสั่งที่ {i} ในชุด): {why}");
                        return request_error(media, StatusCode::BAD_REQUEST, BAD_REQUEST, &why);
                    }
                }
            }
            execute_batch(&state, caller, media, requests).await
        }
    }
}

/// `401` for an upload without a valid token (or `503` while accounts cannot
/// be read); `None` when a signed-in account sends it.
async fn refuse_anonymous_upload(
    state: &AppState,
    headers: &HeaderMap,
    media: Media,
) -> Option<HttpResponse> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let error = match authenticate(state, authorization).await {
        Ok(access) if access.account.is_some() => return None,
        Ok(_) => AppError::Unauthenticated(
            "a file upload needs a signed-in account / การนำเข้าไฟล์ต้องลงชื่อเข้าใช้".into(),
        ),
        Err(e) => e,
    };
    let status = match error {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    Some(refusal(media, status, error))
}

fn has_csrf_header(headers: &HeaderMap) -> bool {
    headers.contains_key("x-tidtam-csrf") || headers.contains_key("apollo-require-preflight")
}

/// A GraphQL multipart request (file upload).
async fn upload(
    state: &AppState,
    caller: Caller,
    media: Media,
    content_type: &str,
    body: Bytes,
) -> HttpResponse {
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(super::MAX_UPLOAD_BYTES)
        .max_num_files(1);
    let reader = futures_util::io::Cursor::new(body.to_vec());
    match async_graphql::http::receive_body(Some(content_type), reader, options).await {
        Ok(request) => execute(state, caller, media, request, None).await,
        Err(e) => request_error(
            media,
            StatusCode::BAD_REQUEST,
            BAD_REQUEST,
            &format!("the upload could not be read: {e} / อ่านไฟล์ที่อัปโหลดไม่ได้"),
        ),
    }
}

/// `GET /graphql?query=…`: queries only.
pub async fn get(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> HttpResponse {
    let raw = query.clone();
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let json_param =
        |name: &str| -> Result<Option<serde_json::Value>, (&'static str, &'static str)> {
            match param(name) {
                None => Ok(None),
                Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                    json_refusal(
                        &e,
                        "a JSON parameter does not parse / พารามิเตอร์ JSON อ่านไม่ได้",
                    )
                }),
            }
        };
    let body = match (json_param("variables"), json_param("extensions")) {
        (Ok(variables), Ok(extensions)) => Body {
            query: param("query").map(serde_json::Value::String),
            operation_name: param("operationName").map(serde_json::Value::String),
            variables,
            extensions,
        },
        (Err((code, why)), _) | (_, Err((code, why))) => {
            return request_error(media, StatusCode::BAD_REQUEST, code, why)
        }
    };
    let request = match build(body) {
        Ok(r) => r,
        Err(why) => return request_error(media, StatusCode::BAD_REQUEST, BAD_REQUEST, why),
    };
    let raw = raw.unwrap_or_default();
    execute(
        &state,
        Caller::new(&headers, peer),
        media,
        request,
        Some(raw),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_without_a_length_is_cut_off_at_the_limit() {
        let chunks = futures_util::stream::iter(
            (0..4).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 400]))),
        );
        let body = axum::body::Body::from_stream(chunks);
        let read = read_limited(&HeaderMap::new(), body, 1000).await;
        assert!(matches!(read, Ok(None)));
        let body = axum::body::Body::from(vec![b' '; 1000]);
        let read = read_limited(&HeaderMap::new(), body, 1000).await;
        assert_eq!(read.ok().flatten().map(|b| b.len()), Some(1000));
        let mut declared = HeaderMap::new();
        declared.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5000"));
        let read = read_limited(&declared, axum::body::Body::empty(), 1000).await;
        assert!(matches!(read, Ok(None)), "refused by its declared length");
    }
}
