//! The reporting workflow through GraphQL mutations: the manual's steps end
//! to end, every validation rule (refused, nothing written), stale versions,
//! and the audit history.

mod common;

use common::TestDb;
use serde_json::{json, Value};

/// How many audit records exist: every write adds some, so an unchanged count
/// means nothing was written.
async fn writes(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

fn codes(v: &Value) -> Vec<(String, String)> {
    let ext = &v["errors"][0]["extensions"];
    match ext["errors"].as_array() {
        Some(list) => list
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
        None => vec![(
            ext["field"].as_str().unwrap_or("").to_string(),
            ext["code"].as_str().unwrap_or("").to_string(),
        )],
    }
}

fn has(v: &Value, field: &str, code: &str) -> bool {
    codes(v).iter().any(|(f, c)| f == field && c == code)
}

/// Runs a mutation that must be refused with `code` on `field`, and checks
/// that nothing was written.
async fn refused(db: &TestDb, doc: &str, vars: Value, field: &str, code: &str) -> Value {
    let before = writes(db).await;
    let v = db.graphql(doc, vars).await;
    assert!(v["errors"].is_array(), "expected a refusal: {v:#}");
    assert!(
        has(&v, field, code),
        "expected {code} on {field}, got {:?}",
        codes(&v)
    );
    let message = v["errors"][0]["message"].as_str().unwrap();
    let thai = v["errors"][0]["extensions"]["messageTh"]
        .as_str()
        .unwrap_or("");
    assert!(
        !message.is_empty() && !thai.is_empty(),
        "needs English and Thai: {v:#}"
    );
    assert_eq!(
        writes(db).await,
        before,
        "a refused mutation wrote something"
    );
    v
}

const CREATE_PLAN: &str = r#"mutation ($input: CreatePlanInput!) { createDevelopmentPlan(input: $input) { id version firstYear lastYear } }"#;
const ADD_PROJECT: &str = r#"mutation ($input: AddPlanProjectInput!) { addPlanProject(input: $input) { id name version } }"#;
const APPROVE_PLAN: &str = r#"mutation ($input: ApprovePlanInput!) { approvePlan(input: $input) { id version approvedOnBE } }"#;
const APPROVE_BUDGET: &str = r#"mutation ($input: ApproveBudgetInput!) { approveBudget(input: $input) { id version ordinanceBudget remaining approvedOnBE } }"#;
const CREATE_REPORT: &str = r#"mutation ($input: CreateReportInput!) { createReport(input: $input) { id version status } }"#;
const UPDATE_REPORT: &str = r#"mutation ($input: UpdateReportInput!) { updateReport(input: $input) { id version coordinatorPhone startDateBE } }"#;
const SET_GOALS: &str = r#"mutation ($input: SetGoalsInput!) { setReportGoals(input: $input) { id version subPlanGoal { goal { code } } } }"#;
const SET_LOCATION: &str = r#"mutation ($input: SetLocationInput!) { setReportLocation(input: $input) { id version location { latitude longitude } } }"#;
const SUBMIT: &str = r#"mutation ($input: ReportVersionInput!) { submitReport(input: $input) { id version status } }"#;
const PROGRESS: &str = r#"mutation ($input: RecordProgressInput!) { recordProgress(input: $input) { id version progress { fiscalQuarter percent narrative } } }"#;
const COMPLETE: &str = r#"mutation ($input: CompleteReportInput!) { completeReport(input: $input) { id version status completed completedOnBE summary } }"#;
const REOPEN: &str = r#"mutation ($input: ReportVersionInput!) { reopenReport(input: $input) { id version status completed } }"#;

/// An organisation (reference data, there before the manual starts) and its
/// e-LAAS item (it arrives by import), in a database with the hierarchy.
async fn setup() -> (TestDb, String) {
    let db = TestDb::empty().await;
    tidtam::strategy::load::load_shipped(&db.pool)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO provinces (code, name_th) VALUES ('71', 'กาญจนบุรี');
         INSERT INTO organisations (code, name_th, kind, province_code) VALUES ('7100001', 'องค์การบริหารส่วนตำบลหาดยาย', 'sao', '71');
         INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
           SELECT id, 2564, '2564-SOC-001', 'โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (เนอโรบิคแดนซ์)' FROM organisations;
         INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining)
           SELECT id, '2021-03-31', 20000, 0, 0, 20000 FROM elaas_items;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let item_id: i64 = sqlx::query_scalar("SELECT id FROM elaas_items")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    (db, tidtam::types::global_id::encode("ElaasItem", item_id).0)
}

