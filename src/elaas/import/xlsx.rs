//! A bounded `.xlsx` reader: the first sheet, streamed cell by cell.
//!
//! Why not a spreadsheet crate: the one we used (calamine) builds the sheet's
//! whole used range as one rectangle, sized by the farthest cell. A 1.7 KB
//! workbook with one cell at `XFD1048576` asked it for 1,048,576 × 16,384
//! cells (549 GB) and the allocation aborted the process. Here nothing is
//! sized by what the file claims (`<dimension>`, `count`/`uniqueCount`, a zip
//! entry's declared size): the zip parts are streamed through a byte budget,
//! the sheet's XML is read row by row, and only cells that hold a value and
//! lie within [`MAX_COLUMNS`] × [`MAX_ROWS`] are kept. A value beyond them
//! rejects the sheet with `SHEET_TOO_LARGE`, naming the sheet and the cell.
//! The limits are listed in docs/access.md ("Import limits").

use super::codes;
use super::reader::Unreadable;
use crate::types::format_be;
use quick_xml::events::{BytesStart, Event};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::io::{BufReader, Cursor, Read};
use zip::ZipArchive;

/// Columns a sheet may use (`IV`, as in Excel 2003): an e-LAAS export has a
/// dozen. A value farther right rejects the sheet.
pub const MAX_COLUMNS: u32 = 256;
/// Rows a sheet may use (Excel's own limit).
pub const MAX_ROWS: u64 = 1_048_576;
/// Characters in one cell (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// Entries in the zip archive (a workbook has a dozen).
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Uncompressed bytes of the sheet's XML.
pub const MAX_SHEET_XML_BYTES: u64 = 1 << 30;
/// Uncompressed bytes of the shared strings' XML.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 256 << 20;
/// Shared strings (a national file has about two per row).
pub const MAX_SHARED_STRINGS: usize = 4_000_000;
/// Uncompressed bytes of the workbook, its relationships and its styles.
pub const MAX_SMALL_PART_BYTES: u64 = 16 << 20;
/// Cell formats kept from the styles.
pub const MAX_CELL_FORMATS: usize = 65_536;
/// Largest uncompressed/compressed ratio of a part bigger than
/// [`RATIO_FLOOR_BYTES`]: real sheet XML deflates 10–30 to one, a zip bomb
/// a thousand.
pub const MAX_RATIO: u64 = 200;
const RATIO_FLOOR_BYTES: u64 = 1 << 20;

/// The first sheet of a workbook, checked and ready to stream.
pub struct Workbook<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    sheet_name: String,
    sheet_path: String,
    shared: Vec<String>,
    /// Per cell format (`s` attribute): whether its number is a date.
    date_formats: Vec<bool>,
    date1904: bool,
}

fn unreadable(detail: impl std::fmt::Display) -> Unreadable {
    Unreadable::new(
        format!("อ่านไฟล์ .xlsx ไม่ได้: {detail}"),
        format!("cannot read the .xlsx file: {detail}"),
    )
}

fn too_large(th: String, en: String) -> Unreadable {
    Unreadable {
        code: codes::SHEET_TOO_LARGE,
        line: 0,
        message_th: th,
        message_en: en,
    }
}

fn xml_error(part: &str, e: impl std::fmt::Display) -> Unreadable {
    unreadable(format!("{part}: {e}"))
}

/// Opens the workbook: its archive, first sheet, shared strings and styles.
pub fn open(bytes: &[u8]) -> Result<Workbook<'_>, Unreadable> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(too_large(
            format!("ไฟล์ .xlsx มี {} ส่วน เกิน {MAX_ZIP_ENTRIES}", archive.len()),
            format!(
                "the .xlsx file has {} parts, more than {MAX_ZIP_ENTRIES}",
                archive.len()
            ),
        ));
    }
    let workbook = read_small_part(&mut archive, "xl/workbook.xml")?
        .ok_or_else(|| unreadable("xl/workbook.xml is missing"))?;
    let (sheet_name, sheet_rid, date1904) = first_sheet(&workbook)?;
    let rels = read_small_part(&mut archive, "xl/_rels/workbook.xml.rels")?;
    let sheet_path = rels
        .as_deref()
        .and_then(|rels| target_of(rels, &sheet_rid))
        .unwrap_or_else(|| "xl/worksheets/sheet1.xml".to_string());
    let shared = match part(
        &mut archive,
        "xl/sharedStrings.xml",
        MAX_SHARED_STRINGS_BYTES,
    )? {
        Some(reader) => shared_strings(reader)?,
        None => Vec::new(),
    };
    let date_formats = match read_small_part(&mut archive, "xl/styles.xml")? {
        Some(styles) => date_formats(&styles)?,
        None => Vec::new(),
    };
    Ok(Workbook {
        archive,
        sheet_name,
        sheet_path,
        shared,
        date_formats,
        date1904,
    })
}

