//! Loading the frames of a fiscal year from PostgreSQL, in bulk: one
//! statement per frame, rows turned into columns.

use polars::prelude::*;
use sqlx::PgPool;

/// The funding sources, in the order of the `sources` array of facts.sql.
pub const SOURCES: [&str; 9] = [
    "GENERAL_SUBSIDY",
    "PURPOSE_SUBSIDY",
    "GOVERNMENT_SUBSIDY",
    "SPECIFIC_SUBSIDY",
    "OWN_REVENUE",
    "OTHER_REVENUE",
    "ACCUMULATED_FUNDS",
    "ACCUMULATED_RESERVE",
    "UNKNOWN",
];

/// The Thai name of a funding source (แหล่งเงิน), as the manual's form and
/// [`crate::budget::graphql::FundingSource`] name it.
pub fn source_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "GENERAL_SUBSIDY" => "เงินอุดหนุนทั่วไป",
        "PURPOSE_SUBSIDY" => "เงินอุดหนุนแบบมีวัตถุประสงค์",
        "GOVERNMENT_SUBSIDY" => "เงินอุดหนุนจากรัฐบาล",
        "SPECIFIC_SUBSIDY" => "เงินอุดหนุนเฉพาะกิจ",
        "OWN_REVENUE" => "รายได้จัดเก็บเอง",
        "OTHER_REVENUE" => "รายได้อื่น ๆ",
        "ACCUMULATED_FUNDS" => "เงินสะสม",
        "ACCUMULATED_RESERVE" => "เงินทุนสำรองสะสม",
        "UNKNOWN" => "ไม่ทราบแหล่งที่มา",
        _ => return None,
    })
}

/// Everything the aggregates of one fiscal year are computed from.
pub struct YearFrames {
    pub fiscal_year: i32,
    /// The data version the frames were built at.
    pub version: i64,
    /// One row per budget approval (see facts.sql).
    pub facts: DataFrame,
    /// One row per organisation with its plan for the year.
    pub organisations: DataFrame,
    /// Original plan projects per organisation and plan year.
    pub plan_counts: DataFrame,
    /// Newest e-LAAS figures per approval and month of the year.
    pub snapshots: DataFrame,
    /// Weights of the performance score's components.
    pub weights: Vec<(String, f64)>,
    /// Whether the year has a report-submission deadline (for timeliness).
    pub has_report_deadline: bool,
    /// Province names by code.
    pub province_names: std::collections::HashMap<String, String>,
}

#[derive(sqlx::FromRow)]
struct FactRow {
    approval_id: i64,
    organisation_id: i64,
    province_code: String,
    kind: String,
    sector: String,
    activity_type: String,
    master_plan: String,
    sub_plan: String,
    amount: i64,
    sources: Vec<i64>,
    linked: bool,
    budget: i64,
    contract: i64,
    disbursed: i64,
    remaining: i64,
    reported: bool,
    contracted: bool,
    disbursed_any: bool,
    fully_disbursed: bool,
    completed: bool,
    on_time: bool,
}

#[derive(sqlx::FromRow)]
struct OrganisationRow {
    organisation_id: i64,
    code: String,
    name: String,
    province_code: String,
    kind: String,
    recording_method_set: bool,
    plan_approved: bool,
    plan_first_year: i32,
    strategies: i64,
    projects_added: i64,
}

