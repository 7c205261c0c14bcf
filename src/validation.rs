//! Checking what a caller sends: every rule that fails adds an error naming
//! its field, in Thai and English, with a stable code; a write goes ahead only
//! when none failed.

use crate::error::{codes, AppError, AppResult, FieldError};
use crate::types::thai_date::{format_be, parse_be, BeDateError};
use crate::types::Money;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Collects the errors of one input.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an error on `field`.
    pub fn error(
        &mut self,
        field: &str,
        code: &'static str,
        th: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.errors.push(FieldError {
            field: field.to_string(),
            code,
            message_th: th.into(),
            message_en: en.into(),
        });
    }

    /// Whether any rule failed so far.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Ok when nothing failed, else every error.
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }

    /// A required text: present and not blank ([`is_blank`]). Returns it
    /// tidied ([`tidy`]): NFC, without invisible characters at the ends.
    pub fn required(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        match Self::optional(value) {
            Some(v) => Some(v),
            None => {
                self.error(field, codes::REQUIRED, "ต้องกรอกข้อมูลนี้", "is required");
                None
            }
        }
    }

    /// An optional text: tidied ([`tidy`]); blank ([`is_blank`]) becomes none.
    pub fn optional(value: Option<&str>) -> Option<String> {
        value.filter(|v| !is_blank(v)).map(tidy)
    }

    /// A Buddhist-Era date `dd/mm/yyyy`.
    pub fn date(&mut self, field: &str, text: &str) -> Option<NaiveDate> {
        match parse_be(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let (th, en) = match &e {
                    BeDateError::Format(t) => (
                        format!("วันที่ต้องอยู่ในรูปแบบ วว/ดด/ปปปป (พ.ศ.) เช่น 24/09/2563: \"{t}\""),
                        format!("must be a date dd/mm/yyyy in the Buddhist Era, e.g. 24/09/2563: \"{t}\""),
                    ),
                    BeDateError::CommonEraYear { year, be } => (
                        format!("ปี {year} เป็น ค.ศ.; ใช้ พ.ศ. {be}"),
                        format!("the year {year} is in the Common Era; use the Buddhist Era year {be}"),
                    ),
                    BeDateError::NoSuchDate(t) => (
                        format!("ไม่มีวันที่นี้ในปฏิทิน: \"{t}\""),
                        format!("there is no such date: \"{t}\""),
                    ),
                };
                self.error(field, codes::INVALID_DATE, th, en);
                None
            }
        }
    }

    /// A required Buddhist-Era date.
    pub fn required_date(&mut self, field: &str, text: Option<&str>) -> Option<NaiveDate> {
        let text = self.required(field, text)?;
        self.date(field, &text)
    }

    /// An optional Buddhist-Era date.
    pub fn optional_date(&mut self, field: &str, text: Option<&str>) -> Option<NaiveDate> {
        let text = Self::optional(text)?;
        self.date(field, &text)
    }

    /// A date that must lie between `from` and `to` (inclusive).
    pub fn date_within(
        &mut self,
        field: &str,
        date: NaiveDate,
        from: NaiveDate,
        to: NaiveDate,
        what_th: &str,
        what_en: &str,
    ) {
        if date < from || date > to {
            self.error(
                field,
                codes::DATE_OUT_OF_RANGE,
                format!("ต้องอยู่ใน{what_th} ({} – {})", format_be(from), format_be(to)),
                format!(
                    "must lie within {what_en} ({} – {})",
                    format_be(from),
                    format_be(to)
                ),
            );
        }
    }

    /// An amount of money: a number ≥ 0 with at most two decimals.
    pub fn money(&mut self, field: &str, text: &str) -> Option<Decimal> {
        match Money::parse(text) {
            Ok(m) => Some(m.0),
            Err(why) => {
                let th = match why {
                    "negative" => "จำนวนเงินต้องไม่ติดลบ",
                    "more than two decimals" => "จำนวนเงินมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง",
                    _ => "จำนวนเงินไม่ถูกต้อง",
                };
                self.error(
                    field,
                    codes::INVALID_MONEY,
                    format!("{th}: \"{text}\""),
                    format!("must be an amount ≥ 0 with at most two decimals ({why}): \"{text}\""),
                );
                None
            }
        }
    }

    /// A Thai phone number: 9 digits (landline, 0X…) or 10 (mobile, 06/08/09…),
    /// with or without dashes and spaces, or +66 instead of the leading 0.
    /// Returns the digits.
    pub fn phone(&mut self, field: &str, text: &str) -> Option<String> {
        let compact: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let digits = match compact.strip_prefix("+66") {
            Some(rest) => format!("0{rest}"),
            None => compact,
        };
        let ok = digits.chars().all(|c| c.is_ascii_digit())
            && digits.starts_with('0')
            && !digits.starts_with("00")
            && match digits.len() {
                9 => true,
                10 => matches!(digits.as_bytes()[1], b'6' | b'8' | b'9'),
                _ => false,
            };
        if ok {
            Some(digits)
        } else {
            self.error(
                field,
                codes::INVALID_PHONE,
                format!("เบอร์โทรศัพท์ไม่ถูกต้อง (เช่น 034-123-456 หรือ 081-234-5678): \"{text}\""),
                format!(
                    "is not a Thai phone number (e.g. 034-123-456 or 081-234-5678): \"{text}\""
                ),
            );
            None
        }
    }

    /// A point inside Thailand's bounding box.
    pub fn location(&mut self, field: &str, latitude: f64, longitude: f64) {
        let inside = (5.5..=20.5).contains(&latitude) && (97.3..=105.7).contains(&longitude);
        if !inside {
            self.error(
                field,
                codes::OUTSIDE_THAILAND,
                format!("พิกัด {latitude}, {longitude} อยู่นอกประเทศไทย"),
                format!("the point {latitude}, {longitude} is outside Thailand"),
            );
        }
    }
}

