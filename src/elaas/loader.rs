//! Batch loaders of e-LAAS items and their newest figures.

use super::{ElaasItem, ElaasSnapshot};
use async_graphql::dataloader::Loader;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;

/// Loads [`ElaasItem`]s by id.
pub struct ElaasItemLoader(pub PgPool);

impl Loader<i64> for ElaasItemLoader {
    type Value = ElaasItem;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, ElaasItem>, Self::Error> {
        let rows: Vec<ElaasItem> = sqlx::query_as(include_str!("sql/items_by_id.sql"))
            .bind(ids)
            .fetch_all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Loads the newest [`ElaasSnapshot`] of each item, by item id.
pub struct LatestSnapshotLoader(pub PgPool);

impl Loader<i64> for LatestSnapshotLoader {
    type Value = ElaasSnapshot;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, ElaasSnapshot>, Self::Error> {
        let rows: Vec<ElaasSnapshot> = sqlx::query_as(include_str!("sql/latest_by_item.sql"))
            .bind(ids)
            .fetch_all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|r| (r.elaas_item_id, r)).collect())
    }
}
