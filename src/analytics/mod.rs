//! The analytics layer: aggregates computed with polars over frames of the
//! data held in memory, kept fresh by patching (docs/live-analytics.md).
//!
//! Frames are held per fiscal year, a province at a time. Every write appends
//! the organisations it touched to a change log (statement triggers; no row
//! that writers queue on); one task per process, the applier, reads the log
//! (woken by NOTIFY, and every second in case a notification was lost) and
//! replaces the changed organisations' rows, reading them in the same
//! snapshot as the log. Loads and patches belong to the applier, never to
//! the request that asked: a request that times out leaves the load running.
//! Readers take the newest complete frames; one that finds a change committed
//! but not yet applied (one indexed look at the log) waits a moment for the
//! applier's next round, so a writer reads its own writes. polars runs on its
//! own rayon pool (`POLARS_MAX_THREADS`, set to 2 by the binary), always
//! inside `spawn_blocking`, never on a tokio worker.

pub mod changes;
pub mod disbursement;
pub mod export;
pub mod frames;
pub mod graphql;
pub mod live;
mod patch;
pub mod read;
mod saved;
pub mod scores;
pub mod split;
pub mod tracking;

pub use graphql::{AnalyticsMutation, AnalyticsQuery};
pub use live::AnalyticsSubscription;

use crate::error::{AppError, AppResult};
use changes::Mark;
use frames::YearFrames;
use polars::prelude::PolarsError;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify, Semaphore};

/// Channel of the data-change notifications.
pub const CHANNEL: &str = "tidtam_data_changed";

/// How often the applier reads the log when no notification woke it.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How long a reader that found an unapplied change waits for it to be
/// applied before answering from the frames it has (bounded staleness).
const FRESH_WAIT: Duration = Duration::from_millis(1500);
/// How long a request waits for a year's first load.
const LOAD_WAIT: Duration = Duration::from_secs(25);
/// How long the log keeps a change; frames not patched for half of that are
/// read whole again (their changes may be gone from the log). Saved frames
/// are restored whatever their age while the log holds every change since
/// (`changes::covers`).
const KEEP_CHANGES: Duration = Duration::from_secs(3600);
/// How often changed frames are saved again.
const SAVE_EVERY: Duration = Duration::from_secs(300);

/// The frame cache, the applier that keeps it fresh, and the gate to the
/// polars pool.
pub struct Analytics {
    pool: PgPool,
    years: Mutex<HashMap<i32, Cached>>,
    /// Years asked for and not loaded yet, with the last load's failure.
    wanted: Mutex<HashMap<i32, Option<String>>>,
    compute: Semaphore,
    /// The newest data version heard of, for live subscriptions.
    changed: watch::Sender<i64>,
    /// Rounds of the applier begun, and (watched) ended.
    begun: AtomicU64,
    ended: watch::Sender<u64>,
    wake: Arc<Notify>,
    applier: OnceLock<()>,
    /// Where frames are saved for the next start (`saved.rs`), if anywhere,
    /// and the version each year was last saved at.
    saved_dir: OnceLock<std::path::PathBuf>,
    saved: Mutex<HashMap<i32, i64>>,
    /// This cache, for the applier it starts.
    me: Weak<Analytics>,
}

/// The frames of a year and the changes they include.
#[derive(Clone)]
struct Cached {
    frames: Arc<YearFrames>,
    mark: Mark,
    patched: Instant,
}

/// The data version (safe behind PgBouncer: see `db::simple_text`).
async fn version_of(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let text = crate::db::simple_text(pool, "SELECT version::text FROM data_version").await?;
    text.unwrap_or_default()
        .parse()
        .map_err(|e: std::num::ParseIntError| sqlx::Error::Decode(e.into()))
}

