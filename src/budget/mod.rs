//! Budget approvals (อนุมัติงบประมาณ): a plan project approved for a fiscal
//! year by the annual budget ordinance (ข้อบัญญัติ/เทศบัญญัติ) or from
//! accumulated funds (เงินสะสม), with its funding sources and e-LAAS link.

pub mod graphql;
pub mod store;

pub use graphql::{BudgetApproval, BudgetPath, FundingSource};

use sqlx::PgPool;

/// The approvals of one organisation in one fiscal year, ordered as the
/// project report list shows them.
pub async fn approvals_of_organisation(
    pool: &PgPool,
    organisation_id: i64,
    fiscal_year: i32,
) -> Result<Vec<BudgetApproval>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/approvals_of_organisation.sql"))
        .bind(organisation_id)
        .bind(fiscal_year)
        .fetch_all(pool)
        .await
}
