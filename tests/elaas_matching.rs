//! Matching budget approvals to e-LAAS items: suggestions ranked by Thai name
//! and amount, confirming a link, and automatic links only where unambiguous.

mod common;

use common::TestDb;
use serde_json::json;

/// The demo with อบต. หาดยาย's four approvals not yet linked.
async fn unlinked_demo() -> TestDb {
    let db = TestDb::demo().await;
    sqlx::query(
        "UPDATE budget_approvals SET elaas_item_id = NULL, elaas_link_method = NULL
         WHERE elaas_item_id IN (SELECT id FROM elaas_items WHERE item_code LIKE '2564-SOC-%')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    db
}

const PROJECTS: &str = r#"
{ organisation(code: "7100001") {
    projects(fiscalYear: 2564) {
      id name version elaasLinkMethod elaasItem { code }
      suggestedElaasItems(first: 3) { item { id code name } score nameScore amountScore budget }
    } } }"#;

async fn projects(db: &TestDb) -> Vec<serde_json::Value> {
    db.graphql_ok(PROJECTS, json!({})).await["organisation"]["projects"]
        .as_array()
        .unwrap()
        .clone()
}

fn project<'a>(projects: &'a [serde_json::Value], name_part: &str) -> &'a serde_json::Value {
    projects
        .iter()
        .find(|p| p["name"].as_str().unwrap().contains(name_part))
        .unwrap_or_else(|| panic!("no project {name_part}"))
}

#[tokio::test]
async fn the_manuals_pair_is_suggested_first() {
    let db = unlinked_demo().await;
    let all = projects(&db).await;
    let aerobic = project(&all, "แอโรบิคแดนซ์");
    let suggestions = aerobic["suggestedElaasItems"].as_array().unwrap();
    assert_eq!(suggestions.len(), 3);
    let best = &suggestions[0];
    assert_eq!(best["item"]["code"], "2564-SOC-001");
    assert_eq!(
        best["item"]["name"],
        "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (เนอโรบิคแดนซ์)"
    );
    assert!(best["nameScore"].as_f64().unwrap() > 0.9, "{best}");
    assert_eq!(best["amountScore"], 1.0);
    assert_eq!(best["budget"], "20000.00");
    let second = suggestions[1]["score"].as_f64().unwrap();
    assert!(
        best["score"].as_f64().unwrap() - second > 0.3,
        "{suggestions:?}"
    );
    // Ranked best first.
    let scores: Vec<f64> = suggestions
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // The other three each find their own item first, even the rabies project
    // whose e-LAAS name is cut short and the epidemic one spaced differently.
    for (name, code) in [
        ("ไข้เลือดออก", "2564-SOC-002"),
        ("พิษสุนัขบ้า", "2564-SOC-003"),
        ("โรคระบาด", "2564-SOC-004"),
    ] {
        assert_eq!(
            project(&all, name)["suggestedElaasItems"][0]["item"]["code"],
            code,
            "{name}"
        );
    }
}

#[tokio::test]
async fn linked_items_are_not_suggested_to_others() {
    let db = TestDb::demo().await; // all four linked
    let all = projects(&db).await;
    let aerobic = project(&all, "แอโรบิคแดนซ์");
    let codes: Vec<&str> = aerobic["suggestedElaasItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["item"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["2564-SOC-001"],
        "only its own item is free for it"
    );
}

const AUTO: &str = r#"
mutation { autoLinkElaas(organisationCode: "7100001", fiscalYear: 2564) {
    linked { approval { name elaasLinkMethod elaasItem { code } } item { code } score }
    unlinkedLeft } }"#;