/// Locks a cache map; a panic elsewhere while it was held leaves the map
/// itself whole (every change to it is one insert), so a poisoned lock is
/// taken as is.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Analytics {
    /// A cache over `pool`, empty until the first aggregate.
    pub fn new(pool: PgPool) -> Arc<Self> {
        Arc::new_cyclic(|me| Analytics {
            me: me.clone(),
            pool,
            years: Mutex::new(HashMap::new()),
            wanted: Mutex::new(HashMap::new()),
            compute: Semaphore::new(1),
            changed: watch::Sender::new(0),
            begun: AtomicU64::new(0),
            ended: watch::Sender::new(0),
            wake: Arc::new(Notify::new()),
            applier: OnceLock::new(),
            saved_dir: OnceLock::new(),
            saved: Mutex::new(HashMap::new()),
        })
    }

    /// The server's own pool, for the aggregates' bulk loads.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The newest data version in the database.
    pub async fn version(&self) -> Result<i64, sqlx::Error> {
        version_of(&self.pool).await
    }

    /// The frames of `fiscal_year`, including every change committed before
    /// the call (unless applying them takes longer than [`FRESH_WAIT`]).
    /// The first call for a year waits for its load (at most [`LOAD_WAIT`]);
    /// the load is the applier's, and goes on if the caller gives up.
    pub async fn frames(&self, fiscal_year: i32) -> AppResult<Arc<YearFrames>> {
        self.start();
        let cached = lock(&self.years).get(&fiscal_year).cloned();
        match cached {
            Some(c) => self.fresh(fiscal_year, c).await,
            None => self.first_load(fiscal_year).await,
        }
    }

    /// `cached`, or newer frames once the applier applied what the log holds
    /// beyond them.
    async fn fresh(&self, fiscal_year: i32, cached: Cached) -> AppResult<Arc<YearFrames>> {
        match changes::pending(&self.pool, &cached.mark).await {
            Ok(false) => return Ok(cached.frames),
            Ok(true) => {}
            // The primary is out of reach (a failover, a restart): the
            // frames it last gave are whole, so they answer, as old as the
            // outage at worst (tests/topology.rs reads through one).
            Err(e) => {
                tracing::debug!(error = %e, "checking the change log failed; answering from the frames held");
                return Ok(cached.frames);
            }
        }
        let _ = tokio::time::timeout(FRESH_WAIT, self.next_round()).await;
        Ok(self.cached(fiscal_year).unwrap_or(cached.frames))
    }

    async fn first_load(&self, fiscal_year: i32) -> AppResult<Arc<YearFrames>> {
        lock(&self.wanted).insert(fiscal_year, None);
        let deadline = Instant::now() + LOAD_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if tokio::time::timeout(left, self.next_round()).await.is_err() {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "the frames of {fiscal_year} are still loading"
                )));
            }
            if let Some(frames) = self.cached(fiscal_year) {
                return Ok(frames);
            }
            if let Some(Some(failure)) = lock(&self.wanted).get(&fiscal_year).cloned() {
                return Err(AppError::Internal(anyhow::anyhow!(failure)));
            }
        }
    }

    fn cached(&self, fiscal_year: i32) -> Option<Arc<YearFrames>> {
        lock(&self.years)
            .get(&fiscal_year)
            .map(|c| c.frames.clone())
    }

    /// Wakes the applier and waits for a round that began after the call.
    async fn next_round(&self) {
        let target = self.begun.load(Ordering::SeqCst) + 1;
        let mut ended = self.ended.subscribe();
        self.wake.notify_one();
        let _ = ended.wait_for(|n| *n >= target).await;
    }

    /// The data version of the cached frames of a year, if any.
    pub async fn cached_version(&self, fiscal_year: i32) -> Option<i64> {
        lock(&self.years)
            .get(&fiscal_year)
            .map(|c| c.frames.version)
    }

    /// Saves the frames under `dir` (after a load, and every few minutes
    /// while they change), and starts from them when they are recent.
    pub fn save_to(&self, dir: std::path::PathBuf) {
        let _ = self.saved_dir.set(dir);
    }

    /// Loads `years` ahead of the first request (at start-up).
    pub fn warm(&self, years: &[i32]) {
        self.start();
        let mut wanted = lock(&self.wanted);
        for year in years {
            wanted.entry(*year).or_insert(None);
        }
        self.wake.notify_one();
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

    /// Wakes the applier whenever a process announces a change.
    pub fn listen(self: &Arc<Self>) {
        self.listen_via(self.pool.clone());
    }

    /// Listens through `pool`: a direct connection to the primary, where the
    /// main pool goes through PgBouncer (LISTEN needs a session of its own).
    /// After a lost connection it reconnects; the applier's polling covers
    /// what it missed meanwhile.
    pub fn listen_via(self: &Arc<Self>, pool: PgPool) {
        self.start();
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen_once(&this, &pool).await {
                    tracing::warn!(error = %e, "analytics listener lost its connection; retrying");
                }
                if this.strong_count() == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
    }

    /// Tells of each new data version, after the cached frames include it.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.changed.subscribe()
    }

    /// Starts the applier, once.
    fn start(&self) {
        self.applier.get_or_init(|| {
            tokio::spawn(apply(self.me.clone(), self.wake.clone()));
        });
    }
}

/// Wakes the applier on every notification. A notification is only a hint:
/// any role may NOTIFY on any channel (the BI role too), so its payload is
/// ignored and the log read, which only writers change.
async fn listen_once(this: &Weak<Analytics>, pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        match this.upgrade() {
            Some(a) => a.wake.notify_one(),
            None => return Ok(()),
        }
        listener.recv().await?;
        while listener.next_buffered().is_some() {}
    }
}

