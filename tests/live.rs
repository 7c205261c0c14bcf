//! Live dashboards: the `trackingReportChanged` subscription speaks when a
//! mutation changes the province's tracking report, and not for a write that
//! leaves the report as it was.

mod common;

use common::TestDb;
use futures_util::StreamExt;
use serde_json::json;
use std::time::Duration;
use tidtam::auth::Access;

const SUBSCRIBE: &str = r#"subscription { trackingReportChanged(fiscalYear: 2564, provinceCode: "71") { dataVersion provinceCode } }"#;

async fn version(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// The next event of a subscription, within 30 s.
async fn next<S>(events: &mut S) -> serde_json::Value
where
    S: futures_util::Stream<Item = async_graphql::Response> + Unpin,
{
    let response = tokio::time::timeout(Duration::from_secs(30), events.next())
        .await
        .expect("an event within 30 s")
        .expect("the stream goes on");
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    serde_json::to_value(&response.data).unwrap()["trackingReportChanged"].clone()
}

/// A write that changes province 71's tracking report: the aerobic-dance
/// project is completed.
async fn complete_the_aerobic_dance_report(db: &TestDb) {
    let (id, report_version): (i64, i32) =
        sqlx::query_as("SELECT id, version FROM project_reports WHERE latitude IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let completed = db
        .graphql(
            r#"mutation ($input: CompleteReportInput!) { completeReport(input: $input) { status } }"#,
            json!({"input": {"id": tidtam::types::global_id::encode("ProjectReport", id), "version": report_version,
                             "completedOn": "30/09/2564", "summary": "ประชาชนเข้าร่วม 150 คน"}}),
        )
        .await;
    assert!(completed.get("errors").is_none(), "{completed:#}");
}

#[tokio::test]
async fn a_mutation_that_changes_the_report_reaches_the_subscriber() {
    let db = TestDb::demo().await;
    let analytics = tidtam::analytics::Analytics::new(db.pool.clone());
    analytics.listen();
    let schema = tidtam::graphql::build_schema_with(Some(db.pool.clone()), Some(analytics));
    let request = tidtam::graphql::prepare(
        async_graphql::Request::new(SUBSCRIBE),
        &db.pool,
        Access::anonymous(),
    );
    let mut events = schema.execute_stream(request);
    let first = next(&mut events).await;
    assert_eq!(
        first["dataVersion"],
        version(&db).await,
        "the current version at once"
    );

    // A write that changes no figure of the report: score weights.
    let weights = db
        .graphql(
            r#"mutation { setScoreWeights(weights: [{component: "reporting", weight: 3}]) { component } }"#,
            json!({}),
        )
        .await;
    assert!(weights.get("errors").is_none(), "{weights:#}");
    // A write that does.
    complete_the_aerobic_dance_report(&db).await;
    let latest = version(&db).await;

    // One event, for the change that matters, at the version after both writes.
    let second = next(&mut events).await;
    assert_eq!(second["dataVersion"], latest, "{second}");
    assert_eq!(second["provinceCode"], "71");
}

#[tokio::test]
async fn the_subscription_runs_over_a_websocket_with_a_token() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let db = TestDb::demo().await;
    let base = db.serve_live().await;
    let connect = || async {
        let mut request = format!("{}/graphql/ws", base.replacen("http", "ws", 1))
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request)
            .await
            .expect("upgrade")
            .0
    };
    let read = |text: Message| -> serde_json::Value {
        serde_json::from_str(text.to_text().unwrap_or("null")).unwrap_or(serde_json::Value::Null)
    };

    let token = db.token("evaluator.71").await;
    let mut ws = connect().await;
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})
            .to_string(),
    ))
    .await
    .unwrap();
    let ack = read(ws.next().await.unwrap().unwrap());
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws.send(Message::text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}).to_string(),
    ))
    .await
    .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(30), ws.next())
        .await
        .expect("an event")
        .unwrap()
        .unwrap();
    let first = read(first);
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(
        first["payload"]["data"]["trackingReportChanged"]["dataVersion"],
        version(&db).await
    );

    // The token revoked while the subscription runs: the next change reaches
    // it as UNAUTHENTICATED, and the subscription ends.
    let token_id: i64 = sqlx::query_scalar("SELECT max(id) FROM api_tokens")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    tidtam::auth::store::revoke_token(&db.pool, "test", token_id, 0, true)
        .await
        .unwrap();
    complete_the_aerobic_dance_report(&db).await;
    let mut after = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(15), ws.next()).await
    {
        let message = read(message);
        let done = message["type"] == "complete";
        after.push(message);
        if done {
            break;
        }
    }
    assert_eq!(after.len(), 2, "one refusal, then the end: {after:#?}");
    assert_eq!(
        after[0]["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{after:#?}"
    );
    assert!(after[0]["payload"]["data"].is_null(), "no data: {after:#?}");
    assert_eq!(after[1]["type"], "complete");

    // A revoked or made-up token is refused at connection_init.
    let mut ws = connect().await;
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": {"Authorization": "Bearer tidtam_made-up"}})
            .to_string(),
    ))
    .await
    .unwrap();
    let refused = ws.next().await;
    let closed = match refused {
        None | Some(Err(_)) => true,
        Some(Ok(Message::Close(_))) => true,
        Some(Ok(other)) => read(other)["type"] != "connection_ack",
    };
    assert!(closed, "a bad token must not be acknowledged");
}

