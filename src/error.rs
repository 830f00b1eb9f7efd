//! The one error type of the API and its mapping to GraphQL `extensions.code` (SPEC §8).
//!
//! `AppError` deliberately does not implement `Display`: async-graphql turns any `Display`
//! error into a client-visible message, so a stray `?` on a database error would leak its
//! text. Every error reaches the client through `From<AppError> for async_graphql::Error`,
//! where internal causes are logged and replaced by a generic message.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};
use serde_json::Value;

#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    FeatureDisabled,
    Forbidden,
    NotFound,
    BadUserInput {
        field: String,
        message: String,
        /// More `extensions` naming where the input is wrong (e.g. `stepId`, `row`).
        details: Vec<(String, Value)>,
    },
    Conflict {
        message: String,
        details: Vec<(String, Value)>,
    },
    Immutable,
    PayloadTooLarge,
    UnsupportedMediaType(String),
    RateLimited {
        retry_after_secs: u64,
    },
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// `bad_input` with more extensions, e.g. `stepId` and `row` of a coaching answer.
    pub fn bad_input_with(
        field: impl Into<String>,
        message: impl Into<String>,
        details: Vec<(String, Value)>,
    ) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
            details,
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::FeatureDisabled => "FEATURE_DISABLED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::Immutable => "IMMUTABLE",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client sees: fixed text, or text the service wrote for the client.
    fn client_message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".into(),
            Self::FeatureDisabled => "1:1s are disabled for this company".into(),
            Self::Forbidden => "not allowed".into(),
            Self::NotFound => "not found".into(),
            Self::BadUserInput { field, message, .. } => format!("{field}: {message}"),
            Self::Conflict { message, .. } => message.clone(),
            Self::Immutable => "a coached session cannot change".into(),
            Self::PayloadTooLarge => "payload too large".into(),
            Self::UnsupportedMediaType(message) => message.clone(),
            Self::RateLimited { .. } => "too many attempts, try again later".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // A unique violation that a service did not anticipate is still the client's doing
        // (two writers raced for one name); say so without showing the SQL.
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self::Conflict {
                message: "a record with these values already exists".into(),
                details: Vec::new(),
            };
        }
        Self::Internal(err.into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            tracing::error!(error = ?cause, "internal error");
        }
        let code = err.code();
        async_graphql::Error::new(err.client_message()).extend_with(|_, ext| {
            ext.set("code", code);
            match &err {
                AppError::BadUserInput { field, details, .. } => {
                    ext.set("field", field.as_str());
                    set_details(ext, details);
                }
                AppError::Conflict { details, .. } => set_details(ext, details),
                AppError::RateLimited { retry_after_secs } => {
                    ext.set("retryAfterSeconds", *retry_after_secs)
                }
                _ => {}
            }
        })
    }
}

fn set_details(ext: &mut async_graphql::ErrorExtensionValues, details: &[(String, Value)]) {
    for (key, value) in details {
        if let Ok(value) = async_graphql::Value::from_json(value.clone()) {
            ext.set(key.as_str(), value);
        }
    }
}
