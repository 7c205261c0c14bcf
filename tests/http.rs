//! The HTTP surface, over a real socket.

mod common;

use common::TestDb;
use serde_json::json;

#[tokio::test]
async fn post_graphql_answers_the_first_query() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({"query": "{ organisation(code: \"7100001\") { projects(fiscalYear: 2564) { remaining } } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["data"]["organisation"]["projects"][0]["remaining"],
        "20000.00"
    );
}

#[tokio::test]
async fn graphiql_and_the_sdl_have_their_own_paths_and_healthz_checks_the_database() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{base}/graphiql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/graphiql/assets/graphiql.min.js"));
    assert!(
        html.contains("query TrackingReport"),
        "the queries/ documents are tabs"
    );
    assert!(!html.contains("https://"), "no asset from another host");
    let js = client
        .get(format!("{base}/graphiql/assets/graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(js.bytes().await.unwrap().len() > 500_000);
    let missing = client
        .get(format!("{base}/graphiql/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let sdl = client
        .get(format!("{base}/schema.graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(sdl, tidtam::graphql::sdl());
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    db.pool.close().await;
    let down = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(down.status(), 503);
}

#[tokio::test]
async fn the_endpoint_follows_the_graphql_over_http_spec() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let url = format!("{base}/graphql");
    // A form or text body (a cross-site "simple request") is refused unread.
    let form = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"query":"mutation { __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    // So is a multipart upload without the header that forces a CORS preflight.
    let upload = client
        .post(&url)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 415);
    // Media types follow Accept.
    let ask = |accept: &'static str| {
        client
            .post(&url)
            .header("accept", accept)
            .json(&json!({"query": "{ planEditions { code } }"}))
            .send()
    };
    let gr = ask("application/graphql-response+json").await.unwrap();
    assert!(gr.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/graphql-response+json"));
    let js = ask("application/json").await.unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(ask("text/html").await.unwrap().status(), 406);
    // A request error has no data: 400 under graphql-response+json, 200 under json.
    let bad = |accept: &'static str| {
        client
            .post(&url)
            .header("accept", accept)
            .json(&json!({"query": "{ nope }"}))
            .send()
    };
    let strict = bad("application/graphql-response+json").await.unwrap();
    assert_eq!(strict.status(), 400);
    let body: serde_json::Value = strict.json().await.unwrap();
    assert!(
        body.get("data").is_none() && body["errors"].is_array(),
        "{body}"
    );
    assert_eq!(bad("application/json").await.unwrap().status(), 200);
    // GET runs queries, never mutations.
    let q = client
        .get(&url)
        .query(&[("query", "{ planEditions { code } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(q.status(), 200);
    let m = client
        .get(&url)
        .query(&[(
            "query",
            "mutation { reopenReport(input: {id: \"x\", version: 1}) { id } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(m.status(), 405);
    assert_eq!(m.headers()["allow"], "POST");
}

#[tokio::test]
async fn the_dashboard_and_its_documents_are_served_from_the_binary() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="th">"#));
    assert!(!html.contains("https://"), "no asset from another host");
    // Compressed when the browser accepts it.
    let js = client
        .get(format!("{base}/assets/app.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(js.headers()["content-encoding"], "gzip");
    let chart = client
        .get(format!("{base}/assets/chart.umd.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(chart.status(), 200);
    // The page runs the documents of queries/, served as they are in the repository.
    let doc = client
        .get(format!("{base}/queries/tracking-report.graphql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(doc, include_str!("../queries/tracking-report.graphql"));
    let none = client
        .get(format!("{base}/queries/nope.graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
}

#[tokio::test]
async fn metrics_count_operations_and_readiness_is_separate_from_liveness() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let state = tidtam::http::AppState::new(schema, db.pool.clone());
    let draining = state.draining.clone();
    let base = db.serve_with(state).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .post(format!("{base}/graphql"))
            .json(&serde_json::json!({"query": "query Provinces { provinces { totalCount } }"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({"query": "query Broken { nothing }"}))
        .send()
        .await
        .unwrap();
    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    // prometheus-client writes OpenMetrics (a counter's TYPE names the
    // family, its sample ends in _total), so that is the type announced,
    // and the text ends with one `# EOF`.
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1,
        "{text}"
    );
    assert!(
        text.contains(r#"tidtam_graphql_requests_total{operation="Provinces",outcome="ok"} 3"#),
        "{text}"
    );
    assert!(text.contains(r#"tidtam_graphql_requests_total{operation="Broken",outcome="error"} 1"#));
    assert!(
        text.contains(r#"tidtam_graphql_request_duration_seconds_count{operation="Provinces"} 3"#)
    );

    let status = |path: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("/livez").await, 200);
    assert_eq!(status("/readyz").await, 200);
    draining.start();
    assert_eq!(
        status("/readyz").await,
        503,
        "not ready while shutting down"
    );
    assert_eq!(status("/livez").await, 200, "yet alive");
}
