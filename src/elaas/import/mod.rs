//! Importing an e-LAAS snapshot file (`docs/elaas-format.md`): read it (CSV in
//! UTF-8 or Windows-874, or `.xlsx`), check every row, and, only when every
//! row is good, load it in one transaction: COPY into a staging table, then
//! set-based SQL that creates new items, inserts new figures and replaces
//! changed ones. The same file twice changes nothing.

pub mod parse;
pub mod reader;
pub mod xlsx;

pub use parse::{Parsed, Row};
pub use reader::Format;

use crate::db::Db;
use crate::error::FieldError;
use crate::types::format_be;
use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Stable codes of bad rows (beside the shared ones: `REQUIRED`,
/// `INVALID_MONEY`, `INVALID_DATE`, `INVALID_INPUT`, `DATE_OUT_OF_RANGE`).
pub mod codes {
    pub use crate::error::codes::{DATE_OUT_OF_RANGE, DUPLICATE, INVALID_INPUT};
    /// The GraphQL error code of a rejected file.
    pub const IMPORT_REJECTED: &str = "IMPORT_REJECTED";
    pub const UNREADABLE_FILE: &str = "UNREADABLE_FILE";
    pub const EMPTY_FILE: &str = "EMPTY_FILE";
    pub const MISSING_COLUMN: &str = "MISSING_COLUMN";
    pub const DUPLICATE_COLUMN: &str = "DUPLICATE_COLUMN";
    pub const UNKNOWN_ORGANISATION: &str = "UNKNOWN_ORGANISATION";
    /// A sheet (or CSV) with a value past the limits of docs/access.md
    /// ("Import limits"), or a workbook part too large to read.
    pub const SHEET_TOO_LARGE: &str = "SHEET_TOO_LARGE";
    /// Another import held the import lock longer than
    /// [`super::IMPORT_LOCK_WAIT`]; nothing was written, the file may be sent again.
    pub const IMPORT_BUSY: &str = "IMPORT_BUSY";
    /// More than [`super::MAX_ERRORS`] bad cells: the last error of the list,
    /// naming the first line not listed.
    pub const TOO_MANY_ERRORS: &str = "TOO_MANY_ERRORS";
}

/// Bad cells listed for a rejected file. Found by fuzzing (issue 19 §1,
/// tests/fixtures/fuzz): every bad cell was kept with its two messages, about
/// 2.5 KB for a line as short as `1`, so a 100 KB file of such lines held
/// 84 MB and a 256 MiB upload would have asked for hundreds of GB. Past this
/// many the file is still rejected, the rest of it is not checked, and the
/// list ends with one `TOO_MANY_ERRORS`.
pub const MAX_ERRORS: usize = 1_000;

/// Cuts a list of bad cells, in line order, to [`MAX_ERRORS`] and a closing
/// `TOO_MANY_ERRORS` naming the first line not listed (or keeps the one a
/// list already ends with, when nothing more is cut).
pub(crate) fn cap_errors(errors: &mut Vec<RowError>) {
    let earlier = errors
        .iter()
        .position(|e| e.code == codes::TOO_MANY_ERRORS)
        .map(|i| errors.remove(i).line);
    let cut = errors.get(MAX_ERRORS).map(|e| e.line);
    let line = match (cut, earlier) {
        (Some(cut), Some(earlier)) => Some(cut.min(earlier)),
        (cut, earlier) => cut.or(earlier),
    };
    if let Some(line) = line {
        errors.truncate(MAX_ERRORS);
        errors.push(RowError {
            line,
            field: "file".into(),
            code: codes::TOO_MANY_ERRORS,
            message_th: format!(
                "พบข้อผิดพลาดเกิน {MAX_ERRORS} รายการ ไฟล์ไม่ได้นำเข้า: ไม่แสดงข้อผิดพลาดตั้งแต่บรรทัด {line}"
            ),
            message_en: format!(
                "more than {MAX_ERRORS} bad cells, the file is rejected: those from line {line} on are not listed"
            ),
        });
    }
}

/// How long an import waits for the one before it to finish before it
/// gives up with [`ImportError::Busy`].
pub const IMPORT_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// PostgreSQL's "lock not available": `lock_timeout` ran out.
const SQLSTATE_LOCK_NOT_AVAILABLE: &str = "55P03";

/// One bad cell of a file: its line (0 for the file as a whole), its column,
/// and why, in Thai and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The column (`lao_code`, `as_of`, …), or `file`.
    pub field: String,
    pub code: &'static str,
    pub message_th: String,
    pub message_en: String,
}

