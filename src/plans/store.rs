//! Writing plans, their strategies, amendments and projects.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// Inserts a five-year plan starting in `first_year` (BE) and returns its id.
pub async fn insert_plan(
    conn: &mut PgConnection,
    organisation_id: i64,
    first_year: i32,
    approved_on: Option<NaiveDate>,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(include_str!("sql/insert_plan.sql"))
        .bind(organisation_id)
        .bind(first_year)
        .bind(approved_on)
        .fetch_one(conn)
        .await
}

/// Inserts the plan's strategy number `number` and returns its id.
pub async fn insert_strategy(
    conn: &mut PgConnection,
    plan_id: i64,
    number: i32,
    name_th: &str,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(include_str!("sql/insert_strategy.sql"))
        .bind(plan_id)
        .bind(number)
        .bind(name_th)
        .fetch_one(conn)
        .await
}

/// Inserts amendment `number` of a plan and returns its id.
pub async fn insert_amendment(
    conn: &mut PgConnection,
    plan_id: i64,
    number: i32,
    approved_on: Option<NaiveDate>,
    note: Option<&str>,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(include_str!("sql/insert_amendment.sql"))
        .bind(plan_id)
        .bind(number)
        .bind(approved_on)
        .bind(note)
        .fetch_one(conn)
        .await
}

/// A project of a plan.
#[derive(Debug, Clone)]
pub struct NewPlanProject<'a> {
    pub plan_id: i64,
    pub strategy_id: Option<i64>,
    pub sector: &'a str,
    pub activity_type: Option<&'a str>,
    pub name_th: &'a str,
    pub amendment_id: Option<i64>,
    /// Planned budget per plan year (BE).
    pub budgets: Vec<(i32, Decimal)>,
}

/// Inserts a plan project with its planned budgets and returns its id.
pub async fn insert_project(
    conn: &mut PgConnection,
    p: &NewPlanProject<'_>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = crate::db::query_scalar(include_str!("sql/insert_project.sql"))
        .bind(p.plan_id)
        .bind(p.strategy_id)
        .bind(p.sector)
        .bind(p.activity_type)
        .bind(p.name_th)
        .bind(p.amendment_id)
        .fetch_one(&mut *conn)
        .await?;
    for (year, amount) in &p.budgets {
        crate::db::query(include_str!("sql/insert_project_budget.sql"))
            .bind(id)
            .bind(year)
            .bind(amount)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}
