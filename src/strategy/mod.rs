//! The national plan hierarchy: ยุทธศาสตร์ชาติ (national strategies and their
//! goals), แผนแม่บท (master plans and their goals), แผนย่อย (sub-plans and their
//! goals), and the 13th national plan's milestones, each in an edition.

pub mod graphql;
pub mod load;

pub use graphql::{PlanNode, StrategyQuery};