impl RowError {
    pub fn from_field(line: u64, e: FieldError) -> Self {
        RowError {
            line,
            field: e.field,
            code: e.code,
            message_th: e.message_th,
            message_en: e.message_en,
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, {} [{}]: {} / {}",
            self.line, self.field, self.code, self.message_en, self.message_th
        )
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Bad rows: every one of them. Nothing was written.
    #[error("the file was rejected: {} bad cell(s); nothing was imported", .0.len())]
    Rejected(Vec<RowError>),
    /// Another import was still running after [`IMPORT_LOCK_WAIT`]. Nothing
    /// was written; the same file may be sent again.
    #[error("another e-LAAS import is running; try again when it has finished / มีการนำเข้าข้อมูล e-LAAS อื่นกำลังทำงานอยู่ โปรดลองใหม่เมื่อเสร็จแล้ว")]
    Busy,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The import's record in `elaas_imports`; none when nothing changed.
    pub import_id: Option<i64>,
    /// SHA-256 of the file's bytes, in hex.
    pub file_hash: String,
    pub format: Format,
    /// Data rows in the file.
    pub rows: u64,
    pub items_created: u64,
    pub items_renamed: u64,
    pub snapshots_inserted: u64,
    pub snapshots_updated: u64,
    /// Rows whose figures were already held, unchanged.
    pub snapshots_unchanged: u64,
    /// The distinct as-of dates of the file, oldest first.
    pub as_of_dates: Vec<NaiveDate>,
}

impl ImportSummary {
    /// Whether the import changed nothing (the file was imported before).
    pub fn unchanged(&self) -> bool {
        self.import_id.is_none()
    }
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dates: Vec<String> = self.as_of_dates.iter().map(|d| format_be(*d)).collect();
        write!(
            f,
            "{} rows as of {}: {} items created, {} renamed; {} snapshots inserted, {} updated, {} unchanged",
            self.rows,
            dates.join(", "),
            self.items_created,
            self.items_renamed,
            self.snapshots_inserted,
            self.snapshots_updated,
            self.snapshots_unchanged
        )?;
        match self.import_id {
            Some(id) => write!(f, " (import {id})"),
            None => write!(f, " (nothing changed: already imported)"),
        }
    }
}

/// Where an import has got to, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Every row read and checked.
    Checked { rows: u64 },
    /// Rows sent to the staging table so far.
    Copying { done: u64, total: u64 },
    /// Merging the staged rows into the figures.
    Merging,
}

/// Rows sent to PostgreSQL per COPY message.
const COPY_CHUNK_ROWS: usize = 20_000;

