//! The read API: the documents in `queries/`, relations both ways, filters,
//! Thai search, pagination, node(id), batching and limits.

mod common;

use common::TestDb;
use serde_json::{json, Value};

#[tokio::test]
async fn the_project_report_list_is_grouped_by_sector_with_totals() {
    let db = TestDb::demo().await;
    let data = db
        .graphql_ok(
            include_str!("../queries/project-report-list.graphql"),
            json!({}),
        )
        .await;
    let list = &data["organisation"]["reportList"];
    assert_eq!(list["fiscalYear"], 2564);
    assert_eq!(list["elaasAsOfBE"], "31/03/2564");
    let sectors = list["sectors"].as_array().unwrap();
    assert_eq!(sectors.len(), 1);
    assert_eq!(sectors[0]["sector"], "ด้านสังคม");
    let money = |p: &Value| {
        [
            p["ordinanceBudget"].as_str().unwrap().to_string(),
            p["contractAmount"].as_str().unwrap().to_string(),
            p["disbursed"].as_str().unwrap().to_string(),
            p["remaining"].as_str().unwrap().to_string(),
        ]
    };
    let rows: Vec<[String; 4]> = sectors[0]["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(money)
        .collect();
    assert_eq!(
        rows,
        vec![
            ["20000.00", "0.00", "0.00", "20000.00"].map(String::from),
            ["30000.00", "0.00", "0.00", "30000.00"].map(String::from),
            ["40000.00", "0.00", "0.00", "40000.00"].map(String::from),
            ["40000.00", "0.00", "0.00", "40000.00"].map(String::from),
        ]
    );
    assert_eq!(
        money(&sectors[0]["totals"]),
        ["130000.00", "0.00", "0.00", "130000.00"].map(String::from)
    );
    assert_eq!(
        money(&list["totals"]),
        ["130000.00", "0.00", "0.00", "130000.00"].map(String::from)
    );
}

#[tokio::test]
async fn one_reports_full_form_comes_back_through_node() {
    let db = TestDb::demo().await;
    let found = db
        .graphql_ok(
            r#"{ reports(filter: {search: "แอโรบิค"}) { totalCount edges { node { id } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(found["reports"]["totalCount"], 1);
    let id = found["reports"]["edges"][0]["node"]["id"].clone();
    let data = db
        .graphql_ok(
            include_str!("../queries/report-form.graphql"),
            json!({ "id": id }),
        )
        .await;
    let r = &data["node"];
    assert_eq!(r["status"], "SUBMITTED");
    assert_eq!(
        r["approval"]["organisation"]["name"],
        "องค์การบริหารส่วนตำบลหาดยาย"
    );
    assert_eq!(r["approval"]["ordinanceBudget"], "20000.00");
    assert_eq!(
        r["activityType"],
        "งานบริหารทั่วไปเกี่ยวกับสาธารณสุข - การบริหารทั่วไป"
    );
    assert_eq!(r["plannedBudget"], "20000.00");
    assert_eq!(r["startDate"], "2021-01-01");
    assert_eq!(r["startDateBE"], "01/01/2564");
    assert_eq!(r["endDateBE"], "30/09/2564");
    assert_eq!(r["strategyGoal"]["goal"]["code"], "3.1");
    assert_eq!(r["strategyGoal"]["goal"]["parent"]["code"], "3");
    assert_eq!(
        r["masterPlanGoal"]["goal"]["parent"]["nameTh"],
        "ประเด็นศักยภาพการกีฬา"
    );
    assert_eq!(
        r["subPlanGoal"]["goal"]["goalTh"],
        "คนไทยออกกำลังกาย เล่นกีฬา และนันทนาการอย่างสม่ำเสมอเพิ่มขึ้น"
    );
    assert!(r["masterPlanGoal"]["result"]
        .as_str()
        .unwrap()
        .contains("150 คน"));
    assert_eq!(
        r["location"],
        json!({"latitude": 14.752029198560914, "longitude": 98.64539400000002})
    );
    assert_eq!(r["completed"], false);
}

#[tokio::test]
async fn the_elaas_balance_is_as_of_the_date_asked() {
    let db = TestDb::demo().await;
    let document = include_str!("../queries/elaas-balance.graphql");
    let data = db.graphql_ok(document, json!({})).await;
    let rows = data["organisation"]["elaasBalance"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["item"]["code"], "2564-SOC-001");
    assert_eq!(
        rows[0]["figures"],
        json!({"asOfBE": "31/03/2564", "budget": "20000.00", "contractAmount": "0.00",
               "contractSignedOnBE": null, "disbursed": "0.00", "remaining": "20000.00"})
    );
    // A later snapshot does not change the balance as of March.
    sqlx::query(
        "INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining) \
         SELECT id, '2021-04-30', 20000, 20000, 5000, 15000 FROM elaas_items WHERE item_code = '2564-SOC-001'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let march = db.graphql_ok(document, json!({})).await;
    assert_eq!(
        march["organisation"]["elaasBalance"][0]["figures"]["disbursed"],
        "0.00"
    );
    let april = db.graphql_ok(document, json!({"asOf": "30/04/2564"})).await;
    assert_eq!(
        april["organisation"]["elaasBalance"][0]["figures"]["disbursed"],
        "5000.00"
    );
    // Before any snapshot there are no figures.
    let before = db.graphql_ok(document, json!({"asOf": "01/10/2563"})).await;
    assert_eq!(
        before["organisation"]["elaasBalance"][0]["figures"],
        json!(null)
    );
    // A Common-Era year is refused with a hint.
    let bad = db.graphql(document, json!({"asOf": "31/03/2021"})).await;
    let message = bad["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("2564"), "{message}");
}

#[tokio::test]
async fn thai_search_finds_substrings_and_ranks_near_misses() {
    let db = TestDb::demo().await;
    let names = |v: &Value, list: &str| -> Vec<String> {
        v[list]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let q = r#"query ($q: String!) { planProjects(filter: {search: $q}) { totalCount edges { node { name } } } }"#;
    let dengue = db.graphql_ok(q, json!({"q": "ไข้เลือดออก"})).await;
    assert_eq!(
        names(&dengue, "planProjects"),
        vec!["โครงการส่งเสริมและรณรงค์ป้องกันโรคไข้เลือดออก"]
    );
    // "แอโรบิก" (the usual spelling) finds "…(แอโรบิคแดนซ์)" though no substring matches.
    let aerobic = db.graphql_ok(q, json!({"q": "แอโรบิก"})).await;
    assert_eq!(
        names(&aerobic, "planProjects").first().map(String::as_str),
        Some("โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)")
    );
    // Spaces in the query do not matter.
    let spaced = db.graphql_ok(q, json!({"q": "โรคระบาด โรคติดต่อ"})).await;
    assert_eq!(
        names(&spaced, "planProjects"),
        vec!["โครงการป้องกันโรคระบาด โรคติดต่อ"]
    );
    // Report narratives are searched too, through the approvals.
    let approvals = db
        .graphql_ok(
            r#"{ budgetApprovals(filter: {search: "เผยแพร่สถานที่ท่องเที่ยว"}) { totalCount edges { node { name } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(approvals["budgetApprovals"]["totalCount"], 1);
}

async fn count(db: &TestDb, filter: Value) -> i64 {
    let data = db
        .graphql_ok(
            "query ($f: ApprovalFilter!) { budgetApprovals(filter: $f) { totalCount } }",
            json!({ "f": filter }),
        )
        .await;
    data["budgetApprovals"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn approvals_filter_by_every_dimension() {
    let db = TestDb::demo().await;
    let row2 = json!({"organisationCode": "7100102", "fiscalYear": 2564});
    let with = |extra: Value| {
        let mut f = row2.clone();
        f.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        f
    };
    // The manual's tracking row 2, stage by stage.
    assert_eq!(count(&db, row2.clone()).await, 105);
    assert_eq!(count(&db, with(json!({"stage": "REPORTED"}))).await, 24);
    assert_eq!(count(&db, with(json!({"stage": "CONTRACTED"}))).await, 24);
    assert_eq!(count(&db, with(json!({"stage": "DISBURSED"}))).await, 21);
    assert_eq!(
        count(&db, with(json!({"stage": "FULLY_DISBURSED"}))).await,
        14
    );
    assert_eq!(count(&db, with(json!({"stage": "COMPLETED"}))).await, 6);
    // Place, kind, year.
    assert_eq!(
        count(&db, json!({"provinceCode": "71", "fiscalYear": 2564})).await,
        4 + 105 + 63 + 158
    );
    // A province that exists and has no approvals (an unknown one is
    // NOT_FOUND: tests/read_arguments.rs).
    sqlx::query("INSERT INTO provinces (code, name_th) VALUES ('10', 'กรุงเทพมหานคร') ON CONFLICT DO NOTHING")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(count(&db, json!({"provinceCode": "10"})).await, 0);
    assert_eq!(count(&db, json!({"organisationKind": "SAO"})).await, 330);
    assert_eq!(count(&db, json!({"organisationKind": "PAO"})).await, 0);
    assert_eq!(count(&db, json!({"fiscalYear": 2565})).await, 0);
    // Sector, activity type, funding source.
    assert_eq!(
        count(
            &db,
            json!({"organisationCode": "7100001", "sector": "ด้านสังคม"})
        )
        .await,
        4
    );
    assert_eq!(
        count(
            &db,
            json!({"activityType": "งานบริหารทั่วไปเกี่ยวกับสาธารณสุข - การบริหารทั่วไป"})
        )
        .await,
        4
    );
    assert_eq!(
        count(&db, json!({"fundingSource": "GENERAL_SUBSIDY"})).await,
        3
    );
    // The aerobic-dance approval: รายได้อื่น ๆ on the manual's form.
    assert_eq!(
        count(&db, json!({"fundingSource": "OTHER_REVENUE"})).await,
        1
    );
    assert_eq!(
        count(&db, json!({"fundingSource": "OWN_REVENUE"})).await,
        326
    );
    // A goal of any level, or a plan above it.
    for code in ["3.1", "3", "140001", "14", "140101", "1401"] {
        assert_eq!(
            count(&db, json!({"goalCode": code})).await,
            1,
            "goal {code}"
        );
    }
    assert_eq!(count(&db, json!({"goalCode": "030101"})).await, 0);
    // Amount and date ranges.
    assert_eq!(
        count(
            &db,
            json!({"organisationCode": "7100001", "amountMin": "30000", "amountMax": "40000.00"})
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &db,
            json!({"organisationCode": "7100001", "amountMin": "40000.01"})
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, json!({"organisationCode": "7100001", "approvedFrom": "24/09/2563", "approvedTo": "24/09/2563"})).await,
        4
    );
    assert_eq!(
        count(
            &db,
            json!({"organisationCode": "7100001", "approvedFrom": "25/09/2563"})
        )
        .await,
        0
    );
}

#[tokio::test]
async fn relations_lead_both_ways() {
    let db = TestDb::demo().await;
    let data = db
        .graphql_ok(
            r#"{
              province(code: "71") {
                nameTh
                organisations(first: 2) { totalCount edges { node { code province { code } } } }
              }
              masterPlans(edition: "2561") {
                code
                goals { code reports(first: 5) { totalCount edges { node { approval { name organisation { code } } } } } }
                subPlans { code goals { code reports(first: 1) { totalCount } } }
              }
              nationalStrategies(fiscalYear: 2567) { code goals { code } }
            }"#,
            json!({}),
        )
        .await;
    let orgs = &data["province"]["organisations"];
    assert_eq!(orgs["totalCount"], 5);
    assert_eq!(orgs["edges"].as_array().unwrap().len(), 2);
    assert_eq!(orgs["edges"][0]["node"]["province"]["code"], "71");
    let mp = &data["masterPlans"][0];
    assert_eq!(mp["code"], "14");
    let goal_reports = &mp["goals"][0]["reports"];
    assert_eq!(goal_reports["totalCount"], 1);
    assert_eq!(
        goal_reports["edges"][0]["node"]["approval"]["organisation"]["code"],
        "7100001"
    );
    assert_eq!(mp["subPlans"][0]["goals"][0]["reports"]["totalCount"], 1);
    // FY 2567 is in the 2566 edition: six strategies with their goals.
    let strategies = data["nationalStrategies"].as_array().unwrap();
    assert_eq!(strategies.len(), 6);
    assert_eq!(strategies[2]["goals"][0]["code"], "3.1");

    // Down from an approval: plan project, plan, strategy, e-LAAS history.
    let approval = db
        .graphql_ok(
            r#"{ organisation(code: "7100001") { plans { firstYear lastYear approvedOnBE strategies { number }
                   projects(first: 10) { totalCount edges { node { name strategy { number } plannedBudgets { planYear amount }
                      approvals { fiscalYear elaasItem { figures { asOfBE } latest { remaining } organisation { code } } } } } } } } }"#,
            json!({}),
        )
        .await;
    let plan = &approval["organisation"]["plans"][0];
    assert_eq!(plan["firstYear"], 2561);
    assert_eq!(plan["lastYear"], 2565);
    assert_eq!(plan["strategies"].as_array().unwrap().len(), 3);
    assert_eq!(plan["projects"]["totalCount"], 4);
    let first = &plan["projects"]["edges"][0]["node"];
    assert_eq!(first["strategy"]["number"], 2);
    assert_eq!(
        first["plannedBudgets"],
        json!([{"planYear": 2564, "amount": "20000.00"}])
    );
    assert_eq!(
        first["approvals"][0]["elaasItem"]["latest"]["remaining"],
        "20000.00"
    );
    assert_eq!(
        first["approvals"][0]["elaasItem"]["organisation"]["code"],
        "7100001"
    );
}

#[tokio::test]
async fn node_finds_every_kind_by_global_id() {
    let db = TestDb::demo().await;
    let ids = db
        .graphql_ok(
            r#"{ organisation(code: "7100001") { id province { id }
                 projects(fiscalYear: 2564) { id planProject { id plan { id } } elaasItem { id } report { id strategyGoal { goal { id } } } } } }"#,
            json!({}),
        )
        .await;
    let org = &ids["organisation"];
    let p = &org["projects"][0];
    let cases = [
        (&org["id"], "Organisation"),
        (&org["province"]["id"], "Province"),
        (&p["id"], "BudgetApproval"),
        (&p["planProject"]["id"], "PlanProject"),
        (&p["planProject"]["plan"]["id"], "DevelopmentPlan"),
        (&p["elaasItem"]["id"], "ElaasItem"),
        (&p["report"]["id"], "ProjectReport"),
        (&p["report"]["strategyGoal"]["goal"]["id"], "PlanNode"),
    ];
    for (id, type_name) in cases {
        let found = db
            .graphql_ok(
                "query ($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(found["node"]["__typename"], type_name);
        assert_eq!(&found["node"]["id"], id);
    }
    let none = db
        .graphql_ok(r#"{ node(id: "bm9wZTox") { id } }"#, json!({}))
        .await;
    assert_eq!(none["node"], json!(null));
}

#[tokio::test]
async fn pages_follow_cursors_in_a_stable_order() {
    let db = TestDb::demo().await;
    let q = r#"query ($after: String) { budgetApprovals(filter: {organisationCode: "7100103"}, first: 25, after: $after) {
                 totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } }"#;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = db.graphql_ok(q, json!({ "after": after })).await;
        let page = &data["budgetApprovals"];
        assert_eq!(page["totalCount"], 63);
        seen.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].clone()),
        );
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 63);
    let unique: std::collections::HashSet<String> = seen.iter().map(|v| v.to_string()).collect();
    assert_eq!(unique.len(), 63);
}

