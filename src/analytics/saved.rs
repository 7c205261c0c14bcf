//! Frames saved on the server's disk, so that a restart restores them in
//! seconds instead of reading the year from PostgreSQL (about 50 s at
//! national size), then applies the changes logged since they were saved.
//!
//! A saved year is a folder of four Parquet files (the whole-year frames)
//! and `saved.json` (their version and mark). It is used only when it is
//! certain to be of this database and recent enough for the change log to
//! still hold every change since (the log keeps an hour; saves younger than
//! half of that are used); otherwise the year is read from PostgreSQL.

use super::changes::Mark;
use super::frames::{FrameError, Part};
use polars::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::parquet::write::{ParquetCompression, ParquetWriter};
use polars_io::SerReader;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const FRAMES: [&str; 4] = ["facts", "organisations", "plan_counts", "snapshots"];

/// What says whose frames a folder holds and which changes they include.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    /// The database's oid: a database dropped and made again gets another.
    pub database: u32,
    pub fiscal_year: i32,
    pub version: i64,
    /// The transaction of change `version`, checked against the log.
    pub version_xid: String,
    pub xmin: u64,
    pub seen: Vec<u64>,
    pub rows: i64,
    /// Seconds since 1970 when the frames were saved.
    pub saved_at: u64,
}

impl Stamp {
    pub fn mark(&self) -> Mark {
        Mark {
            xmin: self.xmin,
            seen: self.seen.iter().copied().collect(),
            rows: self.rows,
        }
    }
}

/// The folder of a year's saved frames.
pub fn folder(dir: &Path, database: u32, fiscal_year: i32) -> PathBuf {
    dir.join(format!("db{database}-fy{fiscal_year}"))
}

/// This database's oid, and the transaction of change `version` (none when
/// the log no longer holds it).
pub async fn identity(
    tx: &mut sqlx::PgConnection,
    version: i64,
) -> Result<(u32, Option<String>), sqlx::Error> {
    let database: i64 = crate::db::query_scalar(
        "SELECT oid::bigint FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(&mut *tx)
    .await?;
    let xid: Option<String> =
        crate::db::query_scalar("SELECT xid::text FROM data_changes WHERE seq = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
    Ok((u32::try_from(database).unwrap_or_default(), xid))
}

/// Reads the stamp of a saved year, if there is one young enough to use.
pub fn stamp(folder: &Path, keep: Duration) -> Option<Stamp> {
    let text = std::fs::read_to_string(folder.join("saved.json")).ok()?;
    let stamp: Stamp = serde_json::from_str(&text).ok()?;
    let age = now().checked_sub(stamp.saved_at)?;
    (age < keep.as_secs()).then_some(stamp)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Writes the frames of a year into `folder` (a new folder renamed into
/// place, so a reader never sees half of one). Blocking: call it off the
/// async workers.
pub fn save(folder: &Path, frames: [&DataFrame; 4], mut stamp: Stamp) -> Result<(), FrameError> {
    let io = |e: std::io::Error| FrameError::Polars(e.into());
    let parent = folder.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    let fresh = parent.join(format!(".saving-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).map_err(io)?;
    for (name, df) in FRAMES.iter().zip(frames) {
        let file = std::fs::File::create(fresh.join(format!("{name}.parquet"))).map_err(io)?;
        let mut df = df.clone();
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Lz4Raw)
            .finish(&mut df)?;
    }
    stamp.saved_at = now();
    let json = serde_json::to_string(&stamp).map_err(|e| io(e.into()))?;
    std::fs::write(fresh.join("saved.json"), json).map_err(io)?;
    let _ = std::fs::remove_dir_all(folder);
    std::fs::rename(&fresh, folder).map_err(io)?;
    Ok(())
}

/// Reads saved frames back, a part per province. Blocking.
pub fn restore(folder: &Path) -> Result<BTreeMap<String, Part>, FrameError> {
    let io = |e: std::io::Error| FrameError::Polars(e.into());
    let read = |name: &str| -> Result<DataFrame, FrameError> {
        let file = std::fs::File::open(folder.join(format!("{name}.parquet"))).map_err(io)?;
        Ok(ParquetReader::new(file).finish()?)
    };
    let (facts, organisations) = (read("facts")?, read("organisations")?);
    let (plan_counts, snapshots) = (read("plan_counts")?, read("snapshots")?);
    // Each organisation's and each approval's province, as a number.
    let provinces: Vec<String> = {
        let mut p: Vec<String> = organisations
            .column("province_code")?
            .str()?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        p.sort();
        p.dedup();
        p
    };
    if provinces.is_empty() {
        return Err(FrameError::Polars(PolarsError::NoData(
            "no organisation saved".into(),
        )));
    }
    let index: HashMap<&str, u32> = provinces
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i as u32))
        .collect();
    let by_org: HashMap<i64, u32> = pairs(&organisations, "organisation_id", &index)?;
    let by_approval: HashMap<i64, u32> = pairs(&facts, "approval_id", &index)?;
    let split =
        |df: DataFrame, key: &str, of: &HashMap<i64, u32>| -> PolarsResult<Vec<DataFrame>> {
            let ids = df.column(key)?.i64()?;
            let mut rows: Vec<Vec<IdxSize>> = vec![Vec::new(); provinces.len()];
            for (row, id) in ids.iter().enumerate() {
                if let Some(p) = id.and_then(|id| of.get(&id)) {
                    rows[*p as usize].push(row as IdxSize);
                }
            }
            rows.into_iter()
                .map(|r| df.take(&IdxCa::from_vec("".into(), r)))
                .collect()
        };
    let facts = split(facts, "organisation_id", &by_org)?;
    let organisations = split(organisations, "organisation_id", &by_org)?;
    let plan_counts = split(plan_counts, "organisation_id", &by_org)?;
    let snapshots = split(snapshots, "approval_id", &by_approval)?;
    let mut parts = BTreeMap::new();
    let all = facts
        .into_iter()
        .zip(organisations)
        .zip(plan_counts)
        .zip(snapshots);
    for (province, (((facts, organisations), plan_counts), snapshots)) in
        provinces.into_iter().zip(all)
    {
        parts.insert(
            province,
            Part {
                facts,
                organisations,
                plan_counts,
                snapshots,
                memo: Default::default(),
            },
        );
    }
    Ok(parts)
}

/// Each row's id (`key`) and the number of its province.
fn pairs(df: &DataFrame, key: &str, index: &HashMap<&str, u32>) -> PolarsResult<HashMap<i64, u32>> {
    let ids = df.column(key)?.i64()?;
    let provinces = df.column("province_code")?.str()?;
    Ok(ids
        .iter()
        .zip(provinces.iter())
        .filter_map(|(id, p)| Some((id?, *index.get(p?)?)))
        .collect())
}
