//! Required text means visible text (issue 20 §2): one notion of blank in
//! Rust (`validation::is_blank`) and in the database's CHECKs
//! (`tidtam_visible`), and text stored NFC without invisible ends.

mod common;

use common::TestDb;
use serde_json::{json, Value};

/// The characters Thai text copied from Word and the web carries.
const INVISIBLE: [&str; 8] = [
    "\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00A0}", "\u{180E}", " \t",
];

async fn organisation_with_plan() -> (TestDb, Value) {
    let db = TestDb::empty().await;
    sqlx::raw_sql(
        "INSERT INTO provinces (code, name_th) VALUES ('71', 'กาญจนบุรี');
         INSERT INTO organisations (code, name_th, kind, province_code)
         VALUES ('7100001', 'องค์การบริหารส่วนตำบลหาดยาย', 'sao', '71');",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let plan = db
        .graphql_ok(
            "mutation { createDevelopmentPlan(input: {organisationCode: \"7100001\", firstYear: 2561,
                 strategies: [\"การพัฒนาคุณภาพชีวิตและสังคม\"]}) { id } }",
            json!({}),
        )
        .await;
    let id = plan["createDevelopmentPlan"]["id"].clone();
    (db, id)
}

const ADD_PROJECT: &str =
    "mutation ($input: AddPlanProjectInput!) { addPlanProject(input: $input) { id name } }";

fn project(plan: &Value, name: &str) -> Value {
    json!({"input": {"planId": plan, "name": name, "sector": "ด้านสังคม", "strategyNumber": 1,
                     "plannedBudgets": [{"planYear": 2564, "amount": "1,000.00"}]}})
}

fn refusal(v: &Value) -> Vec<(String, String)> {
    let ext = &v["errors"][0]["extensions"];
    let list = ext["errors"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![ext.clone()]);
    list.iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or("").to_string(),
                e["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_name_of_invisible_characters_is_required_like_an_empty_one() {
    let (db, plan) = organisation_with_plan().await;
    let mut names: Vec<String> = INVISIBLE.iter().map(|c| c.repeat(2)).collect();
    names.push(INVISIBLE.concat());
    names.push(String::new());
    for name in names {
        let v = db.graphql(ADD_PROJECT, project(&plan, &name)).await;
        assert!(
            refusal(&v).contains(&("input.name".into(), "REQUIRED".into())),
            "{name:?}: {v:#}"
        );
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM plan_projects")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing written");
}

#[tokio::test]
async fn text_is_stored_nfc_without_invisible_ends() {
    let (db, plan) = organisation_with_plan().await;
    // "e" + COMBINING ACUTE ACCENT composes to "é" (NFC).
    let typed = "\u{200B}\u{00A0} โครงการทดสอบ e\u{301}\u{FEFF} ";
    let v = db.graphql_ok(ADD_PROJECT, project(&plan, typed)).await;
    assert_eq!(v["addPlanProject"]["name"], "โครงการทดสอบ é");
    let stored: String = sqlx::query_scalar("SELECT name_th FROM plan_projects")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, "โครงการทดสอบ é");
    // Invisible characters inside the text are the officer's and stay.
    let inner = "โครงการ\u{200B}ทดสอบ";
    let v = db.graphql_ok(ADD_PROJECT, project(&plan, inner)).await;
    assert_eq!(v["addPlanProject"]["name"], inner);
}

/// The database holds the rule on every path that writes, not only the API's.
#[tokio::test]
async fn the_database_refuses_invisible_required_text() {
    let (db, _) = organisation_with_plan().await;
    let plan_id: i64 = sqlx::query_scalar("SELECT id FROM development_plans")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let cases = [
        "INSERT INTO plan_projects (plan_id, sector, name_th) VALUES ($1, 'ด้านสังคม', $2)",
        "INSERT INTO plan_projects (plan_id, sector, name_th) VALUES ($1, $2, 'โครงการ')",
        "INSERT INTO lao_strategies (plan_id, number, name_th) VALUES ($1, 9, $2)",
        "UPDATE organisations SET name_th = $2 WHERE id = (SELECT organisation_id FROM development_plans WHERE id = $1)",
    ];
    for sql in cases {
        for blank in ["\u{200B}\u{200B}", "\u{00A0}", "\u{FEFF}\u{2060}", ""] {
            let err = sqlx::query(sql)
                .bind(plan_id)
                .bind(blank)
                .execute(&db.pool)
                .await
                .expect_err(sql);
            let code = err
                .as_database_error()
                .and_then(|e| e.code())
                .unwrap_or_default();
            assert_eq!(code, "23514", "{sql} with {blank:?}: {err}");
        }
        sqlx::query(sql)
            .bind(plan_id)
            .bind("ก\u{200B}")
            .execute(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: visible text refused: {e}"));
    }
}

/// A report is not sent with a coordinator named by one zero-width space, by
/// the API (REQUIRED) or behind it (a CHECK).
#[tokio::test]
async fn a_sent_report_names_its_coordinator_visibly() {
    let (db, _) = organisation_with_plan().await;
    sqlx::raw_sql(
        "UPDATE development_plans SET approved_on = '2017-06-15';
         INSERT INTO plan_projects (plan_id, sector, name_th) SELECT id, 'ด้านสังคม', 'โครงการ' FROM development_plans;
         INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount, from_own_revenue, approved_on)
           SELECT id, 2564, 'ordinance', 'รายการ', 1000, 1000, '2020-09-24' FROM plan_projects;
         INSERT INTO project_reports (budget_approval_id, coordinator_name) SELECT id, E'\\u200B' FROM budget_approvals;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let err =
        sqlx::query("UPDATE project_reports SET status = 'submitted', submitted_on = '2021-01-10'")
            .execute(&db.pool)
            .await
            .expect_err("a CHECK refuses it");
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .unwrap_or_default();
    assert_eq!(code, "23514", "{err}");
    let (id, version): (i64, i32) = sqlx::query_as("SELECT id, version FROM project_reports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let v = db
        .graphql(
            "mutation ($input: ReportVersionInput!) { submitReport(input: $input) { status } }",
            json!({"input": {"id": tidtam::types::global_id::encode("ProjectReport", id).0, "version": version}}),
        )
        .await;
    assert!(
        refusal(&v).contains(&("input.coordinatorName".into(), "REQUIRED".into())),
        "{v:#}"
    );
}

/// Rust and PostgreSQL agree on every code point (PostgreSQL text holds no
/// U+0000), and on seeded random strings of invisible and visible characters.
#[tokio::test]
async fn rust_and_the_database_agree_on_blank() {
    let db = TestDb::empty().await;
    let singles: Vec<String> = (1u32..=0x10FFFF)
        .filter_map(char::from_u32)
        .map(String::from)
        .collect();
    let mut strings = singles;
    // Strings of 0–6 characters from a pool where invisible ones are common.
    let pool: Vec<char> = "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}\u{00A0}\u{180E}\u{00AD}\u{3000} \t\nกขe\u{301}\u{E01}\u{E48}a1."
        .chars()
        .collect();
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    for _ in 0..20_000 {
        let len = next(7);
        strings.push((0..len).map(|_| pool[next(pool.len())]).collect());
    }
    let visible: Vec<bool> = sqlx::query_scalar(
        "SELECT coalesce(tidtam_visible(t), false) FROM unnest($1::text[]) WITH ORDINALITY u(t, n) ORDER BY n",
    )
    .bind(&strings)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(visible.len(), strings.len());
    let disagree: Vec<String> = strings
        .iter()
        .zip(&visible)
        .filter(|(s, v)| tidtam::validation::is_blank(s) == **v)
        .map(|(s, _)| s.escape_unicode().to_string())
        .take(10)
        .collect();
    assert!(disagree.is_empty(), "Rust and SQL disagree on {disagree:?}");
    assert!(visible.iter().any(|v| !v) && visible.iter().any(|v| *v));
}
