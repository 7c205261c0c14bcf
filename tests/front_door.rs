//! The front door under hostile input: deep values and selections by every
//! path (POST, GET, WebSocket, persisted), limits that name themselves,
//! panics, the WebSocket's rights and rate, and slow clients. The server runs
//! on a multi-threaded runtime, as in production (2 MiB worker stacks).

mod common;

use common::TestDb;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// The depths every path is tried at.
const DEPTHS: [usize; 4] = [15, 40, 1000, 100_000];

fn nested(open: &str, leaf: &str, close: &str, depth: usize) -> String {
    let mut s = String::with_capacity((open.len() + close.len()) * depth + leaf.len());
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(leaf);
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

/// The documents of one depth, each with the code expected when it is too deep.
fn deep_documents(depth: usize) -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "list literal",
            format!(
                "{{ organisation(code: {}) {{ name }} }}",
                nested("[", "\"1\"", "]", depth)
            ),
            "VALUE_TOO_DEEP",
        ),
        (
            "input object",
            format!(
                "{{ organisations(filter: {}) {{ totalCount }} }}",
                nested("{search: ", "\"x\"", "}", depth)
            ),
            "VALUE_TOO_DEEP",
        ),
        (
            "variable default",
            format!(
                "query($c: String = {}) {{ organisation(code: $c) {{ name }} }}",
                nested("[", "\"1\"", "]", depth)
            ),
            "VALUE_TOO_DEEP",
        ),
        (
            "selections",
            format!(
                "{{ masterPlans {{ {} }} }}",
                // masterPlans, the parents, code: `depth` fields in all.
                nested("parent { ", "code", " }", depth - 2)
            ),
            "QUERY_TOO_DEEP",
        ),
    ]
}

