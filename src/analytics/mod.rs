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
pub mod split;
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

/// How long a rebuild after a notification waits for a replica to replay
/// the notified commit before loading from the primary.
const REPLAY_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The frame cache and the gate to the polars pool.
pub struct Analytics {
    pool: PgPool,
    years: Mutex<HashMap<i32, Arc<YearFrames>>>,
    compute: Semaphore,
    /// The newest data version heard of (LISTEN), for live subscriptions.
    changed: watch::Sender<i64>,
    /// Read replicas to load frames from.
    replicas: std::sync::OnceLock<Arc<crate::db::replicas::Replicas>>,
}

/// The data version (safe behind PgBouncer: see `db::simple_text`).
async fn version_of(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let text = crate::db::simple_text(pool, "SELECT version::text FROM data_version").await?;
    text.unwrap_or_default()
        .parse()
        .map_err(|e: std::num::ParseIntError| sqlx::Error::Decode(e.into()))
}

/// Why frames could not be had from one source.
enum FramesFrom {
    /// The source could not be reached: try another.
    Unavailable(sqlx::Error),
    Sql(sqlx::Error),
    Load(frames::FrameError),
}

impl FramesFrom {
    fn from_sql(e: sqlx::Error) -> Self {
        if crate::error::unavailable(&e) {
            FramesFrom::Unavailable(e)
        } else {
            FramesFrom::Sql(e)
        }
    }

    fn into_app(self) -> AppError {
        match self {
            FramesFrom::Unavailable(e) | FramesFrom::Sql(e) => AppError::Database(e),
            FramesFrom::Load(e) => AppError::Internal(e.into()),
        }
    }
}

impl Analytics {
    /// A cache over `pool`, empty until the first aggregate.
    pub fn new(pool: PgPool) -> Arc<Self> {
        Arc::new(Analytics {
            pool,
            years: Mutex::new(HashMap::new()),
            compute: Semaphore::new(1),
            changed: watch::Sender::new(0),
            replicas: std::sync::OnceLock::new(),
        })
    }

    /// The current data version.
    /// The server's own pool, for the aggregates' bulk loads.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn version(&self) -> Result<i64, sqlx::Error> {
        version_of(&self.pool).await
    }

    /// Loads frames from read replicas when there are any.
    pub fn read_from(&self, replicas: Arc<crate::db::replicas::Replicas>) {
        let _ = self.replicas.set(replicas);
    }

    /// The frames of `fiscal_year`, rebuilt if the data changed since. With
    /// replicas, the version and the frames come from the same replica, so
    /// frames are never stamped newer than their contents; a replica that
    /// fails is skipped and the primary used.
    pub async fn frames(&self, fiscal_year: i32) -> AppResult<Arc<YearFrames>> {
        self.frames_after(fiscal_year, None).await
    }

    /// The frames of `fiscal_year` as of at least `min_lsn` (the caller's
    /// own last write, read-your-writes): from a replica that has replayed
    /// it, else from the primary.
    pub async fn frames_after(
        &self,
        fiscal_year: i32,
        min_lsn: Option<u64>,
    ) -> AppResult<Arc<YearFrames>> {
        if let Some(replicas) = self.replicas.get() {
            if let Some((index, replica)) = replicas.pick(min_lsn) {
                // A replica that goes away while the load waits for it is
                // left for the primary (see `Replicas::gone`).
                let attempt = tokio::select! {
                    done = self.frames_from(&replica, fiscal_year) => Some(done),
                    () = replicas.gone(index) => None,
                };
                match attempt {
                    Some(Err(FramesFrom::Unavailable(e))) => replicas.mark_down(index, &e),
                    Some(done) => return done.map_err(FramesFrom::into_app),
                    None => replicas.count_fallback(),
                }
            }
        }
        let pool = self.pool.clone();
        self.frames_from(&pool, fiscal_year)
            .await
            .map_err(FramesFrom::into_app)
    }

    /// Rebuilds the frames of `fiscal_year` to at least data version
    /// `version` (read after a notification). The notification comes from the
    /// primary as it commits; a replica may not have replayed that commit
    /// yet, and frames rebuilt there would stay old until the next write.
    /// So the replica is given a moment ([`REPLAY_WAIT`]), then the primary,
    /// which has the commit, is asked.
    async fn rebuild(&self, fiscal_year: i32, version: Option<i64>) -> AppResult<()> {
        let start = std::time::Instant::now();
        loop {
            let built = self.frames(fiscal_year).await?;
            if version.is_none_or(|v| built.version >= v) {
                return Ok(());
            }
            if self.replicas.get().is_none() || start.elapsed() >= REPLAY_WAIT {
                break;
            }
            tokio::time::sleep(REPLAY_WAIT / 10).await;
        }
        let pool = self.pool.clone();
        self.frames_from(&pool, fiscal_year)
            .await
            .map(|_| ())
            .map_err(FramesFrom::into_app)
    }

    async fn frames_from(
        &self,
        pool: &PgPool,
        fiscal_year: i32,
    ) -> Result<Arc<YearFrames>, FramesFrom> {
        let version = version_of(pool).await.map_err(FramesFrom::from_sql)?;
        // Held while loading, so concurrent callers wait for one load.
        let mut years = self.years.lock().await;
        if let Some(found) = years.get(&fiscal_year).filter(|f| f.version >= version) {
            return Ok(found.clone());
        }
        let loaded = frames::load(pool, fiscal_year).await.map_err(|e| match e {
            frames::FrameError::Database(s) if crate::error::unavailable(&s) => {
                FramesFrom::Unavailable(s)
            }
            other => FramesFrom::Load(other),
        })?;
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
        self.listen_via(self.pool.clone());
    }

    /// Listens through `pool`: a direct connection to the primary, where the
    /// main pool goes through PgBouncer (LISTEN needs a session of its own).
    /// After a lost connection it reconnects, and catches up on what it missed.
    pub fn listen_via(self: &Arc<Self>, pool: PgPool) {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = this.listen_once(&pool).await {
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

    async fn listen_once(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        // Whatever changed while nobody listened counts as one change now.
        let mut missed = Some(version_of(pool).await?);
        loop {
            let version = match missed.take() {
                Some(v) => v,
                None => {
                    // A notification is only a hint that something changed:
                    // any role may NOTIFY on any channel (the BI role too),
                    // and a payload of i64::MAX would hold every live
                    // subscription at that version until a restart. So the
                    // payload is ignored and the version read from the
                    // table, which only writers change; notifications that
                    // arrived meanwhile are one change (one read).
                    listener.recv().await?;
                    while listener.next_buffered().is_some() {}
                    version_of(pool).await?
                }
            };
            let cached: Vec<i32> = self.years.lock().await.keys().copied().collect();
            for year in cached {
                if let Err(e) = self.rebuild(year, Some(version)).await {
                    tracing::warn!(error = %e, year, "rebuilding analytics frames failed");
                }
            }
            self.changed.send_if_modified(|current| {
                let newer = version > *current;
                if newer {
                    *current = version;
                }
                newer
            });
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
