//! Tidtam (ติดตาม, "to follow up"): a GraphQL reporting and analytics server
//! for the project monitoring of Thai local administrative organisations (อปท.).
//!
//! `src/` is split by domain; each folder owns its SQL, types and GraphQL
//! objects, and `graphql/` only stitches them together.

pub mod analytics;
pub mod arguments;
pub mod audit;
pub mod auth;
pub mod budget;
pub mod cli;
pub mod db;
pub mod demo;
pub mod elaas;
pub mod error;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod ops;
pub mod organisations;
pub mod pagination;
pub mod plans;
pub mod reports;
pub mod strategy;
pub mod types;
pub mod validation;
