//! Exports for BI tools, written by polars: the fact frame, the tracking
//! report, the performance scores and the e-LAAS history, as Parquet or as
//! CSV (UTF-8 with a BOM, so Excel shows Thai). Money is exact: Decimal(14, 2)
//! in Parquet, `1234.50` in CSV. Columns are documented in docs/bi.md.

use super::frames::{column, YearFrames, SOURCES};
use super::{scores, tracking, Analytics};
use crate::budget::filter::ApprovalFilter;
use crate::error::{AppError, AppResult};
use polars::prelude::*;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::{KeyValueMetadata, ParquetCompression, ParquetWriter};
use polars_io::SerWriter;
use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

/// What can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// One row per budget approval, with its stages and money.
    Facts,
    /// The provincial tracking report: one row per LAO.
    Tracking,
    /// Performance scores and ranks.
    Scores,
    /// Every e-LAAS snapshot of the year.
    ElaasHistory,
}

impl Dataset {
    /// The name in `/export/{name}.parquet`.
    pub fn parse(name: &str) -> Option<Dataset> {
        match name {
            "facts" => Some(Dataset::Facts),
            "tracking" => Some(Dataset::Tracking),
            "scores" => Some(Dataset::Scores),
            "elaas-history" => Some(Dataset::ElaasHistory),
            _ => None,
        }
    }
}

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Parquet,
    /// UTF-8 with a byte-order mark.
    Csv,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "parquet" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

impl Dataset {
    /// The name in URLs and file names.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Facts => "facts",
            Dataset::Tracking => "tracking",
            Dataset::Scores => "scores",
            Dataset::ElaasHistory => "elaas-history",
        }
    }
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        }
    }
}

/// The name of an export's file, which says what it holds: the dataset, the
/// fiscal year, the province or LAO (or the whole country) and the data
/// version it was read at, e.g. `tidtam-facts-fy2564-province-71-v1234.parquet`
/// (docs/bi.md). Used for `Content-Disposition` and the command's default
/// output; codes keep only their letters and digits, so the name is safe in a
/// header and on any file system.
pub fn file_name(
    dataset: &str,
    fiscal_year: i32,
    province_code: Option<&str>,
    organisation_code: Option<&str>,
    version: Option<i64>,
    extension: &str,
) -> String {
    let clean =
        |code: &str| -> String { code.chars().filter(char::is_ascii_alphanumeric).collect() };
    let place = match (organisation_code, province_code) {
        (Some(o), _) => format!("lao-{}", clean(o)),
        (None, Some(p)) => format!("province-{}", clean(p)),
        (None, None) => "national".to_string(),
    };
    let version = version.map(|v| format!("-v{v}")).unwrap_or_default();
    format!("tidtam-{dataset}-fy{fiscal_year}-{place}{version}.{extension}")
}

/// The rows to export: the same filters as the GraphQL fields.
#[derive(Clone, Debug, Default)]
pub struct ExportFilter {
    pub fiscal_year: i32,
    pub province_code: Option<String>,
    pub organisation_code: Option<String>,
    /// The facts export only: the approvals the rest of an `ApprovalFilter`
    /// keeps (from [`approval_ids`]); `None` keeps them all.
    pub approval_ids: Option<Arc<HashSet<i64>>>,
}

/// Whether a filter says more than the year and the place (which the frames
/// answer by themselves).
pub fn narrows_beyond_place(filter: &ApprovalFilter) -> bool {
    let rest = ApprovalFilter {
        fiscal_year: None,
        province_code: None,
        organisation_code: None,
        ..filter.clone()
    };
    rest != ApprovalFilter::default()
}

/// The approvals of `fiscal_year` an `ApprovalFilter` keeps, by the same SQL
/// as the `disbursement` and `rates` fields (read through `db`, so in the
/// caller's row-level security scope); `None` when it says nothing beyond the
/// place.
pub async fn approval_ids(
    db: &crate::db::Db,
    fiscal_year: i32,
    filter: &ApprovalFilter,
) -> AppResult<Option<Arc<HashSet<i64>>>> {
    if !narrows_beyond_place(filter) {
        return Ok(None);
    }
    let rest = ApprovalFilter {
        fiscal_year: None,
        ..filter.clone()
    };
    let ids = super::graphql::sql_ids(db, fiscal_year, &rest).await?;
    Ok(ids.map(Arc::new))
}

