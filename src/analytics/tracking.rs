//! รายงานสถานะการทำงานของแต่ละ อปท.: the provincial tracking report — one
//! row per organisation, how far it got from plan to completion.

use super::frames::{Memo, Part, YearFrames};
use polars::prelude::*;
use std::collections::BTreeMap;

/// One organisation's row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrackingRow {
    pub organisation_id: i64,
    pub code: String,
    pub name: String,
    pub province_code: String,
    pub kind: String,
    /// วิธีบันทึก
    pub recording_done: bool,
    /// ยุทธศาสตร์
    pub strategies: i64,
    /// แผนพัฒนาท้องถิ่น: projects of the plan as approved, per plan year.
    pub plan_projects: BTreeMap<i32, i64>,
    /// อนุมัติแผน
    pub plan_approved: bool,
    /// โครงการที่เพิ่ม
    pub projects_added: i64,
    /// อนุมัติงบประมาณ
    pub budget_approved: i64,
    /// รายงานการดำเนินโครงการ
    pub reported: i64,
    /// ลงนามสัญญา
    pub contracted: i64,
    /// เบิกจ่ายแล้ว
    pub disbursed: i64,
    /// 100%
    pub fully_disbursed: i64,
    /// ดำเนินการเสร็จสิ้น
    pub completed: i64,
}

/// Sums over rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrackingTotals {
    pub organisations: i64,
    pub recording_done: i64,
    pub strategies: i64,
    pub plan_projects: BTreeMap<i32, i64>,
    pub plan_approved: i64,
    pub projects_added: i64,
    pub budget_approved: i64,
    pub reported: i64,
    pub contracted: i64,
    pub disbursed: i64,
    pub fully_disbursed: i64,
    pub completed: i64,
}

impl TrackingTotals {
    /// Adds up `rows`.
    pub fn of(rows: &[TrackingRow]) -> Self {
        let mut t = TrackingTotals::default();
        for r in rows {
            t.organisations += 1;
            t.recording_done += i64::from(r.recording_done);
            t.strategies += r.strategies;
            for (year, n) in &r.plan_projects {
                *t.plan_projects.entry(*year).or_default() += n;
            }
            t.plan_approved += i64::from(r.plan_approved);
            t.projects_added += r.projects_added;
            t.budget_approved += r.budget_approved;
            t.reported += r.reported;
            t.contracted += r.contracted;
            t.disbursed += r.disbursed;
            t.fully_disbursed += r.fully_disbursed;
            t.completed += r.completed;
        }
        t
    }
}

/// The tracking report.
#[derive(Clone, Debug)]
pub struct TrackingReport {
    pub rows: Vec<TrackingRow>,
    pub province_totals: TrackingTotals,
    pub national_totals: TrackingTotals,
}

/// Computes the report of one province (or all, with `None`), with the
/// national totals beside it.
pub fn compute(frames: &YearFrames, province: Option<&str>) -> PolarsResult<TrackingReport> {
    let national = national_rows(frames)?;
    let national_totals = TrackingTotals::of(&national);
    let rows: Vec<TrackingRow> = match province {
        Some(p) => national
            .iter()
            .filter(|r| r.province_code == p)
            .cloned()
            .collect(),
        None => national.to_vec(),
    };
    Ok(TrackingReport {
        province_totals: TrackingTotals::of(&rows),
        rows,
        national_totals,
    })
}

fn stage_sums() -> Vec<Expr> {
    let count = |c: &str, alias: &str| col(c).cast(DataType::Int64).sum().alias(alias);
    vec![
        len().cast(DataType::Int64).alias("budget_approved"),
        count("reported", "reported"),
        count("contracted", "contracted"),
        count("disbursed_any", "disbursed"),
        count("fully_disbursed", "fully_disbursed"),
        count("completed", "completed"),
    ]
}

const STAGES: [&str; 6] = [
    "budget_approved",
    "reported",
    "contracted",
    "disbursed",
    "fully_disbursed",
    "completed",
];

