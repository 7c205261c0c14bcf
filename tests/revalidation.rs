//! The second GET of the same report, with no write between, is a `304`
//! that sends no SQL statement (issue 22): the data version is read from
//! memory (src/http/caching.rs). A binary of its own, because it counts
//! statements through a process-wide tracing subscriber.

mod common;

use common::TestDb;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tracing::Instrument;
use tracing_subscriber::registry::LookupSpan;

/// Counts the SQL statements sqlx sends (its `sqlx::query` events) while
/// serving a request of the test server: inside the `test_request` span the
/// test's middleware puts around each request, so that the analytics'
/// background work (LISTEN, rebuilds) is not counted.
#[derive(Clone, Default)]
struct StatementCounter(Arc<AtomicUsize>);

impl<S> tracing_subscriber::Layer<S> for StatementCounter
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let in_request = ctx
            .event_scope(event)
            .is_some_and(|mut scope| scope.any(|span| span.name() == "test_request"));
        if in_request {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn counter() -> StatementCounter {
    static COUNTER: OnceLock<StatementCounter> = OnceLock::new();
    COUNTER
        .get_or_init(|| {
            use tracing_subscriber::layer::SubscriberExt;
            let counter = StatementCounter::default();
            let subscriber = tracing_subscriber::registry()
                .with(
                    tracing_subscriber::filter::Targets::new()
                        .with_target("sqlx::query", tracing::Level::TRACE)
                        .with_target("revalidation", tracing::Level::INFO),
                )
                .with(counter.clone());
            tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
            counter
        })
        .clone()
}

async fn in_span(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    next.run(request)
        .instrument(tracing::info_span!("test_request"))
        .await
}

#[tokio::test]
async fn the_second_get_of_a_report_is_a_304_without_a_statement() {
    let counter = counter();
    let db = TestDb::demo().await;
    let analytics = tidtam::analytics::Analytics::new(db.pool.clone());
    analytics.listen();
    let schema = tidtam::graphql::build_schema_with(Some(db.pool.clone()), Some(analytics));
    let state = tidtam::http::AppState::new(schema, db.pool.clone());
    let app = tidtam::http::router(state)
        .layer(axum::middleware::from_fn(in_span))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let query = r#"query Tracking { monitoringReport(fiscalYear: 2564, provinceCode: "71") { planYears } }"#;
    let url = reqwest::Url::parse_with_params(&format!("{base}/graphql"), [("query", query)])
        .unwrap()
        .to_string();
    let client = reqwest::Client::new();
    // The first GET runs the report (once the listener has heard the version).
    let mut first = None;
    for _ in 0..300 {
        counter.0.store(0, Ordering::SeqCst);
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let etag = r.headers().get("etag").cloned();
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["errors"].is_null(), "{body}");
        assert!(
            body["data"]["monitoringReport"]["planYears"].is_array(),
            "{body}"
        );
        if let Some(etag) = etag {
            first = Some((etag, counter.0.load(Ordering::SeqCst)));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (etag, ran) = first.expect("an ETag once the version is heard");
    assert!(ran >= 1, "the report's first GET sent {ran} statements");
    // The second, with its ETag: 304, no statement.
    counter.0.store(0, Ordering::SeqCst);
    for _ in 0..5 {
        let r = client
            .get(&url)
            .header("if-none-match", etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
        assert_eq!(r.headers()["etag"], etag);
    }
    assert_eq!(counter.0.load(Ordering::SeqCst), 0, "a 304 sent statements");
}
