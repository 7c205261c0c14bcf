//! Batch loaders of e-LAAS items, their newest figures and their history.

use super::{ElaasItem, ElaasSnapshot};
use crate::db::loader::{Child, Keyed};
use crate::db::Db;
use async_graphql::dataloader::Loader;

use std::collections::HashMap;
use std::sync::Arc;

impl Keyed for ElaasItem {
    const BY_ID: &'static str = include_str!("sql/items_by_id.sql");
    fn key(&self) -> i64 {
        self.id
    }
}

/// The figures history of an item, oldest first.
impl Child for ElaasSnapshot {
    const BY_PARENT: &'static str = include_str!("sql/snapshots_by_item.sql");
    fn parent(&self) -> i64 {
        self.elaas_item_id
    }
}

/// Loads the newest [`ElaasSnapshot`] of each item, by item id.
pub struct LatestSnapshotLoader(pub Db);

impl Loader<i64> for LatestSnapshotLoader {
    type Value = ElaasSnapshot;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, ElaasSnapshot>, Self::Error> {
        let rows: Vec<ElaasSnapshot> = crate::db::query_as(include_str!("sql/latest_by_item.sql"))
            .bind(ids)
            .fetch_all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|r| (r.elaas_item_id, r)).collect())
    }
}

/// Loads the approvals linked to each e-LAAS item, by item id.
pub struct ApprovalsOfItem(pub Db);

impl Loader<i64> for ApprovalsOfItem {
    type Value = Vec<crate::budget::BudgetApproval>;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows: Vec<crate::budget::BudgetApproval> =
            crate::db::query_as(crate::budget::sql::BY_ELAAS_ITEM)
                .bind(ids)
                .fetch_all(&self.0)
                .await?;
        let mut out: HashMap<i64, Self::Value> = ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            if let Some(item) = row.elaas_item_id {
                out.entry(item).or_default().push(row);
            }
        }
        Ok(out)
    }
}

/// Loads the e-LAAS items of each organisation, by organisation id.
pub struct ItemsOfOrganisation(pub Db);

impl Loader<i64> for ItemsOfOrganisation {
    type Value = Vec<ElaasItem>;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows: Vec<ElaasItem> =
            crate::db::query_as(include_str!("sql/items_by_organisation.sql"))
                .bind(ids)
                .fetch_all(&self.0)
                .await?;
        let mut out: HashMap<i64, Self::Value> = ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            out.entry(row.organisation_id).or_default().push(row);
        }
        Ok(out)
    }
}