fn data(v: Value) -> Value {
    assert!(v.get("errors").is_none(), "unexpected errors: {v:#}");
    v["data"].clone()
}

/// Plan → project → approved plan; returns (plan id, plan version, project id).
async fn approved_plan(db: &TestDb) -> (Value, Value) {
    let plan = data(
        db.graphql(
            CREATE_PLAN,
            json!({"input": {"organisationCode": "7100001", "firstYear": 2561,
                              "strategies": ["การพัฒนาโครงสร้างพื้นฐาน", "การพัฒนาคุณภาพชีวิตและสังคม"]}}),
        )
        .await,
    )["createDevelopmentPlan"]
        .clone();
    assert_eq!(plan["lastYear"], 2565);
    let project = data(
        db.graphql(
            ADD_PROJECT,
            json!({"input": {"planId": plan["id"], "name": "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)",
                              "sector": "ด้านสังคม", "activityType": "งานบริหารทั่วไปเกี่ยวกับสาธารณสุข - การบริหารทั่วไป",
                              "strategyNumber": 2, "plannedBudgets": [{"planYear": 2564, "amount": "20,000.00"}]}}),
        )
        .await,
    )["addPlanProject"]
        .clone();
    let approved = data(
        db.graphql(APPROVE_PLAN, json!({"input": {"planId": plan["id"], "version": plan["version"], "approvedOn": "15/06/2560"}}))
            .await,
    );
    assert_eq!(approved["approvePlan"]["approvedOnBE"], "15/06/2560");
    (plan["id"].clone(), project["id"].clone())
}

fn budget_input(project: &Value, elaas: &str) -> Value {
    json!({"planProjectId": project, "fiscalYear": 2564, "path": "ORDINANCE", "amount": "20000.00",
           "sources": {"generalSubsidy": "20000.00"}, "approvedOn": "24/09/2563", "elaasItemId": elaas})
}

