//! Batched loads of what a page of sessions shows, so N sessions cost one query per relation:
//! shared notes, kudos, discussion items, the action items they show, and the records
//! discussion items point at. Only called for sessions the viewer was allowed to see.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Mutex,
};

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Utc};
use entity::{
    action_item, attachment, coaching_category, discussion_item, feedback_record, kudo, lesson,
    metric, one_on_one, qa_review, shared_note,
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationDef,
};
use uuid::Uuid;

use super::notes::StoredNote;
use crate::error::AppError;

pub struct OneOnOneLoader {
    db: DatabaseConnection,
    /// Categories read along with action items in this request, so that the items'
    /// `category` costs no statement of its own.
    categories_read: Mutex<HashMap<Uuid, coaching_category::Model>>,
}

impl OneOnOneLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            categories_read: Mutex::default(),
        }
    }

    /// The category if it was read along with action items in this request.
    pub fn category_read(&self, id: Uuid) -> Option<coaching_category::Model> {
        self.categories_read
            .lock()
            .expect("poisoned")
            .get(&id)
            .cloned()
    }
}

macro_rules! keyed_by {
    ($(#[$doc:meta])* $key:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);
    };
}

keyed_by!(
    /// Shared notes of a session, with their Yjs documents.
    SharedNotesOf
);
keyed_by!(
    /// Shared notes of a session, for their text only.
    SharedNoteTextsOf
);
keyed_by!(
    /// Kudos of a session.
    KudosOf
);
keyed_by!(
    /// Discussion items of a session.
    DiscussionItemsOf
);
/// The action items a session may show: its own, and its series' items that were still open
/// when it was created (SPEC §3, carry-over). The loader returns a superset from the
/// session's series; `items::shows_action_item` decides.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionItemsFor {
    pub session_id: Uuid,
    pub series_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<&one_on_one::Model> for ActionItemsFor {
    fn from(session: &one_on_one::Model) -> Self {
        Self {
            session_id: session.id,
            series_id: session.series_id,
            created_at: session.created_at,
        }
    }
}

keyed_by!(
    /// Ready attachments of a session.
    AttachmentsOf
);
keyed_by!(AttachmentById);
keyed_by!(MetricById);
keyed_by!(FeedbackById);
keyed_by!(QaReviewById);
keyed_by!(LessonById);
keyed_by!(CategoryById);

pub type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

/// Rows of `E` whose `column` is one of `ids`, grouped by that column.
pub async fn grouped<E, K>(
    db: &DatabaseConnection,
    column: E::Column,
    ids: Vec<Uuid>,
    order: E::Column,
    key: impl Fn(&E::Model) -> K,
) -> LoadResult<K, Vec<E::Model>>
where
    E: EntityTrait,
    K: std::hash::Hash + Eq,
{
    let rows = E::find()
        .filter(column.is_in(ids))
        .order_by_asc(order)
        .all(db)
        .await
        .map_err(AppError::from)?;
    let mut out: HashMap<K, Vec<E::Model>> = HashMap::new();
    for row in rows {
        out.entry(key(&row)).or_default().push(row);
    }
    Ok(out)
}

/// Rows of `E` by primary key.
pub async fn by_id<E, K>(
    db: &DatabaseConnection,
    column: E::Column,
    ids: Vec<Uuid>,
    key: impl Fn(&E::Model) -> K,
) -> LoadResult<K, E::Model>
where
    E: EntityTrait,
    K: std::hash::Hash + Eq,
{
    Ok(E::find()
        .filter(column.is_in(ids))
        .all(db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|row| (key(&row), row))
        .collect())
}

impl Loader<SharedNotesOf> for OneOnOneLoader {
    type Value = Vec<StoredNote>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[SharedNotesOf]) -> LoadResult<SharedNotesOf, Self::Value> {
        use shared_note::Column as C;
        let ids = keys.iter().map(|k| k.0).collect();
        let notes = shared_note::Entity::find()
            .filter(C::OneOnOneId.is_in::<Uuid, Vec<Uuid>>(ids))
            .order_by_asc(C::AuthorId)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(by_session(
            notes.into_iter().map(StoredNote::from),
            SharedNotesOf,
        ))
    }
}