#[tokio::test]
async fn persisted_only_mode_holds_on_the_websocket_too() {
    use futures_util::SinkExt;
    use tidtam::http::persisted::{sha256_hex, Persisted};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    state.persisted = std::sync::Arc::new(Persisted::new(true));
    let base = db.serve_with(state).await;
    let mut request = format!("{}/graphql/ws", base.replacen("http", "ws", 1))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let mut ws = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade")
        .0;
    let token = db.token("evaluator.71").await;
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})
            .to_string(),
    ))
    .await
    .unwrap();
    // The next message of operation `id` (acks and other operations skipped).
    async fn next_of<S>(ws: &mut S, id: &str) -> serde_json::Value
    where
        S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
            + Unpin,
    {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .expect("a message within 30 s")
                .expect("the socket stays open")
                .expect("a readable message");
            let value: serde_json::Value =
                serde_json::from_str(message.to_text().unwrap_or("null")).unwrap_or_default();
            if value["id"] == id {
                return value;
            }
        }
    }

    // An ad-hoc subscription (the same field, not a document of queries/).
    ws.send(Message::text(
        json!({"id": "ad-hoc", "type": "subscribe", "payload": {"query": SUBSCRIBE}}).to_string(),
    ))
    .await
    .unwrap();
    let refused = next_of(&mut ws, "ad-hoc").await;
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_REQUIRED",
        "{refused}"
    );
    assert!(refused["payload"]["data"].is_null(), "{refused}");
    assert_eq!(next_of(&mut ws, "ad-hoc").await["type"], "complete");

    // An ad-hoc query over the socket is refused the same way.
    ws.send(Message::text(
        json!({"id": "query", "type": "subscribe", "payload": {"query": "{ provinces { totalCount } }"}})
            .to_string(),
    ))
    .await
    .unwrap();
    let query = next_of(&mut ws, "query").await;
    assert_eq!(
        query["payload"]["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_REQUIRED",
        "{query}"
    );

    // The registered document runs, by text and by hash alone.
    let registered = include_str!("../queries/tracking-changed.graphql");
    let variables = json!({"fiscalYear": 2564, "provinceCode": "71"});
    ws.send(Message::text(
        json!({"id": "text", "type": "subscribe",
               "payload": {"query": registered, "variables": variables}})
        .to_string(),
    ))
    .await
    .unwrap();
    let by_text = next_of(&mut ws, "text").await;
    assert_eq!(by_text["type"], "next", "{by_text}");
    assert!(by_text["payload"].get("errors").is_none(), "{by_text}");
    let current = version(&db).await;
    assert_eq!(
        by_text["payload"]["data"]["trackingReportChanged"]["dataVersion"], current,
        "{by_text}"
    );
    assert_eq!(
        by_text["payload"]["data"]["trackingReportChanged"]["provinceCode"],
        "71"
    );
    ws.send(Message::text(
        json!({"id": "hash", "type": "subscribe",
               "payload": {"query": "", "variables": variables, "extensions":
                   {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(registered)}}}})
        .to_string(),
    ))
    .await
    .unwrap();
    let by_hash = next_of(&mut ws, "hash").await;
    assert_eq!(
        by_hash["payload"]["data"]["trackingReportChanged"]["dataVersion"], current,
        "{by_hash}"
    );
}
