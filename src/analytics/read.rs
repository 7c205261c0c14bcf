//! Reading the frames from PostgreSQL: the whole year in one statement per
//! frame, or the rows of some organisations (the same statements narrowed,
//! for patches). Rows stream into column builders, a province's each, so a
//! load holds no copy of the year as Rust rows, and an approval's e-LAAS
//! figure is kept only in the months it changes (the aggregates carry each
//! figure forward to the months after it).

use super::frames::{column, FrameError, Globals, Part, SOURCES};
use futures_util::TryStreamExt;
use polars::prelude::*;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};

const FACTS: &str = include_str!("sql/facts.sql");
const ORGANISATIONS: &str = include_str!("sql/organisations.sql");
const PLAN_COUNTS: &str = include_str!("sql/plan_counts.sql");
const SNAPSHOTS: &str = include_str!("sql/snapshots.sql");

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

#[derive(sqlx::FromRow, Clone)]
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

/// A statement of the frames narrowed to the organisations (or approvals)
/// in `$2`: PostgreSQL pushes the condition down into the statement.
fn narrowed(sql: &str, column: &str) -> String {
    format!("SELECT * FROM ({sql}\n) narrowed WHERE narrowed.{column} = ANY($2)")
}

/// Reads the frames of `fiscal_year`, a part per province, of the
/// organisations `ids` only (a patch), in the caller's transaction, so in one
/// snapshot with whatever else it reads.
pub async fn read(
    tx: &mut PgConnection,
    fiscal_year: i32,
    ids: &[i64],
) -> Result<BTreeMap<String, Part>, FrameError> {
    let statement = |sql: &str| narrowed(sql, "organisation_id");
    let orgs = organisations(&mut *tx, &statement(ORGANISATIONS), fiscal_year, Some(ids)).await?;
    let counts = plan_counts(&mut *tx, &statement(PLAN_COUNTS), fiscal_year, Some(ids)).await?;
    let (facts, approvals) = facts(&mut *tx, &statement(FACTS), fiscal_year, Some(ids)).await?;
    let sql = narrowed(SNAPSHOTS, "approval_id");
    let snapshots = snapshots(&mut *tx, &sql, fiscal_year, Some(&approvals)).await?;
    finish(orgs, counts, facts, snapshots, false)
}

/// Reads the frames of `fiscal_year` whole, a part per province, in the
/// caller's transaction. One connection: behind a PgBouncer with a small
/// pool, transactions that import an exported snapshot can wait forever for
/// a server the exporting one holds (tests/topology.rs caught it).
pub async fn read_whole(
    tx: &mut PgConnection,
    fiscal_year: i32,
) -> Result<BTreeMap<String, Part>, FrameError> {
    let orgs = organisations(&mut *tx, ORGANISATIONS, fiscal_year, None).await?;
    let counts = plan_counts(&mut *tx, PLAN_COUNTS, fiscal_year, None).await?;
    let (facts, _) = facts(&mut *tx, FACTS, fiscal_year, None).await?;
    let figures = snapshots(&mut *tx, SNAPSHOTS, fiscal_year, None).await?;
    finish(orgs, counts, facts, figures, true)
}

async fn organisations(
    conn: &mut PgConnection,
    sql: &str,
    fiscal_year: i32,
    ids: Option<&[i64]>,
) -> Result<Vec<OrganisationRow>, FrameError> {
    Ok(crate::db::query_as(sql)
        .bind(fiscal_year)
        .bind(ids)
        .fetch_all(conn)
        .await?)
}

async fn plan_counts(
    conn: &mut PgConnection,
    sql: &str,
    fiscal_year: i32,
    ids: Option<&[i64]>,
) -> Result<Vec<(i64, i32, i64)>, FrameError> {
    Ok(crate::db::query_as(sql)
        .bind(fiscal_year)
        .bind(ids)
        .fetch_all(conn)
        .await?)
}

/// The facts by province, and the approvals read.
async fn facts(
    conn: &mut PgConnection,
    sql: &str,
    fiscal_year: i32,
    ids: Option<&[i64]>,
) -> Result<(BTreeMap<String, FactColumns>, Vec<i64>), FrameError> {
    let mut by_province: BTreeMap<String, FactColumns> = BTreeMap::new();
    let mut approvals = Vec::new();
    let mut rows = crate::db::query_as::<FactRow>(sql)
        .bind(fiscal_year)
        .bind(ids)
        .fetch(conn);
    while let Some(row) = rows.try_next().await? {
        if ids.is_some() {
            approvals.push(row.approval_id);
        }
        match by_province.get_mut(&row.province_code) {
            Some(columns) => columns.push(&row),
            None => {
                let mut columns = FactColumns::default();
                columns.push(&row);
                by_province.insert(row.province_code.clone(), columns);
            }
        }
    }
    Ok((by_province, approvals))
}

