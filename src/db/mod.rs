//! The connection pool, migrations, and finding a PostgreSQL to use.

pub mod loader;
pub mod locate;
pub mod replicas;
pub mod scoped;

pub use scoped::Db;

use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{FromRow, PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set once a pool is opened for PgBouncer: from then on every statement of
/// this process is sent unnamed (see [`query`]).
static UNNAMED: AtomicBool = AtomicBool::new(false);

/// Whether statements are sent as named prepared statements.
///
/// sqlx sends a persistent statement as a NAMED prepared statement
/// (`sqlx_s_1`, `sqlx_s_2`, … counted per client connection) even with the
/// statement cache off, and never closes it. Behind PgBouncer in transaction
/// pooling mode two client connections share one server connection, so the
/// second `sqlx_s_1` fails with 42P05 (unless PgBouncer runs `DISCARD ALL`
/// after every transaction). An unnamed statement lives only until the next
/// Parse on the same server, which is inside the same transaction.
pub(crate) fn persistent() -> bool {
    !UNNAMED.load(Ordering::Relaxed)
}

/// `sqlx::query`, sent unnamed behind PgBouncer. Every statement of the
/// server is built here (or by [`query_as`], [`query_scalar`]): the one place
/// that decides how statements reach PostgreSQL, whatever executor (a pool,
/// a [`Db`], a transaction) runs them; a unit test below finds any other.
pub fn query(sql: &str) -> Query<'_, Postgres, PgArguments> {
    sqlx::query(sql).persistent(persistent())
}

/// `sqlx::query_as`, sent unnamed behind PgBouncer (see [`query`]).
pub fn query_as<'q, O>(sql: &'q str) -> QueryAs<'q, Postgres, O, PgArguments>
where
    O: for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_as(sql).persistent(persistent())
}

/// `sqlx::query_scalar`, sent unnamed behind PgBouncer (see [`query`]).
pub fn query_scalar<'q, O>(sql: &'q str) -> QueryScalar<'q, Postgres, O, PgArguments>
where
    (O,): for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_scalar(sql).persistent(persistent())
}

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
        UNNAMED.store(true, Ordering::Relaxed);
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

/// Applies every pending migration, then [`LOCK_DOWN`]: the privileges on
/// the database as a whole that a migration cannot keep.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await?;
    // One process at a time: two servers starting together would GRANT and
    // REVOKE on the same database at once, which PostgreSQL refuses ("tuple
    // concurrently updated"). The statements of one raw_sql call run as one
    // transaction, so the lock holds until they are done.
    let serialised =
        format!("SELECT pg_advisory_xact_lock(hashtext('tidtam.lock_down'));\n{LOCK_DOWN}");
    sqlx::raw_sql(&serialised).execute(pool).await?;
    Ok(())
}

/// No temporary tables nor large objects for roles that only read (the BI
/// role): a database's privileges are not copied with it (a template, a
/// restore), so they are set on every `migrate`, by name of the current
/// database (`format('%I', current_database())`). Idempotent; safe to run
/// on every start.
pub const LOCK_DOWN: &str = include_str!("sql/lock_down.sql");

/// Begins a transaction whose audit records name `actor`.
pub async fn begin_as(
    pool: &PgPool,
    actor: &str,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    query("SELECT set_config('tidtam.actor', $1, true)")
        .bind(actor)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    /// Every statement goes through `query`, `query_as` or `query_scalar`
    /// here: one built by sqlx's own functions would be a named prepared
    /// statement behind PgBouncer (42P05 on a shared server connection).
    #[test]
    fn statements_are_built_only_by_the_unnamed_helpers() {
        fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("src/ is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("db/mod.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    for (n, line) in text.lines().enumerate() {
                        for f in ["sqlx::query(", "sqlx::query_as(", "sqlx::query_scalar("] {
                            if line.contains(f) {
                                found.push(format!("{}:{}", path.display(), n + 1));
                            }
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert_eq!(found, Vec::<String>::new());
    }
}
