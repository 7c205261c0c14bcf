//! Exports for BI tools: Parquet and CSV written by polars, read back with
//! the same totals as the GraphQL aggregates; the whole country only for an
//! analyst.

mod common;

use common::TestDb;
use polars::prelude::*;
use polars_io::parquet::read::ParquetReader;
use polars_io::SerReader;
use rust_decimal::Decimal;
use serde_json::json;

async fn get(base: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    request.send().await.unwrap()
}

fn decimal_sum(df: &DataFrame, column: &str) -> Decimal {
    let total = df
        .column(column)
        .unwrap()
        .as_materialized_series()
        .sum_reduce()
        .unwrap();
    total.value().to_string().parse().unwrap()
}

#[tokio::test]
async fn the_parquet_fact_export_has_the_totals_of_the_graphql_aggregates() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let response = get(
        &base,
        "/export/facts.parquet?fiscalYear=2564&provinceCode=71",
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.apache.parquet"
    );
    let bytes = response.bytes().await.unwrap();
    let df = ParquetReader::new(std::io::Cursor::new(bytes.to_vec()))
        .finish()
        .expect("a Parquet file");

    let api = db
        .graphql_ok(
            r#"{ disbursement(fiscalYear: 2564, groupBy: [], filter: {provinceCode: "71"}) {
                   totals { approvals contractAmount disbursed remaining } } }"#,
            json!({}),
        )
        .await;
    let totals = &api["disbursement"]["totals"];
    assert_eq!(df.height() as i64, totals["approvals"].as_i64().unwrap());
    assert!(
        matches!(
            df.column("amount").unwrap().dtype(),
            DataType::Decimal(_, _)
        ),
        "money is exact"
    );
    for (column, field) in [
        ("contract", "contractAmount"),
        ("disbursed", "disbursed"),
        ("remaining", "remaining"),
    ] {
        let expected: Decimal = totals[field].as_str().unwrap().parse().unwrap();
        assert_eq!(decimal_sum(&df, column), expected, "{column}");
    }
    let approved: Decimal = sqlx::query_scalar(
        "SELECT sum(amount) FROM approval_facts WHERE fiscal_year = 2564 AND province_code = '71' AND published",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(decimal_sum(&df, "amount"), approved);
}

#[tokio::test]
async fn the_csv_tracking_export_opens_in_excel_with_the_report_figures() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let response = get(
        &base,
        "/export/tracking.csv?fiscalYear=2564&provinceCode=71",
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM, so Excel reads UTF-8");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let api = db
        .graphql_ok(
            r#"{ monitoringReport(fiscalYear: 2564, provinceCode: "71") { rows { organisationCode reported completed } } }"#,
            json!({}),
        )
        .await;
    let expected = api["monitoringReport"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for want in expected {
        let code = want["organisationCode"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|r| r[at("organisation_code")] == code)
            .expect(code);
        assert_eq!(row[at("reported")], want["reported"].to_string(), "{code}");
        assert_eq!(
            row[at("completed")],
            want["completed"].to_string(),
            "{code}"
        );
    }
    assert!(text.contains("องค์การบริหารส่วนตำบลหาดยาย"));
}

#[tokio::test]
async fn the_whole_country_is_for_analysts_and_bad_arguments_name_themselves() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let refused = get(&base, "/export/scores.parquet?fiscalYear=2564", None).await;
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let token = db.token("analyst").await;
    let national = get(&base, "/export/scores.csv?fiscalYear=2564", Some(&token)).await;
    assert_eq!(national.status(), 200);
    assert_eq!(national.text().await.unwrap().lines().count(), 1 + 5);

    let history = get(
        &base,
        "/export/elaas-history.csv?fiscalYear=2564&organisationCode=7100001",
        None,
    )
    .await;
    let snapshots: i64 = sqlx::query_scalar("SELECT count(*) FROM reporting.elaas_history WHERE organisation_code = '7100001' AND fiscal_year = 2564")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        history.text().await.unwrap().lines().count() as i64,
        1 + snapshots
    );

    for (path, field) in [
        (
            "/export/nothing.csv?fiscalYear=2564&provinceCode=71",
            "dataset",
        ),
        (
            "/export/facts.xls?fiscalYear=2564&provinceCode=71",
            "format",
        ),
        ("/export/facts.csv?provinceCode=71", "fiscalYear"),
    ] {
        let r = get(&base, path, None).await;
        assert_eq!(r.status(), 400, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn the_emenscr_hand_over_carries_each_reported_project_in_the_callers_scope() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let path = "/export/emenscr.json?fiscalYear=2564&organisationCode=7100001";
    let public: serde_json::Value = get(&base, path, None).await.json().await.unwrap();
    let records = public.as_array().expect("an array of records");
    let reported: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reporting.project_reports WHERE organisation_code = '7100001' AND fiscal_year = 2564 AND status <> 'draft'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(records.len() as i64, reported);
    let aerobic = records
        .iter()
        .find(|r| r["subPlanGoal"]["code"] == "140101")
        .expect("the aerobic-dance project");
    assert_eq!(aerobic["strategyGoal"]["code"], "3.1");
    assert_eq!(aerobic["masterPlanGoal"]["code"], "140001");
    assert!(aerobic["subPlanGoal"]["text"].is_string());
    assert!(aerobic["location"]["latitude"].is_number());
    assert!(
        aerobic["coordinator"]["phone"].is_null(),
        "no phone for the public"
    );

    let token = db.token("officer.hadyai").await;
    let own: serde_json::Value = get(&base, path, Some(&token)).await.json().await.unwrap();
    let mine = own
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subPlanGoal"]["code"] == "140101")
        .unwrap();
    assert!(
        mine["coordinator"]["phone"].is_string(),
        "the LAO's own officer sees it"
    );

    let xlsx = get(
        &base,
        "/export/emenscr.xlsx?fiscalYear=2564&organisationCode=7100001",
        None,
    )
    .await
    .bytes()
    .await
    .unwrap();
    use calamine::Reader;
    let mut book = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(
        xlsx.to_vec(),
    ))
    .expect("an Excel workbook");
    let sheet = book
        .worksheet_range("projects")
        .expect("the projects sheet");
    assert_eq!(sheet.height() as i64, 1 + reported);
    let cells: Vec<String> = sheet
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(cells.iter().any(|c| c == "140101"));
    assert!(cells.iter().any(|c| c == "เป้าหมายแผนย่อย"));
}