/// The deep value is refused (with `code`) when deeper than the limits,
/// and otherwise answered without that code (a validation error at most).
fn assert_refused(path: &str, shape: &str, depth: usize, body: &Value, code: &str) {
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["extensions"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    if codes == ["PAYLOAD_TOO_LARGE"] {
        // 100,000 levels of `parent { … }` are past the body limit itself.
        return;
    }
    if depth > 32 {
        assert_eq!(codes, vec![code], "{path} {shape} at {depth}: {body}");
    } else {
        assert!(!codes.contains(&code), "{path} {shape} at {depth}: {body}");
    }
    let errors = body["errors"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(errors, codes.len(), "every error has a code: {body}");
}

async fn post_text(base: &str, body: String) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(base: &str, query: &str) -> (u16, Value) {
    post_text(base, json!({ "query": query }).to_string()).await
}

/// The server still answers, after whatever came before.
async fn assert_alive(base: &str) {
    let (status, body) = post(base, "{ __typename }").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_values_and_selections_are_refused_by_post_and_get() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    for depth in DEPTHS {
        for (shape, query, code) in deep_documents(depth) {
            let (_, body) = post(&base, &query).await;
            assert_refused("POST", shape, depth, &body, code);
            assert_alive(&base).await;

            let url = reqwest::Url::parse_with_params(
                &format!("{base}/graphql"),
                [("query", query.as_str())],
            )
            .expect("a URL");
            let response = match reqwest::get(url).await {
                Ok(response) => response,
                // 100,000 brackets make a URL no HTTP client sends.
                Err(e) if e.is_builder() => continue,
                Err(e) => panic!("the server answers: {e}"),
            };
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            // A URL of 100,000 brackets is past the HTTP layer's own bound on
            // a request head: refused before any GraphQL is read.
            if status != 431 && status != 414 {
                assert_refused("GET", shape, depth, &body, code);
            }
            assert_alive(&base).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_variables_are_refused_with_a_code() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    let query = "query($c: String) { organisation(code: $c) { name } }";
    for depth in [40, 100, 1000, 100_000] {
        let body = format!(
            "{{\"query\": {}, \"variables\": {{\"c\": {}}}}}",
            json!(query),
            nested("[", "\"1\"", "]", depth)
        );
        let (status, body) = post_text(&base, body).await;
        // Past serde_json's own bound (128) the body itself is refused (400).
        assert!(status == 200 || status == 400, "{status} {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALUE_TOO_DEEP",
            "variables {depth} deep: {body}"
        );
        assert_alive(&base).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_documents_by_their_hash_are_refused_and_not_stored() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    for depth in DEPTHS {
        for (shape, query, code) in deep_documents(depth) {
            let hash = tidtam::http::persisted::sha256_hex(&query);
            let persisted = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
            let (_, body) = post_text(
                &base,
                json!({"query": query, "extensions": persisted}).to_string(),
            )
            .await;
            assert_refused("APQ", shape, depth, &body, code);
            if depth > 32 {
                let (_, body) =
                    post_text(&base, json!({"extensions": persisted}).to_string()).await;
                // Refused by its text: never stored; by the schema: refused again.
                let stored = &body["errors"][0]["extensions"]["code"];
                assert!(
                    stored == "PERSISTED_QUERY_NOT_FOUND" || stored == code,
                    "{body}"
                );
                // One stored before the limit existed is refused when used.
                let stored = sqlx::query("INSERT INTO persisted_queries (sha256, query) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&hash)
                    .bind(&query)
                    .execute(&db.pool)
                    .await;
                // (the table refuses documents past its own length bound)
                if stored.is_ok() {
                    let (_, body) =
                        post_text(&base, json!({"extensions": persisted}).to_string()).await;
                    assert_refused("stored", shape, depth, &body, code);
                }
            }
            assert_alive(&base).await;
        }
    }
}

/// A `graphql-transport-ws` connection, initialised with `payload`.
async fn websocket(
    base: &str,
    payload: Value,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = format!("{}/graphql/ws", base.replacen("http", "ws", 1))
        .into_client_request()
        .expect("a request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header"),
    );
    let mut ws = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade")
        .0;
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": payload}).to_string(),
    ))
    .await
    .expect("send");
    let ack = next_message(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

async fn next_message<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message within 30 s")
            .expect("the socket stays open")
            .expect("a readable message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap_or(Value::Null);
        }
    }
}

/// Sends one operation over the socket and returns its first `next` payload
/// (or the `error` message), reading through to its end.
async fn ws_operation<S>(ws: &mut S, id: &str, payload: Value) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures_util::Sink<Message>
        + Unpin,
{
    let _ = ws
        .send(Message::text(
            json!({"id": id, "type": "subscribe", "payload": payload}).to_string(),
        ))
        .await;
    loop {
        let message = next_message(ws).await;
        if message["id"] != id {
            continue;
        }
        match message["type"].as_str() {
            Some("next") => {
                let payload = message["payload"].clone();
                // Its `complete` follows.
                loop {
                    let end = next_message(ws).await;
                    if end["id"] == id {
                        break;
                    }
                }
                return payload;
            }
            Some("error") => return json!({ "errors": message["payload"] }),
            _ => return message,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_values_are_refused_over_the_websocket() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    let mut ws = websocket(&base, json!({})).await;
    let mut n = 0;
    for depth in DEPTHS {
        for (shape, query, code) in deep_documents(depth) {
            n += 1;
            let body = ws_operation(&mut ws, &n.to_string(), json!({ "query": query })).await;
            assert_refused("WebSocket", shape, depth, &body, code);
        }
    }
    let alive = ws_operation(&mut ws, "alive", json!({"query": "{ __typename }"})).await;
    assert_eq!(alive["data"]["__typename"], "Query", "{alive}");
    assert_alive(&base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_limit_names_itself_at_any_depth_and_fragment_shape() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    // Depth without any alias: QUERY_TOO_DEEP from 16 fields on, whatever
    // the depth (it was TOO_MANY_ALIASES past 32).
    for depth in [15, 16, 33, 40, 47, 200, 1000] {
        let query = format!(
            "{{ masterPlans {{ {} }} }}",
            nested("parent { ", "code", " }", depth - 2)
        );
        let (_, body) = post(&base, &query).await;
        let code = body["errors"][0]["extensions"]["code"].as_str();
        if depth <= 15 {
            assert_eq!(body["errors"], Value::Null, "{depth}: {body}");
        } else {
            assert_eq!(code, Some("QUERY_TOO_DEEP"), "{depth}: {body}");
        }
    }
    // The same depth through a chain of fragments, and through inline fragments.
    for depth in [16, 40, 1000] {
        let mut query = String::from("{ masterPlans { ...F0 } }\n");
        for i in 0..depth {
            query.push_str(&format!(
                "fragment F{i} on PlanNode {{ parent {{ ...F{} }} }}\n",
                i + 1
            ));
        }
        query.push_str(&format!("fragment F{depth} on PlanNode {{ code }}\n"));
        let (_, body) = post(&base, &query).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "QUERY_TOO_DEEP",
            "fragments {depth}: {body}"
        );
        let query = format!(
            "{{ masterPlans {{ {} }} }}",
            nested("... on PlanNode { parent { ", "code", " } }", depth)
        );
        let (_, body) = post(&base, &query).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "QUERY_TOO_DEEP",
            "inline fragments {depth}: {body}"
        );
    }
    // A chain of spreads without fields, thousands long.
    let mut query = String::from("{ ...S0 }\n");
    for i in 0..5000 {
        query.push_str(&format!("fragment S{i} on Query {{ ...S{} }}\n", i + 1));
    }
    query.push_str("fragment S5000 on Query { __typename }\n");
    let (_, body) = post(&base, &query).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_DEEP",
        "spread chain: {body}"
    );
    // Fragment cycles, direct and long.
    let cycle = "{ ...A } fragment A on Query { ...A }";
    let (_, body) = post(&base, cycle).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    let mut query = String::from("{ ...C0 }\n");
    for i in 0..3000 {
        query.push_str(&format!(
            "fragment C{i} on Query {{ ...C{} }}\n",
            (i + 1) % 3000
        ));
    }
    let (_, body) = post(&base, &query).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    // A fragment bomb: 2^40 selections in a few hundred bytes.
    let mut query = String::from("{ ...B0 }\n");
    for i in 0..40 {
        query.push_str(&format!(
            "fragment B{i} on Query {{ ...B{0} ...B{0} }}\n",
            i + 1
        ));
    }
    query.push_str("fragment B40 on Query { __typename }\n");
    let started = std::time::Instant::now();
    let (_, body) = post(&base, &query).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused without expanding it"
    );
    // Aliases still count, through fragments too.
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let (_, body) = post(&base, &format!("{{ {aliases} }}")).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES",
        "{body}"
    );
    let (_, body) = post(
        &base,
        "{ ...X ...X ...X ...X } fragment X on Query { a: __typename b: __typename c: __typename d: __typename e: __typename f: __typename g: __typename h: __typename }",
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES",
        "{body}"
    );
    assert_alive(&base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_and_every_other_refusal_carry_a_code() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    // A batch over the cap (10 operations by default).
    let eleven: Vec<_> = (0..11)
        .map(|_| json!({"query": "{ __typename }"}))
        .collect();
    let (status, body) = post_text(&base, json!(eleven).to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BATCH_TOO_LARGE",
        "{body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(!message.contains("not JSON"), "{message}");

    let (status, body) = post_text(&base, "{not json".into()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    let (_, body) = post_text(&base, json!({"query": 1}).to_string()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );

    let client = reqwest::Client::new();
    let wrong_type = client
        .post(format!("{base}/graphql"))
        .header("content-type", "text/plain")
        .body("{ __typename }")
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong_type.status().as_u16(), 415);
    let body: Value = wrong_type.json().await.unwrap_or(Value::Null);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE",
        "{body}"
    );
    let not_acceptable = client
        .post(format!("{base}/graphql"))
        .header("accept", "text/html")
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(not_acceptable.status().as_u16(), 406);
    let body: Value = not_acceptable.json().await.unwrap_or(Value::Null);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_ACCEPTABLE",
        "{body}"
    );
    let mutation = client
        .get(format!("{base}/graphql?query=mutation%7B__typename%7D"))
        .send()
        .await
        .expect("answer");
    assert_eq!(mutation.status().as_u16(), 405);
    let body: Value = mutation.json().await.unwrap_or(Value::Null);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED",
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_answers_500_with_a_code_and_is_counted() {
    let metrics = std::sync::Arc::new(tidtam::ops::metrics::Metrics::default());
    let routes = axum::Router::new().route(
        "/boom",
        axum::routing::get(|| async {
            let v: Vec<u8> = Vec::new();
            // A bug: indexing past the end.
            v[usize::from(v.is_empty())].to_string()
        }),
    );
    let app = tidtam::http::panic::guard(routes, metrics.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    for _ in 0..2 {
        let response = reqwest::get(format!("http://{addr}/boom"))
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(response.status().as_u16(), 500);
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
            "{body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(!message.contains("index out of bounds"), "{message}");
    }
    assert!(
        metrics.render().contains("tidtam_panics_total 2"),
        "{}",
        metrics.render()
    );
    // The real router is guarded and shows the counter.
    let db = TestDb::empty().await;
    let base = db.serve().await;
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    assert!(text.contains("tidtam_panics_total 0"), "{text}");
}

/// One admission path (issue 19 §2): operations over `/graphql/ws` draw on
/// the caller's rate as HTTP requests do, from the same allowance, so a
/// connection is no way around the limit (sign-ins over it included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_and_http_share_one_rate_limit() {
    let db = TestDb::empty().await;
    // 60 a minute: a burst of 10, then one a second.
    let base = db.serve_rate_limited(60).await;
    let mut ws = websocket(&base, json!({})).await;
    let mut limited = 0;
    for n in 0..30 {
        let body = ws_operation(
            &mut ws,
            &n.to_string(),
            json!({"query": "mutation { signIn(username: \"nobody\", password: \"wrong\") { token } }"}),
        )
        .await;
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|e| e["extensions"]["code"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert!(!codes.is_empty(), "{body}");
        if codes.contains(&"RATE_LIMITED") {
            limited += 1;
        }
    }
    assert!(
        limited >= 15,
        "the WebSocket was rate limited {limited} times of 30"
    );
    // The same address over HTTP has used up its allowance too.
    let (status, body) = post(&base, "{ __typename }").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
}