/// The applier: one round per wake-up or [`POLL_EVERY`], for as long as the
/// cache lives.
async fn apply(this: Weak<Analytics>, wake: Arc<Notify>) {
    let (mut pruned, mut saved) = (Instant::now(), Instant::now());
    loop {
        // Registered before the round, so a wake-up during it is not lost.
        let woken = wake.notified();
        tokio::pin!(woken);
        let Some(a) = this.upgrade() else { return };
        a.begun.fetch_add(1, Ordering::SeqCst);
        a.round().await;
        a.ended.send_modify(|n| *n += 1);
        if saved.elapsed() > SAVE_EVERY {
            saved = Instant::now();
            a.save_changed().await;
        }
        if pruned.elapsed() > KEEP_CHANGES / 6 {
            pruned = Instant::now();
            if let Err(e) = changes::prune(&a.pool, KEEP_CHANGES).await {
                tracing::warn!(error = %e, "pruning the change log failed");
            }
        }
        drop(a);
        let _ = tokio::time::timeout(POLL_EVERY, woken).await;
    }
}

impl Analytics {
    /// Loads the years asked for, patches the cached ones, and tells
    /// subscribers of the newest version.
    async fn round(&self) {
        let wanted: Vec<i32> = lock(&self.wanted).keys().copied().collect();
        for year in wanted {
            let outcome = self.load(year).await;
            let mut wanted = lock(&self.wanted);
            match outcome {
                Ok(()) => {
                    wanted.remove(&year);
                }
                Err(e) => {
                    tracing::warn!(error = %e, year, "loading analytics frames failed");
                    wanted.insert(year, Some(e.to_string()));
                }
            }
        }
        let cached: Vec<(i32, Cached)> = lock(&self.years)
            .iter()
            .map(|(y, c)| (*y, c.clone()))
            .collect();
        for (year, c) in cached {
            let done = if c.patched.elapsed() > KEEP_CHANGES / 2 {
                self.read_whole(year).await
            } else {
                self.patch(year, c).await
            };
            if let Err(e) = done {
                tracing::warn!(error = %e, year, "patching analytics frames failed");
            }
        }
        match version_of(&self.pool).await {
            Ok(version) => {
                self.changed.send_if_modified(|current| {
                    let newer = version > *current;
                    if newer {
                        *current = version;
                    }
                    newer
                });
            }
            Err(e) => tracing::warn!(error = %e, "reading the data version failed"),
        }
    }

