//! The demo data answers as the manual shows it.

mod common;

use common::TestDb;
use serde_json::json;

const PROJECTS: &str = r#"
query ($code: String!, $fy: Int!) {
  organisation(code: $code) {
    name
    kind
    province { code nameTh }
    projects(fiscalYear: $fy) {
      name sector ordinanceBudget contractAmount disbursed remaining approvedOnBE
      fundingSources { source amount }
      elaas { asOfBE }
      elaasItem { code name }
      report {
        status coordinatorName startDateBE endDateBE
        location { latitude longitude }
        strategyGoal { goal { code level edition goalTh parent { code } } result }
        masterPlanGoal { goal { code level } result }
        subPlanGoal { goal { code level parent { code parent { code } } } result }
      }
    }
  }
}"#;

#[tokio::test]
async fn the_aerobic_dance_project_shows_the_manuals_figures() {
    let db = TestDb::demo().await;
    let data = db
        .graphql_ok(PROJECTS, json!({"code": "7100001", "fy": 2564}))
        .await;
    let org = &data["organisation"];
    assert_eq!(org["name"], "องค์การบริหารส่วนตำบลหาดยาย");
    assert_eq!(org["kind"], "SAO");
    assert_eq!(org["province"]["nameTh"], "กาญจนบุรี");
    let projects = org["projects"].as_array().expect("projects");
    assert_eq!(projects.len(), 4);
    let aerobic = &projects[0];
    assert_eq!(
        aerobic["name"],
        "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)"
    );
    assert_eq!(aerobic["sector"], "ด้านสังคม");
    assert_eq!(aerobic["ordinanceBudget"], "20000.00");
    assert_eq!(aerobic["contractAmount"], "0.00");
    assert_eq!(aerobic["disbursed"], "0.00");
    assert_eq!(aerobic["remaining"], "20000.00");
    assert_eq!(aerobic["approvedOnBE"], "24/09/2563");
    assert_eq!(aerobic["elaas"]["asOfBE"], "31/03/2564");
    assert_eq!(
        aerobic["fundingSources"],
        json!([{"source": "OTHER_REVENUE", "amount": "20000.00"}])
    );
    assert!(aerobic["elaasItem"]["name"]
        .as_str()
        .unwrap()
        .contains("เนอโรบิคแดนซ์"));

    let report = &aerobic["report"];
    assert_eq!(report["status"], "SUBMITTED");
    assert_eq!(report["startDateBE"], "01/01/2564");
    assert_eq!(report["location"]["latitude"], 14.752029198560914);
    assert_eq!(report["location"]["longitude"], 98.64539400000002);
    let strategy = &report["strategyGoal"];
    assert_eq!(strategy["goal"]["code"], "3.1");
    assert_eq!(strategy["goal"]["level"], "STRATEGY_GOAL");
    assert_eq!(strategy["goal"]["edition"], "2561");
    assert_eq!(
        strategy["goal"]["goalTh"],
        "คนไทยเป็นคนดี คนเก่ง มีคุณภาพ พร้อมสำหรับวิถีชีวิตในศตวรรษที่ 21"
    );
    assert!(strategy["result"].as_str().unwrap().contains("150 คน"));
    assert_eq!(report["masterPlanGoal"]["goal"]["code"], "140001");
    assert_eq!(report["subPlanGoal"]["goal"]["code"], "140101");
    assert_eq!(report["subPlanGoal"]["goal"]["parent"]["code"], "1401");
    assert_eq!(
        report["subPlanGoal"]["goal"]["parent"]["parent"]["code"],
        "14"
    );
}

#[tokio::test]
async fn the_project_report_list_matches_the_manual() {
    let db = TestDb::demo().await;
    let data = db
        .graphql_ok(PROJECTS, json!({"code": "7100001", "fy": 2564}))
        .await;
    let rows: Vec<(String, String, String, String)> = data["organisation"]["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            (
                s("ordinanceBudget"),
                s("contractAmount"),
                s("disbursed"),
                s("remaining"),
            )
        })
        .collect();
    let expected = [
        ("20000.00", "20000.00"),
        ("30000.00", "30000.00"),
        ("40000.00", "40000.00"),
        ("40000.00", "40000.00"),
    ];
    for (row, (budget, remaining)) in rows.iter().zip(expected) {
        assert_eq!(
            row,
            &(
                budget.into(),
                "0.00".into(),
                "0.00".into(),
                remaining.into()
            )
        );
    }
    // Another fiscal year has no approvals.
    let other = db
        .graphql_ok(PROJECTS, json!({"code": "7100001", "fy": 2565}))
        .await;
    assert_eq!(other["organisation"]["projects"], json!([]));
    // An unknown organisation is null, not an error.
    let none = db
        .graphql_ok(PROJECTS, json!({"code": "9999999", "fy": 2564}))
        .await;
    assert_eq!(none["organisation"], json!(null));
}

