//! Writing budget approvals.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// The approved amount split by funding source (แหล่งเงิน); the parts add up
/// to the approved amount (the database checks it).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundingSources {
    pub general_subsidy: Decimal,
    pub purpose_subsidy: Decimal,
    pub government_subsidy: Decimal,
    pub specific_subsidy: Decimal,
    pub own_revenue: Decimal,
    pub other_revenue: Decimal,
    pub accumulated_funds: Decimal,
    pub accumulated_reserve: Decimal,
    pub unknown: Decimal,
}

/// A new budget approval.
#[derive(Debug, Clone)]
pub struct NewApproval<'a> {
    pub plan_project_id: i64,
    pub fiscal_year: i32,
    /// `ordinance`, `accumulated_funds` or `accumulated_funds_reserve`
    pub path: &'a str,
    pub budget_item_name: &'a str,
    pub amount: Decimal,
    pub sources: FundingSources,
    pub approved_on: NaiveDate,
    pub elaas_item_id: Option<i64>,
    /// `manual` or `auto` when linked
    pub elaas_link_method: Option<&'a str>,
}

/// Inserts an approval and returns its id.
pub async fn insert_approval(
    conn: &mut PgConnection,
    a: &NewApproval<'_>,
) -> Result<i64, sqlx::Error> {
    let s = &a.sources;
    crate::db::query_scalar(include_str!("sql/insert_approval.sql"))
        .bind(a.plan_project_id)
        .bind(a.fiscal_year)
        .bind(a.path)
        .bind(a.budget_item_name)
        .bind(a.amount)
        .bind(s.general_subsidy)
        .bind(s.purpose_subsidy)
        .bind(s.government_subsidy)
        .bind(s.specific_subsidy)
        .bind(s.own_revenue)
        .bind(s.other_revenue)
        .bind(s.accumulated_funds)
        .bind(s.accumulated_reserve)
        .bind(s.unknown)
        .bind(a.approved_on)
        .bind(a.elaas_item_id)
        .bind(a.elaas_link_method)
        .fetch_one(conn)
        .await
}
