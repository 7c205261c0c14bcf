//! The eMENSCR hand-over: every reported project of an organisation, a
//! province or the country in the shape the national monitoring system takes
//! (three goal codes with their narratives, targets, indicator, budget and
//! sources, dates, location, quarterly progress, completion), as JSON and as
//! an Excel workbook, so that an officer never types a report twice.
//! It reads through the caller's scope: drafts and phone numbers follow the
//! same rules as the API.

use crate::analytics::frames::{source_name, SOURCES};
use crate::db::Db;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
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

/// How a cell is written: Excel sorts, sums and filters numbers and dates
/// only when they are written as such, not as text.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    /// Baht (a decimal string in the JSON): a number shown `#,##0.00`.
    Money,
    /// A plain number (a percentage, a coordinate).
    Number,
    /// An ISO date: an Excel date shown in the Buddhist Era, `dd/mm/yyyy`
    /// with the year in พ.ศ. ([`BE_DATE`]).
    Date,
    /// A report's status, written in Thai as the dashboard names it.
    Status,
    /// true / false as Excel's TRUE / FALSE.
    Bool,
}

/// The columns of the `projects` sheet before the funding sources and the
/// quarters: a heading, where its value is in the JSON record, how to write it.
const COLUMNS: [(&str, &[&str], Kind); 36] = [
    ("รหัส อปท.", &["organisation", "code"], Kind::Text),
    ("ชื่อ อปท.", &["organisation", "name"], Kind::Text),
    ("รหัสจังหวัด", &["organisation", "provinceCode"], Kind::Text),
    ("ปีงบประมาณ", &["fiscalYear"], Kind::Number),
    ("ชื่อโครงการ", &["projectName"], Kind::Text),
    ("รายการตามข้อบัญญัติ", &["budgetItemName"], Kind::Text),
    ("ด้าน", &["sector"], Kind::Text),
    ("ประเภทกิจกรรม", &["activityType"], Kind::Text),
    ("สถานะ", &["status"], Kind::Status),
    ("เป้าหมายยุทธศาสตร์ชาติ", &["strategyGoal", "code"], Kind::Text),
    (
        "ข้อความเป้าหมายยุทธศาสตร์ชาติ",
        &["strategyGoal", "text"],
        Kind::Text,
    ),
    (
        "ผลต่อเป้าหมายยุทธศาสตร์ชาติ",
        &["strategyGoal", "result"],
        Kind::Text,
    ),
    ("เป้าหมายแผนแม่บท", &["masterPlanGoal", "code"], Kind::Text),
    (
        "ข้อความเป้าหมายแผนแม่บท",
        &["masterPlanGoal", "text"],
        Kind::Text,
    ),
    (
        "ผลต่อเป้าหมายแผนแม่บท",
        &["masterPlanGoal", "result"],
        Kind::Text,
    ),
    ("เป้าหมายแผนย่อย", &["subPlanGoal", "code"], Kind::Text),
    ("ข้อความเป้าหมายแผนย่อย", &["subPlanGoal", "text"], Kind::Text),
    ("ผลต่อเป้าหมายแผนย่อย", &["subPlanGoal", "result"], Kind::Text),
    ("หลักการและเหตุผล", &["rationale"], Kind::Text),
    ("เป้าหมายเชิงผลผลิต", &["outputTarget"], Kind::Text),
    ("เป้าหมายเชิงผลลัพธ์", &["outcomeTarget"], Kind::Text),
    ("ผลที่คาดว่าจะได้รับ", &["expectedResults"], Kind::Text),
    ("ดัชนีชี้วัดความสำเร็จ", &["successIndicator"], Kind::Text),
    ("กลุ่มเป้าหมาย", &["targetGroup"], Kind::Text),
    ("งบตามข้อบัญญัติ", &["budget", "ordinance"], Kind::Money),
    ("งบที่วางแผน", &["budget", "planned"], Kind::Money),
    ("วันที่เริ่มต้น", &["startDate"], Kind::Date),
    ("วันที่สิ้นสุด", &["endDate"], Kind::Date),
    ("ละติจูด", &["location", "latitude"], Kind::Number),
    ("ลองจิจูด", &["location", "longitude"], Kind::Number),
    ("ผู้ประสานงาน", &["coordinator", "name"], Kind::Text),
    ("โทรศัพท์ผู้ประสานงาน", &["coordinator", "phone"], Kind::Text),
    ("ดำเนินการเสร็จสิ้น", &["completed"], Kind::Bool),
    ("วันที่เสร็จสิ้น", &["completedOn"], Kind::Date),
    ("สรุปผลการดำเนินงาน", &["summary"], Kind::Text),
    ("ปัญหาอุปสรรค", &["problems"], Kind::Text),
];

/// The last columns, after the sources and the quarters.
const TRAILING: [(&str, &[&str], Kind); 2] = [
    ("ข้อเสนอแนะ", &["suggestions"], Kind::Text),
    ("เหตุผลที่ไม่อยู่ในแผน", &["offPlanReason"], Kind::Text),
];

/// Rows of an Excel sheet, the heading included.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;

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

/// A JSON number, or a decimal string (money and percentages are strings in
/// the JSON, to stay exact there), as a number.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    }
}

/// Excel's number format for a date in the Buddhist Era: locale th-TH,
/// calendar 07 (Thai Buddhist), so 2021-03-31 shows 31/03/2564 while the cell
/// stays a date that sorts and filters.
pub const BE_DATE: &str = "[$-th-TH,107]dd/mm/yyyy";

