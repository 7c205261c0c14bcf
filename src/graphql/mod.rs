//! Stitches the domains' GraphQL objects into one schema. Each field is
//! defined in its domain's `graphql.rs`; this module only joins them.

use crate::elaas::{ElaasItemLoader, LatestSnapshotLoader};
use crate::organisations::OrganisationQuery;
use crate::reports::ReportByApprovalLoader;
use crate::strategy::PlanNodeLoader;
use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Request, Schema};
use sqlx::PgPool;

/// The root query: the merged root fields of every domain.
#[derive(MergedObject, Default)]
pub struct Query(OrganisationQuery);

/// Tidtam's schema type.
pub type TidtamSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Largest query complexity accepted (each field costs 1).
pub const MAX_COMPLEXITY: usize = 2_000;

/// Builds the schema; the pool is shared data, loaders are per request.
pub fn build_schema(pool: Option<PgPool>) -> TidtamSchema {
    let mut builder = Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY);
    if let Some(pool) = pool {
        builder = builder.data(pool);
    }
    builder.finish()
}

/// The SDL of the schema, as written to `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

/// Adds fresh DataLoaders to a request, so caches never outlive it.
pub fn with_loaders(request: Request, pool: &PgPool) -> Request {
    request
        .data(DataLoader::new(PlanNodeLoader(pool.clone()), tokio::spawn))
        .data(DataLoader::new(ElaasItemLoader(pool.clone()), tokio::spawn))
        .data(DataLoader::new(
            LatestSnapshotLoader(pool.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ReportByApprovalLoader(pool.clone()),
            tokio::spawn,
        ))
}
