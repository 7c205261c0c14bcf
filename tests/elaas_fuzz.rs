//! Fuzzing the e-LAAS readers (issue 19 §1): the CSV reader, the bounded
//! `.xlsx` reader and the row checks behind them, through the one entry point
//! that the upload (`importElaasSnapshot`) and `tidtam import elaas` both call
//! on the file's bytes, `elaas::import::parse::parse`.
//!
//! Three generators: (a) arbitrary bytes (also behind the zip, OLE and BOM
//! signatures, so that each branch of the format sniffing is reached);
//! (b) valid e-LAAS CSV files, mutated (bytes flipped, inserted, deleted;
//! huge fields, floods of delimiters and lines, bad UTF-8, Windows-874);
//! (c) a valid workbook built here, its XML mutated (cells at `XFD1048576`,
//! bogus `<dimension>`, deep nesting, floods of cells, shared-string indexes
//! that do not exist, unknown entities) and then its zip (lying sizes,
//! truncation, flipped bytes, parts missing or repeated).
//!
//! The property, for every input: no panic; an answer that is either good
//! rows or coded errors (one file-level error for an unreadable file); memory
//! in proportion to the file's real content (a counting allocator measures
//! the peak), and no pathological slowness.
//!
//! Every file of tests/fixtures/fuzz (a crash the fuzzer found, or a hostile
//! file kept on purpose) is replayed with its expected outcome.
//!
//! Environment:
//! - `TIDTAM_FUZZ_CASES`: cases per generator (default 128: a few seconds in
//!   CI, which runs this test with the rest);
//! - `TIDTAM_FUZZ_SECONDS`: keep generating, batch after batch, for this many
//!   seconds per generator (benches/fuzz.sh: ten minutes);
//! - `TIDTAM_FUZZ_SEED`: the run's seed (default 19, fixed, so that CI runs
//!   the same cases every time).
//!
//! A failing input is shrunk by proptest and written to
//! `$CARGO_TARGET_TMPDIR/elaas-fuzz-failures/`; keep it in tests/fixtures/fuzz.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write as _;
use std::time::{Duration, Instant};
use tidtam::elaas::import::parse::{self, Parsed};
use tidtam::elaas::import::{codes, Format, MAX_ERRORS};

// ---------------------------------------------------------------------------
// Memory: a counting allocator, per thread (the readers run on one thread).

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, answering its result and the most memory it held at once.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    let peak = PEAK.with(Cell::get) - start;
    (out, peak.max(0) as usize)
}

// ---------------------------------------------------------------------------
// The property.

/// The day the row checks take as today: fixed, so that outcomes are too.
fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2030, 1, 1).expect("a date")
}

/// Memory a file may take to read: a fixed allowance (buffers, the XML
/// reader, the zip's central directory) and a multiple of its content.
const MEMORY_FLOOR: usize = 48 << 20;
const MEMORY_PER_BYTE: usize = 256;

/// The most time one case may take (a debug build on a busy CI machine).
const SLOW_CASE: Duration = Duration::from_secs(20);

/// Codes of an error of the file as a whole (field `file`).
const FILE_CODES: &[&str] = &[
    codes::UNREADABLE_FILE,
    codes::SHEET_TOO_LARGE,
    codes::EMPTY_FILE,
];

const ROW_CODES: &[&str] = &[
    codes::MISSING_COLUMN,
    codes::DUPLICATE_COLUMN,
    codes::DUPLICATE,
    codes::INVALID_INPUT,
    codes::DATE_OUT_OF_RANGE,
    "REQUIRED",
    "INVALID_MONEY",
    "INVALID_DATE",
];

/// Reads a file and checks the answer. `content` is the size of what the
/// file really holds (for a workbook, its parts uncompressed), which the
/// memory may grow with.
fn check(bytes: &[u8], content: usize) -> Result<Parsed, TestCaseError> {
    let started = Instant::now();
    let (parsed, peak) = peak_of(|| parse::parse(bytes, today()));
    let elapsed = started.elapsed();
    prop_assert!(
        elapsed < SLOW_CASE,
        "{} bytes took {elapsed:?}",
        bytes.len()
    );
    let allowed = MEMORY_FLOOR + MEMORY_PER_BYTE * content.max(bytes.len());
    prop_assert!(
        peak <= allowed,
        "{} bytes ({} of content) held {peak} bytes at once, more than {allowed}",
        bytes.len(),
        content
    );
    check_outcome(&parsed)?;
    Ok(parsed)
}

