//! Who may see and change what: every role against its own LAO, another LAO
//! of its province and an LAO of another province, reading through nested
//! fields and `node(id)` and writing through mutations; then tokens, the rate
//! limit and the time limits over HTTP.

mod common;

use common::TestDb;
use serde_json::{json, Value};
use tidtam::auth::{Access, Role};

const OWN: &str = "7100001";
const SAME_PROVINCE: &str = "7100101";
const OTHER_PROVINCE: &str = "7200001";
const TARGETS: [&str; 3] = [OWN, SAME_PROVINCE, OTHER_PROVINCE];

/// The demo accounts, one per role (data/demo/demo.toml), and nobody.
const CALLERS: [Option<&str>; 6] = [
    None,
    Some("officer.hadyai"),
    Some("approver.hadyai"),
    Some("evaluator.71"),
    Some("analyst"),
    Some("admin"),
];

async fn scoped_db() -> TestDb {
    let db = TestDb::demo().await;
    sqlx::raw_sql(include_str!("sql/seed_scopes.sql"))
        .execute(&db.pool)
        .await
        .expect("seed the three LAOs");
    db
}

async fn access_of(db: &TestDb, username: Option<&str>) -> Access {
    let Some(name) = username else {
        return Access::anonymous();
    };
    let account = tidtam::auth::store::account_by_username(&db.pool, name)
        .await
        .expect("read the account")
        .expect("a demo account");
    Access::of(account, None)
}

/// What the rules say: does `access` read everything of `target`?
fn reads_in_full(access: &Access, target: &str) -> bool {
    match access.role() {
        None => false,
        Some(Role::Admin | Role::CentralAnalyst) => true,
        Some(Role::ProvincialEvaluator) => target.starts_with("71"),
        Some(Role::LaoOfficer | Role::LaoApprover) => target == OWN,
    }
}

/// …and may it change `target`'s data?
fn writes(access: &Access, target: &str) -> bool {
    match access.role() {
        Some(Role::Admin) => true,
        Some(Role::LaoOfficer | Role::LaoApprover) => target == OWN,
        _ => false,
    }
}

fn code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

async fn id_of(db: &TestDb, sql: &str, target: &str) -> (i64, i32) {
    sqlx::query_as(sql)
        .bind(target)
        .fetch_one(&db.pool)
        .await
        .expect("a seeded row")
}

const REPORT_OF: &str = "SELECT r.id, r.version FROM project_reports r
    JOIN budget_approvals ba ON ba.id = r.budget_approval_id
    JOIN plan_projects pp ON pp.id = ba.plan_project_id
    JOIN development_plans dp ON dp.id = pp.plan_id
    JOIN organisations o ON o.id = dp.organisation_id
    WHERE o.code = $1 AND ba.fiscal_year = 2581 AND r.status = 'draft'";
const DRAFT_PLAN_OF: &str = "SELECT dp.id, dp.version FROM development_plans dp
    JOIN organisations o ON o.id = dp.organisation_id WHERE o.code = $1 AND dp.first_year = 2585";
const PUBLISHED_PROJECT_OF: &str = "SELECT pp.id, pp.version FROM plan_projects pp
    JOIN development_plans dp ON dp.id = pp.plan_id
    JOIN organisations o ON o.id = dp.organisation_id
    WHERE o.code = $1 AND dp.first_year = 2580 ORDER BY pp.id LIMIT 1";

const NESTED: &str = r#"query ($code: String!) { organisation(code: $code) {
    plans { firstYear }
    projects(fiscalYear: 2581) { report { status coordinatorPhone } } } }"#;

#[tokio::test]
async fn each_role_reads_its_scope_in_full_and_only_published_data_elsewhere() {
    let db = scoped_db().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    for caller in CALLERS {
        let access = access_of(&db, caller).await;
        for target in TARGETS {
            let full = reads_in_full(&access, target);
            let case = format!("{caller:?} reading {target}");
            let answer = db
                .graphql_with(&schema, access.clone(), NESTED, json!({ "code": target }))
                .await;
            assert!(answer.get("errors").is_none(), "{case}: {answer:#}");
            let org = &answer["data"]["organisation"];
            let years: Vec<i64> = org["plans"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p["firstYear"].as_i64())
                .collect();
            assert!(years.contains(&2580), "{case}: the approved plan is public");
            assert_eq!(years.contains(&2585), full, "{case}: the unapproved plan");
            let reports: Vec<&Value> = org["projects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| &p["report"])
                .filter(|r| !r.is_null())
                .collect();
            let statuses: Vec<&str> = reports
                .iter()
                .filter_map(|r| r["status"].as_str())
                .collect();
            assert!(statuses.contains(&"SUBMITTED"), "{case}: {statuses:?}");
            assert_eq!(statuses.contains(&"DRAFT"), full, "{case}: {statuses:?}");
            for r in &reports {
                assert_eq!(
                    r["coordinatorPhone"].is_string(),
                    full,
                    "{case}: the phone number of {r}"
                );
            }

            // The same draft report by its global id.
            let (report, _) = id_of(&db, REPORT_OF, target).await;
            let node = db
                .graphql_with(
                    &schema,
                    access.clone(),
                    "query ($id: ID!) { node(id: $id) { ... on ProjectReport { status } } }",
                    json!({ "id": tidtam::types::global_id::encode("ProjectReport", report) }),
                )
                .await;
            assert_eq!(
                node["data"]["node"].is_object(),
                full,
                "{case}: node {node:#}"
            );
        }
    }
}

const UPDATE_REPORT: &str = r#"mutation ($id: ID!, $version: Int!) {
    updateReport(input: {id: $id, version: $version, targetGroup: "ผู้สูงอายุ"}) { version } }"#;