/// A report status in Thai (the dashboard's words); another value as it is.
fn status_th(status: &str) -> &str {
    match status {
        "draft" => "ร่างรายงาน",
        "submitted" => "ส่งรายงานแล้ว",
        "completed" => "ดำเนินการเสร็จสิ้น",
        other => other,
    }
}

/// The formats of the kinds of cell.
struct Formats {
    bold: Format,
    money: Format,
    date: Format,
}

fn write_cell(
    sheet: &mut Worksheet,
    formats: &Formats,
    (row, col): (u32, u16),
    value: &Value,
    kind: Kind,
) -> Result<(), XlsxError> {
    if value.is_null() {
        return Ok(());
    }
    match kind {
        Kind::Money => match number(value) {
            Some(n) => sheet.write_number_with_format(row, col, n, &formats.money)?,
            None => sheet.write(row, col, text(value))?,
        },
        Kind::Number => match number(value) {
            Some(n) => sheet.write_number(row, col, n)?,
            None => sheet.write(row, col, text(value))?,
        },
        Kind::Date => match value
            .as_str()
            .and_then(|s| ExcelDateTime::parse_from_str(s).ok())
        {
            Some(d) => sheet.write_datetime_with_format(row, col, d, &formats.date)?,
            None => sheet.write(row, col, text(value))?,
        },
        Kind::Bool => match value.as_bool() {
            Some(b) => sheet.write_boolean(row, col, b)?,
            None => sheet.write(row, col, text(value))?,
        },
        Kind::Status => sheet.write(row, col, status_th(&text(value)))?,
        Kind::Text => sheet.write(row, col, text(value))?,
    };
    Ok(())
}

/// The headings of the `projects` sheet, in order.
fn headings() -> Vec<String> {
    let mut out: Vec<String> = COLUMNS.iter().map(|(h, _, _)| h.to_string()).collect();
    out.extend(
        SOURCES
            .iter()
            .map(|key| format!("แหล่งเงิน: {}", source_name(key).unwrap_or(key))),
    );
    for q in 1..=4 {
        out.push(format!("ไตรมาส {q} ร้อยละ"));
        out.push(format!("ไตรมาส {q} ความก้าวหน้า"));
        out.push(format!("ไตรมาส {q} วันที่บันทึก"));
    }
    out.extend(TRAILING.iter().map(|(h, _, _)| h.to_string()));
    out
}

fn write_record(
    sheet: &mut Worksheet,
    formats: &Formats,
    row: u32,
    record: &Value,
) -> Result<(), XlsxError> {
    let mut col: u16 = 0;
    for (_, path, kind) in COLUMNS {
        write_cell(sheet, formats, (row, col), at(record, path), kind)?;
        col += 1;
    }
    for key in SOURCES {
        let amount = &record["budget"]["sources"][key];
        write_cell(sheet, formats, (row, col), amount, Kind::Money)?;
        col += 1;
    }
    let quarters = record["quarterlyProgress"].as_array();
    for q in 1..=4 {
        let progress = quarters
            .into_iter()
            .flatten()
            .find(|p| p["quarter"].as_i64() == Some(q));
        let null = Value::Null;
        let field = |name: &str| progress.map_or(&null, |p| &p[name]);
        write_cell(sheet, formats, (row, col), field("percent"), Kind::Number)?;
        write_cell(
            sheet,
            formats,
            (row, col + 1),
            field("narrative"),
            Kind::Text,
        )?;
        write_cell(
            sheet,
            formats,
            (row, col + 2),
            field("recordedOn"),
            Kind::Date,
        )?;
        col += 3;
    }
    for (_, path, kind) in TRAILING {
        write_cell(sheet, formats, (row, col), at(record, path), kind)?;
        col += 1;
    }
    Ok(())
}

/// The records as a workbook: one row per project on `projects`, money as
/// numbers, the funding sources and the four quarters' progress as columns.
/// Past Excel's 1,048,576 rows the projects go on in `projects 2`, `projects
/// 3`… (a national hand-over may come near it).
pub fn workbook(records: &[Value]) -> Result<Vec<u8>, XlsxError> {
    workbook_with_rows(records, EXCEL_MAX_ROWS)
}

/// [`workbook`] with sheets of at most `max_rows` rows (heading included):
/// tests split small workbooks the way a national one splits.
pub fn workbook_with_rows(records: &[Value], max_rows: u32) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let formats = Formats {
        bold: Format::new().set_bold(),
        money: Format::new().set_num_format("#,##0.00"),
        date: Format::new().set_num_format(BE_DATE),
    };
    let per_sheet = max_rows.saturating_sub(1).max(1) as usize;
    let headings = headings();
    // At least one sheet, with its headings, when there is nothing to hand over.
    let chunks: Vec<&[Value]> = if records.is_empty() {
        vec![&[]]
    } else {
        records.chunks(per_sheet).collect()
    };
    for (i, chunk) in chunks.into_iter().enumerate() {
        let name = if i == 0 {
            "projects".to_string()
        } else {
            format!("projects {}", i + 1)
        };
        let sheet = book.add_worksheet().set_name(name)?;
        for (c, heading) in headings.iter().enumerate() {
            sheet.write_with_format(0, c as u16, heading.as_str(), &formats.bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, record) in chunk.iter().enumerate() {
            write_record(sheet, &formats, r as u32 + 1, record)?;
        }
    }
    book.save_to_buffer()
}
