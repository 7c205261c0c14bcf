//! `tidtam generate`: a deterministic synthetic dataset with the country's
//! shape — provinces of about 102 organisations in the national mix of
//! kinds, 75–365 plan projects per organisation and plan year, 40–230
//! approvals per fiscal year, quarterly e-LAAS figures rising through the
//! year, reports and completions — for benchmarks and load tests.
//!
//! The rows are generated inside PostgreSQL by set-based statements
//! (`generate_series`, a seeded `random()`), which is faster than sending
//! them; with a superuser the per-row triggers (audit, checks) are switched
//! off for the load (`session_replication_role = replica`) and one audit row
//! records the whole generation.

use crate::error::{AppError, AppResult};
use sqlx::PgPool;
use std::time::Instant;

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

/// The plan's first year; approvals start in its first year.
const FIRST_YEAR: i32 = 2561;
const ORGANISATIONS_PER_PROVINCE: i32 = 102;

const STEPS: [(&str, &str); 6] = [
    ("provinces", include_str!("sql/01_provinces.sql")),
    ("organisations", include_str!("sql/02_organisations.sql")),
    ("plans and strategies", include_str!("sql/03_plans.sql")),
    ("plan projects", include_str!("sql/04_projects.sql")),
    (
        "approvals and e-LAAS items",
        include_str!("sql/05_approvals.sql"),
    ),
    (
        "e-LAAS figures and reports",
        include_str!("sql/06_figures.sql"),
    ),
];

/// Generates into an empty database, in one transaction; `progress` is told
/// each step as it finishes.
pub async fn generate(
    pool: &PgPool,
    opts: Options,
    mut progress: impl FnMut(&str),
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
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM organisations")
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
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut *tx)
            .await?;
    if superuser {
        sqlx::query("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await?;
    }
    // One worker, so the seeded random() draws in the same order every time.
    sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT setseed($1)")
        .bind(f64::from(opts.seed % 1000) / 1000.0)
        .execute(&mut *tx)
        .await?;
    let provinces = match opts.scale {
        Scale::Province => 1,
        Scale::National => 77,
    };
    for (name, sql) in STEPS {
        let started = Instant::now();
        let first = if name == "provinces" {
            provinces
        } else {
            step_param(name)
        };
        for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            let mut q = sqlx::query(statement);
            if statement.contains("$1") {
                q = q.bind(first);
            }
            if statement.contains("$2") {
                q = q.bind(opts.years);
            }
            q.execute(&mut *tx).await?;
        }
        progress(&format!("{name}: {:.1} s", started.elapsed().as_secs_f64()));
    }
    finish(&mut tx, opts).await?;
    tx.commit().await?;
    Ok(())
}

/// The first parameter of a step: organisations per province, or a year.
fn step_param(step: &str) -> i32 {
    match step {
        "organisations" => ORGANISATIONS_PER_PROVINCE,
        _ => FIRST_YEAR,
    }
}

/// With the triggers off, the data version and the audit log are written here.
async fn finish(tx: &mut sqlx::PgConnection, opts: Options) -> Result<(), sqlx::Error> {
    sqlx::query("SET LOCAL session_replication_role = origin")
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE data_version SET version = version + 1")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO audit_log (actor, table_name, row_key, action, after) \
         VALUES ('generator', 'generate', 'all', 'insert', $1)",
    )
    .bind(serde_json::json!({"scale": format!("{:?}", opts.scale), "years": opts.years, "seed": opts.seed}))
    .execute(&mut *tx)
    .await?;
    Ok(())
}
