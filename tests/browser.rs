//! The web pages in a real browser (Debian's chromium driven by
//! puppeteer-core, every other host blocked): GraphiQL runs a query, the
//! dashboard's figures equal the API's, a click reaches a project's report,
//! a scoped token sees only its province or LAO, no foreign request, no
//! console error. Needs chromium, Node.js and
//! `npm ci --prefix tests/browser` (CI installs all three); elsewhere the test
//! says why it skipped, and fails only under CI.

mod common;

use common::TestDb;
use std::path::Path;

#[tokio::test]
async fn the_dashboard_and_graphiql_work_in_a_browser_with_no_internet() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = dir.join("node_modules/puppeteer-core").exists() && Path::new(&chromium).exists();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: install chromium and run `npm ci --prefix tests/browser`"
        );
        eprintln!("skipped: needs {chromium} and `npm ci --prefix tests/browser`");
        return;
    }
    let db = TestDb::demo().await;
    // A second province, so that a scoped token has something not to see.
    sqlx::raw_sql(include_str!("sql/seed_scopes.sql"))
        .execute(&db.pool)
        .await
        .unwrap();
    let base = db.serve().await;
    let output = tokio::process::Command::new("node")
        .arg(dir.join("browser.mjs"))
        .arg(base.clone())
        .env("CHROMIUM", &chromium)
        .env("EVALUATOR_TOKEN", db.token("evaluator.71").await)
        .env("OFFICER_TOKEN", db.token("officer.hadyai").await)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "browser test:\n{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("browser test: all passed"), "{text}");
}
