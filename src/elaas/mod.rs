//! e-LAAS, the LAOs' accounting system: its budget items and their dated
//! figures (budget, contract, disbursed, remaining "as of" a date), the
//! import of snapshot files, and matching items to budget approvals.

pub mod as_of;
pub mod balance;
pub mod graphql;
pub mod import;
pub mod loader;
pub mod matching;
pub mod mutations;
pub mod store;

pub use as_of::ElaasAsOfLoader;
pub use graphql::{ElaasItem, ElaasSnapshot};
pub use loader::{ApprovalsOfItem, ItemsOfOrganisation, LatestSnapshotLoader};
pub use mutations::ElaasMutation;