#[tokio::test]
async fn auto_link_links_only_the_unambiguous() {
    let db = unlinked_demo().await;
    // A second item with the dengue project's exact name and amount makes
    // that choice ambiguous.
    let csv = "รหัส อปท.,ปีงบประมาณ,รหัสรายการ,ชื่อรายการ,งบตามข้อบัญญัติ,งบตามสัญญา,เบิกจ่าย,คงเหลือ,ข้อมูล ณ วันที่\n\
               7100001,2564,2564-SOC-902,โครงการส่งเสริมและรณรงค์ป้องกันโรคไข้เลือดออก,\"30,000.00\",0,0,\"30,000.00\",31/03/2564\n";
    let scoped = tidtam::auth::system_db(&db.pool, "t");
    tidtam::elaas::import::import(&scoped, csv.as_bytes().to_vec(), None, &mut |_| {})
        .await
        .unwrap();
    let audit_before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();

    let data = db.graphql_ok(AUTO, json!({})).await;
    let result = &data["autoLinkElaas"];
    let mut linked: Vec<(String, String)> = result["linked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["approval"]["elaasLinkMethod"], "auto");
            assert_eq!(l["approval"]["elaasItem"]["code"], l["item"]["code"]);
            assert!(l["score"].as_f64().unwrap() > 0.9);
            (
                l["approval"]["name"].as_str().unwrap().to_string(),
                l["item"]["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    linked.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        linked,
        vec![
            (
                "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (แอโรบิคแดนซ์)".to_string(),
                "2564-SOC-001".to_string()
            ),
            (
                "โครงการป้องกันโรคระบาด โรคติดต่อ".to_string(),
                "2564-SOC-004".to_string()
            ),
        ]
    );
    // Dengue: two equal candidates; rabies: the e-LAAS name is cut short.
    assert_eq!(result["unlinkedLeft"], 2);
    let audit_after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(audit_after, audit_before + 2, "each link is audited");

    // Running it again finds nothing more to link.
    let again = db.graphql_ok(AUTO, json!({})).await;
    assert_eq!(again["autoLinkElaas"]["linked"], json!([]));
    assert_eq!(again["autoLinkElaas"]["unlinkedLeft"], 2);

    // The officer confirms the rabies project's suggestion by hand.
    let all = projects(&db).await;
    let rabies = project(&all, "พิษสุนัขบ้า");
    let suggestion = &rabies["suggestedElaasItems"][0]["item"];
    assert_eq!(suggestion["code"], "2564-SOC-003");
    let confirmed = db
        .graphql_ok(
            r#"mutation ($a: ID!, $v: Int!, $i: ID!) {
                 confirmElaasLink(approvalId: $a, version: $v, elaasItemId: $i) {
                   elaasLinkMethod version elaasItem { code } remaining } }"#,
            json!({"a": rabies["id"], "v": rabies["version"], "i": suggestion["id"]}),
        )
        .await;
    let c = &confirmed["confirmElaasLink"];
    assert_eq!(c["elaasLinkMethod"], "manual");
    assert_eq!(c["elaasItem"]["code"], "2564-SOC-003");
    assert_eq!(c["version"], rabies["version"].as_i64().unwrap() + 1);
    assert_eq!(c["remaining"], "40000.00");

    // An item already linked elsewhere cannot be confirmed for the dengue project.
    let dengue = project(&all, "ไข้เลือดออก");
    let aerobic_item: String =
        sqlx::query_scalar("SELECT id::text FROM elaas_items WHERE item_code = '2564-SOC-001'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let refused = db
        .graphql(
            r#"mutation ($a: ID!, $v: Int!, $i: ID!) {
                 confirmElaasLink(approvalId: $a, version: $v, elaasItemId: $i) { id } }"#,
            json!({"a": dengue["id"], "v": dengue["version"],
                   "i": tidtam::types::global_id::encode("ElaasItem", aerobic_item.parse::<i64>().unwrap())}),
        )
        .await;
    let ext = &refused["errors"][0]["extensions"];
    assert_eq!(ext["code"], "ALREADY_LINKED");
    assert_eq!(ext["field"], "elaasItemId");
    assert!(
        ext["approvalId"].is_string(),
        "names the approval holding it"
    );
    // A stale version is refused too.
    let stale = db
        .graphql(
            r#"mutation ($a: ID!, $v: Int!, $i: ID!) {
                 confirmElaasLink(approvalId: $a, version: $v, elaasItemId: $i) { id } }"#,
            json!({"a": rabies["id"], "v": rabies["version"], "i": suggestion["id"]}),
        )
        .await;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "VERSION_CONFLICT");
}

#[tokio::test]
async fn auto_link_names_an_unknown_organisation() {
    let db = TestDb::empty().await;
    let value = db
        .graphql(
            r#"mutation { autoLinkElaas(organisationCode: "1234567", fiscalYear: 2564) { unlinkedLeft } }"#,
            json!({}),
        )
        .await;
    let ext = &value["errors"][0]["extensions"];
    assert_eq!(ext["code"], "NOT_FOUND");
    assert_eq!(ext["field"], "organisationCode");
}
