//! Persisted queries: APQ registers a document once and runs it by hash on
//! any server process; persisted-only mode runs the documents of `queries/`
//! and refuses anything else.

mod common;

use common::TestDb;
use serde_json::{json, Value};
use tidtam::http::persisted::{sha256_hex, Persisted};

const AD_HOC: &str = "query Count { provinces { totalCount } }";

async fn post(base: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn apq(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

fn code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

#[tokio::test]
async fn a_document_registered_once_runs_by_hash_on_every_process() {
    let db = TestDb::demo().await;
    let one = db.serve().await;
    let two = db.serve().await;
    let hash = sha256_hex(AD_HOC);

    let unknown = post(&one, json!({"extensions": apq(&hash)})).await;
    assert_eq!(
        code(&unknown),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{unknown:#}"
    );
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(unknown.get("data").is_none());

    let wrong = post(
        &one,
        json!({"query": AD_HOC, "extensions": apq(&sha256_hex("x"))}),
    )
    .await;
    assert_eq!(code(&wrong), Some("PERSISTED_QUERY_HASH_MISMATCH"));

    let registered = post(&one, json!({"query": AD_HOC, "extensions": apq(&hash)})).await;
    assert_eq!(
        registered["data"]["provinces"]["totalCount"], 1,
        "{registered:#}"
    );

    // The other process knows it too, by POST and by a short GET.
    let by_hash = post(&two, json!({"extensions": apq(&hash)})).await;
    assert_eq!(by_hash["data"]["provinces"]["totalCount"], 1, "{by_hash:#}");
    let extensions = apq(&hash).to_string();
    let url = format!(
        "{two}/graphql?extensions={}",
        url::form_urlencoded::byte_serialize(extensions.as_bytes()).collect::<String>()
    );
    let by_get: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(by_get["data"]["provinces"]["totalCount"], 1, "{by_get:#}");
}

#[tokio::test]
async fn a_mutation_cannot_run_by_hash_over_get() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let mutation = r#"mutation { signOut }"#;
    let hash = sha256_hex(mutation);
    post(&base, json!({"query": mutation, "extensions": apq(&hash)})).await;
    let extensions = apq(&hash).to_string();
    let url = format!(
        "{base}/graphql?extensions={}",
        url::form_urlencoded::byte_serialize(extensions.as_bytes()).collect::<String>()
    );
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
}

#[tokio::test]
async fn persisted_only_mode_runs_the_registered_dashboards_and_refuses_the_rest() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    state.persisted = std::sync::Arc::new(Persisted::new(true));
    let base = db.serve_with(state).await;

    let tracking = include_str!("../queries/tracking-report.graphql");
    let variables = json!({"fiscalYear": 2564, "provinceCode": "71"});
    let by_text = post(&base, json!({"query": tracking, "variables": variables})).await;
    assert!(by_text.get("errors").is_none(), "{by_text:#}");
    assert_eq!(
        by_text["data"]["monitoringReport"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    let by_hash = post(
        &base,
        json!({"extensions": apq(&sha256_hex(tracking)), "variables": variables}),
    )
    .await;
    assert_eq!(by_hash["data"], by_text["data"]);

    let ad_hoc = post(&base, json!({"query": AD_HOC})).await;
    assert_eq!(
        code(&ad_hoc),
        Some("PERSISTED_QUERY_REQUIRED"),
        "{ad_hoc:#}"
    );
    let register = post(
        &base,
        json!({"query": AD_HOC, "extensions": apq(&sha256_hex(AD_HOC))}),
    )
    .await;
    assert_eq!(code(&register), Some("PERSISTED_QUERY_REQUIRED"));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM persisted_queries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing registers in persisted-only mode");
}

#[tokio::test]
async fn a_caller_over_its_rate_is_refused_before_a_document_is_stored() {
    let db = TestDb::demo().await;
    // Six a minute: a burst of one, then one every ten seconds.
    let base = db.serve_rate_limited(6).await;
    let first = post(&base, json!({"query": "{ provinces { totalCount } }"})).await;
    assert!(first.get("errors").is_none(), "{first:#}");

    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({"query": AD_HOC, "extensions": apq(&sha256_hex(AD_HOC))}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), Some("RATE_LIMITED"), "{body:#}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM persisted_queries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing stored for a refused caller");
}
