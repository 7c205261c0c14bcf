//! One answer to one question (docs/access.md, "What is published"): the
//! aggregates, which load with the server's rights, count exactly what the
//! nested reads show as published, for the anonymous caller and every scoped
//! role; an unapproved amendment's projects are not public.

mod common;

use common::TestDb;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tidtam::auth::{Access, Account, Role};

fn caller(role: Role, organisation_id: Option<i64>, province: Option<&str>) -> Access {
    Access::of(
        Account {
            id: 0,
            username: format!("{role:?}"),
            display_name: format!("{role:?}"),
            role,
            organisation_id,
            province_code: province.map(str::to_string),
        },
        None,
    )
}

fn satang(v: &Value) -> i64 {
    match v.as_str() {
        None => 0,
        Some(text) => {
            let d: rust_decimal::Decimal = text.parse().unwrap();
            (d * rust_decimal::Decimal::from(100)).try_into().unwrap()
        }
    }
}

/// Per organisation: (approvals, contract, disbursed) in satang.
type Figures = BTreeMap<String, [i64; 3]>;

async fn run(db: &TestDb, access: Access, query: &str, variables: Value) -> Value {
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let value = db.graphql_with(&schema, access, query, variables).await;
    assert!(value.get("errors").is_none(), "{value:#}");
    value["data"].clone()
}

/// What the aggregates say for the province, per organisation.
async fn aggregates(db: &TestDb, access: Access, province: &str) -> Figures {
    let data = run(
        db,
        access,
        "query ($p: String!) { disbursement(fiscalYear: 2564, groupBy: [ORGANISATION],
                                            filter: {provinceCode: $p}) {
             groups { key { value } approvals contractAmount disbursed } } }",
        json!({"p": province}),
    )
    .await;
    data["disbursement"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let code = g["key"][0]["value"].as_str().unwrap().to_string();
            let figures = [
                g["approvals"].as_i64().unwrap(),
                satang(&g["contractAmount"]),
                satang(&g["disbursed"]),
            ];
            (code, figures)
        })
        .filter(|(_, f)| f[0] > 0)
        .collect()
}

/// What the caller's read of the province's approvals shows (page by page,
/// each with its organisation): (published figures per organisation, every
/// approval's organisation code and publication).
async fn nested(db: &TestDb, access: Access, province: &str) -> (Figures, Vec<(String, bool)>) {
    let mut figures = Figures::new();
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = run(
            db,
            access.clone(),
            "query ($p: String!, $after: String) {
                 budgetApprovals(filter: {fiscalYear: 2564, provinceCode: $p}, first: 100, after: $after) {
                     pageInfo { hasNextPage endCursor }
                     nodes { published contractAmount disbursed organisation { code } } } }",
            json!({"p": province, "after": after}),
        )
        .await;
        let page = &data["budgetApprovals"];
        for a in page["nodes"].as_array().unwrap() {
            let code = a["organisation"]["code"].as_str().unwrap().to_string();
            let published = a["published"].as_bool().unwrap();
            seen.push((code.clone(), published));
            if published {
                let f = figures.entry(code).or_default();
                f[0] += 1;
                f[1] += satang(&a["contractAmount"]);
                f[2] += satang(&a["disbursed"]);
            }
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    (figures, seen)
}

