//! The web pages in a real browser (Debian's chromium driven by
//! puppeteer-core, every other host blocked): GraphiQL runs a query typed
//! into it, the dashboard's figures and totals equal the API's, its tables
//! sort both ways, a league of more than 100 LAOs is whole, a click reaches
//! the aerobic-dance project's report, a scoped token sees only its province
//! or LAO (tables, chart, downloads), a report completed elsewhere reaches
//! the open page live; on a phone (390 px) the tracking table scrolls
//! sideways with the LAO's name kept in view and on two lines at most, and
//! the drill-down's e-LAAS date is whole; with the machine's Thai fonts
//! hidden from a second Chromium (fontconfig), Thai is drawn in the Sarabun
//! served by Tidtam; no foreign request, no console error. Needs chromium, Node.js and
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
    // More LAOs in that province than one page of performanceScores (100),
    // so the league table must page through them all.
    sqlx::raw_sql(
        "INSERT INTO organisations (code, name_th, kind, province_code) \
         SELECT '72' || lpad(n::text, 5, '0'), 'องค์การบริหารส่วนตำบลหน้า ' || n, 'sao', '72' \
         FROM generate_series(101, 230) AS n",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    // The report the page completes at the end, to see the live update.
    let (report, version): (i64, i32) =
        sqlx::query_as("SELECT id, version FROM project_reports WHERE latitude IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let base = db.serve_live().await;
    let mut node = tokio::process::Command::new("node");
    node.arg(dir.join("browser.mjs")).arg(base.clone());
    // `TIDTAM_SCREENSHOTS=docs/img cargo test --test browser` renews the
    // README's screenshots (relative to the repository).
    if let Some(folder) = std::env::var_os("TIDTAM_SCREENSHOTS") {
        node.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(folder));
    }
    let output = node
        .env("CHROMIUM", &chromium)
        .env("EVALUATOR_TOKEN", db.token("evaluator.71").await)
        .env("OFFICER_TOKEN", db.token("officer.hadyai").await)
        .env(
            "LIVE_REPORT_ID",
            tidtam::types::global_id::encode("ProjectReport", report).to_string(),
        )
        .env("LIVE_REPORT_VERSION", version.to_string())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    // Each check's line, for `cargo test --test browser -- --nocapture`.
    println!("{text}");
    assert!(
        output.status.success(),
        "browser test:\n{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("browser test: all passed"), "{text}");
}

/// A dashboard on another origin (TIDTAM_CORS_ORIGINS): in a real browser,
/// a page of the allowed origin (127.0.0.2) reads `/graphql` with a token,
/// an export and `/graphql/ws`; a page of another (127.0.0.3) is refused
/// all three, by the browser (CORS) and by the server (the socket's Origin).
#[tokio::test]
async fn a_dashboard_on_an_allowed_origin_works_and_another_is_refused() {
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
    /// A blank dashboard page on `ip`; its origin.
    async fn page_on(ip: &str) -> String {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(|| async {
                axum::response::Html("<!doctype html><title>dashboard</title>")
            }),
        );
        let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
            .await
            .expect("a loopback port");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        origin
    }
    let allowed = page_on("127.0.0.2").await;
    let refused = page_on("127.0.0.3").await;
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    state.cors = std::sync::Arc::new(
        tidtam::http::cors::Cors::parse(std::slice::from_ref(&allowed)).unwrap(),
    );
    let api = db.serve_with(state).await;
    let output = tokio::process::Command::new("node")
        .arg(dir.join("cors.mjs"))
        .args([&api, &allowed, &refused])
        .arg(db.token("officer.hadyai").await)
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    println!("{text}");
    assert!(
        output.status.success(),
        "cors browser test:\n{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("cors test: all passed"), "{text}");
}
