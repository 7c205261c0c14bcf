//! Reading the change log (`data_changes`, migration 20261207000001) exactly.
//!
//! Changes are numbered when a statement runs, not when its transaction
//! commits, so "every change above number N" would miss a transaction that
//! took a lower number and committed later. What orders commits is the
//! snapshot: every transaction below a snapshot's `xmin` has ended. So the
//! frames remember the `xmin` of the snapshot they were read in and the
//! transactions at or above it whose changes they include ([`Mark`]); the
//! changes still to apply are those of any other transaction at or above that
//! `xmin`, and a transaction's changes all become visible at once, when it
//! commits.

use sqlx::PgConnection;
use std::collections::HashSet;

/// Which committed changes a set of frames includes.
#[derive(Clone, Debug, Default)]
pub struct Mark {
    /// Every transaction below this one had ended when the frames were read.
    pub xmin: u64,
    /// The transactions at or above `xmin` whose changes the frames include.
    pub seen: HashSet<u64>,
    /// How many rows of the log those transactions wrote.
    pub rows: i64,
}

/// Changes committed since a [`Mark`].
#[derive(Debug, Default)]
pub struct Changes {
    /// The organisations whose rows changed.
    pub organisations: HashSet<i64>,
    /// Whether data of every organisation's rows changed (deadlines, a
    /// TRUNCATE): the frames are then read whole again.
    pub everything: bool,
    /// Whether the score weights changed: they are read again, the rows are
    /// not (no row of the frames depends on them).
    pub weights: bool,
    /// The newest change number among them.
    pub newest: i64,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.organisations.is_empty() && !self.everything && !self.weights
    }
}

#[derive(sqlx::FromRow)]
struct Logged {
    seq: i64,
    xid: String,
    organisation_id: Option<i64>,
    source: String,
}

/// The snapshot's mark before any change of this transaction's snapshot is
/// read: the first statement of a REPEATABLE READ transaction fixes its
/// snapshot, so call this first. `version` is the newest change visible.
pub async fn snapshot(tx: &mut PgConnection) -> Result<(Mark, i64), sqlx::Error> {
    let (xmin, version): (String, i64) = crate::db::query_as(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text, (SELECT version FROM data_version)",
    )
    .fetch_one(&mut *tx)
    .await?;
    let xmin = parse(&xmin)?;
    // The transactions at or above xmin already committed are in this
    // snapshot's data, so in frames read from it.
    let seen: Vec<(String, i64)> = crate::db::query_as(
        "SELECT xid::text, count(*) FROM data_changes WHERE xid >= $1::text::xid8 GROUP BY xid",
    )
    .bind(xmin.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let rows = seen.iter().map(|(_, n)| n).sum();
    let seen = seen
        .iter()
        .map(|(x, _)| parse(x))
        .collect::<Result<_, _>>()?;
    Ok((Mark { xmin, seen, rows }, version))
}

/// The changes visible to the transaction `tx` that `mark` does not include,
/// and the mark that includes them too.
pub async fn since(tx: &mut PgConnection, mark: &Mark) -> Result<(Changes, Mark), sqlx::Error> {
    let (next, _) = snapshot(tx).await?;
    let rows: Vec<Logged> = crate::db::query_as(
        "SELECT seq, xid::text AS xid, organisation_id, source FROM data_changes WHERE xid >= $1::text::xid8",
    )
    .bind(mark.xmin.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let mut changes = Changes::default();
    for row in rows {
        if mark.seen.contains(&parse(&row.xid)?) {
            continue;
        }
        changes.newest = changes.newest.max(row.seq);
        match row.organisation_id {
            Some(id) => {
                changes.organisations.insert(id);
            }
            None if row.source == "score_weights" => changes.weights = true,
            None => changes.everything = true,
        }
    }
    Ok((changes, next))
}

/// Whether a change committed that `mark` does not include: one indexed
/// count of the log's rows since the mark's `xmin`, cheap enough to ask
/// before every aggregate. A transaction's rows appear together at its
/// commit, so the count moves exactly when one commits (or when pruning
/// removes rows of a transaction open for an hour: a harmless extra round).
///
/// In a transaction of its own: behind PgBouncer in transaction mode the
/// two round trips of an unnamed extended-protocol statement outside one may
/// reach two server connections ("unnamed prepared statement does not exist").
pub async fn pending(pool: &sqlx::PgPool, mark: &Mark) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN READ ONLY").await?;
    let pending = crate::db::query_scalar(
        "SELECT count(*) <> $2 FROM data_changes WHERE xid >= $1::text::xid8",
    )
    .bind(mark.xmin.to_string())
    .bind(mark.rows)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(pending)
}

fn parse(xid: &str) -> Result<u64, sqlx::Error> {
    xid.parse()
        .map_err(|e: std::num::ParseIntError| sqlx::Error::Decode(e.into()))
}

/// Forgets the changes older than `keep` (the log is read a second or so
/// behind; a process that fell further behind reloads its frames whole), and
/// records the newest transaction whose changes went (see [`covers`]).
pub async fn prune(pool: &sqlx::PgPool, keep: std::time::Duration) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    crate::db::query(
        "WITH gone AS (
             DELETE FROM data_changes WHERE changed_at < now() - make_interval(secs => $1)
                AND seq < (SELECT max(seq) FROM data_changes)
             RETURNING xid)
         INSERT INTO data_changes_pruned (newest_xid)
         SELECT max(xid::text::bigint) FROM gone HAVING count(*) > 0
         ON CONFLICT (only_row) DO UPDATE
            SET newest_xid = greatest(data_changes_pruned.newest_xid, excluded.newest_xid)",
    )
    .bind(keep.as_secs_f64())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the log still holds every change committed since `mark`: no
/// transaction at or above its `xmin` had changes pruned.
pub async fn covers(tx: &mut PgConnection, mark: &Mark) -> Result<bool, sqlx::Error> {
    let newest_pruned: Option<i64> =
        crate::db::query_scalar("SELECT newest_xid FROM data_changes_pruned")
            .fetch_optional(&mut *tx)
            .await?;
    Ok(newest_pruned.is_none_or(|x| u64::try_from(x).is_ok_and(|x| x < mark.xmin)))
}
