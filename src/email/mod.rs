//! Email delivery through a transactional outbox.
//!
//! Code that causes an email calls [`enqueue`] inside its own transaction: the email exists
//! exactly when the change committed. The [`OutboxWorker`] of every node polls the
//! `email_outbox` table, claims due rows with an optimistic lease (safe across nodes on SQLite
//! and PostgreSQL), delivers them — SMTP when `SMTP_URL` is set, `.eml` files under
//! `DATA_DIR/outbox` otherwise — and records the outcome, retrying with exponential backoff.
//! Nothing is lost across a restart: PENDING rows, and rows whose lease expired because a node
//! died mid-send, are picked up by the next worker. Delivery is at-least-once; see
//! [`transport`] for how duplicates are made harmless.

mod transport;
mod worker;

use chrono::Utc;
use entity::email_outbox::{self, EmailStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::AppResult;

pub use worker::{OutboxWorker, WorkerOptions, spawn_worker};

/// One email to send. `text` and `html` are two renderings of the same content; the message
/// is sent as `multipart/alternative`.
#[derive(Clone, Debug)]
pub struct OutgoingEmail {
    pub company_id: Option<Uuid>,
    /// The recipient: `user@example.com` or `Name <user@example.com>`. An address that does
    /// not parse makes the email FAILED when the worker picks it up; it never blocks others.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Inserts a PENDING row; called inside the caller's transaction so the email exists iff the
/// change committed. The worker delivers it shortly after the commit (within one poll
/// interval on some node).
pub async fn enqueue<C: ConnectionTrait>(db: &C, email: OutgoingEmail) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let row = email_outbox::ActiveModel {
        id: Set(id),
        company_id: Set(email.company_id),
        to_address: Set(email.to.trim().to_owned()),
        subject: Set(email.subject),
        body_text: Set(email.text),
        body_html: Set(email.html),
        status: Set(EmailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
    };
    email_outbox::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(id)
}

/// Emails still to send (PENDING, whether waiting or retrying): the metrics' outbox backlog.
pub async fn backlog<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    Ok(email_outbox::Entity::find()
        .filter(email_outbox::Column::Status.eq(EmailStatus::Pending))
        .count(db)
        .await?)
}