/// A shared note without its document.
#[derive(FromQueryResult)]
struct NoteText {
    one_on_one_id: Uuid,
    author_id: Uuid,
    text: String,
    version: i64,
    updated_at: DateTime<Utc>,
}

impl Loader<SharedNoteTextsOf> for OneOnOneLoader {
    type Value = Vec<StoredNote>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[SharedNoteTextsOf]) -> LoadResult<SharedNoteTextsOf, Self::Value> {
        use shared_note::Column as C;
        let ids = keys.iter().map(|k| k.0).collect();
        let notes = shared_note::Entity::find()
            .select_only()
            .columns([
                C::OneOnOneId,
                C::AuthorId,
                C::Text,
                C::Version,
                C::UpdatedAt,
            ])
            .filter(C::OneOnOneId.is_in::<Uuid, Vec<Uuid>>(ids))
            .order_by_asc(C::AuthorId)
            .into_model::<NoteText>()
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let notes = notes.into_iter().map(|n| StoredNote {
            one_on_one_id: n.one_on_one_id,
            author_id: n.author_id,
            version: n.version,
            text: n.text,
            state: None,
            updated_at: Some(n.updated_at),
        });
        Ok(by_session(notes, SharedNoteTextsOf))
    }
}

/// Notes grouped by their session, keyed by `key`.
fn by_session<K: std::hash::Hash + Eq>(
    notes: impl Iterator<Item = StoredNote>,
    key: impl Fn(Uuid) -> K,
) -> HashMap<K, Vec<StoredNote>> {
    let mut out: HashMap<K, Vec<StoredNote>> = HashMap::new();
    for note in notes {
        out.entry(key(note.one_on_one_id)).or_default().push(note);
    }
    out
}

impl Loader<KudosOf> for OneOnOneLoader {
    type Value = Vec<kudo::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[KudosOf]) -> LoadResult<KudosOf, Self::Value> {
        use kudo::Column as C;
        let ids = keys.iter().map(|k| k.0).collect();
        grouped::<kudo::Entity, _>(&self.db, C::OneOnOneId, ids, C::Id, |k| {
            KudosOf(k.one_on_one_id)
        })
        .await
    }
}

impl Loader<DiscussionItemsOf> for OneOnOneLoader {
    type Value = Vec<discussion_item::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[DiscussionItemsOf]) -> LoadResult<DiscussionItemsOf, Self::Value> {
        use discussion_item::Column as C;
        let ids = keys.iter().map(|k| k.0).collect();
        grouped::<discussion_item::Entity, _>(&self.db, C::OneOnOneId, ids, C::Id, |d| {
            DiscussionItemsOf(d.one_on_one_id)
        })
        .await
    }
}

impl Loader<ActionItemsFor> for OneOnOneLoader {
    type Value = Vec<action_item::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[ActionItemsFor]) -> LoadResult<ActionItemsFor, Self::Value> {
        use action_item::Column as C;
        let (Some(earliest), Some(latest)) = (
            keys.iter().map(|k| k.created_at).min(),
            keys.iter().map(|k| k.created_at).max(),
        ) else {
            return Ok(HashMap::new());
        };
        // Only what can show in one of these sessions, rather than a series' whole history:
        // their own items, and items created before the latest of them that were still open
        // at the earliest. The open and the done-since items are separate branches so that
        // each is a range of `(series_id, created_at, done_at)`, checked in the index.
        let series: BTreeSet<Uuid> = keys.iter().map(|k| k.series_id).collect();
        let created_before = || {
            Condition::all()
                .add(C::SeriesId.is_in(series.iter().copied()))
                .add(C::CreatedAt.lt(latest))
        };
        let carried_over = Condition::any()
            .add(created_before().add(C::DoneAt.is_null()))
            .add(created_before().add(C::DoneAt.gte(earliest)));
        let category_of_item: RelationDef =
            action_item::Entity::belongs_to(coaching_category::Entity)
                .from(C::CategoryId)
                .to(coaching_category::Column::Id)
                .into();
        let rows_with_categories = action_item::Entity::find()
            .join(JoinType::LeftJoin, category_of_item)
            .select_also(coaching_category::Entity)
            .filter(
                Condition::any()
                    .add(C::OneOnOneId.is_in(keys.iter().map(|k| k.session_id)))
                    .add(carried_over),
            )
            .order_by_asc(C::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let mut rows = Vec::with_capacity(rows_with_categories.len());
        {
            let mut categories = self.categories_read.lock().expect("poisoned");
            for (item, category) in rows_with_categories {
                if let Some(category) = category {
                    categories.insert(category.id, category);
                }
                rows.push(item);
            }
        }
        Ok(keys
            .iter()
            .map(|key| {
                let of_series = rows
                    .iter()
                    .filter(|item| item.series_id == key.series_id)
                    .cloned()
                    .collect();
                (*key, of_series)
            })
            .collect())
    }
}

