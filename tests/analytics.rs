//! The analytics layer: the manual's tracking report on the demo, the
//! dashboards in queries/, every polars figure against plain SQL on random
//! data, defined answers for empty cases, fresh figures after a write.

mod common;

use common::TestDb;
use serde_json::{json, Value};
use std::collections::HashMap;

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["organisationCode"] == code)
        .unwrap()
}

fn plan(r: &Value) -> Vec<i64> {
    r["planProjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["projects"].as_i64().unwrap())
        .collect()
}

/// recordingDone, strategies, plan projects, planApproved, added, approved,
/// reported, contracted, disbursed, fully disbursed, completed.
fn manual_row(r: &Value) -> (bool, i64, Vec<i64>, bool, [i64; 7]) {
    let n = |k: &str| r[k].as_i64().unwrap();
    (
        r["recordingDone"].as_bool().unwrap(),
        n("strategies"),
        plan(r),
        r["planApproved"].as_bool().unwrap(),
        [
            n("projectsAdded"),
            n("budgetApproved"),
            n("reported"),
            n("contracted"),
            n("disbursed"),
            n("fullyDisbursed"),
            n("completed"),
        ],
    )
}

#[tokio::test]
async fn the_tracking_report_reproduces_the_manuals_kanchanaburi_rows() {
    let db = TestDb::demo().await;
    let data = db
        .graphql_ok(
            include_str!("../queries/tracking-report.graphql"),
            json!({}),
        )
        .await;
    let report = &data["monitoringReport"];
    assert_eq!(report["planYears"], json!([2561, 2562, 2563, 2564, 2565]));
    assert_eq!(
        manual_row(row(report, "7100101")),
        (
            true,
            6,
            vec![143, 212, 274, 364, 236],
            true,
            [130, 0, 0, 0, 0, 0, 0]
        )
    );
    assert_eq!(
        manual_row(row(report, "7100102")),
        (
            true,
            7,
            vec![244, 271, 219, 157, 144],
            true,
            [85, 105, 24, 24, 21, 14, 6]
        )
    );
    assert_eq!(
        manual_row(row(report, "7100103")),
        (
            true,
            5,
            vec![128, 78, 75, 82, 74],
            true,
            [41, 63, 0, 21, 20, 14, 0]
        )
    );
    assert_eq!(
        manual_row(row(report, "7100104")),
        (
            true,
            7,
            vec![206, 200, 219, 186, 168],
            true,
            [226, 158, 0, 67, 64, 31, 0]
        )
    );
    let hadyai = row(report, "7100001");
    assert_eq!(hadyai["budgetApproved"], 4);
    assert_eq!(hadyai["reported"], 1);
    assert_eq!(hadyai["kind"], "SAO");
    // Totals are the sums of the rows; the nation is this one province here.
    let totals = &report["provinceTotals"];
    assert_eq!(totals["organisations"], 5);
    assert_eq!(totals["budgetApproved"], 4 + 105 + 63 + 158);
    assert_eq!(totals["reported"], 25);
    assert_eq!(totals["contracted"], 24 + 21 + 67);
    assert_eq!(totals["fullyDisbursed"], 14 + 14 + 31);
    assert_eq!(plan(totals), vec![721, 761, 787, 793, 622]);
    assert_eq!(
        report["nationalTotals"]["budgetApproved"],
        totals["budgetApproved"]
    );
}

#[tokio::test]
async fn the_province_overview_and_league_table_run_on_the_demo() {
    let db = TestDb::demo().await;
    let overview = db
        .graphql_ok(
            include_str!("../queries/province-overview.graphql"),
            json!({}),
        )
        .await;
    let rates = &overview["rates"];
    assert_eq!(rates["approvals"], 330);
    assert_eq!(rates["reportingRate"], 7.58); // 25 of 330
    assert_eq!(rates["completionRate"], 1.82); // 6 of 330
    assert_eq!(rates["months"].as_array().unwrap().len(), 12);
    assert_eq!(rates["months"][0]["monthBE"], "10/2563");
    assert_eq!(rates["months"][5]["month"], "2021-03");
    let totals = &overview["byKind"]["totals"];
    assert_eq!(totals["approvals"], 330);
    assert_eq!(overview["byKind"]["groups"][0]["key"][0]["value"], "sao");
    assert_eq!(overview["byKind"]["groups"][0]["budget"], totals["budget"]);
    // All the e-LAAS figures of the demo are dated 31/03/2564: the curve is
    // flat at zero before March and at the year's figures from March on.
    assert_eq!(rates["months"][4]["disbursed"], "0.00");
    assert_eq!(rates["months"][5]["disbursed"], totals["disbursed"]);
    assert_eq!(rates["months"][11]["disbursed"], totals["disbursed"]);

    let league = db
        .graphql_ok(include_str!("../queries/league-table.graphql"), json!({}))
        .await;
    let table = &league["performanceScores"];
    assert_eq!(table["totalCount"], 5);
    let nodes: Vec<&Value> = table["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let scores: Vec<f64> = nodes.iter().map(|n| n["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    assert_eq!(nodes[0]["rankInNation"], 1);
    assert_eq!(nodes[0]["components"].as_array().unwrap().len(), 6);
    assert_eq!(league["scoreWeights"].as_array().unwrap().len(), 6);
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

/// SQL truth: (key, approvals, budget, contract, disbursed, remaining) in satang.
async fn sql_groups(db: &TestDb, key: &str) -> HashMap<String, [i64; 5]> {
    let sql = format!(
        "SELECT ({key})::text, count(*), sum((coalesce(elaas_budget, amount) * 100)::bigint)::bigint,
                sum((coalesce(contract_amount, 0) * 100)::bigint)::bigint, sum((coalesce(disbursed, 0) * 100)::bigint)::bigint,
                sum((coalesce(remaining, amount) * 100)::bigint)::bigint
         FROM approval_facts WHERE fiscal_year = 2564 AND published GROUP BY 1"
    );
    let rows: Vec<(String, i64, i64, i64, i64, i64)> =
        sqlx::query_as(&sql).fetch_all(&db.pool).await.unwrap();
    rows.into_iter()
        .map(|r| (r.0, [r.1, r.2, r.3, r.4, r.5]))
        .collect()
}

fn satang(v: &Value) -> i64 {
    let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap();
    (d * rust_decimal::Decimal::from(100)).try_into().unwrap()
}

async fn graphql_groups(db: &TestDb, dimension: &str) -> HashMap<String, [i64; 5]> {
    let data = db
        .graphql_ok(
            "query ($d: [Dimension!]!) { disbursement(fiscalYear: 2564, groupBy: $d) {
               groups { key { value } approvals budget contractAmount disbursed remaining } } }",
            json!({"d": [dimension]}),
        )
        .await;
    data["disbursement"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"][0]["value"].as_str().unwrap().to_string(),
                [
                    g["approvals"].as_i64().unwrap(),
                    satang(&g["budget"]),
                    satang(&g["contractAmount"]),
                    satang(&g["disbursed"]),
                    satang(&g["remaining"]),
                ],
            )
        })
        .collect()
}

