//! What dashboard builders' clients expect of the HTTP API (issue 22):
//! batches (an array answered in order, one request against the limits, a
//! cap), answers' keys in the selection's order on every path, gzip and
//! brotli, ETag revalidation of GET answers and exports, CORS.

mod common;

use common::TestDb;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// POSTs `body` to `/graphql`; the status and the raw text.
async fn post(base: &str, body: Value, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Serves the demo as `tidtam serve` does: the analytics listening, so that
/// the data version is known in memory; `cors` as TIDTAM_CORS_ORIGINS.
async fn serve_live(db: &TestDb, cors: &[&str]) -> String {
    let analytics = tidtam::analytics::Analytics::new(db.pool.clone());
    analytics.listen();
    let schema = tidtam::graphql::build_schema_with(Some(db.pool.clone()), Some(analytics));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    let origins: Vec<String> = cors.iter().map(|s| s.to_string()).collect();
    state.cors = Arc::new(tidtam::http::cors::Cors::parse(&origins).unwrap());
    db.serve_with(state).await
}

/// Where `needle` first occurs in `text`.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {text}"))
}

/// The answer's keys come in the order of `ORDERED`'s selection, not sorted.
const ORDERED: &str = r#"{ organisation(code: "7100001") { province { nameTh code } name kind } }"#;

