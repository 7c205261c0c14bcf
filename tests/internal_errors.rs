//! No error names an internal type, and every error carries a code (issue 19
//! §4): an error raised outside Tidtam's own mapping — here async-graphql's
//! "Data `tidtam::db::scoped::Db` does not exist", from a request that skipped
//! the front door's preparation — answers as INTERNAL_SERVER_ERROR with the
//! neutral message.

mod common;

use common::TestDb;

#[tokio::test]
async fn an_uncoded_error_is_answered_neutrally() {
    let db = TestDb::empty().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    // Not prepared: no per-request Db in the request's data.
    let response = schema
        .execute(async_graphql::Request::new(
            "{ organisations(first: 1) { nodes { code } } }",
        ))
        .await;
    let value = serde_json::to_value(&response).unwrap();
    let errors = value["errors"].as_array().expect("an error");
    assert!(!errors.is_empty());
    for e in errors {
        assert_eq!(e["extensions"]["code"], "INTERNAL_SERVER_ERROR", "{e}");
        let message = e["message"].as_str().unwrap();
        assert!(
            !message.contains("::") && !message.contains("Data `"),
            "{message}"
        );
        assert!(message.contains("internal server error"), "{message}");
    }
}
