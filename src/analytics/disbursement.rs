//! Budget, contract, disbursed and remaining grouped by any dimensions, with
//! disbursement percentages; the rates of reporting, linking, contracting and
//! completion; and their month-by-month curves from the e-LAAS history.

use super::frames::{YearFrames, SOURCES};
use super::percent;
use async_graphql::Enum;
use polars::prelude::*;
use std::collections::HashSet;

/// What an aggregate can be grouped by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// จังหวัด
    Province,
    /// อบจ., เทศบาล, อบต., …
    OrganisationKind,
    /// อปท.
    Organisation,
    /// ด้าน
    Sector,
    /// ประเภทกิจกรรม
    ActivityType,
    /// แหล่งเงิน: an approval's budget, contract, disbursed and remaining
    /// are shared among its sources in proportion to their amounts, to the
    /// satang by largest remainder, so the groups add up to the totals.
    FundingSource,
    /// แผนแม่บท of the report's master-plan goal ("" when not linked)
    MasterPlan,
    /// แผนย่อย of the report's sub-plan goal ("" when not linked)
    SubPlan,
    /// Month of the fiscal year (figures as of its end, from the e-LAAS history)
    Month,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::Province => "province_code",
            Dimension::OrganisationKind => "kind",
            Dimension::Organisation => "organisation_id",
            Dimension::Sector => "sector",
            Dimension::ActivityType => "activity_type",
            Dimension::FundingSource => "funding_source",
            Dimension::MasterPlan => "master_plan",
            Dimension::SubPlan => "sub_plan",
            Dimension::Month => "month",
        }
    }
}

/// One group's figures; money in satang.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The value of each dimension grouped by, in order, as text.
    pub key: Vec<String>,
    pub approvals: i64,
    pub budget: i64,
    pub contract: i64,
    pub disbursed: i64,
    pub remaining: i64,
}

impl Group {
    /// Disbursed as a percentage of the budget.
    pub fn pct_of_budget(&self) -> Option<f64> {
        percent(self.disbursed as f64, self.budget as f64)
    }

    /// Disbursed as a percentage of the contract amount.
    pub fn pct_of_contract(&self) -> Option<f64> {
        percent(self.disbursed as f64, self.contract as f64)
    }
}

/// The facts, narrowed to `ids` when a filter chose them.
fn facts(frames: &YearFrames, ids: Option<&HashSet<i64>>) -> PolarsResult<DataFrame> {
    of_approvals(&frames.facts, ids)
}

/// The rows of `df` whose approval is in `ids` (all when none).
fn of_approvals(df: &DataFrame, ids: Option<&HashSet<i64>>) -> PolarsResult<DataFrame> {
    let Some(ids) = ids else {
        return Ok(df.clone());
    };
    let mask: BooleanChunked = df
        .column("approval_id")?
        .i64()?
        .iter()
        .map(|id| id.is_some_and(|id| ids.contains(&id)))
        .collect();
    df.filter(&mask)
}

/// One row per approval and funding source with a non-zero amount (or on
/// UNKNOWN when no source has one), with the approval's budget, contract,
/// disbursed and remaining shared among its sources by
/// [`super::split::split`], so that the parts add up to the approval's
/// figures exactly.
fn by_source(facts: DataFrame) -> PolarsResult<LazyFrame> {
    let weights: Vec<Vec<i64>> = SOURCES
        .iter()
        .map(|s| money_column(&facts, &format!("src_{s}")))
        .collect::<PolarsResult<_>>()?;
    let wholes: Vec<Vec<i64>> = ["budget", "contract", "disbursed", "remaining"]
        .iter()
        .map(|c| money_column(&facts, c))
        .collect::<PolarsResult<_>>()?;
    // shares[figure][source][row]
    let mut shares = vec![vec![vec![0i64; facts.height()]; SOURCES.len()]; wholes.len()];
    let mut row_weights = vec![0i64; SOURCES.len()];
    for row in 0..facts.height() {
        for (k, w) in weights.iter().enumerate() {
            row_weights[k] = w[row];
        }
        for (f, whole) in wholes.iter().enumerate() {
            for (k, part) in super::split::split(whole[row], &row_weights)
                .into_iter()
                .enumerate()
            {
                shares[f][k][row] = part;
            }
        }
    }
    let none_set: Vec<bool> = (0..facts.height())
        .map(|row| weights.iter().all(|w| w[row] <= 0))
        .collect();
    let mut parts = Vec::with_capacity(SOURCES.len());
    for (k, s) in SOURCES.iter().enumerate() {
        let last = k + 1 == SOURCES.len();
        let keep: BooleanChunked = (0..facts.height())
            .map(|row| weights[k][row] > 0 || (last && none_set[row]))
            .collect();
        let mut df = facts.clone();
        for (f, name) in ["budget", "contract", "disbursed", "remaining"]
            .iter()
            .enumerate()
        {
            df.with_column(Column::new(
                (*name).into(),
                std::mem::take(&mut shares[f][k]),
            ))?;
        }
        df.with_column(Column::new(
            "funding_source".into(),
            vec![s.to_string(); facts.height()],
        ))?;
        parts.push(df.filter(&keep)?.lazy());
    }
    concat(parts, UnionArgs::default())
}