/// A part's bytes as a stream that stops at `limit` bytes (whatever the zip
/// entry declares), after checking its declared size and ratio. `None` when
/// the archive has no such part.
type Part<'z, 'a> = Budgeted<zip::read::ZipFile<'z, Cursor<&'a [u8]>>>;

fn part<'z, 'a>(
    archive: &'z mut ZipArchive<Cursor<&'a [u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<Part<'z, 'a>>, Unreadable> {
    let Some(index) = find(archive, name) else {
        return Ok(None);
    };
    let file = archive.by_index(index).map_err(|e| xml_error(name, e))?;
    let (size, compressed) = (file.size(), file.compressed_size());
    let too_big = |what: &str| {
        too_large(
            format!("ส่วน {name} ของไฟล์ .xlsx ใหญ่เกินไป ({what})"),
            format!("the part {name} of the .xlsx file is too large ({what})"),
        )
    };
    if size > limit {
        return Err(too_big(&format!("{size} bytes, limit {limit}")));
    }
    if size > RATIO_FLOOR_BYTES && size / compressed.max(1) > MAX_RATIO {
        return Err(too_big(&format!(
            "compressed {compressed} → {size} bytes, more than {MAX_RATIO} to one"
        )));
    }
    Ok(Some(Budgeted {
        inner: file,
        left: limit,
    }))
}

/// The index of a part, by its name or, as Excel allows, case-insensitively.
fn find(archive: &ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<usize> {
    archive.index_for_name(name).or_else(|| {
        archive
            .file_names()
            .position(|n| n.is_ok_and(|n| n.eq_ignore_ascii_case(name)))
    })
}

fn read_small_part(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, Unreadable> {
    let Some(mut reader) = part(archive, name, MAX_SMALL_PART_BYTES)? else {
        return Ok(None);
    };
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| budget_error(name, e))?;
    Ok(Some(text))
}

/// A part's reader that fails once more than its budget has been read: an
/// entry that lies about its size cannot inflate past the limit.
struct Budgeted<R> {
    inner: R,
    left: u64,
}

/// The error a [`Budgeted`] reader raises past its budget.
#[derive(Debug)]
struct OverBudget;

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("over budget")
    }
}

impl std::error::Error for OverBudget {}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more than the budget means the part is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(OverBudget)),
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn budget_error(name: &str, e: impl std::fmt::Display + 'static) -> Unreadable {
    let text = e.to_string();
    if text.contains("over budget") {
        too_large(
            format!("ส่วน {name} ของไฟล์ .xlsx ใหญ่เกินกว่าที่ประกาศไว้หรือเกินขีดจำกัด"),
            format!("the part {name} of the .xlsx file is larger than declared or than the limit"),
        )
    } else {
        xml_error(name, text)
    }
}

fn xml_reader<R: Read>(inner: R) -> quick_xml::Reader<BufReader<R>> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(inner));
    reader.config_mut().trim_text(false);
    reader
}

fn attribute(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key.as_ref();
        let key_local = key.rsplit(':').next().unwrap_or(key);
        (key_local == local).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.to_string())
        })
    })
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// The first sheet's name and relationship id, and whether dates count
/// from 1904.
fn first_sheet(xml: &str) -> Result<(String, String, bool), Unreadable> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut date1904 = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match local(&e).as_str() {
                "workbookPr" => {
                    date1904 = attribute(&e, "date1904")
                        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
                }
                "sheet" => {
                    let name = attribute(&e, "name").unwrap_or_else(|| "Sheet1".into());
                    let id = attribute(&e, "id").unwrap_or_default();
                    return Ok((name, id, date1904));
                }
                _ => {}
            },
            Ok(Event::Eof) => {
                return Err(Unreadable::new(
                    "ไฟล์ .xlsx ไม่มีแผ่นงาน",
                    "the .xlsx file has no worksheet",
                ))
            }
            Ok(_) => {}
            Err(e) => return Err(xml_error("xl/workbook.xml", e)),
        }
    }
}

