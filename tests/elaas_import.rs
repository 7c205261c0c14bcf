//! Importing e-LAAS snapshot files: encodings, Thai and English headers,
//! .xlsx, all or nothing, idempotence, superseding and history, and the
//! GraphQL upload and command line end to end.

mod common;

use async_graphql::{Request, UploadValue, Variables};
use common::TestDb;
use serde_json::json;
use tidtam::elaas::import::{self, Format, ImportError, ImportSummary, RowError};

const THAI: &str = "tests/fixtures/elaas/snapshot-2564-04-thai.csv";
const ENGLISH_BOM: &str = "tests/fixtures/elaas/snapshot-2564-04-english-bom.csv";
const CORRECTED: &str = "tests/fixtures/elaas/snapshot-2564-04-corrected.csv";
const BAD: &str = "tests/fixtures/elaas/snapshot-bad-rows.csv";

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn run(db: &TestDb, bytes: Vec<u8>) -> Result<ImportSummary, ImportError> {
    let scoped = tidtam::auth::system_db(&db.pool, "test-importer");
    import::import(&scoped, bytes, Some("test.csv"), &mut |_| {}).await
}

/// (items, snapshots, imports, audit rows)
async fn counts(db: &TestDb) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM elaas_items), (SELECT count(*) FROM elaas_snapshots),
                (SELECT count(*) FROM elaas_imports), (SELECT count(*) FROM audit_log)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

const FIGURES: &str = r#"
query ($code: String!) {
  organisation(code: $code) {
    elaasAsOf(fiscalYear: 2564)
    elaasAsOfBE(fiscalYear: 2564)
    reportList(fiscalYear: 2564) { elaasAsOfBE totals { contractAmount disbursed remaining } }
    elaasBalance(fiscalYear: 2564, asOf: "30/04/2564") {
      item { code name figures { asOfBE budget contractAmount contractSignedOnBE disbursed remaining } }
    }
  }
}"#;

