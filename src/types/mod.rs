//! Scalars and value types shared by every domain: money, Buddhist-Era dates,
//! fiscal years, global ids.

pub mod be_date;
pub mod global_id;
pub mod money;
pub mod thai_date;

pub use be_date::DateBe;
pub use money::Money;
pub use thai_date::{fiscal_quarter, fiscal_year_of, fiscal_year_range, format_be, parse_be};