const APPROVE_PLAN: &str = r#"mutation ($id: ID!, $version: Int!) {
    approvePlan(input: {planId: $id, version: $version, approvedOn: "01/06/2584"}) { approvedOnBE } }"#;
const UPDATE_PROJECT: &str = r#"mutation ($id: ID!, $version: Int!) {
    updatePlanProject(input: {id: $id, version: $version, name: "ชื่อใหม่"}) { version } }"#;

#[tokio::test]
async fn each_role_changes_only_its_own_lao_by_any_mutation() {
    for caller in CALLERS {
        // A fresh database per caller: a successful change must not hide the next refusal.
        let db = scoped_db().await;
        let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
        let access = access_of(&db, caller).await;
        for target in TARGETS {
            let case = format!("{caller:?} changing {target}");
            let may = writes(&access, target);
            let (report, version) = id_of(&db, REPORT_OF, target).await;
            let vars = json!({"id": tidtam::types::global_id::encode("ProjectReport", report), "version": version});
            let answer = db
                .graphql_with(&schema, access.clone(), UPDATE_REPORT, vars)
                .await;
            assert_eq!(answer.get("errors").is_none(), may, "{case}: {answer:#}");
            if !may {
                let expected = match access.role() {
                    None => "UNAUTHENTICATED",
                    Some(Role::ProvincialEvaluator | Role::CentralAnalyst) => "FORBIDDEN",
                    // The draft of another LAO is not even visible to an officer.
                    _ => "NOT_FOUND",
                };
                assert_eq!(code(&answer), Some(expected), "{case}: {answer:#}");
            }
            let stored: String = sqlx::query_scalar(
                "SELECT coalesce(target_group, '') FROM project_reports WHERE id = $1",
            )
            .bind(report)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            assert_eq!(stored == "ผู้สูงอายุ", may, "{case}: stored {stored:?}");

            // A published project of another LAO is visible but not changeable:
            // PostgreSQL itself refuses the update.
            let (project, version) = id_of(&db, PUBLISHED_PROJECT_OF, target).await;
            let vars = json!({"id": tidtam::types::global_id::encode("PlanProject", project), "version": version});
            let answer = db
                .graphql_with(&schema, access.clone(), UPDATE_PROJECT, vars)
                .await;
            assert_eq!(answer.get("errors").is_none(), may, "{case}: {answer:#}");
            if !may
                && access
                    .role()
                    .is_some_and(|r| matches!(r, Role::LaoOfficer | Role::LaoApprover))
            {
                assert_eq!(code(&answer), Some("FORBIDDEN"), "{case}: {answer:#}");
            }

            // Approving a plan needs an approver of the LAO.
            let approves = may && access.role() != Some(Role::LaoOfficer);
            let (plan, version) = id_of(&db, DRAFT_PLAN_OF, target).await;
            let vars = json!({"id": tidtam::types::global_id::encode("DevelopmentPlan", plan), "version": version});
            let answer = db
                .graphql_with(&schema, access.clone(), APPROVE_PLAN, vars)
                .await;
            assert_eq!(
                answer.get("errors").is_none(),
                approves,
                "{case}: {answer:#}"
            );
            if access.role() == Some(Role::LaoOfficer) {
                assert_eq!(code(&answer), Some("FORBIDDEN"), "{case}");
            }
        }
    }
}

#[tokio::test]
async fn the_audit_trail_names_the_account_and_shows_only_to_its_scope() {
    let db = scoped_db().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let officer = access_of(&db, Some("officer.hadyai")).await;
    let (report, version) = id_of(&db, REPORT_OF, OWN).await;
    let id = tidtam::types::global_id::encode("ProjectReport", report);
    let answer = db
        .graphql_with(
            &schema,
            officer.clone(),
            UPDATE_REPORT,
            json!({"id": id, "version": version}),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let (actor, org): (String, Option<String>) = sqlx::query_as(
        "SELECT a.actor, o.code FROM audit_log a LEFT JOIN organisations o ON o.id = a.organisation_id
         WHERE a.table_name = 'project_reports' AND a.row_key = $1 AND a.action = 'update'",
    )
    .bind(report.to_string())
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(actor, "officer.hadyai");
    assert_eq!(org.as_deref(), Some(OWN));

    // The submitted report of the same LAO is public, its history is not.
    let published: i64 = sqlx::query_scalar(&REPORT_OF.replace("'draft'", "'submitted'"))
        .bind(OWN)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE project_reports SET summary = 'แก้โดยผู้ดูแล' WHERE id = $1")
        .bind(published)
        .execute(&db.pool)
        .await
        .unwrap();
    let history =
        "query ($id: ID!) { node(id: $id) { ... on ProjectReport { history { actor } } } }";
    let vars = json!({"id": tidtam::types::global_id::encode("ProjectReport", published)});
    let own = db
        .graphql_with(&schema, officer, history, vars.clone())
        .await;
    // The seed's insert and the change above.
    assert_eq!(
        own["data"]["node"]["history"].as_array().map(Vec::len),
        Some(2),
        "{own:#}"
    );
    let stranger = access_of(&db, None).await;
    let public = db.graphql_with(&schema, stranger, history, vars).await;
    assert_eq!(public["data"]["node"]["history"], json!([]), "{public:#}");
}

/// A pool on a port nothing listens on, failing fast (100 ms).
fn unreachable_pool() -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(100))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap()
}

/// An anonymous caller's answer to `request`, as JSON.
async fn anonymous_answer(
    schema: &tidtam::graphql::TidtamSchema,
    pool: &sqlx::PgPool,
    request: async_graphql::Request,
) -> Value {
    let response = schema
        .execute(tidtam::graphql::prepare(request, pool, Access::anonymous()))
        .await;
    serde_json::to_value(&response).unwrap()
}

