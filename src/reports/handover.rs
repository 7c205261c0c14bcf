//! The eMENSCR hand-over: every reported project of an organisation, a
//! province or the country in the shape the national monitoring system takes
//! (three goal codes with their narratives, targets, indicator, budget and
//! sources, dates, location, quarterly progress, completion), as JSON and as
//! an Excel workbook, so that an officer never types a report twice.
//! It reads through the caller's scope: drafts and phone numbers follow the
//! same rules as the API.

use crate::db::Db;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;

/// The records of a fiscal year, optionally of one province or LAO.
pub async fn records(
    db: &Db,
    fiscal_year: i32,
    province: Option<&str>,
    organisation: Option<&str>,
) -> Result<Vec<Value>, sqlx::Error> {
    crate::db::query_scalar(include_str!("sql/handover.sql"))
        .bind(fiscal_year)
        .bind(province)
        .bind(organisation)
        .fetch_all(db)
        .await
}

/// The columns of the `projects` sheet: a heading and where its value is.
const COLUMNS: [(&str, &[&str]); 24] = [
    ("รหัส อปท.", &["organisation", "code"]),
    ("ชื่อ อปท.", &["organisation", "name"]),
    ("ปีงบประมาณ", &["fiscalYear"]),
    ("ชื่อโครงการ", &["projectName"]),
    ("ด้าน", &["sector"]),
    ("ประเภทกิจกรรม", &["activityType"]),
    ("เป้าหมายยุทธศาสตร์ชาติ", &["strategyGoal", "code"]),
    ("ผลต่อเป้าหมายยุทธศาสตร์ชาติ", &["strategyGoal", "result"]),
    ("เป้าหมายแผนแม่บท", &["masterPlanGoal", "code"]),
    ("ผลต่อเป้าหมายแผนแม่บท", &["masterPlanGoal", "result"]),
    ("เป้าหมายแผนย่อย", &["subPlanGoal", "code"]),
    ("ผลต่อเป้าหมายแผนย่อย", &["subPlanGoal", "result"]),
    ("หลักการและเหตุผล", &["rationale"]),
    ("เป้าหมายเชิงผลผลิต", &["outputTarget"]),
    ("เป้าหมายเชิงผลลัพธ์", &["outcomeTarget"]),
    ("ดัชนีชี้วัดความสำเร็จ", &["successIndicator"]),
    ("งบตามข้อบัญญัติ", &["budget", "ordinance"]),
    ("วันที่เริ่มต้น", &["startDate"]),
    ("วันที่สิ้นสุด", &["endDate"]),
    ("ละติจูด", &["location", "latitude"]),
    ("ลองจิจูด", &["location", "longitude"]),
    ("ดำเนินการเสร็จสิ้น", &["completed"]),
    ("วันที่เสร็จสิ้น", &["completedOn"]),
    ("สรุปผลการดำเนินงาน", &["summary"]),
];

fn at<'a>(record: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(record, |v, key| &v[*key])
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The records as a workbook: `projects` (one row each) and `progress` (one
/// row per project and quarter).
pub fn workbook(records: &[Value]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let projects = book.add_worksheet().set_name("projects")?;
    for (c, (heading, _)) in COLUMNS.iter().enumerate() {
        projects.write_with_format(0, c as u16, *heading, &bold)?;
    }
    for (r, record) in records.iter().enumerate() {
        for (c, (_, path)) in COLUMNS.iter().enumerate() {
            let value = at(record, path);
            let (row, col) = (r as u32 + 1, c as u16);
            match value.as_f64().filter(|_| value.is_number()) {
                Some(n) => projects.write(row, col, n)?,
                None => projects.write(row, col, text(value))?,
            };
        }
    }
    let progress = book.add_worksheet().set_name("progress")?;
    for (c, heading) in [
        "รหัส อปท.",
        "ชื่อโครงการ",
        "ไตรมาส",
        "ร้อยละ",
        "ความก้าวหน้า",
        "วันที่บันทึก",
    ]
    .iter()
    .enumerate()
    {
        progress.write_with_format(0, c as u16, *heading, &bold)?;
    }
    let mut row = 1;
    for record in records {
        for q in record["quarterlyProgress"].as_array().into_iter().flatten() {
            progress.write(row, 0, text(at(record, &["organisation", "code"])))?;
            progress.write(row, 1, text(&record["projectName"]))?;
            progress.write(row, 2, q["quarter"].as_f64().unwrap_or(0.0))?;
            progress.write(row, 3, text(&q["percent"]))?;
            progress.write(row, 4, text(&q["narrative"]))?;
            progress.write(row, 5, text(&q["recordedOn"]))?;
            row += 1;
        }
    }
    book.save_to_buffer()
}
