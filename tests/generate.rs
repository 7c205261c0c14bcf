//! The synthetic dataset has the country's shape and is the same for the same seed.

mod common;

use common::TestDb;
use tidtam::generate::{generate, Event, Options, Scale};

async fn generated(seed: u32) -> TestDb {
    let db = TestDb::empty().await;
    let mut steps = Vec::new();
    let mut rows = 0;
    generate(
        &db.pool,
        Options {
            scale: Scale::Province,
            years: 1,
            seed,
        },
        |e| match e {
            Event::Finished { step, .. } => steps.push(step),
            Event::Rows(n) => rows += n,
            Event::Started { .. } => {}
        },
    )
    .await
    .unwrap();
    assert_eq!(steps.len(), 10, "{steps:?}");
    // Every row of the six large tables was reported as written, by COPY.
    let copied: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM plan_projects) + (SELECT count(*) FROM plan_project_budgets)
              + (SELECT count(*) FROM elaas_items) + (SELECT count(*) FROM budget_approvals)
              + (SELECT count(*) FROM elaas_snapshots) + (SELECT count(*) FROM project_reports)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows, copied as u64);
    db
}

async fn figures(db: &TestDb) -> (i64, i64, i64, i64, String) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM organisations), (SELECT count(*) FROM plan_projects),
                (SELECT count(*) FROM budget_approvals), (SELECT count(*) FROM elaas_snapshots),
                (SELECT sum(disbursed)::text FROM elaas_snapshots)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_province_has_the_national_shape_and_a_seed_repeats() {
    let db = generated(7).await;
    let (orgs, projects, approvals, snapshots, _) = figures(&db).await;
    assert_eq!(orgs, 102);
    // 75–365 projects per organisation and plan year, five plan years.
    assert!(
        (102 * 5 * 75..=102 * 5 * 365).contains(&projects),
        "{projects}"
    );
    // 40–230 approvals per organisation in the fiscal year.
    assert!((102 * 40..=102 * 230).contains(&approvals), "{approvals}");
    assert_eq!(snapshots, approvals * 12, "monthly figures");
    let kinds: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM organisations GROUP BY 1 ORDER BY 2 DESC")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(kinds[0].0, "sao", "most organisations are อบต.: {kinds:?}");
    // Disbursement rises through the year, month by month.
    let by_month: Vec<f64> = sqlx::query_scalar(
        "SELECT sum(disbursed)::float8 FROM elaas_snapshots GROUP BY as_of ORDER BY as_of",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(by_month.len(), 12);
    assert!(by_month.windows(2).all(|w| w[0] < w[1]), "{by_month:?}");
    // Every stage of the tracking report occurs.
    let stages: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE reported), count(*) FILTER (WHERE contracted),
                count(*) FILTER (WHERE fully_disbursed), count(*) FILTER (WHERE completed) FROM approval_facts",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        stages.0 > 0 && stages.1 > 0 && stages.2 > 0 && stages.3 > 0,
        "{stages:?}"
    );
    // The same seed gives the same data; the generator refuses a full database.
    let again = generated(7).await;
    assert_eq!(figures(&again).await, figures(&db).await);
    let refused = generate(
        &db.pool,
        Options {
            scale: Scale::Province,
            years: 1,
            seed: 7,
        },
        |_| {},
    )
    .await;
    assert!(refused.is_err());
}
