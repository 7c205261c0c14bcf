//! The analytics layer: aggregates computed with polars over frames of the
//! data held in memory, rebuilt when the data changes.
//!
//! Frames are loaded per fiscal year in bulk (one statement each) and cached
//! with the data version they were built at. Every write bumps that version
//! (a statement trigger), so each aggregate first reads the version — one tiny
//! query — and rebuilds stale frames; a LISTEN task rebuilds them ahead of
//! time when another process writes. polars runs on its own rayon pool
//! (`POLARS_MAX_THREADS`, set to 2 by the binary), always inside
//! `spawn_blocking` and one computation at a time, never on a tokio worker.

pub mod disbursement;
pub mod export;
pub mod frames;
pub mod graphql;
pub mod live;
pub mod scores;
pub mod tracking;

pub use graphql::{AnalyticsMutation, AnalyticsQuery};
pub use live::AnalyticsSubscription;

use crate::error::{AppError, AppResult};
use frames::YearFrames;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{watch, Mutex, Semaphore};

/// Channel of the data-change notifications.
pub const CHANNEL: &str = "tidtam_data_changed";

/// The frame cache and the gate to the polars pool.
pub struct Analytics {
    pool: PgPool,
    years: Mutex<HashMap<i32, Arc<YearFrames>>>,
    compute: Semaphore,
    /// The newest data version heard of (LISTEN), for live subscriptions.
    changed: watch::Sender<i64>,
}

impl Analytics {
    /// A cache over `pool`, empty until the first aggregate.
    pub fn new(pool: PgPool) -> Arc<Self> {
        Arc::new(Analytics {
            pool,
            years: Mutex::new(HashMap::new()),
            compute: Semaphore::new(1),
            changed: watch::Sender::new(0),
        })
    }

    /// The current data version.
    /// The server's own pool, for the aggregates' bulk loads.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn version(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT version FROM data_version")
            .fetch_one(&self.pool)
            .await
    }

    /// The frames of `fiscal_year`, rebuilt if the data changed since.
    pub async fn frames(&self, fiscal_year: i32) -> AppResult<Arc<YearFrames>> {
        let version = self.version().await?;
        // Held while loading, so concurrent callers wait for one load.
        let mut years = self.years.lock().await;
        if let Some(found) = years.get(&fiscal_year).filter(|f| f.version == version) {
            return Ok(found.clone());
        }
        let loaded = frames::load(&self.pool, fiscal_year, version)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let loaded = Arc::new(loaded);
        years.insert(fiscal_year, loaded.clone());
        Ok(loaded)
    }

    /// The data version of the cached frames of a year, if any.
    pub async fn cached_version(&self, fiscal_year: i32) -> Option<i64> {
        self.years.lock().await.get(&fiscal_year).map(|f| f.version)
    }

    /// Runs a polars computation on the blocking pool, one at a time.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> polars::prelude::PolarsResult<T> + Send + 'static,
    {
        let _permit = self
            .compute
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Rebuilds the cached years whenever another process announces a change.
    pub fn listen(self: &Arc<Self>) {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = this.listen_once().await {
                    tracing::warn!(error = %e, "analytics listener lost its connection; retrying");
                }
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        });
    }

    /// Tells of each new data version, after the cached frames are rebuilt.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.changed.subscribe()
    }

    async fn listen_once(&self) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        loop {
            let note = listener.recv().await?;
            let version = note.payload().parse::<i64>().ok();
            let cached: Vec<i32> = self.years.lock().await.keys().copied().collect();
            for year in cached {
                if let Err(e) = self.frames(year).await {
                    tracing::warn!(error = %e, year, "rebuilding analytics frames failed");
                }
            }
            if let Some(v) = version {
                self.changed.send_if_modified(|current| {
                    let newer = v > *current;
                    if newer {
                        *current = v;
                    }
                    newer
                });
            }
        }
    }
}

/// A share as a percentage with two decimals; none when the whole is zero.
pub fn percent(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| (part / whole * 10_000.0).round() / 100.0)
}

/// Satang to baht.
pub fn baht(satang: i64) -> rust_decimal::Decimal {
    rust_decimal::Decimal::new(satang, 2)
}
