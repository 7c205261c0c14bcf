//! Creates and links racing on one key, 64 callers at a time, through real
//! GraphQL documents against PostgreSQL: exactly one wins and the rest are
//! told why with a field-named code (DUPLICATE, ALREADY_LINKED), never an
//! INTERNAL_SERVER_ERROR; amendments all succeed with consecutive numbers.
//!
//! One round per test in CI; `TIDTAM_RACE_ROUNDS=n` repeats each race n times
//! (the benchmark run, BENCHMARKS.md).

mod common;

use common::TestDb;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tidtam::auth::Access;

const CALLERS: usize = 64;
const LAO: &str = "7100001";

fn rounds() -> usize {
    std::env::var("TIDTAM_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

async fn access_of(db: &TestDb, username: &str) -> Access {
    let account = tidtam::auth::store::account_by_username(&db.pool, username)
        .await
        .expect("read the account")
        .expect("a demo account");
    Access::of(account, None)
}

/// Runs `CALLERS` documents at once, each with its own variables, as `access`.
async fn race(db: &TestDb, access: &Access, doc: &str, vars: Vec<Value>) -> Vec<Value> {
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(vars.len()));
    let tasks: Vec<_> = vars
        .into_iter()
        .map(|v| {
            let (schema, pool, access, start) = (
                schema.clone(),
                db.pool.clone(),
                access.clone(),
                start.clone(),
            );
            let doc = doc.to_string();
            tokio::spawn(async move {
                let request = async_graphql::Request::new(doc)
                    .variables(async_graphql::Variables::from_json(v));
                start.wait().await;
                let answer = schema
                    .execute(tidtam::graphql::prepare(request, &pool, access))
                    .await;
                serde_json::to_value(&answer).expect("answer as JSON")
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("caller task"));
    }
    answers
}

/// The answers counted by outcome: "ok", or the error's code and field.
fn outcomes(answers: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for a in answers {
        let key = match a["errors"].as_array() {
            None => "ok".to_string(),
            Some(errors) => {
                let ext = &errors[0]["extensions"];
                format!(
                    "{} {}",
                    ext["code"].as_str().unwrap_or("?"),
                    ext["field"].as_str().unwrap_or("")
                )
            }
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Exactly one caller succeeded; every other got `expected` ("CODE field").
fn one_winner(answers: &[Value], expected: &str) {
    let counts = outcomes(answers);
    assert_eq!(
        counts,
        BTreeMap::from([("ok".to_string(), 1), (expected.to_string(), CALLERS - 1)]),
        "first refusal: {:#}",
        answers
            .iter()
            .find(|a| a["errors"].is_array())
            .unwrap_or(&Value::Null)
    );
    for a in answers.iter().filter(|a| a["errors"].is_array()) {
        let e = &a["errors"][0];
        assert!(!e["message"].as_str().unwrap_or("").is_empty());
        assert!(
            !e["extensions"]["messageTh"]
                .as_str()
                .unwrap_or("")
                .is_empty(),
            "{e}"
        );
    }
}

async fn approved_plan_of(db: &TestDb, code: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT dp.id FROM development_plans dp JOIN organisations o ON o.id = dp.organisation_id
         WHERE o.code = $1 AND dp.approved_on IS NOT NULL ORDER BY dp.id LIMIT 1",
    )
    .bind(code)
    .fetch_one(&db.pool)
    .await
    .expect("an approved plan in the demo")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn amendments_racing_on_one_plan_all_get_consecutive_numbers() {
    let db = TestDb::demo().await;
    let officer = access_of(&db, "officer.hadyai").await;
    let plan = approved_plan_of(&db, LAO).await;
    let plan_id = tidtam::types::global_id::encode("DevelopmentPlan", plan);
    for _ in 0..rounds() {
        let before: i32 = sqlx::query_scalar(
            "SELECT coalesce(max(number), 0) FROM plan_amendments WHERE plan_id = $1",
        )
        .bind(plan)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let vars = (0..CALLERS)
            .map(|i| json!({"input": {"planId": plan_id, "note": format!("แก้ไขครั้งที่ {i}")}}))
            .collect();
        let answers = race(
            &db,
            &officer,
            "mutation ($input: AmendPlanInput!) { amendPlan(input: $input) { number } }",
            vars,
        )
        .await;
        assert_eq!(
            outcomes(&answers),
            BTreeMap::from([("ok".to_string(), CALLERS)])
        );
        let mut numbers: Vec<i64> = answers
            .iter()
            .map(|a| a["data"]["amendPlan"]["number"].as_i64().unwrap())
            .collect();
        numbers.sort_unstable();
        let expected: Vec<i64> = (1..=CALLERS as i64)
            .map(|n| n + i64::from(before))
            .collect();
        assert_eq!(numbers, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn plans_racing_on_one_first_year_leave_one_and_duplicates() {
    let db = TestDb::demo().await;
    let officer = access_of(&db, "officer.hadyai").await;
    for _ in 0..rounds() {
        // A first year the LAO has no plan for (200 rounds at most).
        let first_year: i32 = sqlx::query_scalar(
            "SELECT y FROM generate_series(2500, 2700) y WHERE NOT EXISTS (
               SELECT 1 FROM development_plans dp JOIN organisations o ON o.id = dp.organisation_id
               WHERE o.code = $1 AND dp.first_year = y) ORDER BY y DESC LIMIT 1",
        )
        .bind(LAO)
        .fetch_one(&db.pool)
        .await
        .expect("a free first year");
        let vars = (0..CALLERS)
            .map(|_| json!({"input": {"organisationCode": LAO, "firstYear": first_year, "strategies": ["การพัฒนาคุณภาพชีวิต"]}}))
            .collect();
        let answers = race(
            &db,
            &officer,
            "mutation ($input: CreatePlanInput!) { createDevelopmentPlan(input: $input) { id } }",
            vars,
        )
        .await;
        one_winner(&answers, "DUPLICATE input.firstYear");
    }
}

/// New projects of the LAO's approved plan, without approvals, for a race.
async fn unapproved_projects(db: &TestDb, n: usize) -> Vec<i64> {
    let plan = approved_plan_of(db, LAO).await;
    sqlx::query_scalar(
        "INSERT INTO plan_projects (plan_id, sector, name_th)
         SELECT $1, 'ด้านสังคม', 'โครงการทดสอบการแข่งขัน ' || g FROM generate_series(1, $2::int) g
         RETURNING id",
    )
    .bind(plan)
    .bind(n as i32)
    .fetch_all(&db.pool)
    .await
    .expect("projects for the race")
}

async fn fiscal_year_of_plan(db: &TestDb) -> i32 {
    let plan = approved_plan_of(db, LAO).await;
    sqlx::query_scalar("SELECT first_year + 2 FROM development_plans WHERE id = $1")
        .bind(plan)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

fn approve_input(project: i64, fiscal_year: i32) -> Value {
    json!({"input": {
        "planProjectId": tidtam::types::global_id::encode("PlanProject", project),
        "fiscalYear": fiscal_year, "path": "ORDINANCE", "amount": "1000.00",
        "sources": {"generalSubsidy": "1000.00"},
        "approvedOn": format!("24/09/{}", fiscal_year - 1)}})
}

const APPROVE_BUDGET: &str =
    "mutation ($input: ApproveBudgetInput!) { approveBudget(input: $input) { id version } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn budget_approvals_racing_on_one_project_and_year_leave_one() {
    let db = TestDb::demo().await;
    let approver = access_of(&db, "approver.hadyai").await;
    let year = fiscal_year_of_plan(&db).await;
    for _ in 0..rounds() {
        let project = unapproved_projects(&db, 1).await[0];
        let vars = (0..CALLERS).map(|_| approve_input(project, year)).collect();
        let answers = race(&db, &approver, APPROVE_BUDGET, vars).await;
        one_winner(&answers, "DUPLICATE input.planProjectId");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_racing_on_one_approval_leave_one() {
    let db = TestDb::demo().await;
    let approver = access_of(&db, "approver.hadyai").await;
    let officer = access_of(&db, "officer.hadyai").await;
    let year = fiscal_year_of_plan(&db).await;
    for _ in 0..rounds() {
        let project = unapproved_projects(&db, 1).await[0];
        let approved = race(
            &db,
            &approver,
            APPROVE_BUDGET,
            vec![approve_input(project, year)],
        )
        .await
        .remove(0);
        let approval = approved["data"]["approveBudget"]["id"].clone();
        assert!(approval.is_string(), "{approved:#}");
        let vars = (0..CALLERS)
            .map(|_| json!({"input": {"approvalId": approval}}))
            .collect();
        let answers = race(
            &db,
            &officer,
            "mutation ($input: CreateReportInput!) { createReport(input: $input) { id } }",
            vars,
        )
        .await;
        one_winner(&answers, "DUPLICATE input.approvalId");
    }
}

/// `CALLERS` unlinked approvals of the LAO and one e-LAAS item of their year.
async fn link_race_setup(db: &TestDb, year: i32) -> (Vec<(i64, i32)>, i64) {
    let projects = unapproved_projects(db, CALLERS).await;
    let approvals: Vec<(i64, i32)> = sqlx::query_as(
        "INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount,
                                       from_general_subsidy, approved_on)
         SELECT p, $2, 'ordinance', 'รายการทดสอบ ' || p, 376770.43, 376770.43, make_date($2 - 544, 9, 24)
         FROM unnest($1::bigint[]) p
         RETURNING id, version",
    )
    .bind(&projects)
    .bind(year)
    .fetch_all(&db.pool)
    .await
    .expect("approvals for the race");
    let item: i64 = sqlx::query_scalar(
        "INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
         SELECT id, $1, 'RACE-' || $1 || '-' || (SELECT count(*) FROM elaas_items), 'รายการแข่งขัน'
         FROM organisations WHERE code = $2
         RETURNING id",
    )
    .bind(year)
    .bind(LAO)
    .fetch_one(&db.pool)
    .await
    .expect("an e-LAAS item");
    (approvals, item)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn links_racing_for_one_elaas_item_leave_it_with_one_approval() {
    let db = TestDb::demo().await;
    let officer = access_of(&db, "officer.hadyai").await;
    let year = fiscal_year_of_plan(&db).await;
    for _ in 0..rounds() {
        let (approvals, item) = link_race_setup(&db, year).await;
        let item_id = tidtam::types::global_id::encode("ElaasItem", item);
        // Half confirm a suggestion, half link by hand: one rule for both.
        let doc = r#"mutation ($a: ID!, $v: Int!, $i: ID!, $confirm: Boolean!) {
            c: confirmElaasLink(approvalId: $a, version: $v, elaasItemId: $i) @include(if: $confirm) { id }
            l: linkElaasItem(input: {approvalId: $a, version: $v, elaasItemId: $i}) @skip(if: $confirm) { id } }"#;
        let vars = approvals
            .iter()
            .enumerate()
            .map(|(n, (id, version))| {
                json!({"a": tidtam::types::global_id::encode("BudgetApproval", id), "v": version,
                       "i": item_id, "confirm": n % 2 == 0})
            })
            .collect();
        let answers = race(&db, &officer, doc, vars).await;
        let counts = outcomes(&answers);
        assert_eq!(counts.get("ok"), Some(&1), "{counts:?}");
        let refused: usize = counts
            .iter()
            .filter(|(k, _)| k.starts_with("ALREADY_LINKED "))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(refused, CALLERS - 1, "{counts:?}");
        let holders: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM budget_approvals WHERE elaas_item_id = $1")
                .bind(item)
                .fetch_all(&db.pool)
                .await
                .unwrap();
        assert_eq!(holders.len(), 1);
        let holder = tidtam::types::global_id::encode("BudgetApproval", holders[0]).0;
        for a in answers.iter().filter(|a| a["errors"].is_array()) {
            assert_eq!(a["errors"][0]["extensions"]["approvalId"], holder, "{a:#}");
        }
    }
}

#[tokio::test]
async fn both_link_mutations_refuse_an_item_held_by_another_approval() {
    let db = TestDb::demo().await;
    let officer = access_of(&db, "officer.hadyai").await;
    let year = fiscal_year_of_plan(&db).await;
    let (approvals, item) = link_race_setup(&db, year).await;
    let id = |n: usize| tidtam::types::global_id::encode("BudgetApproval", approvals[n].0);
    let item_id = tidtam::types::global_id::encode("ElaasItem", item);
    let linked = race(
        &db,
        &officer,
        "mutation ($a: ID!, $i: ID!) { confirmElaasLink(approvalId: $a, version: 1, elaasItemId: $i) { id } }",
        vec![json!({"a": id(0), "i": item_id})],
    )
    .await;
    assert!(linked[0].get("errors").is_none(), "{:#}", linked[0]);
    let by_link = race(
        &db,
        &officer,
        "mutation ($a: ID!, $i: ID!) { linkElaasItem(input: {approvalId: $a, version: 1, elaasItemId: $i}) { id } }",
        vec![json!({"a": id(1), "i": item_id})],
    )
    .await;
    let ext = &by_link[0]["errors"][0]["extensions"];
    assert_eq!(ext["code"], "ALREADY_LINKED", "{:#}", by_link[0]);
    assert_eq!(ext["field"], "input.elaasItemId");
    assert_eq!(ext["approvalId"], id(0).0);
    // Approving a budget with an item already held is refused the same way.
    let project: i64 = unapproved_projects(&db, 1).await[0];
    let mut input = approve_input(project, year);
    input["input"]["elaasItemId"] = json!(item_id);
    let approver = access_of(&db, "approver.hadyai").await;
    let approved = race(&db, &approver, APPROVE_BUDGET, vec![input]).await;
    assert_eq!(
        approved[0]["errors"][0]["extensions"]["code"], "ALREADY_LINKED",
        "{:#}",
        approved[0]
    );
    // The database holds the rule itself, whatever the path.
    let direct = sqlx::query("UPDATE budget_approvals SET elaas_item_id = $1, elaas_link_method = 'manual' WHERE id = $2")
        .bind(item)
        .bind(approvals[2].0)
        .execute(&db.pool)
        .await
        .expect_err("a second link is refused");
    assert_eq!(
        direct.as_database_error().and_then(|d| d.constraint()),
        Some("budget_approvals_one_per_elaas_item")
    );
}

#[tokio::test]
async fn only_an_approver_approves_a_plan_amendment() {
    let db = TestDb::demo().await;
    let officer = access_of(&db, "officer.hadyai").await;
    let approver = access_of(&db, "approver.hadyai").await;
    let plan =
        tidtam::types::global_id::encode("DevelopmentPlan", approved_plan_of(&db, LAO).await);
    let doc =
        "mutation ($input: AmendPlanInput!) { amendPlan(input: $input) { number approvedOnBE } }";
    let with_date = json!({"input": {"planId": plan, "approvedOn": "15/08/2563"}});
    let refused = race(&db, &officer, doc, vec![with_date.clone()]).await;
    let ext = &refused[0]["errors"][0]["extensions"];
    assert_eq!(ext["code"], "FORBIDDEN", "{:#}", refused[0]);
    assert_eq!(ext["field"], "input.approvedOn");
    // The officer may still start an amendment, unapproved.
    let started = race(&db, &officer, doc, vec![json!({"input": {"planId": plan}})]).await;
    assert_eq!(
        started[0]["data"]["amendPlan"]["approvedOnBE"],
        Value::Null,
        "{:#}",
        started[0]
    );
    let approved = race(&db, &approver, doc, vec![with_date]).await;
    assert_eq!(
        approved[0]["data"]["amendPlan"]["approvedOnBE"], "15/08/2563",
        "{:#}",
        approved[0]
    );
    // PostgreSQL refuses it to an officer's transaction on any path.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::raw_sql(
        &tidtam::auth::session::begin_statement(&officer, std::time::Duration::ZERO)
            .replacen("BEGIN;", "", 1),
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let direct = sqlx::query(
        "UPDATE plan_amendments SET approved_on = '2020-08-15' WHERE approved_on IS NULL",
    )
    .execute(&mut *tx)
    .await
    .expect_err("an officer cannot approve an amendment in SQL either");
    assert_eq!(
        direct.as_database_error().and_then(|d| d.code()).as_deref(),
        Some("42501")
    );
}
