//! Issue 24: analytics that stay fresh while officers write. Changes go to a
//! log that writers do not queue on; the frames are patched from it, exactly,
//! off the request path (docs/live-analytics.md).

mod common;

use common::TestDb;
use polars::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tidtam::analytics::disbursement::{self, Dimension};
use tidtam::analytics::frames::YearFrames;
use tidtam::analytics::{scores, tracking, Analytics};

const YEAR: i32 = 2564;

/// Runs polars off the tokio worker, as the server does.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

/// An organisation's `recording_method_set` as the frames hold it.
async fn recording(frames: &Arc<YearFrames>, code: &str) -> bool {
    let (frames, code) = (frames.clone(), code.to_string());
    off_runtime(move || recording_in(&frames, &code)).await
}

fn recording_in(frames: &YearFrames, code: &str) -> bool {
    let df = frames
        .organisations
        .clone()
        .lazy()
        .filter(col("code").eq(lit(code.to_string())))
        .collect()
        .unwrap();
    assert_eq!(df.height(), 1, "{code} is in the frames once");
    df.column("recording_method_set")
        .unwrap()
        .bool()
        .unwrap()
        .get(0)
        .unwrap()
}

async fn flip(executor: impl sqlx::PgExecutor<'_>, code: &str) {
    sqlx::query(
        "UPDATE organisations SET recording_method_set = NOT recording_method_set WHERE code = $1",
    )
    .bind(code)
    .execute(executor)
    .await
    .unwrap();
}

/// Flips an organisation's `recording_method_set` with the triggers off, so
/// the change log never hears of it (only a read from SQL shows it).
async fn flip_unlogged(db: &TestDb, code: &str) {
    let mut quiet = db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *quiet)
        .await
        .unwrap();
    flip(&mut *quiet, code).await;
    quiet.commit().await.unwrap();
}