/// The part a relationship points at, as a path in the archive.
fn target_of(rels: &str, id: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(rels);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if local(&e) == "Relationship" => {
                if attribute(&e, "Id").as_deref() == Some(id) {
                    let target = attribute(&e, "Target")?;
                    return Some(match target.strip_prefix('/') {
                        Some(absolute) => absolute.to_string(),
                        None => format!("xl/{}", target.trim_start_matches("./")),
                    });
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Text of `<t>` elements, skipping phonetic runs (`<rPh>`), as Excel shows it.
#[derive(Default)]
struct TextCollector {
    in_t: bool,
    phonetic: u32,
    text: String,
    overflow: bool,
}

impl TextCollector {
    fn push(&mut self, s: &str) {
        if self.in_t && self.phonetic == 0 && !self.overflow {
            if self.text.len() + s.len() > MAX_CELL_CHARS * 4 {
                self.overflow = true;
            } else {
                self.text.push_str(s);
            }
        }
    }

    fn text_event(&mut self, event: &Event<'_>) -> Result<(), String> {
        match event {
            Event::Text(t) => self.push(&t.xml10_content()),
            Event::CData(t) => self.push(t),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    self.push(c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r.xml10_content();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => self.push(s),
                        None => return Err(format!("unknown entity &{name};")),
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn shared_strings(part: Budgeted<impl Read>) -> Result<Vec<String>, Unreadable> {
    const NAME: &str = "xl/sharedStrings.xml";
    let mut reader = xml_reader(part);
    let mut buf = Vec::new();
    let mut strings = Vec::new();
    let mut item: Option<TextCollector> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| budget_error(NAME, e))?;
        match &event {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => item = Some(TextCollector::default()),
                "t" => {
                    if let Some(item) = &mut item {
                        item.in_t = true;
                    }
                }
                "rPh" => {
                    if let Some(item) = &mut item {
                        item.phonetic += 1;
                    }
                }
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => {
                strings.push(String::new());
            }
            Event::End(e) => match e.local_name().as_ref() {
                "si" => {
                    if let Some(item) = item.take() {
                        strings.push(item.text);
                    }
                }
                "t" => {
                    if let Some(item) = &mut item {
                        item.in_t = false;
                    }
                }
                "rPh" => {
                    if let Some(item) = &mut item {
                        item.phonetic = item.phonetic.saturating_sub(1);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            other => {
                if let Some(item) = &mut item {
                    item.text_event(other).map_err(|e| xml_error(NAME, e))?;
                }
            }
        }
        if strings.len() > MAX_SHARED_STRINGS {
            return Err(too_large(
                format!("ไฟล์ .xlsx มีข้อความร่วมเกิน {MAX_SHARED_STRINGS} รายการ"),
                format!("the .xlsx file has more than {MAX_SHARED_STRINGS} shared strings"),
            ));
        }
        buf.clear();
    }
    Ok(strings)
}

/// Whether each cell format (`cellXfs`, by index) shows a date.
fn date_formats(xml: &str) -> Result<Vec<bool>, Unreadable> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut custom: FxHashMap<u32, bool> = FxHashMap::default();
    let mut in_cell_xfs = false;
    let mut formats = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match local(&e).as_str() {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (
                        attribute(&e, "numFmtId").and_then(|i| i.parse().ok()),
                        attribute(&e, "formatCode"),
                    ) {
                        if custom.len() < MAX_CELL_FORMATS {
                            custom.insert(id, is_date_format(&code));
                        }
                    }
                }
                "cellXfs" => in_cell_xfs = true,
                "xf" if in_cell_xfs => {
                    if formats.len() >= MAX_CELL_FORMATS {
                        return Err(too_large(
                            format!("ไฟล์ .xlsx มีรูปแบบเซลล์เกิน {MAX_CELL_FORMATS} แบบ"),
                            format!("the .xlsx file has more than {MAX_CELL_FORMATS} cell formats"),
                        ));
                    }
                    let id: u32 = attribute(&e, "numFmtId")
                        .and_then(|i| i.parse().ok())
                        .unwrap_or(0);
                    formats.push(
                        custom
                            .get(&id)
                            .copied()
                            .unwrap_or_else(|| is_builtin_date_format(id)),
                    );
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            Ok(Event::Eof) => return Ok(formats),
            Ok(_) => {}
            Err(e) => return Err(xml_error("xl/styles.xml", e)),
        }
    }
}

/// Excel's built-in number formats that show dates or times.
fn is_builtin_date_format(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58 | 71..=81)
}

/// Whether a custom format code shows a date: a d, m, y, h or s outside
/// quoted text and brackets (colours, locales).
fn is_date_format(code: &str) -> bool {
    let mut quoted = false;
    let mut bracket = false;
    let mut escaped = false;
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' | '_' | '*' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            // (`b` is the Buddhist-Era year of Thai formats, `bbbb`.)
            'd' | 'D' | 'm' | 'M' | 'y' | 'Y' | 'h' | 'H' | 's' | 'S' | 'b'
                if !quoted && !bracket =>
            {
                return !code.eq_ignore_ascii_case("general");
            }
            _ => {}
        }
    }
    false
}

/// `A1`-style column letters for a column number (1-based).
pub fn column_letters(mut column: u64) -> String {
    let mut letters = Vec::new();
    while column > 0 {
        let rem = ((column - 1) % 26) as u8;
        letters.push(b'A' + rem);
        column = (column - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A cell reference's column and row (1-based); `None` when malformed.
/// Saturates instead of overflowing: `ZZZZZZZZZZ1` is just far away.
fn parse_reference(reference: &str) -> Option<(u64, Option<u64>)> {
    let letters = reference
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .count();
    if letters == 0 {
        return None;
    }
    let column = reference.as_bytes()[..letters].iter().fold(0u64, |acc, b| {
        acc.saturating_mul(26)
            .saturating_add(u64::from(b.to_ascii_uppercase() - b'A' + 1))
    });
    let digits = &reference[letters..];
    let row = if digits.is_empty() {
        None
    } else {
        Some(digits.parse::<u64>().unwrap_or(u64::MAX))
    };
    Some((column, row))
}

/// A cell being read: its place, type, format and text.
#[derive(Default)]
struct Cell {
    column: u64,
    kind: String,
    style: usize,
    value: TextCollector,
    in_value: bool,
}

impl Workbook<'_> {
    /// The sheet's name, as errors name it.
    pub fn sheet_name(&self) -> &str {
        &self.sheet_name
    }

    /// Calls `f` with each row that holds a value: its row number and its
    /// cells as text, column A first. Stops at the first cell past the
    /// limits with `SHEET_TOO_LARGE`.
    pub fn for_each_row(&self, mut f: impl FnMut(u64, &[Cow<'_, str>])) -> Result<(), Unreadable> {
        let mut archive = self.archive.clone();
        let path = self.sheet_path.clone();
        let part = part(&mut archive, &path, MAX_SHEET_XML_BYTES)?
            .ok_or_else(|| unreadable(format!("{path} is missing")))?;
        let mut reader = xml_reader(part);
        let mut buf = Vec::new();
        // The row being read: (column, text) of its cells with a value.
        let mut row: Vec<(u64, String)> = Vec::new();
        let mut row_number = 0u64;
        let mut cell: Option<Cell> = None;
        let mut cells: Vec<Cow<'_, str>> = Vec::new();
        loop {
            buf.clear();
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| budget_error(&path, e))?;
            match &event {
                Event::Start(e) | Event::Empty(e) => {
                    let empty = matches!(event, Event::Empty(_));
                    match e.local_name().as_ref() {
                        "row" => {
                            row.clear();
                            row_number = match attribute(e, "r") {
                                Some(r) => r.parse().unwrap_or(u64::MAX),
                                None => row_number + 1,
                            };
                            if empty {
                                continue;
                            }
                        }
                        "c" => {
                            let previous = row.last().map(|(c, _)| *c).unwrap_or(0);
                            let (column, row_of_cell) = attribute(e, "r")
                                .and_then(|r| parse_reference(&r))
                                .unwrap_or((previous + 1, None));
                            if let Some(r) = row_of_cell {
                                row_number = r;
                            }
                            let next = Cell {
                                column,
                                kind: attribute(e, "t").unwrap_or_default(),
                                style: attribute(e, "s").and_then(|s| s.parse().ok()).unwrap_or(0),
                                ..Cell::default()
                            };
                            if empty {
                                // A styled cell with no value: nothing to keep.
                                continue;
                            }
                            cell = Some(next);
                        }
                        "v" | "t" => {
                            if let Some(cell) = &mut cell {
                                cell.in_value = true;
                                cell.value.in_t = true;
                            }
                        }
                        "rPh" => {
                            if let Some(cell) = &mut cell {
                                cell.value.phonetic += 1;
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(e) => match e.local_name().as_ref() {
                    "v" | "t" => {
                        if let Some(cell) = &mut cell {
                            cell.value.in_t = false;
                        }
                    }
                    "rPh" => {
                        if let Some(cell) = &mut cell {
                            cell.value.phonetic = cell.value.phonetic.saturating_sub(1);
                        }
                    }
                    "c" => {
                        if let Some(done) = cell.take() {
                            self.keep_cell(done, row_number, &mut row)?;
                        }
                    }
                    "row" => {
                        self.emit(row_number, &mut row, &mut cells, &mut f);
                    }
                    _ => {}
                },
                Event::Eof => break,
                other => {
                    if let Some(cell) = &mut cell {
                        cell.value
                            .text_event(other)
                            .map_err(|e| xml_error(&path, e))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks a cell against the limits and keeps it when it holds a value.
    fn keep_cell(
        &self,
        cell: Cell,
        row_number: u64,
        row: &mut Vec<(u64, String)>,
    ) -> Result<(), Unreadable> {
        if !cell.in_value {
            return Ok(());
        }
        let reference = || {
            let column = column_letters(cell.column.min(u64::from(u32::MAX)));
            format!("{column}{row_number}")
        };
        if cell.value.overflow || cell.value.text.chars().count() > MAX_CELL_CHARS {
            return Err(self.cell_too_large(
                row_number,
                &reference(),
                format!("มีข้อความเกิน {MAX_CELL_CHARS} ตัวอักษร"),
                format!("holds more than {MAX_CELL_CHARS} characters"),
            ));
        }
        let text = self.cell_text(&cell)?;
        if text.trim().is_empty() {
            return Ok(());
        }
        if cell.column > u64::from(MAX_COLUMNS) || row_number > MAX_ROWS || row_number == 0 {
            return Err(self.cell_too_large(
                row_number,
                &reference(),
                format!(
                    "อยู่นอกขอบเขต {}{MAX_ROWS} ที่รับได้",
                    column_letters(u64::from(MAX_COLUMNS))
                ),
                format!(
                    "lies beyond {}{MAX_ROWS}, the farthest cell accepted",
                    column_letters(u64::from(MAX_COLUMNS))
                ),
            ));
        }
        if row.len() >= MAX_COLUMNS as usize {
            // More cells than columns: the same column given twice.
            return Err(self.cell_too_large(
                row_number,
                &reference(),
                "ซ้ำกับเซลล์อื่นในแถว".into(),
                "repeats another cell of its row".into(),
            ));
        }
        row.push((cell.column, text));
        Ok(())
    }

    fn cell_too_large(&self, row: u64, reference: &str, th: String, en: String) -> Unreadable {
        let sheet = &self.sheet_name;
        Unreadable {
            code: codes::SHEET_TOO_LARGE,
            line: row.min(MAX_ROWS + 1),
            message_th: format!("แผ่นงาน \"{sheet}\" เซลล์ {reference} {th}"),
            message_en: format!("the sheet \"{sheet}\", cell {reference}, {en}"),
        }
    }

    /// Hands a row with values to `f`, its cells placed by column.
    fn emit(
        &self,
        row_number: u64,
        row: &mut Vec<(u64, String)>,
        cells: &mut Vec<Cow<'_, str>>,
        f: &mut impl FnMut(u64, &[Cow<'_, str>]),
    ) {
        if row.is_empty() {
            return;
        }
        // Columns are at most MAX_COLUMNS (checked in keep_cell).
        let width = row.iter().map(|(c, _)| *c).max().unwrap_or(0) as usize;
        cells.clear();
        cells.resize(width, Cow::Borrowed(""));
        for (column, text) in row.drain(..) {
            if let Some(slot) = cells.get_mut(column.saturating_sub(1) as usize) {
                *slot = Cow::Owned(text);
            }
        }
        f(row_number, cells);
    }

    /// A cell as text: shared strings looked up, numbers without a needless
    /// ".0", dates in the Buddhist Era.
    fn cell_text(&self, cell: &Cell) -> Result<String, Unreadable> {
        let raw = cell.value.text.as_str();
        Ok(match cell.kind.as_str() {
            "s" => {
                let index: usize = raw.trim().parse().map_err(|_| {
                    unreadable(format!("a shared-string index \"{raw}\" is not a number"))
                })?;
                self.shared.get(index).cloned().ok_or_else(|| {
                    unreadable(format!(
                        "the shared string {index} does not exist (there are {})",
                        self.shared.len()
                    ))
                })?
            }
            "str" | "inlineStr" => raw.to_string(),
            "b" => match raw.trim() {
                "1" => "true".into(),
                "0" => "false".into(),
                other => other.to_string(),
            },
            "e" => format!("#{raw}"),
            "d" => {
                match chrono::NaiveDate::parse_from_str(raw.get(..10).unwrap_or(raw), "%Y-%m-%d") {
                    Ok(d) => format_be(d),
                    Err(_) => raw.to_string(),
                }
            }
            _ => match raw.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => {
                    if self.date_formats.get(cell.style).copied().unwrap_or(false) {
                        match serial_date(n, self.date1904) {
                            Some(d) => format_be(d),
                            None => super::reader::number_text(n),
                        }
                    } else {
                        super::reader::number_text(n)
                    }
                }
                _ => raw.to_string(),
            },
        })
    }
}

/// An Excel date serial as a date (1900 system with its phantom 29 Feb 1900,
/// or 1904 system).
fn serial_date(serial: f64, date1904: bool) -> Option<chrono::NaiveDate> {
    if !(0.0..=2_958_465.0).contains(&serial) {
        return None; // past 31/12/9999
    }
    let days = serial.floor() as i64;
    let (base, days) = if date1904 {
        (chrono::NaiveDate::from_ymd_opt(1904, 1, 1)?, days)
    } else if days >= 61 {
        (chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?, days)
    } else {
        (chrono::NaiveDate::from_ymd_opt(1899, 12, 31)?, days)
    };
    base.checked_add_signed(chrono::Duration::days(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_letters() {
        assert_eq!(parse_reference("A1"), Some((1, Some(1))));
        assert_eq!(parse_reference("XFD1048576"), Some((16384, Some(1048576))));
        assert_eq!(parse_reference("AA"), Some((27, None)));
        assert_eq!(parse_reference("1"), None);
        assert_eq!(column_letters(16384), "XFD");
        assert_eq!(column_letters(256), "IV");
        assert_eq!(column_letters(27), "AA");
    }

    #[test]
    fn date_formats_by_code() {
        assert!(is_date_format("dd/mm/yyyy"));
        assert!(is_date_format("[$-th-TH]d mmm yy"));
        assert!(!is_date_format("#,##0.00"));
        assert!(!is_date_format("[Red]0.00"));
        assert!(!is_date_format("General"));
        assert!(!is_date_format("0.00\" days\""));
    }

    #[test]
    fn serials() {
        assert_eq!(
            serial_date(44347.0, false),
            chrono::NaiveDate::from_ymd_opt(2021, 5, 31)
        );
        assert_eq!(
            serial_date(0.0, true),
            chrono::NaiveDate::from_ymd_opt(1904, 1, 1)
        );
    }
}
