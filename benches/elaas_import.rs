//! Importing a national e-LAAS snapshot (one row per budget approval of every
//! LAO: ~7,850 LAOs × ~100 approvals ≈ 785,000 rows), against a plain
//! `COPY` of the same file into an equivalent plain table as the baseline.
//!
//! Run: `cargo bench --bench elaas_import`. The file has
//! `TIDTAM_BENCH_ROWS` rows (default 100,000; 785000 for the national size),
//! 100 per LAO. It needs a PostgreSQL as the tests do (`DATABASE_URL`, else a
//! local server); it works in a database of its own, dropped at the end.
//!
//! - baseline: `COPY … FROM STDIN (FORMAT csv, HEADER)` of the file's bytes
//!   into an unindexed table of the same columns (amounts numeric, dates text).
//! - floor: `COPY` of the same rows straight into `elaas_items` and
//!   `elaas_snapshots` (ids given, nothing read or checked, rolled back): what
//!   writing them costs PostgreSQL, whoever writes them.
//! - import: `tidtam::elaas::import::import` into empty e-LAAS tables: decode,
//!   check every row, resolve LAO codes, COPY into staging, merge (new items,
//!   new snapshots), record the import; all in one transaction.
//! - re-import: the same file again (every row compared, nothing written).
//! - next month: a file of the same items as of a new date (the usual monthly
//!   refresh: items held, every snapshot new).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use sqlx::{Connection, PgConnection, PgPool};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const PER_LAO: usize = 100;