/// Builds the frame of a dataset.
pub async fn frame(
    analytics: &Analytics,
    dataset: Dataset,
    filter: &ExportFilter,
) -> AppResult<DataFrame> {
    if dataset == Dataset::ElaasHistory {
        return elaas_history(analytics, filter).await;
    }
    let labels = match dataset {
        Dataset::Facts => fact_labels(analytics, filter).await?,
        _ => Vec::new(),
    };
    let frames = analytics.frames(filter.fiscal_year).await?;
    let f = filter.clone();
    analytics
        .run(move || match dataset {
            Dataset::Facts => facts(&frames, &labels, &f),
            Dataset::Tracking => tracking_frame(&frames, &f),
            _ => scores_frame(&frames, &f),
        })
        .await
}

/// Writes a frame in a format (CPU work: call it off the async workers).
pub fn write(df: &mut DataFrame, format: Format, out: &mut impl Write) -> PolarsResult<()> {
    match format {
        Format::Parquet => {
            parquet_writer(out, df.schema()).finish(df)?;
        }
        Format::Csv => {
            out.write_all("\u{feff}".as_bytes())?;
            CsvWriter::new(out).include_header(true).finish(df)?;
        }
    }
    Ok(())
}

/// Polars' Parquet writer as every export uses it. Polars stores the file's
/// Arrow schema at its newest compatibility level, where every text column is
/// `string_view`, which pyarrow before 15 (and tools built on it) cannot open
/// ("Unrecognized type: 24"). The Parquet columns themselves are plain UTF-8
/// byte arrays either way, so the writer is handed the schema at the oldest
/// level (`large_string`) to store instead: every reader opens the file, and
/// polars reads it back as the same frame.
fn parquet_writer<W: Write>(out: W, schema: &Schema) -> ParquetWriter<W> {
    let arrow = schema.to_arrow(CompatLevel::oldest());
    let key = polars_parquet::write::schema_to_metadata_key(&arrow);
    let metadata = key
        .value
        .map(|value| KeyValueMetadata::from_static(vec![(key.key, value)]));
    ParquetWriter::new(out)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(metadata)
}

/// Days since 1970-01-01 as a date column (Parquet `DATE`).
fn dates(
    name: &str,
    days: impl Iterator<Item = Option<chrono::NaiveDate>>,
) -> PolarsResult<Column> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let days: Vec<Option<i32>> = days
        .map(|d| d.and_then(|d| i32::try_from((d - epoch).num_days()).ok()))
        .collect();
    Series::new(name.into(), days)
        .cast(&DataType::Date)
        .map(|s| s.into_column())
}

/// Satang (i64) as exact baht: Decimal(14, 2).
fn money(name: &str, satang: impl Iterator<Item = i64>) -> PolarsResult<Column> {
    let wide: Vec<i128> = satang.map(i128::from).collect();
    Ok(Series::new(name.into(), wide)
        .into_decimal(14, 2)?
        .into_column())
}

/// Keeps the rows of a province or an organisation (and, for the facts, of
/// the approvals the rest of the filter keeps).
fn keep(lf: LazyFrame, f: &ExportFilter) -> PolarsResult<LazyFrame> {
    let mut lf = lf;
    if let Some(ids) = &f.approval_ids {
        let mut ids: Vec<i64> = ids.iter().copied().collect();
        ids.sort_unstable();
        let kept = DataFrame::new_infer_height(vec![Column::new("approval_id".into(), ids)])?;
        lf = lf.join(
            kept.lazy(),
            [col("approval_id")],
            [col("approval_id")],
            JoinArgs::new(JoinType::Inner),
        );
    }
    if let Some(p) = &f.province_code {
        lf = lf.filter(col("province_code").eq(lit(p.clone())));
    }
    if let Some(o) = &f.organisation_code {
        lf = lf.filter(col("organisation_code").eq(lit(o.clone())));
    }
    Ok(lf)
}

