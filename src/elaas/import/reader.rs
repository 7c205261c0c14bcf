//! Reading a snapshot file into records of text cells, whatever its format:
//! CSV in UTF-8 (with or without a byte-order mark) or Windows-874/TIS-620
//! (what Thai office software still writes), or an Excel `.xlsx` workbook.

use super::codes;
use super::xlsx::{self, Workbook, MAX_COLUMNS};
use std::borrow::Cow;

/// How a file was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV in UTF-8, with or without a byte-order mark.
    CsvUtf8,
    /// CSV in Windows-874 (a superset of TIS-620).
    CsvWindows874,
    /// An Excel workbook; its first sheet is read.
    Xlsx,
}

impl Format {
    /// The value stored in `elaas_imports.format`.
    pub fn to_db(self) -> &'static str {
        match self {
            Format::CsvUtf8 => "csv-utf8",
            Format::CsvWindows874 => "csv-windows-874",
            Format::Xlsx => "xlsx",
        }
    }
}

/// Why a file could not be read at all (as opposed to a bad row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// `UNREADABLE_FILE`, or `SHEET_TOO_LARGE` past a limit.
    pub code: &'static str,
    /// The line or sheet row at fault; 0 for the file as a whole.
    pub line: u64,
    pub message_th: String,
    pub message_en: String,
}

impl Unreadable {
    pub(super) fn new(th: impl Into<String>, en: impl Into<String>) -> Self {
        Unreadable {
            code: codes::UNREADABLE_FILE,
            line: 0,
            message_th: th.into(),
            message_en: en.into(),
        }
    }
}

/// A decoded file, ready to give its records.
pub struct Decoded<'a> {
    pub format: Format,
    content: Content<'a>,
}

enum Content<'a> {
    /// The file's own bytes when they are UTF-8 (a national file is 200 MB:
    /// not copied), else the decoded text.
    Csv { text: Cow<'a, str>, delimiter: u8 },
    /// The first sheet, read cell by cell when records are asked for.
    Xlsx(Workbook<'a>),
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0";

/// Decodes a file: an `.xlsx` workbook by its content (a zip archive), else
/// CSV in UTF-8 when the bytes are valid UTF-8, else in Windows-874.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Unreadable> {
    if bytes.starts_with(ZIP_MAGIC) {
        return decode_xlsx(bytes);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(Unreadable::new(
            "ไฟล์ Excel รุ่นเก่า (.xls) อ่านไม่ได้: บันทึกเป็น .xlsx หรือ CSV ก่อน",
            "an old Excel file (.xls) cannot be read: save it as .xlsx or CSV first",
        ));
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let (text, format) = match std::str::from_utf8(body) {
        Ok(text) => (Cow::Borrowed(text), Format::CsvUtf8),
        Err(_) => {
            let (text, had_errors) = encoding_rs::WINDOWS_874.decode_without_bom_handling(body);
            if had_errors {
                return Err(Unreadable::new(
                    "อ่านไฟล์ไม่ได้: ไม่ใช่ CSV แบบ UTF-8 หรือ Windows-874 (TIS-620) และไม่ใช่ .xlsx",
                    "cannot read the file: it is neither CSV in UTF-8 or Windows-874 (TIS-620) nor .xlsx",
                ));
            }
            (text, Format::CsvWindows874)
        }
    };
    if text.contains('\0') {
        return Err(Unreadable::new(
            "ไฟล์นี้ไม่ใช่ข้อความ CSV",
            "the file is not CSV text",
        ));
    }
    let delimiter = sniff_delimiter(&text);
    Ok(Decoded {
        format,
        content: Content::Csv { text, delimiter },
    })
}

/// A CSV record with a value past column [`MAX_COLUMNS`]: the reader
/// would otherwise keep a cell for every delimiter of a hostile line.
fn too_many_columns(line: u64, column: usize) -> Unreadable {
    Unreadable {
        code: codes::SHEET_TOO_LARGE,
        line,
        message_th: format!("บรรทัด {line} มีค่าในคอลัมน์ที่ {column} เกิน {MAX_COLUMNS} คอลัมน์ที่รับได้"),
        message_en: format!(
            "line {line} has a value in column {column}, beyond the {MAX_COLUMNS} columns accepted"
        ),
    }
}

/// Comma unless the first line has more semicolons or tabs than commas.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let count = |c: char| first.matches(c).count();
    let commas = count(',');
    [(b'\t', count('\t')), (b';', count(';'))]
        .into_iter()
        .filter(|(_, n)| *n > commas)
        .max_by_key(|(_, n)| *n)
        .map(|(d, _)| d)
        .unwrap_or(b',')
}

fn decode_xlsx(bytes: &[u8]) -> Result<Decoded<'_>, Unreadable> {
    Ok(Decoded {
        format: Format::Xlsx,
        content: Content::Xlsx(xlsx::open(bytes)?),
    })
}