fn rows_wanted() -> usize {
    std::env::var("TIDTAM_BENCH_ROWS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(100_000)
        .max(PER_LAO)
}

fn lao_code(i: usize) -> String {
    format!("{}", 5_000_000 + i)
}

/// Row `r` of the generated snapshot: one item of one LAO with its figures.
struct BenchRow {
    lao: usize,
    item: usize,
    name: String,
    budget: usize,
    contract: usize,
    /// Whether the contract is signed (on 15/02/2564).
    signed: bool,
    disbursed: usize,
}

impl BenchRow {
    fn new(r: usize) -> Self {
        const NAMES: [&str; 4] = [
            "โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่",
            "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์) ครั้งที่",
            "โครงการจัดซื้อวัสดุการเกษตร ชุดที่",
            "โครงการป้องกันและควบคุมโรคไข้เลือดออก รอบที่",
        ];
        let item = r % PER_LAO;
        let budget = 10_000 + (r * 7_919) % 2_000_000;
        let signed = !item.is_multiple_of(3);
        let contract = if signed { budget - budget / 20 } else { 0 };
        BenchRow {
            lao: r / PER_LAO,
            item,
            name: format!("{} {}", NAMES[item % NAMES.len()], item + 1),
            budget,
            contract,
            signed,
            disbursed: contract / 2,
        }
    }
}

/// A snapshot file as an LAO report would write it (Thai headers, BE dates).
fn snapshot_file(rows: usize, as_of: &str) -> Vec<u8> {
    let mut out = String::with_capacity(rows * 200);
    out.push_str("รหัส อปท.,ปีงบประมาณ,รหัสรายการ,ชื่อรายการ,งบตามข้อบัญญัติ/เทศบัญญัติ,งบตามสัญญา,วันที่ลงนามสัญญา,เบิกจ่าย,คงเหลือ,ข้อมูล ณ วันที่\n");
    for row in (0..rows).map(BenchRow::new) {
        let BenchRow {
            budget,
            contract,
            disbursed,
            ..
        } = row;
        let _ = writeln!(
            out,
            "{},2564,2564-{:04},{},{budget}.00,{contract}.00,{},{disbursed}.00,{}.00,{as_of}",
            lao_code(row.lao),
            row.item,
            row.name,
            if row.signed { "15/02/2564" } else { "" },
            budget - disbursed,
        );
    }
    out.into_bytes()
}

/// The same rows as COPY text for `elaas_items` and `elaas_snapshots`
/// themselves (ids given, the LAOs' ids from `organisation_ids`), as of
/// 31/03/2564: the floor any import of the file pays in PostgreSQL.
fn table_copies(rows: usize, organisation_ids: &[i64]) -> (String, String) {
    let (mut items, mut figures) = (String::new(), String::new());
    for (r, row) in (0..rows).map(|r| (r, BenchRow::new(r))) {
        let id = r + 1;
        let organisation = organisation_ids.get(row.lao).copied().unwrap_or_default();
        let _ = writeln!(
            items,
            "{id}\t{organisation}\t2564\t2564-{:04}\t{}",
            row.item, row.name
        );
        let signed = if row.signed { "2021-02-15" } else { "\\N" };
        let _ = writeln!(
            figures,
            "{id}\t2021-03-31\t{}.00\t{}.00\t{signed}\t{}.00\t{}.00",
            row.budget,
            row.contract,
            row.disbursed,
            row.budget - row.disbursed
        );
    }
    (items, figures)
}

struct Bench {
    pool: PgPool,
    admin: String,
    name: String,
}

async fn setup(laos: usize) -> Bench {
    let explicit = std::env::var("DATABASE_URL")
        .ok()
        .and_then(|u| tidtam::db::locate::with_database(&u, "postgres"));
    let mut options = tidtam::db::locate::LocateOptions::from_env(explicit);
    options.database = "postgres".into();
    options.data_dir = std::env::temp_dir().join("tidtam-test-pgdata");
    let mut located = tidtam::db::locate::locate(&options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(cluster) = located.cluster.as_mut() {
        cluster.keep_running();
    }
    let admin = located.url.clone();
    let name = format!("tidtam_bench_{}", std::process::id());
    let mut conn = PgConnection::connect(&admin).await.expect("connect");
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .expect("create");
    let url = tidtam::db::locate::with_database(&admin, &name).expect("url");
    let pool = tidtam::db::connect(&url).await.expect("connect bench db");
    tidtam::db::migrate(&pool).await.expect("migrate");
    sqlx::query("INSERT INTO provinces (code, name_th) VALUES ('50', 'ทดสอบ')")
        .execute(&pool)
        .await
        .expect("province");
    sqlx::query(
        "INSERT INTO organisations (code, name_th, kind, province_code)
         SELECT (5000000 + i)::text, 'อบต. ทดสอบ ' || i, 'sao', '50' FROM generate_series(0, $1 - 1) AS i",
    )
    .bind(laos as i64)
    .execute(&pool)
    .await
    .expect("organisations");
    sqlx::query(
        "CREATE TABLE plain_copy (lao_code text, fiscal_year integer, item_code text, name_th text,
            budget numeric(14, 2), contract_amount numeric(14, 2), contract_signed_on text,
            disbursed numeric(14, 2), remaining numeric(14, 2), as_of text)",
    )
    .execute(&pool)
    .await
    .expect("plain table");
    Bench { pool, admin, name }
}

async fn plain_copy(pool: &PgPool, bytes: &[u8]) -> Duration {
    sqlx::query("TRUNCATE plain_copy")
        .execute(pool)
        .await
        .expect("truncate");
    let mut conn = pool.acquire().await.expect("conn");
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY plain_copy FROM STDIN WITH (FORMAT csv, HEADER true)")
        .await
        .expect("copy");
    for chunk in bytes.chunks(1 << 20) {
        copy.send(chunk).await.expect("send");
    }
    copy.finish().await.expect("finish");
    started.elapsed()
}

/// COPY of the rows straight into the e-LAAS tables, with their indexes and
/// checks, in bulk mode as the import; rolled back, so the tables stay empty.
async fn tables_copy(pool: &PgPool, items: &str, figures: &str) -> Duration {
    let mut tx = pool.begin().await.expect("begin");
    let started = Instant::now();
    sqlx::query("SELECT set_config('tidtam.bulk', 'on', true)")
        .execute(&mut *tx)
        .await
        .expect("bulk");
    for (sql, text) in [
        ("COPY elaas_items (id, organisation_id, fiscal_year, item_code, name_th) FROM STDIN", items),
        (
            "COPY elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, contract_signed_on, \
             disbursed, remaining) FROM STDIN",
            figures,
        ),
    ] {
        let mut copy = tx.copy_in_raw(sql).await.expect("copy");
        for chunk in text.as_bytes().chunks(1 << 20) {
            copy.send(chunk).await.expect("send");
        }
        copy.finish().await.expect("finish");
    }
    let elapsed = started.elapsed();
    tx.rollback().await.expect("rollback");
    elapsed
}

async fn empty_elaas(pool: &PgPool) {
    sqlx::query(
        "TRUNCATE elaas_snapshots, elaas_items, elaas_imports, audit_log RESTART IDENTITY CASCADE",
    )
    .execute(pool)
    .await
    .expect("truncate");
}

async fn import(pool: &PgPool, bytes: &[u8]) -> (Duration, tidtam::elaas::import::ImportSummary) {
    let started = Instant::now();
    let scoped = tidtam::auth::system_db(pool, "bench");
    let summary =
        tidtam::elaas::import::import(&scoped, bytes.to_vec(), Some("bench.csv"), &mut |_| {})
            .await
            .expect("import");
    (started.elapsed(), summary)
}

fn median(times: &Mutex<Vec<Duration>>) -> Duration {
    let mut t = times.lock().map(|t| t.clone()).unwrap_or_default();
    t.sort();
    t.get(t.len() / 2).copied().unwrap_or_default()
}

fn elaas_import(c: &mut Criterion) {
    // RUST_LOG=tidtam=debug shows how long each step of an import takes.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let rows = rows_wanted();
    let laos = rows.div_ceil(PER_LAO);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bench = rt.block_on(setup(laos));
    let bytes = snapshot_file(rows, "31/03/2564");
    // Each run of "next month" imports a file of a date not held yet (deleting
    // a million figures between runs would cost minutes of audit rows).
    let mut next_dates = (0..).map(|d| {
        let date =
            chrono::NaiveDate::from_ymd_opt(2021, 4, 1).unwrap_or_default() + chrono::Days::new(d);
        tidtam::types::format_be(date)
    });
    println!(
        "e-LAAS snapshot: {rows} rows ({laos} LAOs × {PER_LAO}), {:.1} MB",
        bytes.len() as f64 / 1e6
    );

    let organisation_ids: Vec<i64> = rt.block_on(async {
        sqlx::query_scalar("SELECT id FROM organisations ORDER BY code")
            .fetch_all(&bench.pool)
            .await
            .expect("organisation ids")
    });
    let (item_rows, figure_rows) = table_copies(rows, &organisation_ids);
    let copies = Mutex::new(Vec::new());
    let floors = Mutex::new(Vec::new());
    let imports = Mutex::new(Vec::new());
    let reimports = Mutex::new(Vec::new());
    let monthly = Mutex::new(Vec::new());
    let mut group = c.benchmark_group("elaas_import");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(rows as u64));
    group.bench_function("baseline: plain COPY of the file", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = rt.block_on(plain_copy(&bench.pool, &bytes));
                if let Ok(mut v) = copies.lock() {
                    v.push(t);
                }
                total += t;
            }
            total
        })
    });
    group.bench_function(
        "floor: COPY of the rows into the indexed e-LAAS tables",
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    rt.block_on(empty_elaas(&bench.pool));
                    let t = rt.block_on(tables_copy(&bench.pool, &item_rows, &figure_rows));
                    if let Ok(mut v) = floors.lock() {
                        v.push(t);
                    }
                    total += t;
                }
                total
            })
        },
    );
    group.bench_function("tidtam import into empty e-LAAS tables", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                rt.block_on(empty_elaas(&bench.pool));
                let (t, summary) = rt.block_on(import(&bench.pool, &bytes));
                assert_eq!(summary.snapshots_inserted, rows as u64);
                if let Ok(mut v) = imports.lock() {
                    v.push(t);
                }
                total += t;
            }
            total
        })
    });
    group.bench_function("tidtam re-import of the same file (no change)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (t, summary) = rt.block_on(import(&bench.pool, &bytes));
                assert!(summary.unchanged());
                if let Ok(mut v) = reimports.lock() {
                    v.push(t);
                }
                total += t;
            }
            total
        })
    });
    group.bench_function(
        "tidtam import of next month's file (items held, new date)",
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let as_of = next_dates.next().unwrap_or_default();
                    let next_month = snapshot_file(rows, &as_of);
                    let (t, summary) = rt.block_on(import(&bench.pool, &next_month));
                    assert_eq!(summary.snapshots_inserted, rows as u64);
                    assert_eq!(summary.items_created, 0);
                    if let Ok(mut v) = monthly.lock() {
                        v.push(t);
                    }
                    total += t;
                }
                total
            })
        },
    );
    group.finish();

    let per_second = |d: Duration| rows as f64 / d.as_secs_f64().max(1e-9);
    let (copy, floor) = (median(&copies), median(&floors));
    let ratio = |d: Duration, base: Duration| d.as_secs_f64() / base.as_secs_f64().max(1e-9);
    println!("\nmedians over {rows} rows:");
    for (what, time) in [
        ("plain COPY of the file (baseline)", copy),
        ("floor: COPY into the indexed tables", floor),
        ("tidtam import", median(&imports)),
        ("tidtam re-import (no-op)", median(&reimports)),
        ("tidtam next month's file", median(&monthly)),
    ] {
        println!(
            "  {what:<38} {:>7.2} s  {:>9.0} rows/s  {:>5.1}× the baseline, {:>4.1}× the floor",
            time.as_secs_f64(),
            per_second(time),
            ratio(time, copy),
            ratio(time, floor)
        );
    }

    rt.block_on(async {
        bench.pool.close().await;
        if let Ok(mut conn) = PgConnection::connect(&bench.admin).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                bench.name
            ))
            .execute(&mut conn)
            .await;
        }
    });
}

criterion_group!(benches, elaas_import);
criterion_main!(benches);