#[tokio::test]
async fn a_deep_or_wide_query_is_refused_before_it_touches_the_database() {
    // Any statement would fail with a connection error, so a limit's code
    // proves none was sent.
    let pool = unreachable_pool();
    let schema = tidtam::graphql::build_schema(Some(pool.clone()));
    let mut nested = String::from("name");
    for _ in 0..16 {
        nested = format!("ofType {{ {nested} }}");
    }
    let deep = format!("{{ __schema {{ queryType {{ fields {{ type {{ {nested} }} }} }} }} }}");
    let wide = format!(
        "{{ {} }}",
        (0..40)
            .map(|i| format!("a{i}: provinces {{ code }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let complex = "{ organisations(first: 100) { edges { node { budgetApprovals(first: 100) { edges { node { amount planProject { name } } } } } } } }";
    // Lists without pagination are priced by how many items they hold.
    let unpaged = "{ organisations(first: 100) { edges { node { projects(fiscalYear: 2564) { history { actor } } } } } }";
    let elaas =
        "{ organisations(first: 100) { edges { node { elaasItems { figures { budget } } } } } }";
    let plans = "{ organisations(first: 50) { edges { node { plans { projects(first: 100) { edges { node { approvals { report { history { actor at } } } } } } } } } } }";
    for (query, expected) in [
        (deep.as_str(), "QUERY_TOO_DEEP"),
        (wide.as_str(), "TOO_MANY_ALIASES"),
        (complex, "QUERY_TOO_COMPLEX"),
        (unpaged, "QUERY_TOO_COMPLEX"),
        (elaas, "QUERY_TOO_COMPLEX"),
        (plans, "QUERY_TOO_COMPLEX"),
    ] {
        let request = async_graphql::Request::new(query);
        let answer = anonymous_answer(&schema, &pool, request).await;
        assert_eq!(code(&answer), Some(expected), "{answer:#}");
    }
}

#[tokio::test]
async fn every_document_of_queries_passes_the_limits() {
    // A document within the limits gets as far as the (unreachable)
    // database and fails there, never with a limit's code.
    let pool = unreachable_pool();
    let schema = tidtam::graphql::build_schema(Some(pool.clone()));
    for (name, document) in tidtam::http::dashboard::QUERIES {
        let request = async_graphql::Request::new(document).variables(
            async_graphql::Variables::from_json(json!({
                "id": tidtam::types::global_id::encode("ProjectReport", 1)
            })),
        );
        let answer = anonymous_answer(&schema, &pool, request).await;
        for error in answer["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str().unwrap_or("");
            assert!(
                !matches!(
                    code,
                    "QUERY_TOO_COMPLEX" | "QUERY_TOO_DEEP" | "TOO_MANY_ALIASES"
                ),
                "{name}: {answer:#}"
            );
        }
    }
}

#[tokio::test]
async fn a_statement_past_its_timeout_is_stopped_with_a_code() {
    let db = TestDb::empty().await;
    let begin = tidtam::auth::session::begin_statement(
        &Access::anonymous(),
        std::time::Duration::from_millis(50),
    );
    let scoped = tidtam::db::Db::new(db.pool.clone(), begin);
    let err = sqlx::query("SELECT pg_sleep(2)")
        .execute(&scoped)
        .await
        .expect_err("stopped");
    assert_eq!(tidtam::error::AppError::from(err).code(), "TIMEOUT");
}

async fn post(base: &str, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query }));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn signing_in_gives_a_token_that_stops_working_once_revoked() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let (_, wrong) = post(
        &base,
        None,
        r#"mutation { signIn(username: "officer.hadyai", password: "wrong-password") { token } }"#,
    )
    .await;
    assert_eq!(code(&wrong), Some("UNAUTHENTICATED"), "{wrong:#}");
    let (_, signed) = post(
        &base,
        None,
        r#"mutation { signIn(username: "officer.hadyai", password: "tidtam-demo") { token viewer { role organisation { code } } } }"#,
    )
    .await;
    assert_eq!(signed["data"]["signIn"]["viewer"]["role"], "LAO_OFFICER");
    assert_eq!(
        signed["data"]["signIn"]["viewer"]["organisation"]["code"],
        OWN
    );
    let session = signed["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_string();

    // An API token made with the session, then revoked with it.
    let (_, made) = post(
        &base,
        Some(&session),
        r#"mutation { createApiToken(name: "Metabase", expiresInDays: 30) { token info { id } } }"#,
    )
    .await;
    let api = made["data"]["createApiToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let id = made["data"]["createApiToken"]["info"]["id"]
        .as_i64()
        .unwrap();
    let (status, me) = post(&base, Some(&api), "{ viewer { username } }").await;
    assert_eq!(
        (status, &me["data"]["viewer"]["username"]),
        (200, &json!("officer.hadyai"))
    );
    let (_, revoked) = post(
        &base,
        Some(&session),
        &format!("mutation {{ revokeApiToken(id: {id}) {{ revokedAt }} }}"),
    )
    .await;
    assert!(
        revoked["data"]["revokeApiToken"]["revokedAt"].is_string(),
        "{revoked:#}"
    );
    let (status, refused) = post(&base, Some(&api), "{ viewer { username } }").await;
    assert_eq!(status, 401);
    assert_eq!(code(&refused), Some("UNAUTHENTICATED"));

    // Signing out ends the session itself.
    let (_, out) = post(&base, Some(&session), "mutation { signOut }").await;
    assert_eq!(out["data"]["signOut"], true);
    let (status, _) = post(&base, Some(&session), "{ viewer { username } }").await;
    assert_eq!(status, 401);
    let (status, anonymous) = post(&base, None, "{ viewer { username } }").await;
    assert_eq!((status, &anonymous["data"]["viewer"]), (200, &Value::Null));
}

#[tokio::test]
async fn a_caller_over_its_rate_is_refused_and_others_are_not() {
    let db = TestDb::demo().await;
    let base = db.serve_rate_limited(60).await;
    let token = db.token("analyst").await;
    for _ in 0..10 {
        let (status, _) = post(&base, Some(&token), "{ provinces { totalCount } }").await;
        assert_eq!(status, 200);
    }
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ provinces { totalCount } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), Some("RATE_LIMITED"));
    // Another caller (anonymous, by address) has its own allowance.
    let (status, _) = post(&base, None, "{ provinces { totalCount } }").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_stopped_with_a_code() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut state = tidtam::http::AppState::new(schema, db.pool.clone());
    state.limits = std::sync::Arc::new(tidtam::http::ServerLimits {
        request_timeout: std::time::Duration::from_micros(1),
        ..Default::default()
    });
    let base = db.serve_with(state).await;
    let (status, body) = post(
        &base,
        None,
        "{ organisations { edges { node { code plans { firstYear } } } } }",
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(code(&body), Some("TIMEOUT"));
}

#[tokio::test]
async fn every_mutation_of_the_schema_has_a_rule() {
    let sdl = tidtam::graphql::sdl();
    let mutation = sdl
        .split("type Mutation {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("a Mutation type");
    // Field lines only: a description ("""…""") may hold any text, parentheses too.
    let mut in_description = false;
    let fields: Vec<&str> = mutation
        .lines()
        .map(str::trim)
        .filter(|l| {
            if l.starts_with("\"\"\"") {
                let one_line = l.len() > 6 && l.ends_with("\"\"\"");
                in_description ^= !one_line;
                return false;
            }
            !in_description && !l.is_empty() && !l.starts_with('"') && l.contains('(')
        })
        .filter_map(|l| l.split('(').next())
        .filter(|name| name.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .collect();
    assert!(fields.len() > 20, "{fields:?}");
    for field in fields {
        assert!(
            tidtam::auth::gate::permission_of("Mutation", field).is_some(),
            "mutation {field} has no rule in auth::gate"
        );
    }
    assert!(tidtam::auth::gate::permission_of("Mutation", "dropEverything").is_none());
}

#[tokio::test]
async fn an_officer_imports_e_laas_figures_of_its_own_lao_only() {
    let db = TestDb::demo().await;
    let officer = access_of(&db, Some("officer.hadyai")).await;
    let scoped = tidtam::db::Db::new(
        db.pool.clone(),
        tidtam::auth::session::begin_statement(&officer, std::time::Duration::from_secs(15)),
    );
    let csv = |code: &str| {
        format!(
            "LAO code,Fiscal year,Item code,Item name,Budget,Contract amount,Contract date,Disbursed,Remaining,As of\n\
             {code},2564,2564-X-001,โครงการทดสอบสิทธิ์,100.00,0.00,,0.00,100.00,31/05/2564\n"
        )
        .into_bytes()
    };
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM elaas_items WHERE item_code = '2564-X-001'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    let other = tidtam::elaas::import::import(&scoped, csv(SAME_PROVINCE), None, &mut |_| {}).await;
    match other {
        Err(tidtam::elaas::import::ImportError::Database(e)) => {
            assert_eq!(tidtam::error::AppError::from(e).code(), "FORBIDDEN")
        }
        other => panic!("another LAO's file must be refused: {other:?}"),
    }
    assert_eq!(count().await, 0, "nothing written");
    let own = tidtam::elaas::import::import(&scoped, csv(OWN), None, &mut |_| {}).await;
    assert!(own.is_ok(), "{own:?}");
    assert_eq!(count().await, 1);
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM elaas_imports ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(actor, "officer.hadyai");
}

#[tokio::test]
async fn bad_accounts_and_tokens_are_refused_naming_the_field_and_nothing_is_written() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let admin = access_of(&db, Some("admin")).await;
    let create =
        r#"mutation ($input: NewAccountInput!) { createAccount(input: $input) { username } }"#;
    let accounts = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM accounts")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let before = accounts().await;
    for (input, field) in [
        (
            json!({"username": "evaluator.72", "displayName": "x", "password": "long-enough", "role": "PROVINCIAL_EVALUATOR"}),
            "input.provinceCode",
        ),
        (
            json!({"username": "officer.x", "displayName": "x", "password": "long-enough", "role": "LAO_OFFICER"}),
            "input.organisationCode",
        ),
        (
            json!({"username": "officer.x", "displayName": "x", "password": "long-enough", "role": "LAO_OFFICER", "organisationCode": "9999999"}),
            "input.organisationCode",
        ),
        (
            json!({"username": "analyst", "displayName": "x", "password": "long-enough", "role": "CENTRAL_ANALYST"}),
            "input.username",
        ),
        (
            json!({"username": "Bad Name!", "displayName": "x", "password": "long-enough", "role": "CENTRAL_ANALYST"}),
            "input.username",
        ),
        (
            json!({"username": "short.pw", "displayName": "x", "password": "short", "role": "CENTRAL_ANALYST"}),
            "input.password",
        ),
    ] {
        let answer = db
            .graphql_with(&schema, admin.clone(), create, json!({"input": input}))
            .await;
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], field,
            "{answer:#}"
        );
        assert!(
            answer["errors"][0]["extensions"]["messageTh"].is_string(),
            "{answer:#}"
        );
    }
    assert_eq!(accounts().await, before, "nothing written");

    let analyst = access_of(&db, Some("analyst")).await;
    let tokens = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM api_tokens")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let before = tokens().await;
    for (vars, field) in [
        (json!({"name": "BI", "days": 0}), "expiresInDays"),
        (json!({"name": "BI", "days": 400}), "expiresInDays"),
        (json!({"name": "  ", "days": 30}), "name"),
    ] {
        let answer = db
            .graphql_with(
                &schema,
                analyst.clone(),
                "mutation ($name: String!, $days: Int!) { createApiToken(name: $name, expiresInDays: $days) { token } }",
                vars,
            )
            .await;
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], field,
            "{answer:#}"
        );
    }
    assert_eq!(tokens().await, before, "nothing written");
}