impl Decoded<'_> {
    /// Calls `f` with each non-blank record and its line (the CSV line the
    /// record starts on, or the sheet's row number), header included.
    pub fn for_each_record(
        &self,
        mut f: impl FnMut(u64, &[Cow<'_, str>]),
    ) -> Result<(), Unreadable> {
        match &self.content {
            Content::Csv { text, delimiter } => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(*delimiter)
                    .from_reader(text.as_bytes());
                let mut record = csv::StringRecord::new();
                // The csv crate's own line count skips blank lines, so lines
                // are counted here from the record's byte offset.
                let (mut counted_to, mut line) = (0usize, 1u64);
                loop {
                    match reader.read_record(&mut record) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            let line = e.position().map(|p| p.line()).unwrap_or(0);
                            return Err(Unreadable::new(
                                format!("อ่าน CSV ไม่ได้ที่บรรทัด {line}: {e}"),
                                format!("cannot read the CSV at line {line}: {e}"),
                            ));
                        }
                    }
                    if record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let start = record
                        .position()
                        .and_then(|p| usize::try_from(p.byte()).ok())
                        .unwrap_or(counted_to)
                        .clamp(counted_to, text.len());
                    // The offset may point at blank lines skipped before the record.
                    let bytes = text.as_bytes();
                    let start = start
                        + bytes[start..]
                            .iter()
                            .take_while(|b| matches!(b, b'\n' | b'\r'))
                            .count();
                    line += bytes[counted_to..start]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count() as u64;
                    counted_to = start;
                    if let Some(beyond) = record
                        .iter()
                        .skip(MAX_COLUMNS as usize)
                        .position(|c| !c.trim().is_empty())
                    {
                        return Err(too_many_columns(line, MAX_COLUMNS as usize + beyond + 1));
                    }
                    // Only the first MAX_COLUMNS cells: those past it are
                    // empty (checked above). Found by fuzzing (issue 19 §1,
                    // tests/fixtures/fuzz): a 160 KB line of tabs made a cell
                    // for each, and the header matched every one against
                    // every alias, 8 s in a debug build (a 256 MiB upload:
                    // 6 GB of cells and a long stall).
                    let cells: Vec<Cow<'_, str>> = record
                        .iter()
                        .take(MAX_COLUMNS as usize)
                        .map(Cow::Borrowed)
                        .collect();
                    f(line, &cells);
                }
            }
            Content::Xlsx(book) => book.for_each_row(f)?,
        }
        Ok(())
    }
}

/// A spreadsheet number as text: integers without decimals, others rounded
/// to the satang (a cell holding 0.1 + 0.2 shows 0.30, as Excel would).
pub(super) fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        let shortest = f.to_string();
        match shortest.split_once('.') {
            Some((_, decimals)) if decimals.len() > 2 && (f * 100.0).round() / 100.0 != f => {
                // More than satang precision only through binary rounding noise?
                let rounded = format!("{f:.2}");
                if (rounded.parse::<f64>().unwrap_or(f) - f).abs() < 1e-6 {
                    rounded
                } else {
                    shortest
                }
            }
            _ => shortest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(bytes: &[u8]) -> (Format, Vec<(u64, Vec<String>)>) {
        let decoded = decode(bytes).unwrap();
        let mut out = Vec::new();
        decoded
            .for_each_record(|line, cells| {
                out.push((line, cells.iter().map(|c| c.to_string()).collect()))
            })
            .unwrap();
        (decoded.format, out)
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let (f, r) = records("รหัส,ชื่อ\n1,ก\n\n2,\"ข,ค\"\n".as_bytes());
        assert_eq!(f, Format::CsvUtf8);
        assert_eq!(r[0], (1, vec!["รหัส".to_string(), "ชื่อ".to_string()]));
        assert_eq!(r[2], (4, vec!["2".to_string(), "ข,ค".to_string()]));
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice("รหัส,ชื่อ\n".as_bytes());
        let (_, r) = records(&bom);
        assert_eq!(r[0].1[0], "รหัส");
    }

    #[test]
    fn windows_874() {
        let (bytes, _, _) = encoding_rs::WINDOWS_874.encode("รหัส;ชื่อ\n1;ก\n");
        let (f, r) = records(&bytes);
        assert_eq!(f, Format::CsvWindows874);
        assert_eq!(r[1].1, vec!["1".to_string(), "ก".to_string()]);
    }

    #[test]
    fn numbers_as_text() {
        assert_eq!(number_text(7100001.0), "7100001");
        assert_eq!(number_text(20000.5), "20000.5");
        assert_eq!(number_text(0.1 + 0.2), "0.30");
        assert_eq!(number_text(1.234), "1.234");
    }
}
