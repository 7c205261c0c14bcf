//! The frames of a fiscal year: what they hold (reading them: `read.rs`;
//! replacing some organisations' rows: `patch.rs`).

use polars::prelude::*;

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
///
/// The frames are held a province at a time ([`Part`]) and stacked into the
/// whole-year frames below without copying (polars appends the parts' chunks),
/// so that a change to one organisation replaces its province's part only
/// (see `patch.rs`).
pub struct YearFrames {
    pub fiscal_year: i32,
    /// The newest change (`data_changes.seq`) the frames include.
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
    /// The rows of each province, by province code.
    pub(super) parts: std::collections::BTreeMap<String, Part>,
    /// Each organisation's province (the part that holds its rows).
    pub(super) province_of: std::collections::HashMap<i64, String>,
    /// Aggregates of these frames, computed once (frames never change: a
    /// patch makes new ones).
    pub(super) memo: Memo,
}

impl YearFrames {
    /// How many organisations the frames hold.
    pub fn organisation_count(&self) -> usize {
        self.province_of.len()
    }

    /// The codes of the provinces the frames hold rows of, in order.
    pub fn provinces(&self) -> impl Iterator<Item = &str> {
        self.parts
            .keys()
            .map(String::as_str)
            .filter(|p| !p.is_empty())
    }
}

/// Aggregates computed once per frames (or per part: a patch keeps the
/// memos of the provinces it does not touch).
#[derive(Default)]
pub struct Memo {
    pub tracking: std::sync::OnceLock<std::sync::Arc<Vec<super::tracking::TrackingRow>>>,
    pub scores: std::sync::OnceLock<std::sync::Arc<Vec<super::scores::Score>>>,
}

impl Memo {
    /// This memo less its scores (the score weights changed).
    pub fn without_scores(&self) -> Memo {
        let memo = Memo::default();
        if let Some(tracking) = self.tracking.get() {
            let _ = memo.tracking.set(tracking.clone());
        }
        memo
    }

    /// The memo's value of `cell`, computed by `make` the first time.
    pub fn get<T>(
        cell: &std::sync::OnceLock<std::sync::Arc<T>>,
        make: impl FnOnce() -> PolarsResult<T>,
    ) -> PolarsResult<std::sync::Arc<T>> {
        if let Some(done) = cell.get() {
            return Ok(done.clone());
        }
        let made = std::sync::Arc::new(make()?);
        Ok(cell.get_or_init(|| made).clone())
    }
}

/// The rows of some organisations (one province's, in [`YearFrames`]).
#[derive(Clone)]
pub struct Part {
    pub facts: DataFrame,
    pub organisations: DataFrame,
    pub plan_counts: DataFrame,
    pub snapshots: DataFrame,
    /// The part's own aggregates (its organisations' tracking rows and
    /// unranked scores), shared by the frames that keep the part as is.
    pub memo: std::sync::Arc<Memo>,
}

/// What the frames hold for every organisation alike.
pub struct Globals {
    pub weights: Vec<(String, f64)>,
    pub has_report_deadline: bool,
    pub province_names: std::collections::HashMap<String, String>,
}

/// Why frames could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("loading the frames: {0}")]
    Database(#[from] sqlx::Error),
    #[error("building the frames: {0}")]
    Polars(#[from] PolarsError),
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
