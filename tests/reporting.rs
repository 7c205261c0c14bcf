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

/// The data version in the table, which only writers change.
async fn data_version(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Waits (10 s at most) until the analytics' announced version is `wanted`.
async fn announced(versions: &mut tokio::sync::watch::Receiver<i64>, wanted: i64) {
    let reached = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        versions.wait_for(|v| *v == wanted),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    assert!(
        reached,
        "the analytics announce version {wanted}; they hold {}",
        *versions.borrow()
    );
}

/// The data version of a subscription's next event, within 15 s.
async fn next_version<S>(events: &mut S) -> i64
where
    S: futures_util::Stream<Item = async_graphql::Response> + Unpin,
{
    use futures_util::StreamExt;
    let response = tokio::time::timeout(std::time::Duration::from_secs(15), events.next())
        .await
        .expect("an event within 15 s")
        .expect("the stream goes on");
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    serde_json::to_value(&response.data).unwrap()["trackingReportChanged"]["dataVersion"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_notification_from_a_bi_login_does_not_freeze_live_subscriptions() {
    let db = TestDb::demo().await;
    let (login, bi) = BiLogin::create(&db).await;
    let analytics = tidtam::analytics::Analytics::new(db.pool.clone());
    analytics.listen();
    let mut versions = analytics.subscribe();
    // Listening: the listener announces the version it starts from.
    announced(&mut versions, data_version(&db).await).await;
    let schema = tidtam::graphql::build_schema_with(Some(db.pool.clone()), Some(analytics));
    let request = tidtam::graphql::prepare(
        async_graphql::Request::new(
            r#"subscription { trackingReportChanged(fiscalYear: 2564, provinceCode: "71") { dataVersion } }"#,
        ),
        &db.pool,
        tidtam::auth::Access::anonymous(),
    );
    let mut events = schema.execute_stream(request);
    assert_eq!(next_version(&mut events).await, data_version(&db).await);

    // Any role may NOTIFY: a BI login announces the largest version there is.
    sqlx::query("NOTIFY tidtam_data_changed, '9223372036854775807'")
        .execute(&bi)
        .await
        .expect("NOTIFY needs no privilege");
    // A real write that changes province 71's tracking report.
    let (id, report_version): (i64, i32) =
        sqlx::query_as("SELECT id, version FROM project_reports WHERE latitude IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let completed = db
        .graphql(
            r#"mutation ($input: CompleteReportInput!) { completeReport(input: $input) { status } }"#,
            json!({"input": {"id": tidtam::types::global_id::encode("ProjectReport", id), "version": report_version,
                             "completedOn": "30/09/2564", "summary": "ประชาชนเข้าร่วม 150 คน"}}),
        )
        .await;
    assert!(completed.get("errors").is_none(), "{completed:#}");
    let latest = data_version(&db).await;

    // The subscriber hears of the real write, at the real version.
    assert_eq!(next_version(&mut events).await, latest);
    announced(&mut versions, latest).await;
    login.drop(bi).await;
}

const ELAAS_FILE: &str = "tests/fixtures/elaas/snapshot-2564-04-thai.csv";

async fn import_as_admin(
    db: &TestDb,
) -> Result<tidtam::elaas::import::ImportSummary, tidtam::elaas::import::ImportError> {
    let bytes = std::fs::read(ELAAS_FILE).expect("the e-LAAS fixture");
    let scoped = tidtam::auth::system_db(&db.pool, "test-importer");
    tidtam::elaas::import::import(&scoped, bytes, Some("test.csv"), &mut |_| {}).await
}

#[tokio::test]
async fn a_bi_login_cannot_hold_up_imports_and_a_running_import_answers_import_busy() {
    use tidtam::elaas::import::{ImportError, IMPORT_LOCK_WAIT};
    let db = TestDb::demo().await;
    let (login, bi) = BiLogin::create(&db).await;

    // The import's lock is a row the BI role may not lock.
    let err = sqlx::query("SELECT id FROM elaas_import_lock FOR UPDATE")
        .execute(&bi)
        .await
        .expect_err("a BI login may not lock the import");
    assert_eq!(sqlstate(err), "42501");
    let mut tx = bi.begin().await.unwrap();
    let err = sqlx::query("LOCK TABLE elaas_import_lock IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .expect_err("nor the table");
    assert_eq!(sqlstate(err), "42501");
    tx.rollback().await.unwrap();

    // The advisory lock imports used to take, held by a BI login, stalls nothing.
    sqlx::query("SELECT pg_advisory_lock(hashtext('tidtam.elaas_import'))")
        .execute(&bi)
        .await
        .unwrap();
    let imported = tokio::time::timeout(std::time::Duration::from_secs(30), import_as_admin(&db))
        .await
        .expect("the import is not held up by a BI login");
    assert!(imported.is_ok(), "{imported:?}");

    // Another import holds the lock (another connection of the server's own
    // role): this one gives up after the wait, writing nothing.
    let mut holder = db.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM elaas_import_lock FOR UPDATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let imports: i64 = sqlx::query_scalar("SELECT count(*) FROM elaas_imports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let busy = tokio::time::timeout(std::time::Duration::from_secs(30), import_as_admin(&db))
        .await
        .expect("the import gives up");
    assert!(matches!(busy, Err(ImportError::Busy)), "{busy:?}");
    assert!(
        started.elapsed() >= IMPORT_LOCK_WAIT - std::time::Duration::from_millis(500),
        "it waited for the other import: {:?}",
        started.elapsed()
    );
    let error = tidtam::elaas::mutations::import_error(ImportError::Busy)
        .into_server_error(async_graphql::Pos::default());
    let error = serde_json::to_value(&error).unwrap();
    assert_eq!(error["extensions"]["code"], "IMPORT_BUSY", "{error:#}");
    assert!(
        error["extensions"]["messageTh"]
            .as_str()
            .is_some_and(|m| m.contains("นำเข้า")),
        "{error:#}"
    );
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("another e-LAAS import is running"));
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM elaas_imports")
            .fetch_one(&db.pool)
            .await
            .unwrap(),
        imports,
        "nothing written"
    );

    // Once the other import is done, the next one runs.
    holder.rollback().await.unwrap();
    let again = import_as_admin(&db).await;
    assert!(again.is_ok(), "{again:?}");
    login.drop(bi).await;
}

#[tokio::test]
async fn a_bi_login_creates_no_temporary_table_nor_large_object() {
    let db = TestDb::demo().await;
    // The privileges on the database are set by every migrate (a database
    // made from a template does not carry them): as `tidtam serve` starts.
    tidtam::db::migrate(&db.pool)
        .await
        .expect("migrate runs again");
    tidtam::db::migrate(&db.pool)
        .await
        .expect("and again: it is idempotent");
    let (login, bi) = BiLogin::create(&db).await;
    for statement in [
        "CREATE TEMP TABLE mine (x int)",
        "CREATE TEMPORARY VIEW mine AS SELECT 1 AS one",
        "SELECT lo_create(0)",
        "SELECT lo_creat(-1)",
        r"SELECT lo_from_bytea(0, '\x00'::bytea)",
    ] {
        let err = sqlx::query(statement)
            .execute(&bi)
            .await
            .expect_err(statement);
        assert_eq!(sqlstate(err), "42501", "{statement}");
    }

    // An LAO officer's import still stages its rows in temporary tables (as
    // tidtam_request), after taking the import lock.
    let account = tidtam::auth::store::account_by_username(&db.pool, "officer.hadyai")
        .await
        .unwrap()
        .expect("a demo officer");
    let officer = tidtam::auth::Access::of(account, None);
    let scoped = tidtam::db::Db::new(
        db.pool.clone(),
        tidtam::auth::session::begin_statement(&officer, std::time::Duration::from_secs(15)),
    );
    let csv = "LAO code,Fiscal year,Item code,Item name,Budget,Contract amount,Contract date,Disbursed,Remaining,As of\n\
               7100001,2564,2564-X-001,โครงการทดสอบ,100.00,0.00,,0.00,100.00,31/05/2564\n";
    let own =
        tidtam::elaas::import::import(&scoped, csv.as_bytes().to_vec(), None, &mut |_| {}).await;
    assert!(own.is_ok(), "{own:?}");
    login.drop(bi).await;
}
