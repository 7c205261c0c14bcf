//! The database as one request sees it.
//!
//! Every statement a request runs goes through a [`Db`]: a pool plus the
//! `BEGIN` block of the caller's scope (the role, the settings row-level
//! security reads, the statement timeout; see `auth::session`). `&Db` is a
//! sqlx executor, so resolvers write `query.fetch_all(db)` as they would with a
//! pool, and each statement runs in its own short transaction that carries the
//! scope. Settings are transaction-local, so nothing leaks into the next user
//! of the connection, and the same code works behind PgBouncer in transaction
//! pooling mode.

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres, Transaction};
use std::sync::Arc;

/// A pool seen through one caller's scope.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    begin: Arc<str>,
}

impl Db {
    /// A handle whose transactions start with `begin` (a `BEGIN; …` block).
    pub fn new(pool: PgPool, begin: String) -> Self {
        Db {
            pool,
            begin: begin.into(),
        }
    }

    /// Begins a transaction in the caller's scope.
    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin_with(self.begin.to_string()).await
    }

    /// The pool underneath, for work that is not the caller's (health checks).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

impl<'c> Executor<'c> for &'c Db {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        // The rows are gathered before the transaction ends; every caller
        // collects them anyway (fetch_all, fetch_one).
        let rows = async move {
            let mut tx = self.begin().await?;
            let rows: Vec<_> = (&mut *tx).fetch_many(query).try_collect().await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(stream::iter(rows.into_iter().map(Ok)))
        };
        stream::once(rows).try_flatten().boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        Box::pin(async move {
            let mut tx = self.begin().await?;
            let row = (&mut *tx).fetch_optional(query).await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        (&self.pool).prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>>
    where
        'c: 'e,
    {
        (&self.pool).describe(sql)
    }
}