async fn figures(db: &TestDb) -> serde_json::Value {
    db.graphql_ok(FIGURES, json!({"code": "7100001"}))
        .await
        .get("organisation")
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn thai_headers_in_utf8_import_with_history_and_one_audit_row() {
    let db = TestDb::demo().await;
    let before = counts(&db).await;
    let summary = run(&db, fixture(THAI)).await.unwrap();
    assert_eq!(summary.format, Format::CsvUtf8);
    assert_eq!(summary.rows, 5);
    assert_eq!(summary.items_created, 1, "2564-SOC-005 is new");
    assert_eq!(summary.items_renamed, 0);
    assert_eq!(summary.snapshots_inserted, 5, "a new date for every item");
    assert_eq!(summary.snapshots_updated, 0);
    assert_eq!(summary.as_of_dates.len(), 1);
    assert_eq!(
        tidtam::types::format_be(summary.as_of_dates[0]),
        "30/04/2564"
    );
    let id = summary
        .import_id
        .expect("an import that changed something is recorded");

    let after = counts(&db).await;
    assert_eq!(after.0, before.0 + 1);
    assert_eq!(after.1, before.1 + 5);
    assert_eq!(after.2, before.2 + 1);
    assert_eq!(after.3, before.3 + 1, "one audit row for the whole import");
    let (table, actor, rows): (String, String, i32) = sqlx::query_as(
        "SELECT a.table_name, a.actor, (a.after ->> 'rows')::int FROM audit_log a ORDER BY a.id DESC LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (table.as_str(), actor.as_str(), rows),
        ("elaas_imports", "test-importer", 5)
    );
    let (hash, recorded_actor, dates): (String, String, Vec<chrono::NaiveDate>) =
        sqlx::query_as("SELECT file_hash, actor, as_of_dates FROM elaas_imports WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(hash, summary.file_hash);
    assert_eq!(hash.len(), 64);
    assert_eq!(recorded_actor, "test-importer");
    assert_eq!(dates, summary.as_of_dates);

    let org = figures(&db).await;
    assert_eq!(org["elaasAsOf"], "2021-04-30");
    assert_eq!(org["elaasAsOfBE"], "30/04/2564");
    // The project report list shows the new date and the new figures.
    assert_eq!(org["reportList"]["elaasAsOfBE"], "30/04/2564");
    assert_eq!(org["reportList"]["totals"]["contractAmount"], "18500.00");
    assert_eq!(org["reportList"]["totals"]["disbursed"], "9250.00");
    assert_eq!(org["reportList"]["totals"]["remaining"], "120750.00");
    // History: the aerobic item has both months, oldest first.
    let balance = org["elaasBalance"].as_array().unwrap();
    assert_eq!(balance.len(), 5);
    let aerobic = &balance[0]["item"];
    assert_eq!(aerobic["code"], "2564-SOC-001");
    assert_eq!(
        aerobic["figures"],
        json!([
            {"asOfBE": "31/03/2564", "budget": "20000.00", "contractAmount": "0.00",
             "contractSignedOnBE": null, "disbursed": "0.00", "remaining": "20000.00"},
            {"asOfBE": "30/04/2564", "budget": "20000.00", "contractAmount": "18500.00",
             "contractSignedOnBE": "15/04/2564", "disbursed": "9250.00", "remaining": "10750.00"}
        ])
    );
    let new_item = &balance[4]["item"];
    assert_eq!(new_item["code"], "2564-SOC-005");
    assert_eq!(new_item["name"], "โครงการจัดซื้อเครื่องพ่นหมอกควัน");
    assert_eq!(new_item["figures"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_file_twice_changes_nothing() {
    let db = TestDb::demo().await;
    run(&db, fixture(THAI)).await.unwrap();
    let before = counts(&db).await;
    let again = run(&db, fixture(THAI)).await.unwrap();
    assert!(again.unchanged());
    assert_eq!(again.import_id, None);
    assert_eq!(
        (
            again.rows,
            again.items_created,
            again.snapshots_inserted,
            again.snapshots_updated
        ),
        (5, 0, 0, 0)
    );
    assert_eq!(again.snapshots_unchanged, 5);
    assert_eq!(counts(&db).await, before, "no new rows, no audit rows");
    // The same figures with English headers, a BOM and CRLF line ends are the same data.
    let english = run(&db, fixture(ENGLISH_BOM)).await.unwrap();
    assert_eq!(english.format, Format::CsvUtf8);
    assert!(english.unchanged());
    assert_eq!(counts(&db).await, before);
}

#[tokio::test]
async fn english_headers_with_a_bom() {
    let db = TestDb::demo().await;
    let summary = run(&db, fixture(ENGLISH_BOM)).await.unwrap();
    assert_eq!(
        (
            summary.rows,
            summary.items_created,
            summary.snapshots_inserted
        ),
        (5, 1, 5)
    );
    let org = figures(&db).await;
    assert_eq!(
        org["elaasBalance"][0]["item"]["figures"][1]["disbursed"],
        "9250.00"
    );
    assert_eq!(
        org["elaasBalance"][0]["item"]["name"],
        "โครงการส่งเสริมการออกกำลังกายประกอบดนตรีเพื่อสุขภาพ (เนอโรบิคแดนซ์)"
    );
}

#[tokio::test]
async fn a_newer_file_for_the_same_date_supersedes_and_history_stays() {
    let db = TestDb::demo().await;
    run(&db, fixture(THAI)).await.unwrap();
    let before = counts(&db).await;
    let corrected = run(&db, fixture(CORRECTED)).await.unwrap();
    assert_eq!(corrected.snapshots_updated, 1);
    assert_eq!(corrected.snapshots_inserted, 0);
    assert_eq!(corrected.snapshots_unchanged, 4);
    assert_eq!(corrected.items_created, 0);
    let after = counts(&db).await;
    assert_eq!(after.1, before.1, "superseded in place, no new snapshot");
    assert_eq!(after.2, before.2 + 1);
    assert_eq!(after.3, before.3 + 1);
    let org = figures(&db).await;
    let history = &org["elaasBalance"][0]["item"]["figures"];
    assert_eq!(
        history.as_array().unwrap().len(),
        2,
        "31/03 stays beside 30/04"
    );
    assert_eq!(history[0]["asOfBE"], "31/03/2564");
    assert_eq!(history[0]["disbursed"], "0.00");
    assert_eq!(history[1]["disbursed"], "12000.00");
    assert_eq!(history[1]["remaining"], "8000.00");
    let import_id: Option<i64> = sqlx::query_scalar(
        "SELECT s.import_id FROM elaas_snapshots s JOIN elaas_items i ON i.id = s.elaas_item_id
         WHERE i.item_code = '2564-SOC-001' AND s.as_of = '2021-04-30'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(import_id, corrected.import_id);
}

#[tokio::test]
async fn windows_874_is_read() {
    let db = TestDb::demo().await;
    let text = String::from_utf8(fixture(THAI)).unwrap();
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_874.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let summary = run(&db, bytes.into_owned()).await.unwrap();
    assert_eq!(summary.format, Format::CsvWindows874);
    assert_eq!(
        (
            summary.rows,
            summary.items_created,
            summary.snapshots_inserted
        ),
        (5, 1, 5)
    );
    let name: String =
        sqlx::query_scalar("SELECT name_th FROM elaas_items WHERE item_code = '2564-SOC-005'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(name, "โครงการจัดซื้อเครื่องพ่นหมอกควัน");
    // The UTF-8 file with the same figures is then a no-op.
    assert!(run(&db, fixture(THAI)).await.unwrap().unchanged());
}

/// A small workbook as LAOs export it: numbers as numbers, the as-of date a
/// real date cell, the contract date typed as BE text, an extra column.
fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "ลำดับ",
        "รหัส อปท.",
        "ปีงบประมาณ",
        "รหัสรายการ",
        "ชื่อโครงการ",
        "งบตามเทศบัญญัติ",
        "งบตามสัญญา",
        "วันที่ลงนามสัญญา",
        "เบิกจ่าย",
        "คงเหลือ",
        "ข้อมูล ณ วันที่",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = XFormat::new().set_num_format("dd/mm/yyyy");
    let money = XFormat::new().set_num_format("#,##0.00");
    let rows: [(&str, &str, f64, f64, &str, f64, f64); 2] = [
        (
            "2564-SOC-006",
            "โครงการฝึกอบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน (อปพร.)",
            45000.0,
            44_800.5,
            "01/05/2564",
            20000.25,
            24999.75,
        ),
        (
            "2564-SOC-007",
            "โครงการจัดงานวันผู้สูงอายุ",
            15000.0,
            0.0,
            "",
            0.0,
            15000.0,
        ),
    ];
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, f64::from(row)).unwrap();
        sheet.write_number(row, 1, 7100001.0).unwrap();
        sheet.write_number(row, 2, 2564.0).unwrap();
        sheet.write_string(row, 3, r.0).unwrap();
        sheet.write_string(row, 4, r.1).unwrap();
        sheet.write_number_with_format(row, 5, r.2, &money).unwrap();
        sheet.write_number_with_format(row, 6, r.3, &money).unwrap();
        if !r.4.is_empty() {
            sheet.write_string(row, 7, r.4).unwrap();
        }
        sheet.write_number_with_format(row, 8, r.5, &money).unwrap();
        sheet.write_number_with_format(row, 9, r.6, &money).unwrap();
        let as_of = ExcelDateTime::from_ymd(2021, 5, 31).unwrap();
        sheet
            .write_datetime_with_format(row, 10, &as_of, &date)
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn xlsx_is_read() {
    let db = TestDb::demo().await;
    let summary = run(&db, workbook()).await.unwrap();
    assert_eq!(summary.format, Format::Xlsx);
    assert_eq!(
        (
            summary.rows,
            summary.items_created,
            summary.snapshots_inserted
        ),
        (2, 2, 2)
    );
    assert_eq!(
        tidtam::types::format_be(summary.as_of_dates[0]),
        "31/05/2564"
    );
    let data = db
        .graphql_ok(
            r#"{ organisation(code: "7100001") {
                elaasAsOfBE(fiscalYear: 2564)
                elaasBalance(fiscalYear: 2564, asOf: "31/05/2564") {
                  item { code name } figures { budget contractAmount contractSignedOnBE disbursed remaining asOfBE }
                } } }"#,
            json!({}),
        )
        .await;
    let org = &data["organisation"];
    assert_eq!(org["elaasAsOfBE"], "31/05/2564");
    let rows = org["elaasBalance"].as_array().unwrap();
    let training = rows
        .iter()
        .find(|r| r["item"]["code"] == "2564-SOC-006")
        .unwrap();
    assert_eq!(
        training["item"]["name"],
        "โครงการฝึกอบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน (อปพร.)"
    );
    assert_eq!(
        training["figures"],
        json!({"budget": "45000.00", "contractAmount": "44800.50", "contractSignedOnBE": "01/05/2564",
               "disbursed": "20000.25", "remaining": "24999.75", "asOfBE": "31/05/2564"})
    );
    let elderly = rows
        .iter()
        .find(|r| r["item"]["code"] == "2564-SOC-007")
        .unwrap();
    assert_eq!(
        elderly["figures"]["contractSignedOnBE"],
        serde_json::Value::Null
    );
    assert!(run(&db, workbook()).await.unwrap().unchanged());
}

fn lines_and_fields(errors: &[RowError]) -> Vec<(u64, &str, &str)> {
    errors
        .iter()
        .map(|e| (e.line, e.field.as_str(), e.code))
        .collect()
}

#[tokio::test]
async fn bad_rows_in_the_middle_reject_the_whole_file_and_each_is_listed() {
    let db = TestDb::demo().await;
    let before = counts(&db).await;
    let Err(ImportError::Rejected(errors)) = run(&db, fixture(BAD)).await else {
        panic!("must be rejected")
    };
    assert_eq!(
        lines_and_fields(&errors),
        vec![
            (3, "budget", "INVALID_MONEY"),
            (3, "as_of", "INVALID_DATE"),
            (4, "lao_code", "UNKNOWN_ORGANISATION"),
            (6, "fiscal_year", "INVALID_INPUT"),
            (6, "name", "REQUIRED"),
            (6, "disbursed", "INVALID_MONEY"),
        ]
    );
    assert!(errors
        .iter()
        .all(|e| !e.message_th.is_empty() && !e.message_en.is_empty()));
    assert!(
        errors[3].message_th.contains("พ.ศ. 2564"),
        "{}",
        errors[3].message_th
    );
    assert_eq!(
        counts(&db).await,
        before,
        "nothing written, not even an audit row"
    );
}

#[tokio::test]
async fn unreadable_and_headerless_files_are_rejected() {
    let db = TestDb::empty().await;
    let Err(ImportError::Rejected(errors)) = run(&db, b"\xD0\xCF\x11\xE0old xls".to_vec()).await
    else {
        panic!("must be rejected")
    };
    assert_eq!(
        lines_and_fields(&errors),
        vec![(0, "file", "UNREADABLE_FILE")]
    );
    let Err(ImportError::Rejected(errors)) =
        run(&db, "รหัส อปท.,ปีงบประมาณ,ชื่อรายการ\n".as_bytes().to_vec()).await
    else {
        panic!("must be rejected")
    };
    let missing: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        missing,
        vec![
            "item_code",
            "budget",
            "contract_amount",
            "disbursed",
            "remaining",
            "as_of"
        ]
    );
    assert!(errors
        .iter()
        .all(|e| e.code == "MISSING_COLUMN" && e.line == 1));
}

const IMPORT: &str = r#"
mutation ($file: Upload!) {
  importElaasSnapshot(file: $file) {
    importId unchanged format rows itemsCreated itemsRenamed snapshotsInserted snapshotsUpdated snapshotsUnchanged
    asOf asOfBE fileHash
  }
}"#;

async fn upload(db: &TestDb, name: &str, bytes: Vec<u8>) -> serde_json::Value {
    let schema = tidtam::graphql::build_schema(Some(db.pool.clone()));
    let mut request = Request::new(IMPORT).variables(Variables::from_json(json!({"file": null})));
    request.set_upload(
        "variables.file",
        UploadValue {
            filename: name.into(),
            content_type: Some("text/csv".into()),
            content: bytes.into(),
        },
    );
    let response = schema
        .execute(tidtam::graphql::prepare(
            request,
            &db.pool,
            tidtam::auth::Access::system("uploader"),
        ))
        .await;
    serde_json::to_value(&response).unwrap()
}

#[tokio::test]
async fn the_upload_mutation_imports_end_to_end() {
    let db = TestDb::demo().await;
    let first = upload(&db, "elaas-2564-04.csv", fixture(THAI)).await;
    assert!(first.get("errors").is_none(), "{first:#}");
    let r = &first["data"]["importElaasSnapshot"];
    assert!(r["importId"].is_i64());
    assert_eq!(r["unchanged"], false);
    assert_eq!(r["format"], "CSV_UTF8");
    assert_eq!(
        (
            r["rows"].as_i64(),
            r["itemsCreated"].as_i64(),
            r["snapshotsInserted"].as_i64()
        ),
        (Some(5), Some(1), Some(5))
    );
    assert_eq!(r["asOf"], json!(["2021-04-30"]));
    assert_eq!(r["asOfBE"], json!(["30/04/2564"]));
    let (file_name, actor): (String, String) =
        sqlx::query_as("SELECT file_name, actor FROM elaas_imports ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        (file_name.as_str(), actor.as_str()),
        ("elaas-2564-04.csv", "uploader")
    );

    let again = upload(&db, "elaas-2564-04.csv", fixture(THAI)).await;
    assert_eq!(again["data"]["importElaasSnapshot"]["unchanged"], true);
    assert_eq!(
        again["data"]["importElaasSnapshot"]["importId"],
        serde_json::Value::Null
    );

    let before = counts(&db).await;
    let rejected = upload(&db, "bad.csv", fixture(BAD)).await;
    assert_eq!(rejected["data"], serde_json::Value::Null);
    let error = &rejected["errors"][0];
    assert_eq!(error["extensions"]["code"], "IMPORT_REJECTED");
    let listed = error["extensions"]["errors"].as_array().unwrap();
    assert_eq!(listed.len(), 6);
    assert_eq!(
        listed[2],
        json!({"line": 4, "field": "lao_code", "code": "UNKNOWN_ORGANISATION",
               "messageTh": "ไม่พบ อปท. รหัส 9999999",
               "messageEn": "no organisation has the code 9999999"})
    );
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("nothing was imported"));
    assert_eq!(counts(&db).await, before);
}

#[tokio::test]
async fn the_command_imports_and_lists_every_bad_row() {
    let db = TestDb::demo().await;
    let exe = env!("CARGO_BIN_EXE_tidtam");
    let good = std::process::Command::new(exe)
        .args([
            "import",
            "elaas",
            THAI,
            "--database-url",
            &db.url,
            "--actor",
            "cli-test",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert!(
        good.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(stdout.contains("5 rows as of 30/04/2564"), "{stdout}");
    assert!(stdout.contains("1 items created"), "{stdout}");

    let bad = std::process::Command::new(exe)
        .args(["import", "elaas", BAD, "--database-url", &db.url])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    for expected in [
        "line 3, budget",
        "line 3, as_of",
        "line 4, lao_code",
        "line 6, fiscal_year",
        "line 6, name",
        "line 6, disbursed",
        "nothing was imported",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected} missing from {stderr}"
        );
    }
    let imports: i64 = sqlx::query_scalar("SELECT count(*) FROM elaas_imports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(imports, 1);
}

#[tokio::test]
async fn the_upload_works_over_http_multipart() {
    let db = TestDb::demo().await;
    let base = db.serve().await;

    let token = db.token("officer.hadyai").await;
    let answer: serde_json::Value = common::upload(&base, IMPORT, &fixture(THAI), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let r = &answer["data"]["importElaasSnapshot"];
    assert_eq!(r["snapshotsInserted"], 5);
    assert_eq!(r["asOfBE"], json!(["30/04/2564"]));
    let actor: String = sqlx::query_scalar("SELECT actor FROM elaas_imports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(actor, "officer.hadyai");
}

/// A file whose every item is new takes the fast route (ids given in
/// staging, no join, no conflict checks); the result is the same rows a
/// general merge writes, and a second import of it changes nothing.
#[tokio::test]
async fn a_file_of_new_items_only_lands_whole_and_repeats_as_a_no_op() {
    let db = TestDb::demo().await;
    let csv = "รหัส อปท.,ปีงบประมาณ,รหัสรายการ,ชื่อรายการ,งบตามข้อบัญญัติ/เทศบัญญัติ,งบตามสัญญา,วันที่ลงนามสัญญา,เบิกจ่าย,คงเหลือ,ข้อมูล ณ วันที่\n\
               7100001,2565,N-1,โครงการใหม่ ก,1000.00,900.00,15/11/2564,300.00,700.00,31/03/2565\n\
               7100001,2565,N-2,โครงการใหม่ ข,2000.50,0,,0,2000.50,31/03/2565\n";
    let first = run(&db, csv.as_bytes().to_vec()).await.unwrap();
    assert_eq!((first.items_created, first.snapshots_inserted), (2, 2));
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT i.item_code, i.name_th, s.budget::text, s.disbursed::text
         FROM elaas_items i JOIN elaas_snapshots s ON s.elaas_item_id = i.id
         JOIN organisations o ON o.id = i.organisation_id
         WHERE o.code = '7100001' AND i.fiscal_year = 2565 ORDER BY i.item_code",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "N-1".into(),
                "โครงการใหม่ ก".into(),
                "1000.00".into(),
                "300.00".into()
            ),
            (
                "N-2".into(),
                "โครงการใหม่ ข".into(),
                "2000.50".into(),
                "0.00".into()
            ),
        ]
    );
    // The identity moved past the ids the import gave: the next item follows.
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
         SELECT organisation_id, 2565, 'N-3', 'ค' FROM elaas_items WHERE item_code = 'N-2' RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let max: i64 = sqlx::query_scalar("SELECT max(id) FROM elaas_items WHERE item_code <> 'N-3'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(next > max);
    let again = run(&db, csv.as_bytes().to_vec()).await.unwrap();
    assert!(again.unchanged(), "{again}");
}

/// The set-based checks that replace the e-LAAS foreign keys refuse what
/// the keys refused and cascade as they did.
#[tokio::test]
async fn figures_need_their_item_and_items_their_organisation() {
    let db = TestDb::demo().await;
    let orphan = sqlx::query(
        "INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining)
         VALUES (987654321, '2021-03-31', 1, 0, 0, 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap_err();
    let code = orphan
        .as_database_error()
        .and_then(|e| e.code().map(|c| c.to_string()));
    assert_eq!(code.as_deref(), Some("23503"), "{orphan}");
    let no_lao = sqlx::query(
        "INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th) VALUES (987654321, 2564, 'X', 'x')",
    )
    .execute(&db.pool)
    .await
    .unwrap_err();
    let code = no_lao
        .as_database_error()
        .and_then(|e| e.code().map(|c| c.to_string()));
    assert_eq!(code.as_deref(), Some("23503"), "{no_lao}");
    // An organisation with items stays; deleting an item deletes its figures.
    let kept = sqlx::query(
        "DELETE FROM organisations WHERE id = (SELECT organisation_id FROM elaas_items LIMIT 1)",
    )
    .execute(&db.pool)
    .await;
    assert!(kept.is_err());
    let (item, figures): (i64, i64) = sqlx::query_as(
        "SELECT elaas_item_id, count(*) FROM elaas_snapshots GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(figures > 0);
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("UPDATE budget_approvals SET elaas_item_id = NULL, elaas_link_method = NULL WHERE elaas_item_id = $1")
        .bind(item)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("DELETE FROM elaas_items WHERE id = $1")
        .bind(item)
        .execute(&mut *tx)
        .await
        .unwrap();
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM elaas_snapshots WHERE elaas_item_id = $1")
            .bind(item)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

/// Truncating the items empties the figures too, whether or not the same
/// statement names them.
#[tokio::test]
async fn truncating_items_empties_their_figures() {
    for statement in [
        "TRUNCATE elaas_items CASCADE",
        "TRUNCATE elaas_snapshots, elaas_items CASCADE",
    ] {
        let db = TestDb::demo().await;
        sqlx::query(statement).execute(&db.pool).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM elaas_snapshots")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(left, 0, "{statement}");
    }
}

const HEADER: &str = "รหัส อปท.,ปีงบประมาณ,รหัสรายการ,ชื่อรายการ,งบตามข้อบัญญัติ/เทศบัญญัติ,งบตามสัญญา,วันที่ลงนามสัญญา,เบิกจ่าย,คงเหลือ,ข้อมูล ณ วันที่\n";

async fn item_name(db: &TestDb, code: &str) -> String {
    sqlx::query_scalar(
        "SELECT name_th FROM elaas_items WHERE fiscal_year = 2566 AND item_code = $1",
    )
    .bind(code)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// A new item seen at two dates in one file is created once, with the name
/// of its newest row; a later file renames it; an older file re-imported to
/// fill in history does not bring the old name back.
#[tokio::test]
async fn items_take_the_newest_name_and_history_does_not_rename_them() {
    let db = TestDb::demo().await;
    let two_dates = format!(
        "{HEADER}7100001,2566,R-1,ชื่อเดิม,500,0,,0,500,31/10/2565\n\
         7100001,2566,R-1,ชื่อใหม่,500,0,,0,500,30/11/2565\n"
    );
    let first = run(&db, two_dates.into_bytes()).await.unwrap();
    assert_eq!((first.items_created, first.snapshots_inserted), (1, 2));
    assert_eq!(item_name(&db, "R-1").await, "ชื่อใหม่");

    let later = format!("{HEADER}7100001,2566,R-1,ชื่อล่าสุด,500,100,01/12/2565,0,500,31/12/2565\n");
    let renamed = run(&db, later.into_bytes()).await.unwrap();
    assert_eq!((renamed.items_created, renamed.items_renamed), (0, 1));
    assert_eq!(renamed.snapshots_inserted, 1);
    assert_eq!(item_name(&db, "R-1").await, "ชื่อล่าสุด");

    // October's figures corrected, under the old name: the figures change,
    // the name stays, since December's figures are newer.
    let older = format!("{HEADER}7100001,2566,R-1,ชื่อเดิม,500,0,,10,490,31/10/2565\n");
    let corrected = run(&db, older.into_bytes()).await.unwrap();
    assert_eq!(
        (
            corrected.items_renamed,
            corrected.snapshots_inserted,
            corrected.snapshots_updated
        ),
        (0, 0, 1)
    );
    assert_eq!(item_name(&db, "R-1").await, "ชื่อล่าสุด");
    let october: String = sqlx::query_scalar(
        "SELECT s.disbursed::text FROM elaas_snapshots s JOIN elaas_items i ON i.id = s.elaas_item_id
         WHERE i.item_code = 'R-1' AND s.as_of = '2022-10-31'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(october, "10.00");
}

/// The workbook of issue 19: its header, and one value at XFD1048576 (or
/// wherever `far` says). The old reader sized a grid up to that cell and
/// the allocation aborted the process.
fn hostile_workbook(far: (u32, u16)) -> Vec<u8> {
    use rust_xlsxwriter::Workbook;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("e-LAAS").unwrap();
    for (c, h) in [
        "รหัส อปท.",
        "ปีงบประมาณ",
        "รหัสรายการ",
        "ชื่อรายการ",
        "งบตามข้อบัญญัติ/เทศบัญญัติ",
        "งบตามสัญญา",
        "เบิกจ่าย",
        "คงเหลือ",
        "ข้อมูล ณ วันที่",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(far.0, far.1, "x").unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_cell_at_xfd1048576_is_refused_naming_the_sheet_and_cell() {
    let db = TestDb::empty().await;
    let bytes = hostile_workbook((1_048_575, 16_383));
    assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
    let Err(ImportError::Rejected(errors)) = run(&db, bytes.clone()).await else {
        panic!("must be rejected")
    };
    assert_eq!(
        lines_and_fields(&errors),
        vec![(1_048_576, "file", "SHEET_TOO_LARGE")]
    );
    assert!(
        errors[0].message_en.contains("\"e-LAAS\"") && errors[0].message_en.contains("XFD1048576"),
        "{}",
        errors[0].message_en
    );
    assert!(errors[0].message_th.contains("XFD1048576"));
    // Through the GraphQL upload too.
    let answer = upload(&db, "hostile.xlsx", bytes).await;
    let error = &answer["errors"][0];
    assert_eq!(error["extensions"]["code"], "IMPORT_REJECTED");
    assert_eq!(error["extensions"]["errors"][0]["code"], "SHEET_TOO_LARGE");
}

/// A value far down (Z1000000) is within Excel's grid: it is read as the
/// one bad row it is, without a grid of a million rows in memory.
#[tokio::test]
async fn a_far_cell_within_the_grid_is_a_bad_row_not_a_huge_grid() {
    let db = TestDb::empty().await;
    let Err(ImportError::Rejected(errors)) = run(&db, hostile_workbook((999_999, 25))).await else {
        panic!("must be rejected")
    };
    assert!(errors.iter().all(|e| e.line == 1_000_000), "{errors:?}");
    assert!(errors
        .iter()
        .any(|e| e.field == "lao_code" && e.code == "REQUIRED"));
}

/// The command line refuses the same workbook, and the process survives.
#[tokio::test]
async fn the_command_refuses_the_hostile_workbook() {
    let db = TestDb::empty().await;
    let path = std::env::temp_dir().join(format!("tidtam-hostile-{}.xlsx", std::process::id()));
    std::fs::write(&path, hostile_workbook((1_048_575, 16_383))).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tidtam"))
        .args(["import", "elaas"])
        .arg(&path)
        .args(["--database-url", &db.url])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("SHEET_TOO_LARGE") && stderr.contains("XFD1048576"),
        "{stderr}"
    );
}

/// Issue 20 §5: a file with its header and no data rows is refused as an
/// empty file is, through the import and the GraphQL upload alike.
#[tokio::test]
async fn a_header_without_rows_is_an_empty_file() {
    let db = TestDb::empty().await;
    let header = "รหัส อปท.,ปีงบประมาณ,รหัสรายการ,ชื่อรายการ,งบตามข้อบัญญัติ/เทศบัญญัติ,งบตามสัญญา,วันที่ลงนามสัญญา,เบิกจ่าย,คงเหลือ,ข้อมูล ณ วันที่\n\n";
    let Err(ImportError::Rejected(errors)) = run(&db, header.as_bytes().to_vec()).await else {
        panic!("must be rejected")
    };
    assert_eq!(lines_and_fields(&errors), vec![(0, "file", "EMPTY_FILE")]);
    let answer = upload(&db, "header-only.csv", header.as_bytes().to_vec()).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "IMPORT_REJECTED");
    assert_eq!(
        answer["errors"][0]["extensions"]["errors"][0]["code"],
        "EMPTY_FILE"
    );
}