#[tokio::test]
async fn the_emenscr_hand_over_has_the_rate_limit_of_every_export() {
    let db = TestDb::demo().await;
    let base = db.serve_rate_limited(6).await;
    let token = db.token("analyst").await;
    let path = "/export/emenscr.json?fiscalYear=2564&organisationCode=7100001";
    assert_eq!(get(&base, path, Some(&token)).await.status(), 200);
    let refused = get(&base, path, Some(&token)).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=11).contains(&wait),
        "a wait of about ten seconds: {wait}"
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn the_emenscr_hand_over_of_another_lao_leaves_out_its_unpublished_reports() {
    let db = TestDb::demo().await;
    sqlx::raw_sql(include_str!("sql/seed_scopes.sql"))
        .execute(&db.pool)
        .await
        .expect("seed the three LAOs");
    let base = db.serve().await;
    // officer.hadyai belongs to 7100001; 7100101 is another LAO of its province.
    let token = db.token("officer.hadyai").await;
    let analyst = db.token("analyst").await;
    let path = "/export/emenscr.json?fiscalYear=2581&organisationCode=7100101";
    let full: serde_json::Value = get(&base, path, Some(&analyst)).await.json().await.unwrap();
    let stranger: serde_json::Value = get(&base, path, Some(&token)).await.json().await.unwrap();
    for (who, records) in [("analyst", &full), ("another LAO's officer", &stranger)] {
        let records = records.as_array().expect("an array of records");
        assert_eq!(
            records.len(),
            1,
            "{who}: only the submitted report: {records:#?}"
        );
        assert_eq!(records[0]["budgetItemName"], "รายการส่งแล้ว 7100101", "{who}");
    }
    assert_eq!(
        full[0]["coordinator"]["phone"], "081-234-5678",
        "the analyst reads it in full"
    );
    assert!(
        stranger[0]["coordinator"]["phone"].is_null(),
        "{stranger:#}"
    );
}

