//! The outbox worker: one per node, polling `email_outbox` for due emails.
//!
//! Claiming is optimistic and portable (SQLite and PostgreSQL alike): a node reads the ids of
//! due rows, then for each one runs
//! `UPDATE email_outbox SET locked_by = <node>, locked_until = now + lease
//!  WHERE id = ? AND status = 'PENDING' AND next_attempt_at <= now
//!    AND (locked_until IS NULL OR locked_until < now)`
//! and sends only when that update changed exactly one row. Both databases run the update
//! atomically, so of several nodes racing for a row exactly one wins. A node that dies while
//! holding a lease leaves the row PENDING; once `locked_until` passes, any worker claims it
//! again. The lease is far longer than one send may take (the send is cut off at
//! `send_timeout`), so a live sender never loses its lease.

use std::{future::Future, pin::Pin, time::Duration};

use chrono::Utc;
use entity::email_outbox::{self, Column, EmailStatus};
use futures_util::FutureExt;
use lettre::message::Mailbox;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::transport::{SendError, Transport, build_message, parse_from};
use crate::config::Config;

/// Timing of the worker. [`WorkerOptions::for_config`] gives the defaults.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Pause between polls when nothing was due: the delay between a commit and its email.
    pub poll_interval: Duration,
    /// How long a claim holds a row against other nodes.
    pub lease: Duration,
    /// Longest time one delivery may take before it counts as a failed attempt.
    pub send_timeout: Duration,
    /// Most rows read per poll.
    pub batch_size: u64,
    /// After this many failed attempts the email is FAILED.
    pub max_attempts: i32,
    /// The delay after the first failure; it doubles after each further one…
    pub base_backoff: Duration,
    /// …up to this.
    pub max_backoff: Duration,
}

impl WorkerOptions {
    pub fn for_config(config: &Config) -> Self {
        Self {
            // One indexed query (status, next_attempt_at) per poll and node.
            poll_interval: if config.is_production() {
                Duration::from_secs(1)
            } else {
                Duration::from_millis(200)
            },
            lease: Duration::from_secs(5 * 60),
            send_timeout: Duration::from_secs(90),
            batch_size: 25,
            max_attempts: 10,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(60 * 60),
        }
    }

    /// Delay before the next attempt after `failures` failed ones (1 → base).
    fn backoff(&self, failures: i32) -> Duration {
        let exponent = failures.saturating_sub(1).clamp(0, 20) as u32;
        self.base_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff)
    }
}

/// Delivers the outbox of one node. Several workers (nodes) may share one database.
pub struct OutboxWorker {
    db: DatabaseConnection,
    transport: Transport,
    from: Mailbox,
    node_id: String,
    options: WorkerOptions,
}

type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