#[tokio::test]
async fn aggregates_count_what_the_nested_reads_publish_for_every_role() {
    let db = TestDb::random().await;
    let province = "81";
    let (officer_org, officer_code): (i64, String) = sqlx::query_as(
        "SELECT o.id, o.code FROM approval_facts f JOIN organisations o ON o.id = f.organisation_id
         WHERE f.fiscal_year = 2564 AND o.province_code = '81' AND NOT f.published
         GROUP BY o.id ORDER BY count(*) DESC, o.id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("an LAO of province 81 with unpublished approvals");
    let unpublished_in_province: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM approval_facts WHERE fiscal_year = 2564 AND province_code = '81' AND NOT published",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        unpublished_in_province > 0,
        "the data has unpublished approvals"
    );

    let roles = [
        ("anonymous", Access::anonymous(), None),
        (
            "officer",
            caller(Role::LaoOfficer, Some(officer_org), None),
            Some(officer_code.clone()),
        ),
        (
            "evaluator",
            caller(Role::ProvincialEvaluator, None, Some(province)),
            None,
        ),
        (
            "other evaluator",
            caller(Role::ProvincialEvaluator, None, Some("82")),
            None,
        ),
        ("analyst", caller(Role::CentralAnalyst, None, None), None),
    ];
    let truth = aggregates(&db, Access::anonymous(), province).await;
    assert!(!truth.is_empty());
    for (name, access, own) in roles {
        // The aggregates are the same public statistics for every caller …
        assert_eq!(
            aggregates(&db, access.clone(), province).await,
            truth,
            "{name}"
        );
        // … and equal what the caller's nested read shows as published.
        let (published, seen) = nested(&db, access, province).await;
        assert_eq!(published, truth, "{name}: nested published vs aggregates");
        let unpublished: Vec<&String> = seen.iter().filter(|(_, p)| !p).map(|(c, _)| c).collect();
        match (name, &own) {
            ("officer", Some(code)) => {
                assert!(
                    !unpublished.is_empty(),
                    "the officer sees its own unpublished approvals"
                );
                assert!(
                    unpublished.iter().all(|c| *c == code),
                    "{name}: {unpublished:?}"
                );
            }
            ("evaluator" | "analyst", _) => {
                assert_eq!(unpublished.len() as i64, unpublished_in_province, "{name}")
            }
            _ => assert!(
                unpublished.is_empty(),
                "{name} sees unpublished approvals: {unpublished:?}"
            ),
        }
    }
}

#[tokio::test]
async fn an_unapproved_amendments_projects_are_not_public() {
    let db = TestDb::random().await;
    let (code, approved, unapproved): (String, i64, i64) = sqlx::query_as(
        "SELECT o.code, count(*) FILTER (WHERE am.approved_on IS NOT NULL),
                count(*) FILTER (WHERE am.approved_on IS NULL)
         FROM plan_projects pp JOIN plan_amendments am ON am.id = pp.amendment_id
         JOIN development_plans dp ON dp.id = pp.plan_id AND dp.approved_on IS NOT NULL
         JOIN organisations o ON o.id = dp.organisation_id
         GROUP BY o.code HAVING count(*) FILTER (WHERE am.approved_on IS NULL) > 0
         ORDER BY o.code LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("an approved plan with an unapproved amendment");
    let query = "query ($c: String!) { planProjects(filter: {organisationCode: $c, addedByAmendment: true}, first: 100) {
                     nodes { id amendment { number approvedOn note } } } }";
    let analyst = run(
        &db,
        caller(Role::CentralAnalyst, None, None),
        query,
        json!({"c": code}),
    )
    .await;
    let all = analyst["planProjects"]["nodes"].as_array().unwrap().clone();
    assert_eq!(
        all.len() as i64,
        approved + unapproved,
        "the analyst reads every project"
    );
    let public = run(&db, Access::anonymous(), query, json!({"c": code})).await;
    let public = public["planProjects"]["nodes"].as_array().unwrap().clone();
    assert_eq!(
        public.len() as i64,
        approved,
        "anonymous reads the approved amendments' projects only"
    );
    assert!(public
        .iter()
        .all(|p| !p["amendment"]["approvedOn"].is_null()));
    // node(id) of an unapproved amendment's project answers nothing.
    let hidden = all
        .iter()
        .find(|p| p["amendment"]["approvedOn"].is_null())
        .unwrap();
    let node = run(
        &db,
        Access::anonymous(),
        "query ($id: ID!) { node(id: $id) { id } }",
        json!({"id": hidden["id"]}),
    )
    .await;
    assert!(node["node"].is_null(), "{node}");
    // The tracking report's projectsAdded counts approved amendments only.
    let added: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM plan_projects pp JOIN plan_amendments am ON am.id = pp.amendment_id
         JOIN development_plans dp ON dp.id = pp.plan_id JOIN organisations o ON o.id = dp.organisation_id
         WHERE o.code = $1 AND am.approved_on IS NOT NULL",
    )
    .bind(&code)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let province: String =
        sqlx::query_scalar("SELECT province_code FROM organisations WHERE code = $1")
            .bind(&code)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let report = run(
        &db,
        Access::anonymous(),
        "query ($p: String!) { monitoringReport(fiscalYear: 2564, provinceCode: $p) {
             rows { organisationCode projectsAdded } } }",
        json!({"p": province}),
    )
    .await;
    let row = report["monitoringReport"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["organisationCode"] == code.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["projectsAdded"].as_i64().unwrap(), added, "{row}");
}