async fn goal_ids(db: &TestDb, edition: &str) -> (Value, Value, Value) {
    let d = data(
        db.graphql(
            r#"query ($e: String!) { nationalStrategies(edition: $e) { code goals { id code } }
                 masterPlans(edition: $e) { code goals { id code } subPlans { code goals { id code } } } }"#,
            json!({"e": edition}),
        )
        .await,
    );
    let find = |list: &Value, code: &str| -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|g| g["code"] == code)
            .unwrap()["id"]
            .clone()
    };
    let strategy = d["nationalStrategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "3")
        .unwrap();
    let mp = d["masterPlans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "14")
        .unwrap();
    let sp = mp["subPlans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "1401")
        .unwrap();
    (
        find(&strategy["goals"], "3.1"),
        find(&mp["goals"], "140001"),
        find(&sp["goals"], "140101"),
    )
}

#[tokio::test]
async fn the_manuals_steps_for_the_aerobic_dance_project() {
    let (db, elaas) = setup().await;
    let (_, project) = approved_plan(&db).await;
    let approval = data(
        db.graphql(
            APPROVE_BUDGET,
            json!({"input": budget_input(&project, &elaas)}),
        )
        .await,
    )["approveBudget"]
        .clone();
    assert_eq!(approval["ordinanceBudget"], "20000.00");
    assert_eq!(approval["remaining"], "20000.00");
    assert_eq!(approval["approvedOnBE"], "24/09/2563");

    let report = data(
        db.graphql(
            CREATE_REPORT,
            json!({"input": {"approvalId": approval["id"], "coordinatorName": "นางสาวสมใจ ใจดี",
                              "coordinatorPhone": "034-000-000", "rationale": "ส่งเสริมให้ประชาชนออกกำลังกาย",
                              "outputTarget": "ประชาชนเข้าร่วม 100 คน", "outcomeTarget": "ความพึงพอใจร้อยละ 80",
                              "expectedResults": "ประชาชนสุขภาพแข็งแรง", "successIndicator": "ผู้เข้าร่วมไม่น้อยกว่า 100 คน",
                              "targetGroup": "ประชาชนในตำบล", "startDate": "01/01/2564", "endDate": "30/09/2564",
                              "plannedBudget": "20000.00", "activityType": "งานบริหารทั่วไปเกี่ยวกับสาธารณสุข - การบริหารทั่วไป"}}),
        )
        .await,
    )["createReport"]
        .clone();
    assert_eq!(report["status"], "DRAFT");
    let (sg, mg, pg) = goal_ids(&db, "2561").await;
    let with_goals = data(
        db.graphql(
            SET_GOALS,
            json!({"input": {"id": report["id"], "version": report["version"],
                "strategyGoalId": sg, "strategyGoalResult": "ประชาชนเข้าร่วม 150 คน จากเป้าหมาย 100 คน",
                "masterPlanGoalId": mg, "masterPlanGoalResult": "เกินกว่าเป้าหมายที่กำหนดไว้",
                "subPlanGoalId": pg, "subPlanGoalResult": "การวิ่งเป็นที่นิยมในพื้นที่"}}),
        )
        .await,
    )["setReportGoals"]
        .clone();
    assert_eq!(with_goals["subPlanGoal"]["goal"]["code"], "140101");
    let located = data(
        db.graphql(
            SET_LOCATION,
            json!({"input": {"id": report["id"], "version": with_goals["version"],
                             "latitude": 14.752029198560914, "longitude": 98.64539400000002}}),
        )
        .await,
    )["setReportLocation"]
        .clone();
    let submitted = data(
        db.graphql(
            SUBMIT,
            json!({"input": {"id": report["id"], "version": located["version"]}}),
        )
        .await,
    )["submitReport"]
        .clone();
    assert_eq!(submitted["status"], "SUBMITTED");
    let progressed = data(
        db.graphql(
            PROGRESS,
            json!({"input": {"id": report["id"], "version": submitted["version"], "fiscalQuarter": 2,
                             "percent": "50", "narrative": "จัดกิจกรรมแล้วครึ่งหนึ่ง", "recordedOn": "31/03/2564"}}),
        )
        .await,
    )["recordProgress"]
        .clone();
    assert_eq!(
        progressed["progress"],
        json!([{"fiscalQuarter": 2, "percent": "50.00", "narrative": "จัดกิจกรรมแล้วครึ่งหนึ่ง"}])
    );
    let completed = data(
        db.graphql(
            COMPLETE,
            json!({"input": {"id": report["id"], "version": progressed["version"], "completedOn": "30/09/2564",
                             "summary": "ประชาชนเข้าร่วม 150 คน", "problems": "ฝนตก", "suggestions": "จัดต่อเนื่อง"}}),
        )
        .await,
    )["completeReport"]
        .clone();
    assert_eq!(completed["status"], "COMPLETED");
    assert_eq!(completed["completedOnBE"], "30/09/2564");

    // The project report list reads it all back as the manual shows it.
    let list = data(
        db.graphql(
            include_str!("../queries/project-report-list.graphql"),
            json!({}),
        )
        .await,
    );
    let sectors = &list["organisation"]["reportList"]["sectors"];
    assert_eq!(sectors[0]["sector"], "ด้านสังคม");
    let row = &sectors[0]["projects"][0];
    assert_eq!(
        row["name"],
        "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)"
    );
    assert_eq!(
        [
            &row["ordinanceBudget"],
            &row["contractAmount"],
            &row["disbursed"],
            &row["remaining"]
        ],
        [
            &json!("20000.00"),
            &json!("0.00"),
            &json!("0.00"),
            &json!("20000.00")
        ]
    );
    assert_eq!(row["report"]["status"], "COMPLETED");
    assert_eq!(
        list["organisation"]["reportList"]["elaasAsOfBE"],
        "31/03/2564"
    );

    // The history says who changed what, step by step.
    let history = data(
        db.graphql("query ($id: ID!) { node(id: $id) { ... on ProjectReport { history { actor action changed } } } }",
            json!({"id": report["id"]}))
            .await,
    );
    let entries = history["node"]["history"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        7,
        "insert, fill, goals, location, submit, progress, complete: {entries:#?}"
    );
    assert!(entries.iter().all(|e| e["actor"] == "test-officer"));
    assert_eq!(entries[0]["action"], "insert");
    let completion = &entries[entries.len() - 1];
    let changed: Vec<&str> = completion["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"completed") && changed.contains(&"summary"),
        "{changed:?}"
    );

    // Reopen goes back to submitted.
    let reopened = data(
        db.graphql(
            REOPEN,
            json!({"input": {"id": report["id"], "version": completed["version"]}}),
        )
        .await,
    );
    assert_eq!(reopened["reopenReport"]["status"], "SUBMITTED");
    assert_eq!(reopened["reopenReport"]["completed"], false);
}

/// A report in a fresh database, ready for refusals.
async fn draft_report() -> (TestDb, Value, Value) {
    let (db, elaas) = setup().await;
    let (_, project) = approved_plan(&db).await;
    let approval = data(
        db.graphql(
            APPROVE_BUDGET,
            json!({"input": budget_input(&project, &elaas)}),
        )
        .await,
    )["approveBudget"]
        .clone();
    let report = data(
        db.graphql(
            CREATE_REPORT,
            json!({"input": {"approvalId": approval["id"]}}),
        )
        .await,
    )["createReport"]
        .clone();
    (db, report, project)
}

#[tokio::test]
async fn buddhist_era_dates_are_checked() {
    let (db, report, _) = draft_report().await;
    let update = |form: Value| {
        let mut input = json!({"id": report["id"], "version": report["version"]});
        input
            .as_object_mut()
            .unwrap()
            .extend(form.as_object().unwrap().clone());
        json!({ "input": input })
    };
    refused(
        &db,
        UPDATE_REPORT,
        update(json!({"startDate": "31/02/2564"})),
        "input.startDate",
        "INVALID_DATE",
    )
    .await;
    let ce = refused(
        &db,
        UPDATE_REPORT,
        update(json!({"startDate": "01/01/2021"})),
        "input.startDate",
        "INVALID_DATE",
    )
    .await;
    assert!(
        ce["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2564"),
        "a hint with the BE year"
    );
    refused(
        &db,
        UPDATE_REPORT,
        update(json!({"startDate": "2021-01-01"})),
        "input.startDate",
        "INVALID_DATE",
    )
    .await;
    refused(
        &db,
        UPDATE_REPORT,
        update(json!({"startDate": "01/03/2564", "endDate": "28/02/2564"})),
        "input.endDate",
        "DATE_OUT_OF_RANGE",
    )
    .await;
    // FY 2564 runs 01/10/2563 – 30/09/2564.
    refused(
        &db,
        UPDATE_REPORT,
        update(json!({"startDate": "30/09/2563"})),
        "input.startDate",
        "DATE_OUT_OF_RANGE",
    )
    .await;
    let ok = data(
        db.graphql(UPDATE_REPORT, update(json!({"startDate": "01/10/2563"})))
            .await,
    );
    assert_eq!(ok["updateReport"]["startDateBE"], "01/10/2563");
}

#[tokio::test]
async fn amounts_and_funding_sources_are_checked() {
    let (db, elaas) = setup().await;
    let (_, project) = approved_plan(&db).await;
    let with = |changes: Value| {
        let mut input = budget_input(&project, &elaas);
        input
            .as_object_mut()
            .unwrap()
            .extend(changes.as_object().unwrap().clone());
        json!({ "input": input })
    };
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"amount": "-5"})),
        "input.amount",
        "INVALID_MONEY",
    )
    .await;
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"amount": "20000.005"})),
        "input.amount",
        "INVALID_MONEY",
    )
    .await;
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"amount": "สองหมื่น"})),
        "input.amount",
        "INVALID_MONEY",
    )
    .await;
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"sources": {"generalSubsidy": "15000.00", "ownRevenue": "4000"}})),
        "input.sources",
        "SOURCES_MISMATCH",
    )
    .await;
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"sources": {"generalSubsidy": "20000.00", "ownRevenue": "-1"}})),
        "input.sources.ownRevenue",
        "INVALID_MONEY",
    )
    .await;
    // Approved after the fiscal year ended, or long before it began.
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"approvedOn": "01/10/2564"})),
        "input.approvedOn",
        "DATE_OUT_OF_RANGE",
    )
    .await;
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"approvedOn": "30/09/2562"})),
        "input.approvedOn",
        "DATE_OUT_OF_RANGE",
    )
    .await;
    refused(
        &db,
        APPROVE_BUDGET,
        with(json!({"fiscalYear": 2566})),
        "input.fiscalYear",
        "DATE_OUT_OF_RANGE",
    )
    .await;
    // Several sources that add up are accepted; the same approval twice is not.
    let ok = with(json!({"sources": {"generalSubsidy": "15000", "ownRevenue": "5000.00"}}));
    data(db.graphql(APPROVE_BUDGET, ok.clone()).await);
    refused(&db, APPROVE_BUDGET, ok, "input.planProjectId", "DUPLICATE").await;
}