#[tokio::test]
async fn every_polars_figure_equals_plain_sql_on_random_data() {
    let db = TestDb::random().await;
    for (dimension, key) in [
        ("PROVINCE", "province_code"),
        ("SECTOR", "sector"),
        ("ORGANISATION_KIND", "organisation_kind"),
        ("ORGANISATION", "organisation_code"),
    ] {
        let polars = graphql_groups(&db, dimension).await;
        let sql = sql_groups(&db, key).await;
        assert!(!sql.is_empty());
        assert_eq!(polars, sql, "grouped by {dimension}");
    }
    // Funding sources share contract and disbursed by amount: each approval's
    // share is its exact share rounded down, or one satang more (largest
    // remainder), and the sources add up to the totals (see
    // `money_splits_add_up_for_every_grouping`).
    let by_source: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "WITH f AS (SELECT f.*, ba.from_general_subsidy AS g, ba.from_own_revenue AS o FROM approval_facts f
                    JOIN budget_approvals ba ON ba.id = f.id WHERE f.fiscal_year = 2564 AND f.published),
              parts AS (SELECT 'GENERAL_SUBSIDY' AS s, (g * 100)::bigint AS part, f.* FROM f WHERE g > 0
                        UNION ALL SELECT 'OWN_REVENUE', (o * 100)::bigint, f.* FROM f WHERE o > 0)
         SELECT s, count(*), sum(part)::bigint,
                sum((coalesce(contract_amount, 0) * 100)::bigint * part / (amount * 100)::bigint)::bigint,
                sum((coalesce(disbursed, 0) * 100)::bigint * part / (amount * 100)::bigint)::bigint
         FROM parts GROUP BY s ORDER BY s",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let polars = graphql_groups(&db, "FUNDING_SOURCE").await;
    for (source, n, budget, contract_floor, disbursed_floor) in by_source {
        let p = polars[&source];
        assert_eq!([p[0], p[1]], [n, budget], "{source}");
        assert!(
            (contract_floor..=contract_floor + n).contains(&p[2]),
            "{source} contract {} vs floor {contract_floor}",
            p[2]
        );
        assert!(
            (disbursed_floor..=disbursed_floor + n).contains(&p[3]),
            "{source} disbursed {} vs floor {disbursed_floor}",
            p[3]
        );
    }
    // The tracking report of each province equals SQL's counts.
    for province in ["81", "82", "83"] {
        let data = db
            .graphql_ok(
                include_str!("../queries/tracking-report.graphql"),
                json!({"provinceCode": province}),
            )
            .await;
        let report = &data["monitoringReport"];
        let truth: Vec<TrackingRow> = sqlx::query_as(include_str!("sql/tracking_counts.sql"))
            .bind(2564)
            .bind(province)
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            report["rows"].as_array().unwrap().len(),
            20,
            "every organisation of {province} has a row"
        );
        for t in truth {
            let r = row(report, &t.0);
            let (_, strategies, years, approved, counts) = manual_row(r);
            assert_eq!(strategies, t.1, "{}", t.0);
            let planned: Vec<i64> = t.2.clone();
            assert_eq!(
                years.iter().sum::<i64>(),
                planned.iter().sum::<i64>(),
                "{}",
                t.0
            );
            assert_eq!(approved, t.3, "{}", t.0);
            assert_eq!(counts, [t.4, t.5, t.6, t.7, t.8, t.9, t.10], "{}", t.0);
        }
    }
    // Rates equal SQL's shares.
    let (n, reported, linked, completed): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE reported), count(elaas_item_id), count(*) FILTER (WHERE completed)
         FROM approval_facts WHERE fiscal_year = 2564 AND province_code = '82' AND published",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let rates = db
        .graphql_ok(r#"{ rates(fiscalYear: 2564, filter: {provinceCode: "82"}) { approvals reportingRate elaasLinkRate completionRate } }"#, json!({}))
        .await;
    let pct = |part: i64| ((part as f64 / n as f64) * 10_000.0).round() / 100.0;
    assert_eq!(rates["rates"]["approvals"], n);
    assert_eq!(
        rates["rates"]["reportingRate"].as_f64().unwrap(),
        pct(reported)
    );
    assert_eq!(
        rates["rates"]["elaasLinkRate"].as_f64().unwrap(),
        pct(linked)
    );
    assert_eq!(
        rates["rates"]["completionRate"].as_f64().unwrap(),
        pct(completed)
    );
}

