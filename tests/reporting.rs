//! The `reporting` schema for BI tools: a login in the `tidtam_reporting` role
//! reads the documented views, with the same totals as the API, and can
//! neither write nor read the tables underneath.

mod common;

use common::TestDb;
use rust_decimal::Decimal;
use serde_json::json;

/// A login role in `tidtam_reporting` for this test database, dropped at the end.
struct BiLogin {
    admin: sqlx::PgPool,
    role: String,
}

impl BiLogin {
    async fn create(db: &TestDb) -> (BiLogin, sqlx::PgPool) {
        let role = format!("bi_{}", db.name);
        sqlx::query(&format!(
            "CREATE ROLE \"{role}\" LOGIN IN ROLE tidtam_reporting"
        ))
        .execute(&db.pool)
        .await
        .expect("create the BI login");
        let options: sqlx::postgres::PgConnectOptions = db.url.parse().expect("test database url");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options.username(&role))
            .await
            .expect("connect as the BI login");
        (
            BiLogin {
                admin: db.pool.clone(),
                role,
            },
            pool,
        )
    }

    async fn drop(self, pool: sqlx::PgPool) {
        pool.close().await;
        sqlx::query(&format!("DROP ROLE \"{}\"", self.role))
            .execute(&self.admin)
            .await
            .expect("drop the BI login");
    }
}

fn sqlstate(e: sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_bi_login_reads_the_reporting_views_and_writes_nothing() {
    let db = TestDb::demo().await;
    let (login, bi) = BiLogin::create(&db).await;

    // The same totals as the API.
    let (count, total): (i64, Decimal) = sqlx::query_as(
        "SELECT count(*), sum(amount) FROM reporting.budget_approvals WHERE fiscal_year = 2564 AND organisation_code = '7100001'",
    )
    .fetch_one(&bi)
    .await
    .expect("read the view");
    let api = db
        .graphql_ok(
            r#"{ organisation(code: "7100001") { projects(fiscalYear: 2564) { ordinanceBudget } } }"#,
            json!({}),
        )
        .await;
    let projects = api["organisation"]["projects"].as_array().unwrap();
    let api_total: Decimal = projects
        .iter()
        .map(|p| {
            p["ordinanceBudget"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(count, projects.len() as i64);
    assert_eq!(total, api_total);
    let reports: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reporting.project_reports WHERE sub_plan_goal_code = '140101'",
    )
    .fetch_one(&bi)
    .await
    .unwrap();
    assert_eq!(reports, 1, "the aerobic-dance report with its goal codes");

    // No phone numbers in the reporting schema at all.
    let phones: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'reporting' AND column_name LIKE '%phone%'",
    )
    .fetch_one(&bi)
    .await
    .unwrap();
    assert_eq!(phones, 0);

    // Refused: writing through a view, reading or writing the tables, creating objects.
    for statement in [
        "INSERT INTO reporting.planned_budgets (plan_project_id, plan_year, amount) VALUES (1, 2564, 1)",
        "UPDATE reporting.quarterly_progress SET percent = 0",
        "SELECT count(*) FROM public.project_reports",
        "DELETE FROM public.audit_log",
        "CREATE TABLE reporting.mine (x int)",
    ] {
        let err = sqlx::query(statement)
            .execute(&bi)
            .await
            .expect_err(statement);
        assert_eq!(sqlstate(err), "42501", "{statement}");
    }
    login.drop(bi).await;
}

#[tokio::test]
async fn a_bi_login_creates_nothing_even_where_public_may_create() {
    let db = TestDb::demo().await;
    let (login, bi) = BiLogin::create(&db).await;
    let may_create = |schema: &'static str| {
        let role = login.role.clone();
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT has_schema_privilege($1, $2, 'CREATE')")
                .bind(role)
                .bind(schema)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // PostgreSQL 13 and 14 grant CREATE on schema public to PUBLIC (15 does
    // not): put that back, as on such a server, and check it took.
    sqlx::query("GRANT CREATE ON SCHEMA public TO PUBLIC")
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(may_create("public").await, "as on PostgreSQL 14");
    // The migration takes it away again.
    sqlx::raw_sql(include_str!(
        "../migrations/20261126000017_reporting_no_create.sql"
    ))
    .execute(&db.pool)
    .await
    .expect("the migration runs again");
    assert!(!may_create("public").await);
    assert!(!may_create("reporting").await);
    for statement in [
        "CREATE TABLE public.x (x int)",
        "CREATE VIEW public.v AS SELECT 1 AS one",
        "CREATE VIEW reporting.v AS SELECT 1 AS one",
        "CREATE SCHEMA mine",
    ] {
        let err = sqlx::query(statement)
            .execute(&bi)
            .await
            .expect_err(statement);
        assert_eq!(sqlstate(err), "42501", "{statement}");
    }
    // Tidtam's own role still creates (the next migration must).
    sqlx::query("CREATE TABLE public.still_mine (x int)")
        .execute(&db.pool)
        .await
        .expect("the owner creates");
    login.drop(bi).await;
}
