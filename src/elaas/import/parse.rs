//! From records to checked snapshot rows: the header names the columns (Thai
//! or English), and every cell of every row is checked; every bad cell is
//! collected with its line and column.

use super::reader::{self, Decoded, Format};
use super::{cap_errors, codes, RowError, MAX_ERRORS};
use crate::types::thai_date::BE_OFFSET;
use crate::types::{fiscal_year_range, format_be};
use crate::validation::Validator;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// One column of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    LaoCode,
    FiscalYear,
    ItemCode,
    Name,
    Budget,
    ContractAmount,
    ContractSignedOn,
    Disbursed,
    Remaining,
    AsOf,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::LaoCode,
        Column::FiscalYear,
        Column::ItemCode,
        Column::Name,
        Column::Budget,
        Column::ContractAmount,
        Column::ContractSignedOn,
        Column::Disbursed,
        Column::Remaining,
        Column::AsOf,
    ];

    /// The field name errors use.
    pub fn field(self) -> &'static str {
        match self {
            Column::LaoCode => "lao_code",
            Column::FiscalYear => "fiscal_year",
            Column::ItemCode => "item_code",
            Column::Name => "name",
            Column::Budget => "budget",
            Column::ContractAmount => "contract_amount",
            Column::ContractSignedOn => "contract_signed_on",
            Column::Disbursed => "disbursed",
            Column::Remaining => "remaining",
            Column::AsOf => "as_of",
        }
    }

    /// The Thai header LAOs' reports use.
    pub fn thai(self) -> &'static str {
        match self {
            Column::LaoCode => "รหัส อปท.",
            Column::FiscalYear => "ปีงบประมาณ",
            Column::ItemCode => "รหัสรายการ",
            Column::Name => "ชื่อรายการ",
            Column::Budget => "งบตามข้อบัญญัติ/เทศบัญญัติ",
            Column::ContractAmount => "งบตามสัญญา",
            Column::ContractSignedOn => "วันที่ลงนามสัญญา",
            Column::Disbursed => "เบิกจ่าย",
            Column::Remaining => "คงเหลือ",
            Column::AsOf => "ข้อมูล ณ วันที่",
        }
    }

    /// Every header accepted for the column, normalised (see [`normalise`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::LaoCode => &[
                "รหัสอปท",
                "รหัสองค์กรปกครองส่วนท้องถิ่น",
                "รหัสหน่วยงาน",
                "laocode",
                "lao",
                "organisationcode",
                "organizationcode",
                "orgcode",
            ],
            Column::FiscalYear => &["ปีงบประมาณ", "ปีงบ", "ปีงบประมาณพศ", "fiscalyear", "fy"],
            Column::ItemCode => &["รหัสรายการ", "รหัสโครงการ", "itemcode", "code"],
            Column::Name => &[
                "ชื่อรายการ",
                "ชื่อโครงการ",
                "ชื่อรายการชื่อโครงการ",
                "รายการ",
                "โครงการ",
                "itemname",
                "name",
            ],
            Column::Budget => &[
                "งบตามข้อบัญญัติเทศบัญญัติ",
                "งบตามข้อบัญญัติ",
                "งบตามเทศบัญญัติ",
                "งบประมาณตามข้อบัญญัติ",
                "งบประมาณตามเทศบัญญัติ",
                "งบประมาณ",
                "budget",
                "ordinancebudget",
            ],
            Column::ContractAmount => &["งบตามสัญญา", "วงเงินตามสัญญา", "contractamount", "contract"],
            Column::ContractSignedOn => &[
                "วันที่ลงนามสัญญา",
                "วันที่ลงนาม",
                "วันลงนามสัญญา",
                "contractdate",
                "contractsignedon",
                "signedon",
            ],
            Column::Disbursed => &["เบิกจ่าย", "เบิกจ่ายแล้ว", "disbursed"],
            Column::Remaining => &["คงเหลือ", "ยอดคงเหลือ", "remaining", "balance"],
            Column::AsOf => &[
                "ข้อมูลณวันที่",
                "ณวันที่",
                "ข้อมูล ณ วันที่",
                "asof",
                "asofdate",
                "snapshotdate",
            ],
        }
    }

    fn required(self) -> bool {
        self != Column::ContractSignedOn
    }
}