#[tokio::test]
async fn empty_cases_have_defined_answers() {
    let db = TestDb::random().await;
    // An empty province: no rows, zero totals.
    let data = db
        .graphql_ok(
            include_str!("../queries/tracking-report.graphql"),
            json!({"provinceCode": "84"}),
        )
        .await;
    let report = &data["monitoringReport"];
    assert_eq!(report["rows"], json!([]));
    assert_eq!(report["provinceTotals"]["organisations"], 0);
    assert_eq!(report["provinceTotals"]["budgetApproved"], 0);
    // An organisation without a plan or approvals has a row of zeros.
    let data = db
        .graphql_ok(
            include_str!("../queries/tracking-report.graphql"),
            json!({"provinceCode": "82"}),
        )
        .await;
    let none = row(&data["monitoringReport"], "8000001");
    assert_eq!(manual_row(none).4, [0; 7]);
    assert_eq!(none["planApproved"], false);
    // Rates of nothing are null, not NaN; groups of nothing are empty.
    let nothing = db
        .graphql_ok(
            r#"{ rates(fiscalYear: 2564, filter: {provinceCode: "84"}) { approvals reportingRate disbursementRate months { contractingRate disbursedPctOfBudget } }
                 disbursement(fiscalYear: 2564, groupBy: [SECTOR], filter: {provinceCode: "84"}) { groups { approvals } totals { approvals budget disbursedPctOfBudget } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(nothing["rates"]["approvals"], 0);
    assert_eq!(nothing["rates"]["reportingRate"], json!(null));
    assert_eq!(nothing["rates"]["disbursementRate"], json!(null));
    assert_eq!(
        nothing["rates"]["months"][0],
        json!({"contractingRate": null, "disbursedPctOfBudget": null})
    );
    assert_eq!(nothing["disbursement"]["groups"], json!([]));
    assert_eq!(
        nothing["disbursement"]["totals"],
        json!({"approvals": 0, "budget": "0.00", "disbursedPctOfBudget": null})
    );
    // A year without data: every organisation, all zeros, scores null or 0.
    // (A plan without projects makes 2570 a year Tidtam holds plans for:
    // another is refused as INVALID_FISCAL_YEAR, src/arguments.)
    sqlx::query(
        "INSERT INTO development_plans (organisation_id, first_year, last_year, approved_on)
         SELECT id, 2566, 2570, date '2022-06-01' FROM organisations WHERE code = '8000001'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let empty_year = db.graphql_ok(r#"{ performanceScores(fiscalYear: 2570, first: 100) { totalCount edges { node { score rankInNation } } } }"#, json!({})).await;
    assert_eq!(empty_year["performanceScores"]["totalCount"], 60);
    assert!(empty_year["performanceScores"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["node"]["score"].is_null()));
}

#[tokio::test]
async fn a_write_is_visible_in_the_next_aggregate() {
    let db = TestDb::demo().await;
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let run = |q: &'static str| {
        let schema = schema.clone();
        let pool = db.pool.clone();
        async move {
            let request = async_graphql::Request::new(q);
            serde_json::to_value(
                schema
                    .execute(tidtam::graphql::prepare(
                        request,
                        &pool,
                        tidtam::auth::Access::anonymous(),
                    ))
                    .await,
            )
            .unwrap()
        }
    };
    let q = r#"{ monitoringReport(fiscalYear: 2564, provinceCode: "71") { dataVersion provinceTotals { completed } } }"#;
    let before = run(q).await;
    assert_eq!(
        before["data"]["monitoringReport"]["provinceTotals"]["completed"],
        6
    );
    // One schema, one cache: the frames are built once and reused …
    let again = run(q).await;
    assert_eq!(
        again["data"]["monitoringReport"]["dataVersion"],
        before["data"]["monitoringReport"]["dataVersion"]
    );
    // … until a write bumps the version.
    sqlx::query("UPDATE project_reports SET completed = true, completed_on = '2021-09-30', status = 'completed', summary = 'เสร็จ' WHERE latitude IS NOT NULL")
        .execute(&db.pool)
        .await
        .unwrap();
    let after = run(q).await;
    assert_eq!(
        after["data"]["monitoringReport"]["provinceTotals"]["completed"],
        7
    );
    assert!(
        after["data"]["monitoringReport"]["dataVersion"].as_i64()
            > before["data"]["monitoringReport"]["dataVersion"].as_i64()
    );
}

#[tokio::test]
async fn another_process_writing_rebuilds_the_frames_through_notify() {
    let db = TestDb::demo().await;
    let analytics = tidtam::analytics::Analytics::new(db.pool.clone());
    analytics.listen();
    let first = analytics.frames(2564).await.unwrap().version;
    // "Another process": a separate connection writes.
    let other = tidtam::db::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE organisations SET recording_method_set = false WHERE code = '7100001'")
        .execute(&other)
        .await
        .unwrap();
    let mut rebuilt = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if let Some(v) = analytics.cached_version(2564).await.filter(|v| *v > first) {
            rebuilt = Some(v);
            break;
        }
    }
    assert!(rebuilt.is_some(), "the listener did not rebuild the frames");
}

#[tokio::test]
async fn score_weights_change_the_scores_and_bad_weights_are_refused() {
    let db = TestDb::demo().await;
    let q = r#"{ performanceScores(fiscalYear: 2564, first: 10) { edges { node { organisationCode score components { component value } } } } }"#;
    let score_of = |v: &Value, code: &str| -> f64 {
        v["performanceScores"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["organisationCode"] == code)
            .unwrap()["node"]["score"]
            .as_f64()
            .unwrap()
    };
    let before = db.graphql_ok(q, json!({})).await;
    // Row 2 of the manual: reporting 24/105, completion 6/105, linked all.
    let row2 = before["performanceScores"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["organisationCode"] == "7100102")
        .unwrap();
    let components: HashMap<String, Value> = row2["node"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["component"].as_str().unwrap().to_string(),
                c["value"].clone(),
            )
        })
        .collect();
    assert_eq!(components["reporting"], 22.86);
    assert_eq!(components["completion"], 5.71);
    assert_eq!(components["elaas_link"], 100.0);
    let only_reporting = json!({"w": [
        {"component": "plan_to_budget", "weight": 0.0}, {"component": "reporting", "weight": 1.0},
        {"component": "elaas_link", "weight": 0.0}, {"component": "disbursement", "weight": 0.0},
        {"component": "completion", "weight": 0.0}, {"component": "timeliness", "weight": 0.0}]});
    let set =
        "mutation ($w: [ScoreWeightInput!]!) { setScoreWeights(weights: $w) { component weight } }";
    db.graphql_ok(set, only_reporting).await;
    let after = db.graphql_ok(q, json!({})).await;
    assert_eq!(score_of(&after, "7100102"), 22.86);
    assert_ne!(score_of(&before, "7100102"), 22.86);
    let bad = db
        .graphql(set, json!({"w": [{"component": "luck", "weight": -1.0}]}))
        .await;
    let errors = bad["errors"][0]["extensions"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["field"], "weights[0].component");
    assert_eq!(errors[1]["field"], "weights[0].weight");
}

