//! Frames saved on the server's disk, so that a restart restores them in
//! seconds instead of reading the year from PostgreSQL (about 50 s at
//! national size), then applies the changes logged since they were saved.
//!
//! A saved year is a folder of Parquet files, four per province (its part's
//! frames), and `saved.json` (their version, mark and provinces). It is used only when it is
//! certain to be of this database and recent enough for the change log to
//! still hold every change since (the log keeps an hour; saves younger than
//! half of that are used); otherwise the year is read from PostgreSQL.

use super::changes::Mark;
use super::frames::{FrameError, Part};
use polars::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::parquet::write::{ParquetCompression, ParquetWriter};
use polars_io::SerReader;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

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
    /// The provinces saved, in the order of their files (none in a folder
    /// saved by an earlier release, which is then not used).
    #[serde(default)]
    pub provinces: Vec<String>,
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

/// Reads the stamp of a saved year, if there is one.
pub fn stamp(folder: &Path) -> Option<Stamp> {
    let text = std::fs::read_to_string(folder.join("saved.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Writes the frames of a year into `folder`, a file per frame and province
/// (so that neither saving nor restoring ever holds a second copy of the
/// year), in a new folder renamed into place, so a reader never sees half of
/// one. Blocking: call it off the async workers.
pub fn save(
    folder: &Path,
    parts: &BTreeMap<String, Part>,
    mut stamp: Stamp,
) -> Result<(), FrameError> {
    let parent = folder.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    let fresh = parent.join(format!(".saving-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).map_err(io)?;
    for (number, part) in parts.values().enumerate() {
        let frames = [
            &part.facts,
            &part.organisations,
            &part.plan_counts,
            &part.snapshots,
        ];
        for (name, df) in FRAMES.iter().zip(frames) {
            let file = std::fs::File::create(fresh.join(file_name(number, name))).map_err(io)?;
            let mut df = df.clone();
            ParquetWriter::new(file)
                .with_compression(ParquetCompression::Lz4Raw)
                .finish(&mut df)?;
        }
    }
    stamp.provinces = parts.keys().cloned().collect();
    stamp.saved_at = now();
    let json = serde_json::to_string(&stamp).map_err(|e| io(e.into()))?;
    std::fs::write(fresh.join("saved.json"), json).map_err(io)?;
    let _ = std::fs::remove_dir_all(folder);
    std::fs::rename(&fresh, folder).map_err(io)?;
    Ok(())
}

fn io(e: std::io::Error) -> FrameError {
    FrameError::Polars(e.into())
}

/// The file of frame `name` of the `number`th province saved (province codes
/// stay out of file names: they are data).
fn file_name(number: usize, name: &str) -> String {
    format!("{number:03}-{name}.parquet")
}

/// Reads saved frames back, a part per province as saved. Blocking.
pub fn restore(folder: &Path, stamp: &Stamp) -> Result<BTreeMap<String, Part>, FrameError> {
    let read = |number: usize, name: &str| -> Result<DataFrame, FrameError> {
        let file = std::fs::File::open(folder.join(file_name(number, name))).map_err(io)?;
        Ok(ParquetReader::new(file).finish()?)
    };
    let mut parts = BTreeMap::new();
    for (number, province) in stamp.provinces.iter().enumerate() {
        let part = Part {
            facts: read(number, "facts")?,
            organisations: read(number, "organisations")?,
            plan_counts: read(number, "plan_counts")?,
            snapshots: read(number, "snapshots")?,
            memo: Default::default(),
        };
        parts.insert(province.clone(), part);
    }
    if parts.is_empty() {
        return Err(FrameError::Polars(PolarsError::NoData(
            "no province saved".into(),
        )));
    }
    Ok(parts)
}
