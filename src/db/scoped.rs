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

/// What one statement returns, gathered.
type Rows = Vec<Either<PgQueryResult, PgRow>>;

/// A statement that can be sent more than once (a read retried on the
/// primary), sent unnamed behind PgBouncer as every statement is
/// ([`super::persistent`]): PgBouncer in transaction mode may hand the next
/// transaction another server, where a named statement prepared here would
/// not exist.
struct Again<'q> {
    sql: &'q str,
    statement: Option<PgStatement<'q>>,
    arguments: Option<PgArguments>,
    persistent: bool,
}

impl<'q> Again<'q> {
    fn of<E: Execute<'q, Postgres>>(mut query: E) -> Result<Self, sqlx::Error> {
        Ok(Again {
            sql: query.sql(),
            statement: query.statement().cloned(),
            arguments: query.take_arguments().map_err(sqlx::Error::Encode)?,
            persistent: super::persistent() && query.persistent(),
        })
    }

    fn again(&self) -> Self {
        Again {
            sql: self.sql,
            statement: self.statement.clone(),
            arguments: self.arguments.clone(),
            persistent: self.persistent,
        }
    }
}

impl<'q> Execute<'q, Postgres> for Again<'q> {
    fn sql(&self) -> &'q str {
        self.sql
    }

    fn statement(&self) -> Option<&PgStatement<'q>> {
        self.statement.as_ref()
    }

    fn take_arguments(&mut self) -> Result<Option<PgArguments>, BoxDynError> {
        Ok(self.arguments.take())
    }

    fn persistent(&self) -> bool {
        self.persistent
    }
}

/// Runs `query` in a transaction of its own on `pool`, begun by `begin`.
async fn run(pool: &PgPool, begin: &str, query: Again<'_>) -> Result<Rows, sqlx::Error> {
    let mut tx = pool.begin_with(begin.to_string()).await?;
    let rows: Rows = (&mut *tx).fetch_many(query).try_collect().await?;
    tx.commit().await?;
    Ok(rows)
}

/// A pool seen through one caller's scope.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    begin: Arc<str>,
    /// Where single statements (reads) go: a replica, else the primary.
    read: Option<ReadFrom>,
    /// The replicas, to read from when the primary is down.
    replicas: Option<Arc<Replicas>>,
    /// The caller's own last write (read-your-writes), for reads that do not
    /// go through this handle (the analytics frames).
    min_lsn: Option<u64>,
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
            replicas: None,
            min_lsn: None,
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
        self.min_lsn = min_lsn;
        self
    }

    /// The caller's own last write, when reads go to replicas.
    pub fn min_lsn(&self) -> Option<u64> {
        self.min_lsn
    }

    /// Whether reads go to a replica.
    pub fn reads_from_replica(&self) -> bool {
        self.read.is_some()
    }

    /// Runs one statement as a read: on the replica, or on the primary when
    /// the replica fails, whether at `BEGIN` or mid-way (stopped, restarted,
    /// PgBouncer dropping the server: 57P01, 08xxx, I/O); the replica is then
    /// skipped until the watcher sees it again; or the watcher sees the
    /// replica go while the read waits for it. A read changes nothing, so
    /// running it again on the primary is safe and the caller never sees
    /// the replica's failure.
    async fn read(&self, query: Again<'_>) -> Result<Rows, sqlx::Error> {
        if let Some(read) = &self.read {
            // Dropping the replica's attempt is safe: a read changes nothing,
            // and sqlx rolls back and tests (or closes) a connection dropped
            // mid-statement before the pool hands it out again.
            let attempt = tokio::select! {
                done = run(&read.pool, &self.begin, query.again()) => Some(done),
                () = read.replicas.gone(read.index) => None,
            };
            match attempt {
                Some(Err(e)) if crate::error::unavailable(&e) => {
                    read.replicas.mark_down(read.index, &e)
                }
                Some(done) => return done,
                None => read.replicas.count_fallback(),
            }
        }
        match run(&self.pool, &self.begin, query.again()).await {
            // The primary is down (restarting, failing over): a replica,
            // however far behind, answers a read better than an error.
            Err(e) if crate::error::unavailable(&e) => {
                let Some(replicas) = &self.replicas else {
                    return Err(e);
                };
                for pool in replicas.all() {
                    match run(&pool, &self.begin, query.again()).await {
                        Err(e) if crate::error::unavailable(&e) => continue,
                        done => return done,
                    }
                }
                Err(e)
            }
            done => done,
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
            let rows = self.read(Again::of(query)?).await?;
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
            let rows = self.read(Again::of(query)?).await?;
            Ok(rows.into_iter().find_map(|r| match r {
                Either::Right(row) => Some(row),
                Either::Left(_) => None,
            }))
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
