//! The `DateBE` scalar: a date as Thai people type it, `dd/mm/yyyy` in the
//! Buddhist Era, for filters and inputs.

use super::thai_date::{format_be, parse_be};
use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A date in the Buddhist Era, `dd/mm/yyyy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateBe(pub NaiveDate);

/// A date in the Buddhist Era as `dd/mm/yyyy`, e.g. "24/09/2563".
#[Scalar(name = "DateBE")]
impl ScalarType for DateBe {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_be(s)
                .map(DateBe)
                .map_err(|e| InputValueError::custom(e.to_string())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format_be(self.0))
    }
}