    /// The frames of `year` restored from the disk when they were saved
    /// recently enough, else read whole from PostgreSQL (then saved).
    async fn load(&self, year: i32) -> Result<(), frames::FrameError> {
        if let Some(dir) = self.saved_dir.get() {
            match self.restore(dir, year).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, year, "restoring saved frames failed"),
            }
        }
        self.read_whole(year).await?;
        self.save(year).await;
        Ok(())
    }

    /// Restores saved frames of `year` (the next patch applies what changed
    /// since); false when there are none to use.
    async fn restore(&self, dir: &std::path::Path, year: i32) -> Result<bool, frames::FrameError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let (database, _) = saved::identity(&mut tx, 0).await?;
        let folder = saved::folder(dir, database, year);
        let Some(stamp) = saved::stamp(&folder) else {
            return Ok(false);
        };
        let (_, xid) = saved::identity(&mut tx, stamp.version).await?;
        if xid.as_deref() != Some(stamp.version_xid.as_str())
            || stamp.fiscal_year != year
            || !changes::covers(&mut tx, &stamp.mark()).await?
        {
            return Ok(false);
        }
        let globals = read::globals(&mut tx, year).await?;
        tx.commit().await?;
        let started = Instant::now();
        let (version, mark) = (stamp.version, stamp.mark());
        let frames = off_workers(move || {
            let parts = saved::restore(&folder, &stamp)?;
            Ok(YearFrames::assemble(year, version, globals, parts)?)
        })
        .await?;
        tracing::info!(
            year,
            version,
            ms = started.elapsed().as_millis() as u64,
            "analytics frames restored"
        );
        lock(&self.saved).insert(year, version);
        self.keep(year, Arc::new(frames), mark);
        Ok(true)
    }

    /// Saves the frames of every year that changed since its last save.
    async fn save_changed(&self) {
        let years: Vec<(i32, i64)> = lock(&self.years)
            .iter()
            .map(|(y, c)| (*y, c.frames.version))
            .collect();
        for (year, version) in years {
            if lock(&self.saved).get(&year) != Some(&version) {
                self.save(year).await;
            }
        }
    }

    /// Saves the frames of `year` (when a folder is set), off the workers.
    async fn save(&self, year: i32) {
        let (Some(dir), Some(cached)) =
            (self.saved_dir.get(), lock(&self.years).get(&year).cloned())
        else {
            return;
        };
        let done = async {
            let mut tx = self.pool.begin_with("BEGIN READ ONLY").await?;
            let (database, xid) = saved::identity(&mut tx, cached.frames.version).await?;
            tx.commit().await?;
            let Some(version_xid) = xid else {
                return Ok(());
            };
            let stamp = saved::Stamp {
                database,
                fiscal_year: year,
                version: cached.frames.version,
                version_xid,
                xmin: cached.mark.xmin,
                seen: cached.mark.seen.iter().copied().collect(),
                rows: cached.mark.rows,
                saved_at: 0,
                provinces: Vec::new(),
            };
            let folder = saved::folder(dir, database, year);
            let f = cached.frames.clone();
            off_workers(move || saved::save(&folder, &f.parts, stamp)).await?;
            lock(&self.saved).insert(year, cached.frames.version);
            Ok::<_, frames::FrameError>(())
        };
        if let Err(e) = done.await {
            tracing::warn!(error = %e, year, "saving analytics frames failed");
        }
    }

    /// Reads the frames of `year` whole, in one snapshot.
    async fn read_whole(&self, year: i32) -> Result<(), frames::FrameError> {
        let started = Instant::now();
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let (mark, version) = changes::snapshot(&mut tx).await?;
        let globals = read::globals(&mut tx, year).await?;
        let parts = read::read_whole(&mut tx, year).await?;
        tx.commit().await?;
        let loaded =
            off_workers(move || Ok(YearFrames::assemble(year, version, globals, parts)?)).await?;
        tracing::info!(
            year,
            version,
            ms = started.elapsed().as_millis() as u64,
            "analytics frames read whole"
        );
        self.keep(year, Arc::new(loaded), mark);
        Ok(())
    }

    /// Applies to the frames of `year` what the log holds beyond them.
    async fn patch(&self, year: i32, cached: Cached) -> Result<(), frames::FrameError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let (found, mark) = changes::since(&mut tx, &cached.mark).await?;
        // A change to data of everybody, or to most organisations (a
        // national e-LAAS import), is read whole: narrowing the statements
        // to nearly every organisation costs more than not narrowing them.
        if found.everything || found.organisations.len() * 4 > cached.frames.organisation_count() {
            drop(tx);
            self.read_whole(year).await?;
            self.save(year).await;
            return Ok(());
        }
        if found.is_empty() {
            tx.commit().await?;
            self.keep(year, cached.frames, mark);
            return Ok(());
        }
        let weights = match found.weights {
            true => Some(read::globals(&mut tx, year).await?),
            false => None,
        };
        let changed: Vec<i64> = found.organisations.iter().copied().collect();
        let fresh = read::read(&mut tx, year, &changed).await?;
        tx.commit().await?;
        let old = cached.frames;
        let version = old.version.max(found.newest);
        let gone: HashSet<i64> = found.organisations;
        let frames = off_workers(move || Ok(old.patched(version, &gone, fresh, weights)?)).await?;
        self.keep(year, Arc::new(frames), mark);
        Ok(())
    }

    /// Makes `frames` the year's, including the changes `mark` says.
    fn keep(&self, year: i32, frames: Arc<YearFrames>, mark: Mark) {
        lock(&self.years).insert(
            year,
            Cached {
                frames,
                mark,
                patched: Instant::now(),
            },
        );
    }
}

/// Runs polars (or file) work of the applier on the blocking pool.
async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, frames::FrameError> + Send + 'static,
) -> Result<T, frames::FrameError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| frames::FrameError::Polars(PolarsError::ComputeError(e.to_string().into())))?
}

/// The newest fiscal year with approvals (none in an empty database), whose
/// frames a server loads as it starts.
pub async fn newest_years(pool: &PgPool) -> Vec<i32> {
    // Simple protocol: safe outside a transaction behind PgBouncer.
    let newest =
        crate::db::simple_text(pool, "SELECT max(fiscal_year)::text FROM budget_approvals");
    newest
        .await
        .ok()
        .flatten()
        .and_then(|year| year.parse().ok())
        .into_iter()
        .collect()
}

/// A share as a percentage with two decimals; none when the whole is zero.
pub fn percent(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| (part / whole * 10_000.0).round() / 100.0)
}

/// Satang to baht.
pub fn baht(satang: i64) -> rust_decimal::Decimal {
    rust_decimal::Decimal::new(satang, 2)
}