/// A money column (satang) as plain numbers, nulls as 0.
fn money_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    Ok(df
        .column(name)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

/// Calls `f(approval, month, contract, disbursed)` for every monthly figure
/// of the approvals `only` (all when none), in the frame's order: by
/// approval, then month (snapshots.sql).
fn each_figure(
    frames: &YearFrames,
    only: Option<&HashSet<i64>>,
    mut f: impl FnMut(i64, usize, i64, i64),
) -> PolarsResult<()> {
    let s = &frames.snapshots;
    let ids = s.column("approval_id")?.i64()?;
    let months = s.column("month")?.i32()?;
    let contract = s.column("contract")?.i64()?;
    let disbursed = s.column("disbursed")?.i64()?;
    for (((id, m), c), d) in ids
        .iter()
        .zip(months.iter())
        .zip(contract.iter())
        .zip(disbursed.iter())
    {
        let (Some(id), Some(m), Some(c), Some(d)) = (id, m, c, d) else {
            continue;
        };
        let Ok(m) = usize::try_from(m) else { continue };
        if m < 12 && only.is_none_or(|only| only.contains(&id)) {
            f(id, m, c, d);
        }
    }
    Ok(())
}

/// The month-by-month totals of the approvals `only` (all when none), in one
/// pass over the figures and no per-approval table: each figure counts from
/// its month until the approval's next one.
fn curve(frames: &YearFrames, only: Option<&HashSet<i64>>) -> PolarsResult<Vec<MonthPoint>> {
    let mut points: Vec<MonthPoint> = (0..12)
        .map(|month| MonthPoint {
            month,
            contracted: 0,
            contract: 0,
            disbursed: 0,
        })
        .collect();
    let mut add = |from: usize, to: usize, c: i64, d: i64| {
        for point in &mut points[from..to] {
            point.contracted += i64::from(c > 0);
            point.contract += c;
            point.disbursed += d;
        }
    };
    let mut held: Option<(i64, usize, i64, i64)> = None;
    each_figure(frames, only, |id, m, c, d| {
        if let Some((held_id, from, hc, hd)) = held {
            add(from, if held_id == id { m } else { 12 }, hc, hd);
        }
        held = Some((id, m, c, d));
    })?;
    if let Some((_, from, c, d)) = held {
        add(from, 12, c, d);
    }
    Ok(points)
}

/// The facts with contract, disbursed and remaining as of the end of month
/// `m`: each approval's newest figures of a month up to `m` (carried forward;
/// none yet: zero). polars does it a month at a time in a few tens of MB;
/// a table of every approval's twelve months took hundreds nationally.
fn as_of_month(facts: &DataFrame, figures: &DataFrame, m: usize) -> PolarsResult<DataFrame> {
    let month = i32::try_from(m).unwrap_or(i32::MAX);
    // Within a group polars keeps the rows' order: by month (snapshots.sql).
    let newest = figures
        .clone()
        .lazy()
        .filter(col("month").lt_eq(lit(month)))
        .group_by([col("approval_id")])
        .agg([col("contract").last(), col("disbursed").last()]);
    facts
        .clone()
        .lazy()
        .drop(cols(["contract", "disbursed", "remaining"]))
        .join(
            newest,
            [col("approval_id")],
            [col("approval_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("contract").fill_null(lit(0i64)),
            col("disbursed").fill_null(lit(0i64)),
            lit(month).alias("month"),
        ])
        .with_column((col("budget") - col("disbursed")).alias("remaining"))
        .collect()
}

/// Groups the (filtered) facts by `dims` and sums the money.
pub fn grouped(
    frames: &YearFrames,
    dims: &[Dimension],
    ids: Option<&HashSet<i64>>,
) -> PolarsResult<Vec<Group>> {
    let base = facts(frames, ids)?;
    let sum = |df: DataFrame| -> PolarsResult<Vec<Group>> {
        let lf = if dims.contains(&Dimension::FundingSource) {
            by_source(df)?
        } else {
            df.lazy()
        };
        sum_by(lf, dims)
    };
    let mut groups = Vec::new();
    if dims.contains(&Dimension::Month) {
        // A month at a time: twelve copies of the facts' money at once were
        // a few hundred MB nationally.
        let figures = of_approvals(&frames.snapshots, ids)?;
        for m in 0..12 {
            groups.extend(sum(as_of_month(&base, &figures, m)?)?);
        }
    } else {
        groups.extend(sum(base)?);
    }
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(groups)
}

fn sum_by(lf: LazyFrame, dims: &[Dimension]) -> PolarsResult<Vec<Group>> {
    let keys: Vec<Expr> = dims
        .iter()
        .map(|d| col(d.column()).cast(DataType::String))
        .collect();
    let money = |c: &str| col(c).sum().alias(c);
    let aggs = vec![
        len().cast(DataType::Int64).alias("approvals"),
        money("budget"),
        money("contract"),
        money("disbursed"),
        money("remaining"),
    ];
    let df = if keys.is_empty() {
        lf.select(aggs).collect()?
    } else {
        lf.group_by(keys).agg(aggs).collect()?
    };
    let key_cols: Vec<Vec<String>> = dims
        .iter()
        .map(|d| -> PolarsResult<Vec<String>> {
            Ok(df
                .column(d.column())?
                .str()?
                .iter()
                .map(|v| v.unwrap_or("").to_string())
                .collect())
        })
        .collect::<PolarsResult<_>>()?;
    let num = |c: &str| -> PolarsResult<Vec<i64>> {
        Ok(df
            .column(c)?
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    };
    let (n, budget, contract, disbursed, remaining) = (
        num("approvals")?,
        num("budget")?,
        num("contract")?,
        num("disbursed")?,
        num("remaining")?,
    );
    Ok((0..df.height())
        .map(|i| Group {
            key: key_cols.iter().map(|k| k[i].clone()).collect(),
            approvals: n[i],
            budget: budget[i],
            contract: contract[i],
            disbursed: disbursed[i],
            remaining: remaining[i],
        })
        .filter(|g| g.approvals > 0)
        .collect())
}

/// How many approvals reached each stage, and the share of money disbursed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rates {
    pub approvals: i64,
    pub reported: i64,
    pub linked: i64,
    pub contracted: i64,
    pub completed: i64,
    pub budget: i64,
    pub disbursed: i64,
}

/// One month's point of the curves.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthPoint {
    /// 0 = October … 11 = September.
    pub month: usize,
    pub contracted: i64,
    pub contract: i64,
    pub disbursed: i64,
}

/// The rates of the (filtered) facts, and their month-by-month curve.
pub fn rates(
    frames: &YearFrames,
    ids: Option<&HashSet<i64>>,
) -> PolarsResult<(Rates, Vec<MonthPoint>)> {
    let base = facts(frames, ids)?;
    let count = |c: &str| col(c).cast(DataType::Int64).sum().alias(c);
    let df = base
        .clone()
        .lazy()
        .select([
            len().cast(DataType::Int64).alias("approvals"),
            count("reported"),
            count("linked"),
            count("contracted"),
            count("completed"),
            col("budget").sum().alias("budget"),
            col("disbursed").sum().alias("disbursed"),
        ])
        .collect()?;
    let get = |c: &str| -> PolarsResult<i64> {
        Ok(df
            .column(c)?
            .cast(&DataType::Int64)?
            .i64()?
            .get(0)
            .unwrap_or(0))
    };
    let rates = Rates {
        approvals: get("approvals")?,
        reported: get("reported")?,
        linked: get("linked")?,
        contracted: get("contracted")?,
        completed: get("completed")?,
        budget: get("budget")?,
        disbursed: get("disbursed")?,
    };
    let curve = curve(frames, ids)?;
    Ok((rates, curve))
}