/// The labels of one row of the facts export (facts_labels.sql).
#[derive(sqlx::FromRow)]
struct FactLabel {
    approval_id: i64,
    project_name: String,
    budget_item_name: String,
    approved_on: chrono::NaiveDate,
    elaas_as_of: Option<chrono::NaiveDate>,
    contract_signed_on: Option<chrono::NaiveDate>,
}

async fn fact_labels(analytics: &Analytics, f: &ExportFilter) -> AppResult<Vec<FactLabel>> {
    let rows = crate::db::query_as(include_str!("facts_labels.sql"))
        .bind(f.fiscal_year)
        .bind(&f.province_code)
        .bind(&f.organisation_code)
        .fetch_all(&crate::db::Db::plain(analytics.pool()))
        .await?;
    Ok(rows)
}

fn labels_frame(labels: &[FactLabel]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        column!(labels, "approval_id", approval_id),
        column!(labels, "project_name", project_name),
        column!(labels, "budget_item_name", budget_item_name),
        dates("approved_on", labels.iter().map(|l| Some(l.approved_on)))?,
        dates("elaas_as_of", labels.iter().map(|l| l.elaas_as_of))?,
        dates(
            "contract_signed_on",
            labels.iter().map(|l| l.contract_signed_on),
        )?,
    ])
}

