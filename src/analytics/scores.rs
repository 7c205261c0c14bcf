//! Performance scores: per organisation, documented components (each a share
//! from 0 to 1), weighted by weights an administrator sets, with ranks in the
//! province and the nation. See docs/performance-score.md.

use super::frames::{Memo, Part, YearFrames};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use polars::prelude::*;
use std::collections::HashMap;

/// The components, in the order they are shown.
pub const COMPONENTS: [&str; 6] = [
    "plan_to_budget",
    "reporting",
    "elaas_link",
    "disbursement",
    "completion",
    "timeliness",
];

/// One organisation's score.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub organisation_id: i64,
    pub code: String,
    pub name: String,
    pub province_code: String,
    /// Each component's value (0–1), none where it cannot be measured.
    pub components: Vec<(&'static str, Option<f64>)>,
    /// 0–100, none when no component can be measured; rounded to two
    /// decimals, for showing.
    pub score: Option<f64>,
    /// The score as an exact fraction (0–1), which ranks are taken on.
    pub exact: Option<BigRational>,
    pub rank_in_province: Option<i64>,
    pub rank_in_nation: Option<i64>,
}

/// Scores of every organisation, best first; ranks over the whole country.
/// Each province's scores are computed once per part (a patch recomputes
/// the provinces it touched), ranked once per frames.
pub fn compute(frames: &YearFrames) -> PolarsResult<Vec<Score>> {
    let ranked = Memo::get(&frames.memo.scores, || {
        let mut all = Vec::with_capacity(frames.province_of.len());
        for part in frames.parts.values() {
            let scores = Memo::get(&part.memo.scores, || unranked(frames, part))?;
            all.extend(scores.iter().cloned());
        }
        rank(&mut all);
        Ok(all)
    })?;
    Ok(ranked.to_vec())
}

/// The scores of a part's organisations, without ranks (the weights and the
/// deadline are the year's).
fn unranked(year: &YearFrames, frames: &Part) -> PolarsResult<Vec<Score>> {
    let count = |c: &str| col(c).cast(DataType::Int64).sum().alias(c);
    let per_org = frames
        .facts
        .clone()
        .lazy()
        .group_by([col("organisation_id")])
        .agg([
            len().cast(DataType::Int64).alias("approved"),
            count("reported"),
            count("linked"),
            count("completed"),
            count("on_time"),
            col("budget").sum().alias("budget"),
            col("disbursed").sum().alias("disbursed"),
        ]);
    let planned = frames
        .plan_counts
        .clone()
        .lazy()
        .filter(col("plan_year").eq(lit(year.fiscal_year)))
        .select([col("organisation_id"), col("projects").alias("planned")]);
    let zero = |c: &str| col(c).fill_null(lit(0i64));
    let df = frames
        .organisations
        .clone()
        .lazy()
        .left_join(per_org, col("organisation_id"), col("organisation_id"))
        .left_join(planned, col("organisation_id"), col("organisation_id"))
        .with_columns([
            zero("approved"),
            zero("reported"),
            zero("linked"),
            zero("completed"),
            zero("on_time"),
            zero("budget"),
            zero("disbursed"),
            zero("planned"),
        ])
        .with_columns([
            share(
                col("approved"),
                col("planned") + col("projects_added"),
                true,
            )
            .alias("plan_to_budget"),
            share(col("reported"), col("approved"), false).alias("reporting"),
            share(col("linked"), col("approved"), false).alias("elaas_link"),
            share(col("disbursed"), col("budget"), true).alias("disbursement"),
            share(col("completed"), col("approved"), false).alias("completion"),
            if year.has_report_deadline {
                share(col("on_time"), col("reported"), false)
            } else {
                lit(NULL).cast(DataType::Float64)
            }
            .alias("timeliness"),
        ])
        .collect()?;
    to_scores(&df, &year.weights, year.has_report_deadline)
}

/// part / whole as a float (capped at 1 when `cap`), null when whole is 0.
fn share(part: Expr, whole: Expr, cap: bool) -> Expr {
    let ratio = part.cast(DataType::Float64) / whole.clone().cast(DataType::Float64);
    let ratio = if cap {
        when(ratio.clone().gt(lit(1.0)))
            .then(lit(1.0))
            .otherwise(ratio)
    } else {
        ratio
    };
    when(whole.gt(lit(0i64)))
        .then(ratio)
        .otherwise(lit(NULL).cast(DataType::Float64))
}