impl OutboxWorker {
    /// Checks `SMTP_URL` and `MAIL_FROM`; fails (at startup) when either is unusable.
    pub fn new(db: DatabaseConnection, config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            transport: Transport::from_config(config)?,
            from: parse_from(config)?,
            node_id: new_node_id(),
            options: WorkerOptions::for_config(config),
        })
    }

    pub fn with_options(mut self, options: WorkerOptions) -> Self {
        self.options = options;
        self
    }

    /// The value this worker writes into `locked_by`.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Polls until `shutdown` resolves. The email being sent when it resolves is finished
    /// and recorded; nothing new is claimed afterwards.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let mut shutdown: Shutdown = Box::pin(shutdown);
        tracing::info!(node = %self.node_id, "outbox worker started");
        loop {
            let full_batch = match self.poll(&mut shutdown).await {
                Ok(Some(n)) => n as u64 >= self.options.batch_size,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(error = ?error, "outbox poll failed");
                    false
                }
            };
            if full_batch {
                continue; // more may be due: no pause
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.options.poll_interval) => {}
            }
        }
        tracing::info!(node = %self.node_id, "outbox worker stopped");
    }

    /// Runs [`OutboxWorker::run`] on a task of its own.
    pub fn spawn(self, shutdown: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }

    /// One poll: claims and delivers every due email it can; returns how many it attempted.
    pub async fn run_once(&self) -> Result<usize, DbErr> {
        let mut never: Shutdown = Box::pin(std::future::pending());
        Ok(self.poll(&mut never).await?.unwrap_or(0))
    }

    /// `None` when shutdown was requested.
    async fn poll(&self, shutdown: &mut Shutdown) -> Result<Option<usize>, DbErr> {
        let now = Utc::now();
        let due: Vec<Uuid> = email_outbox::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::Status.eq(EmailStatus::Pending))
            .filter(Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(Column::LockedUntil.is_null())
                    .add(Column::LockedUntil.lt(now)),
            )
            .order_by_asc(Column::NextAttemptAt)
            .limit(self.options.batch_size)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut attempted = 0;
        for id in due {
            if shutdown.as_mut().now_or_never().is_some() {
                return Ok(None);
            }
            if self.claim(id).await? {
                self.deliver(id).await?;
                attempted += 1;
            }
        }
        Ok(Some(attempted))
    }

    /// The optimistic claim (module comment): true when this node now holds the row.
    async fn claim(&self, id: Uuid) -> Result<bool, DbErr> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::MAX);
        let result = email_outbox::Entity::update_many()
            .col_expr(Column::LockedBy, Expr::value(self.node_id.clone()))
            .col_expr(Column::LockedUntil, Expr::value(now + lease))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(EmailStatus::Pending))
            .filter(Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(Column::LockedUntil.is_null())
                    .add(Column::LockedUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn deliver(&self, id: Uuid) -> Result<(), DbErr> {
        let Some(row) = email_outbox::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(());
        };
        let outcome = match build_message(&self.from, &row) {
            Ok(message) => {
                let send = self.transport.send(message, id, &self.node_id);
                match tokio::time::timeout(self.options.send_timeout, send).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(SendError::Transient("delivery timed out".into())),
                }
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => self.mark_sent(id).await,
            Err(error) => self.mark_failed(&row, error).await,
        }
    }

    async fn mark_sent(&self, id: Uuid) -> Result<(), DbErr> {
        // By id alone: once sent, SENT wins even if this node's lease had run out.
        email_outbox::Entity::update_many()
            .col_expr(Column::Status, Expr::value(EmailStatus::Sent))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(Column::SentAt, Expr::value(Some(Utc::now())))
            .col_expr(
                Column::LockedUntil,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .col_expr(Column::LastError, Expr::value(None::<String>))
            .filter(Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        tracing::info!(email_id = %id, "email delivered");
        Ok(())
    }

    async fn mark_failed(&self, row: &email_outbox::Model, error: SendError) -> Result<(), DbErr> {
        let failures = row.attempts.saturating_add(1);
        let (permanent, message) = match error {
            SendError::Permanent(message) => (true, message),
            SendError::Transient(message) => (false, message),
        };
        let give_up = permanent || failures >= self.options.max_attempts;
        let delay = chrono::Duration::from_std(self.options.backoff(failures))
            .unwrap_or(chrono::Duration::hours(1));
        let mut update = email_outbox::Entity::update_many()
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(
                Column::LockedUntil,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .col_expr(Column::LastError, Expr::value(Some(short(&message))));
        if give_up {
            update = update.col_expr(Column::Status, Expr::value(EmailStatus::Failed));
        } else {
            update = update.col_expr(Column::NextAttemptAt, Expr::value(Utc::now() + delay));
        }
        // Only while this node still holds the row: a SENT by another node is never undone.
        update
            .filter(Column::Id.eq(row.id))
            .filter(Column::Status.eq(EmailStatus::Pending))
            .filter(Column::LockedBy.eq(self.node_id.as_str()))
            .exec(&self.db)
            .await?;
        if give_up {
            tracing::warn!(email_id = %row.id, attempts = failures, error = %message, "email FAILED");
        } else {
            tracing::warn!(email_id = %row.id, attempts = failures, retry_in_secs = delay.num_seconds(), error = %message, "email delivery failed; will retry");
        }
        Ok(())
    }
}

/// Starts a worker for `config` on its own task; it stops when `shutdown` resolves.
pub fn spawn_worker(
    db: DatabaseConnection,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<JoinHandle<()>> {
    Ok(OutboxWorker::new(db, config)?.spawn(shutdown))
}

/// `host-pid-random`: distinct for every worker, even several in one process (tests).
fn new_node_id() -> String {
    let host: String = std::env::var("HOSTNAME")
        .unwrap_or_else(|_| "node".into())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    let random = Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &random[..8])
}

/// `last_error` is for operators only (never shown to clients): one line, bounded.
fn short(message: &str) -> String {
    let line = message.replace(['\r', '\n'], " ");
    match line.char_indices().nth(300) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let options = WorkerOptions {
            poll_interval: Duration::from_millis(200),
            lease: Duration::from_secs(300),
            send_timeout: Duration::from_secs(90),
            batch_size: 25,
            max_attempts: 10,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
        };
        assert_eq!(options.backoff(1), Duration::from_secs(5));
        assert_eq!(options.backoff(2), Duration::from_secs(10));
        assert_eq!(options.backoff(4), Duration::from_secs(40));
        assert_eq!(options.backoff(10), Duration::from_secs(2560));
        assert_eq!(options.backoff(11), Duration::from_secs(3600));
        assert_eq!(options.backoff(i32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn last_error_is_one_bounded_line() {
        assert_eq!(short("a\r\nb"), "a  b");
        assert_eq!(short(&"é".repeat(500)).chars().count(), 301);
    }
}