fn assert_selection_order(text: &str) {
    assert!(
        at(text, r#""province":"#) < at(text, r#""name":"#)
            && at(text, r#""name":"#) < at(text, r#""kind":"#)
            && at(text, r#""nameTh":"#) < at(text, r#""code":"#),
        "keys not in selection order: {text}"
    );
    let value: Value = serde_json::from_str(text).unwrap();
    let org = if value.is_array() {
        &value[0]["data"]["organisation"]
    } else if value["payload"].is_object() {
        &value["payload"]["data"]["organisation"]
    } else {
        &value["data"]["organisation"]
    };
    assert_eq!(org["name"], "องค์การบริหารส่วนตำบลหาดยาย", "{text}");
    assert_eq!(org["province"]["code"], "71", "{text}");
}

#[tokio::test]
async fn a_batch_is_answered_in_order_and_its_mutations_run_in_order() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let token = db.token("officer.hadyai").await;
    let batch = json!([
        {"query": "query Who { viewer { username } }"},
        {"query": "mutation First { createApiToken(name: \"first\") { info { id name } } }"},
        {"query": "mutation Second { createApiToken(name: \"second\") { info { id name } } }"},
        {"query": "{ nope }"},
        {"query": "query Org($code: String!) { organisation(code: $code) { code name } }",
         "variables": {"code": "7100001"}, "operationName": "Org"},
    ]);
    let (status, text) = post(&base, batch, Some(&token)).await;
    assert_eq!(status, 200, "{text}");
    let answers: Vec<Value> = serde_json::from_str(&text).expect("an array");
    assert_eq!(answers.len(), 5, "{text}");
    assert_eq!(answers[0]["data"]["viewer"]["username"], "officer.hadyai");
    let first = &answers[1]["data"]["createApiToken"]["info"];
    let second = &answers[2]["data"]["createApiToken"]["info"];
    assert_eq!(first["name"], "first", "{text}");
    assert_eq!(second["name"], "second", "{text}");
    // In order: the second token was made after the first.
    assert!(
        first["id"].as_i64().unwrap() < second["id"].as_i64().unwrap(),
        "{text}"
    );
    // One operation's request error is its own answer, the rest run.
    assert_eq!(
        answers[3]["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{text}"
    );
    assert!(answers[3].get("data").is_none(), "{text}");
    assert_eq!(answers[4]["data"]["organisation"]["code"], "7100001");
    assert_eq!(
        answers[4]["data"]["organisation"]["name"],
        "องค์การบริหารส่วนตำบลหาดยาย"
    );
    let made: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE name IN ('first', 'second') AND revoked_at IS NULL",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(made, 2);
}

#[tokio::test]
async fn a_batch_counts_as_one_request_against_the_rate_and_complexity_limits() {
    let db = TestDb::demo().await;
    let base = db.serve_rate_limited(12).await;
    let token = db.token("officer.hadyai").await;
    // About 1,100 each (100 organisations × 11 fields): one passes the
    // limit of 10,000, ten together do not.
    let wide = "{ organisations(first: 100) { nodes { id code name provinceCode district recordingMethodSet kind province { code nameTh } } } }";
    let batch: Vec<Value> = (0..10).map(|_| json!({"query": wide})).collect();
    let (status, text) = post(&base, json!(batch), Some(&token)).await;
    assert_eq!(status, 200, "{text}");
    let answers: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(answers.len(), 10);
    let passed = answers
        .iter()
        .take_while(|a| a.get("errors").is_none())
        .count();
    assert!((1..10).contains(&passed), "{passed} passed: {text}");
    for refused in &answers[passed..] {
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
            "{refused}"
        );
    }
    assert!(answers[0]["data"]["organisations"]["nodes"]
        .as_array()
        .is_some_and(|n| !n.is_empty()));
    // Ten operations were one request: a second batch still passes the
    // limit (12 a minute, in bursts of 2), a third request does not.
    let two = json!([{"query": "{ __typename }"}, {"query": "{ __typename }"}]);
    let (status, text) = post(&base, two.clone(), Some(&token)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!([{"data": {"__typename": "Query"}}, {"data": {"__typename": "Query"}}])
    );
    let (status, text) = post(&base, two, Some(&token)).await;
    assert_eq!(status, 429, "{text}");
    // Over the cap: one coded refusal, nothing run.
    let eleven: Vec<Value> = (0..11)
        .map(|_| json!({"query": "{ __typename }"}))
        .collect();
    let other = db.token("evaluator.71").await;
    let (status, text) = post(&base, json!(eleven), Some(&other)).await;
    assert_eq!(status, 400, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BATCH_TOO_LARGE");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ไม่เกิน 10"),
        "{body}"
    );
}

#[tokio::test]
async fn answers_keep_the_selection_order_on_every_path() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let db = TestDb::demo().await;
    let base = db.serve().await;
    let token = db.token("officer.hadyai").await;
    // POST, GET, a batch.
    let (_, text) = post(&base, json!({"query": ORDERED}), Some(&token)).await;
    assert_selection_order(&text);
    let client = reqwest::Client::new();
    let get = client
        .get(format!("{base}/graphql"))
        .query(&[("query", ORDERED)])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_selection_order(&get.text().await.unwrap());
    let (_, text) = post(&base, json!([{"query": ORDERED}]), Some(&token)).await;
    assert_selection_order(&text);
    // An automatic persisted query, registered then run by its hash alone.
    let hash = tidtam::http::persisted::sha256_hex(ORDERED);
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let (_, text) = post(
        &base,
        json!({"query": ORDERED, "extensions": extensions}),
        Some(&token),
    )
    .await;
    assert_selection_order(&text);
    let by_hash = client
        .get(format!("{base}/graphql"))
        .query(&[("extensions", extensions.to_string())])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_selection_order(&by_hash.text().await.unwrap());
    // The WebSocket.
    let mut request = format!("{}/graphql/ws", base.replacen("http", "ws", 1))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let mut ws = tokio_tungstenite::connect_async(request).await.unwrap().0;
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})
            .to_string(),
    ))
    .await
    .unwrap();
    ws.send(Message::text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": ORDERED}}).to_string(),
    ))
    .await
    .unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message")
            .unwrap()
            .unwrap();
        let text = message.to_text().unwrap_or("").to_string();
        if text.contains(r#""type":"next""#) {
            assert_selection_order(&text);
            break;
        }
    }
}

/// Decodes a body by its Content-Encoding.
fn decoded(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        Some("br") => brotli::BrotliDecompress(&mut &body[..], &mut out).unwrap(),
        Some("gzip") => {
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out).unwrap();
        }
        None => out.extend_from_slice(body),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