#[tokio::test]
async fn the_dashboards_pickers_and_chart_documents_run_on_the_demo() {
    let db = TestDb::demo().await;
    let provinces = db
        .graphql_ok(include_str!("../queries/provinces.graphql"), json!({}))
        .await;
    assert_eq!(provinces["provinces"]["totalCount"], 1);
    assert_eq!(
        provinces["provinces"]["edges"][0]["node"]["nameTh"],
        "กาญจนบุรี"
    );
    let money = db
        .graphql_ok(
            include_str!("../queries/organisation-disbursement.graphql"),
            json!({}),
        )
        .await;
    let groups = money["disbursement"]["groups"].as_array().unwrap();
    let row2 = groups
        .iter()
        .find(|g| g["key"][0]["value"] == "7100102")
        .unwrap();
    assert_eq!(row2["key"][0]["label"], "อปท. ตัวอย่างแถวที่ 2 (ตามคู่มือ)");
    assert_eq!(row2["approvals"], 105);
    let hadyai = groups
        .iter()
        .find(|g| g["key"][0]["value"] == "7100001")
        .unwrap();
    assert_eq!(hadyai["budget"], "130000.00");
    assert_eq!(hadyai["disbursedPctOfBudget"], 0.0);
}

/// Every dimension `disbursement(groupBy:)` offers, in the schema's order.
const DIMENSIONS: [&str; 9] = [
    "PROVINCE",
    "ORGANISATION_KIND",
    "ORGANISATION",
    "SECTOR",
    "ACTIVITY_TYPE",
    "FUNDING_SOURCE",
    "MASTER_PLAN",
    "SUB_PLAN",
    "MONTH",
];

