//! Input checks shared by every domain; each failure names the offending field.

use crate::error::{AppError, AppResult};

/// A trimmed, non-empty single-line text of at most `max_chars` characters.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::bad_input(field, "must not be empty"));
    }
    optional_text(field, value, max_chars)
}

/// A trimmed text (possibly empty) of at most `max_chars` characters, without control
/// characters other than line breaks and tabs.
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> AppResult<String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

pub fn email(field: &str, value: &str) -> AppResult<String> {
    let value = crate::auth::service::normalize_email(value);
    let valid = value.len() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(value)
    } else {
        Err(AppError::bad_input(field, "is not an email address"))
    }
}

pub fn time_zone(field: &str, value: &str) -> AppResult<String> {
    value
        .trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| AppError::bad_input(field, "is not an IANA time zone name"))
}

/// A finite number (GraphQL floats can't carry NaN, but be explicit about infinities).
pub fn finite(field: &str, value: f64) -> AppResult<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(AppError::bad_input(field, "must be a finite number"))
    }
}

pub const NAME_MAX: usize = 200;
pub const LONG_TEXT_MAX: usize = 10_000;
pub const URL_MAX: usize = 2_000;
