//! Provinces and local administrative organisations (อปท.).

pub mod graphql;
pub mod store;

pub use graphql::{Organisation, OrganisationKind, OrganisationQuery, Province};
