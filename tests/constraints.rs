//! The database itself refuses rows that break the domain's rules.

mod common;

use common::TestDb;
use sqlx::PgPool;

/// Runs `sql` and expects it refused by `constraint`; returns nothing written.
async fn assert_refused(pool: &PgPool, sql: &str, constraint: &str) {
    let err = sqlx::query(sql)
        .execute(pool)
        .await
        .expect_err("the row must be refused");
    let db_err = err
        .as_database_error()
        .unwrap_or_else(|| panic!("not a database error: {err}"));
    assert_eq!(db_err.constraint(), Some(constraint), "{sql}: {db_err}");
}

/// Ids in the demo: the aerobic-dance approval and its plan project.
async fn aerobic(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT ba.id, ba.plan_project_id FROM budget_approvals ba \
         WHERE ba.budget_item_name LIKE '%แอโรบิคแดนซ์%'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn money_is_never_negative() {
    let db = TestDb::demo().await;
    let (approval, _) = aerobic(&db.pool).await;
    assert_refused(
        &db.pool,
        &format!("UPDATE budget_approvals SET amount = -1, from_general_subsidy = 0, from_unknown = 0 WHERE id = {approval}"),
        "budget_approvals_amount_check",
    )
    .await;
    assert_refused(
        &db.pool,
        "UPDATE elaas_snapshots SET disbursed = -0.01",
        "elaas_snapshots_disbursed_check",
    )
    .await;
    assert_refused(
        &db.pool,
        "UPDATE plan_project_budgets SET amount = -5",
        "plan_project_budgets_amount_check",
    )
    .await;
}

#[tokio::test]
async fn money_keeps_two_decimals() {
    let db = TestDb::demo().await;
    let (approval, _) = aerobic(&db.pool).await;
    let stored: rust_decimal::Decimal = sqlx::query_scalar(&format!(
        "UPDATE budget_approvals SET amount = 20000.004, from_other_revenue = 20000.004 \
         WHERE id = {approval} RETURNING amount"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(stored.to_string(), "20000.00");
}

#[tokio::test]
async fn funding_sources_add_up_to_the_amount() {
    let db = TestDb::demo().await;
    let (approval, _) = aerobic(&db.pool).await;
    assert_refused(
        &db.pool,
        &format!("UPDATE budget_approvals SET from_own_revenue = 1 WHERE id = {approval}"),
        "budget_approvals_sources_sum",
    )
    .await;
}

#[tokio::test]
async fn one_approval_per_project_year_and_path() {
    let db = TestDb::demo().await;
    let (_, project) = aerobic(&db.pool).await;
    let insert = |path: &str| {
        format!(
            "INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount, \
             from_unknown, approved_on) VALUES ({project}, 2564, '{path}', 'ซ้ำ', 10, 10, '2020-09-24')"
        )
    };
    assert_refused(
        &db.pool,
        &insert("ordinance"),
        "budget_approvals_one_per_path",
    )
    .await;
    // The other path for the same project and year is allowed.
    sqlx::query(&insert("accumulated_funds"))
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn report_end_date_is_not_before_start() {
    let db = TestDb::demo().await;
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET end_date = start_date - 1",
        "project_reports_dates",
    )
    .await;
}

#[tokio::test]
async fn the_three_goals_form_one_chain() {
    let db = TestDb::demo().await;
    // A sub-plan goal of another master plan (03) breaks the chain.
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET \
           strategy_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '3.1'), \
           master_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140001'), \
           sub_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '030101') \
         WHERE strategy_goal_id IS NOT NULL",
        "project_reports_goal_chain",
    )
    .await;
    // A strategy goal of another strategy than master plan 14's (3) breaks it too.
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET \
           strategy_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '1.1'), \
           master_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140001'), \
           sub_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140101') \
         WHERE strategy_goal_id IS NOT NULL",
        "project_reports_goal_chain",
    )
    .await;
    // Goals of two editions do not mix.
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET \
           sub_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140101') \
         WHERE strategy_goal_id IS NOT NULL",
        "project_reports_goal_chain",
    )
    .await;
    // Only one or two links is not a chain.
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET sub_plan_goal_id = NULL WHERE strategy_goal_id IS NOT NULL",
        "project_reports_goals_all_or_none",
    )
    .await;
    // The whole 2566 chain is accepted.
    let updated = sqlx::query(
        "UPDATE project_reports SET \
           strategy_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '3.1'), \
           master_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140001'), \
           sub_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140101') \
         WHERE strategy_goal_id IS NOT NULL",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(updated.rows_affected(), 1);
}

