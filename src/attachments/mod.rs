//! Attachments of 1:1 sessions (SPEC §3, issue 6): files up to 25 MB of the company's allowed
//! types, streamed into the object store chosen by `STORAGE_URL`, listed on their session,
//! usable as discussion items, downloadable only by those who see the session (or through a
//! short-lived signed link).
//!
//! The upload itself arrives as a GraphQL multipart request on `POST /graphql`, handled by
//! `http::attachments` on its own streaming path; the `uploadAttachment` resolver answers
//! with what that path stored (`UploadOutcome`).

pub mod formats;
pub mod graphql;
pub mod service;
pub mod store;

use std::sync::Mutex;

use entity::attachment;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// What the streaming upload path did, handed to the `uploadAttachment` resolver through the
/// request's data so the answer is an ordinary GraphQL response.
pub struct UploadOutcome {
    one_on_one_id: Uuid,
    result: Mutex<Option<AppResult<attachment::Model>>>,
}

impl UploadOutcome {
    pub fn new(one_on_one_id: Uuid, result: AppResult<attachment::Model>) -> Self {
        Self {
            one_on_one_id,
            result: Mutex::new(Some(result)),
        }
    }

    /// The outcome for the session the operation names (taken once).
    pub fn take(&self, one_on_one_id: Uuid) -> AppResult<attachment::Model> {
        if one_on_one_id != self.one_on_one_id {
            return Err(AppError::bad_input(
                "oneOnOneId",
                "one upload per request, for the session it names",
            ));
        }
        self.result
            .lock()
            .map_err(|_| AppError::internal(anyhow::anyhow!("upload outcome poisoned")))?
            .take()
            .unwrap_or_else(|| Err(AppError::bad_input("file", "one upload per request")))
    }
}