#[tokio::test]
async fn the_fact_export_takes_the_filters_of_the_graphql_aggregates() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    for (params, filter) in [
        (
            "fundingSource=GENERAL_SUBSIDY",
            json!({"provinceCode": "71", "fundingSource": "GENERAL_SUBSIDY"}),
        ),
        (
            "goalCode=140101",
            json!({"provinceCode": "71", "goalCode": "140101"}),
        ),
        (
            "sector=%E0%B8%94%E0%B9%89%E0%B8%B2%E0%B8%99%E0%B8%AA%E0%B8%B1%E0%B8%87%E0%B8%84%E0%B8%A1&amountMax=50000.00",
            json!({"provinceCode": "71", "sector": "ด้านสังคม", "amountMax": "50000.00"}),
        ),
    ] {
        let response = get(
            &base,
            &format!("/export/facts.parquet?fiscalYear=2564&provinceCode=71&{params}"),
            None,
        )
        .await;
        assert_eq!(response.status(), 200, "{params}");
        let bytes = response.bytes().await.unwrap();
        let df = ParquetReader::new(std::io::Cursor::new(bytes.to_vec()))
            .finish()
            .expect("a Parquet file");
        let api = db
            .graphql_ok(
                r#"query ($f: ApprovalFilter!) { disbursement(fiscalYear: 2564, groupBy: [], filter: $f) {
                       totals { approvals budget disbursed } } }"#,
                json!({"f": filter}),
            )
            .await;
        let totals = &api["disbursement"]["totals"];
        let approvals = totals["approvals"].as_i64().unwrap();
        assert_eq!(df.height() as i64, approvals, "{params}");
        for (column, field) in [("budget", "budget"), ("disbursed", "disbursed")] {
            let expected: Decimal = totals[field].as_str().unwrap().parse().unwrap();
            assert_eq!(decimal_sum(&df, column), expected, "{params}: {column}");
        }
        // A real subset: narrower than the province, and not empty.
        let province: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM approval_facts WHERE fiscal_year = 2564 AND province_code = '71' AND published",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(0 < approvals && approvals < province, "{params}: {approvals}");
    }
    // The goal filter keeps exactly the aerobic-dance project.
    let one = get(
        &base,
        "/export/facts.csv?fiscalYear=2564&provinceCode=71&goalCode=140101",
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(one.lines().count(), 2, "{one}");
    assert!(one.contains(",1401,"), "its sub-plan: {one}");

    // A misspelt filter, a bad value, or a filter a dataset cannot take is
    // refused, not ignored: a BI tool must not get the whole province instead.
    for (path, field) in [
        (
            "/export/facts.csv?fiscalYear=2564&provinceCode=71&fundSource=OWN_REVENUE",
            "fundSource",
        ),
        (
            "/export/facts.csv?fiscalYear=2564&provinceCode=71&fundingSource=GOLD",
            "filter",
        ),
        (
            "/export/tracking.csv?fiscalYear=2564&provinceCode=71&goalCode=14",
            "filter",
        ),
    ] {
        let response = get(&base, path, None).await;
        assert_eq!(response.status(), 400, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert!(
            body["errors"][0]["extensions"]["messageTh"].is_string(),
            "{body}"
        );
    }
}

/// The cells of a sheet's row under its headings.
fn row_by_heading(
    sheet: &calamine::Range<calamine::Data>,
    row: usize,
) -> std::collections::HashMap<String, calamine::Data> {
    let rows: Vec<_> = sheet.rows().collect();
    rows[0]
        .iter()
        .map(|h| h.to_string())
        .zip(rows[row].iter().cloned())
        .collect()
}

#[tokio::test]
async fn the_emenscr_workbook_has_every_field_of_the_json_with_numbers_as_numbers() {
    use calamine::{Data, Reader};
    let db = TestDb::demo().await;
    let (id, version): (i64, i32) =
        sqlx::query_as("SELECT id, version FROM project_reports WHERE latitude IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let global = tidtam::types::global_id::encode("ProjectReport", id);
    let mut version = version;
    for (quarter, percent, on) in [(1, "20", "31/12/2563"), (2, "62.50", "31/03/2564")] {
        let recorded = db
            .graphql_ok(
                r#"mutation ($input: RecordProgressInput!) { recordProgress(input: $input) { version } }"#,
                json!({"input": {"id": global, "version": version, "fiscalQuarter": quarter,
                                 "percent": percent, "narrative": format!("ไตรมาส {quarter}"), "recordedOn": on}}),
            )
            .await;
        version = recorded["recordProgress"]["version"].as_i64().unwrap() as i32;
    }
    let base = db.serve().await;
    let query = "?fiscalYear=2564&organisationCode=7100001";
    let records: serde_json::Value = get(&base, &format!("/export/emenscr.json{query}"), None)
        .await
        .json()
        .await
        .unwrap();
    let index = records
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["reportId"] == id)
        .expect("the aerobic-dance record");
    let record = &records[index];
    let xlsx = get(&base, &format!("/export/emenscr.xlsx{query}"), None)
        .await
        .bytes()
        .await
        .unwrap();
    let mut book = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(
        xlsx.to_vec(),
    ))
    .expect("an Excel workbook");
    assert_eq!(
        book.sheet_names(),
        vec!["projects"],
        "quarters are columns, not a sheet"
    );
    let sheet = book.worksheet_range("projects").unwrap();
    let row = row_by_heading(&sheet, index + 1);
    let number = |heading: &str| match &row[heading] {
        Data::Float(f) => *f,
        other => panic!("{heading} is {other:?}, not a number"),
    };
    let json_number = |v: &serde_json::Value| v.as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(number("งบตามข้อบัญญัติ"), 20000.0);
    assert_eq!(
        number("งบตามข้อบัญญัติ"),
        json_number(&record["budget"]["ordinance"])
    );
    assert_eq!(
        number("งบที่วางแผน"),
        json_number(&record["budget"]["planned"])
    );
    let sources = record["budget"]["sources"].as_object().unwrap();
    assert!(!sources.is_empty(), "{record:#}");
    let headings = [
        ("GENERAL_SUBSIDY", "เงินอุดหนุนทั่วไป"),
        ("OWN_REVENUE", "รายได้จัดเก็บเอง"),
        ("OTHER_REVENUE", "รายได้อื่น ๆ"),
    ];
    for (key, amount) in sources {
        let heading = headings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, h)| format!("แหล่งเงิน: {h}"))
            .unwrap_or_else(|| panic!("a source the test does not name: {key}"));
        assert_eq!(number(&heading), json_number(amount), "{key}");
    }
    assert_eq!(
        row["กลุ่มเป้าหมาย"].to_string(),
        record["targetGroup"].as_str().unwrap()
    );
    assert_eq!(
        row["ผลที่คาดว่าจะได้รับ"].to_string(),
        record["expectedResults"].as_str().unwrap()
    );
    assert_eq!(row["เป้าหมายแผนย่อย"].to_string(), "140101");
    assert!(
        matches!(row["วันที่เริ่มต้น"], Data::DateTime(_)),
        "{:?}",
        row["วันที่เริ่มต้น"]
    );
    assert_eq!(number("ไตรมาส 1 ร้อยละ"), 20.0);
    assert_eq!(number("ไตรมาส 2 ร้อยละ"), 62.5);
    assert_eq!(row["ไตรมาส 2 ความก้าวหน้า"].to_string(), "ไตรมาส 2");
    assert!(matches!(row["ไตรมาส 2 วันที่บันทึก"], Data::DateTime(_)));
    assert_eq!(row["ไตรมาส 3 ร้อยละ"], Data::Empty);

    // Past a sheet's rows the projects go on in the next sheet (here 3 rows a
    // sheet, the heading included, as a national workbook past 1,048,576).
    let five: Vec<serde_json::Value> = std::iter::repeat_n(record.clone(), 5).collect();
    let bytes = tidtam::reports::handover::workbook_with_rows(&five, 3).unwrap();
    let mut book =
        calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(bytes))
            .unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["projects", "projects 2", "projects 3"]
    );
    let heights: Vec<usize> = ["projects", "projects 2", "projects 3"]
        .iter()
        .map(|s| book.worksheet_range(s).unwrap().height())
        .collect();
    assert_eq!(heights, vec![3, 3, 2]);
}