/// The 2566 chain of goals (the aerobic-dance project's) on a report.
const SET_GOALS: &str = "UPDATE project_reports SET
    strategy_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '3.1'),
    master_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140001'),
    sub_plan_goal_id = (SELECT id FROM plan_nodes WHERE edition = '2566' AND code = '140101')
    WHERE id = $1";

/// The sub-plan of each row of the fact export of `SAME_PROVINCE`, by approval.
async fn exported_sub_plans(base: &str, token: Option<&str>) -> Vec<(String, String)> {
    let mut request = reqwest::Client::new().get(format!(
        "{base}/export/facts.csv?fiscalYear=2581&organisationCode={SAME_PROVINCE}"
    ));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, sub_plan) = (at("approval_id"), at("sub_plan"));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (
                cells[id].to_string(),
                cells[sub_plan].trim_matches('"').to_string(),
            )
        })
        .collect()
}

/// The non-empty sub-plans of `disbursement` by organisation and sub-plan.
async fn disbursed_sub_plans(db: &TestDb, access: Access) -> Vec<String> {
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let answer = db
        .graphql_with(
            &schema,
            access,
            r#"query ($code: String!) { disbursement(fiscalYear: 2581, groupBy: [ORGANISATION, SUB_PLAN],
                 filter: {organisationCode: $code}) { groups { key { dimension value } approvals } } }"#,
            json!({ "code": SAME_PROVINCE }),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    answer["data"]["disbursement"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["key"].as_array().unwrap().clone())
        .filter(|k| k["dimension"] == "SUB_PLAN")
        .filter_map(|k| k["value"].as_str().map(str::to_string))
        .filter(|v| !v.is_empty())
        .collect()
}

