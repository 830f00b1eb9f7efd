//! Shared notes (one Yjs document per participant and session) and personal notes.
//!
//! Writers of one session's notes take turns on the session's row lock (whichever node they
//! come through), so a valid edit never fails under contention and none is lost: the note is
//! read, merged and written inside the lock. A plain-text replacement computed against a stale
//! version is still the client's conflict to resolve.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use chrono::Utc;
use entity::{one_on_one, personal_note, shared_note};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    events::{Event, SessionTxn},
    service::{Authorized, authorize},
};
use crate::{
    error::{AppError, AppResult},
    notes::{NoteError, SharedNote},
    policy::{OneOnOneAction, Viewer},
    state::AppState,
};

/// A shared note as stored (or empty, version 0, before its author first writes).
#[derive(Clone, Debug)]
pub struct StoredNote {
    pub one_on_one_id: Uuid,
    pub author_id: Uuid,
    pub version: i64,
    pub text: String,
    /// The Yjs document; `None` when the note was read for its text only (lists that show no
    /// rich text need not fetch and copy the document, about as large as the text again).
    pub state: Option<Vec<u8>>,
    pub updated_at: Option<chrono::DateTime<Utc>>,
}

impl StoredNote {
    pub fn empty(one_on_one_id: Uuid, author_id: Uuid) -> Self {
        Self {
            one_on_one_id,
            author_id,
            version: 0,
            text: String::new(),
            state: Some(SharedNote::new().encode_state()),
            updated_at: None,
        }
    }

    pub fn document(&self) -> AppResult<SharedNote> {
        let state = self.state.as_deref().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "a note read for its text was asked its document"
            ))
        })?;
        SharedNote::from_state(state).map_err(|e| note_error("update", e))
    }
}

impl From<shared_note::Model> for StoredNote {
    fn from(m: shared_note::Model) -> Self {
        Self {
            one_on_one_id: m.one_on_one_id,
            author_id: m.author_id,
            version: m.version,
            text: m.text,
            state: Some(m.state),
            updated_at: Some(m.updated_at),
        }
    }
}

pub fn note_error(field: &str, err: NoteError) -> AppError {
    match err {
        NoteError::TooLarge | NoteError::DocumentTooLarge => AppError::PayloadTooLarge,
        NoteError::Corrupt => AppError::internal(anyhow::anyhow!("stored note does not load")),
        other => AppError::bad_input(field, other.message()),
    }
}

pub async fn load_shared<C: ConnectionTrait>(
    db: &C,
    one_on_one_id: Uuid,
    author_id: Uuid,
) -> AppResult<StoredNote> {
    Ok(shared_note::Entity::find_by_id((one_on_one_id, author_id))
        .one(db)
        .await?
        .map(Into::into)
        .unwrap_or_else(|| StoredNote::empty(one_on_one_id, author_id)))
}