/// A header as compared with the aliases: lower case, without spaces and
/// the punctuation people put in headers (`รหัส อปท.` → `รหัสอปท`).
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '.' | '_' | '-' | '/' | '(' | ')' | ':' | '*' | '\u{feff}'
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn column_of(header: &str) -> Option<Column> {
    let n = normalise(header);
    Column::ALL
        .into_iter()
        .find(|c| c.aliases().iter().any(|a| normalise(a) == n))
}

/// One checked row of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub lao_code: String,
    pub fiscal_year: i32,
    pub item_code: String,
    pub name_th: String,
    pub budget: Decimal,
    pub contract_amount: Decimal,
    pub contract_signed_on: Option<NaiveDate>,
    pub disbursed: Decimal,
    pub remaining: Decimal,
    pub as_of: NaiveDate,
}

/// A file's rows as checked without the database.
#[derive(Debug)]
pub struct Parsed {
    pub format: Format,
    /// The good rows.
    pub rows: Vec<Row>,
    /// The LAO codes of the bad rows (where the code itself is well formed),
    /// so that unknown organisations are reported for them too.
    pub bad_row_codes: Vec<(u64, String)>,
    /// Every bad cell, by line.
    pub errors: Vec<RowError>,
}

/// Reads and checks every row, collecting every bad cell.
pub fn parse(bytes: &[u8], today: NaiveDate) -> Parsed {
    let failed = |format, e| Parsed {
        format,
        rows: Vec::new(),
        bad_row_codes: Vec::new(),
        errors: vec![unreadable(e)],
    };
    let decoded: Decoded<'_> = match reader::decode(bytes) {
        Ok(d) => d,
        Err(e) => return failed(Format::CsvUtf8, e),
    };
    let mut state = State::new(today);
    if let Err(e) = decoded.for_each_record(|line, cells| state.record(line, cells)) {
        return failed(decoded.format, e);
    }
    state.finish(decoded.format)
}

fn unreadable(e: reader::Unreadable) -> RowError {
    RowError {
        line: e.line,
        field: "file".into(),
        code: e.code,
        message_th: e.message_th,
        message_en: e.message_en,
    }
}

/// Column → its index in the record (by the column's place in [`Column::ALL`]).
#[derive(Clone, Copy, Debug, Default)]
struct Columns([Option<usize>; Column::ALL.len()]);

impl Columns {
    fn get(&self, column: Column) -> Option<usize> {
        self.0[column as usize]
    }
}

struct State {
    today: NaiveDate,
    /// Column → index in the record, once the header is read.
    columns: Option<Columns>,
    header_failed: bool,
    rows: Vec<Row>,
    bad_row_codes: Vec<(u64, String)>,
    errors: Vec<RowError>,
    /// (LAO, year, item, as of) → first line, to find duplicates.
    /// (Fx: a national file hashes a million keys; SipHash was a fifth of an import.)
    seen: FxHashMap<(String, i32, String, NaiveDate), u64>,
}

/// Largest amount `numeric(14, 2)` holds.
fn max_amount() -> Decimal {
    Decimal::new(99_999_999_999_999, 2)
}

impl State {
    fn new(today: NaiveDate) -> Self {
        State {
            today,
            columns: None,
            header_failed: false,
            rows: Vec::new(),
            bad_row_codes: Vec::new(),
            errors: Vec::new(),
            seen: FxHashMap::default(),
        }
    }

