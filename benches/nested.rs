//! The nested query users send most: organisations → their approvals of the
//! year → plan project, e-LAAS figures, report — through the whole GraphQL
//! stack in process (parsing, validation, row-level security, DataLoaders,
//! serialisation), for one province and for the first 100 LAOs of the
//! country, beside the plain SQL that returns the same rows as the baseline.
//! Also the national league table (`performanceScores`, polars, frames warm).
//!
//! Dataset: as benches/analytics.rs (`TIDTAM_BENCH_URL`, default the
//! generated `tidtam_bench_national`). Run: `cargo bench --bench nested`.

use criterion::{criterion_group, criterion_main, Criterion};
use sqlx::PgPool;
use std::time::Duration;
use tidtam::auth::Access;

const FISCAL_YEAR: i32 = 2561;

const NESTED: &str = r#"query ($province: String, $fy: Int!) {
  organisations(filter: {provinceCode: $province}, first: 100) {
    nodes { code name
      projects(fiscalYear: $fy) {
        name ordinanceBudget contractAmount disbursed remaining
        elaas { asOfBE }
        report { status }
      } } } }"#;

const LEAGUE: &str = r#"query ($fy: Int!) {
  performanceScores(fiscalYear: $fy, first: 100) { totalCount nodes { organisationCode name score rankInNation } } }"#;

fn pool(rt: &tokio::runtime::Runtime) -> PgPool {
    let url = std::env::var("TIDTAM_BENCH_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/tidtam_bench_national".into());
    rt.block_on(async {
        let pool = tidtam::db::connect(&url)
            .await
            .expect("the dataset (run the analytics bench once to make it)");
        tidtam::db::migrate(&pool).await.expect("migrate");
        pool
    })
}

fn run(
    rt: &tokio::runtime::Runtime,
    schema: &tidtam::graphql::TidtamSchema,
    pool: &PgPool,
    query: &str,
    vars: serde_json::Value,
) -> usize {
    let request =
        async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(vars));
    let response =
        rt.block_on(schema.execute(tidtam::graphql::prepare(request, pool, Access::anonymous())));
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    serde_json::to_string(&response).expect("JSON").len()
}

fn nested(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let pool = pool(&rt);
    let schema = tidtam::graphql::build_schema(Some(pool.clone()));
    let province: String = rt
        .block_on(
            sqlx::query_scalar("SELECT min(province_code) FROM organisations").fetch_one(&pool),
        )
        .expect("a province");
    let mut group = c.benchmark_group("nested_query");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    for (label, scope) in [
        ("one province", Some(province.clone())),
        ("first 100 LAOs", None),
    ] {
        group.bench_function(format!("baseline: plain SQL, {label}"), |b| {
            b.iter(|| {
                rt.block_on(
                    sqlx::query(include_str!("sql/nested_baseline.sql"))
                        .bind(FISCAL_YEAR)
                        .bind(scope.clone())
                        .fetch_all(&pool),
                )
                .expect("baseline")
                .len()
            })
        });
        let vars = serde_json::json!({"province": scope, "fy": FISCAL_YEAR});
        group.bench_function(format!("GraphQL, {label}"), |b| {
            b.iter(|| run(&rt, &schema, &pool, NESTED, vars.clone()))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("league_table");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    let vars = serde_json::json!({"fy": FISCAL_YEAR});
    run(&rt, &schema, &pool, LEAGUE, vars.clone()); // frames loaded once
    group.bench_function("baseline: plain SQL, the score inputs per LAO", |b| {
        b.iter(|| {
            rt.block_on(
                sqlx::query(
                    "SELECT organisation_id, count(*), count(*) FILTER (WHERE reported), count(*) FILTER (WHERE completed),
                            sum(disbursed), sum(coalesce(elaas_budget, amount))
                     FROM approval_facts WHERE fiscal_year = $1 GROUP BY organisation_id",
                )
                .bind(FISCAL_YEAR)
                .fetch_all(&pool),
            )
            .expect("baseline")
            .len()
        })
    });
    group.bench_function("GraphQL performanceScores, national, frames warm", |b| {
        b.iter(|| run(&rt, &schema, &pool, LEAGUE, vars.clone()))
    });
    group.finish();
}

criterion_group!(benches, nested);
criterion_main!(benches);
