//! Scalars and value types shared by every domain: money, Buddhist-Era dates,
//! fiscal years.

pub mod money;
pub mod thai_date;

pub use money::Money;
pub use thai_date::{fiscal_quarter, fiscal_year_of, fiscal_year_range, format_be, parse_be};
