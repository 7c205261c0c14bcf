//! Read replicas (PostgreSQL streaming replication): `DATABASE_READ_URL`,
//! comma-separated. A watcher checks every replica twice a second: one that
//! does not answer, or whose replay lags the primary by more than the limit,
//! is skipped until it is back; reads then go to another replica or to the
//! primary, and a metric and a log line say so.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often replicas are checked.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// One replica and what the watcher last saw of it.
pub struct Replica {
    /// `host:port/database`, for logs and metrics.
    pub name: String,
    pool: PgPool,
    up: AtomicBool,
    fresh: AtomicBool,
    replay_lsn: AtomicU64,
}

/// The replicas of one primary.
pub struct Replicas {
    primary: PgPool,
    replicas: Vec<Replica>,
    max_lag_bytes: u64,
    next: AtomicUsize,
    fallbacks: AtomicU64,
}

/// An LSN from a one-column query (safe behind PgBouncer: `simple_text`).
async fn lsn(pool: &PgPool, sql: &'static str) -> Option<u64> {
    parse_lsn(&super::simple_text(pool, sql).await.ok()??)
}

/// A PostgreSQL LSN (`16/B374D848`) as a number.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.trim().split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

/// An LSN as PostgreSQL writes it.
pub fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

impl Replicas {
    /// Pools for the replicas of `urls`; connections are made when first
    /// needed, so a replica that is down does not stop the server starting.
    pub fn new(
        primary: PgPool,
        urls: &[String],
        max_lag_bytes: u64,
        pgbouncer: bool,
    ) -> Result<Arc<Self>, sqlx::Error> {
        let mut replicas = Vec::new();
        for url in urls {
            let mut options = PgConnectOptions::from_str(url)?.application_name("tidtam-read");
            if pgbouncer {
                options = options.statement_cache_capacity(0);
            }
            let name = format!(
                "{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("")
            );
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(2))
                .connect_lazy_with(options);
            replicas.push(Replica {
                name,
                pool,
                up: AtomicBool::new(false),
                fresh: AtomicBool::new(false),
                replay_lsn: AtomicU64::new(0),
            });
        }
        Ok(Arc::new(Replicas {
            primary,
            replicas,
            max_lag_bytes,
            next: AtomicUsize::new(0),
            fallbacks: AtomicU64::new(0),
        }))
    }

    /// Whether any replica is configured.
    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// A replica to read from that has replayed at least `min_lsn` (a
    /// caller's own last write), round robin; `None`: read from the primary.
    pub fn pick(&self, min_lsn: Option<u64>) -> Option<(usize, PgPool)> {
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n).map(|k| (start + k) % n).find_map(|i| {
            let r = &self.replicas[i];
            let usable = r.up.load(Ordering::Relaxed)
                && r.fresh.load(Ordering::Relaxed)
                && min_lsn.is_none_or(|lsn| r.replay_lsn.load(Ordering::Relaxed) >= lsn);
            usable.then(|| (i, r.pool.clone()))
        })
    }

    /// Every replica's pool, in use or not (the last resort of a read while
    /// the primary is down).
    pub fn all(&self) -> Vec<PgPool> {
        self.replicas.iter().map(|r| r.pool.clone()).collect()
    }

    /// A replica failed a read: skip it until the watcher sees it again.
    pub fn mark_down(&self, index: usize, error: &sqlx::Error) {
        if let Some(r) = self.replicas.get(index) {
            if r.up.swap(false, Ordering::Relaxed) {
                tracing::warn!(replica = %r.name, %error, "read replica failed; reading from the primary");
            }
        }
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Resolves once the watcher has seen replica `index` stop answering.
    /// A read waiting on a replica that went away may wait a long time:
    /// PgBouncer queues a client whose server cannot be reached (refused
    /// connections) until `query_wait_timeout`, two minutes by default.
    pub async fn gone(&self, index: usize) {
        loop {
            match self.replicas.get(index) {
                Some(r) if r.up.load(Ordering::Relaxed) => {}
                _ => return,
            }
            tokio::time::sleep(CHECK_EVERY / 5).await;
        }
    }

    /// A read left a replica that went away while it waited (see [`Self::gone`]).
    pub fn count_fallback(&self) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads that had to fall back to the primary because a replica failed.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Each replica's name and whether it is in use now.
    pub fn status(&self) -> Vec<(String, bool)> {
        self.replicas
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    r.up.load(Ordering::Relaxed) && r.fresh.load(Ordering::Relaxed),
                )
            })
            .collect()
    }

    /// The primary's current WAL position, after a caller's write. Bounded
    /// by a second: while the primary is down, the pool would wait for its
    /// acquire timeout, and a failed mutation's answer with it.
    pub async fn primary_lsn(&self) -> Option<u64> {
        let current = lsn(&self.primary, "SELECT pg_current_wal_lsn()::text");
        tokio::time::timeout(Duration::from_secs(1), current)
            .await
            .ok()
            .flatten()
    }

    /// Starts the watcher.
    pub fn watch(self: &Arc<Self>) {
        if self.replicas.is_empty() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                this.check().await;
                tokio::time::sleep(CHECK_EVERY).await;
            }
        });
    }

    async fn check(&self) {
        // Unknown while the primary is down: replicas then serve as they are.
        let primary = tokio::time::timeout(CHECK_EVERY, self.primary_lsn())
            .await
            .ok()
            .flatten();
        for r in &self.replicas {
            let replay = tokio::time::timeout(
                Duration::from_secs(1),
                lsn(&r.pool, "SELECT pg_last_wal_replay_lsn()::text"),
            )
            .await;
            let seen = replay.ok().flatten();
            let was_up = r.up.load(Ordering::Relaxed) && r.fresh.load(Ordering::Relaxed);
            match seen {
                Some(lsn) => {
                    r.replay_lsn.store(lsn, Ordering::Relaxed);
                    r.up.store(true, Ordering::Relaxed);
                    let lag = primary.map(|p| p.saturating_sub(lsn)).unwrap_or(0);
                    r.fresh.store(lag <= self.max_lag_bytes, Ordering::Relaxed);
                    if lag > self.max_lag_bytes && was_up {
                        tracing::warn!(replica = %r.name, lag_bytes = lag, "read replica lags; skipping it");
                    }
                }
                None => {
                    if was_up {
                        tracing::warn!(replica = %r.name, "read replica does not answer; reading from the primary");
                    }
                    r.up.store(false, Ordering::Relaxed);
                }
            }
            let now_up = r.up.load(Ordering::Relaxed) && r.fresh.load(Ordering::Relaxed);
            if now_up && !was_up {
                tracing::info!(replica = %r.name, "read replica in use");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lsns_read_and_write_as_postgresql_does() {
        assert_eq!(super::parse_lsn("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(super::format_lsn(0x16_B374_D848), "16/B374D848");
        assert_eq!(super::parse_lsn("nonsense"), None);
    }
}
