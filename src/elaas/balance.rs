//! รายงานยอดงบประมาณคงเหลือ (e-LAAS): an organisation's items with their
//! figures as they stood on a date.

use super::{ElaasItem, ElaasSnapshot};
use crate::db::Db;
use async_graphql::SimpleObject;
use chrono::NaiveDate;

/// One e-LAAS item and its figures on the date asked.
#[derive(SimpleObject, Clone, Debug)]
pub struct ElaasBalanceRow {
    pub item: ElaasItem,
    /// The newest figures on or before the date; null if none yet.
    pub figures: Option<ElaasSnapshot>,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    item: ElaasItem,
    elaas_item_id: Option<i64>,
    as_of: Option<NaiveDate>,
    budget: Option<rust_decimal::Decimal>,
    contract_amount: Option<rust_decimal::Decimal>,
    contract_signed_on: Option<NaiveDate>,
    disbursed: Option<rust_decimal::Decimal>,
    remaining: Option<rust_decimal::Decimal>,
}

/// The balance of every item of `organisation_id` in `fiscal_year` on `as_of`.
pub async fn balance_as_of(
    pool: &Db,
    organisation_id: i64,
    fiscal_year: i32,
    as_of: NaiveDate,
) -> Result<Vec<ElaasBalanceRow>, sqlx::Error> {
    let rows: Vec<Row> = crate::db::query_as(include_str!("sql/balance_as_of.sql"))
        .bind(organisation_id)
        .bind(fiscal_year)
        .bind(as_of)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(into_balance).collect())
}

fn into_balance(r: Row) -> ElaasBalanceRow {
    let figures = match (r.elaas_item_id, r.as_of) {
        (Some(item_id), Some(as_of)) => Some(ElaasSnapshot {
            elaas_item_id: item_id,
            as_of,
            budget: r.budget.unwrap_or_default(),
            contract_amount: r.contract_amount.unwrap_or_default(),
            contract_signed_on: r.contract_signed_on,
            disbursed: r.disbursed.unwrap_or_default(),
            remaining: r.remaining.unwrap_or_default(),
        }),
        _ => None,
    };
    ElaasBalanceRow {
        item: r.item,
        figures,
    }
}
