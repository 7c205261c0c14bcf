//! Reads refuse what cannot be meant (issue 20 §4): real GraphQL documents,
//! real HTTP exports and the CLI binary. DRAFT: not yet run.

mod common;

use common::TestDb;
use serde_json::json;

fn first_error(body: &serde_json::Value) -> &serde_json::Value {
    &body["errors"][0]
}

#[tokio::test]
async fn graphql_reads_refuse_common_era_years_and_unknown_codes() {
    let db = TestDb::demo().await;
    let body = db
        .graphql(
            r#"{ monitoringReport(fiscalYear: 2021, provinceCode: "71") { rows { organisationCode } } }"#,
            json!({}),
        )
        .await;
    let e = first_error(&body);
    assert_eq!(e["extensions"]["code"], "INVALID_FISCAL_YEAR", "{body}");
    assert_eq!(e["extensions"]["field"], "fiscalYear");
    assert!(e["message"].as_str().unwrap().contains("2564"), "{body}");
    for (query, code, field) in [
        (
            r#"{ monitoringReport(fiscalYear: 9999) { planYears } }"#,
            "INVALID_FISCAL_YEAR",
            "fiscalYear",
        ),
        (
            r#"{ monitoringReport(fiscalYear: 2564, provinceCode: "99") { planYears } }"#,
            "NOT_FOUND",
            "provinceCode",
        ),
        (
            r#"{ disbursement(fiscalYear: 2564, groupBy: [PROVINCE], filter: {organisationCode: "7199999"}) { fiscalYear } }"#,
            "NOT_FOUND",
            "filter.organisationCode",
        ),
        (
            r#"{ performanceScores(fiscalYear: 2021) { totalCount } }"#,
            "INVALID_FISCAL_YEAR",
            "fiscalYear",
        ),
        (
            r#"{ rates(fiscalYear: 2564, filter: {provinceCode: "99"}) { approvals } }"#,
            "NOT_FOUND",
            "filter.provinceCode",
        ),
        (
            r#"{ budgetApprovals(filter: {fiscalYear: 2021}) { totalCount } }"#,
            "INVALID_FISCAL_YEAR",
            "filter.fiscalYear",
        ),
        (
            r#"{ organisation(code: "7100001") { projects(fiscalYear: 2021) { name } } }"#,
            "INVALID_FISCAL_YEAR",
            "fiscalYear",
        ),
    ] {
        let body = db.graphql(query, json!({})).await;
        let e = first_error(&body);
        assert_eq!(e["extensions"]["code"], code, "{query}: {body}");
        assert_eq!(e["extensions"]["field"], field, "{query}: {body}");
    }
    // Through variables too.
    let body = db
        .graphql(
            "query($fy: Int!) { monitoringReport(fiscalYear: $fy) { planYears } }",
            json!({"fy": 2021}),
        )
        .await;
    assert_eq!(
        first_error(&body)["extensions"]["code"],
        "INVALID_FISCAL_YEAR"
    );
    db.graphql_ok(
        r#"{ monitoringReport(fiscalYear: 2564, provinceCode: "71") { planYears } }"#,
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn exports_refuse_with_400_and_404_and_the_graphql_error_body() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    for (query, status, code, field) in [
        (
            "fiscalYear=2021&provinceCode=71",
            400,
            "INVALID_FISCAL_YEAR",
            "fiscalYear",
        ),
        (
            "fiscalYear=9999&provinceCode=71",
            400,
            "INVALID_FISCAL_YEAR",
            "fiscalYear",
        ),
        (
            "fiscalYear=2564&provinceCode=99",
            404,
            "NOT_FOUND",
            "provinceCode",
        ),
    ] {
        for file in ["tracking.csv", "facts.parquet", "emenscr.json"] {
            let r = client
                .get(format!("{base}/export/{file}?{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), status, "{file}?{query}");
            let body: serde_json::Value = r.json().await.unwrap();
            let e = first_error(&body);
            assert_eq!(e["extensions"]["code"], code, "{body}");
            assert_eq!(e["extensions"]["field"], field, "{body}");
            assert!(e["extensions"]["messageTh"].is_string(), "{body}");
        }
    }
}

#[tokio::test]
async fn the_command_exits_non_zero_with_the_message() {
    let db = TestDb::demo().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tidtam"))
        .args([
            "export",
            "tracking",
            "--fiscal-year",
            "2021",
            "--province",
            "71",
        ])
        .args(["--format", "csv", "--database-url", &db.url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("use the Buddhist Era year 2564"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_dashboard_documents_get_the_refusal_and_the_page_shows_it() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let client = reqwest::Client::new();
    let document = tidtam::http::dashboard::QUERIES
        .iter()
        .find(|(n, _)| *n == "tracking-report")
        .unwrap()
        .1;
    let body: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({"query": document, "variables": {"fiscalYear": 2021, "provinceCode": "71"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        first_error(&body)["extensions"]["code"],
        "INVALID_FISCAL_YEAR"
    );
    assert!(body["data"].is_null(), "no table of zeros: {body}");
    let js = client
        .get(format!("{base}/assets/app.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(js.contains("showRefusal(e)") && js.contains("pick($('fy'), state.fy)"));
}