#[tokio::test]
async fn analytics_show_a_reports_goals_only_once_it_is_submitted() {
    let db = scoped_db().await;
    let (draft, _) = id_of(&db, REPORT_OF, SAME_PROVINCE).await;
    sqlx::query(SET_GOALS)
        .bind(draft)
        .execute(&db.pool)
        .await
        .unwrap();
    let base = db.serve().await;
    // officer.hadyai belongs to OWN: SAME_PROVINCE is another LAO to it.
    let stranger = db.token("officer.hadyai").await;
    for token in [None, Some(stranger.as_str())] {
        let rows = exported_sub_plans(&base, token).await;
        assert_eq!(rows.len(), 2, "both approvals are public: {rows:?}");
        assert!(
            rows.iter().all(|(_, s)| s.is_empty()),
            "{token:?}: {rows:?}"
        );
    }
    for caller in [None, Some("officer.hadyai")] {
        let access = access_of(&db, caller).await;
        assert_eq!(disbursed_sub_plans(&db, access).await, Vec::<String>::new());
    }

    // Submitted, the report is published, and its goals with it.
    sqlx::query("UPDATE project_reports SET status = 'submitted', submitted_on = DATE '2038-01-10' WHERE id = $1")
        .bind(draft)
        .execute(&db.pool)
        .await
        .unwrap();
    let rows = exported_sub_plans(&base, None).await;
    let approval: i64 =
        sqlx::query_scalar("SELECT budget_approval_id FROM project_reports WHERE id = $1")
            .bind(draft)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let published: Vec<&(String, String)> = rows.iter().filter(|(_, s)| !s.is_empty()).collect();
    assert_eq!(published.len(), 1, "{rows:?}");
    assert_eq!(published[0].0, approval.to_string());
    let sub_plans = disbursed_sub_plans(&db, Access::anonymous()).await;
    assert_eq!(sub_plans.len(), 1, "{sub_plans:?}");
    assert_eq!(sub_plans[0], published[0].1);
}

#[tokio::test]
async fn the_monitoring_report_counts_nothing_of_an_unapproved_plan() {
    let db = scoped_db().await;
    // The unapproved 2585–2589 plan of SAME_PROVINCE gets a strategy and a
    // project with a budget for 2586: none of it is published. An LAO of
    // another province has its plan for those years approved, so that 2586 is
    // a fiscal year Tidtam holds plans for (src/arguments: a year only an
    // unapproved plan covers is refused as INVALID_FISCAL_YEAR).
    sqlx::raw_sql(&format!(
        "UPDATE development_plans SET approved_on = '2041-06-01' WHERE first_year = 2585
           AND organisation_id = (SELECT id FROM organisations WHERE code = '{OTHER_PROVINCE}');
         INSERT INTO lao_strategies (plan_id, number, name_th)
           SELECT dp.id, 1, 'ยุทธศาสตร์ร่าง' FROM development_plans dp
           JOIN organisations o ON o.id = dp.organisation_id WHERE o.code = '{SAME_PROVINCE}' AND dp.first_year = 2585;
         INSERT INTO plan_project_budgets (plan_project_id, plan_year, amount)
           SELECT pp.id, 2586, 500 FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
           JOIN organisations o ON o.id = dp.organisation_id WHERE o.code = '{SAME_PROVINCE}' AND dp.first_year = 2585;"
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    for caller in [None, Some("officer.hadyai")] {
        let answer = db
            .graphql_with(
                &schema,
                access_of(&db, caller).await,
                r#"{ monitoringReport(fiscalYear: 2586, provinceCode: "71") {
                     rows { organisationCode strategies planApproved planProjects { planYear projects } } } }"#,
                json!({}),
            )
            .await;
        assert!(answer.get("errors").is_none(), "{answer:#}");
        let row = answer["data"]["monitoringReport"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["organisationCode"] == SAME_PROVINCE)
            .cloned()
            .unwrap();
        assert_eq!(row["strategies"], 0, "{caller:?}: {row:#}");
        assert_eq!(row["planApproved"], false, "{caller:?}: {row:#}");
        let planned: i64 = row["planProjects"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["projects"].as_i64())
            .sum();
        assert_eq!(planned, 0, "{caller:?}: {row:#}");
    }
}

