//! e-LAAS, the LAOs' accounting system: its budget items and their dated
//! figures (budget, contract, disbursed, remaining "as of" a date).

pub mod balance;
pub mod graphql;
pub mod loader;
pub mod store;

pub use graphql::{ElaasItem, ElaasSnapshot};
pub use loader::{ApprovalsOfItem, ItemsOfOrganisation, LatestSnapshotLoader};