#[tokio::test]
async fn limits_refuse_abusive_queries_with_codes() {
    let db = TestDb::demo().await;
    let code = |v: &Value| {
        v["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let big_page = db
        .graphql("{ organisations(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(code(&big_page), "PAGE_SIZE_EXCEEDED");
    assert_eq!(big_page["errors"][0]["extensions"]["field"], "first");
    let deep = format!(
        "{{ masterPlans {{ {} code {} }} }}",
        "parent { ".repeat(16),
        "}".repeat(16)
    );
    assert_eq!(code(&db.graphql(&deep, json!({})).await), "QUERY_TOO_DEEP");
    let wide = "{ organisations(first: 100) { edges { node { budgetApprovals(first: 100) { edges { node { name } } } } } } }";
    assert_eq!(
        code(&db.graphql(wide, json!({})).await),
        "QUERY_TOO_COMPLEX"
    );
    let aliases: String = (0..31)
        .map(|i| format!("a{i}: planEditions {{ code }} "))
        .collect();
    let many = db.graphql(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&many), "TOO_MANY_ALIASES");
    assert!(many["data"].is_null());
}

#[tokio::test]
async fn elaas_items_lead_back_to_approvals_and_the_calendar_is_readable() {
    let db = TestDb::demo().await;
    let data = db
        .graphql_ok(
            r#"{ organisation(code: "7100001") { elaasItems(fiscalYear: 2564) { code approvals { name } }
                 projects(fiscalYear: 2564) { report { submittedOn submittedOnBE } } }
                 reportingDeadlines(fiscalYear: 2564) { stage dueOnBE } }"#,
            json!({}),
        )
        .await;
    let items = data["organisation"]["elaasItems"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["code"], "2564-SOC-001");
    assert_eq!(
        items[0]["approvals"][0]["name"],
        "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)"
    );
    assert_eq!(
        data["organisation"]["projects"][0]["report"]["submittedOnBE"],
        "30/04/2564"
    );
    let deadlines = data["reportingDeadlines"].as_array().unwrap();
    assert_eq!(deadlines.len(), 7);
    assert_eq!(
        deadlines[0],
        json!({"stage": "budget_approval", "dueOnBE": "31/10/2563"})
    );
}

#[tokio::test]
async fn a_count_only_page_counts_without_rows() {
    let db = TestDb::demo().await;
    let data = db
        .graphql_ok(
            r#"{ organisations(filter: {provinceCode: "71"}, first: 10) { nodes { code
                   count: budgetApprovals(filter: {fiscalYear: 2564}, first: 0) { totalCount edges { cursor } }
                   all: budgetApprovals(filter: {fiscalYear: 2564}, first: 50) { totalCount edges { cursor } } } } }"#,
            serde_json::json!({}),
        )
        .await;
    let nodes = data["organisations"]["nodes"].as_array().unwrap();
    assert!(nodes
        .iter()
        .any(|n| n["all"]["totalCount"].as_i64() > Some(0)));
    for n in nodes {
        assert_eq!(
            n["count"]["totalCount"], n["all"]["totalCount"],
            "{}",
            n["code"]
        );
        assert_eq!(n["count"]["edges"].as_array().map(Vec::len), Some(0));
        assert_eq!(
            n["all"]["edges"].as_array().map(Vec::len),
            n["all"]["totalCount"]
                .as_u64()
                .map(|t| (t as usize).min(50))
        );
    }
}