async fn recording_in_db(db: &TestDb, code: &str) -> bool {
    sqlx::query_scalar("SELECT recording_method_set FROM organisations WHERE code = $1")
        .bind(code)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// One organisation's open transaction does not hold another's one-row
/// save, nor an e-LAAS import in progress a report's save: nothing every
/// writer locks (the old `data_version` row made the second wait to commit).
#[tokio::test]
async fn writers_of_different_organisations_never_wait_for_each_other() {
    let db = TestDb::random().await;
    let mut open = db.pool.begin().await.unwrap();
    flip(&mut *open, "8000004").await;
    sqlx::query(
        "INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining)
         SELECT i.id, date '2021-09-29', 1000, 0, 0, 1000
         FROM elaas_items i JOIN organisations o ON o.id = i.organisation_id WHERE o.code = '8000004'",
    )
    .execute(&mut *open)
    .await
    .unwrap();

    let mut other = db.pool.acquire().await.unwrap();
    sqlx::query("SET lock_timeout = '300ms'")
        .execute(&mut *other)
        .await
        .unwrap();
    let started = Instant::now();
    flip(&mut *other, "8000005").await;
    let saved = sqlx::query(
        "UPDATE project_reports r SET problems = 'ไม่มี' FROM budget_approvals ba
         JOIN plan_projects pp ON pp.id = ba.plan_project_id JOIN development_plans dp ON dp.id = pp.plan_id
         JOIN organisations o ON o.id = dp.organisation_id
         WHERE r.budget_approval_id = ba.id AND o.code = '8000005'",
    )
    .execute(&mut *other)
    .await
    .expect("another organisation's save does not wait for the open transaction");
    assert!(saved.rows_affected() > 0, "8000005 has reports to save");
    assert!(started.elapsed() < Duration::from_millis(300));
    open.rollback().await.unwrap();
}

/// The log is read by commit, not by number: a transaction that took a
/// lower change number and commits after a higher one is still applied.
#[tokio::test]
async fn a_change_that_commits_late_is_applied() {
    let db = TestDb::random().await;
    let analytics = Analytics::new(db.pool.clone());
    analytics.listen();
    let first = analytics.frames(YEAR).await.unwrap();
    let (early, late) = ("8000004", "8000005");
    let (early_was, late_was) = (
        recording(&first, early).await,
        recording(&first, late).await,
    );

    let mut slow = db.pool.begin().await.unwrap();
    flip(&mut *slow, early).await; // the lower number, still open
    flip(&db.pool, late).await; // a higher number, committed
    let seen = analytics.frames(YEAR).await.unwrap();
    assert_eq!(
        recording(&seen, late).await,
        !late_was,
        "the committed change"
    );
    assert_eq!(recording(&seen, early).await, early_was, "not the open one");

    slow.commit().await.unwrap();
    let seen = analytics.frames(YEAR).await.unwrap();
    assert_eq!(recording(&seen, early).await, !early_was, "the late commit");
    assert_eq!(recording(&seen, late).await, !late_was);
    let newest: i64 = sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(seen.version, newest);
}

/// Another process's write reaches the frames within the staleness bound
/// without any request asking (NOTIFY wakes the applier).
#[tokio::test]
async fn another_process_write_is_applied_within_two_seconds() {
    let db = TestDb::random().await;
    let analytics = Analytics::new(db.pool.clone());
    analytics.listen();
    let before = analytics.frames(YEAR).await.unwrap().version;
    let other = tidtam::db::connect(&db.url).await.unwrap();
    flip(&other, "8000007").await;
    let written = Instant::now();
    let want = recording_in_db(&db, "8000007").await;
    loop {
        if analytics.cached_version(YEAR).await.unwrap() > before {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(2),
            "the write was not applied within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let frames = analytics.frames(YEAR).await.unwrap();
    assert_eq!(recording(&frames, "8000007").await, want);
}

/// A request that gives up while the frames load does not take the load
/// with it: the applier finishes it, and the next request finds it done.
#[tokio::test]
async fn a_load_outlives_the_request_that_asked_for_it() {
    let db = TestDb::random().await;
    let analytics = Analytics::new(db.pool.clone());
    let gave_up = tokio::time::timeout(Duration::from_millis(1), analytics.frames(YEAR)).await;
    assert!(gave_up.is_err(), "the first load takes more than 1 ms");
    let started = Instant::now();
    while analytics.cached_version(YEAR).await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the load did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Warming at start-up works the same way, with nobody waiting.
    let warmed = Analytics::new(db.pool.clone());
    warmed.warm(&[YEAR]);
    let started = Instant::now();
    while warmed.cached_version(YEAR).await.is_none() {
        assert!(started.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every aggregate of `frames`, in an order that does not depend on the
/// order of the frames' rows.
fn aggregates(frames: &YearFrames) -> Vec<String> {
    let mut out = Vec::new();
    let report = tracking::compute(frames, None).unwrap();
    out.push(format!("{:?}", report.rows));
    out.push(format!("{:?}", report.province_totals));
    for province in ["81", "82", "83", "84"] {
        let report = tracking::compute(frames, Some(province)).unwrap();
        out.push(format!("{province}: {:?}", report.rows));
    }
    let mut scores: Vec<String> = scores::compute(frames)
        .unwrap()
        .iter()
        .map(|s| format!("{s:?}"))
        .collect();
    scores.sort();
    out.extend(scores);
    for dims in [
        vec![],
        vec![Dimension::Province],
        vec![Dimension::Organisation, Dimension::FundingSource],
        vec![Dimension::Sector, Dimension::Month],
        vec![
            Dimension::OrganisationKind,
            Dimension::MasterPlan,
            Dimension::SubPlan,
        ],
    ] {
        let mut groups: Vec<String> = disbursement::grouped(frames, &dims, None)
            .unwrap()
            .iter()
            .map(|g| format!("{g:?}"))
            .collect();
        groups.sort();
        out.push(format!("{dims:?}: {groups:?}"));
    }
    out.push(format!("{:?}", disbursement::rates(frames, None).unwrap()));
    out
}

/// Random writes of every kind the frames read, over random organisations.
const WRITES: &str = r#"
UPDATE project_reports SET status = 'completed', completed = true, completed_on = date '2021-08-01',
       summary = 'เสร็จ'
WHERE id IN (SELECT id FROM project_reports WHERE status = 'submitted' ORDER BY random() LIMIT 3);
UPDATE elaas_snapshots SET disbursed = round((disbursed + random() * 100)::numeric, 2)
WHERE id IN (SELECT id FROM elaas_snapshots ORDER BY random() LIMIT 4);
INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining)
SELECT id, date '2021-06-15' + (random() * 90)::int, 50000, 40000, 20000, 30000
FROM elaas_items WHERE id IN (SELECT id FROM elaas_items ORDER BY random() LIMIT 2)
ON CONFLICT DO NOTHING;
UPDATE organisations SET kind = CASE kind WHEN 'sao' THEN 'subdistrict_municipality' ELSE 'sao' END
WHERE id = (SELECT id FROM organisations ORDER BY random() LIMIT 1);
UPDATE organisations SET province_code = (ARRAY['81', '82', '83', '84'])[1 + floor(random() * 4)::int]
WHERE id = (SELECT id FROM organisations ORDER BY random() LIMIT 1);
UPDATE development_plans SET approved_on = CASE WHEN approved_on IS NULL THEN date '2017-06-01' END
WHERE id = (SELECT id FROM development_plans ORDER BY random() LIMIT 1);
UPDATE plan_amendments SET approved_on = date '2019-01-01'
WHERE id = (SELECT id FROM plan_amendments WHERE approved_on IS NULL ORDER BY random() LIMIT 1);
UPDATE budget_approvals SET amount = amount + 1, from_own_revenue = from_own_revenue + 1
WHERE id IN (SELECT id FROM budget_approvals ORDER BY random() LIMIT 2);
DELETE FROM project_reports WHERE budget_approval_id = (SELECT id FROM budget_approvals ORDER BY random() LIMIT 1);
"#;

/// Issue 24 §2: after every batch of random writes the patched frames give
/// the very aggregates of frames read whole, and these equal plain SQL.
#[tokio::test]
async fn patched_frames_equal_frames_read_whole_after_random_writes() {
    let db = TestDb::random().await;
    let live = Analytics::new(db.pool.clone());
    live.listen();
    live.frames(YEAR).await.unwrap();
    for round in 0..12 {
        sqlx::raw_sql(&format!("SELECT setseed(0.{round}17); {WRITES}"))
            .execute(&db.pool)
            .await
            .unwrap();
        let patched = live.frames(YEAR).await.unwrap();
        let whole = Analytics::new(db.pool.clone()).frames(YEAR).await.unwrap();
        assert_eq!(patched.version, whole.version, "round {round}");
        assert_eq!(
            patched.facts.height(),
            whole.facts.height(),
            "round {round}"
        );
        let (p, w) = (patched.clone(), whole.clone());
        let (p, w) = off_runtime(move || (aggregates(&p), aggregates(&w))).await;
        assert_eq!(p, w, "round {round}");
        assert_sql_totals(&db, &patched, round).await;
    }
}

/// Per-province approvals, budget and disbursed of the frames against SQL.
async fn assert_sql_totals(db: &TestDb, frames: &Arc<YearFrames>, round: i32) {
    let truth: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT province_code, count(*), (sum(coalesce(elaas_budget, amount)) * 100)::bigint,
                (sum(coalesce(disbursed, 0)) * 100)::bigint
         FROM approval_facts WHERE fiscal_year = $1 AND published GROUP BY 1 ORDER BY 1",
    )
    .bind(YEAR)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let frames = frames.clone();
    let got: Vec<(String, i64, i64, i64)> = off_runtime(move || {
        disbursement::grouped(&frames, &[Dimension::Province], None)
            .unwrap()
            .into_iter()
            .map(|g| (g.key[0].clone(), g.approvals, g.budget, g.disbursed))
            .collect()
    })
    .await;
    let mut got = got;
    got.sort();
    assert_eq!(got, truth, "round {round}");
}

/// A restart restores the frames saved on disk, then applies what the log
/// holds since they were saved: a change made with the triggers off (so
/// never logged) proves the frames came from the disk, not from SQL.
#[tokio::test]
async fn saved_frames_are_restored_then_patched() {
    let db = TestDb::random().await;
    let dir = std::env::temp_dir().join(format!(
        "tidtam-frames-{}-{}",
        std::process::id(),
        db.url.rsplit('/').next().unwrap()
    ));
    let first = Analytics::new(db.pool.clone());
    first.save_to(dir.clone());
    let before = first.frames(YEAR).await.unwrap();
    let started = Instant::now();
    while !std::fs::read_dir(&dir)
        .map(|mut d| d.any(|e| e.is_ok_and(|e| e.path().join("saved.json").exists())))
        .unwrap_or(false)
    {
        assert!(started.elapsed() < Duration::from_secs(20), "nothing saved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (unlogged, logged) = ("8000010", "8000011");
    let (unlogged_was, logged_was) = (
        recording(&before, unlogged).await,
        recording(&before, logged).await,
    );
    flip_unlogged(&db, unlogged).await;
    flip(&db.pool, logged).await;

    // However old a save is, it is used while the log holds every change
    // since: here it claims to be from 1970.
    age_saves(&dir);

    let restarted = Analytics::new(db.pool.clone());
    restarted.save_to(dir.clone());
    let after = restarted.frames(YEAR).await.unwrap();
    assert_eq!(
        recording(&after, unlogged).await,
        unlogged_was,
        "from the disk"
    );
    assert_eq!(
        recording(&after, logged).await,
        !logged_was,
        "patched from the log"
    );
    let whole = Analytics::new(db.pool.clone()).frames(YEAR).await.unwrap();
    assert_eq!(after.facts.height(), whole.facts.height());
    assert_eq!(after.version, whole.version);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Makes every save under `dir` claim it was written in 1970.
fn age_saves(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let stamp = entry.unwrap().path().join("saved.json");
        if let Ok(text) = std::fs::read_to_string(&stamp) {
            let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
            json["saved_at"] = serde_json::json!(0);
            std::fs::write(&stamp, json.to_string()).unwrap();
        }
    }
}

/// Waits until a save of some year is under `dir`.
async fn wait_for_save(dir: &std::path::Path) {
    let started = Instant::now();
    while !std::fs::read_dir(dir)
        .map(|mut d| d.any(|e| e.is_ok_and(|e| e.path().join("saved.json").exists())))
        .unwrap_or(false)
    {
        assert!(started.elapsed() < Duration::from_secs(20), "nothing saved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Saved frames are not restored once pruning took from the log a change
/// they lack: the year is read from PostgreSQL (which a change made with
/// the triggers off, never logged, shows).
#[tokio::test]
async fn saved_frames_are_not_restored_once_the_log_lost_changes_since() {
    let db = TestDb::random().await;
    let dir = std::env::temp_dir().join(format!(
        "tidtam-pruned-{}-{}",
        std::process::id(),
        db.url.rsplit('/').next().unwrap()
    ));
    let first = Analytics::new(db.pool.clone());
    first.save_to(dir.clone());
    let before = first.frames(YEAR).await.unwrap();
    wait_for_save(&dir).await;
    let code = "8000012";
    let was = recording(&before, code).await;
    flip_unlogged(&db, code).await;
    // Two logged changes after the save; pruning everything but the newest
    // loses the first.
    flip(&db.pool, "8000013").await;
    flip(&db.pool, "8000013").await;
    tidtam::analytics::changes::prune(&db.pool, Duration::ZERO)
        .await
        .unwrap();

    let restarted = Analytics::new(db.pool.clone());
    restarted.save_to(dir.clone());
    let after = restarted.frames(YEAR).await.unwrap();
    assert_eq!(recording(&after, code).await, !was, "read from PostgreSQL");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A change of the score weights is applied without reading the year again:
/// the weights are read, every province's scores are weighed anew (none kept
/// from the old weights), and the result equals frames loaded from nothing.
#[tokio::test]
async fn a_change_of_weights_reads_the_weights_only_and_scores_anew() {
    let db = TestDb::random().await;
    let live = Analytics::new(db.pool.clone());
    live.listen();
    let before = live.frames(YEAR).await.unwrap();
    let b = before.clone();
    let scores_before = off_runtime(move || aggregates(&b)).await;
    // A change never logged (triggers off): a whole read would show it.
    let quiet_code = "8000014";
    let quiet_was = recording(&before, quiet_code).await;
    flip_unlogged(&db, quiet_code).await;
    sqlx::query("UPDATE score_weights SET weight = weight * 3 WHERE component = 'reporting'")
        .execute(&db.pool)
        .await
        .unwrap();
    let after = live.frames(YEAR).await.unwrap();
    assert!(after.version > before.version);
    assert_ne!(after.weights, before.weights, "the weights were read again");
    assert_eq!(
        recording(&after, quiet_code).await,
        quiet_was,
        "the year was not read whole"
    );
    // Then rows and weights together, and the quiet change logged.
    sqlx::raw_sql(&format!(
        "SELECT setseed(0.77); {WRITES}
         UPDATE score_weights SET weight = weight + 1 WHERE component = 'completion';"
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    flip(&db.pool, quiet_code).await;
    flip(&db.pool, quiet_code).await;
    let after = live.frames(YEAR).await.unwrap();
    let whole = Analytics::new(db.pool.clone()).frames(YEAR).await.unwrap();
    assert_eq!(after.version, whole.version);
    let (r, w) = (after.clone(), whole.clone());
    let (r, w) = off_runtime(move || (aggregates(&r), aggregates(&w))).await;
    assert_eq!(r, w);
    assert_ne!(r, scores_before);
    assert_sql_totals(&db, &after, 0).await;
}
