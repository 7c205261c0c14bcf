//! The HTTP surface, over a real socket.

mod common;

use common::TestDb;
use serde_json::json;

async fn serve(db: &TestDb) -> String {
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let app = tidtam::http::router(tidtam::http::AppState {
        schema,
        pool: db.pool.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn post_graphql_answers_the_first_query() {
    let db = TestDb::demo().await;
    let base = serve(&db).await;
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
async fn get_graphql_serves_graphiql_to_a_browser_and_healthz_checks_the_database() {
    let db = TestDb::demo().await;
    let base = serve(&db).await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{base}/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    db.pool.close().await;
    let down = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(down.status(), 503);
}