/// actor, table, action, before, after
type AuditRow = (String, String, String, Option<Value>, Option<Value>);

#[tokio::test]
async fn account_and_token_changes_are_audited_under_the_actor_without_secrets() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let admin = access_of(&db, Some("admin")).await;
    let start: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let run = |access: Access, query: String| {
        let (db, schema) = (&db, &schema);
        async move {
            let answer = db.graphql_with(schema, access, &query, json!({})).await;
            assert!(answer.get("errors").is_none(), "{answer:#}");
            answer["data"].clone()
        }
    };
    run(
        admin.clone(),
        r#"mutation { createAccount(input: {username: "audit.me", displayName: "ทดสอบ",
             password: "long-enough-pw", role: CENTRAL_ANALYST}) { username } }"#
            .into(),
    )
    .await;
    let made = run(
        admin.clone(),
        r#"mutation { createApiToken(name: "BI", expiresInDays: 30) { token info { id } } }"#
            .into(),
    )
    .await;
    let id = made["createApiToken"]["info"]["id"].as_i64().unwrap();
    run(
        admin.clone(),
        format!("mutation {{ revokeApiToken(id: {id}) {{ revokedAt }} }}"),
    )
    .await;
    run(
        Access::anonymous(),
        r#"mutation { signIn(username: "audit.me", password: "long-enough-pw") { token } }"#.into(),
    )
    .await;
    run(
        admin.clone(),
        r#"mutation { disableAccount(username: "audit.me") }"#.into(),
    )
    .await;

    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT actor, table_name, action, before, after FROM audit_log
         WHERE table_name IN ('accounts', 'api_tokens') AND id > $1 ORDER BY id",
    )
    .bind(start)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let summary: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("admin", "accounts", "insert"),
            ("admin", "api_tokens", "insert"),
            ("admin", "api_tokens", "update"),
            ("audit.me", "api_tokens", "insert"),
            ("admin", "accounts", "update"),
            ("admin", "api_tokens", "update"),
        ],
        "{rows:#?}"
    );
    let created = rows
        .iter()
        .find(|r| r.0 == "admin" && r.1 == "accounts")
        .unwrap();
    assert_eq!(created.4.as_ref().unwrap()["username"], "audit.me");
    let revoked = rows
        .iter()
        .find(|r| r.1 == "api_tokens" && r.2 == "update")
        .unwrap();
    assert!(
        revoked.4.as_ref().unwrap()["revoked_at"].is_string(),
        "{revoked:?}"
    );
    for row in &rows {
        for json in [&row.3, &row.4].into_iter().flatten() {
            let text = json.to_string();
            assert!(
                !text.contains("password_hash")
                    && !text.contains("secret_hash")
                    && !text.contains("argon2"),
                "a secret in the audit trail: {text}"
            );
        }
    }
}

/// What a target LAO has that its mutations act on (seed_scopes.sql, plus an
/// approval without a report), as `{name: value}` variables.
async fn lao_variables(db: &TestDb, target: &str) -> Value {
    let gid = |t: &str, id: i64| json!(tidtam::types::global_id::encode(t, id));
    let (draft_plan, draft_plan_version) = id_of(db, DRAFT_PLAN_OF, target).await;
    let (plan, _) = id_of(
        db,
        &DRAFT_PLAN_OF.replace("first_year = 2585", "first_year = 2580"),
        target,
    )
    .await;
    let (project, project_version) = id_of(db, PUBLISHED_PROJECT_OF, target).await;
    let (draft, draft_version) = id_of(db, REPORT_OF, target).await;
    let (submitted, submitted_version) =
        id_of(db, &REPORT_OF.replace("'draft'", "'submitted'"), target).await;
    let (approval, approval_version): (i64, i32) = sqlx::query_as(
        "SELECT ba.id, ba.version FROM budget_approvals ba JOIN project_reports r ON r.budget_approval_id = ba.id
         WHERE r.id = $1",
    )
    .bind(submitted)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let bare: i64 = sqlx::query_scalar(
        "INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount,
                                       from_general_subsidy, approved_on)
         VALUES ($1, 2582, 'ordinance', 'ยังไม่มีรายงาน', 100, 100, DATE '2038-10-01') RETURNING id",
    )
    .bind(project)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    // An e-LAAS item of the target that matches its submitted approval by
    // name and amount: confirmElaasLink and autoLinkElaas would link them.
    let item: i64 = sqlx::query_scalar(
        "WITH item AS (
             INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
             SELECT id, 2581, 'X-1', 'รายการส่งแล้ว ' || code FROM organisations WHERE code = $1 RETURNING id)
         INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining)
         SELECT id, DATE '2038-03-31', 2000, 0, 0, 2000 FROM item RETURNING elaas_item_id",
    )
    .bind(target)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let goal = |code: &str| {
        let code = code.to_string();
        async move {
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM plan_nodes WHERE edition = '2566' AND code = $1",
            )
            .bind(code)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            gid("PlanNode", id)
        }
    };
    json!({
        "code": target,
        "draftPlan": gid("DevelopmentPlan", draft_plan), "draftPlanVersion": draft_plan_version,
        "plan": gid("DevelopmentPlan", plan),
        "project": gid("PlanProject", project), "projectVersion": project_version,
        "draft": gid("ProjectReport", draft), "draftVersion": draft_version,
        "submitted": gid("ProjectReport", submitted), "submittedVersion": submitted_version,
        "approval": gid("BudgetApproval", approval), "approvalVersion": approval_version,
        "bare": gid("BudgetApproval", bare),
        "item": gid("ElaasItem", item),
        "strategyGoal": goal("3.1").await,
        "masterPlanGoal": goal("140001").await,
        "subPlanGoal": goal("140101").await,
    })
}