#[tokio::test]
async fn a_location_lies_inside_thailand() {
    let db = TestDb::demo().await;
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET latitude = 48.85, longitude = 2.35 WHERE latitude IS NOT NULL",
        "project_reports_location",
    )
    .await;
}

#[tokio::test]
async fn completion_needs_a_summary() {
    let db = TestDb::demo().await;
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET completed = true, completed_on = '2021-09-30', status = 'completed', summary = ' ' \
         WHERE latitude IS NOT NULL",
        "project_reports_completion_summary",
    )
    .await;
    assert_refused(
        &db.pool,
        "UPDATE project_reports SET completed = true WHERE latitude IS NOT NULL",
        "project_reports_completion",
    )
    .await;
}

#[tokio::test]
async fn an_elaas_link_stays_inside_the_organisation_and_year() {
    let db = TestDb::demo().await;
    let (approval, _) = aerobic(&db.pool).await;
    assert_refused(
        &db.pool,
        &format!(
            "UPDATE budget_approvals SET elaas_item_id = \
               (SELECT e.id FROM elaas_items e JOIN organisations o ON o.id = e.organisation_id \
                WHERE o.code = '7100102' LIMIT 1) \
             WHERE id = {approval}"
        ),
        "budget_approvals_elaas_same_lao_year",
    )
    .await;
}

#[tokio::test]
async fn planned_budgets_lie_inside_the_plan() {
    let db = TestDb::demo().await;
    let (_, project) = aerobic(&db.pool).await;
    assert_refused(
        &db.pool,
        &format!("INSERT INTO plan_project_budgets VALUES ({project}, 2570, 100)"),
        "plan_project_budgets_year_in_plan",
    )
    .await;
}

#[tokio::test]
async fn hierarchy_parents_are_of_the_level_above() {
    let db = TestDb::demo().await;
    assert_refused(
        &db.pool,
        "INSERT INTO plan_nodes (edition, level, code, parent_id, goal_th) \
         VALUES ('2566', 'sub_plan_goal', '999999', (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '14'), 'x')",
        "plan_nodes_parent_level",
    )
    .await;
}

#[tokio::test]
async fn organisations_have_a_known_kind() {
    let db = TestDb::demo().await;
    assert_refused(
        &db.pool,
        "INSERT INTO organisations (code, name_th, kind, province_code) VALUES ('7199999', 'ทดสอบ', 'city', '71')",
        "organisations_kind_check",
    )
    .await;
}

#[tokio::test]
async fn every_change_is_audited_with_its_actor() {
    let db = TestDb::demo().await;
    let mut tx = tidtam::db::begin_as(&db.pool, "officer@hadyai")
        .await
        .unwrap();
    sqlx::query("UPDATE project_reports SET rationale = 'แก้ไขแล้ว' WHERE latitude IS NOT NULL")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (actor, before, after): (String, serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT actor, before, after FROM audit_log WHERE table_name = 'project_reports' AND action = 'update'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(actor, "officer@hadyai");
    assert_ne!(before["rationale"], "แก้ไขแล้ว");
    assert_eq!(after["rationale"], "แก้ไขแล้ว");
    // The demo load itself was audited under its own name.
    let demo_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE actor = 'demo-loader'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(demo_rows > 1000, "{demo_rows}");
}