/// Reads, checks and imports a file, all or nothing, in the caller's scope
/// (its account is the import's actor).
pub async fn import(
    db: &Db,
    bytes: Vec<u8>,
    file_name: Option<&str>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary, ImportError> {
    let today = chrono::Local::now().date_naive();
    let started = std::time::Instant::now();
    // Reading and checking a national file takes a while: off the async workers.
    let (hash, parsed) = tokio::task::spawn_blocking(move || {
        let hash = hex(&Sha256::digest(&bytes));
        (hash, parse::parse(&bytes, today))
    })
    .await
    .map_err(|e| ImportError::Internal(e.to_string()))?;
    tracing::debug!(elapsed = ?started.elapsed(), rows = parsed.rows.len(), "e-LAAS file read and checked");
    load(db, &parsed, &hash, file_name, progress).await
}

/// One import at a time: each sees the figures the one before left. The lock
/// is the row of `elaas_import_lock`, for the transaction: a role that only
/// reads (the BI role) cannot take it, as it could an advisory lock, so it
/// cannot stall imports. Waits [`IMPORT_LOCK_WAIT`] at most.
async fn lock_imports(tx: &mut PgConnection) -> Result<(), ImportError> {
    let before: String = crate::db::query_scalar("SELECT current_setting('lock_timeout')")
        .fetch_one(&mut *tx)
        .await?;
    crate::db::query("SELECT set_config('lock_timeout', $1, true)")
        .bind(format!("{}ms", IMPORT_LOCK_WAIT.as_millis()))
        .execute(&mut *tx)
        .await?;
    let locked = crate::db::query("SELECT id FROM elaas_import_lock FOR UPDATE")
        .execute(&mut *tx)
        .await;
    match locked {
        Err(e)
            if e.as_database_error().and_then(|d| d.code()).as_deref()
                == Some(SQLSTATE_LOCK_NOT_AVAILABLE) =>
        {
            return Err(ImportError::Busy)
        }
        other => other?,
    };
    // The rest of the import waits for row locks as any write does.
    crate::db::query("SELECT set_config('lock_timeout', $1, true)")
        .bind(before)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Loads checked rows in one transaction: rejects the file, writing nothing,
/// when any row is bad or names an unknown LAO.
pub async fn load(
    db: &Db,
    parsed: &Parsed,
    file_hash: &str,
    file_name: Option<&str>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary, ImportError> {
    let mut lap = Lap::new();
    let mut tx = db.begin().await?;
    lock_imports(&mut tx).await?;
    let organisations = resolve_organisations(&mut tx, parsed).await?;
    let mut errors = parsed.errors.clone();
    let codes_by_line = parsed.rows.iter().map(|r| (r.line, &r.lao_code)).chain(
        parsed
            .bad_row_codes
            .iter()
            .map(|(line, code)| (*line, code)),
    );
    for (line, code) in codes_by_line {
        if !organisations.contains_key(code) {
            errors.push(RowError {
                line,
                field: parse::Column::LaoCode.field().into(),
                code: codes::UNKNOWN_ORGANISATION,
                message_th: format!("ไม่พบ อปท. รหัส {code}"),
                message_en: format!("no organisation has the code {code}"),
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        cap_errors(&mut errors);
        return Err(ImportError::Rejected(errors));
    }
    progress(Progress::Checked {
        rows: parsed.rows.len() as u64,
    });
    lap.at("LAO codes resolved");

    // Bulk mode: no per-row audit; the import's own record is audited below.
    crate::db::query("SELECT set_config('tidtam.bulk', 'on', true)")
        .execute(&mut *tx)
        .await?;
    // The merge's sorts and hashes of a national file stay in memory.
    crate::db::query("SET LOCAL work_mem = '256MB'")
        .execute(&mut *tx)
        .await?;
    let as_of_dates: Vec<NaiveDate> = parsed
        .rows
        .iter()
        .map(|r| r.as_of)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let one_date = as_of_dates.len() <= 1;
    let new_items_only = one_date && !items_held(&mut tx, parsed, &organisations).await?;
    crate::db::query(include_str!("sql/create_staging.sql"))
        .execute(&mut *tx)
        .await?;
    if new_items_only {
        let add_ids: String = crate::db::query_scalar(include_str!("sql/staging_item_ids.sql"))
            .fetch_one(&mut *tx)
            .await?;
        crate::db::query(&add_ids).execute(&mut *tx).await?;
    }
    copy_rows(&mut tx, &parsed.rows, &organisations, progress).await?;
    lap.at("COPY into staging");
    progress(Progress::Merging);
    let import_id: i64 =
        crate::db::query_scalar("SELECT nextval(pg_get_serial_sequence('elaas_imports', 'id'))")
            .fetch_one(&mut *tx)
            .await?;
    let merged = if new_items_only {
        merge_new_items(&mut tx, import_id).await?
    } else {
        crate::db::query("ANALYZE elaas_staging")
            .execute(&mut *tx)
            .await?;
        merge(&mut tx, import_id, &mut lap).await?
    };
    lap.at("merged");
    let rows = parsed.rows.len() as u64;
    let mut summary = ImportSummary {
        import_id: None,
        file_hash: file_hash.to_string(),
        format: parsed.format,
        rows,
        items_created: merged.items_created,
        items_renamed: merged.items_renamed,
        snapshots_inserted: merged.snapshots_inserted,
        snapshots_updated: merged.snapshots_updated,
        snapshots_unchanged: rows
            .saturating_sub(merged.snapshots_inserted + merged.snapshots_updated),
        as_of_dates,
    };
    if merged.changed_nothing() {
        // The same figures again: leave no trace, not even an import record.
        tx.rollback().await?;
        return Ok(summary);
    }
    crate::db::query("SELECT set_config('tidtam.bulk', 'off', true)")
        .execute(&mut *tx)
        .await?;
    crate::db::query(include_str!("sql/insert_import.sql"))
        .bind(import_id)
        .bind(file_name)
        .bind(file_hash)
        .bind(parsed.format.to_db())
        .bind(i32::try_from(rows).unwrap_or(i32::MAX))
        .bind(&summary.as_of_dates)
        .bind(to_i32(summary.items_created))
        .bind(to_i32(summary.items_renamed))
        .bind(to_i32(summary.snapshots_inserted))
        .bind(to_i32(summary.snapshots_updated))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    lap.at("recorded and committed");
    summary.import_id = Some(import_id);
    Ok(summary)
}

/// What the merge of the staged rows wrote.
struct Merged {
    items_created: u64,
    items_renamed: u64,
    snapshots_inserted: u64,
    snapshots_updated: u64,
}

impl Merged {
    fn changed_nothing(&self) -> bool {
        self.items_created + self.items_renamed + self.snapshots_inserted + self.snapshots_updated
            == 0
    }
}

/// Whether Tidtam holds any item of the file's organisations and fiscal years.
async fn items_held(
    conn: &mut PgConnection,
    parsed: &Parsed,
    organisations: &FxHashMap<String, i64>,
) -> Result<bool, sqlx::Error> {
    let pairs: FxHashSet<(i64, i32)> = parsed
        .rows
        .iter()
        .filter_map(|r| Some((*organisations.get(&r.lao_code)?, r.fiscal_year)))
        .collect();
    let (ids, years): (Vec<i64>, Vec<i32>) = pairs.into_iter().unzip();
    crate::db::query_scalar(include_str!("sql/items_held.sql"))
        .bind(ids)
        .bind(years)
        .fetch_one(conn)
        .await
}

/// The merge of a file whose every row is a new item: two plain inserts from
/// staging, where each row already carries its item's id.
async fn merge_new_items(tx: &mut PgConnection, import_id: i64) -> Result<Merged, sqlx::Error> {
    let items = crate::db::query(include_str!("sql/insert_new_items.sql"))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let figures = crate::db::query(include_str!("sql/insert_new_snapshots.sql"))
        .bind(import_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    Ok(Merged {
        items_created: items,
        items_renamed: 0,
        snapshots_inserted: figures,
        snapshots_updated: 0,
    })
}

/// Merges the staged rows into the e-LAAS tables when some of the file's
/// items may be held already: each row is joined once with the items; new
/// items are inserted and renamed ones renamed; each row's figures are
/// compared with those held for its date, and only new or changed ones are
/// written.
async fn merge(
    tx: &mut PgConnection,
    import_id: i64,
    lap: &mut Lap,
) -> Result<Merged, sqlx::Error> {
    crate::db::query(include_str!("sql/staged_rows.sql"))
        .execute(&mut *tx)
        .await?;
    crate::db::query("ANALYZE elaas_staged")
        .execute(&mut *tx)
        .await?;
    lap.at("rows matched with items");
    let items_created = crate::db::query(include_str!("sql/insert_items.sql"))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if items_created > 0 {
        crate::db::query(include_str!("sql/fill_item_ids.sql"))
            .execute(&mut *tx)
            .await?;
    }
    lap.at("items inserted");
    let items_renamed = crate::db::query(include_str!("sql/rename_items.sql"))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    lap.at("items renamed");
    crate::db::query(include_str!("sql/staged_figures.sql"))
        .execute(&mut *tx)
        .await?;
    lap.at("figures compared");
    let snapshots_inserted = crate::db::query(include_str!("sql/insert_figures.sql"))
        .bind(import_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let snapshots_updated = crate::db::query(include_str!("sql/update_figures.sql"))
        .bind(import_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    lap.at("snapshots written");
    Ok(Merged {
        items_created,
        items_renamed,
        snapshots_inserted,
        snapshots_updated,
    })
}

/// Logs (at debug level) how long each step of an import took.
struct Lap(std::time::Instant);

impl Lap {
    fn new() -> Self {
        Lap(std::time::Instant::now())
    }

    fn at(&mut self, step: &str) {
        tracing::debug!(elapsed = ?self.0.elapsed(), "e-LAAS import: {step}");
        self.0 = std::time::Instant::now();
    }
}

fn to_i32(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

async fn resolve_organisations(
    conn: &mut PgConnection,
    parsed: &Parsed,
) -> Result<FxHashMap<String, i64>, sqlx::Error> {
    let codes: Vec<&str> = parsed
        .rows
        .iter()
        .map(|r| r.lao_code.as_str())
        .chain(parsed.bad_row_codes.iter().map(|(_, c)| c.as_str()))
        .collect::<FxHashSet<_>>()
        .into_iter()
        .collect();
    let found: Vec<(String, i64)> =
        crate::db::query_as(include_str!("sql/organisations_by_code.sql"))
            .bind(&codes)
            .fetch_all(conn)
            .await?;
    Ok(found.into_iter().collect())
}

async fn copy_rows(
    conn: &mut PgConnection,
    rows: &[Row],
    organisations: &FxHashMap<String, i64>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), ImportError> {
    let total = rows.len() as u64;
    let mut copy = conn
        .copy_in_raw(include_str!("sql/copy_staging.sql"))
        .await?;
    let mut buffer = String::with_capacity(COPY_CHUNK_ROWS * 256);
    let mut done = 0u64;
    for chunk in rows.chunks(COPY_CHUNK_ROWS) {
        buffer.clear();
        for row in chunk {
            let organisation_id = organisations.get(&row.lao_code).copied().ok_or_else(|| {
                ImportError::Internal(format!("organisation {} not resolved", row.lao_code))
            })?;
            copy_line(&mut buffer, row, organisation_id);
        }
        if let Err(e) = copy.send(buffer.as_bytes()).await {
            let _ = copy.abort("import failed").await;
            return Err(e.into());
        }
        done += chunk.len() as u64;
        progress(Progress::Copying { done, total });
    }
    copy.finish().await?;
    Ok(())
}

/// One row in COPY's text format: tab-separated, `\N` for null.
fn copy_line(out: &mut String, r: &Row, organisation_id: i64) {
    let _ = write!(out, "{}\t{}\t{}\t", r.line, organisation_id, r.fiscal_year);
    escape(out, &r.item_code);
    out.push('\t');
    escape(out, &r.name_th);
    let _ = write!(out, "\t{}\t{}\t", r.budget, r.contract_amount);
    match r.contract_signed_on {
        Some(d) => {
            let _ = write!(out, "{d}");
        }
        None => out.push_str("\\N"),
    }
    let _ = writeln!(out, "\t{}\t{}\t{}", r.disbursed, r.remaining, r.as_of);
}

fn escape(out: &mut String, text: &str) {
    // Almost every name needs no escape: copy it whole.
    if !text
        .bytes()
        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes() {
        let row = Row {
            line: 2,
            lao_code: "7100001".into(),
            fiscal_year: 2564,
            item_code: "A\t1".into(),
            name_th: "ก\\ข\nค".into(),
            budget: rust_decimal::Decimal::new(2000000, 2),
            contract_amount: rust_decimal::Decimal::ZERO,
            contract_signed_on: None,
            disbursed: rust_decimal::Decimal::ZERO,
            remaining: rust_decimal::Decimal::new(2000000, 2),
            as_of: NaiveDate::from_ymd_opt(2021, 3, 31).unwrap_or_default(),
        };
        let mut out = String::new();
        copy_line(&mut out, &row, 5);
        assert_eq!(
            out,
            "2\t5\t2564\tA\\t1\tก\\\\ข\\nค\t20000.00\t0\t\\N\t0\t20000.00\t2021-03-31\n"
        );
    }
}