/// Every mutation of an LAO's data, with the variables it takes from
/// [`lao_variables`]; the approver's three come last.
const LAO_MUTATIONS: [(&str, &str); 19] = [
    (
        "createDevelopmentPlan",
        r#"mutation ($code: String!) { createDevelopmentPlan(input: {organisationCode: $code,
        firstYear: 2590, strategies: ["ยุทธศาสตร์แทรก"]}) { id } }"#,
    ),
    (
        "addPlanProject",
        r#"mutation ($draftPlan: ID!) { addPlanProject(input: {planId: $draftPlan, name: "โครงการแทรก",
        sector: "ด้านสังคม", plannedBudgets: [{planYear: 2586, amount: "100.00"}]}) { id } }"#,
    ),
    (
        "updatePlanProject",
        r#"mutation ($project: ID!, $projectVersion: Int!) { updatePlanProject(input:
        {id: $project, version: $projectVersion, name: "ชื่อแทรก"}) { version } }"#,
    ),
    (
        "amendPlan",
        r#"mutation ($plan: ID!) { amendPlan(input: {planId: $plan, approvedOn: "01/06/2584"}) { number } }"#,
    ),
    (
        "linkElaasItem",
        r#"mutation ($approval: ID!, $approvalVersion: Int!, $item: ID!) { linkElaasItem(input:
        {approvalId: $approval, version: $approvalVersion, elaasItemId: $item}) { version } }"#,
    ),
    (
        "confirmElaasLink",
        r#"mutation ($approval: ID!, $approvalVersion: Int!, $item: ID!) {
        confirmElaasLink(approvalId: $approval, version: $approvalVersion, elaasItemId: $item) { version } }"#,
    ),
    (
        "autoLinkElaas",
        r#"mutation ($code: String!) { autoLinkElaas(organisationCode: $code, fiscalYear: 2581) { __typename } }"#,
    ),
    (
        "createReport",
        r#"mutation ($bare: ID!) { createReport(input: {approvalId: $bare, coordinatorName: "แทรก"}) { id } }"#,
    ),
    (
        "updateReport",
        r#"mutation ($draft: ID!, $draftVersion: Int!) { updateReport(input: {id: $draft,
        version: $draftVersion, targetGroup: "แทรก"}) { version } }"#,
    ),
    (
        "setReportGoals",
        r#"mutation ($draft: ID!, $draftVersion: Int!, $strategyGoal: ID!, $masterPlanGoal: ID!,
        $subPlanGoal: ID!) { setReportGoals(input: {id: $draft, version: $draftVersion, strategyGoalId: $strategyGoal,
        masterPlanGoalId: $masterPlanGoal, subPlanGoalId: $subPlanGoal}) { version } }"#,
    ),
    (
        "setReportLocation",
        r#"mutation ($draft: ID!, $draftVersion: Int!) { setReportLocation(input: {id: $draft,
        version: $draftVersion, latitude: 7.0, longitude: 100.5}) { version } }"#,
    ),
    (
        "submitReport",
        r#"mutation ($draft: ID!, $draftVersion: Int!) { submitReport(input: {id: $draft,
        version: $draftVersion}) { version } }"#,
    ),
    (
        "recordProgress",
        r#"mutation ($submitted: ID!, $submittedVersion: Int!) { recordProgress(input: {id: $submitted,
        version: $submittedVersion, fiscalQuarter: 1, percent: "50", narrative: "แทรก", recordedOn: "01/01/2582"}) { version } }"#,
    ),
    (
        "completeReport",
        r#"mutation ($submitted: ID!, $submittedVersion: Int!) { completeReport(input: {id: $submitted,
        version: $submittedVersion, completedOn: "01/09/2582", summary: "แทรก"}) { version } }"#,
    ),
    (
        "setScoreWeights",
        r#"mutation { setScoreWeights(weights: [{component: "reporting", weight: 9}]) { weight } }"#,
    ),
    (
        "disableAccount",
        r#"mutation { disableAccount(username: "approver.hadyai") }"#,
    ),
    (
        "approvePlan",
        r#"mutation ($draftPlan: ID!, $draftPlanVersion: Int!) { approvePlan(input: {planId: $draftPlan,
        version: $draftPlanVersion, approvedOn: "01/06/2584"}) { version } }"#,
    ),
    (
        "approveBudget",
        r#"mutation ($project: ID!) { approveBudget(input: {planProjectId: $project, fiscalYear: 2583,
        path: ORDINANCE, amount: "100.00", sources: {generalSubsidy: "100.00"}, approvedOn: "01/10/2582"}) { id } }"#,
    ),
    (
        "reopenReport",
        r#"mutation ($submitted: ID!, $submittedVersion: Int!) { reopenReport(input: {id: $submitted,
        version: $submittedVersion}) { version } }"#,
    ),
];

