//! Relay cursor connections: `first`/`after`, a maximum page size, stable
//! ordering, and `totalCount` (counted only when asked for).
//!
//! Cursors are opaque: `k:<id>` continues a list ordered by id (keyset, so a
//! page never shifts when rows are added), `o:<offset>` a list ranked by a
//! search score.

use crate::error::{AppError, AppResult};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, OutputType, SimpleObject};
use base64::Engine as _;

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// Largest `first` accepted.
pub const MAX_PAGE_SIZE: i64 = 100;

/// Code of the error for a page size over the limit.
pub const PAGE_SIZE_CODE: &str = "PAGE_SIZE_EXCEEDED";

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    /// Rows after this id (keyset), or
    pub after_id: Option<i64>,
    /// rows after this many (ranked lists).
    pub offset: i64,
    /// Rows wanted; the query fetches one more to learn if there is a next page.
    pub limit: i64,
}

impl Page {
    /// Reads `first` and `after`, refusing a page over [`MAX_PAGE_SIZE`] and
    /// a cursor this server did not make.
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Page> {
        let limit = i64::from(first.unwrap_or(DEFAULT_PAGE_SIZE as i32));
        if !(0..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(AppError::validation(
                "first",
                PAGE_SIZE_CODE,
                format!("ขอได้ครั้งละไม่เกิน {MAX_PAGE_SIZE} รายการ"),
                format!("first must be between 0 and {MAX_PAGE_SIZE}"),
            ));
        }
        let mut page = Page {
            after_id: None,
            offset: 0,
            limit,
        };
        if let Some(cursor) = after {
            match decode(cursor) {
                Some(Cursor::Key(id)) => page.after_id = Some(id),
                Some(Cursor::Offset(n)) => page.offset = n,
                None => {
                    return Err(AppError::validation(
                        "after",
                        crate::error::codes::INVALID_INPUT,
                        "cursor ไม่ถูกต้อง",
                        "the cursor is not one this server made",
                    ))
                }
            }
        }
        Ok(page)
    }

    /// LIMIT for the query: one more than wanted.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

enum Cursor {
    Key(i64),
    Offset(i64),
}

fn encode(c: Cursor) -> String {
    let raw = match c {
        Cursor::Key(id) => format!("k:{id}"),
        Cursor::Offset(n) => format!("o:{n}"),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode(cursor: &str) -> Option<Cursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, n) = text.split_once(':')?;
    let n: i64 = n.parse().ok()?;
    match kind {
        "k" if n >= 0 => Some(Cursor::Key(n)),
        "o" if n >= 0 => Some(Cursor::Offset(n)),
        _ => None,
    }
}

/// Extra fields of every connection.
#[derive(SimpleObject, Debug, Clone, Copy, Default)]
pub struct ListTotals {
    /// How many rows match, over all pages.
    pub total_count: i64,
}

/// A connection of `T`.
pub type List<T> = Connection<String, T, ListTotals>;

/// Whether the caller asked for `totalCount` on this field.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Builds a connection from up to `page.fetch()` rows.
///
/// `key` gives each row's id; with `ranked` the cursors are offsets instead.
pub fn connection<T: OutputType>(
    mut rows: Vec<T>,
    page: Page,
    total: i64,
    ranked: bool,
    key: impl Fn(&T) -> i64,
) -> List<T> {
    let has_next = rows.len() as i64 > page.limit;
    rows.truncate(page.limit.max(0) as usize);
    let has_previous = page.after_id.is_some() || page.offset > 0;
    let mut conn = Connection::with_additional_fields(
        has_previous,
        has_next,
        ListTotals { total_count: total },
    );
    for (i, row) in rows.into_iter().enumerate() {
        let cursor = if ranked {
            Cursor::Offset(page.offset + i as i64 + 1)
        } else {
            Cursor::Key(key(&row))
        };
        conn.edges.push(Edge::new(encode(cursor), row));
    }
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_limits_hold() {
        let after = encode(Cursor::Key(42));
        assert_eq!(Page::new(Some(5), Some(&after)).unwrap().after_id, Some(42));
        let offset = encode(Cursor::Offset(10));
        assert_eq!(Page::new(None, Some(&offset)).unwrap().offset, 10);
        assert_eq!(Page::new(None, None).unwrap().limit, DEFAULT_PAGE_SIZE);
        assert_eq!(
            Page::new(Some(101), None).unwrap_err().code(),
            PAGE_SIZE_CODE
        );
        assert!(Page::new(Some(-1), None).is_err());
        assert!(Page::new(None, Some("garbage")).is_err());
    }
}