/// The monthly e-LAAS figures by province, of the approvals `approvals`
/// (all when none).
async fn snapshots(
    conn: &mut PgConnection,
    sql: &str,
    fiscal_year: i32,
    approvals: Option<&[i64]>,
) -> Result<BTreeMap<String, SnapshotColumns>, FrameError> {
    let mut by_province: BTreeMap<String, SnapshotColumns> = BTreeMap::new();
    let mut rows = crate::db::query_as::<(String, i64, i32, i64, i64)>(sql)
        .bind(fiscal_year)
        .bind(approvals)
        .fetch(conn);
    while let Some((province, approval, month, contract, disbursed)) = rows.try_next().await? {
        let figure = (approval, month, contract, disbursed);
        match by_province.get_mut(&province) {
            Some(columns) => columns.push(figure),
            None => {
                let mut columns = SnapshotColumns::default();
                columns.push(figure);
                by_province.insert(province, columns);
            }
        }
    }
    Ok(by_province)
}

/// The parts from what was read, each province's rows together. `whole`:
/// a database with no organisation yet still gets (empty) frames.
fn finish(
    orgs: Vec<OrganisationRow>,
    counts: Vec<(i64, i32, i64)>,
    mut facts: BTreeMap<String, FactColumns>,
    mut snapshots: BTreeMap<String, SnapshotColumns>,
    whole: bool,
) -> Result<BTreeMap<String, Part>, FrameError> {
    let mut parts: BTreeMap<String, PartBuilder> = BTreeMap::new();
    let mut province_of: HashMap<i64, String> = HashMap::new();
    for org in orgs {
        province_of.insert(org.organisation_id, org.province_code.clone());
        parts
            .entry(org.province_code.clone())
            .or_default()
            .organisations
            .push(org);
    }
    for count in counts {
        if let Some(province) = province_of.get(&count.0) {
            parts
                .entry(province.clone())
                .or_default()
                .plan_counts
                .push(count);
        }
    }
    for (province, part) in parts.iter_mut() {
        part.facts = facts.remove(province).unwrap_or_default();
        part.snapshots = snapshots.remove(province).unwrap_or_default();
    }
    if whole && parts.is_empty() {
        // No organisation yet: empty frames, with their columns.
        parts.insert(String::new(), PartBuilder::default());
    }
    // Each part is finished (and its builders freed) before the next.
    parts
        .into_iter()
        .map(|(province, part)| Ok((province, part.finish()?)))
        .collect()
}

/// Reads what the frames of `fiscal_year` hold for every organisation alike.
pub async fn globals(tx: &mut PgConnection, fiscal_year: i32) -> Result<Globals, FrameError> {
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
    Ok(Globals {
        weights,
        has_report_deadline,
        province_names: provinces.into_iter().collect(),
    })
}

/// The rows of one province as they are read.
#[derive(Default)]
struct PartBuilder {
    facts: FactColumns,
    organisations: Vec<OrganisationRow>,
    plan_counts: Vec<(i64, i32, i64)>,
    snapshots: SnapshotColumns,
}

impl PartBuilder {
    fn finish(self) -> PolarsResult<Part> {
        let (orgs, counts) = (&self.organisations, &self.plan_counts);
        Ok(Part {
            facts: self.facts.finish()?,
            organisations: DataFrame::new_infer_height(vec![
                column!(orgs, "organisation_id", organisation_id),
                column!(orgs, "code", code),
                column!(orgs, "name", name),
                column!(orgs, "province_code", province_code),
                column!(orgs, "kind", kind),
                column!(orgs, "recording_method_set", recording_method_set),
                column!(orgs, "plan_approved", plan_approved),
                column!(orgs, "plan_first_year", plan_first_year),
                column!(orgs, "strategies", strategies),
                column!(orgs, "projects_added", projects_added),
            ])?,
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
            snapshots: self.snapshots.finish()?,
            memo: Default::default(),
        })
    }
}

/// The facts frame's columns, filled a row at a time (text straight into
/// polars' own string arrays: a year's rows are never held as Rust strings).
struct FactColumns {
    /// approval_id, organisation_id, amount, budget, contract, disbursed,
    /// remaining, then the sources in the order of [`SOURCES`].
    money: [Vec<i64>; 7 + SOURCES.len()],
    /// province_code, kind, sector, activity_type, master_plan, sub_plan.
    text: [StringChunkedBuilder; 6],
    /// linked, reported, contracted, disbursed_any, fully_disbursed,
    /// completed, on_time.
    flags: [Vec<bool>; 7],
}

