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

use super::replicas::Replicas;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::error::BoxDynError;
use sqlx::postgres::PgArguments;
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres, Transaction};
use std::sync::Arc;

/// A statement sent unnamed when `.1` is set: PgBouncer in transaction mode
/// may hand the next transaction another server, where a named statement
/// prepared here would not exist.
struct Unnamed<E>(E, bool);

impl<'q, E: Execute<'q, Postgres>> Execute<'q, Postgres> for Unnamed<E> {
    fn sql(&self) -> &'q str {
        self.0.sql()
    }

    fn statement(&self) -> Option<&PgStatement<'q>> {
        self.0.statement()
    }

    fn take_arguments(&mut self) -> Result<Option<PgArguments>, BoxDynError> {
        self.0.take_arguments()
    }

    fn persistent(&self) -> bool {
        !self.1 && self.0.persistent()
    }
}

/// A pool seen through one caller's scope.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    begin: Arc<str>,
    /// Where single statements (reads) go: a replica, else the primary.
    read: Option<ReadFrom>,
    /// Behind PgBouncer in transaction mode: no named prepared statements.
    unnamed: bool,
    /// The replicas, to read from when the primary is down.
    replicas: Option<Arc<Replicas>>,
}

#[derive(Clone)]
struct ReadFrom {
    replicas: Arc<Replicas>,
    index: usize,
    pool: PgPool,
}

impl Db {
    /// A handle whose transactions start with `begin` (a `BEGIN; …` block).
    pub fn new(pool: PgPool, begin: String) -> Self {
        Db {
            pool,
            begin: begin.into(),
            read: None,
            unnamed: false,
            replicas: None,
        }
    }

    /// The server's own statements (no caller's scope), each in its own
    /// transaction: safe behind PgBouncer in transaction mode.
    pub fn plain(pool: &PgPool) -> Self {
        Db::new(pool.clone(), "BEGIN".into())
    }

    /// Reads from a replica that has replayed `min_lsn` (the caller's own
    /// last write), if one is fresh enough; transactions stay on the primary.
    pub fn reading_from(mut self, replicas: &Arc<Replicas>, min_lsn: Option<u64>) -> Self {
        self.read = replicas.pick(min_lsn).map(|(index, pool)| ReadFrom {
            replicas: replicas.clone(),
            index,
            pool,
        });
        self.replicas = Some(replicas.clone());
        self
    }

    /// Sends every statement unnamed (PgBouncer in transaction pooling mode).
    pub fn unnamed(mut self, unnamed: bool) -> Self {
        self.unnamed = unnamed;
        self
    }

    /// Whether reads go to a replica.
    pub fn reads_from_replica(&self) -> bool {
        self.read.is_some()
    }

    /// A transaction for one read: on the replica, or on the primary when
    /// the replica fails (the replica is then skipped until it is back).
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        if let Some(read) = &self.read {
            match read.pool.begin_with(self.begin.to_string()).await {
                Ok(tx) => return Ok(tx),
                Err(e) => read.replicas.mark_down(read.index, &e),
            }
        }
        let primary = self.begin().await;
        match (&primary, &self.replicas) {
            // The primary is down (restarting, failing over): a replica,
            // however far behind, answers a read better than an error.
            (Err(e), Some(replicas)) if crate::error::unavailable(e) => {
                for pool in replicas.all() {
                    if let Ok(tx) = pool.begin_with(self.begin.to_string()).await {
                        return Ok(tx);
                    }
                }
                primary
            }
            _ => primary,
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
            let mut tx = self.begin_read().await?;
            let query = Unnamed(query, self.unnamed);
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
            let mut tx = self.begin_read().await?;
            let row = (&mut *tx)
                .fetch_optional(Unnamed(query, self.unnamed))
                .await?;
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
