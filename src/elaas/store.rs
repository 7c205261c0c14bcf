//! Writing e-LAAS items and their dated figures.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// Inserts an e-LAAS item and returns its id.
pub async fn insert_item(
    conn: &mut PgConnection,
    organisation_id: i64,
    fiscal_year: i32,
    item_code: &str,
    name_th: &str,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(include_str!("sql/insert_item.sql"))
        .bind(organisation_id)
        .bind(fiscal_year)
        .bind(item_code)
        .bind(name_th)
        .fetch_one(conn)
        .await
}

/// An item's figures as of a date.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    #[serde(deserialize_with = "crate::types::thai_date::serde_be::date")]
    pub as_of: NaiveDate,
    pub budget: Decimal,
    pub contract_amount: Decimal,
    #[serde(
        default,
        deserialize_with = "crate::types::thai_date::serde_be::option"
    )]
    pub contract_signed_on: Option<NaiveDate>,
    pub disbursed: Decimal,
    pub remaining: Decimal,
}

/// Inserts one snapshot of an item's figures.
pub async fn insert_snapshot(
    conn: &mut PgConnection,
    item_id: i64,
    f: &Figures,
) -> Result<(), sqlx::Error> {
    crate::db::query(include_str!("sql/insert_snapshot.sql"))
        .bind(item_id)
        .bind(f.as_of)
        .bind(f.budget)
        .bind(f.contract_amount)
        .bind(f.contract_signed_on)
        .bind(f.disbursed)
        .bind(f.remaining)
        .execute(conn)
        .await
        .map(|_| ())
}
