//! OpenTelemetry: a GraphQL request's span reaches an OTLP/HTTP collector
//! (here a small receiver on loopback) as a protobuf export.

mod common;

use axum::body::Bytes;
use axum::routing::post;
use common::TestDb;
use std::sync::{Arc, Mutex};
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_span_is_exported_over_otlp() {
    // The collector: keeps every body posted to /v1/traces.
    let received: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let keep = received.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(body);
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let provider = tidtam::ops::telemetry::provider(&endpoint).expect("an exporter");
    let subscriber = tracing_subscriber::registry().with(tidtam::ops::telemetry::layer(&provider));
    // Global: the server's spans start on other worker threads. This binary
    // holds only this test.
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber");

    let db = TestDb::demo().await;
    let base = db.serve().await;
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({"query": "query Provinces { provinces { totalCount } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["data"]["provinces"]["totalCount"], 1);

    tokio::task::spawn_blocking(move || provider.force_flush().expect("flushed"))
        .await
        .unwrap();
    let bodies = received.lock().unwrap().clone();
    assert!(!bodies.is_empty(), "the collector received an export");
    let all: Vec<u8> = bodies.iter().flat_map(|b| b.to_vec()).collect();
    let text = String::from_utf8_lossy(&all);
    assert!(
        text.contains("graphql Provinces"),
        "the request's span, named by its operation"
    );
    assert!(text.contains("tidtam"), "the service name");
}
