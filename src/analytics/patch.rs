//! Frames patched, not reloaded: a change to some organisations replaces
//! their rows in their provinces' parts, and the whole-year frames are
//! stacked again from the parts. Stacking appends the parts' chunks (the
//! Arrow buffers are shared, not copied), so a patch costs about the size of
//! the provinces it touches, not of the country.

use super::frames::{Globals, Part, YearFrames};
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

impl YearFrames {
    /// The frames of a year from its parts (a province each).
    pub fn assemble(
        fiscal_year: i32,
        version: i64,
        globals: Globals,
        parts: BTreeMap<String, Part>,
    ) -> PolarsResult<YearFrames> {
        let mut province_of = HashMap::new();
        for (province, part) in &parts {
            for id in part
                .organisations
                .column("organisation_id")?
                .i64()?
                .iter()
                .flatten()
            {
                province_of.insert(id, province.clone());
            }
        }
        Ok(YearFrames {
            fiscal_year,
            version,
            facts: stack(&parts, |p| &p.facts)?,
            organisations: stack(&parts, |p| &p.organisations)?,
            plan_counts: stack(&parts, |p| &p.plan_counts)?,
            snapshots: stack(&parts, |p| &p.snapshots)?,
            weights: globals.weights,
            has_report_deadline: globals.has_report_deadline,
            province_names: globals.province_names,
            parts,
            province_of,
            memo: Default::default(),
        })
    }

    /// These frames with the rows of the organisations `changed` replaced by
    /// `fresh` (their rows now, a part per province; an organisation that is
    /// gone has none), at `version`, with `globals` read again if given (the
    /// score weights changed).
    pub fn patched(
        &self,
        version: i64,
        changed: &HashSet<i64>,
        fresh: BTreeMap<String, Part>,
        globals: Option<Globals>,
    ) -> PolarsResult<YearFrames> {
        let mut parts = self.parts.clone();
        // The provinces that held the changed organisations lose their rows…
        let held: HashSet<&String> = changed
            .iter()
            .filter_map(|id| self.province_of.get(id))
            .collect();
        for province in held {
            if let Some(part) = parts.get_mut(province) {
                *part = without(part, changed)?;
            }
        }
        // …and the provinces they are in now gain them.
        for (province, rows) in fresh {
            let merged = match parts.remove(&province) {
                Some(part) => with(&part, &rows)?,
                None => rows,
            };
            parts.insert(province, merged);
        }
        if globals.is_some() {
            // The parts' unranked scores were weighed with the old weights.
            for part in parts.values_mut() {
                part.memo = Arc::new(part.memo.without_scores());
            }
        }
        let globals = globals.unwrap_or_else(|| Globals {
            weights: self.weights.clone(),
            has_report_deadline: self.has_report_deadline,
            province_names: self.province_names.clone(),
        });
        YearFrames::assemble(self.fiscal_year, version, globals, parts)
    }
}

/// One frame of every part, stacked in province order.
fn stack(
    parts: &BTreeMap<String, Part>,
    frame: impl Fn(&Part) -> &DataFrame,
) -> PolarsResult<DataFrame> {
    let mut all = parts.values().map(&frame);
    let Some(first) = all.next() else {
        return Ok(DataFrame::empty());
    };
    let mut out = first.clone();
    for df in all {
        out.vstack_mut(df)?;
    }
    Ok(out)
}

/// A part without the rows of the organisations `ids` (and the e-LAAS
/// figures of their approvals).
fn without(part: &Part, ids: &HashSet<i64>) -> PolarsResult<Part> {
    let keep = |df: &DataFrame| -> PolarsResult<BooleanChunked> {
        Ok(df
            .column("organisation_id")?
            .i64()?
            .iter()
            .map(|id| id.is_none_or(|id| !ids.contains(&id)))
            .collect())
    };
    let facts = part.facts.filter(&keep(&part.facts)?)?;
    // The e-LAAS figures of the approvals kept (the figures carry no
    // organisation of their own).
    let kept: HashSet<i64> = facts
        .column("approval_id")?
        .i64()?
        .iter()
        .flatten()
        .collect();
    let snapshot_keep: BooleanChunked = part
        .snapshots
        .column("approval_id")?
        .i64()?
        .iter()
        .map(|id| id.is_some_and(|id| kept.contains(&id)))
        .collect();
    Ok(Part {
        facts,
        organisations: part.organisations.filter(&keep(&part.organisations)?)?,
        plan_counts: part.plan_counts.filter(&keep(&part.plan_counts)?)?,
        snapshots: part.snapshots.filter(&snapshot_keep)?,
        memo: Default::default(),
    })
}

/// A part with `more` rows, in one chunk (a part is small).
fn with(part: &Part, more: &Part) -> PolarsResult<Part> {
    let join = |a: &DataFrame, b: &DataFrame| -> PolarsResult<DataFrame> {
        if a.height() == 0 {
            return Ok(b.clone());
        }
        let mut out = a.vstack(b)?;
        out.rechunk_mut();
        Ok(out)
    };
    Ok(Part {
        facts: join(&part.facts, &more.facts)?,
        organisations: join(&part.organisations, &more.organisations)?,
        plan_counts: join(&part.plan_counts, &more.plan_counts)?,
        snapshots: join(&part.snapshots, &more.snapshots)?,
        memo: Default::default(),
    })
}