fn facts(frames: &YearFrames, labels: &[FactLabel], f: &ExportFilter) -> PolarsResult<DataFrame> {
    // A province's own part when the export is of one (every page of a
    // national file is): joining the whole year and filtering after held
    // the country's rows once per page.
    let (facts, organisations) = f
        .province_code
        .as_deref()
        .and_then(|p| frames.parts.get(p))
        .map(|part| (&part.facts, &part.organisations))
        .unwrap_or((&frames.facts, &frames.organisations));
    let names = organisations.clone().lazy().select([
        col("organisation_id"),
        col("code").alias("organisation_code"),
        col("name").alias("organisation_name"),
    ]);
    let (codes, province_names): (Vec<String>, Vec<String>) = frames
        .province_names
        .iter()
        .map(|(code, name)| (code.clone(), name.clone()))
        .unzip();
    let provinces = DataFrame::new_infer_height(vec![
        Column::new("province_code".into(), codes),
        Column::new("province_name".into(), province_names),
    ])?;
    let left = |lf: LazyFrame, other: LazyFrame, key: &str| {
        lf.join(other, [col(key)], [col(key)], JoinArgs::new(JoinType::Left))
    };
    let joined = left(facts.clone().lazy(), names, "organisation_id");
    let joined = left(joined, provinces.lazy(), "province_code");
    let joined = left(joined, labels_frame(labels)?.lazy(), "approval_id")
        .with_column(lit(frames.fiscal_year).alias("fiscal_year"));
    let mut df = keep(joined, f)?.collect()?;
    let mut money_columns = vec!["amount", "budget", "contract", "disbursed", "remaining"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    money_columns.extend(SOURCES.iter().map(|s| format!("src_{s}")));
    for name in money_columns {
        let values: Vec<i64> = df
            .column(&name)?
            .i64()?
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect();
        df.with_column(money(&name, values.into_iter())?)?;
    }
    let mut order = vec![
        "fiscal_year",
        "approval_id",
        "approved_on",
        "project_name",
        "budget_item_name",
        "organisation_code",
        "organisation_name",
        "province_code",
        "province_name",
        "kind",
        "sector",
        "activity_type",
        "master_plan",
        "sub_plan",
        "amount",
        "linked",
        "elaas_as_of",
        "budget",
        "contract",
        "contract_signed_on",
        "disbursed",
        "remaining",
        "reported",
        "contracted",
        "disbursed_any",
        "fully_disbursed",
        "completed",
        "on_time",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    order.extend(SOURCES.iter().map(|s| format!("src_{s}")));
    df.select(order)
}

/// The years of a local development plan (แผนพัฒนาท้องถิ่น ห้าปี).
const PLAN_YEARS: i32 = 5;

/// The first year of each organisation's plan for the year, where it has an
/// approved one.
fn plan_first_years(frames: &YearFrames) -> PolarsResult<std::collections::HashMap<i64, i32>> {
    let df = &frames.organisations;
    let ids = df.column("organisation_id")?.i64()?;
    let years = df.column("plan_first_year")?.i32()?;
    Ok(ids
        .iter()
        .zip(years.iter())
        .filter_map(|(id, year)| Some((id?, year.filter(|y| *y > 0)?)))
        .collect())
}

fn tracking_frame(frames: &YearFrames, f: &ExportFilter) -> PolarsResult<DataFrame> {
    let report = tracking::compute(frames, f.province_code.as_deref())?;
    let rows: Vec<_> = report
        .rows
        .iter()
        .filter(|r| f.organisation_code.as_ref().is_none_or(|o| &r.code == o))
        .collect();
    let first_years = plan_first_years(frames)?;
    let first_year = |r: &tracking::TrackingRow| {
        first_years
            .get(&r.organisation_id)
            .copied()
            .or_else(|| r.plan_projects.keys().next().copied())
    };
    let mut columns = vec![
        Column::new("fiscal_year".into(), vec![frames.fiscal_year; rows.len()]),
        column!(rows, "organisation_code", code),
        column!(rows, "organisation_name", name),
        column!(rows, "province_code", province_code),
        column!(rows, "kind", kind),
        column!(rows, "recording_done", recording_done),
        column!(rows, "strategies", strategies),
        Column::new(
            "plan_first_year".into(),
            rows.iter().map(|r| first_year(r)).collect::<Vec<_>>(),
        ),
    ];
    // The plan's five years at fixed offsets from its first year, so that
    // every year's file has the same columns and yearly files append.
    for offset in 0..PLAN_YEARS {
        columns.push(Column::new(
            format!("plan_projects_year_{}", offset + 1).into(),
            rows.iter()
                .map(|r| {
                    first_year(r)
                        .and_then(|first| r.plan_projects.get(&(first + offset)))
                        .copied()
                        .unwrap_or(0)
                })
                .collect::<Vec<_>>(),
        ));
    }
    columns.push(column!(rows, "plan_approved", plan_approved));
    columns.extend([
        column!(rows, "projects_added", projects_added),
        column!(rows, "budget_approved", budget_approved),
        column!(rows, "reported", reported),
        column!(rows, "contracted", contracted),
        column!(rows, "disbursed", disbursed),
        column!(rows, "fully_disbursed", fully_disbursed),
        column!(rows, "completed", completed),
    ]);
    DataFrame::new_infer_height(columns)
}

fn scores_frame(frames: &YearFrames, f: &ExportFilter) -> PolarsResult<DataFrame> {
    let scores: Vec<scores::Score> = scores::compute(frames)?
        .into_iter()
        .filter(|s| {
            f.province_code
                .as_ref()
                .is_none_or(|p| &s.province_code == p)
        })
        .filter(|s| f.organisation_code.as_ref().is_none_or(|o| &s.code == o))
        .collect();
    let mut columns = vec![
        Column::new("fiscal_year".into(), vec![frames.fiscal_year; scores.len()]),
        column!(scores, "organisation_code", code),
        column!(scores, "organisation_name", name),
        column!(scores, "province_code", province_code),
        column!(scores, "score", score),
        column!(scores, "rank_in_province", rank_in_province),
        column!(scores, "rank_in_nation", rank_in_nation),
    ];
    for (i, name) in scores::COMPONENTS.iter().enumerate() {
        columns.push(Column::new(
            (*name).into(),
            scores
                .iter()
                .map(|s| s.components.get(i).and_then(|c| c.1))
                .collect::<Vec<_>>(),
        ));
    }
    DataFrame::new_infer_height(columns)
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    organisation_code: String,
    province_code: String,
    item_code: String,
    item_name: String,
    as_of: chrono::NaiveDate,
    budget: i64,
    contract_amount: i64,
    contract_signed_on: Option<chrono::NaiveDate>,
    disbursed: i64,
    remaining: i64,
}

/// Organisations per page of the e-LAAS history: about 1,500 snapshots each
/// nationally (12 months of every item), so a page is some 100,000 rows.
pub const HISTORY_PAGE_ORGANISATIONS: usize = 64;

/// The organisations of the e-LAAS history of a filter, in the file's order.
async fn history_organisations(analytics: &Analytics, f: &ExportFilter) -> AppResult<Vec<String>> {
    let codes = crate::db::query_scalar(include_str!("elaas_history_organisations.sql"))
        .bind(f.fiscal_year)
        .bind(&f.province_code)
        .bind(&f.organisation_code)
        .fetch_all(&crate::db::Db::plain(analytics.pool()))
        .await?;
    Ok(codes)
}

/// The snapshots of a page of organisations.
async fn history_page(
    analytics: &Analytics,
    fiscal_year: i32,
    codes: &[String],
) -> AppResult<Vec<SnapshotRow>> {
    let rows = crate::db::query_as(include_str!("elaas_history_page.sql"))
        .bind(fiscal_year)
        .bind(codes)
        .fetch_all(&crate::db::Db::plain(analytics.pool()))
        .await?;
    Ok(rows)
}

/// The whole e-LAAS history of a filter as one frame: its organisations read
/// as a single page (small scopes; the export itself goes page by page,
/// [`write_to`]).
async fn elaas_history(analytics: &Analytics, f: &ExportFilter) -> AppResult<DataFrame> {
    let codes = history_organisations(analytics, f).await?;
    let fiscal_year = f.fiscal_year;
    let rows = history_page(analytics, fiscal_year, &codes).await?;
    analytics
        .run(move || history_frame(fiscal_year, &rows))
        .await
}

fn history_frame(fiscal_year: i32, rows: &[SnapshotRow]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new("fiscal_year".into(), vec![fiscal_year; rows.len()]),
        column!(rows, "organisation_code", organisation_code),
        column!(rows, "province_code", province_code),
        column!(rows, "item_code", item_code),
        column!(rows, "item_name", item_name),
        dates("as_of", rows.iter().map(|r| Some(r.as_of)))?,
        money("budget", rows.iter().map(|r| r.budget))?,
        money("contract_amount", rows.iter().map(|r| r.contract_amount))?,
        dates(
            "contract_signed_on",
            rows.iter().map(|r| r.contract_signed_on),
        )?,
        money("disbursed", rows.iter().map(|r| r.disbursed))?,
        money("remaining", rows.iter().map(|r| r.remaining))?,
    ])
}

