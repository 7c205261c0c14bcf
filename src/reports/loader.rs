//! Batch loading of reports by their budget approval.

use super::ProjectReport;
use crate::db::Db;
use async_graphql::dataloader::Loader;

use std::collections::HashMap;
use std::sync::Arc;

/// Loads the [`ProjectReport`] of each budget approval, by approval id.
pub struct ReportByApprovalLoader(pub Db);

impl Loader<i64> for ReportByApprovalLoader {
    type Value = ProjectReport;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, ProjectReport>, Self::Error> {
        let rows: Vec<ProjectReport> = crate::db::query_as(include_str!("sql/by_approval.sql"))
            .bind(ids)
            .fetch_all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.budget_approval_id, r))
            .collect())
    }
}

/// A report reached through a node of the national plan hierarchy.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct GoalReport {
    #[sqlx(flatten)]
    pub report: ProjectReport,
    pub node_id: i64,
}

impl crate::db::loader::Keyed for GoalReport {
    const BY_ID: &'static str = include_str!("sql/by_id.sql");
    fn key(&self) -> i64 {
        self.report.id
    }
}

impl crate::db::loader::PagedChild for GoalReport {
    const PAGED_BY_PARENT: &'static str = include_str!("sql/by_goal_paged.sql");
    fn parent(&self) -> i64 {
        self.node_id
    }
}
