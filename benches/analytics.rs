//! The provincial tracking report at national size: polars warm (frames
//! cached) and cold (frames loaded first), for one province and for the whole
//! country, beside the same counts in plain SQL as the baseline, in one run.
//!
//! The dataset comes from `tidtam generate` into its own database
//! (`TIDTAM_BENCH_URL`, default `postgres://postgres@127.0.0.1:5432/tidtam_bench_<scale>`),
//! made on the first run and reused after; `TIDTAM_BENCH_SCALE` is
//! `national` (default, about 7,850 organisations) or `province`.
//! Run: `cargo bench --bench analytics`.

use criterion::{criterion_group, criterion_main, Criterion};
use sqlx::{Connection, PgConnection, PgPool};
use std::time::Duration;
use tidtam::analytics::{tracking, Analytics};
use tidtam::generate::{generate, Options, Scale};

const FISCAL_YEAR: i32 = 2561;

async fn dataset() -> PgPool {
    let scale = match std::env::var("TIDTAM_BENCH_SCALE").as_deref() {
        Ok("province") => Scale::Province,
        _ => Scale::National,
    };
    let name = format!("tidtam_bench_{scale:?}").to_lowercase();
    let url = std::env::var("TIDTAM_BENCH_URL")
        .unwrap_or_else(|_| format!("postgres://postgres@127.0.0.1:5432/{name}"));
    let admin = tidtam::db::locate::with_database(&url, "postgres").expect("admin url");
    let mut conn = PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL for the benchmark");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .expect("look up the dataset");
    let pool_url = url.clone();
    if !exists {
        tidtam::db::locate::create_database_if_missing(&mut conn, &name)
            .await
            .expect("create the dataset");
        let pool = tidtam::db::connect(&pool_url).await.expect("connect");
        tidtam::db::migrate(&pool).await.expect("migrate");
        eprintln!("generating the {scale:?} dataset once (it is kept as {name})");
        generate(
            &pool,
            Options {
                scale,
                years: 1,
                seed: 1,
            },
            |e| {
                if let tidtam::generate::Event::Finished { step, seconds } = e {
                    eprintln!("  {step}: {seconds:.1} s");
                }
            },
        )
        .await
        .expect("generate");
        sqlx::query("VACUUM ANALYZE")
            .execute(&pool)
            .await
            .expect("analyze");
    }
    tidtam::db::connect(&pool_url).await.expect("connect")
}

fn tracking_report(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let pool = rt.block_on(dataset());
    let province: String = rt
        .block_on(
            sqlx::query_scalar("SELECT min(province_code) FROM organisations").fetch_one(&pool),
        )
        .expect("a province");
    let warm = Analytics::new(pool.clone());
    rt.block_on(warm.frames(FISCAL_YEAR)).expect("frames");

    let mut group = c.benchmark_group("tracking_report");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for (label, scope) in [
        ("one province", Some(province.clone())),
        ("whole country", None),
    ] {
        group.bench_function(format!("baseline: plain SQL, {label}"), |b| {
            b.iter(|| {
                rt.block_on(
                    sqlx::query(include_str!("sql/tracking_baseline.sql"))
                        .bind(FISCAL_YEAR)
                        .bind(scope.clone())
                        .fetch_all(&pool),
                )
                .expect("baseline")
            })
        });
        group.bench_function(format!("polars warm, {label}"), |b| {
            b.iter(|| {
                let frames = rt.block_on(warm.frames(FISCAL_YEAR)).expect("frames");
                let p = scope.clone();
                rt.block_on(warm.run(move || tracking::compute(&frames, p.as_deref())))
                    .expect("report")
            })
        });
        group.bench_function(format!("polars cold, {label}"), |b| {
            b.iter(|| {
                let cold = Analytics::new(pool.clone());
                let frames = rt.block_on(cold.frames(FISCAL_YEAR)).expect("frames");
                let p = scope.clone();
                rt.block_on(cold.run(move || tracking::compute(&frames, p.as_deref())))
                    .expect("report")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, tracking_report);
criterion_main!(benches);
