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
