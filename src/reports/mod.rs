//! The eMENSCR project report (รายงานการดำเนินโครงการ): the form an officer
//! fills in for an approved project, its links to the three levels of national
//! plans, its location, quarterly progress and completion.

pub mod graphql;
pub mod handover;
pub mod loader;
pub mod mutations;
pub mod store;

pub use graphql::{GoalLink, ProjectReport, QuarterProgress, ReportQuery, ReportStatus};
pub use loader::{GoalReport, ReportByApprovalLoader};
pub use mutations::ReportMutation;
