//! The dashboard's Thai web font is inside the binary and served from it, so
//! a machine with no Thai font draws Thai too, and no other host is asked.

mod common;

use common::TestDb;

#[tokio::test]
async fn the_thai_web_font_and_its_licence_are_served_from_the_binary() {
    let db = TestDb::empty().await;
    let base = db.serve().await;
    let css = reqwest::get(format!("{base}/assets/app.css"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for weight in ["400", "700"] {
        let path = format!("/assets/sarabun-thai-{weight}-normal.woff2");
        assert!(css.contains(&path), "app.css names {path}");
        let font = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(font.status(), 200);
        assert_eq!(font.headers()["content-type"], "font/woff2");
        let bytes = font.bytes().await.unwrap();
        assert!(bytes.starts_with(b"wOF2"), "a WOFF2 file");
    }
    let licence = reqwest::get(format!("{base}/assets/LICENSE.sarabun.txt"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(licence.contains("SIL OPEN FONT LICENSE Version 1.1"));
}

/// The documents the dashboard's sign-in form and sign-out button send.
fn document(name: &str) -> &'static str {
    tidtam::http::dashboard::QUERIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("queries/{name}.graphql"))
}

#[tokio::test]
async fn the_sign_in_form_gets_a_token_that_sign_out_revokes() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let post = |body: serde_json::Value, token: Option<String>| {
        let mut request = client.post(format!("{base}/graphql")).json(&body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send()
    };
    let answer: serde_json::Value = post(
        serde_json::json!({"query": document("sign-in"),
            "variables": {"username": "evaluator.71", "password": "tidtam-demo"}}),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token = answer["data"]["signIn"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string();
    let role = answer["data"]["signIn"]["viewer"]["role"].as_str().unwrap();
    assert_eq!(role, "PROVINCIAL_EVALUATOR");
    // The page shows the role in Thai.
    let js = reqwest::get(format!("{base}/assets/app.js"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(js.contains("PROVINCIAL_EVALUATOR: 'ผู้ประเมินระดับจังหวัด'"));
    let signed_out: serde_json::Value = post(
        serde_json::json!({"query": document("sign-out")}),
        Some(token.clone()),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(signed_out["data"]["signOut"], true, "{signed_out}");
    let after = post(
        serde_json::json!({"query": document("viewer")}),
        Some(token),
    )
    .await
    .unwrap();
    let body: serde_json::Value = after.json().await.unwrap();
    assert!(
        body["errors"].is_array(),
        "a revoked token is refused: {body}"
    );
}