/// The random data with its money spread over five funding sources at
/// random satang, and some e-LAAS budgets that differ from the approved
/// amount, so that every figure has to be shared with remainders.
async fn random_split_data() -> TestDb {
    let db = TestDb::random().await;
    sqlx::raw_sql(
        "SELECT setseed(0.2020);
         UPDATE budget_approvals ba SET
             from_general_subsidy = s.a, from_purpose_subsidy = s.b, from_other_revenue = s.c,
             from_accumulated_funds = s.d, from_own_revenue = ba.amount - s.a - s.b - s.c - s.d
         FROM (SELECT id, floor(amount * 25 * random()) / 100 AS a, floor(amount * 25 * random()) / 100 AS b,
                      floor(amount * 25 * random()) / 100 AS c,
                      CASE WHEN random() < 0.5 THEN floor(amount * 25 * random()) / 100 ELSE 0 END AS d
               FROM budget_approvals) s
         WHERE s.id = ba.id;
         UPDATE elaas_snapshots SET budget = budget + round((random() * 1000)::numeric, 2) WHERE random() < 0.3;
         UPDATE elaas_snapshots SET disbursed = disbursed + 0.01, remaining = remaining - 0.01 WHERE remaining >= 0.01 AND random() < 0.5;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    db
}

/// Money in satang from a decimal string (baht).
fn satang_of(text: &str) -> i64 {
    let d: rust_decimal::Decimal = text.trim().parse().expect("an amount");
    (d * rust_decimal::Decimal::from(100)).try_into().unwrap()
}

/// (key values, [approvals, budget, contract, disbursed, remaining]) of each
/// group, and the totals.
async fn disbursement_by(db: &TestDb, dims: &[&str]) -> (Vec<(Vec<String>, [i64; 5])>, [i64; 5]) {
    let data = db
        .graphql_ok(
            "query ($d: [Dimension!]!) { disbursement(fiscalYear: 2564, groupBy: $d) {
               groups { key { value } approvals budget contractAmount disbursed remaining }
               totals { approvals budget contractAmount disbursed remaining } } }",
            json!({ "d": dims }),
        )
        .await;
    let figures = |g: &Value| {
        [
            g["approvals"].as_i64().unwrap(),
            satang(&g["budget"]),
            satang(&g["contractAmount"]),
            satang(&g["disbursed"]),
            satang(&g["remaining"]),
        ]
    };
    let groups = data["disbursement"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let key = g["key"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["value"].as_str().unwrap().to_string())
                .collect();
            (key, figures(g))
        })
        .collect();
    (groups, figures(&data["disbursement"]["totals"]))
}

