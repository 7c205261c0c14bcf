//! `tidtam generate`: a deterministic synthetic dataset with the country's
//! shape — provinces of about 102 organisations in the national mix of
//! kinds, 75–365 plan projects per organisation and plan year, 40–230
//! approvals per fiscal year, monthly e-LAAS figures rising through the
//! year, reports and completions — for benchmarks and load tests.
//!
//! The few thousand rows of provinces, organisations and plans come from
//! set-based SQL (a seeded `random()`); the millions of projects, approvals,
//! figures and reports are drawn in Rust ([`shape`]) on a blocking thread
//! and streamed into PostgreSQL by COPY ([`tables`]), so drawing and loading
//! run on the two cores side by side. With a superuser the per-row triggers
//! (audit, checks) are switched off for the load (`session_replication_role
//! = replica`) and one audit row records the whole generation. It all
//! happens in one transaction: a failure leaves the database empty.

pub mod shape;
pub mod tables;

use crate::error::{AppError, AppResult};
use shape::{Plan, Years};
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use std::time::Instant;
use tables::{Ids, Table};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// One province of about 102 organisations.
    Province,
    /// 77 provinces, about 7,850 organisations.
    National,
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub scale: Scale,
    /// Fiscal years with approvals, from the plan's first year (2561) on.
    pub years: i32,
    pub seed: u32,
}