/// Every organisation's row, ordered by province and code: each province's
/// rows computed once per part (a patch recomputes the provinces it
/// touched), put together once per frames.
fn national_rows(frames: &YearFrames) -> PolarsResult<std::sync::Arc<Vec<TrackingRow>>> {
    Memo::get(&frames.memo.tracking, || {
        let mut all = Vec::with_capacity(frames.province_of.len());
        // Parts are keyed by province code, so in the report's order.
        for part in frames.parts.values() {
            let rows = Memo::get(&part.memo.tracking, || rows(part))?;
            all.extend(rows.iter().cloned());
        }
        Ok(all)
    })
}

/// The rows of a part's organisations, ordered by province and code.
fn rows(frames: &Part) -> PolarsResult<Vec<TrackingRow>> {
    let per_org = frames
        .facts
        .clone()
        .lazy()
        .group_by([col("organisation_id")])
        .agg(stage_sums());
    let orgs = frames.organisations.clone().lazy();
    let zeros: Vec<Expr> = STAGES
        .iter()
        .map(|s| col(*s).fill_null(lit(0i64)))
        .collect();
    let df = orgs
        .left_join(per_org, col("organisation_id"), col("organisation_id"))
        .with_columns(zeros)
        .sort(["province_code", "code"], SortMultipleOptions::default())
        .collect()?;
    let plan = plan_projects(frames);
    to_rows(&df, &plan)
}

/// Original plan projects per organisation and plan year.
fn plan_projects(frames: &Part) -> std::collections::HashMap<i64, BTreeMap<i32, i64>> {
    let mut out: std::collections::HashMap<i64, BTreeMap<i32, i64>> = Default::default();
    let df = &frames.plan_counts;
    let (Ok(org), Ok(year), Ok(n)) = (
        df.column("organisation_id").and_then(|c| c.i64()),
        df.column("plan_year").and_then(|c| c.i32()),
        df.column("projects").and_then(|c| c.i64()),
    ) else {
        return out;
    };
    for ((o, y), n) in org.iter().zip(year.iter()).zip(n.iter()) {
        if let (Some(o), Some(y), Some(n)) = (o, y, n) {
            out.entry(o).or_default().insert(y, n);
        }
    }
    out
}

fn to_rows(
    df: &DataFrame,
    plan: &std::collections::HashMap<i64, BTreeMap<i32, i64>>,
) -> PolarsResult<Vec<TrackingRow>> {
    let i64s = |name: &str| -> PolarsResult<Vec<i64>> {
        Ok(df
            .column(name)?
            .i64()?
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    };
    let strs = |name: &str| -> PolarsResult<Vec<String>> {
        Ok(df
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect())
    };
    let bools = |name: &str| -> PolarsResult<Vec<bool>> {
        Ok(df
            .column(name)?
            .bool()?
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect())
    };
    let (ids, codes, names, provinces, kinds) = (
        i64s("organisation_id")?,
        strs("code")?,
        strs("name")?,
        strs("province_code")?,
        strs("kind")?,
    );
    let (recording, approved) = (bools("recording_method_set")?, bools("plan_approved")?);
    let (strategies, added) = (i64s("strategies")?, i64s("projects_added")?);
    let stages: Vec<Vec<i64>> = STAGES
        .iter()
        .map(|s| i64s(s))
        .collect::<PolarsResult<_>>()?;
    Ok((0..df.height())
        .map(|i| TrackingRow {
            organisation_id: ids[i],
            code: codes[i].clone(),
            name: names[i].clone(),
            province_code: provinces[i].clone(),
            kind: kinds[i].clone(),
            recording_done: recording[i],
            strategies: strategies[i],
            plan_projects: plan.get(&ids[i]).cloned().unwrap_or_default(),
            plan_approved: approved[i],
            projects_added: added[i],
            budget_approved: stages[0][i],
            reported: stages[1][i],
            contracted: stages[2][i],
            disbursed: stages[3][i],
            fully_disbursed: stages[4][i],
            completed: stages[5][i],
        })
        .collect())
}