fn add(a: &mut [i64; 5], b: &[i64; 5]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Issue 20 §1: for every combination of the dimensions `disbursement`
/// offers, the groups add up to the totals to the satang (per month, for
/// the month curves), and the totals are a plain SQL SUM over NUMERIC. An
/// approval counts once per group it falls in, so approvals add up only
/// where the dimensions do not split one (funding source).
#[tokio::test]
async fn money_splits_add_up_for_every_grouping() {
    let db = random_split_data().await;
    // The totals: SQL over NUMERIC, not satang arithmetic.
    let (n, budget, contract, disbursed, remaining): (i64, String, String, String, String) =
        sqlx::query_as(
            "SELECT count(*), sum(coalesce(elaas_budget, amount))::text,
                    sum(coalesce(contract_amount, 0))::text, sum(coalesce(disbursed, 0))::text,
                    sum(coalesce(remaining, amount))::text
             FROM approval_facts WHERE fiscal_year = 2564 AND published",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let truth = [
        n,
        satang_of(&budget),
        satang_of(&contract),
        satang_of(&disbursed),
        satang_of(&remaining),
    ];
    // Month by month: the newest e-LAAS figures by each month's end.
    let months: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT to_char(date '2020-10-01' + m * interval '1 month', 'YYYY-MM'),
                coalesce(sum(s.contract_amount), 0)::text, coalesce(sum(s.disbursed), 0)::text
         FROM generate_series(0, 11) m
         CROSS JOIN approval_facts f
         LEFT JOIN LATERAL (
             SELECT x.contract_amount, x.disbursed FROM budget_approvals ba
             JOIN elaas_snapshots x ON x.elaas_item_id = ba.elaas_item_id
             WHERE ba.id = f.id AND x.as_of < date '2020-11-01' + m * interval '1 month'
             ORDER BY x.as_of DESC LIMIT 1) s ON true
         WHERE f.fiscal_year = 2564 AND f.published
         GROUP BY m ORDER BY m",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let month_truth: HashMap<String, [i64; 5]> = months
        .into_iter()
        .map(|(m, c, d)| {
            let (c, d) = (satang_of(&c), satang_of(&d));
            (m, [n, truth[1], c, d, truth[1] - d])
        })
        .collect();
    assert!(
        month_truth.values().any(|t| t[3] > 0),
        "some money is disbursed"
    );

    let mut checked = 0;
    for mask in 0u32..(1 << DIMENSIONS.len()) {
        let dims: Vec<&str> = DIMENSIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, d)| *d)
            .collect();
        let (groups, totals) = disbursement_by(&db, &dims).await;
        assert_eq!(totals, truth, "totals of {dims:?}");
        let splits = dims.contains(&"FUNDING_SOURCE");
        let month_at = dims.iter().position(|d| *d == "MONTH");
        let mut sums: HashMap<String, [i64; 5]> = HashMap::new();
        for (key, figures) in &groups {
            let bucket = month_at.map(|i| key[i].clone()).unwrap_or_default();
            add(sums.entry(bucket).or_insert([0; 5]), figures);
        }
        let expected: HashMap<String, [i64; 5]> = match month_at {
            Some(_) => month_truth.clone(),
            None => HashMap::from([(String::new(), truth)]),
        };
        assert_eq!(sums.len(), expected.len(), "buckets of {dims:?}");
        for (bucket, want) in &expected {
            let got = sums[bucket];
            // Money always adds up; approvals only where none is split.
            assert_eq!(got[1..], want[1..], "money of {dims:?} {bucket}");
            if splits {
                assert!(got[0] >= want[0], "approvals of {dims:?} {bucket}");
            } else {
                assert_eq!(got[0], want[0], "approvals of {dims:?} {bucket}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 512);

    // The exports: the facts file's rows add up to the same totals, and each
    // row's funding sources to its amount; the tracking file's rows to the
    // national totals of monitoringReport.
    let analytics = tidtam::analytics::Analytics::new(db.pool.clone());
    let filter = tidtam::analytics::export::ExportFilter {
        fiscal_year: 2564,
        ..Default::default()
    };
    let rows = export_rows(
        &analytics,
        tidtam::analytics::export::Dataset::Facts,
        &filter,
    )
    .await;
    let mut sums = [rows.len() as i64, 0, 0, 0, 0];
    for row in &rows {
        for (i, c) in ["budget", "contract", "disbursed", "remaining"]
            .iter()
            .enumerate()
        {
            sums[i + 1] += satang_of(&row[*c]);
        }
        let sources: i64 = row
            .iter()
            .filter(|(k, _)| k.starts_with("src_"))
            .map(|(_, v)| satang_of(v))
            .sum();
        assert_eq!(
            sources,
            satang_of(&row["amount"]),
            "sources of {}",
            row["approval_id"]
        );
    }
    assert_eq!(sums, truth, "the facts export");
    let rows = export_rows(
        &analytics,
        tidtam::analytics::export::Dataset::Tracking,
        &filter,
    )
    .await;
    let report = db
        .graphql_ok(
            "{ monitoringReport(fiscalYear: 2564) { nationalTotals {
                 organisations budgetApproved reported contracted disbursed fullyDisbursed completed projectsAdded } } }",
            json!({}),
        )
        .await;
    let national = &report["monitoringReport"]["nationalTotals"];
    assert_eq!(
        rows.len() as i64,
        national["organisations"].as_i64().unwrap()
    );
    for (column, field) in [
        ("budget_approved", "budgetApproved"),
        ("reported", "reported"),
        ("contracted", "contracted"),
        ("disbursed", "disbursed"),
        ("fully_disbursed", "fullyDisbursed"),
        ("completed", "completed"),
        ("projects_added", "projectsAdded"),
    ] {
        let sum: i64 = rows.iter().map(|r| r[column].parse::<i64>().unwrap()).sum();
        assert_eq!(
            sum,
            national[field].as_i64().unwrap(),
            "tracking export {column}"
        );
    }
    assert_eq!(
        rows.iter()
            .map(|r| r["budget_approved"].parse::<i64>().unwrap())
            .sum::<i64>(),
        truth[0]
    );
}

/// The rows of an export as written to CSV (what a spreadsheet reads).
async fn export_rows(
    analytics: &tidtam::analytics::Analytics,
    dataset: tidtam::analytics::export::Dataset,
    filter: &tidtam::analytics::export::ExportFilter,
) -> Vec<HashMap<String, String>> {
    let mut df = tidtam::analytics::export::frame(analytics, dataset, filter)
        .await
        .unwrap();
    let mut bytes = Vec::new();
    tidtam::analytics::export::write(&mut df, tidtam::analytics::export::Format::Csv, &mut bytes)
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}
