//! KPI numbers (SPEC §4): decimals with at most four decimal places, read from the exact text
//! a client sent, kept as decimal strings, and computed with `rust_decimal` — never through a
//! binary float, so `0.3 − 0.1` is `0.2`.
//!
//! - Accepted: an optional `-`, at most 15 integer digits, and optionally `.` followed by one
//!   to four digits (`12`, `-0.5`, `99.1234`). Anything else — more decimal places (even
//!   trailing zeros), exponents, `+`, spaces, `NaN`, a lone `.` — is refused.
//! - `variance = actual − goal`, exact (no rounding: both have at most four places).
//! - `variancePercent = variance ÷ |goal| × 100`, rounded to 2 decimal places, midpoint away
//!   from zero (`0.125` → `0.13`, `-0.125` → `-0.13`); `null` when the goal is 0. Dividing by
//!   `|goal|` keeps the sign of the variance: above goal is positive, below is negative.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{AppError, AppResult};

pub const MAX_SCALE: u32 = 4;
const MAX_INTEGER_DIGITS: usize = 15;
pub const PERCENT_SCALE: u32 = 2;

/// Parses a KPI number under the rules above; errors name `field`.
pub fn parse(field: &str, raw: &str) -> AppResult<Decimal> {
    let refuse = |why: &str| AppError::bad_input(field, why.to_owned());
    let unsigned = raw.strip_prefix('-').unwrap_or(raw);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(integer) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(refuse(
            "must be a decimal number such as 12, -3.5 or 0.1234",
        ));
    }
    if integer.len() > MAX_INTEGER_DIGITS {
        return Err(refuse(
            "must have at most 15 digits before the decimal point",
        ));
    }
    if fraction.is_some_and(|f| f.len() > MAX_SCALE as usize) {
        return Err(refuse("must have at most 4 decimal places"));
    }
    Decimal::from_str_exact(raw)
        .map(|d| d.normalize())
        .map_err(|_| refuse("must be a decimal number"))
}

/// `actual − goal`, exact.
pub fn variance(goal: Decimal, actual: Decimal) -> Decimal {
    (actual - goal).normalize()
}

/// `variance ÷ |goal| × 100` to two places (midpoint away from zero); `None` for goal 0.
pub fn variance_percent(goal: Decimal, actual: Decimal) -> Option<Decimal> {
    if goal.is_zero() {
        return None;
    }
    let percent = variance(goal, actual)
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(goal.abs())?;
    Some(
        percent
            .round_dp_with_strategy(PERCENT_SCALE, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
    )
}

/// The text a decimal is shown and stored as: no exponent, no trailing zeros, no `-0`.
pub fn to_text(value: Decimal) -> String {
    let value = value.normalize();
    if value.is_zero() {
        "0".into()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse("x", s).unwrap()
    }

    #[test]
    fn accepts_up_to_four_places() {
        for (raw, shown) in [
            ("12", "12"),
            ("-3.5", "-3.5"),
            ("0.1234", "0.1234"),
            ("99.1000", "99.1"),
            ("-0", "0"),
            ("000123.4", "123.4"),
            ("999999999999999.9999", "999999999999999.9999"),
        ] {
            assert_eq!(to_text(d(raw)), shown, "{raw}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for raw in [
            "0.12345",
            "1.00000",
            "1e3",
            "1E-2",
            "+1",
            " 1",
            "1 ",
            "",
            "-",
            ".",
            ".5",
            "5.",
            "NaN",
            "inf",
            "1,5",
            "0x10",
            "--1",
            "1234567890123456",
        ] {
            let err = parse("steps[0].kpiRows[0].goal", raw).unwrap_err();
            match err {
                AppError::BadUserInput { field, .. } => {
                    assert_eq!(field, "steps[0].kpiRows[0].goal", "{raw:?}")
                }
                other => panic!("{raw:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn variance_is_exact() {
        assert_eq!(to_text(variance(d("0.1"), d("0.3"))), "0.2");
        assert_eq!(to_text(variance(d("0.3"), d("0.1"))), "-0.2");
        assert_eq!(to_text(variance(d("0.1"), d("0.1"))), "0");
        assert_eq!(
            to_text(variance(
                d("-999999999999999.9999"),
                d("999999999999999.9999")
            )),
            "1999999999999999.9998"
        );
        assert_eq!(to_text(variance(d("0.0001"), d("0.0003"))), "0.0002");
    }

    #[test]
    fn variance_percent_rounds_half_away_from_zero() {
        assert_eq!(variance_percent(d("0"), d("5")), None);
        assert_eq!(to_text(variance_percent(d("80"), d("90")).unwrap()), "12.5");
        assert_eq!(
            to_text(variance_percent(d("90"), d("80")).unwrap()),
            "-11.11"
        );
        // 1/8 % = 0.125 → 0.13; −0.125 → −0.13.
        assert_eq!(
            to_text(variance_percent(d("800"), d("801")).unwrap()),
            "0.13"
        );
        assert_eq!(
            to_text(variance_percent(d("800"), d("799")).unwrap()),
            "-0.13"
        );
        // 2/3 % → 0.67.
        assert_eq!(
            to_text(variance_percent(d("300"), d("302")).unwrap()),
            "0.67"
        );
        // A negative goal divides by its magnitude: above goal stays positive.
        assert_eq!(to_text(variance_percent(d("-10"), d("-5")).unwrap()), "50");
        assert_eq!(
            to_text(variance_percent(d("0.1"), d("0.3")).unwrap()),
            "200"
        );
        // Extremes do not overflow.
        assert!(variance_percent(d("0.0001"), d("999999999999999.9999")).is_some());
    }
}