/// Stores `doc` as the note's next version. The caller holds the session's row lock, so the
/// note is still at `note.version`; the version guard only makes a lost update impossible
/// should a writer ever skip that lock.
async fn store_next<C: ConnectionTrait>(
    db: &C,
    note: &StoredNote,
    doc: &SharedNote,
) -> AppResult<StoredNote> {
    let now = Utc::now();
    let state = doc.encode_state();
    let next = StoredNote {
        version: note.version + 1,
        text: doc.text(),
        state: Some(state.clone()),
        updated_at: Some(now),
        ..note.clone()
    };
    let written = if note.version == 0 {
        shared_note::Entity::insert(shared_note::ActiveModel {
            one_on_one_id: Set(note.one_on_one_id),
            author_id: Set(note.author_id),
            text: Set(next.text.clone()),
            version: Set(next.version),
            updated_at: Set(now),
            state: Set(state),
        })
        .on_conflict(
            OnConflict::columns([
                shared_note::Column::OneOnOneId,
                shared_note::Column::AuthorId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?
    } else {
        shared_note::Entity::update_many()
            .set(shared_note::ActiveModel {
                text: Set(next.text.clone()),
                version: Set(next.version),
                updated_at: Set(now),
                state: Set(state),
                ..Default::default()
            })
            .filter(shared_note::Column::OneOnOneId.eq(note.one_on_one_id))
            .filter(shared_note::Column::AuthorId.eq(note.author_id))
            .filter(shared_note::Column::Version.eq(note.version))
            .exec(db)
            .await?
            .rows_affected
    };
    if written != 1 {
        return Err(AppError::internal(anyhow::anyhow!(
            "note {}/{} changed while its session was locked",
            note.one_on_one_id,
            note.author_id
        )));
    }
    Ok(next)
}

fn conflict(current: &StoredNote) -> AppError {
    AppError::Conflict {
        message: "the note changed since baseVersion; merge with the current text".into(),
        details: vec![
            ("currentVersion".into(), json!(current.version)),
            ("currentText".into(), json!(current.text)),
        ],
    }
}

/// Applies `change` to the author's note while holding the session's lock, then commits the
/// new version with its `SharedNoteEdited` event, durable before this returns. `change` gives
/// the Yjs update it made, or `None` when the note stays as it is.
async fn edit_shared(
    state: &AppState,
    session: &one_on_one::Model,
    author_id: Uuid,
    change: impl FnOnce(&StoredNote, &mut SharedNote) -> AppResult<Option<Vec<u8>>>,
) -> AppResult<StoredNote> {
    let mut txn = SessionTxn::begin(state).await?;
    txn.lock(session).await?;
    let note = load_shared(txn.db(), session.id, author_id).await?;
    let mut doc = note.document()?;
    let Some(update) = change(&note, &mut doc)? else {
        return Ok(note);
    };
    let stored = store_next(txn.db(), &note, &doc).await?;
    txn.append(
        session,
        Event::SharedNoteEdited {
            author_id: stored.author_id,
            update: BASE64.encode(update),
            version: stored.version,
            text: stored.text.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(stored)
}

/// `updateSharedNote`: replaces the viewer's note text, turning the difference into Yjs
/// operations. A stale `base_version` is a `CONFLICT` carrying the current version and text.
pub async fn update_shared_text(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
    text: &str,
    base_version: i64,
) -> AppResult<StoredNote> {
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        one_on_one_id,
        Some(OneOnOneAction::WriteOwnNotes),
    )
    .await?;
    edit_shared(state, &session, viewer.user_id, |note, doc| {
        if note.version != base_version {
            return Err(conflict(note));
        }
        doc.replace_text(text).map_err(|e| note_error("text", e))
    })
    .await
}

/// `applySharedNoteUpdate`: merges a base64 Yjs v1 update into the viewer's own note. A
/// malformed or oversized update is refused and changes nothing; an update already applied
/// changes nothing and logs no event.
pub async fn apply_shared_update(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
    update_base64: &str,
) -> AppResult<StoredNote> {
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        one_on_one_id,
        Some(OneOnOneAction::WriteOwnNotes),
    )
    .await?;
    // Base64 of the largest update accepted, with slack for padding.
    if update_base64.len() > crate::notes::MAX_UPDATE_BYTES / 3 * 4 + 8 {
        return Err(AppError::PayloadTooLarge);
    }
    let update = BASE64
        .decode(update_base64.trim())
        .map_err(|_| AppError::bad_input("update", "not base64"))?;
    edit_shared(state, &session, viewer.user_id, move |_, doc| {
        let applied = doc
            .apply_update(&update)
            .map_err(|e| note_error("update", e))?;
        Ok(applied.changed.then_some(update))
    })
    .await
}

pub const PERSONAL_NOTE_MAX: usize = 100_000;

/// `updatePersonalNote`: the viewer's own private note. It is never an event, never in an
/// email, never readable by anyone else.
pub async fn update_personal(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
    text: &str,
) -> AppResult<personal_note::Model> {
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        one_on_one_id,
        Some(OneOnOneAction::WriteOwnNotes),
    )
    .await?;
    if text.chars().count() > PERSONAL_NOTE_MAX {
        return Err(AppError::bad_input(
            "text",
            format!("must be at most {PERSONAL_NOTE_MAX} characters"),
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let existing = personal_note::Entity::find_by_id((session.id, viewer.user_id))
        .one(&txn)
        .await?;
    let saved = match existing {
        Some(note) => {
            personal_note::ActiveModel {
                one_on_one_id: Set(note.one_on_one_id),
                author_id: Set(note.author_id),
                text: Set(text.to_owned()),
                version: Set(note.version + 1),
                updated_at: Set(now),
            }
            .update(&txn)
            .await?
        }
        None => {
            personal_note::ActiveModel {
                one_on_one_id: Set(session.id),
                author_id: Set(viewer.user_id),
                text: Set(text.to_owned()),
                version: Set(1),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    Ok(saved)
}

/// The viewer's own personal note on a session they see; nobody reads anyone else's.
pub async fn own_personal_note(
    state: &AppState,
    viewer: &Viewer,
    session: &one_on_one::Model,
) -> AppResult<Option<personal_note::Model>> {
    Ok(
        personal_note::Entity::find_by_id((session.id, viewer.user_id))
            .one(&state.db)
            .await?
            .filter(|note| crate::policy::may_read_personal_note(viewer, note.author_id)),
    )
}