#[tokio::test]
async fn an_approval_needs_a_project_of_an_approved_plan() {
    let (db, elaas) = setup().await;
    let plan = data(
        db.graphql(CREATE_PLAN, json!({"input": {"organisationCode": "7100001", "firstYear": 2561, "strategies": ["ก"]}})).await,
    )["createDevelopmentPlan"]
        .clone();
    let project = data(
        db.graphql(
            ADD_PROJECT,
            json!({"input": {"planId": plan["id"], "name": "โครงการ", "sector": "ด้านสังคม",
                             "plannedBudgets": [{"planYear": 2564, "amount": "100"}]}}),
        )
        .await,
    )["addPlanProject"]["id"]
        .clone();
    refused(
        &db,
        APPROVE_BUDGET,
        json!({"input": budget_input(&project, &elaas)}),
        "input.planProjectId",
        "PLAN_NOT_APPROVED",
    )
    .await;
    // Plan rules: a plan year outside the plan, an unknown organisation, no strategies.
    refused(
        &db,
        ADD_PROJECT,
        json!({"input": {"planId": plan["id"], "name": "x", "sector": "ด้านสังคม",
                         "plannedBudgets": [{"planYear": 2570, "amount": "100"}]}}),
        "input.plannedBudgets[0].planYear",
        "DATE_OUT_OF_RANGE",
    )
    .await;
    refused(
        &db,
        CREATE_PLAN,
        json!({"input": {"organisationCode": "0000000", "firstYear": 2566, "strategies": []}}),
        "input.organisationCode",
        "NOT_FOUND",
    )
    .await;
    refused(
        &db,
        CREATE_PLAN,
        json!({"input": {"organisationCode": "7100001", "firstYear": 2566, "strategies": []}}),
        "input.strategies",
        "REQUIRED",
    )
    .await;
}

