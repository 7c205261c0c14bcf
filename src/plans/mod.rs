//! The local development plan (แผนพัฒนาท้องถิ่น): five years of projects under
//! the LAO's own strategies, approved (อนุมัติแผน) and later amended.

pub mod graphql;
pub mod mutations;
pub mod store;

pub use graphql::{DevelopmentPlan, LaoStrategy, PlanAmendment, PlanProject, PlanQuery};
pub use mutations::PlanMutation;