/// A writer the test can read after the export drops its end.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_elaas_history_is_written_a_page_of_organisations_at_a_time() {
    use tidtam::analytics::export::{write_paged, Dataset, ExportFilter, Format};
    let db = TestDb::demo().await;
    let analytics = tidtam::analytics::Analytics::new(db.pool.clone());
    let filter = ExportFilter {
        fiscal_year: 2564,
        province_code: Some("71".into()),
        ..ExportFilter::default()
    };
    let (snapshots, organisations, disbursed): (i64, i64, Decimal) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT organisation_code), sum(disbursed) FROM reporting.elaas_history
         WHERE fiscal_year = 2564 AND organisation_code IN (SELECT organisation_code FROM reporting.organisations WHERE province_code = '71')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(organisations > 1, "more than one page: {organisations}");

    // One organisation a page: as many pages as organisations.
    let csv = Captured::default();
    let rows = write_paged(
        &analytics,
        Dataset::ElaasHistory,
        &filter,
        Format::Csv,
        csv.clone(),
        1,
    )
    .await
    .unwrap();
    assert_eq!(rows as i64, snapshots);
    let text = String::from_utf8(csv.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.starts_with("\u{feff}fiscal_year,organisation_code,"),
        "a BOM and one header"
    );
    assert_eq!(
        text.matches("fiscal_year,").count(),
        1,
        "one header for all pages"
    );
    assert_eq!(text.lines().count() as i64, 1 + snapshots);

    let parquet = Captured::default();
    write_paged(
        &analytics,
        Dataset::ElaasHistory,
        &filter,
        Format::Parquet,
        parquet.clone(),
        1,
    )
    .await
    .unwrap();
    let bytes = parquet.0.lock().unwrap().clone();
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .expect("a Parquet file");
    assert_eq!(df.height() as i64, snapshots);
    assert_eq!(decimal_sum(&df, "disbursed"), disbursed);
    let codes: Vec<String> = df
        .column("organisation_code")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|c| c.unwrap_or_default().to_string())
        .collect();
    assert!(codes.is_sorted(), "pages in the file's order");
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len() as i64, organisations);
}