#[tokio::test]
async fn phones_locations_and_required_fields_are_checked() {
    let (db, report, _) = draft_report().await;
    let id = &report["id"];
    let v = &report["version"];
    refused(
        &db,
        UPDATE_REPORT,
        json!({"input": {"id": id, "version": v, "coordinatorPhone": "12345"}}),
        "input.coordinatorPhone",
        "INVALID_PHONE",
    )
    .await;
    refused(
        &db,
        SET_LOCATION,
        json!({"input": {"id": id, "version": v, "latitude": 48.85, "longitude": 2.35}}),
        "input.latitude",
        "OUTSIDE_THAILAND",
    )
    .await;
    // Submitting an empty draft names every missing required field.
    let missing = refused(
        &db,
        SUBMIT,
        json!({"input": {"id": id, "version": v}}),
        "input.coordinatorName",
        "REQUIRED",
    )
    .await;
    for field in [
        "input.coordinatorPhone",
        "input.rationale",
        "input.outputTarget",
        "input.outcomeTarget",
        "input.expectedResults",
        "input.successIndicator",
        "input.startDate",
        "input.endDate",
    ] {
        assert!(
            has(&missing, field, "REQUIRED"),
            "{field} missing from {:?}",
            codes(&missing)
        );
    }
    assert_eq!(
        missing["errors"][0]["extensions"]["code"],
        "VALIDATION_FAILED"
    );
    // Completion needs a submitted report and a summary.
    refused(
        &db,
        COMPLETE,
        json!({"input": {"id": id, "version": v, "completedOn": "30/09/2564", "summary": " "}}),
        "input.summary",
        "REQUIRED",
    )
    .await;
    let not_submitted = refused(
        &db,
        COMPLETE,
        json!({"input": {"id": id, "version": v, "completedOn": "30/09/2564", "summary": "เสร็จ"}}),
        "input.id",
        "INVALID_STATE",
    )
    .await;
    assert!(!has(&not_submitted, "input.summary", "REQUIRED"));
    refused(&db, PROGRESS, json!({"input": {"id": id, "version": v, "fiscalQuarter": 5, "percent": "101", "narrative": "", "recordedOn": "31/03/2564"}}), "input.fiscalQuarter", "INVALID_INPUT").await;
}

