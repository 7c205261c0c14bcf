//! Small things a newcomer meets first: `tidtam migrate` (as `serve` and
//! `demo`) given a DATABASE_URL whose database does not exist creates it;
//! `tidtam --help` says where GraphiQL is; `/metrics` answers the classic
//! Prometheus text format to a scraper that asks for it.

mod common;

use common::TestDb;

#[tokio::test]
async fn migrate_creates_the_database_its_url_names() {
    let admin = common::admin_url().await;
    let name = format!("tidtam_newcomer_{}", std::process::id());
    let url = tidtam::db::locate::with_database(&admin, &name).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidtam"))
        .args(["migrate", "--database-url", &url])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&pool)
            .await
            .unwrap();
    if exists {
        sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .execute(&pool)
            .await
            .unwrap();
    }
    assert!(out.status.success(), "{stderr}");
    assert!(exists, "the database was created");
    assert!(
        stderr.contains(&format!("created database {name}")),
        "{stderr}"
    );
}

#[test]
fn the_help_says_graphiql_is_at_graphiql() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tidtam"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("GraphiQL at /graphiql"), "{help}");
    assert!(!help.contains("GraphiQL on GET"), "{help}");
}

#[tokio::test]
async fn metrics_answer_the_classic_format_when_asked() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({"query": "query Provinces { provinces { totalCount } }"}))
        .send()
        .await
        .unwrap();
    let get = |accept: &'static str| {
        client
            .get(format!("{base}/metrics"))
            .header("accept", accept)
            .send()
    };
    let classic = get("text/plain;version=0.0.4").await.unwrap();
    assert_eq!(
        classic.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = classic.text().await.unwrap();
    assert!(!text.contains("# EOF"), "{text}");
    // The classic format names a counter's family by its samples' name.
    assert!(
        text.contains("# TYPE tidtam_graphql_requests_total counter\n"),
        "{text}"
    );
    assert!(
        text.contains(r#"tidtam_graphql_requests_total{operation="Provinces",outcome="ok"} 1"#),
        "{text}"
    );
    assert!(text.contains("# TYPE tidtam_graphql_request_duration_seconds histogram"));

    // Prometheus's own Accept prefers OpenMetrics: it gets OpenMetrics.
    let prometheus = get("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
        .await
        .unwrap();
    assert_eq!(
        prometheus.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(prometheus.text().await.unwrap().ends_with("# EOF\n"));
}