#[tokio::test]
async fn answers_and_csv_exports_are_compressed_as_asked() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let query = "{ organisations(first: 100) { nodes { code name kind province { nameTh } } } }";
    let mut plain = None;
    for encoding in ["br", "gzip", "identity"] {
        let r = client
            .post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header("accept-encoding", encoding)
            .body(json!({"query": query}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let sent = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        let expected = (encoding != "identity").then(|| encoding.to_string());
        assert_eq!(sent, expected, "{encoding}");
        let body = decoded(sent.as_deref(), &r.bytes().await.unwrap());
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert!(value["data"]["organisations"]["nodes"][0]["code"].is_string());
        match &plain {
            None => plain = Some(value),
            Some(p) => assert_eq!(p, &value),
        }
    }
    // A CSV export, streamed through gzip.
    let url = format!("{base}/export/facts.csv?fiscalYear=2564&provinceCode=71");
    let r = client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let csv = decoded(Some("gzip"), &r.bytes().await.unwrap());
    let text = String::from_utf8(csv).unwrap();
    assert!(text.lines().count() > 1, "{text}");
    assert!(text.contains("แอโรบิค"), "{text}");
    // Parquet is compressed already: sent as it is.
    let r = client
        .get(format!(
            "{base}/export/facts.parquet?fiscalYear=2564&provinceCode=71"
        ))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-encoding").is_none());
    assert!(r.bytes().await.unwrap().starts_with(b"PAR1"));
}

/// GETs `url` until the answer carries an ETag (the listener has heard the
/// data version); the answer's ETag and Cache-Control.
async fn tagged(client: &reqwest::Client, url: &str, token: Option<&str>) -> (String, String) {
    for _ in 0..300 {
        let mut request = client.get(url);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let headers = r.headers().clone();
        let _ = r.bytes().await;
        if let Some(etag) = headers.get("etag") {
            let cache = headers["cache-control"].to_str().unwrap().to_string();
            return (etag.to_str().unwrap().to_string(), cache);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no ETag on {url}");
}

async fn revalidate(client: &reqwest::Client, url: &str, etag: &str, token: Option<&str>) -> u16 {
    let mut request = client.get(url).header("if-none-match", etag);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn get_answers_and_exports_are_revalidated_by_the_data_version() {
    let db = TestDb::demo().await;
    let base = serve_live(&db, &[]).await;
    let client = reqwest::Client::new();
    let query = "{ monitoringReport(fiscalYear: 2564, provinceCode: \"71\") { planYears } }";
    let url = reqwest::Url::parse_with_params(&format!("{base}/graphql"), [("query", query)])
        .unwrap()
        .to_string();
    // Anonymous: published data, kept briefly by shared caches too.
    let (etag, cache) = tagged(&client, &url, None).await;
    assert!(etag.starts_with("\"v") && etag.ends_with('"'), "{etag}");
    assert_eq!(cache, "public, max-age=30");
    let r = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    // Each encoding is its own representation, with its own strong tag;
    // its 304 has no body to encode.
    let gzip = client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let gzip_tag = gzip.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(gzip_tag, etag);
    let again = client
        .get(&url)
        .header("accept-encoding", "gzip")
        .header("if-none-match", &gzip_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.headers().get("content-encoding").is_none());
    // Signed in: another scope, another tag, private.
    let token = db.token("evaluator.71").await;
    let (mine, cache) = tagged(&client, &url, Some(&token)).await;
    assert_ne!(mine, etag);
    assert_eq!(cache, "no-cache, private");
    assert_eq!(revalidate(&client, &url, &mine, Some(&token)).await, 304);
    assert_eq!(revalidate(&client, &url, &etag, Some(&token)).await, 200);
    // An export: the same rule.
    let export = format!("{base}/export/facts.csv?fiscalYear=2564&provinceCode=71");
    let (export_tag, _) = tagged(&client, &export, None).await;
    assert_eq!(revalidate(&client, &export, &export_tag, None).await, 304);
    // A write moves the version: the old tags no longer hold.
    sqlx::query("UPDATE organisations SET district = district WHERE code = '7100001'")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut moved = false;
    for _ in 0..300 {
        if revalidate(&client, &url, &etag, None).await == 200 {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(moved, "the old ETag still answered 304 after a write");
    assert_eq!(revalidate(&client, &export, &export_tag, None).await, 200);
    let (new_tag, _) = tagged(&client, &url, None).await;
    assert_ne!(new_tag, etag);
    assert_eq!(revalidate(&client, &url, &new_tag, None).await, 304);
}

#[tokio::test]
async fn cors_answers_the_preflight_of_an_allowed_origin_only() {
    let db = TestDb::demo().await;
    let base = serve_live(&db, &["http://127.0.0.2:9000"]).await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("http://127.0.0.2:9000").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let h = allowed.headers();
    assert_eq!(h["access-control-allow-origin"], "http://127.0.0.2:9000");
    let headers = h["access-control-allow-headers"].to_str().unwrap();
    assert!(headers.contains("authorization") && headers.contains("content-type"));
    assert!(h["vary"].to_str().unwrap().contains("origin"));
    let other = preflight("http://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // The answer itself names the origin, and says it varies by it.
    let r = client
        .post(format!("{base}/graphql"))
        .header("origin", "http://127.0.0.2:9000")
        .header("content-type", "application/json")
        .body(json!({"query": "{ __typename }"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://127.0.0.2:9000"
    );
    // The CSRF rule stands: a form post does not run.
    let r = client
        .post(format!("{base}/graphql"))
        .header("origin", "http://127.0.0.2:9000")
        .header("content-type", "text/plain")
        .body(json!({"query": "{ __typename }"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // The WebSocket checks Origin on the upgrade.
    for (origin, opens) in [
        (Some("http://127.0.0.2:9000"), true),
        (Some("http://evil.example"), false),
        (None, true),
    ] {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("{}/graphql/ws", base.replacen("http", "ws", 1))
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        if let Some(origin) = origin {
            headers.insert("origin", origin.parse().unwrap());
        }
        let result = tokio_tungstenite::connect_async(request).await;
        assert_eq!(result.is_ok(), opens, "{origin:?}");
    }
    // `*`: any origin, but no Authorization header (anonymous reads).
    let any = serve_live(&db, &["*"]).await;
    let r = client
        .request(reqwest::Method::OPTIONS, format!("{any}/graphql"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed.contains("content-type") && !allowed.contains("authorization"));
    assert!(r
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    // Without TIDTAM_CORS_ORIGINS a foreign page's socket is refused too,
    // and no preflight is answered.
    let closed = db.serve().await;
    let r = client
        .request(reqwest::Method::OPTIONS, format!("{closed}/graphql"))
        .header("origin", "http://127.0.0.2:9000")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn every_error_message_is_english_and_thai_and_a_fields_thai_is_in_extensions() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let token = db.token("officer.hadyai").await;
    let thai = |s: &str| s.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c));
    // A field's validation error: both in `message`, the Thai alone in
    // `extensions.messageTh`.
    let (_, text) = post(
        &base,
        json!({"query": "mutation { createApiToken(name: \"  \") { token } }"}),
        Some(&token),
    )
    .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    let error = &body["errors"][0];
    let message = error["message"].as_str().unwrap();
    let message_th = error["extensions"]["messageTh"].as_str().unwrap_or("");
    assert!(!message_th.is_empty() && thai(message_th), "{body}");
    assert!(
        message.contains(" / ") && message.ends_with(message_th),
        "{body}"
    );
    assert!(message.starts_with("name: "), "{body}");
    // Refusals without a field: both, in `message`.
    for (body, token) in [
        (
            json!({"query": "{ organisation(code: \"7100001\") { name } }", "variables": []}),
            None,
        ),
        (
            json!({"query": "{ viewer { username } }"}),
            Some("tidtam_made-up"),
        ),
    ] {
        let (_, text) = post(&base, body, token).await;
        let value: Value = serde_json::from_str(&text).unwrap();
        let message = value["errors"][0]["message"].as_str().unwrap();
        assert!(
            thai(message) && message.chars().any(|c| c.is_ascii_alphabetic()),
            "{value}"
        );
    }
}

#[tokio::test]
async fn processes_that_share_the_rate_allow_together_what_one_would() {
    let db = TestDb::demo().await;
    // TIDTAM_RATE_LIMIT=24, TIDTAM_RATE_PROCESSES=2: each 12 a minute, in
    // bursts of 2; one process alone would allow bursts of 4.
    let share = tidtam::auth::rate::per_process(24, 2);
    assert_eq!(share, 12);
    let one = db.serve_rate_limited(share).await;
    let two = db.serve_rate_limited(share).await;
    let token = db.token("officer.hadyai").await;
    let query = json!({"query": "{ __typename }"});
    let mut statuses = Vec::new();
    for i in 0..5 {
        let base = if i % 2 == 0 { &one } else { &two };
        statuses.push(post(base, query.clone(), Some(&token)).await.0);
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 429],
        "behind a round-robin balancer"
    );
}