/// A writer shared between polars' batched writer and the export, which
/// flushes it once the writer is finished (a batched writer keeps its own).
struct Shared<W>(Arc<std::sync::Mutex<W>>);

impl<W> Clone for Shared<W> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<W: Write> Write for Shared<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("export writer poisoned"))?
            .write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("export writer poisoned"))?
            .flush()
    }
}

/// Polars' writers that take a file in pieces (boxed: the Parquet one is large).
enum Batched<W: Write> {
    Parquet(Box<polars_io::parquet::write::BatchedWriter<W>>),
    Csv(Box<polars_io::csv::write::BatchedWriter<W>>),
}

impl<W: Write> Batched<W> {
    fn new(format: Format, schema: &Schema, mut out: W) -> PolarsResult<Self> {
        Ok(match format {
            Format::Parquet => {
                Batched::Parquet(Box::new(parquet_writer(out, schema).batched(schema)?))
            }
            Format::Csv => {
                out.write_all("\u{feff}".as_bytes())?;
                Batched::Csv(Box::new(
                    CsvWriter::new(out).include_header(true).batched(schema)?,
                ))
            }
        })
    }

    fn write(&mut self, df: &DataFrame) -> PolarsResult<()> {
        match self {
            Batched::Parquet(w) => w.write_batch(df),
            Batched::Csv(w) => w.write_batch(df),
        }
    }

    fn finish(&mut self) -> PolarsResult<()> {
        match self {
            Batched::Parquet(w) => w.finish().map(|_| ()),
            Batched::Csv(w) => w.finish(),
        }
    }
}

/// Writes a dataset to `out` and returns its rows. The e-LAAS history (11.7
/// million snapshots nationally) goes [`HISTORY_PAGE_ORGANISATIONS`]
/// organisations at a time: each page is read, written as a Parquet row group
/// or a run of CSV lines, and dropped, so memory stays that of one page; the
/// other datasets are written from their frame.
pub async fn write_to<W: Write + Send + 'static>(
    analytics: &Analytics,
    dataset: Dataset,
    filter: &ExportFilter,
    format: Format,
    out: W,
) -> AppResult<usize> {
    write_paged(
        analytics,
        dataset,
        filter,
        format,
        out,
        HISTORY_PAGE_ORGANISATIONS,
    )
    .await
}