fn to_scores(
    df: &DataFrame,
    weights: &[(String, f64)],
    has_deadline: bool,
) -> PolarsResult<Vec<Score>> {
    let strs = |c: &str| -> PolarsResult<Vec<String>> {
        Ok(df
            .column(c)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect())
    };
    let ids: Vec<i64> = df
        .column("organisation_id")?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let (codes, names, provinces) = (strs("code")?, strs("name")?, strs("province_code")?);
    let values: Vec<Vec<Option<f64>>> = COMPONENTS
        .iter()
        .map(|c| Ok(df.column(c)?.f64()?.iter().collect()))
        .collect::<PolarsResult<_>>()?;
    let weight: HashMap<&str, f64> = weights.iter().map(|(c, w)| (c.as_str(), *w)).collect();
    let fractions = exact_components(df, has_deadline)?;
    Ok((0..df.height())
        .map(|i| {
            let components: Vec<(&'static str, Option<f64>)> = COMPONENTS
                .iter()
                .enumerate()
                .map(|(k, c)| (*c, values[k][i]))
                .collect();
            Score {
                organisation_id: ids[i],
                code: codes[i].clone(),
                name: names[i].clone(),
                province_code: provinces[i].clone(),
                score: weighted(&components, &weight),
                exact: exact_weighted(&fractions[i], &weight),
                components,
                rank_in_province: None,
                rank_in_nation: None,
            }
        })
        .collect())
}

/// A component as an exact fraction: part / whole (capped at 1 when `cap`),
/// none when whole is 0 — the same rule as [`share`], without floats.
fn fraction(part: i64, whole: i64, cap: bool) -> Option<BigRational> {
    if whole <= 0 {
        return None;
    }
    let r = BigRational::new(BigInt::from(part), BigInt::from(whole));
    Some(if cap && r > BigRational::one() {
        BigRational::one()
    } else {
        r
    })
}

/// One organisation's components: (name, exact fraction, if defined).
type ExactComponents = Vec<(&'static str, Option<BigRational>)>;

/// Each organisation's components as exact fractions, in [`COMPONENTS`] order.
fn exact_components(df: &DataFrame, has_deadline: bool) -> PolarsResult<Vec<ExactComponents>> {
    let ints = |c: &str| -> PolarsResult<Vec<i64>> {
        Ok(df
            .column(c)?
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect())
    };
    let (approved, planned, added) = (ints("approved")?, ints("planned")?, ints("projects_added")?);
    let (reported, linked, completed) = (ints("reported")?, ints("linked")?, ints("completed")?);
    let (disbursed, budget, on_time) = (ints("disbursed")?, ints("budget")?, ints("on_time")?);
    Ok((0..df.height())
        .map(|i| {
            vec![
                (
                    "plan_to_budget",
                    fraction(approved[i], planned[i] + added[i], true),
                ),
                ("reporting", fraction(reported[i], approved[i], false)),
                ("elaas_link", fraction(linked[i], approved[i], false)),
                ("disbursement", fraction(disbursed[i], budget[i], true)),
                ("completion", fraction(completed[i], approved[i], false)),
                (
                    "timeliness",
                    has_deadline
                        .then(|| fraction(on_time[i], reported[i], false))
                        .flatten(),
                ),
            ]
        })
        .collect())
}

/// Σ weight × value / Σ weight over the measured components, exactly (the
/// weights' binary values taken as they are).
fn exact_weighted(
    components: &[(&str, Option<BigRational>)],
    weights: &HashMap<&str, f64>,
) -> Option<BigRational> {
    let (mut sum, mut total) = (BigRational::zero(), BigRational::zero());
    for (name, value) in components {
        let w = weights.get(name).copied().unwrap_or(0.0);
        if let (Some(v), true) = (value, w > 0.0) {
            let w = BigRational::from_float(w)?;
            sum += &w * v;
            total += w;
        }
    }
    (!total.is_zero()).then(|| sum / total)
}

/// 100 × Σ weight × value / Σ weight over the components that can be measured.
pub fn weighted(components: &[(&str, Option<f64>)], weights: &HashMap<&str, f64>) -> Option<f64> {
    let (mut sum, mut total) = (0.0, 0.0);
    for (name, value) in components {
        let w = weights.get(name).copied().unwrap_or(0.0);
        if let (Some(v), true) = (value, w > 0.0) {
            sum += w * v;
            total += w;
        }
    }
    (total > 0.0).then(|| (sum / total * 10_000.0).round() / 100.0)
}

/// Orders best first (then by code) and gives competition ranks (1, 2, 2, 4):
/// in the nation, and within each province. Ranks are taken on the exact
/// score, so organisations share a rank only when their scores are equal,
/// not when they merely round to the same two decimals.
fn rank(scores: &mut [Score]) {
    scores.sort_by(|a, b| {
        // Some(_) > None, so the unscored come last.
        b.exact.cmp(&a.exact).then_with(|| a.code.cmp(&b.code))
    });
    let mut in_province: HashMap<String, (i64, Option<BigRational>, i64)> = HashMap::new();
    let (mut seen, mut last, mut last_rank) = (0i64, None::<BigRational>, 0i64);
    for s in scores.iter_mut() {
        let Some(score) = s.exact.clone() else {
            continue;
        };
        seen += 1;
        if last.as_ref() != Some(&score) {
            last_rank = seen;
            last = Some(score.clone());
        }
        s.rank_in_nation = Some(last_rank);
        let entry = in_province
            .entry(s.province_code.clone())
            .or_insert((0, None, 0));
        entry.0 += 1;
        if entry.1.as_ref() != Some(&score) {
            entry.2 = entry.0;
            entry.1 = Some(score);
        }
        s.rank_in_province = Some(entry.2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighting_skips_what_cannot_be_measured() {
        let w: HashMap<&str, f64> =
            [("reporting", 2.0), ("completion", 1.0), ("timeliness", 1.0)].into();
        let c = [
            ("reporting", Some(0.5)),
            ("completion", Some(1.0)),
            ("timeliness", None),
        ];
        assert_eq!(weighted(&c, &w), Some(66.67));
        assert_eq!(weighted(&[("reporting", None)], &w), None);
    }

    #[test]
    fn ties_share_a_rank() {
        let s = |code: &str, province: &str, score: Option<f64>| Score {
            organisation_id: 0,
            code: code.into(),
            name: String::new(),
            province_code: province.into(),
            components: vec![],
            score,
            exact: score.and_then(BigRational::from_float),
            rank_in_province: None,
            rank_in_nation: None,
        };
        let mut v = vec![
            s("a", "71", Some(50.0)),
            s("b", "72", Some(80.0)),
            s("c", "71", Some(80.0)),
            s("d", "71", None),
        ];
        rank(&mut v);
        let ranks: Vec<(&str, Option<i64>, Option<i64>)> = v
            .iter()
            .map(|x| (x.code.as_str(), x.rank_in_nation, x.rank_in_province))
            .collect();
        assert_eq!(
            ranks,
            vec![
                ("b", Some(1), Some(1)),
                ("c", Some(1), Some(1)),
                ("a", Some(3), Some(2)),
                ("d", None, None)
            ]
        );
    }

    #[test]
    fn scores_that_round_alike_do_not_tie() {
        // 2/3 and 0.666 both show as 66.67 (66.6 with three decimals), but
        // only equal fractions tie: 2/3 and 4/6 do.
        let w: HashMap<&str, f64> = [("reporting", 1.0)].into();
        let exact = |p: i64, q: i64| {
            let c = [("reporting", fraction(p, q, false))];
            exact_weighted(&c, &w)
        };
        let s = |code: &str, exact: Option<BigRational>| Score {
            organisation_id: 0,
            code: code.into(),
            name: String::new(),
            province_code: "71".into(),
            components: vec![],
            score: Some(66.67),
            exact,
            rank_in_province: None,
            rank_in_nation: None,
        };
        let mut v = vec![
            s("a", exact(666, 1000)),
            s("b", exact(2, 3)),
            s("c", exact(4, 6)),
            s("d", exact(6_667, 10_000)),
        ];
        rank(&mut v);
        let ranks: Vec<(&str, Option<i64>)> = v
            .iter()
            .map(|x| (x.code.as_str(), x.rank_in_nation))
            .collect();
        assert_eq!(
            ranks,
            vec![
                ("d", Some(1)),
                ("b", Some(2)),
                ("c", Some(2)),
                ("a", Some(4))
            ]
        );
    }
}