#[tokio::test]
async fn the_three_goals_must_be_one_chain_of_the_right_edition() {
    let (db, report, _) = draft_report().await;
    let (sg, mg, pg) = goal_ids(&db, "2561").await;
    let goals = |sg: &Value, mg: &Value, pg: &Value| {
        json!({"input": {"id": report["id"], "version": report["version"],
                         "strategyGoalId": sg, "masterPlanGoalId": mg, "subPlanGoalId": pg}})
    };
    // The 2566 edition's goals do not apply to a FY 2564 report.
    let (sg66, mg66, pg66) = goal_ids(&db, "2566").await;
    refused(
        &db,
        SET_GOALS,
        goals(&sg66, &mg66, &pg66),
        "input.subPlanGoalId",
        "GOAL_CHAIN_BROKEN",
    )
    .await;
    // A strategy goal where a sub-plan goal belongs.
    refused(
        &db,
        SET_GOALS,
        goals(&sg, &mg, &sg),
        "input.subPlanGoalId",
        "GOAL_CHAIN_BROKEN",
    )
    .await;
    // A master-plan goal where the strategy goal belongs.
    refused(
        &db,
        SET_GOALS,
        goals(&mg, &mg, &pg),
        "input.strategyGoalId",
        "GOAL_CHAIN_BROKEN",
    )
    .await;
    // The manual's own chain is accepted.
    let d = data(db.graphql(SET_GOALS, goals(&sg, &mg, &pg)).await);
    assert_eq!(d["setReportGoals"]["subPlanGoal"]["goal"]["code"], "140101");
}

