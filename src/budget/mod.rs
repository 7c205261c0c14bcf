//! Budget approvals (อนุมัติงบประมาณ): a plan project approved for a fiscal
//! year by the annual budget ordinance (ข้อบัญญัติ/เทศบัญญัติ) or from
//! accumulated funds (เงินสะสม), with its funding sources and e-LAAS link.

pub mod filter;
pub mod graphql;
pub mod list;
pub mod mutations;
pub mod report_list;
pub mod store;

pub use graphql::{BudgetApproval, BudgetPath, BudgetQuery, FundingSource};
pub use mutations::BudgetMutation;

/// Approval statements: the shared select list (`sql/select.sql`) followed by
/// each one's WHERE and ORDER BY.
pub(crate) mod sql {
    /// By id (`$1`: ids).
    pub const BY_ID: &str = concat!(
        include_str!("sql/select.sql"),
        include_str!("sql/by_id.sql")
    );
    /// By plan project (`$1`: project ids).
    pub const BY_PLAN_PROJECT: &str = concat!(
        include_str!("sql/select.sql"),
        include_str!("sql/by_plan_project.sql")
    );
    /// By e-LAAS item (`$1`: item ids).
    pub const BY_ELAAS_ITEM: &str = concat!(
        include_str!("sql/select.sql"),
        include_str!("sql/by_elaas_item.sql")
    );
    /// By organisation and fiscal year, in report-list order.
    pub const OF_ORGANISATION: &str = concat!(
        include_str!("sql/select.sql"),
        include_str!("sql/approvals_of_organisation.sql")
    );
}
