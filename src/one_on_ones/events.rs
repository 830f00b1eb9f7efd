//! The per-session event log. Every change to a session appends its event in the same
//! transaction, numbered by bumping the session's `last_seq`: the row update both assigns a
//! strictly increasing `seq` and serializes concurrent writers of one session.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{one_on_one, one_on_one_event};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    realtime::bus::{BusMessage, EventBus},
    state::AppState,
};

/// An action item as an event carries it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActionItemSnapshot {
    pub id: Uuid,
    pub text: String,
    pub category_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    pub done: bool,
    pub done_at: Option<DateTime<Utc>>,
    pub one_on_one_id: Uuid,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Event {
    SharedNoteEdited {
        author_id: Uuid,
        /// The Yjs v1 update as applied, base64.
        update: String,
        version: i64,
        text: String,
    },
    ActionItemChanged {
        action_item_id: Uuid,
        /// `None` when the item was removed.
        item: Option<ActionItemSnapshot>,
    },
    KudosChanged,
    KudosCelebrated {
        by: Uuid,
    },
    DiscussionItemsChanged,
    AttachmentsChanged,
    OneOnOneChanged {
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        status: String,
        private: bool,
    },
}

impl Event {
    fn kind(&self) -> &'static str {
        match self {
            Self::SharedNoteEdited { .. } => "SharedNoteEdited",
            Self::ActionItemChanged { .. } => "ActionItemChanged",
            Self::KudosChanged => "KudosChanged",
            Self::KudosCelebrated { .. } => "KudosCelebrated",
            Self::DiscussionItemsChanged => "DiscussionItemsChanged",
            Self::AttachmentsChanged => "AttachmentsChanged",
            Self::OneOnOneChanged { .. } => "OneOnOneChanged",
        }
    }

    pub fn session_changed(session: &one_on_one::Model) -> Self {
        Self::OneOnOneChanged {
            title: session.title.clone(),
            scheduled_at: session.scheduled_at,
            status: match session.status {
                one_on_one::Status::Draft => "DRAFT".into(),
                one_on_one::Status::Shared => "SHARED".into(),
            },
            private: session.private,
        }
    }
}

/// A logged event with its place in the session's sequence.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedEvent {
    pub one_on_one_id: Uuid,
    pub seq: i64,
    pub event: Event,
    pub created_at: DateTime<Utc>,
}

/// A transaction that may append session events; committing it publishes them on the bus, so
/// subscribers hear of an event only once it is durable.
pub struct SessionTxn<'a> {
    txn: DatabaseTransaction,
    bus: &'a EventBus,
    appended: Vec<LoggedEvent>,
    /// The `seq` `lock` took for the next event, not yet used by `append`.
    reserved: Option<(Uuid, i64)>,
}

impl<'a> SessionTxn<'a> {
    pub async fn begin(state: &'a AppState) -> AppResult<Self> {
        Ok(Self {
            txn: crate::db::begin_write(&state.db).await?,
            bus: &state.bus,
            appended: Vec::new(),
            reserved: None,
        })
    }

    /// The transaction, for the change itself.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Locks the session's row until the transaction ends, so writers that read before they
    /// write take turns instead of racing. The same statement takes the `seq` of the next
    /// event `append`s; if none is appended the transaction must not be committed (dropping
    /// it rolls the reservation back).
    pub async fn lock(&mut self, session: &one_on_one::Model) -> AppResult<()> {
        let seq = next_seq(&self.txn, session.id, Utc::now()).await?;
        self.reserved = Some((session.id, seq));
        Ok(())
    }

    /// Appends `event` to the session's log; returns its `seq`.
    pub async fn append(&mut self, session: &one_on_one::Model, event: Event) -> AppResult<i64> {
        let now = Utc::now();
        let seq = match self.reserved.take() {
            Some((id, seq)) if id == session.id => seq,
            _ => next_seq(&self.txn, session.id, now).await?,
        };
        let logged = LoggedEvent {
            one_on_one_id: session.id,
            seq,
            event,
            created_at: now,
        };
        one_on_one_event::Entity::insert(one_on_one_event::ActiveModel {
            one_on_one_id: Set(session.id),
            seq: Set(seq),
            company_id: Set(session.company_id),
            kind: Set(logged.event.kind().to_owned()),
            payload: Set(serde_json::to_string(&logged.event).map_err(AppError::internal)?),
            created_at: Set(now),
        })
        .exec_without_returning(&self.txn)
        .await?;
        self.appended.push(logged);
        Ok(seq)
    }

    pub async fn commit(self) -> AppResult<()> {
        self.txn.commit().await?;
        self.bus
            .publish(self.appended.into_iter().map(BusMessage::Event).collect());
        Ok(())
    }
}

/// Bumps the session's `last_seq` and returns it: one statement that both assigns a strictly
/// increasing `seq` and takes the row's lock, which serializes concurrent writers of one
/// session (on SQLite the write transaction already holds the database's lock).
async fn next_seq<C: ConnectionTrait>(
    txn: &C,
    session: Uuid,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    one_on_one::Entity::update_many()
        .col_expr(
            one_on_one::Column::LastSeq,
            Expr::col(one_on_one::Column::LastSeq).add(1),
        )
        .col_expr(one_on_one::Column::UpdatedAt, Expr::value(now))
        .filter(one_on_one::Column::Id.eq(session))
        .exec_with_returning(txn)
        .await?
        .first()
        .map(|session| session.last_seq)
        .ok_or(AppError::NotFound)
}

/// The `seq` of the session's latest event (0 before the first).
pub async fn last_seq<C: ConnectionTrait>(db: &C, one_on_one_id: Uuid) -> AppResult<i64> {
    one_on_one::Entity::find_by_id(one_on_one_id)
        .select_only()
        .column(one_on_one::Column::LastSeq)
        .into_tuple()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Events of a session after `after_seq`, oldest first, at most `limit`.
pub async fn read_after<C: ConnectionTrait>(
    db: &C,
    one_on_one_id: Uuid,
    after_seq: i64,
    limit: u64,
) -> AppResult<Vec<LoggedEvent>> {
    one_on_one_event::Entity::find()
        .filter(one_on_one_event::Column::OneOnOneId.eq(one_on_one_id))
        .filter(one_on_one_event::Column::Seq.gt(after_seq))
        .order_by_asc(one_on_one_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok(LoggedEvent {
                one_on_one_id: row.one_on_one_id,
                seq: row.seq,
                event: serde_json::from_str(&row.payload).map_err(AppError::internal)?,
                created_at: row.created_at,
            })
        })
        .collect()
}
