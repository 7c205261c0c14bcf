//! Buddhist-Era dates (`24/09/2563`) and Thai fiscal years.
//!
//! BE = CE + 543. Fiscal year (ปีงบประมาณ) N runs from 1 October of BE N-1 to
//! 30 September of BE N.

use chrono::{Datelike, NaiveDate};

/// The Buddhist Era is 543 years ahead of the Common Era.
pub const BE_OFFSET: i32 = 543;

/// Why a Buddhist-Era date was refused; each says it in Thai and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeDateError {
    #[error("วันที่ต้องอยู่ในรูปแบบ วว/ดด/ปปปป (พ.ศ.) / a date must be dd/mm/yyyy in the Buddhist Era: \"{0}\"")]
    Format(String),
    #[error("ปี {year} ดูเหมือน ค.ศ.; ใช้ พ.ศ. {be} / the year {year} looks like the Common Era; use the Buddhist Era {be}")]
    CommonEraYear { year: i32, be: i32 },
    #[error("ไม่มีวันที่นี้ในปฏิทิน / no such date: \"{0}\"")]
    NoSuchDate(String),
}

/// Formats a date as Thai people read it: `dd/mm/yyyy` in the Buddhist Era.
pub fn format_be(date: NaiveDate) -> String {
    format!(
        "{:02}/{:02}/{}",
        date.day(),
        date.month(),
        date.year() + BE_OFFSET
    )
}

/// Parses `dd/mm/yyyy` in the Buddhist Era. A Common-Era year (before 2400)
/// is refused with a hint, and so is a day that does not exist (`31/02/2564`).
pub fn parse_be(text: &str) -> Result<NaiveDate, BeDateError> {
    let trimmed = text.trim();
    let parts: Vec<&str> = trimmed.split('/').collect();
    let [d, m, y] = parts.as_slice() else {
        return Err(BeDateError::Format(trimmed.to_string()));
    };
    let number = |s: &str, max_len: usize| -> Result<u32, BeDateError> {
        if s.is_empty() || s.len() > max_len || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(BeDateError::Format(trimmed.to_string()));
        }
        s.parse()
            .map_err(|_| BeDateError::Format(trimmed.to_string()))
    };
    let (day, month) = (number(d, 2)?, number(m, 2)?);
    let year =
        i32::try_from(number(y, 4)?).map_err(|_| BeDateError::Format(trimmed.to_string()))?;
    if y.len() != 4 {
        return Err(BeDateError::Format(trimmed.to_string()));
    }
    if year < 2400 {
        return Err(BeDateError::CommonEraYear {
            year,
            be: year + BE_OFFSET,
        });
    }
    NaiveDate::from_ymd_opt(year - BE_OFFSET, month, day)
        .ok_or_else(|| BeDateError::NoSuchDate(trimmed.to_string()))
}

/// The fiscal year (BE) a date falls in.
pub fn fiscal_year_of(date: NaiveDate) -> i32 {
    let be = date.year() + BE_OFFSET;
    if date.month() >= 10 {
        be + 1
    } else {
        be
    }
}

/// First and last day of fiscal year `fy` (BE).
pub fn fiscal_year_range(fy: i32) -> Option<(NaiveDate, NaiveDate)> {
    let ce = fy - BE_OFFSET;
    Some((
        NaiveDate::from_ymd_opt(ce - 1, 10, 1)?,
        NaiveDate::from_ymd_opt(ce, 9, 30)?,
    ))
}

/// The fiscal quarter (ไตรมาส) of a date: Q1 is October–December.
pub fn fiscal_quarter(date: NaiveDate) -> u32 {
    ((date.month() + 2) % 12) / 3 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn round_trips_the_manual_example() {
        assert_eq!(parse_be("24/09/2563"), Ok(ymd(2020, 9, 24)));
        assert_eq!(format_be(ymd(2020, 9, 24)), "24/09/2563");
        assert_eq!(parse_be("1/10/2563"), Ok(ymd(2020, 10, 1)));
    }

    #[test]
    fn refuses_bad_dates() {
        assert_eq!(
            parse_be("31/02/2564"),
            Err(BeDateError::NoSuchDate("31/02/2564".into()))
        );
        assert_eq!(
            parse_be("24/09/2021"),
            Err(BeDateError::CommonEraYear {
                year: 2021,
                be: 2564
            })
        );
        assert!(matches!(
            parse_be("2021-09-24"),
            Err(BeDateError::Format(_))
        ));
        assert!(matches!(parse_be("24/09/63"), Err(BeDateError::Format(_))));
    }

    #[test]
    fn fiscal_years_and_quarters() {
        assert_eq!(fiscal_year_of(ymd(2020, 10, 1)), 2564);
        assert_eq!(fiscal_year_of(ymd(2021, 9, 30)), 2564);
        assert_eq!(
            fiscal_year_range(2564),
            Some((ymd(2020, 10, 1), ymd(2021, 9, 30)))
        );
        assert_eq!(fiscal_quarter(ymd(2020, 10, 1)), 1);
        assert_eq!(fiscal_quarter(ymd(2020, 12, 31)), 1);
        assert_eq!(fiscal_quarter(ymd(2021, 1, 1)), 2);
        assert_eq!(fiscal_quarter(ymd(2021, 9, 30)), 4);
    }
}

/// Serde helpers for Buddhist-Era dates in data files (`"24/09/2563"`).
pub mod serde_be {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer};

    /// Deserialises a required BE date.
    pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_be(&text).map_err(serde::de::Error::custom)
    }

    /// Deserialises an optional BE date.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::parse_be(&text)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}