/// Either good rows or coded errors, each well formed.
fn check_outcome(parsed: &Parsed) -> Result<(), TestCaseError> {
    prop_assert!(
        !parsed.rows.is_empty() || !parsed.errors.is_empty(),
        "neither rows nor errors"
    );
    prop_assert!(parsed.errors.len() <= MAX_ERRORS + 1);
    for (i, e) in parsed.errors.iter().enumerate() {
        prop_assert!(!e.message_en.is_empty() && !e.message_th.is_empty(), "{e}");
        prop_assert!(!e.field.is_empty(), "{e}");
        if e.code == codes::TOO_MANY_ERRORS {
            // Only last, after the most errors listed.
            prop_assert_eq!(i, MAX_ERRORS, "{}", e);
            prop_assert_eq!(e.field.as_str(), "file");
            prop_assert!(parsed.errors[..i].iter().all(|f| f.line <= e.line), "{e}");
        } else if e.field == "file" {
            prop_assert!(FILE_CODES.contains(&e.code), "{e}");
            // A file that cannot be read (or is empty) has that one error,
            // and no rows.
            prop_assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
            prop_assert!(parsed.rows.is_empty());
        } else {
            prop_assert!(ROW_CODES.contains(&e.code), "{e}");
            prop_assert!(e.line >= 1, "{e}");
        }
        prop_assert!(e.line <= 1 << 21, "{e}");
    }
    if parsed.format != Format::Xlsx {
        // A CSV record starts on a line of the file.
        for r in &parsed.rows {
            prop_assert!(r.line >= 2, "{r:?}");
        }
    }
    for r in &parsed.rows {
        prop_assert!(
            (5..=10).contains(&r.lao_code.len()) && r.lao_code.bytes().all(|b| b.is_ascii_digit()),
            "{r:?}"
        );
        prop_assert!((2500..=2700).contains(&r.fiscal_year), "{r:?}");
        prop_assert!(!r.item_code.trim().is_empty() && !r.name_th.trim().is_empty());
        prop_assert!(r.as_of <= today(), "{r:?}");
        let max = rust_decimal::Decimal::new(99_999_999_999_999, 2);
        for amount in [r.budget, r.contract_amount, r.disbursed, r.remaining] {
            prop_assert!(amount <= max, "{r:?}");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The runner: a fixed seed, a number of cases or a time budget.

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

/// A 32-byte ChaCha seed from the run's seed, the generator and the batch.
fn seed(base: u64, target: &str, batch: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..8].copy_from_slice(&base.to_le_bytes());
    out[8..16].copy_from_slice(&batch.to_le_bytes());
    for (i, b) in target.bytes().enumerate().take(16) {
        out[16 + i] = b;
    }
    out
}

/// Runs a generator: `TIDTAM_FUZZ_CASES` cases, or batches of them until
/// `TIDTAM_FUZZ_SECONDS` have passed. A failure is shrunk, saved and fails
/// the test.
fn fuzz(target: &str, extension: &str, strategy: impl Strategy<Value = Input>) {
    let cases = env_u64("TIDTAM_FUZZ_CASES").unwrap_or(128).max(1) as u32;
    let budget = env_u64("TIDTAM_FUZZ_SECONDS").map(Duration::from_secs);
    let base = env_u64("TIDTAM_FUZZ_SEED").unwrap_or(19);
    let started = Instant::now();
    let (mut batch, mut done) = (0u64, 0u64);
    let bytes = Cell::new(0u64);
    loop {
        let config = Config {
            cases,
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            // Shrinking a large input is slow: bound it.
            max_shrink_iters: 4096,
            max_shrink_time: 120_000,
            ..Config::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed(base, target, batch));
        let mut runner = TestRunner::new_with_rng(config, rng);
        let result = runner.run(&strategy, |input| {
            bytes.set(bytes.get() + input.bytes.len() as u64);
            check(&input.bytes, input.content).map(|_| ())
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, value)) => {
                let path = save_failure(target, extension, &value.bytes);
                panic!(
                    "{target}: {reason}\n(seed {base}, batch {batch}; the shrunk input, {} bytes, is in {}: keep it in tests/fixtures/fuzz/)",
                    value.bytes.len(),
                    path.display()
                );
            }
            Err(TestError::Abort(reason)) => panic!("{target}: aborted: {reason}"),
        }
        done += u64::from(cases);
        batch += 1;
        match budget {
            Some(budget) if started.elapsed() < budget => continue,
            _ => break,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{target}: {done} cases, {:.1} MB, in {secs:.1} s ({:.0} cases/s), seed {base}",
        bytes.get() as f64 / 1e6,
        done as f64 / secs.max(1e-9)
    );
}

fn save_failure(target: &str, extension: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("elaas-fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let hash: u64 = bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    });
    let path = dir.join(format!("{target}-{hash:016x}.{extension}"));
    if let Ok(mut file) = std::fs::File::create(&path) {
        let _ = file.write_all(bytes);
    }
    path
}

/// A generated file: its bytes, and the size of what it really holds.
#[derive(Clone, Debug)]
struct Input {
    bytes: Vec<u8>,
    content: usize,
}

// ---------------------------------------------------------------------------
// Mutations of bytes, shared by the CSV files and the workbook's XML.

/// Largest file a case builds (memory is checked in proportion to it).
const MAX_INPUT: usize = 192 * 1024;

#[derive(Clone, Debug)]
enum Mutation {
    /// Flips a bit.
    Flip(Index, u8),
    /// Sets a byte.
    Set(Index, u8),
    /// Deletes up to `n` bytes.
    Delete(Index, usize),
    /// Inserts bytes.
    Insert(Index, Vec<u8>),
    /// Repeats a slice (up to 64 bytes) `n` times in place: floods of lines.
    Repeat(Index, usize, usize),
    /// Cuts the file short.
    Truncate(Index),
}

impl Mutation {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
        match self {
            Mutation::Flip(i, bit) if !bytes.is_empty() => {
                let i = i.index(bytes.len());
                bytes[i] ^= 1 << (bit % 8);
            }
            Mutation::Set(i, b) if !bytes.is_empty() => {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
            Mutation::Delete(i, n) => {
                let i = at(i, bytes.len()).min(bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::Insert(i, token) => {
                let i = at(i, bytes.len()).min(bytes.len());
                let room = MAX_INPUT.saturating_sub(bytes.len());
                let token = &token[..token.len().min(room)];
                bytes.splice(i..i, token.iter().copied());
            }
            Mutation::Repeat(i, len, times) => {
                let i = at(i, bytes.len()).min(bytes.len());
                let end = (i + len).min(bytes.len());
                let slice = bytes[i..end].to_vec();
                if slice.is_empty() {
                    return;
                }
                let times = (*times).min(MAX_INPUT.saturating_sub(bytes.len()) / slice.len());
                let copies: Vec<u8> = slice
                    .iter()
                    .copied()
                    .cycle()
                    .take(slice.len() * times)
                    .collect();
                bytes.splice(end..end, copies);
            }
            Mutation::Truncate(i) => {
                let i = at(i, bytes.len()).min(bytes.len());
                bytes.truncate(i);
            }
            _ => {}
        }
    }
}

/// Tokens that CSV readers trip on.
fn csv_token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec![
            &b","[..], b";", b"\t", b"\"", b"\"\"", b"\r\n", b"\n", b"\r", b"\0",
            b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xD0\xCF\x11\xE0", b"PK\x03\x04",
            b"\xA1\xA2\xA3", b"\xC3", b"\xE0\xB8", b"\xDB", b"\xFC",
            b"2564", b"2021", b"0", b"-1", b"31/02/2564", b"29/02/2563", b"01/01/9999",
            b"99999999999999999.99", b"1e308", b"-0.001", b"NaN", b"inf",
            b"1,000.00", b"(1,000.00)",
            "๒๕๖๔".as_bytes(), "รหัส อปท.".as_bytes(), "ข้อมูล ณ วันที่".as_bytes(),
            b"lao_code", b"as_of", b"7100001", b"\xE2\x80\x8B", b"\xEF\xBF\xBD",
        ]).prop_map(|t| t.to_vec()),
        2 => prop::collection::vec(any::<u8>(), 1..16),
        // A huge field, past Excel's 32,767 characters.
        1 => (1usize..70_000, prop::sample::select(vec![b'x', b' ', b'"', 0xA1u8]))
            .prop_map(|(n, b)| vec![b; n]),
        // A flood of delimiters.
        1 => (1usize..40_000, prop::sample::select(vec![b',', b';', b'\t', b'\n']))
            .prop_map(|(n, b)| vec![b; n]),
        // A flood of short lines.
        1 => (1usize..20_000, prop::sample::select(vec![
            &b"1\n"[..], b",\n", b"7100001,2564\n", b"\"\n", b"x,\"\"\n",
        ])).prop_map(|(n, line)| line.repeat(n)),
    ]
}

fn mutation(token: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        2 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        4 => (any::<Index>(), token).prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => (any::<Index>(), 1usize..64, 1usize..5_000)
            .prop_map(|(i, len, n)| Mutation::Repeat(i, len, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

// ---------------------------------------------------------------------------
// (a) Arbitrary bytes.

fn arbitrary_bytes() -> impl Strategy<Value = Input> {
    let body = prop::collection::vec(any::<u8>(), 0..4096);
    let prefix = prop::sample::select(vec![
        &b""[..],
        b"PK\x03\x04",
        b"PK\x05\x06",
        b"\xD0\xCF\x11\xE0",
        b"\xEF\xBB\xBF",
    ]);
    (prefix, body).prop_map(|(prefix, body)| {
        let mut bytes = prefix.to_vec();
        bytes.extend(body);
        Input {
            content: bytes.len(),
            bytes,
        }
    })
}

#[test]
fn arbitrary_bytes_are_read_or_refused() {
    fuzz("bytes", "bin", arbitrary_bytes());
}

// ---------------------------------------------------------------------------
// (b) Mutated CSV files.

const HEADER_EN: &str = "lao_code,fiscal_year,item_code,name,budget,contract_amount,contract_date,disbursed,remaining,as_of\n";

/// A valid file of `rows` rows separated by `delimiter`, as
/// tests/elaas_import.rs builds them.
fn valid_csv(rows: usize, delimiter: char) -> String {
    let mut text = HEADER_EN.replace(',', &delimiter.to_string());
    for i in 0..rows {
        let row = format!(
            "7100001,2564,2564-SOC-{i:03},โครงการที่ {i},20000.00,18500.00,15/04/2564,9250.00,10750.00,30/04/2564\n"
        );
        text.push_str(&row.replace(',', &delimiter.to_string()));
    }
    text
}

/// The valid files mutations start from.
fn csv_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        "tests/fixtures/elaas/snapshot-2564-04-thai.csv",
        "tests/fixtures/elaas/snapshot-2564-04-english-bom.csv",
        "tests/fixtures/elaas/snapshot-bad-rows.csv",
    ]
    .iter()
    .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}")))
    .collect();
    let thai = String::from_utf8(seeds[0].clone()).expect("UTF-8");
    // The same in Windows-874 (TIS-620), with semicolons, with tabs.
    seeds.push(encoding_rs::WINDOWS_874.encode(&thai).0.into_owned());
    seeds.push(valid_csv(3, ';').into_bytes());
    seeds.push(valid_csv(3, '\t').into_bytes());
    seeds.push(valid_csv(40, ',').into_bytes());
    seeds
}

fn mutated_csv() -> impl Strategy<Value = Input> {
    let seeds = csv_seeds();
    (
        prop::sample::select(seeds),
        prop::collection::vec(mutation(csv_token()), 1..8),
        any::<bool>(),
    )
        .prop_map(|(seed, mutations, windows_874)| {
            let mut bytes = seed;
            for m in &mutations {
                m.apply(&mut bytes);
            }
            if windows_874 {
                // Re-encode what is still UTF-8 as Windows-874 (Thai office
                // software); what cannot be encoded becomes &#…; in text.
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    bytes = encoding_rs::WINDOWS_874.encode(text).0.into_owned();
                }
            }
            bytes.truncate(MAX_INPUT);
            Input {
                content: bytes.len(),
                bytes,
            }
        })
}

#[test]
fn mutated_csv_files_are_read_or_refused() {
    fuzz("csv", "csv", mutated_csv());
}

// ---------------------------------------------------------------------------
// (c) Mutated workbooks.

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The parts of a valid workbook: a header (shared strings), two rows of
/// numbers, inline strings and a date cell (a date style).
fn workbook_parts() -> Vec<(String, Vec<u8>)> {
    let headers = [
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
    let mut shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN_NS}" count="12" uniqueCount="12">"#
    );
    for h in headers {
        shared.push_str(&format!("<si><t>{h}</t></si>"));
    }
    shared.push_str(r#"<si><t xml:space="preserve">โครงการ &amp; ฝึกอบรม </t></si><si><r><t>ส่วน</t></r><r><t>ผสม</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si></sst>"#);
    let mut sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="A1:J3"/><sheetData><row r="1">"#
    );
    for (i, _) in headers.iter().enumerate() {
        let col = (b'A' + i as u8) as char;
        sheet.push_str(&format!(r#"<c r="{col}1" t="s"><v>{i}</v></c>"#));
    }
    sheet.push_str("</row>");
    for (r, name) in [(2, "10"), (3, "11")] {
        sheet.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"><v>7100001</v></c><c r="B{r}"><v>2564</v></c><c r="C{r}" t="inlineStr"><is><t>2564-SOC-00{r}</t></is></c><c r="D{r}" t="s"><v>{name}</v></c><c r="E{r}" s="2"><v>45000</v></c><c r="F{r}" s="2"><v>44800.5</v></c><c r="G{r}" t="str"><v>01/03/2564</v></c><c r="H{r}" s="2"><v>20000.25</v></c><c r="I{r}" s="2"><v>24999.75</v></c><c r="J{r}" s="1"><v>44286</v></c></row>"#
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><workbookPr/><sheets><sheet name="e-LAAS" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="4"/></cellXfs></styleSheet>"#
    );
    let types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;
    vec![
        ("[Content_Types].xml".into(), types.as_bytes().to_vec()),
        ("xl/workbook.xml".into(), workbook.into_bytes()),
        (
            "xl/_rels/workbook.xml.rels".into(),
            rels.as_bytes().to_vec(),
        ),
        ("xl/styles.xml".into(), styles.into_bytes()),
        ("xl/sharedStrings.xml".into(), shared.into_bytes()),
        ("xl/worksheets/sheet1.xml".into(), sheet.into_bytes()),
    ]
}

/// The parts zipped, each stored or deflated.
fn zip_parts(parts: &[(String, Vec<u8>)], stored: &[bool]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, (name, bytes)) in parts.iter().enumerate() {
        let method = if stored.get(i).copied().unwrap_or(false) {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(false);
        // A repeated name is refused by the writer: then it is left out.
        if writer.start_file(name.as_str(), options).is_ok() {
            writer.write_all(bytes).expect("write to memory");
        }
    }
    writer.finish().expect("zip in memory").into_inner()
}

/// Tokens that XML readers and the sheet's limits trip on.
fn xml_token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::sample::select(vec![
            r#"<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>"#,
            r#"<c r="IV1048576"><v>1</v></c>"#,
            r#"<c r="IW2"><v>1</v></c>"#,
            r#"<c r="ZZZZZZZZZZZZZZZZ99999999999999999999"><v>1</v></c>"#,
            r#"<c r="A0"><v>1</v></c>"#,
            r#"<c r="1A"><v>1</v></c>"#,
            r#"<c r=""><v>1</v></c>"#,
            r#"<c t="s"><v>99999999</v></c>"#,
            r#"<c t="s"><v>-1</v></c>"#,
            r#"<c t="s"><v>18446744073709551616</v></c>"#,
            r#"<c t="s"><v> 1 </v></c>"#,
            r#"<c t="d"><v>2021-02-30T00:00:00</v></c>"#,
            r#"<c t="d"><v>ก</v></c>"#,
            r#"<c t="b"><v>2</v></c>"#,
            r#"<c t="e"><v>#DIV/0!</v></c>"#,
            r#"<c s="1"><v>1e308</v></c>"#,
            r#"<c s="1"><v>-1</v></c>"#,
            r#"<c s="1"><v>2958466</v></c>"#,
            r#"<c s="99999999999"><v>1</v></c>"#,
            r#"<row r="0">"#,
            r#"<row r="18446744073709551615">"#,
            r#"<row r="1048577"><c><v>1</v></c></row>"#,
            r#"<row r="-1">"#,
            r#"<row/>"#,
            r#"</row>"#,
            r#"<c>"#,
            r#"</c>"#,
            r#"<v>"#,
            r#"</v>"#,
            r#"<dimension ref="A1:XFD1048576"/>"#,
            r#"<dimension ref="ZZZZZZ"/>"#,
            r#"<sheet name="x" r:id="rId9"/>"#,
            r#"<Relationship Id="rId1" Target="/xl/worksheets/sheet9.xml"/>"#,
            r#"<Relationship Id="rId1" Target="../../../../etc/passwd"/>"#,
            r#"<workbookPr date1904="1"/>"#,
            r#"<numFmt numFmtId="4294967296" formatCode="yyyy"/>"#,
            r#"<numFmt numFmtId="0" formatCode="dd/mm/bbbb"/>"#,
            r#"<xf numFmtId="-1"/>"#,
            r#"<si><t>x</t></si>"#,
            r#"<si/>"#,
            r#"<rPh>"#,
            r#"</rPh>"#,
            r#"</t>"#,
            "&#0;",
            "&#xD800;",
            "&#x110000;",
            "&#99999999999;",
            "&bogus;",
            "&amp",
            "&",
            "<![CDATA[x]]>",
            "<![CDATA[",
            "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>",
            "&b;",
            "<?xml version=\"1.1\"?>",
            "<!-- -->",
            "<!--",
            "\u{feff}",
            "\u{0}",
            "x:c",
            "<x:c xmlns:x=\"urn:x\" r=\"B2\"><x:v>5</x:v></x:c>",
        ])
        .prop_map(|t| t.as_bytes().to_vec()),
        // A flood of cells, distinct columns or one column repeated.
        1 => (1usize..4_000, any::<bool>()).prop_map(|(n, same)| {
            let mut s = String::new();
            for i in 0..n {
                let col = if same { 1 } else { (i % 300) as u64 + 1 };
                s.push_str(&format!(r#"<c r="{}5"><v>{i}</v></c>"#, letters(col)));
            }
            s.into_bytes()
        }),
        // Deep nesting.
        1 => (1usize..20_000, prop::sample::select(vec!["row", "c", "is", "r", "x", "rPh"])).prop_map(|(n, tag)| {
            format!("<{tag}>").repeat(n).into_bytes()
        }),
        // A huge text, past 32,767 characters.
        1 => (30_000usize..70_000, prop::sample::select(vec!["x", "ก", " ", "&amp;"])).prop_map(|(n, unit)| {
            format!(r#"<c t="inlineStr"><is><t>{}</t></is></c>"#, unit.repeat(n / unit.len().max(1))).into_bytes()
        }),
        // Many attributes.
        1 => (1usize..5_000).prop_map(|n| {
            let mut s = String::from("<c");
            for i in 0..n {
                s.push_str(&format!(" a{i}=\"{i}\""));
            }
            s.push_str(" r=\"A9\"><v>1</v></c>");
            s.into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 1..16),
    ]
}

fn letters(mut column: u64) -> String {
    let mut out = Vec::new();
    while column > 0 {
        out.push(b'A' + ((column - 1) % 26) as u8);
        column = (column - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Changes to the archive's parts before they are zipped.
#[derive(Clone, Debug)]
enum PartChange {
    Edit(Index, Mutation),
    Remove(Index),
    /// The same name twice, or in another case (Excel's names are
    /// case-insensitive).
    Duplicate(Index),
    Uppercase(Index),
    /// A part of zeros, highly compressible (a small zip bomb).
    Bomb(usize),
}

/// Changes to the zip's bytes after.
#[derive(Clone, Debug)]
enum ZipChange {
    /// A local or central header declaring another size (compressed or not).
    LieSize {
        header: Index,
        compressed: bool,
        size: u32,
    },
    /// The number of entries the end of the central directory declares.
    LieCount(u16),
    Bytes(Mutation),
}

fn part_change() -> impl Strategy<Value = PartChange> {
    prop_oneof![
        12 => (any::<Index>(), mutation(xml_token())).prop_map(|(i, m)| PartChange::Edit(i, m)),
        1 => any::<Index>().prop_map(PartChange::Remove),
        1 => any::<Index>().prop_map(PartChange::Duplicate),
        1 => any::<Index>().prop_map(PartChange::Uppercase),
        1 => (1usize..(2 << 20)).prop_map(PartChange::Bomb),
    ]
}

fn zip_change() -> impl Strategy<Value = ZipChange> {
    let byte_mutation = prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<Index>().prop_map(Mutation::Truncate),
    ];
    prop_oneof![
        3 => (any::<Index>(), any::<bool>(), prop_oneof![
            Just(0u32), Just(1), Just(u32::MAX), Just(0xFFFF_FFFE), Just(1 << 30), any::<u32>()
        ]).prop_map(|(header, compressed, size)| ZipChange::LieSize { header, compressed, size }),
        1 => any::<u16>().prop_map(ZipChange::LieCount),
        3 => byte_mutation.prop_map(ZipChange::Bytes),
    ]
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

impl ZipChange {
    fn apply(&self, zip: &mut Vec<u8>) {
        match self {
            ZipChange::LieSize {
                header,
                compressed,
                size,
            } => {
                // Local headers: sizes at 18 (compressed) and 22; central: 20 and 24.
                let mut places: Vec<usize> = find_all(zip, b"PK\x03\x04")
                    .into_iter()
                    .map(|at| at + if *compressed { 18 } else { 22 })
                    .collect();
                places.extend(
                    find_all(zip, b"PK\x01\x02")
                        .into_iter()
                        .map(|at| at + if *compressed { 20 } else { 24 }),
                );
                places.retain(|at| at + 4 <= zip.len());
                if !places.is_empty() {
                    let at = places[header.index(places.len())];
                    zip[at..at + 4].copy_from_slice(&size.to_le_bytes());
                }
            }
            ZipChange::LieCount(n) => {
                if let Some(at) = find_all(zip, b"PK\x05\x06").last() {
                    for offset in [8, 10] {
                        if at + offset + 2 <= zip.len() {
                            zip[at + offset..at + offset + 2].copy_from_slice(&n.to_le_bytes());
                        }
                    }
                }
            }
            ZipChange::Bytes(m) => m.apply(zip),
        }
    }
}

fn mutated_xlsx() -> impl Strategy<Value = Input> {
    (
        prop::collection::vec(part_change(), 0..6),
        prop::collection::vec(any::<bool>(), 8),
        prop::collection::vec(zip_change(), 0..3),
    )
        .prop_map(|(changes, stored, zip_changes)| {
            let mut parts = workbook_parts();
            for change in &changes {
                match change {
                    PartChange::Edit(i, m) if !parts.is_empty() => {
                        let i = i.index(parts.len());
                        m.apply(&mut parts[i].1);
                    }
                    PartChange::Remove(i) if !parts.is_empty() => {
                        parts.remove(i.index(parts.len()));
                    }
                    PartChange::Duplicate(i) if !parts.is_empty() => {
                        let part = parts[i.index(parts.len())].clone();
                        parts.push(part);
                    }
                    PartChange::Uppercase(i) if !parts.is_empty() => {
                        let i = i.index(parts.len());
                        parts[i].0 = parts[i].0.to_uppercase();
                    }
                    PartChange::Bomb(n) => {
                        // Replaces the sheet or shared strings (whichever
                        // comes first) with a large, repetitive part.
                        if let Some(part) = parts.iter_mut().find(|(name, _)| {
                            name.ends_with("sheet1.xml") || name.ends_with("sharedStrings.xml")
                        }) {
                            let unit = if part.0.ends_with("sheet1.xml") {
                                &b"<row><c><v>1</v></c></row>"[..]
                            } else {
                                &b"<si><t>x</t></si>"[..]
                            };
                            let mut xml = b"<x>".to_vec();
                            xml.extend(unit.iter().copied().cycle().take(*n));
                            part.1 = xml;
                        }
                    }
                    _ => {}
                }
            }
            let mut zip = zip_parts(&parts, &stored);
            for change in &zip_changes {
                change.apply(&mut zip);
            }
            // Real content: the parts uncompressed (what a reader may hold
            // is in proportion to it, not to the zip's few bytes).
            let content = parts
                .iter()
                .map(|(_, b)| b.len())
                .sum::<usize>()
                .max(zip.len());
            Input {
                bytes: zip,
                content,
            }
        })
}

#[test]
fn mutated_workbooks_are_read_or_refused() {
    fuzz("xlsx", "xlsx", mutated_xlsx());
}

// ---------------------------------------------------------------------------
// The generators' starting points are valid: the fuzzing starts from files
// that are read, so mutations reach the row checks.

#[test]
fn the_seed_files_are_read() {
    for (i, seed) in csv_seeds().iter().enumerate() {
        let parsed = check(seed, seed.len()).unwrap_or_else(|e| panic!("seed {i}: {e}"));
        if i == 2 {
            assert!(!parsed.errors.is_empty(), "the bad-rows fixture has errors");
        } else {
            assert!(parsed.errors.is_empty(), "seed {i}: {:?}", parsed.errors);
            assert!(parsed.rows.len() >= 3, "seed {i}");
        }
    }
    let parts = workbook_parts();
    let zip = zip_parts(&parts, &[]);
    let parsed = check(&zip, zip.len()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.format, Format::Xlsx);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.rows.len(), 2);
    let row = &parsed.rows[0];
    assert_eq!((row.lao_code.as_str(), row.fiscal_year), ("7100001", 2564));
    assert_eq!(row.name_th, "โครงการ & ฝึกอบรม");
    assert_eq!(parsed.rows[1].name_th, "ส่วนผสม");
    assert_eq!(
        row.as_of,
        chrono::NaiveDate::from_ymd_opt(2021, 3, 31).expect("a date")
    );
    assert_eq!(row.contract_amount, rust_decimal::Decimal::new(448005, 1));
}

// ---------------------------------------------------------------------------
// Regression fixtures.

/// Every file of tests/fixtures/fuzz, named `<what>.<OUTCOME>.<csv|xlsx|bin>`:
/// OUTCOME is the code of its last error (`SHEET_TOO_LARGE`, …) or `ROWS`
/// for a file read without error. Each is held to the fuzzers' property too
/// (memory in proportion to its size, no panic).
#[test]
fn fuzz_fixtures_replay_with_their_outcome() {
    let dir = std::path::Path::new("tests/fixtures/fuzz");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).expect("a name");
        let expected = name
            .rsplit('.')
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no outcome in the name"));
        let bytes = std::fs::read(&path).expect("a fixture");
        let content = zip_content(&bytes).unwrap_or(bytes.len());
        let started = Instant::now();
        let parsed = std::panic::catch_unwind(|| check(&bytes, content))
            .unwrap_or_else(|_| panic!("{name}: the reader panicked"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // (The header of 160,000 tabs took 8 s before its fix.)
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(4), "{name}: {elapsed:?}");
        let got = parsed.errors.last().map(|e| e.code).unwrap_or("ROWS");
        assert_eq!(got, expected, "{name}: {:?}", parsed.errors);
    }
}

/// What a zip archive holds, uncompressed (each entry read up to 64 MiB);
/// `None` when the bytes are no zip archive.
fn zip_content(bytes: &[u8]) -> Option<usize> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut total = 0usize;
    for i in 0..archive.len() {
        if let Ok(entry) = archive.by_index(i) {
            let mut limited = std::io::Read::take(entry, 64 << 20);
            total += std::io::copy(&mut limited, &mut std::io::sink()).unwrap_or(0) as usize;
        }
    }
    Some(total.max(bytes.len()))
}

/// Writes the hostile files kept in tests/fixtures/fuzz beside the ones the
/// fuzzers found (`cargo test --test elaas_fuzz -- --ignored`); their
/// outcomes are checked by `fuzz_fixtures_replay_with_their_outcome`.
#[test]
#[ignore]
fn write_hostile_fixtures() {
    let dir = std::path::Path::new("tests/fixtures/fuzz");
    std::fs::create_dir_all(dir).expect("the fixtures folder");
    let write =
        |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).expect("a fixture");
    let with_sheet = |edit: &dyn Fn(String) -> String| {
        let mut parts = workbook_parts();
        let sheet = parts
            .iter_mut()
            .find(|(n, _)| n.ends_with("sheet1.xml"))
            .expect("a sheet");
        sheet.1 = edit(String::from_utf8(sheet.1.clone()).expect("UTF-8")).into_bytes();
        zip_parts(&parts, &[])
    };
    let in_row_3 = |xml: &'static str| {
        move |sheet: String| {
            sheet.replacen("</row></sheetData>", &format!("{xml}</row></sheetData>"), 1)
        }
    };

    // CSV.
    let mut flood = HEADER_EN.to_string();
    flood.push_str(&"1\n".repeat(32_000));
    write(
        "flood-of-one-cell-lines.TOO_MANY_ERRORS.csv",
        flood.as_bytes(),
    );
    let mut wide = HEADER_EN.to_string();
    wide.push_str(&",".repeat(40_000));
    wide.push_str("x\n");
    write("value-past-column-256.SHEET_TOO_LARGE.csv", wide.as_bytes());
    let mut undefined = encoding_rs::WINDOWS_874
        .encode(&valid_csv(2, ','))
        .0
        .into_owned();
    undefined.extend_from_slice(b"\xDB\xFC\n");
    write(
        "windows-874-undefined-bytes.UNREADABLE_FILE.csv",
        &undefined,
    );
    write(
        "nul-in-text.UNREADABLE_FILE.csv",
        format!("{}\0\n", valid_csv(1, ',')).as_bytes(),
    );
    let mut huge = HEADER_EN.to_string();
    huge.push_str(&format!(
        "7100001,2564,A1,\"{}\",1,0,,0,1,30/04/2564\n",
        "ก".repeat(70_000)
    ));
    write("huge-quoted-field.ROWS.csv", huge.as_bytes());
    write(
        "unclosed-quote.MISSING_COLUMN.csv",
        b"\"lao_code,fiscal_year\n7100001,2564\n",
    );
    let mut xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    xls.resize(512, 0);
    write("old-xls.UNREADABLE_FILE.bin", &xls);

    // Workbooks.
    write(
        "cell-at-XFD1048576.SHEET_TOO_LARGE.xlsx",
        &with_sheet(&in_row_3(
            r#"<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>"#,
        )),
    );
    write(
        "reference-past-u64.SHEET_TOO_LARGE.xlsx",
        &with_sheet(&in_row_3(
            r#"<c r="ZZZZZZZZZZZZZZZZ99999999999999999999999"><v>1</v></c>"#,
        )),
    );
    write(
        "bogus-dimension.ROWS.xlsx",
        &with_sheet(&|s| {
            s.replace(
                r#"<dimension ref="A1:J3"/>"#,
                r#"<dimension ref="A1:XFD1048576"/>"#,
            )
        }),
    );
    write(
        "shared-string-index-out-of-range.UNREADABLE_FILE.xlsx",
        &with_sheet(&|s| s.replace(r#"t="s"><v>11</v>"#, r#"t="s"><v>99999999</v>"#)),
    );
    write(
        "one-column-repeated.SHEET_TOO_LARGE.xlsx",
        &with_sheet(&|s| {
            let cells = r#"<c r="A3"><v>1</v></c>"#.repeat(300);
            s.replacen(
                "</row></sheetData>",
                &format!("{cells}</row></sheetData>"),
                1,
            )
        }),
    );
    write(
        "deep-nesting.UNREADABLE_FILE.xlsx",
        &with_sheet(&|s| {
            s.replacen(
                "<sheetData>",
                &format!("<sheetData>{}", "<row><c><is>".repeat(20_000)),
                1,
            )
        }),
    );
    write(
        "cell-over-32767-characters.SHEET_TOO_LARGE.xlsx",
        &with_sheet(&in_row_3(Box::leak(
            format!(
                r#"<c r="K3" t="inlineStr"><is><t>{}</t></is></c>"#,
                "x".repeat(40_000)
            )
            .into_boxed_str(),
        ))),
    );
    let valid = zip_parts(&workbook_parts(), &[]);
    write(
        "truncated-zip.UNREADABLE_FILE.xlsx",
        &valid[..valid.len() / 2],
    );
    // A zip bomb: 8 MiB of shared strings deflated about a thousand to one.
    let mut parts = workbook_parts();
    let shared = parts
        .iter_mut()
        .find(|(n, _)| n.ends_with("sharedStrings.xml"))
        .expect("strings");
    let mut xml =
        br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>"#
            .to_vec();
    xml.resize(xml.len() + (8 << 20), b'x');
    xml.extend_from_slice(b"</t></si></sst>");
    shared.1 = xml;
    let bomb = zip_parts(&parts, &[]);
    write("shared-strings-bomb.SHEET_TOO_LARGE.xlsx", &bomb);
    // The same, its sizes lying (declared 1,000 bytes): read through the budget.
    let mut lying = bomb.clone();
    for header in [b"PK\x03\x04", b"PK\x01\x02"] {
        for at in find_all(&lying, header) {
            let name_at = at + if header == b"PK\x03\x04" { 30 } else { 46 };
            if lying[name_at..].starts_with(b"xl/sharedStrings.xml") {
                let size_at = at + if header == b"PK\x03\x04" { 22 } else { 24 };
                lying[size_at..size_at + 4].copy_from_slice(&1000u32.to_le_bytes());
            }
        }
    }
    write("shared-strings-lying-size.UNREADABLE_FILE.xlsx", &lying);
}