impl Default for FactColumns {
    fn default() -> Self {
        FactColumns {
            money: Default::default(),
            text: TEXT.map(|name| StringChunkedBuilder::new(name.into(), 0)),
            flags: Default::default(),
        }
    }
}

const MONEY: [&str; 7] = [
    "approval_id",
    "organisation_id",
    "amount",
    "budget",
    "contract",
    "disbursed",
    "remaining",
];
const TEXT: [&str; 6] = [
    "province_code",
    "kind",
    "sector",
    "activity_type",
    "master_plan",
    "sub_plan",
];
const FLAGS: [&str; 7] = [
    "linked",
    "reported",
    "contracted",
    "disbursed_any",
    "fully_disbursed",
    "completed",
    "on_time",
];

impl FactColumns {
    fn push(&mut self, r: &FactRow) {
        let money = [
            r.approval_id,
            r.organisation_id,
            r.amount,
            r.budget,
            r.contract,
            r.disbursed,
            r.remaining,
        ];
        for (column, value) in self.money.iter_mut().zip(money) {
            column.push(value);
        }
        for (i, column) in self.money[MONEY.len()..].iter_mut().enumerate() {
            column.push(r.sources.get(i).copied().unwrap_or(0));
        }
        let text = [
            &r.province_code,
            &r.kind,
            &r.sector,
            &r.activity_type,
            &r.master_plan,
            &r.sub_plan,
        ];
        for (column, value) in self.text.iter_mut().zip(text) {
            column.append_value(value);
        }
        let flags = [
            r.linked,
            r.reported,
            r.contracted,
            r.disbursed_any,
            r.fully_disbursed,
            r.completed,
            r.on_time,
        ];
        for (column, value) in self.flags.iter_mut().zip(flags) {
            column.push(value);
        }
    }

    /// The columns in the frame's order (the facts export writes them so).
    fn finish(self) -> PolarsResult<DataFrame> {
        let FactColumns { money, text, flags } = self;
        let mut money: Vec<Column> = money
            .into_iter()
            .zip(
                MONEY
                    .iter()
                    .map(|n| n.to_string())
                    .chain(SOURCES.iter().map(|s| format!("src_{s}"))),
            )
            .map(|(values, name)| Column::new(name.into(), exact(values)))
            .collect();
        let sources = money.split_off(MONEY.len());
        let mut flags: Vec<Column> = FLAGS
            .iter()
            .zip(flags)
            .map(|(name, values)| Column::new((*name).into(), values))
            .collect();
        let text = text.into_iter().map(|b| b.finish().into_column());
        let rest_flags = flags.split_off(1);
        let mut columns: Vec<Column> = money[..2].to_vec();
        columns.extend(text);
        columns.push(money[2].clone()); // amount
        columns.extend(flags); // linked
        columns.extend(money[3..].iter().cloned()); // budget … remaining
        columns.extend(rest_flags);
        columns.extend(sources);
        DataFrame::new_infer_height(columns)
    }
}

/// The e-LAAS figures frame, keeping a row only where an approval's figures
/// change from the month before (rows come ordered by approval and month).
#[derive(Default)]
struct SnapshotColumns {
    approval_id: Vec<i64>,
    month: Vec<i32>,
    contract: Vec<i64>,
    disbursed: Vec<i64>,
}

impl SnapshotColumns {
    fn push(&mut self, (approval, month, contract, disbursed): (i64, i32, i64, i64)) {
        let n = self.approval_id.len();
        let same = n > 0
            && self.approval_id[n - 1] == approval
            && self.contract[n - 1] == contract
            && self.disbursed[n - 1] == disbursed;
        if !same {
            self.approval_id.push(approval);
            self.month.push(month);
            self.contract.push(contract);
            self.disbursed.push(disbursed);
        }
    }

    fn finish(self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            Column::new("approval_id".into(), exact(self.approval_id)),
            Column::new("month".into(), exact(self.month)),
            Column::new("contract".into(), exact(self.contract)),
            Column::new("disbursed".into(), exact(self.disbursed)),
        ])
    }
}

/// A column's values with no spare capacity: polars keeps a vector's whole
/// allocation as the column's buffer, and one grown by doubling holds up to
/// twice what it needs for as long as the frames live.
fn exact<T>(mut values: Vec<T>) -> Vec<T> {
    values.shrink_to_fit();
    values
}
