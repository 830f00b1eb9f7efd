//! Building a MIME message from an outbox row and handing it to SMTP or to a `.eml` file.
//!
//! Delivery is at-least-once (a node can die after sending and before recording SENT, and
//! the next worker sends again), so a second delivery of the same email must be harmless:
//! - file transport: the file is named `<email id>.eml` and written atomically (temporary
//!   file, then rename), so a re-send replaces the same file and a reader never sees half a
//!   message;
//! - SMTP: the `Message-ID` is `<email id@domain of MAIL_FROM>`, stable across attempts, so
//!   receivers (and tests) can drop duplicates.

use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use anyhow::Context;
use entity::email_outbox;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use tokio::io::AsyncWriteExt;

use crate::config::Config;

/// Why one delivery attempt failed.
#[derive(Debug)]
pub(crate) enum SendError {
    /// Retrying cannot help (unparseable address, 5xx from the server): the email is FAILED.
    Permanent(String),
    /// Worth retrying later (server down, timeout, disk full…).
    Transient(String),
}

pub(crate) enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Longest time one SMTP command may take; the worker's lease is well above it.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Transport {
    pub(crate) fn from_config(config: &Config) -> anyhow::Result<Self> {
        Ok(match &config.smtp_url {
            Some(url) => Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    // The URL may hold credentials: never echo it.
                    .map_err(|e| anyhow::anyhow!("SMTP_URL is not a usable SMTP URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
            None => Self::Files(config.data_dir.join("outbox")),
        })
    }

    pub(crate) async fn send(
        &self,
        message: Message,
        email_id: uuid::Uuid,
        node_id: &str,
    ) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Self::Files(dir) => write_eml(dir, email_id, node_id, &message.formatted())
                .await
                .map_err(|e| SendError::Transient(format!("{e:#}"))),
        }
    }
}

/// Parses `MAIL_FROM` once, at startup.
pub(crate) fn parse_from(config: &Config) -> anyhow::Result<Mailbox> {
    config
        .mail_from
        .parse()
        .with_context(|| format!("MAIL_FROM {:?} is not an email address", config.mail_from))
}

/// The message for one outbox row. Errors here are permanent: the row itself is unusable.
pub(crate) fn build_message(
    from: &Mailbox,
    row: &email_outbox::Model,
) -> Result<Message, SendError> {
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e| SendError::Permanent(format!("invalid recipient address: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.as_str())
        // Stable across attempts, so duplicates can be recognized (module comment).
        .message_id(Some(format!("<{}@{}>", row.id, from.email.domain())))
        .date(SystemTime::from(row.created_at))
        .multipart(MultiPart::alternative_plain_html(
            row.body_text.clone(),
            row.body_html.clone(),
        ))
        .map_err(|e| SendError::Permanent(format!("invalid message: {e}")))
}

/// Writes `<dir>/<id>.eml` atomically: a hidden temporary file of this node, flushed to disk,
/// then renamed over the final name (a re-send replaces the previous copy).
async fn write_eml(dir: &Path, id: uuid::Uuid, node_id: &str, bytes: &[u8]) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("creating {}", dir.display()))?;
    let temporary = dir.join(format!(".{id}.{node_id}.tmp"));
    let result = async {
        let mut file = tokio::fs::File::create(&temporary).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&temporary, dir.join(format!("{id}.eml"))).await
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temporary).await;
    }
    result.with_context(|| format!("writing {id}.eml in {}", dir.display()))
}