/// code, strategies, plan projects per year, plan approved, added, approved,
/// reported, contracted, disbursed, fully disbursed, completed
type TrackingRow = (
    String,
    i64,
    Vec<i64>,
    bool,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

/// The manual's tracking report for Kanchanaburi, FY 2564: strategies, plan
/// projects 2561–2565, plan approved, added, approved, reported, contracted,
/// disbursed, fully disbursed, completed.
#[tokio::test]
async fn counting_the_demo_reproduces_the_manuals_tracking_rows() {
    let db = TestDb::demo().await;
    let rows: Vec<TrackingRow> = sqlx::query_as(include_str!("sql/tracking_counts.sql"))
        .bind(2564)
        .bind("71")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let by_code = |code: &str| rows.iter().find(|r| r.0 == code).cloned().expect(code);
    assert_eq!(
        by_code("7100101"),
        (
            "7100101".into(),
            6,
            vec![143, 212, 274, 364, 236],
            true,
            130,
            0,
            0,
            0,
            0,
            0,
            0
        )
    );
    assert_eq!(
        by_code("7100102"),
        (
            "7100102".into(),
            7,
            vec![244, 271, 219, 157, 144],
            true,
            85,
            105,
            24,
            24,
            21,
            14,
            6
        )
    );
    assert_eq!(
        by_code("7100103"),
        (
            "7100103".into(),
            5,
            vec![128, 78, 75, 82, 74],
            true,
            41,
            63,
            0,
            21,
            20,
            14,
            0
        )
    );
}

#[tokio::test]
async fn loading_the_demo_twice_changes_nothing() {
    let db = TestDb::demo().await;
    let count = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM budget_approvals")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = count(db.pool.clone()).await;
    assert!(!tidtam::demo::load(&db.pool).await.unwrap());
    tidtam::strategy::load::load_shipped(&db.pool)
        .await
        .unwrap();
    assert_eq!(count(db.pool.clone()).await, before);
    assert_eq!(before, 4 + 105 + 63 + 158);
}

#[tokio::test]
async fn the_readme_first_query_runs_on_the_demo() {
    let db = TestDb::demo().await;
    let document = include_str!("../queries/first-query.graphql");
    let data = db.graphql_ok(document, json!({})).await;
    let first = &data["organisation"]["projects"][0];
    assert_eq!(first["remaining"], "20000.00");
    assert_eq!(first["report"]["subPlanGoal"]["goal"]["code"], "140101");
}

/// The manual's approval form ("ขออนุมัติงบประมาณแผน 5 ปี [ปีงบประมาณ 2564]")
/// of the aerobic-dance project, field by field, all nine funding sources
/// with the empty ones as zeros.
#[tokio::test]
async fn the_aerobic_dance_approval_form_is_the_manuals() {
    const FORM: &str = r#"
    query ($code: String!) {
      budgetApprovals(filter: {fiscalYear: 2564, organisationCode: $code}, first: 10) {
        nodes {
          name budgetItemName fiscalYear path ordinanceBudget approvedOnBE
          fundingSources { source amount }
          elaasItem { name latest { budget } }
        }
      }
    }"#;
    let db = TestDb::demo().await;
    let data = db.graphql_ok(FORM, json!({"code": "7100001"})).await;
    let nodes = data["budgetApprovals"]["nodes"].as_array().expect("nodes");
    let form = nodes
        .iter()
        .find(|n| n["name"].as_str().is_some_and(|s| s.contains("แอโรบิคแดนซ์")))
        .expect("the aerobic-dance approval");
    assert_eq!(form["fiscalYear"], 2564);
    assert_eq!(form["path"], "ORDINANCE");
    // ชื่อโครงการ * / งบประมาณ * / วันที่อนุมัติ
    assert_eq!(
        form["budgetItemName"],
        "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)"
    );
    assert_eq!(form["ordinanceBudget"], "20000.00");
    assert_eq!(form["approvedOnBE"], "24/09/2563");
    // ชื่อโครงการ e-LAAS * "… (เนอโรบิคแดนซ์) (20,000.00)"
    assert_eq!(
        form["elaasItem"]["name"],
        "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (เนอโรบิคแดนซ์)"
    );
    assert_eq!(form["elaasItem"]["latest"]["budget"], "20000.00");

    // แหล่งที่มาของงบประมาณ, in the form's order: only รายได้อื่น ๆ is filled.
    let manual = [
        ("GENERAL_SUBSIDY", "0.00"),
        ("PURPOSE_SUBSIDY", "0.00"),
        ("GOVERNMENT_SUBSIDY", "0.00"),
        ("SPECIFIC_SUBSIDY", "0.00"),
        ("OWN_REVENUE", "0.00"),
        ("OTHER_REVENUE", "20000.00"),
        ("ACCUMULATED_FUNDS", "0.00"),
        ("ACCUMULATED_RESERVE", "0.00"),
        ("UNKNOWN", "0.00"),
    ];
    let shown: std::collections::HashMap<String, String> = form["fundingSources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap().to_string(),
                s["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let via_graphql: Vec<(&str, String)> = manual
        .iter()
        .map(|(s, _)| (*s, shown.get(*s).cloned().unwrap_or_else(|| "0.00".into())))
        .collect();
    let expected: Vec<(&str, String)> = manual.iter().map(|(s, a)| (*s, a.to_string())).collect();
    assert_eq!(via_graphql, expected);

    // The stored row, all nine columns (zeros stored, not left null).
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT unnest(ARRAY[from_general_subsidy, from_purpose_subsidy, from_government_subsidy,
                             from_specific_subsidy, from_own_revenue, from_other_revenue,
                             from_accumulated_funds, from_accumulated_reserve, from_unknown])::numeric(16,2)::text
         FROM budget_approvals ba JOIN plan_projects pp ON pp.id = ba.plan_project_id
         WHERE ba.fiscal_year = 2564 AND pp.name_th LIKE '%แอโรบิคแดนซ์%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let expected: Vec<String> = manual.iter().map(|(_, a)| a.to_string()).collect();
    assert_eq!(stored, expected);
}
