//! Batch loading of plan nodes by id.

use super::PlanNode;
use async_graphql::dataloader::Loader;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;

/// Loads [`PlanNode`]s by id, one statement per batch.
pub struct PlanNodeLoader(pub PgPool);

impl Loader<i64> for PlanNodeLoader {
    type Value = PlanNode;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, PlanNode>, Self::Error> {
        let rows: Vec<PlanNode> = sqlx::query_as(include_str!("sql/nodes_by_id.sql"))
            .bind(ids)
            .fetch_all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|n| (n.id, n)).collect())
    }
}
