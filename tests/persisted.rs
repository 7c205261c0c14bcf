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

async fn stored(db: &TestDb) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), coalesce(sum(octet_length(query)), 0)::bigint \
         FROM persisted_queries WHERE NOT pinned",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn only_documents_that_parse_and_validate_are_stored() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    for (bad, expected) in [
        ("{ provinces { totalCount ", "GRAPHQL_PARSE_FAILED"),
        ("{ provinces { nope } }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let answer = post(
            &base,
            json!({"query": bad, "extensions": apq(&sha256_hex(bad))}),
        )
        .await;
        assert_eq!(code(&answer), Some(expected), "{answer:#}");
        let again = post(&base, json!({"extensions": apq(&sha256_hex(bad))})).await;
        assert_eq!(code(&again), Some("PERSISTED_QUERY_NOT_FOUND"), "{again:#}");
    }
    assert_eq!(stored(&db).await, (0, 0));
    let good = post(
        &base,
        json!({"query": AD_HOC, "extensions": apq(&sha256_hex(AD_HOC))}),
    )
    .await;
    assert_eq!(good["data"]["provinces"]["totalCount"], 1, "{good:#}");
    assert_eq!(stored(&db).await, (1, AD_HOC.len() as i64));
    // A document of queries/ is in the binary: run by hash, never stored.
    let tracking = include_str!("../queries/provinces.graphql");
    let by_hash = post(&base, json!({"extensions": apq(&sha256_hex(tracking))})).await;
    assert!(by_hash.get("errors").is_none(), "{by_hash:#}");
    assert_eq!(stored(&db).await.0, 1);
}

/// 100,000 distinct anonymous registrations, through the registration the
/// validation step makes (`Registration::store`: queued, written with the
/// others waiting in one transaction, LRU eviction), with a cap of 50
/// documents and 4 KiB. Called directly, 500 at a time, rather than over
/// HTTP: 100,000 requests through the whole stack take minutes in a debug
/// build; the HTTP path to it is the test above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_registrations_stay_within_the_cap_and_pinned_ones_stay() {
    use futures_util::StreamExt;
    let db = TestDb::demo().await;
    let cap = tidtam::http::persisted::Cap {
        documents: 50,
        bytes: 4096,
    };
    let persisted = std::sync::Arc::new(Persisted::new(false).with_cap(cap));
    // An operator's pinned document: never evicted, not counted.
    let pinned = "query Pinned { provinces { totalCount } }";
    let hash = tidtam::http::persisted::pin(&db.pool, pinned)
        .await
        .unwrap();
    assert_eq!(hash, sha256_hex(pinned));
    let total = 100_000;
    futures_util::stream::iter(0..total)
        .for_each_concurrent(500, |i| {
            let persisted = persisted.clone();
            let pool = db.pool.clone();
            async move {
                let query = format!("query Q{i} {{ provinces {{ totalCount }} }}");
                persisted
                    .registration(&pool, &sha256_hex(&query), &query)
                    .store()
                    .await
                    .expect("stored");
            }
        })
        .await;
    let (count, bytes) = stored(&db).await;
    assert!(count <= cap.documents && count > 0, "{count} documents");
    assert!(bytes <= cap.bytes, "{bytes} bytes");
    // The most recent are the ones kept.
    let newest = format!("query Q{} {{ provinces {{ totalCount }} }}", total - 1);
    let kept: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM persisted_queries WHERE sha256 = $1)")
            .bind(sha256_hex(&newest))
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(kept || count == cap.documents);
    let pinned_kept: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM persisted_queries WHERE pinned AND sha256 = $1)",
    )
    .bind(&hash)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(pinned_kept, "the pinned document was evicted");
}

#[tokio::test]
async fn a_document_run_by_hash_is_kept_over_one_not_run() {
    let db = TestDb::demo().await;
    let cap = tidtam::http::persisted::Cap {
        documents: 2,
        bytes: 1 << 20,
    };
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    state.persisted = std::sync::Arc::new(Persisted::new(false).with_cap(cap));
    let base = db.serve_with(state).await;
    let docs: Vec<String> = (0..3)
        .map(|i| format!("query D{i} {{ provinces {{ totalCount }} }}"))
        .collect();
    for doc in &docs[..2] {
        let answer = post(
            &base,
            json!({"query": doc, "extensions": apq(&sha256_hex(doc))}),
        )
        .await;
        assert!(answer.get("errors").is_none(), "{answer:#}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // D0 is run by hash (used), D1 is not: a third evicts D1.
    let used = post(&base, json!({"extensions": apq(&sha256_hex(&docs[0]))})).await;
    assert!(used.get("errors").is_none(), "{used:#}");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    post(
        &base,
        json!({"query": docs[2], "extensions": apq(&sha256_hex(&docs[2]))}),
    )
    .await;
    let after_d0 = post(&base, json!({"extensions": apq(&sha256_hex(&docs[0]))})).await;
    assert!(after_d0.get("errors").is_none(), "{after_d0:#}");
    let after_d1 = post(&base, json!({"extensions": apq(&sha256_hex(&docs[1]))})).await;
    assert_eq!(code(&after_d1), Some("PERSISTED_QUERY_NOT_FOUND"));
}