    fn record(&mut self, line: u64, cells: &[Cow<'_, str>]) {
        // Past MAX_ERRORS the rest of the file is not checked: the list is
        // cut in finish (memory stays bounded whatever the file's length).
        if self.header_failed || self.errors.len() > MAX_ERRORS {
            return;
        }
        match self.columns {
            None => self.header(line, cells),
            Some(columns) => self.row(line, cells, &columns),
        }
    }

    fn header(&mut self, line: u64, cells: &[Cow<'_, str>]) {
        let mut columns = Columns::default();
        for (i, cell) in cells.iter().enumerate() {
            let Some(column) = column_of(cell) else {
                continue; // other columns (หมายเหตุ, ลำดับ, …) are ignored
            };
            if let Some(first) = columns.0[column as usize].replace(i) {
                self.errors.push(RowError {
                    line,
                    field: column.field().into(),
                    code: codes::DUPLICATE_COLUMN,
                    message_th: format!(
                        "คอลัมน์ \"{}\" ซ้ำ (คอลัมน์ที่ {} และ {})",
                        column.thai(),
                        first + 1,
                        i + 1
                    ),
                    message_en: format!(
                        "the column {} appears twice (columns {} and {})",
                        column.field(),
                        first + 1,
                        i + 1
                    ),
                });
            }
        }
        for column in Column::ALL {
            if column.required() && columns.get(column).is_none() {
                self.errors.push(RowError {
                    line,
                    field: column.field().into(),
                    code: codes::MISSING_COLUMN,
                    message_th: format!("ไม่มีคอลัมน์ \"{}\" ในแถวหัวตาราง", column.thai()),
                    message_en: format!(
                        "the header has no column {} (\"{}\")",
                        column.field(),
                        column.thai()
                    ),
                });
            }
        }
        if self.errors.is_empty() {
            self.columns = Some(columns);
        } else {
            self.header_failed = true;
        }
    }

    fn row(&mut self, line: u64, cells: &[Cow<'_, str>], columns: &Columns) {
        let cell = |c: Column| -> &str {
            columns
                .get(c)
                .and_then(|i| cells.get(i))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let mut v = Validator::new();
        let lao_code = v.required(Column::LaoCode.field(), Some(cell(Column::LaoCode)));
        if let Some(code) = &lao_code {
            if !(5..=10).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
                v.error(
                    Column::LaoCode.field(),
                    codes::INVALID_INPUT,
                    format!("รหัส อปท. ต้องเป็นตัวเลข 5–10 หลัก: \"{code}\""),
                    format!("must be an LAO code of 5–10 digits: \"{code}\""),
                );
            }
        }
        let fiscal_year = fiscal_year(&mut v, cell(Column::FiscalYear));
        let item_code = v.required(Column::ItemCode.field(), Some(cell(Column::ItemCode)));
        let name = v.required(Column::Name.field(), Some(cell(Column::Name)));
        let budget = amount(&mut v, Column::Budget, cell(Column::Budget));
        let contract = amount(&mut v, Column::ContractAmount, cell(Column::ContractAmount));
        let disbursed = amount(&mut v, Column::Disbursed, cell(Column::Disbursed));
        let remaining = amount(&mut v, Column::Remaining, cell(Column::Remaining));
        let signed = v.optional_date(
            Column::ContractSignedOn.field(),
            Some(cell(Column::ContractSignedOn)),
        );
        let as_of = v.required_date(Column::AsOf.field(), Some(cell(Column::AsOf)));
        if let Some(as_of) = as_of {
            if as_of > self.today {
                v.error(
                    Column::AsOf.field(),
                    codes::DATE_OUT_OF_RANGE,
                    format!("วันที่ข้อมูล {} ยังไม่ถึง", format_be(as_of)),
                    format!("the as-of date {} is in the future", format_be(as_of)),
                );
            }
            if let (Some(fy), Some((start, _))) =
                (fiscal_year, fiscal_year.and_then(fiscal_year_range))
            {
                // Items are set up once the ordinance passes, up to a year
                // before the fiscal year starts.
                let earliest = start - chrono::Months::new(12);
                if as_of < earliest {
                    v.error(
                        Column::AsOf.field(),
                        codes::DATE_OUT_OF_RANGE,
                        format!(
                            "วันที่ข้อมูล {} อยู่ก่อนปีงบประมาณ {fy} (ต้องไม่ก่อน {})",
                            format_be(as_of),
                            format_be(earliest)
                        ),
                        format!(
                            "the as-of date {} lies before fiscal year {fy} (not before {})",
                            format_be(as_of),
                            format_be(earliest)
                        ),
                    );
                }
            }
            if let Some(signed) = signed {
                if signed > as_of {
                    v.error(
                        Column::ContractSignedOn.field(),
                        codes::DATE_OUT_OF_RANGE,
                        format!(
                            "วันที่ลงนามสัญญา {} อยู่หลังวันที่ข้อมูล {}",
                            format_be(signed),
                            format_be(as_of)
                        ),
                        format!(
                            "the contract date {} is after the as-of date {}",
                            format_be(signed),
                            format_be(as_of)
                        ),
                    );
                }
            }
        }
        if let (Some(code), Some(fy), Some(item), Some(as_of)) =
            (&lao_code, fiscal_year, &item_code, as_of)
        {
            let key = (code.clone(), fy, item.clone(), as_of);
            if let Some(first) = self.seen.get(&key) {
                v.error(
                    Column::ItemCode.field(),
                    codes::DUPLICATE,
                    format!(
                        "รายการ {item} ของ อปท. {code} ปี {fy} ณ วันที่ {} ซ้ำกับบรรทัด {first}",
                        format_be(as_of)
                    ),
                    format!(
                        "item {item} of LAO {code}, fiscal year {fy}, as of {} repeats line {first}",
                        format_be(as_of)
                    ),
                );
            } else {
                self.seen.insert(key, line);
            }
        }
        if let Err(crate::error::AppError::Invalid(errors)) = v.finish() {
            if let Some(code) = lao_code {
                if !errors.iter().any(|e| e.field == Column::LaoCode.field()) {
                    self.bad_row_codes.push((line, code));
                }
            }
            self.errors
                .extend(errors.into_iter().map(|e| RowError::from_field(line, e)));
            return;
        }
        if let (
            Some(lao_code),
            Some(fiscal_year),
            Some(item_code),
            Some(name_th),
            Some(budget),
            Some(contract_amount),
            Some(disbursed),
            Some(remaining),
            Some(as_of),
        ) = (
            lao_code,
            fiscal_year,
            item_code,
            name,
            budget,
            contract,
            disbursed,
            remaining,
            as_of,
        ) {
            self.rows.push(Row {
                line,
                lao_code,
                fiscal_year,
                item_code,
                name_th,
                budget,
                contract_amount,
                contract_signed_on: signed,
                disbursed,
                remaining,
                as_of,
            });
        }
    }

    fn finish(mut self, format: Format) -> Parsed {
        if self.columns.is_none() && self.errors.is_empty() {
            self.errors.push(RowError {
                line: 0,
                field: "file".into(),
                code: codes::EMPTY_FILE,
                message_th: "ไฟล์ว่าง: ไม่มีแถวหัวตาราง".into(),
                message_en: "the file is empty: it has no header row".into(),
            });
        }
        // Only a header: an officer who uploaded the wrong export must not
        // be told that it worked.
        if self.columns.is_some() && self.rows.is_empty() && self.errors.is_empty() {
            self.errors.push(RowError {
                line: 0,
                field: "file".into(),
                code: codes::EMPTY_FILE,
                message_th: "ไฟล์ไม่มีข้อมูล: มีแต่แถวหัวตาราง".into(),
                message_en: "the file has no data: it has only its header row".into(),
            });
        }
        cap_errors(&mut self.errors);
        Parsed {
            format,
            rows: self.rows,
            bad_row_codes: self.bad_row_codes,
            errors: self.errors,
        }
    }
}

fn fiscal_year(v: &mut Validator, text: &str) -> Option<i32> {
    let field = Column::FiscalYear.field();
    let text = v.required(field, Some(text))?;
    let Ok(year) = text.parse::<i32>() else {
        v.error(
            field,
            codes::INVALID_INPUT,
            format!("ปีงบประมาณต้องเป็นปี พ.ศ. 4 หลัก เช่น 2564: \"{text}\""),
            format!("must be a Buddhist-Era year, e.g. 2564: \"{text}\""),
        );
        return None;
    };
    if (1900..2400).contains(&year) {
        v.error(
            field,
            codes::INVALID_INPUT,
            format!("ปี {year} เป็น ค.ศ.; ใช้ พ.ศ. {}", year + BE_OFFSET),
            format!(
                "the year {year} is in the Common Era; use the Buddhist Era year {}",
                year + BE_OFFSET
            ),
        );
        return None;
    }
    if !(2500..=2700).contains(&year) {
        v.error(
            field,
            codes::INVALID_INPUT,
            format!("ปีงบประมาณ {year} อยู่นอกช่วง 2500–2700"),
            format!("the fiscal year {year} is outside 2500–2700"),
        );
        return None;
    }
    Some(year)
}

fn amount(v: &mut Validator, column: Column, text: &str) -> Option<Decimal> {
    let field = column.field();
    let text = v.required(field, Some(text))?;
    let value = v.money(field, &text)?;
    if value > max_amount() {
        v.error(
            field,
            crate::error::codes::INVALID_MONEY,
            format!("จำนวนเงินเกินกว่าที่รับได้: \"{text}\""),
            format!("the amount is too large: \"{text}\""),
        );
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, 1, 1).unwrap_or_default()
    }

    #[test]
    fn headers_in_thai_and_english() {
        assert_eq!(column_of("รหัส อปท."), Some(Column::LaoCode));
        assert_eq!(column_of(" ข้อมูล ณ วันที่ "), Some(Column::AsOf));
        assert_eq!(column_of("งบตามข้อบัญญัติ/เทศบัญญัติ"), Some(Column::Budget));
        assert_eq!(column_of("Contract Amount"), Some(Column::ContractAmount));
        assert_eq!(column_of("as_of"), Some(Column::AsOf));
        assert_eq!(column_of("หมายเหตุ"), None);
    }

    #[test]
    fn every_bad_cell_with_its_line() {
        let csv = "lao_code,fiscal_year,item_code,name,budget,contract_amount,contract_date,disbursed,remaining,as_of\n\
                   7100001,2564,A1,ก,\"20,000.00\",0,,0,20000,31/03/2564\n\
                   71x,2021,A2,ข,abc,0,,0,0,31/02/2564\n\
                   7100001,2564,A1,ก,1,0,,0,1,31/03/2564\n";
        let parsed = parse(csv.as_bytes(), today());
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.bad_row_codes, vec![(4, "7100001".to_string())]);
        let errors = parsed.errors;
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "lao_code"),
                (3, "fiscal_year"),
                (3, "budget"),
                (3, "as_of"),
                (4, "item_code"),
            ]
        );
    }

    #[test]
    fn bad_cells_are_listed_up_to_the_limit() {
        let mut csv = String::from("lao_code,fiscal_year,item_code,name,budget,contract_amount,contract_date,disbursed,remaining,as_of\n");
        for _ in 0..5_000 {
            csv.push_str("1\n");
        }
        let parsed = parse(csv.as_bytes(), today());
        assert_eq!(parsed.errors.len(), MAX_ERRORS + 1);
        let last = &parsed.errors[MAX_ERRORS];
        assert_eq!(
            (last.code, last.field.as_str()),
            (codes::TOO_MANY_ERRORS, "file")
        );
        // Nine bad cells a line: the 1,001st is on the 112th line, line 113.
        assert_eq!(last.line, 113);
        assert!(parsed.errors[..MAX_ERRORS].iter().all(|e| e.line <= 113));
        assert!(parsed.bad_row_codes.is_empty() && parsed.rows.is_empty());
    }

    #[test]
    fn missing_columns_are_named() {
        let errors = parse("รหัส อปท.,ปีงบประมาณ\n".as_bytes(), today()).errors;
        assert_eq!(errors.len(), 7);
        assert!(errors.iter().all(|e| e.code == codes::MISSING_COLUMN));
    }
}
