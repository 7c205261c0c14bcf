//! Who changed what: the acting account of a request, and the audit trail
//! (`audit_log`, written by a trigger on every table in the same transaction
//! as the change) read back as `history`.

pub mod graphql;

pub use graphql::{history_of, AuditEntry, Audited, HistoryLoader};

use sqlx::{PgPool, Postgres, Transaction};

/// The account acting in a request, recorded with every change it makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    /// The actor of a request without an account.
    pub fn anonymous() -> Self {
        Actor("anonymous".into())
    }
}

/// The actor of the current GraphQL request.
pub fn actor_of(ctx: &async_graphql::Context<'_>) -> Actor {
    ctx.data_opt::<Actor>()
        .cloned()
        .unwrap_or_else(Actor::anonymous)
}

/// Begins the transaction of a mutation: its audit records name the actor.
pub async fn begin(
    ctx: &async_graphql::Context<'_>,
) -> async_graphql::Result<Transaction<'static, Postgres>> {
    let pool = ctx.data::<PgPool>()?;
    crate::db::begin_as(pool, &actor_of(ctx).0)
        .await
        .map_err(crate::error::internal)
}