#[tokio::test]
async fn a_stale_version_is_refused_and_concurrent_updates_leave_one_winner() {
    let (db, report, _) = draft_report().await;
    let update = |phone: &str| json!({"input": {"id": report["id"], "version": report["version"], "coordinatorPhone": phone}});
    let (a, b) = tokio::join!(
        db.graphql(UPDATE_REPORT, update("081-111-1111")),
        db.graphql(UPDATE_REPORT, update("082-222-2222"))
    );
    let (winner, loser) = if a.get("errors").is_none() {
        (a, b)
    } else {
        (b, a)
    };
    assert!(winner.get("errors").is_none(), "{winner:#}");
    assert_eq!(
        loser["errors"][0]["extensions"]["code"], "VERSION_CONFLICT",
        "{loser:#}"
    );
    let stored: String = sqlx::query_scalar("SELECT coordinator_phone FROM project_reports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        stored,
        winner["data"]["updateReport"]["coordinatorPhone"]
            .as_str()
            .unwrap()
    );
    // Sending the old version again is refused too, and changes nothing.
    let before = writes(&db).await;
    let stale = db.graphql(UPDATE_REPORT, update("083-333-3333")).await;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "VERSION_CONFLICT");
    assert_eq!(writes(&db).await, before);
}

#[tokio::test]
async fn an_approved_plan_changes_only_by_amendment() {
    let (db, _) = setup().await;
    let (plan, project) = approved_plan(&db).await;
    let add = |amendment: Value| {
        json!({"input": {"planId": plan, "name": "โครงการป้องกันโรคระบาด โรคติดต่อ", "sector": "ด้านสังคม",
                         "plannedBudgets": [{"planYear": 2564, "amount": "40000"}], "amendmentNumber": amendment}})
    };
    refused(
        &db,
        ADD_PROJECT,
        add(Value::Null),
        "input.amendmentNumber",
        "REQUIRED",
    )
    .await;
    refused(
        &db,
        ADD_PROJECT,
        add(json!(1)),
        "input.amendmentNumber",
        "NOT_FOUND",
    )
    .await;
    let amendment = data(
        db.graphql(
            r#"mutation ($input: AmendPlanInput!) { amendPlan(input: $input) { number approvedOnBE } }"#,
            json!({"input": {"planId": plan, "approvedOn": "15/08/2563", "note": "เพิ่มเติม ครั้งที่ 1"}}),
        )
        .await,
    );
    assert_eq!(amendment["amendPlan"]["number"], 1);
    let added = data(db.graphql(ADD_PROJECT, add(json!(1))).await);
    assert_eq!(
        added["addPlanProject"]["name"],
        "โครงการป้องกันโรคระบาด โรคติดต่อ"
    );
    let amended = data(
        db.graphql(
            "query ($id: ID!) { node(id: $id) { ... on PlanProject { amendment { number } } } }",
            json!({"id": added["addPlanProject"]["id"]}),
        )
        .await,
    );
    assert_eq!(amended["node"]["amendment"]["number"], 1);
    // Renaming a project needs its current version.
    let rename = |version: i32| json!({"input": {"id": project, "version": version, "name": "โครงการแอโรบิคแดนซ์"}});
    let update = r#"mutation ($input: UpdatePlanProjectInput!) { updatePlanProject(input: $input) { name version } }"#;
    let renamed = data(db.graphql(update, rename(1)).await);
    assert_eq!(renamed["updatePlanProject"]["version"], 2);
    let stale = db.graphql(update, rename(1)).await;
    assert_eq!(
        stale["errors"][0]["extensions"]["code"], "VERSION_CONFLICT",
        "{stale:#}"
    );
    refused(
        &db,
        update,
        json!({"input": {"id": project, "version": 2, "name": "  "}}),
        "input.name",
        "REQUIRED",
    )
    .await;
}
