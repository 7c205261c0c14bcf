//! Apollo Client itself (pinned in tests/apollo/package.json) with its
//! `BatchHttpLink` against Tidtam's `/graphql` on the demo: queries and
//! mutations sent as batches, answered in order.
//! Needs Node.js and `npm ci --prefix tests/apollo` (CI does both);
//! elsewhere the test says why it skipped, and fails only under CI.

mod common;

use common::TestDb;
use serde_json::{json, Value};
use std::path::Path;

#[tokio::test]
async fn apollo_clients_batch_http_link_gets_its_answers_in_order() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apollo");
    let ready = dir.join("node_modules/@apollo/client").exists()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run Apollo Client: install Node.js and run `npm ci --prefix tests/apollo`"
        );
        eprintln!("skipped: run `npm ci --prefix tests/apollo` (needs Node.js)");
        return;
    }
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let token = db.token("officer.hadyai").await;
    let output = tokio::process::Command::new("node")
        .arg(dir.join("batch.mjs"))
        .arg(format!("{base}/graphql"))
        .arg(&token)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Apollo Client:\n{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got: Value = serde_json::from_str(text.trim()).expect("one JSON line");
    // Three queries in one POST, two mutations in another, two in a third.
    assert_eq!(got["batches"], json!([3, 2, 2]), "{got}");
    assert_eq!(got["viewer"]["username"], "officer.hadyai");
    assert_eq!(got["viewer"]["role"], "LAO_OFFICER");
    assert_eq!(got["org"]["code"], "7100001");
    assert_eq!(got["org"]["name"], "องค์การบริหารส่วนตำบลหาดยาย");
    let provinces: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT province_code) FROM organisations")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(got["provinces"].as_i64().unwrap() >= provinces, "{got}");
    // The mutations ran in the order sent.
    assert_eq!(got["first"]["name"], "apollo-first");
    assert_eq!(got["second"]["name"], "apollo-second");
    assert!(
        got["first"]["id"].as_i64() < got["second"]["id"].as_i64(),
        "{got}"
    );
    assert_eq!(
        got["failed"],
        json!(["GRAPHQL_VALIDATION_FAILED", "officer.hadyai"]),
        "{got}"
    );
}