/// What the generator is doing, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// A step begins; `rows` is how many it will write (0: a small SQL step).
    Started { step: &'static str, rows: u64 },
    /// Rows written by the current step since the last event.
    Rows(u64),
    /// A step is done.
    Finished { step: &'static str, seconds: f64 },
}

/// The plan's first year; approvals start in its first year.
const FIRST_YEAR: i32 = 2561;
const ORGANISATIONS_PER_PROVINCE: i32 = 102;
/// COPY data is sent in messages of about this many bytes.
const CHUNK_BYTES: usize = 1 << 20;

const SQL_STEPS: [(&str, &str); 3] = [
    ("provinces", include_str!("sql/01_provinces.sql")),
    ("organisations", include_str!("sql/02_organisations.sql")),
    ("plans and strategies", include_str!("sql/03_plans.sql")),
];

/// Generates into an empty database, in one transaction; `events` hears of
/// each step and of the rows written.
pub async fn generate(
    pool: &PgPool,
    opts: Options,
    mut events: impl FnMut(Event) + Send,
) -> AppResult<()> {
    if !(1..=5).contains(&opts.years) {
        return Err(AppError::validation(
            "years",
            crate::error::codes::INVALID_INPUT,
            "จำนวนปีต้องอยู่ระหว่าง 1 ถึง 5",
            "must be 1 to 5",
        ));
    }
    let mut tx = crate::db::begin_as(pool, "generator").await?;
    prepare(&mut tx, opts.seed).await?;
    let provinces = match opts.scale {
        Scale::Province => 1,
        Scale::National => 77,
    };
    for (step, sql) in SQL_STEPS {
        let started = Instant::now();
        events(Event::Started { step, rows: 0 });
        let first = match step {
            "provinces" => provinces,
            "organisations" => ORGANISATIONS_PER_PROVINCE,
            _ => FIRST_YEAR,
        };
        run_statements(&mut tx, sql, first, opts.years).await?;
        events(Event::Finished {
            step,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let plans: Arc<Vec<Plan>> = Arc::new(read_plans(&mut tx).await?);
    let totals = count_rows(plans.clone(), opts).await?;
    for (table, rows) in Table::ALL.into_iter().zip(totals) {
        let started = Instant::now();
        events(Event::Started {
            step: table.name(),
            rows,
        });
        copy_table(&mut tx, table, plans.clone(), opts, &mut events).await?;
        events(Event::Finished {
            step: table.name(),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let started = Instant::now();
    events(Event::Started {
        step: "statistics",
        rows: 0,
    });
    finish(&mut tx, opts).await?;
    tx.commit().await?;
    events(Event::Finished {
        step: "statistics",
        seconds: started.elapsed().as_secs_f64(),
    });
    Ok(())
}

/// Refuses a database that holds data; switches per-row triggers off where
/// allowed; seeds SQL's `random()`.
async fn prepare(tx: &mut PgConnection, seed: u32) -> AppResult<()> {
    let existing: i64 = crate::db::query_scalar("SELECT count(*) FROM organisations")
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Err(AppError::validation(
            "database",
            crate::error::codes::INVALID_STATE,
            "สร้างข้อมูลจำลองได้เฉพาะในฐานข้อมูลว่าง",
            "generate into an empty database (point DATABASE_URL at a new one)",
        ));
    }
    let superuser: bool =
        crate::db::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut *tx)
            .await?;
    if superuser {
        crate::db::query("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await?;
    }
    // One worker, so the seeded random() draws in the same order every time.
    crate::db::query("SET LOCAL max_parallel_workers_per_gather = 0")
        .execute(&mut *tx)
        .await?;
    crate::db::query("SELECT setseed($1)")
        .bind(f64::from(seed % 1000) / 1000.0)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Runs a file of statements; `$1` and `$2`, where used, are `first` and the years.
async fn run_statements(
    tx: &mut PgConnection,
    sql: &str,
    first: i32,
    years: i32,
) -> Result<(), sqlx::Error> {
    for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let mut q = crate::db::query(statement);
        if statement.contains("$1") {
            q = q.bind(first);
        }
        if statement.contains("$2") {
            q = q.bind(years);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn read_plans(tx: &mut PgConnection) -> Result<Vec<Plan>, sqlx::Error> {
    let rows: Vec<(i64, i64, i32, Option<i64>)> =
        crate::db::query_as(include_str!("sql/plans.sql"))
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, organisation_id, first_year, amendment_id)| Plan {
            id,
            organisation_id,
            first_year,
            amendment_id,
        })
        .collect())
}

fn years(opts: Options) -> Years {
    Years {
        first_fiscal_year: FIRST_YEAR,
        count: opts.years,
    }
}

/// Rows per table, for the progress bar (drawing is cheap next to loading).
async fn count_rows(plans: Arc<Vec<Plan>>, opts: Options) -> AppResult<[u64; 6]> {
    let counted = tokio::task::spawn_blocking(move || {
        let mut totals = [0u64; 6];
        for plan in plans.iter() {
            let shape = shape::draw(opts.seed, plan, years(opts));
            for (total, table) in totals.iter_mut().zip(Table::ALL) {
                *total += table.rows(&shape);
            }
        }
        totals
    });
    counted.await.map_err(|e| AppError::Internal(e.into()))
}

/// Streams one table: a blocking thread draws the plans and writes COPY
/// text, this task sends it on.
async fn copy_table(
    tx: &mut PgConnection,
    table: Table,
    plans: Arc<Vec<Plan>>,
    opts: Options,
    events: &mut (impl FnMut(Event) + Send),
) -> AppResult<()> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(String, u64)>(4);
    let producer = tokio::task::spawn_blocking(move || produce(table, &plans, opts, sender));
    let mut copy = tx.copy_in_raw(table.copy_sql()).await?;
    while let Some((chunk, rows)) = receiver.recv().await {
        if let Err(e) = copy.send(chunk.into_bytes()).await {
            let _ = copy.abort("generation failed").await;
            return Err(e.into());
        }
        events(Event::Rows(rows));
    }
    copy.finish().await?;
    producer.await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(())
}

/// Draws every plan in order and sends its rows of `table` in chunks; stops
/// early when the receiver has gone (the COPY failed).
fn produce(
    table: Table,
    plans: &[Plan],
    opts: Options,
    sender: tokio::sync::mpsc::Sender<(String, u64)>,
) {
    let mut ids = Ids::default();
    let mut buffer = String::with_capacity(CHUNK_BYTES + (1 << 16));
    let mut rows = 0u64;
    for plan in plans {
        let shape = shape::draw(opts.seed, plan, years(opts));
        tables::write(table, plan, &shape, ids, &mut buffer);
        rows += table.rows(&shape);
        ids = ids.after(&shape);
        if buffer.len() >= CHUNK_BYTES {
            let full =
                std::mem::replace(&mut buffer, String::with_capacity(CHUNK_BYTES + (1 << 16)));
            if sender.blocking_send((full, rows)).is_err() {
                return;
            }
            rows = 0;
        }
    }
    if !buffer.is_empty() {
        let _ = sender.blocking_send((buffer, rows));
    }
}

/// With the triggers off, the identities, the change log and the audit log
/// are written here.
async fn finish(tx: &mut PgConnection, opts: Options) -> Result<(), sqlx::Error> {
    crate::db::query("SET LOCAL session_replication_role = origin")
        .execute(&mut *tx)
        .await?;
    run_statements(
        tx,
        include_str!("sql/04_finish.sql"),
        FIRST_YEAR,
        opts.years,
    )
    .await?;
    // A change to everything: servers read the generated data whole.
    crate::db::query(
        "INSERT INTO data_changes (organisation_id, source) VALUES (NULL, 'generate')",
    )
    .execute(&mut *tx)
    .await?;
    crate::db::query(
        "INSERT INTO audit_log (actor, table_name, row_key, action, after) \
         VALUES ('generator', 'generate', 'all', 'insert', $1)",
    )
    .bind(serde_json::json!({"scale": format!("{:?}", opts.scale), "years": opts.years, "seed": opts.seed}))
    .execute(&mut *tx)
    .await?;
    Ok(())
}