#[tokio::test]
async fn the_command_takes_the_filters_of_the_http_export() {
    let db = TestDb::demo().await;
    let exe = env!("CARGO_BIN_EXE_tidtam");
    let dir = std::env::temp_dir().join(format!("tidtam-export-cli-{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let export = |file: &str, extra: &[&str]| {
        let path = dir.join(file);
        let out = std::process::Command::new(exe)
            .args([
                "export",
                "facts",
                "--fiscal-year",
                "2564",
                "--province",
                "71",
            ])
            .args(["--format", "csv", "--database-url", &db.url, "--output"])
            .arg(&path)
            .args(extra)
            .output()
            .unwrap();
        (out, path)
    };
    // The goal filter keeps exactly the aerobic-dance project, as over HTTP.
    let (out, path) = export("goal.csv", &["--filter", "goalCode=140101"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&path).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(",1401,"), "its sub-plan: {csv}");
    // A field ApprovalFilter does not have is refused and named.
    let (out, _) = export("bad.csv", &["--filter", "colour=blue"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("colour"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The `Content-Disposition` file name of an answer.
fn disposition(response: &reqwest::Response) -> String {
    response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_facts_export_labels_each_row_and_its_dates_are_dates() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let version: i64 = sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let response = get(
        &base,
        "/export/facts.parquet?fiscalYear=2564&provinceCode=71",
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        disposition(&response),
        format!("attachment; filename=\"tidtam-facts-fy2564-province-71-v{version}.parquet\"")
    );
    let bytes = response.bytes().await.unwrap();
    let df = ParquetReader::new(std::io::Cursor::new(bytes.to_vec()))
        .finish()
        .unwrap();
    for column in ["approved_on", "elaas_as_of", "contract_signed_on"] {
        assert_eq!(
            df.column(column).unwrap().dtype(),
            &DataType::Date,
            "{column}"
        );
    }
    assert_eq!(
        df.column("amount").unwrap().dtype(),
        &DataType::Decimal(14, 2)
    );
    // The aerobic-dance project's row, found by its name, with the names and
    // dates a chart labels it by.
    let names = df.column("project_name").unwrap().str().unwrap().clone();
    let at = names
        .iter()
        .position(|n| n.is_some_and(|n| n.contains("(แอโรบิคแดนซ์)")))
        .expect("the aerobic-dance project by name");
    let text = |c: &str| df.column(c).unwrap().get(at).unwrap().to_string();
    assert!(text("budget_item_name").contains("แอโรบิคแดนซ์"));
    assert_eq!(text("organisation_name"), "\"องค์การบริหารส่วนตำบลหาดยาย\"");
    assert_eq!(text("organisation_code"), "\"7100001\"");
    assert_eq!(text("province_name"), "\"กาญจนบุรี\"");
    assert_eq!(text("approved_on"), "2020-09-24");
    assert_eq!(text("elaas_as_of"), "2021-03-31");

    // The CSV says the same dates as ISO dates, which DuckDB and Excel read.
    let csv = get(
        &base,
        "/export/facts.csv?fiscalYear=2564&organisationCode=7100001",
        None,
    )
    .await;
    assert!(disposition(&csv).contains("tidtam-facts-fy2564-lao-7100001-v"));
    let text = csv.text().await.unwrap();
    assert!(text.contains("2020-09-24"), "{text}");

    // The e-LAAS history: dates as dates too.
    let history = get(
        &base,
        "/export/elaas-history.parquet?fiscalYear=2564&provinceCode=71",
        None,
    )
    .await;
    let bytes = history.bytes().await.unwrap();
    let df = ParquetReader::new(std::io::Cursor::new(bytes.to_vec()))
        .finish()
        .unwrap();
    assert_eq!(df.column("as_of").unwrap().dtype(), &DataType::Date);
    assert_eq!(
        df.column("contract_signed_on").unwrap().dtype(),
        &DataType::Date
    );
}

#[tokio::test]
async fn the_tracking_export_has_one_shape_in_every_year() {
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let header = |year: i32| {
        let base = base.clone();
        async move {
            let text = get(
                &base,
                &format!("/export/tracking.csv?fiscalYear={year}&provinceCode=71"),
                None,
            )
            .await
            .text()
            .await
            .unwrap();
            let lines: Vec<String> = text
                .trim_start_matches('\u{feff}')
                .lines()
                .map(String::from)
                .collect();
            lines
        }
    };
    let now = header(2564).await;
    let before = header(2561).await;
    assert_eq!(now[0], before[0], "the same columns in every year");
    let columns: Vec<&str> = now[0].split(',').collect();
    for c in [
        "plan_first_year",
        "plan_projects_year_1",
        "plan_projects_year_5",
    ] {
        assert!(columns.contains(&c), "{c} in {columns:?}");
    }
    assert!(
        !columns.iter().any(|c| c.starts_with("plan_projects_25")),
        "no column named by a year: {columns:?}"
    );
    // The demo's LAO has a plan from 2561 with one project in 2564, its
    // fourth year.
    let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let row: Vec<&str> = now
        .iter()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[at("organisation_code")] == "7100001")
        .map(|r| r.into_iter().collect())
        .expect("the demo LAO");
    let api = db
        .graphql_ok(
            r#"{ monitoringReport(fiscalYear: 2564, provinceCode: "71") { rows { organisationCode planProjects { planYear projects } } } }"#,
            json!({}),
        )
        .await;
    let mine = api["monitoringReport"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["organisationCode"] == "7100001")
        .unwrap();
    let first: i64 = row[at("plan_first_year")].parse().unwrap();
    for p in mine["planProjects"].as_array().unwrap() {
        let offset = p["planYear"].as_i64().unwrap() - first + 1;
        assert_eq!(
            row[at(&format!("plan_projects_year_{offset}"))],
            p["projects"].to_string(),
            "{p}"
        );
    }
}

#[tokio::test]
async fn the_emenscr_workbook_shows_buddhist_era_dates_and_thai_statuses() {
    use calamine::Reader;
    use std::io::Read;
    let db = TestDb::demo().await;
    let base = db.serve().await;
    let response = get(
        &base,
        "/export/emenscr.xlsx?fiscalYear=2564&organisationCode=7100001",
        None,
    )
    .await;
    assert!(disposition(&response)
        .starts_with("attachment; filename=\"tidtam-emenscr-fy2564-lao-7100001-v"));
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut zip = ::zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(
        styles.contains(r#"formatCode="[$-th-TH,107]dd/mm/yyyy""#),
        "a Buddhist-Era date format: {styles}"
    );
    let mut book =
        calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(bytes))
            .unwrap();
    let sheet = book.worksheet_range("projects").unwrap();
    let statuses: Vec<String> = (1..sheet.height())
        .map(|r| row_by_heading(&sheet, r)["สถานะ"].to_string())
        .collect();
    assert!(!statuses.is_empty());
    for s in &statuses {
        assert!(
            ["ส่งรายงานแล้ว", "ดำเนินการเสร็จสิ้น"].contains(&s.as_str()),
            "{statuses:?}"
        );
    }
}

#[tokio::test]
async fn the_command_names_its_file_as_the_http_export_does() {
    let db = TestDb::demo().await;
    let version: i64 = sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tidtam-export-name-{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tidtam"))
        .current_dir(&dir)
        .args([
            "export",
            "scores",
            "--fiscal-year",
            "2564",
            "--province",
            "71",
        ])
        .args(["--database-url", &db.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = format!("tidtam-scores-fy2564-province-71-v{version}.parquet");
    assert!(dir.join(&name).exists(), "{name}");
    std::fs::remove_dir_all(&dir).ok();
}
