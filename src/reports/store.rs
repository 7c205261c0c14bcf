//! Writing project reports.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// The three goal links of a report, by edition and code, with their result
/// narratives.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalCodes {
    pub edition: String,
    pub strategy_goal: String,
    pub strategy_goal_result: Option<String>,
    pub master_plan_goal: String,
    pub master_plan_goal_result: Option<String>,
    pub sub_plan_goal: String,
    pub sub_plan_goal_result: Option<String>,
}

/// Every field of the manual's report form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportFields {
    pub activity_type: Option<String>,
    pub planned_budget: Option<Decimal>,
    pub coordinator_name: Option<String>,
    pub coordinator_phone: Option<String>,
    pub rationale: Option<String>,
    pub output_target: Option<String>,
    pub outcome_target: Option<String>,
    pub expected_results: Option<String>,
    pub success_indicator: Option<String>,
    pub target_group: Option<String>,
    #[serde(deserialize_with = "crate::types::thai_date::serde_be::option")]
    pub start_date: Option<NaiveDate>,
    #[serde(deserialize_with = "crate::types::thai_date::serde_be::option")]
    pub end_date: Option<NaiveDate>,
    pub off_plan_reason: Option<String>,
    pub goals: Option<GoalCodes>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    #[serde(deserialize_with = "crate::types::thai_date::serde_be::option")]
    pub completed_on: Option<NaiveDate>,
    pub summary: Option<String>,
    pub problems: Option<String>,
    pub suggestions: Option<String>,
    #[serde(deserialize_with = "crate::types::thai_date::serde_be::option")]
    pub submitted_on: Option<NaiveDate>,
}

/// Inserts the report of an approval and returns its id. The status follows
/// from the fields: completed when a completion date is set, submitted when a
/// submission date is, else a draft.
pub async fn insert_report(
    conn: &mut PgConnection,
    approval_id: i64,
    r: &ReportFields,
) -> Result<i64, sqlx::Error> {
    let status = match (r.completed_on, r.submitted_on) {
        (Some(_), _) => "completed",
        (None, Some(_)) => "submitted",
        _ => "draft",
    };
    let goals = r.goals.as_ref();
    crate::db::query_scalar(include_str!("sql/insert_report.sql"))
        .bind(approval_id)
        .bind(&r.activity_type)
        .bind(r.planned_budget)
        .bind(&r.coordinator_name)
        .bind(&r.coordinator_phone)
        .bind(&r.rationale)
        .bind(&r.output_target)
        .bind(&r.outcome_target)
        .bind(&r.expected_results)
        .bind(&r.success_indicator)
        .bind(&r.target_group)
        .bind(r.start_date)
        .bind(r.end_date)
        .bind(&r.off_plan_reason)
        .bind(goals.map(|g| g.edition.as_str()))
        .bind(goals.map(|g| g.strategy_goal.as_str()))
        .bind(goals.and_then(|g| g.strategy_goal_result.as_deref()))
        .bind(goals.map(|g| g.master_plan_goal.as_str()))
        .bind(goals.and_then(|g| g.master_plan_goal_result.as_deref()))
        .bind(goals.map(|g| g.sub_plan_goal.as_str()))
        .bind(goals.and_then(|g| g.sub_plan_goal_result.as_deref()))
        .bind(r.latitude)
        .bind(r.longitude)
        .bind(r.completed_on.is_some())
        .bind(r.completed_on)
        .bind(&r.summary)
        .bind(&r.problems)
        .bind(&r.suggestions)
        .bind(status)
        .bind(r.submitted_on)
        .fetch_one(conn)
        .await
}
