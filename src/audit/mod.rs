//! Who changed what: the acting account of a request, and the audit trail
//! (`audit_log`, written by a trigger on every table in the same transaction
//! as the change) read back as `history`.

pub mod graphql;

pub use graphql::{history_of, AuditEntry, Audited, HistoryLoader};

use sqlx::{Postgres, Transaction};

/// Begins the transaction of a mutation in the caller's scope: its audit
/// records name the caller's account (`tidtam.actor`, set by the scope).
pub async fn begin(
    ctx: &async_graphql::Context<'_>,
) -> async_graphql::Result<Transaction<'static, Postgres>> {
    let db = ctx.data::<crate::db::Db>()?;
    db.begin().await.map_err(crate::error::internal)
}