/// [`write_to`] with a page size of the caller's choosing (tests use 1).
pub async fn write_paged<W: Write + Send + 'static>(
    analytics: &Analytics,
    dataset: Dataset,
    filter: &ExportFilter,
    format: Format,
    out: W,
    page_organisations: usize,
) -> AppResult<usize> {
    let shared = Shared(Arc::new(std::sync::Mutex::new(out)));
    if dataset == Dataset::Facts && filter.organisation_code.is_none() {
        return write_facts_by_province(analytics, filter, format, shared).await;
    }
    if dataset != Dataset::ElaasHistory {
        let mut df = frame(analytics, dataset, filter).await?;
        let mut out = shared;
        return analytics
            .run(move || {
                write(&mut df, format, &mut out)?;
                out.flush()?;
                Ok(df.height())
            })
            .await;
    }
    let codes = history_organisations(analytics, filter).await?;
    let fiscal_year = filter.fiscal_year;
    let sink = shared.clone();
    let mut writer = analytics
        .run(move || {
            let schema = history_frame(fiscal_year, &[])?.schema().as_ref().clone();
            Batched::new(format, &schema, sink)
        })
        .await?;
    let mut rows = 0;
    for page in codes.chunks(page_organisations.max(1)) {
        let snapshots = history_page(analytics, fiscal_year, page).await?;
        rows += snapshots.len();
        // The writer moves onto the blocking thread and back for each page.
        writer = analytics
            .run(move || {
                writer.write(&history_frame(fiscal_year, &snapshots)?)?;
                Ok(writer)
            })
            .await?;
    }
    finish(analytics, writer, shared, rows).await
}

/// The facts export a province at a time (a national file is about a
/// million rows with their labels: built whole, it held several hundred MB).
async fn write_facts_by_province<W: Write + Send + 'static>(
    analytics: &Analytics,
    filter: &ExportFilter,
    format: Format,
    sink: Shared<W>,
) -> AppResult<usize> {
    let frames = analytics.frames(filter.fiscal_year).await?;
    let provinces: Vec<String> = match &filter.province_code {
        Some(p) => vec![p.clone()],
        None => frames.provinces().map(str::to_string).collect(),
    };
    let mut writer: Option<Batched<Shared<W>>> = None;
    let mut rows = 0;
    for province in provinces {
        let page = ExportFilter {
            province_code: Some(province),
            ..filter.clone()
        };
        let labels = fact_labels(analytics, &page).await?;
        let (frames, out) = (frames.clone(), sink.clone());
        let (done, n) = analytics
            .run(move || {
                let df = facts(&frames, &labels, &page)?;
                let mut w = match writer {
                    Some(w) => w,
                    None => Batched::new(format, df.schema().as_ref(), out)?,
                };
                w.write(&df)?;
                Ok((w, df.height()))
            })
            .await?;
        writer = Some(done);
        rows += n;
    }
    let Some(writer) = writer else {
        let mut out = sink;
        // No province at all: the empty file, with its header.
        let mut df = frame(analytics, Dataset::Facts, filter).await?;
        return analytics
            .run(move || {
                write(&mut df, format, &mut out)?;
                out.flush()?;
                Ok(0)
            })
            .await;
    };
    finish(analytics, writer, sink, rows).await
}

/// Ends a file written in pieces: the writer's last bytes, then the sink's
/// (`rows`: what the file holds, returned).
async fn finish<W: Write + Send + 'static>(
    analytics: &Analytics,
    mut writer: Batched<Shared<W>>,
    mut out: Shared<W>,
    rows: usize,
) -> AppResult<usize> {
    analytics
        .run(move || {
            writer.finish()?;
            drop(writer);
            out.flush()?;
            Ok(rows)
        })
        .await
}

/// An export request refused for its arguments.
pub fn bad_argument(field: &str, th: &str, en: &str) -> AppError {
    AppError::validation(field, crate::error::codes::INVALID_INPUT, th, en)
}