/// Why frames could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("loading the frames: {0}")]
    Database(#[from] sqlx::Error),
    #[error("building the frames: {0}")]
    Polars(#[from] PolarsError),
}

/// Loads the frames of `fiscal_year` in one read-only snapshot, stamped with
/// the data version of that snapshot (so never newer than what they hold).
pub async fn load(pool: &PgPool, fiscal_year: i32) -> Result<YearFrames, FrameError> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let version: i64 = crate::db::query_scalar("SELECT version FROM data_version")
        .fetch_one(&mut *tx)
        .await?;
    let facts: Vec<FactRow> = crate::db::query_as(include_str!("sql/facts.sql"))
        .bind(fiscal_year)
        .fetch_all(&mut *tx)
        .await?;
    let orgs: Vec<OrganisationRow> = crate::db::query_as(include_str!("sql/organisations.sql"))
        .bind(fiscal_year)
        .fetch_all(&mut *tx)
        .await?;
    let counts: Vec<(i64, i32, i64)> = crate::db::query_as(include_str!("sql/plan_counts.sql"))
        .bind(fiscal_year)
        .fetch_all(&mut *tx)
        .await?;
    let snapshots: Vec<(i64, i32, i64, i64)> =
        crate::db::query_as(include_str!("sql/snapshots.sql"))
            .bind(fiscal_year)
            .fetch_all(&mut *tx)
            .await?;
    let weights: Vec<(String, f64)> = crate::db::query_as(include_str!("sql/weights.sql"))
        .fetch_all(&mut *tx)
        .await?;
    let has_report_deadline: bool = crate::db::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM reporting_deadlines WHERE fiscal_year = $1 AND stage = 'report_submission')",
    )
    .bind(fiscal_year)
    .fetch_one(&mut *tx)
    .await?;
    let provinces: Vec<(String, String)> =
        crate::db::query_as("SELECT code, name_th FROM provinces")
            .fetch_all(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(YearFrames {
        fiscal_year,
        version,
        facts: facts_frame(&facts)?,
        organisations: organisations_frame(&orgs)?,
        plan_counts: DataFrame::new_infer_height(vec![
            Column::new(
                "organisation_id".into(),
                counts.iter().map(|c| c.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "plan_year".into(),
                counts.iter().map(|c| c.1).collect::<Vec<_>>(),
            ),
            Column::new(
                "projects".into(),
                counts.iter().map(|c| c.2).collect::<Vec<_>>(),
            ),
        ])?,
        snapshots: DataFrame::new_infer_height(vec![
            Column::new(
                "approval_id".into(),
                snapshots.iter().map(|s| s.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "month".into(),
                snapshots.iter().map(|s| s.1).collect::<Vec<_>>(),
            ),
            Column::new(
                "contract".into(),
                snapshots.iter().map(|s| s.2).collect::<Vec<_>>(),
            ),
            Column::new(
                "disbursed".into(),
                snapshots.iter().map(|s| s.3).collect::<Vec<_>>(),
            ),
        ])?,
        weights,
        has_report_deadline,
        province_names: provinces.into_iter().collect(),
    })
}

/// Shorthand for a column from a field of every row.
macro_rules! column {
    ($rows:expr, $name:literal, $field:ident) => {
        Column::new(
            $name.into(),
            $rows.iter().map(|r| r.$field.clone()).collect::<Vec<_>>(),
        )
    };
}
pub(crate) use column;

fn facts_frame(rows: &[FactRow]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        column!(rows, "approval_id", approval_id),
        column!(rows, "organisation_id", organisation_id),
        column!(rows, "province_code", province_code),
        column!(rows, "kind", kind),
        column!(rows, "sector", sector),
        column!(rows, "activity_type", activity_type),
        column!(rows, "master_plan", master_plan),
        column!(rows, "sub_plan", sub_plan),
        column!(rows, "amount", amount),
        column!(rows, "linked", linked),
        column!(rows, "budget", budget),
        column!(rows, "contract", contract),
        column!(rows, "disbursed", disbursed),
        column!(rows, "remaining", remaining),
        column!(rows, "reported", reported),
        column!(rows, "contracted", contracted),
        column!(rows, "disbursed_any", disbursed_any),
        column!(rows, "fully_disbursed", fully_disbursed),
        column!(rows, "completed", completed),
        column!(rows, "on_time", on_time),
    ];
    for (i, source) in SOURCES.iter().enumerate() {
        let values: Vec<i64> = rows
            .iter()
            .map(|r| r.sources.get(i).copied().unwrap_or(0))
            .collect();
        columns.push(Column::new(format!("src_{source}").into(), values));
    }
    DataFrame::new_infer_height(columns)
}

fn organisations_frame(rows: &[OrganisationRow]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        column!(rows, "organisation_id", organisation_id),
        column!(rows, "code", code),
        column!(rows, "name", name),
        column!(rows, "province_code", province_code),
        column!(rows, "kind", kind),
        column!(rows, "recording_method_set", recording_method_set),
        column!(rows, "plan_approved", plan_approved),
        column!(rows, "plan_first_year", plan_first_year),
        column!(rows, "strategies", strategies),
        column!(rows, "projects_added", projects_added),
    ])
}