/// The code points Tidtam counts as invisible: Unicode's `White_Space` and
/// `Default_Ignorable_Code_Point` properties (spaces, U+00A0 NO-BREAK SPACE,
/// U+200B ZERO WIDTH SPACE, the joiners U+200C/U+200D, U+2060 WORD JOINER,
/// U+FEFF, U+180E, soft hyphen, variation selectors, …), as inclusive
/// ranges. Generated by `scripts/invisible-table.pl` from perl's Unicode
/// database (Unicode 14.0). The script also prints the same ranges as a
/// PostgreSQL regex class, for the database's CHECKs.
const INVISIBLE: [(u32, u32); 23] = [
    (0x0009, 0x000D),
    (0x0020, 0x0020),
    (0x0085, 0x0085),
    (0x00A0, 0x00A0),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x1680, 0x1680),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x206F),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Whether a character is invisible: white space or a default-ignorable
/// format character (see [`INVISIBLE`]).
pub fn is_invisible(c: char) -> bool {
    let c = u32::from(c);
    INVISIBLE
        .binary_search_by(|&(from, to)| {
            if to < c {
                std::cmp::Ordering::Less
            } else if from > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Blank: nothing is left once the invisible characters are taken out —
/// the one notion of "blank" of every required text. Thai text copied from Word or the web
/// carries zero-width spaces and joiners; a name of only those is blank.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(is_invisible)
}

/// Text as stored: NFC (so that search and uniqueness see what the officer
/// sees, whichever way the keyboard composed it), without invisible
/// characters at either end.
pub fn tidy(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = text.nfc().collect();
    nfc.trim_matches(is_invisible).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        let mut v = Validator::new();
        assert_eq!(v.phone("p", "034-000-000").as_deref(), Some("034000000"));
        assert_eq!(v.phone("p", "081 234 5678").as_deref(), Some("0812345678"));
        assert_eq!(
            v.phone("p", "+66 81 234 5678").as_deref(),
            Some("0812345678")
        );
        assert!(!v.failed());
        assert_eq!(v.phone("p", "12345"), None);
        assert_eq!(
            v.phone("p", "0212345678"),
            None,
            "10 digits must be a mobile"
        );
        assert_eq!(v.phone("p", "โทร 081"), None);
        assert!(v.finish().is_err());
    }

    #[test]
    fn dates_and_money_name_their_field() {
        let mut v = Validator::new();
        assert_eq!(v.date("input.startDate", "31/02/2564"), None);
        assert_eq!(v.money("input.amount", "1.234"), None);
        assert_eq!(
            v.money("input.amount2", "20,000.50")
                .map(|d| d.to_string())
                .as_deref(),
            Some("20000.50")
        );
        let Err(AppError::Invalid(errors)) = v.finish() else {
            panic!("must fail")
        };
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "input.startDate");
        assert_eq!(errors[0].code, codes::INVALID_DATE);
        assert_eq!(errors[1].code, codes::INVALID_MONEY);
    }

    #[test]
    fn invisible_text_is_blank() {
        for blank in [
            "",
            " ",
            "\u{200B}\u{200B}",
            "\u{200B}",
            "\u{00A0}\u{FEFF}",
            "\u{2060}\u{200C}\u{200D}",
            "\u{180E}",
            "\t\u{3000}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
            let mut v = Validator::new();
            assert_eq!(v.required("input.name", Some(blank)), None);
            let Err(AppError::Invalid(errors)) = v.finish() else {
                panic!("{blank:?} must be refused")
            };
            assert_eq!(
                (errors[0].field.as_str(), errors[0].code),
                ("input.name", codes::REQUIRED)
            );
        }
        assert!(!is_blank("\u{200B}ก\u{200B}"));
        assert_eq!(tidy("\u{200B} โครงการ\u{200D}\u{00A0}"), "โครงการ");
        // e + combining acute → é (NFC); the inner ZWSP stays.
        assert_eq!(tidy("e\u{0301}\u{200B}x"), "\u{00E9}\u{200B}x");
    }
}
