//! The `history` of a record: its audit entries, oldest first.

use crate::db::Db;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Json, SimpleObject};
use chrono::{DateTime, Utc};

use std::collections::HashMap;
use std::sync::Arc;

/// One change of a record.
#[derive(SimpleObject, sqlx::FromRow, Clone, Debug)]
#[graphql(complex)]
pub struct AuditEntry {
    #[graphql(skip)]
    pub table_name: String,
    #[graphql(skip)]
    pub row_key: String,
    /// When the change was committed.
    pub at: DateTime<Utc>,
    /// Who made it.
    pub actor: String,
    /// insert, update or delete.
    pub action: String,
    #[graphql(skip)]
    pub before: Option<serde_json::Value>,
    #[graphql(skip)]
    pub after: Option<serde_json::Value>,
}

#[ComplexObject]
impl AuditEntry {
    /// The record before (null for an insert), as stored.
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.before.clone().map(Json)
    }

    /// The record after (null for a delete), as stored.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.after.clone().map(Json)
    }

    /// The names of the columns this change set or altered.
    async fn changed(&self) -> Vec<String> {
        let empty = serde_json::Map::new();
        let before = self
            .before
            .as_ref()
            .and_then(|v| v.as_object())
            .unwrap_or(&empty);
        let after = self
            .after
            .as_ref()
            .and_then(|v| v.as_object())
            .unwrap_or(&empty);
        let mut keys: Vec<String> = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        keys.extend(before.keys().filter(|k| !after.contains_key(*k)).cloned());
        keys.retain(|k| k != "version");
        keys
    }
}

/// The kinds of record whose history can be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Audited {
    DevelopmentPlan,
    PlanProject,
    BudgetApproval,
    ProjectReport,
}

impl Audited {
    fn table(self) -> &'static str {
        match self {
            Audited::DevelopmentPlan => "development_plans",
            Audited::PlanProject => "plan_projects",
            Audited::BudgetApproval => "budget_approvals",
            Audited::ProjectReport => "project_reports",
        }
    }
}

/// Loads the history of records by (kind, id).
pub struct HistoryLoader(pub Db);

impl Loader<(Audited, i64)> for HistoryLoader {
    type Value = Vec<AuditEntry>;
    type Error = Arc<sqlx::Error>;

    async fn load(
        &self,
        keys: &[(Audited, i64)],
    ) -> Result<HashMap<(Audited, i64), Vec<AuditEntry>>, Self::Error> {
        let mut by_table: HashMap<Audited, Vec<String>> = HashMap::new();
        for (table, id) in keys {
            by_table.entry(*table).or_default().push(id.to_string());
        }
        let mut out: HashMap<(Audited, i64), Vec<AuditEntry>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for (table, ids) in by_table {
            let rows: Vec<AuditEntry> = crate::db::query_as(include_str!("sql/by_row.sql"))
                .bind(table.table())
                .bind(&ids)
                .fetch_all(&self.0)
                .await?;
            for row in rows {
                if let Ok(id) = row.row_key.parse::<i64>() {
                    out.entry((table, id)).or_default().push(row);
                }
            }
        }
        Ok(out)
    }
}

/// The history of record `id` of a kind.
pub async fn history_of(
    ctx: &Context<'_>,
    table: Audited,
    id: i64,
) -> async_graphql::Result<Vec<AuditEntry>> {
    let loader = ctx.data::<DataLoader<HistoryLoader>>()?;
    Ok(loader
        .load_one((table, id))
        .await
        .map_err(crate::error::internal)?
        .unwrap_or_default())
}
