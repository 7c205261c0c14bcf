//! The connection pool, migrations, and finding a PostgreSQL to use.

pub mod loader;
pub mod locate;
pub mod replicas;
pub mod scoped;

pub use scoped::Db;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens a pool on `url`.
pub async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    connect_with(url, false).await
}

/// Opens a pool on `url`; `pgbouncer`: no statement cache, since PgBouncer in
/// transaction mode may give each transaction another server connection.
pub async fn connect_with(url: &str, pgbouncer: bool) -> Result<PgPool, sqlx::Error> {
    let mut options = PgConnectOptions::from_str(url)?.application_name("tidtam");
    if pgbouncer {
        options = options.statement_cache_capacity(0);
    }
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

/// The one text value of a query without parameters, sent by the simple query
/// protocol: a single message, so it is safe behind PgBouncer in transaction
/// mode without a transaction around it.
pub async fn simple_text(pool: &PgPool, sql: &'static str) -> Result<Option<String>, sqlx::Error> {
    use sqlx::Row;
    let row = sqlx::raw_sql(sql).fetch_one(pool).await?;
    row.try_get(0)
}

/// Applies every pending migration.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Begins a transaction whose audit records name `actor`.
pub async fn begin_as(
    pool: &PgPool,
    actor: &str,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('tidtam.actor', $1, true)")
        .bind(actor)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