/// Everything a refused mutation must leave as it was: every change of LAO
/// data and of accounts leaves an audit row; score weights are not audited.
async fn fingerprint(db: &TestDb) -> String {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM audit_log)::text || ' ' ||
                (SELECT string_agg(component || '=' || weight, ',' ORDER BY component) FROM score_weights)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_officer_changes_nothing_of_another_lao_by_any_mutation_nor_approves_its_own() {
    let db = scoped_db().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let officer = access_of(&db, Some("officer.hadyai")).await;
    let mut cases = Vec::new();
    for target in [SAME_PROVINCE, OTHER_PROVINCE] {
        let vars = lao_variables(&db, target).await;
        cases.extend(
            LAO_MUTATIONS
                .iter()
                .map(|(n, q)| (target, *n, *q, vars.clone())),
        );
    }
    // Its own LAO: the approver's mutations only.
    let own = lao_variables(&db, OWN).await;
    cases.extend(
        LAO_MUTATIONS[16..]
            .iter()
            .map(|(n, q)| (OWN, *n, *q, own.clone())),
    );
    assert!(cases.iter().any(|c| c.1 == "autoLinkElaas"));
    for (target, name, query, vars) in cases {
        let before = fingerprint(&db).await;
        let answer = db.graphql_with(&schema, officer.clone(), query, vars).await;
        assert!(
            matches!(code(&answer), Some("FORBIDDEN" | "NOT_FOUND")),
            "{name} on {target}: {answer:#}"
        );
        assert_eq!(
            fingerprint(&db).await,
            before,
            "{name} on {target} changed something"
        );
    }
}

#[tokio::test]
async fn an_expired_token_or_one_of_a_disabled_account_stops_at_once() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let expiring = db.token("analyst").await;
    let (status, me) = post(&base, Some(&expiring), "{ viewer { username } }").await;
    assert_eq!(
        (status, &me["data"]["viewer"]["username"]),
        (200, &json!("analyst"))
    );
    // The token's hour has passed.
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = (SELECT max(id) FROM api_tokens)")
        .execute(&db.pool)
        .await
        .unwrap();
    let (status, refused) = post(&base, Some(&expiring), "{ viewer { username } }").await;
    assert_eq!(status, 401, "{refused:#}");
    assert_eq!(code(&refused), Some("UNAUTHENTICATED"));

    // Two live tokens of the approver stop with the next request once the
    // administrator disables the account.
    let first = db.token("approver.hadyai").await;
    let second = db.token("approver.hadyai").await;
    for token in [&first, &second] {
        let (status, _) = post(&base, Some(token), "{ viewer { username } }").await;
        assert_eq!(status, 200);
    }
    let admin = db.token("admin").await;
    let (_, disabled) = post(
        &base,
        Some(&admin),
        r#"mutation { disableAccount(username: "approver.hadyai") }"#,
    )
    .await;
    assert_eq!(disabled["data"]["disableAccount"], true, "{disabled:#}");
    for token in [&first, &second] {
        let (status, refused) = post(&base, Some(token), "{ viewer { username } }").await;
        assert_eq!(status, 401, "{refused:#}");
        assert_eq!(code(&refused), Some("UNAUTHENTICATED"));
    }
    // Nor can it sign in again.
    let (_, signed) = post(
        &base,
        None,
        r#"mutation { signIn(username: "approver.hadyai", password: "tidtam-demo") { token } }"#,
    )
    .await;
    assert_eq!(code(&signed), Some("UNAUTHENTICATED"), "{signed:#}");
}

#[tokio::test]
async fn postgresql_itself_keeps_approving_and_reopening_for_approvers() {
    let db = scoped_db().await;
    // A completed report of its own LAO to reopen.
    let (report, _) = id_of(&db, &REPORT_OF.replace("'draft'", "'submitted'"), OWN).await;
    sqlx::query(
        "UPDATE project_reports SET status = 'completed', completed = true,
             completed_on = DATE '2038-09-01', summary = 'เสร็จ' WHERE id = $1",
    )
    .bind(report)
    .execute(&db.pool)
    .await
    .unwrap();
    let (plan, _) = id_of(&db, DRAFT_PLAN_OF, OWN).await;
    let (project, _) = id_of(&db, PUBLISHED_PROJECT_OF, OWN).await;
    let approve_plan =
        format!("UPDATE development_plans SET approved_on = DATE '2041-06-01' WHERE id = {plan}");
    let approve_budget = format!(
        "INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount,
                                       from_general_subsidy, approved_on)
         VALUES ({project}, 2583, 'ordinance', 'อนุมัติตรง', 10, 10, DATE '2039-10-01')"
    );
    let reopen = format!(
        "UPDATE project_reports SET status = 'submitted', completed = false, completed_on = NULL WHERE id = {report}"
    );
    // Straight to the database, past the gate: the officer's own LAO, but
    // not the approver's right.
    for (caller, allowed) in [("officer.hadyai", false), ("approver.hadyai", true)] {
        let access = access_of(&db, Some(caller)).await;
        let scoped = tidtam::db::Db::new(
            db.pool.clone(),
            tidtam::auth::session::begin_statement(&access, std::time::Duration::from_secs(15)),
        );
        for sql in [&approve_plan, &approve_budget, &reopen] {
            let result = sqlx::query(sql).execute(&scoped).await;
            match result {
                Ok(done) => {
                    assert!(allowed, "{caller}: {sql}");
                    assert_eq!(done.rows_affected(), 1, "{caller}: {sql}");
                }
                Err(e) => {
                    assert!(!allowed, "{caller}: {sql}: {e}");
                    assert_eq!(
                        tidtam::error::AppError::from(e).code(),
                        "FORBIDDEN",
                        "{sql}"
                    );
                }
            }
        }
    }
    let (approved, status): (bool, String) = sqlx::query_as(
        "SELECT (SELECT approved_on IS NOT NULL FROM development_plans WHERE id = $1),
                (SELECT status FROM project_reports WHERE id = $2)",
    )
    .bind(plan)
    .bind(report)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (approved, status.as_str()),
        (true, "submitted"),
        "the approver's changes"
    );
}
