//! Money: baht with satang, a `Decimal` never a float, shown as `"20000.00"`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::Decimal;
use std::str::FromStr;

/// An amount in baht, with at most two decimals (satang).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub Decimal);

impl Money {
    /// Parses `"20000"`, `"20000.5"`, `"20,000.00"`; refuses more than two
    /// decimals, a negative amount, and anything that is not a number.
    pub fn parse(text: &str) -> Result<Money, &'static str> {
        let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
        let value = Decimal::from_str(&cleaned).map_err(|_| "not a number")?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err("negative");
        }
        if value.normalize().scale() > 2 {
            return Err("more than two decimals");
        }
        Ok(Money(value.round_dp(2)))
    }

    /// `20000.00`: always two decimals.
    pub fn to_plain(self) -> String {
        format!("{:.2}", self.0)
    }
}

impl From<Decimal> for Money {
    fn from(d: Decimal) -> Self {
        Money(d)
    }
}

/// Baht with satang as a decimal string, e.g. `"20000.00"`. Never a float.
#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        Money::parse(&text).map_err(|why| {
            InputValueError::custom(format!(
                "จำนวนเงินไม่ถูกต้อง ({why}) / invalid amount of money ({why}): \"{text}\""
            ))
        })
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_plain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_and_formats() {
        assert_eq!(Money::parse("20,000").unwrap().to_plain(), "20000.00");
        assert_eq!(Money::parse("0.5").unwrap().0, dec!(0.50));
        assert_eq!(Money::parse("1.234"), Err("more than two decimals"));
        assert_eq!(Money::parse("-1"), Err("negative"));
        assert_eq!(Money::parse("abc"), Err("not a number"));
        assert_eq!(Money(dec!(1234.5)).to_plain(), "1234.50");
    }
}