impl Loader<MetricById> for OneOnOneLoader {
    type Value = metric::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[MetricById]) -> LoadResult<MetricById, Self::Value> {
        let ids = keys.iter().map(|k| k.0).collect();
        by_id::<metric::Entity, _>(&self.db, metric::Column::Id, ids, |m| MetricById(m.id)).await
    }
}

impl Loader<FeedbackById> for OneOnOneLoader {
    type Value = feedback_record::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FeedbackById]) -> LoadResult<FeedbackById, Self::Value> {
        let ids = keys.iter().map(|k| k.0).collect();
        by_id::<feedback_record::Entity, _>(&self.db, feedback_record::Column::Id, ids, |r| {
            FeedbackById(r.id)
        })
        .await
    }
}

impl Loader<QaReviewById> for OneOnOneLoader {
    type Value = qa_review::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[QaReviewById]) -> LoadResult<QaReviewById, Self::Value> {
        let ids = keys.iter().map(|k| k.0).collect();
        by_id::<qa_review::Entity, _>(&self.db, qa_review::Column::Id, ids, |r| QaReviewById(r.id))
            .await
    }
}

impl Loader<LessonById> for OneOnOneLoader {
    type Value = lesson::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[LessonById]) -> LoadResult<LessonById, Self::Value> {
        let ids = keys.iter().map(|k| k.0).collect();
        by_id::<lesson::Entity, _>(&self.db, lesson::Column::Id, ids, |l| LessonById(l.id)).await
    }
}

/// Categories not read along with action items (`types::category` asks `category_read`
/// first).
impl Loader<CategoryById> for OneOnOneLoader {
    type Value = coaching_category::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[CategoryById]) -> LoadResult<CategoryById, Self::Value> {
        let ids = keys.iter().map(|k| k.0).collect();
        by_id::<coaching_category::Entity, _>(&self.db, coaching_category::Column::Id, ids, |c| {
            CategoryById(c.id)
        })
        .await
    }
}

impl Loader<AttachmentsOf> for OneOnOneLoader {
    type Value = Vec<attachment::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[AttachmentsOf]) -> LoadResult<AttachmentsOf, Self::Value> {
        use attachment::Column as C;
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = attachment::Entity::find()
            .filter(C::OneOnOneId.is_in(ids))
            .filter(C::Status.eq(attachment::Status::Ready))
            .order_by_asc(C::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let mut out: HashMap<AttachmentsOf, Vec<attachment::Model>> = HashMap::new();
        for row in rows {
            out.entry(AttachmentsOf(row.one_on_one_id))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}

impl Loader<AttachmentById> for OneOnOneLoader {
    type Value = attachment::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[AttachmentById]) -> LoadResult<AttachmentById, Self::Value> {
        let ids = keys.iter().map(|k| k.0).collect();
        let rows = by_id::<attachment::Entity, _>(&self.db, attachment::Column::Id, ids, |a| {
            AttachmentById(a.id)
        })
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, a)| a.status == attachment::Status::Ready)
            .collect())
    }
}
