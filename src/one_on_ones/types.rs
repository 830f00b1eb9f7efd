//! GraphQL types of 1:1 sessions, built from rows the viewer was allowed to see. Nested
//! fields load through `OneOnOneLoader`; the viewer's personal note is the only per-viewer
//! field, and it is read for the viewer alone.

use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject, Union};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    discussion_item, kudo, one_on_one, one_on_one_series, personal_note, saved_for_discussion,
};
use uuid::Uuid;

use super::{
    events::{ActionItemSnapshot, Event, LoggedEvent},
    items::{shows_action_item, snapshot},
    loaders::*,
    notes::{StoredNote, note_error},
    service,
};
use crate::{
    attachments::graphql::Attachment,
    graphql::ContextExt,
    ingest::types::{FeedbackRecord, Lesson, Metric, QaReview},
    org::{
        loaders::UserById,
        types::{CoachingCategory, User},
    },
};

pub fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

pub async fn user(ctx: &Context<'_>, user_id: Uuid) -> async_graphql::Result<Option<User>> {
    Ok(ctx
        .org_loader()
        .load_one(UserById(user_id))
        .await?
        .map(Into::into))
}

async fn category(
    ctx: &Context<'_>,
    category_id: Option<Uuid>,
) -> async_graphql::Result<Option<CoachingCategory>> {
    let Some(category_id) = category_id else {
        return Ok(None);
    };
    let loader = ctx.one_on_one_loader();
    // An action item's category came with it: no batching round (and its wait) for that.
    let found = match loader.loader().category_read(category_id) {
        Some(read) => Some(read),
        None => loader.load_one(CategoryById(category_id)).await?,
    };
    Ok(found.map(Into::into))
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OneOnOneStatus {
    Draft,
    Shared,
}

impl From<one_on_one::Status> for OneOnOneStatus {
    fn from(s: one_on_one::Status) -> Self {
        match s {
            one_on_one::Status::Draft => Self::Draft,
            one_on_one::Status::Shared => Self::Shared,
        }
    }
}

impl From<OneOnOneStatus> for one_on_one::Status {
    fn from(s: OneOnOneStatus) -> Self {
        match s {
            OneOnOneStatus::Draft => Self::Draft,
            OneOnOneStatus::Shared => Self::Shared,
        }
    }
}

/// How often a pair meets; it proposes the next session's time.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    None,
    Weekly,
    EveryTwoWeeks,
    Monthly,
}

impl From<one_on_one_series::Cadence> for Cadence {
    fn from(c: one_on_one_series::Cadence) -> Self {
        use one_on_one_series::Cadence as C;
        match c {
            C::None => Self::None,
            C::Weekly => Self::Weekly,
            C::Biweekly => Self::EveryTwoWeeks,
            C::Monthly => Self::Monthly,
        }
    }
}

impl From<Cadence> for one_on_one_series::Cadence {
    fn from(c: Cadence) -> Self {
        match c {
            Cadence::None => Self::None,
            Cadence::Weekly => Self::Weekly,
            Cadence::EveryTwoWeeks => Self::Biweekly,
            Cadence::Monthly => Self::Monthly,
        }
    }
}

pub struct OneOnOne(pub one_on_one::Model);

#[derive(SimpleObject)]
pub struct OneOnOneSeries {
    pub id: ID,
    pub cadence: Cadence,
    /// The latest scheduled session of the pair plus the cadence.
    pub next_proposed_at: Option<DateTime<Utc>>,
}

#[Object]
impl OneOnOne {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn status(&self) -> OneOnOneStatus {
        self.0.status.into()
    }

    /// Only the two participants can see a private session.
    async fn private(&self) -> bool {
        self.0.private
    }

    async fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.0.scheduled_at
    }

    async fn shared_at(&self) -> Option<DateTime<Utc>> {
        self.0.shared_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The `seq` of the latest event: subscribe with `afterSeq` set to it after fetching.
    async fn last_seq(&self) -> i64 {
        self.0.last_seq
    }

    async fn leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.leader_id).await
    }

    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.member_id).await
    }

    async fn series(&self, ctx: &Context<'_>) -> async_graphql::Result<OneOnOneSeries> {
        let (series, last) = service::series_of(ctx.state(), &self.0).await?;
        Ok(OneOnOneSeries {
            id: id(series.id),
            cadence: series.cadence.into(),
            next_proposed_at: service::next_proposed_at(series.cadence, last),
        })
    }

    /// Both participants' shared notes, the leader's first.
    async fn shared_notes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SharedNote>> {
        // The Yjs documents are read only when a field of the selection renders them.
        let selection = ctx.look_ahead();
        let needs_document = SharedNote::FROM_DOCUMENT
            .iter()
            .any(|field| selection.field(field).exists());
        let loader = ctx.one_on_one_loader();
        let mut stored = if needs_document {
            loader.load_one(SharedNotesOf(self.0.id)).await?
        } else {
            loader.load_one(SharedNoteTextsOf(self.0.id)).await?
        }
        .unwrap_or_default();
        Ok([self.0.leader_id, self.0.member_id]
            .into_iter()
            .map(|author| {
                let found = stored.iter().position(|n| n.author_id == author);
                SharedNote(match found {
                    Some(at) => stored.swap_remove(at),
                    None => StoredNote::empty(self.0.id, author),
                })
            })
            .collect())
    }

    /// The viewer's own personal note; `null` for anyone who is not a participant. Nobody
    /// ever reads another person's personal note.
    async fn personal_note(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<PersonalNote>> {
        let viewer = ctx.viewer()?;
        Ok(
            super::notes::own_personal_note(ctx.state(), viewer, &self.0)
                .await?
                .map(PersonalNote),
        )
    }

    async fn discussion_items(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DiscussionItem>> {
        Ok(ctx
            .one_on_one_loader()
            .load_one(DiscussionItemsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(DiscussionItem)
            .collect())
    }

    /// Files attached to the session, oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Attachment>> {
        Ok(ctx
            .one_on_one_loader()
            .load_one(AttachmentsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Attachment)
            .collect())
    }

    async fn kudos(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Kudo>> {
        Ok(ctx
            .one_on_one_loader()
            .load_one(KudosOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Kudo)
            .collect())
    }

    /// This session's action items and the pair's items still open from earlier sessions
    /// (the same items, not copies).
    async fn action_items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActionItem>> {
        Ok(ctx
            .one_on_one_loader()
            .load_one(ActionItemsFor::from(&self.0))
            .await?
            .unwrap_or_default()
            .iter()
            .filter(|item| shows_action_item(&self.0, item))
            .map(|item| ActionItem(snapshot(item)))
            .collect())
    }

    /// Feedback and QA reviews either participant saved to discuss with this member, not yet
    /// pulled into a session. Empty for anyone but the participants.
    async fn saved_for_discussion(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<SavedItem>> {
        let viewer = ctx.viewer()?;
        Ok(super::items::saved_visible_in(ctx.state(), viewer, &self.0)
            .await?
            .into_iter()
            .map(SavedItem)
            .collect())
    }

    /// The session's event log after `afterSeq`, oldest first.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 0)] after_seq: i64,
        #[graphql(default = 100)] first: i32,
    ) -> async_graphql::Result<Vec<OneOnOneEvent>> {
        Ok(super::events::read_after(
            &ctx.state().db,
            self.0.id,
            after_seq,
            first.clamp(1, 500) as u64,
        )
        .await?
        .into_iter()
        .map(OneOnOneEvent::from)
        .collect())
    }
}

/// A participant's shared note: a Yjs document whose root `Y.Text` is named `content`.
pub struct SharedNote(pub StoredNote);

impl SharedNote {
    /// The fields rendered from the Yjs document (the others come with the text).
    const FROM_DOCUMENT: [&str; 3] = ["html", "stateVector", "update"];
}

#[Object]
impl SharedNote {
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.author_id).await
    }

    /// Bumped by every change; `updateSharedNote` takes it as `baseVersion`.
    async fn version(&self) -> i64 {
        self.0.version
    }

    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Sanitized HTML rendered from the document's rich text.
    async fn html(&self) -> async_graphql::Result<String> {
        Ok(self.0.document()?.html())
    }

    /// The document's Yjs state vector, base64.
    async fn state_vector(&self) -> async_graphql::Result<String> {
        Ok(BASE64.encode(self.0.document()?.state_vector()))
    }

    /// The base64 Yjs v1 update a client with state vector `since` lacks (the whole state
    /// when omitted).
    async fn update(&self, since: Option<String>) -> async_graphql::Result<String> {
        let since = since
            .map(|s| {
                BASE64
                    .decode(s.trim())
                    .map_err(|_| crate::error::AppError::bad_input("since", "not base64"))
            })
            .transpose()?;
        let diff = self
            .0
            .document()?
            .encode_diff(since.as_deref())
            .map_err(|e| note_error("since", e))?;
        Ok(BASE64.encode(diff))
    }

    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

pub struct PersonalNote(pub personal_note::Model);

#[Object]
impl PersonalNote {
    async fn text(&self) -> &str {
        &self.0.text
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum DiscussionItemKind {
    Metric,
    Feedback,
    QaReview,
    Lesson,
    Attachment,
}

impl From<discussion_item::DiscussionKind> for DiscussionItemKind {
    fn from(k: discussion_item::DiscussionKind) -> Self {
        use discussion_item::DiscussionKind as K;
        match k {
            K::Metric => Self::Metric,
            K::Feedback => Self::Feedback,
            K::QaReview => Self::QaReview,
            K::Lesson => Self::Lesson,
            K::Attachment => Self::Attachment,
        }
    }
}

pub struct DiscussionItem(pub discussion_item::Model);

#[Object]
impl DiscussionItem {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn kind(&self) -> DiscussionItemKind {
        self.0.kind.into()
    }

    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CoachingCategory>> {
        category(ctx, self.0.category_id).await
    }

    async fn added_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.added_by).await
    }

    /// The leader's coaching text for this item.
    async fn coaching_text(&self) -> &str {
        &self.0.coaching_text
    }

    async fn metric(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Metric>> {
        let Some(metric_id) = self.0.metric_id else {
            return Ok(None);
        };
        Ok(ctx
            .one_on_one_loader()
            .load_one(MetricById(metric_id))
            .await?
            .map(Into::into))
    }

    /// The metric's value for the member when the item was added.
    async fn metric_value(&self) -> Option<f64> {
        self.0.metric_value
    }

    async fn metric_period_start(&self) -> Option<NaiveDate> {
        self.0.metric_period_start
    }

    async fn metric_period_end(&self) -> Option<NaiveDate> {
        self.0.metric_period_end
    }

    async fn feedback_record(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<FeedbackRecord>> {
        let Some(record) = self.0.feedback_record_id else {
            return Ok(None);
        };
        Ok(ctx
            .one_on_one_loader()
            .load_one(FeedbackById(record))
            .await?
            .map(Into::into))
    }

    async fn qa_review(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<QaReview>> {
        let Some(record) = self.0.qa_review_id else {
            return Ok(None);
        };
        Ok(ctx
            .one_on_one_loader()
            .load_one(QaReviewById(record))
            .await?
            .map(Into::into))
    }

    async fn lesson(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lesson>> {
        let Some(lesson) = self.0.lesson_id else {
            return Ok(None);
        };
        Ok(ctx
            .one_on_one_loader()
            .load_one(LessonById(lesson))
            .await?
            .map(Into::into))
    }

    /// The attached file, for items of kind `ATTACHMENT` (`null` once it was removed).
    async fn attachment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Attachment>> {
        let Some(attachment) = self.0.attachment_id else {
            return Ok(None);
        };
        Ok(ctx
            .one_on_one_loader()
            .load_one(AttachmentById(attachment))
            .await?
            .map(Attachment))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Kudo(pub kudo::Model);

#[Object]
impl Kudo {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn text(&self) -> &str {
        &self.0.text
    }

    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.author_id).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ActionItem(pub ActionItemSnapshot);

#[Object]
impl ActionItem {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn text(&self) -> &str {
        &self.0.text
    }

    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CoachingCategory>> {
        category(ctx, self.0.category_id).await
    }

    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }

    async fn done(&self) -> bool {
        self.0.done
    }

    async fn done_at(&self) -> Option<DateTime<Utc>> {
        self.0.done_at
    }

    /// The session the item was created in.
    async fn one_on_one_id(&self) -> ID {
        id(self.0.one_on_one_id)
    }

    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.created_by).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SavedItemKind {
    Feedback,
    QaReview,
}

pub struct SavedItem(pub saved_for_discussion::Model);

#[Object]
impl SavedItem {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn kind(&self) -> DiscussionItemKind {
        self.0.kind.into()
    }

    async fn saved_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.saved_by).await
    }

    async fn feedback_record(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<FeedbackRecord>> {
        if self.0.kind != discussion_item::DiscussionKind::Feedback {
            return Ok(None);
        }
        Ok(ctx
            .one_on_one_loader()
            .load_one(FeedbackById(self.0.record_id))
            .await?
            .map(Into::into))
    }

    async fn qa_review(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<QaReview>> {
        if self.0.kind != discussion_item::DiscussionKind::QaReview {
            return Ok(None);
        }
        Ok(ctx
            .one_on_one_loader()
            .load_one(QaReviewById(self.0.record_id))
            .await?
            .map(Into::into))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

// ---------------------------------------------------------------------------------------------
// Events

#[derive(SimpleObject)]
pub struct SharedNoteEdited {
    pub seq: i64,
    pub one_on_one_id: ID,
    pub author_id: ID,
    /// The Yjs v1 update as applied, base64. Applying it twice is harmless.
    pub update: String,
    pub version: i64,
    pub text: String,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ActionItemChanged {
    pub seq: i64,
    pub one_on_one_id: ID,
    pub action_item_id: ID,
    pub removed: bool,
    #[graphql(skip)]
    pub snapshot: Option<ActionItemSnapshot>,
}

#[ComplexObject]
impl ActionItemChanged {
    /// The item as changed; `null` when it was removed.
    async fn item(&self) -> Option<ActionItem> {
        self.snapshot.clone().map(ActionItem)
    }
}

/// An event that only says what changed; clients refetch that part.
#[derive(SimpleObject)]
#[graphql(concrete(name = "KudosChanged", params(KudosMarker)))]
#[graphql(concrete(name = "DiscussionItemsChanged", params(DiscussionItemsMarker)))]
#[graphql(concrete(name = "AttachmentsChanged", params(AttachmentsMarker)))]
pub struct Changed<M: Send + Sync + 'static> {
    pub seq: i64,
    pub one_on_one_id: ID,
    #[graphql(skip)]
    pub marker: std::marker::PhantomData<M>,
}

pub struct KudosMarker;
pub struct DiscussionItemsMarker;
pub struct AttachmentsMarker;

#[derive(SimpleObject)]
pub struct KudosCelebrated {
    pub seq: i64,
    pub one_on_one_id: ID,
    pub celebrated_by: ID,
}

#[derive(SimpleObject)]
pub struct OneOnOneChanged {
    pub seq: i64,
    pub one_on_one_id: ID,
    pub title: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub status: OneOnOneStatus,
    pub private: bool,
}

/// The first message of every `oneOnOneEvents` subscription: the stream is live, and the
/// events up to `seq` (after the requested `afterSeq`) follow.
#[derive(SimpleObject)]
pub struct Subscribed {
    pub seq: i64,
    pub one_on_one_id: ID,
}

/// `afterSeq` is older than the event log keeps (or newer than the session): refetch the
/// session, then continue from `latestSeq`.
#[derive(SimpleObject)]
pub struct ResyncRequired {
    pub latest_seq: i64,
    pub one_on_one_id: ID,
}

#[derive(Union)]
pub enum OneOnOneEvent {
    Subscribed(Subscribed),
    ResyncRequired(ResyncRequired),
    SharedNoteEdited(SharedNoteEdited),
    ActionItemChanged(ActionItemChanged),
    KudosChanged(Changed<KudosMarker>),
    KudosCelebrated(KudosCelebrated),
    DiscussionItemsChanged(Changed<DiscussionItemsMarker>),
    AttachmentsChanged(Changed<AttachmentsMarker>),
    OneOnOneChanged(OneOnOneChanged),
}

fn changed<M: Send + Sync + 'static>(seq: i64, one_on_one_id: ID) -> Changed<M> {
    Changed {
        seq,
        one_on_one_id,
        marker: std::marker::PhantomData,
    }
}

impl From<LoggedEvent> for OneOnOneEvent {
    fn from(logged: LoggedEvent) -> Self {
        let seq = logged.seq;
        let session = id(logged.one_on_one_id);
        match logged.event {
            Event::SharedNoteEdited {
                author_id,
                update,
                version,
                text,
            } => Self::SharedNoteEdited(SharedNoteEdited {
                seq,
                one_on_one_id: session,
                author_id: id(author_id),
                update,
                version,
                text,
            }),
            Event::ActionItemChanged {
                action_item_id,
                item,
            } => Self::ActionItemChanged(ActionItemChanged {
                seq,
                one_on_one_id: session,
                action_item_id: id(action_item_id),
                removed: item.is_none(),
                snapshot: item,
            }),
            Event::KudosChanged => Self::KudosChanged(changed(seq, session)),
            Event::KudosCelebrated { by } => Self::KudosCelebrated(KudosCelebrated {
                seq,
                one_on_one_id: session,
                celebrated_by: id(by),
            }),
            Event::DiscussionItemsChanged => Self::DiscussionItemsChanged(changed(seq, session)),
            Event::AttachmentsChanged => Self::AttachmentsChanged(changed(seq, session)),
            Event::OneOnOneChanged {
                title,
                scheduled_at,
                status,
                private,
            } => Self::OneOnOneChanged(OneOnOneChanged {
                seq,
                one_on_one_id: session,
                title,
                scheduled_at,
                status: if status == "SHARED" {
                    OneOnOneStatus::Shared
                } else {
                    OneOnOneStatus::Draft
                },
                private,
            }),
        }
    }
}

/// What kind of record a tombstone stands for.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::tombstone::Kind")]
pub enum TombstoneKind {
    /// A deleted draft 1:1 (its items went with it), or a 1:1 made private.
    OneOnOne,
    ActionItem,
    DiscussionItem,
    Kudo,
    Attachment,
}

/// Why a record is gone for the viewer.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::tombstone::Reason")]
pub enum TombstoneReason {
    Deleted,
    /// The 1:1 was made private: it still exists, for its two participants only. Should it
    /// be opened again, it is listed with an `updatedAt` after this `deletedAt`.
    Hidden,
}

/// A record that is gone for the viewer: a client syncing with `updatedSince` drops it from
/// its cache.
#[derive(SimpleObject)]
pub struct Tombstone {
    pub kind: TombstoneKind,
    pub reason: TombstoneReason,
    /// The id the record had.
    pub record_id: ID,
    /// The 1:1 it belonged to (the 1:1 itself for `ONE_ON_ONE`).
    pub one_on_one_id: ID,
    /// When it was deleted (or hidden).
    pub deleted_at: DateTime<Utc>,
}

/// The tombstones' connection fields besides the page.
#[derive(SimpleObject)]
pub struct TombstoneTotals {
    /// How many tombstones the whole list holds for this viewer and these filters.
    pub total_count: u64,
    /// What the viewer may see changed at or after `since` through their teams, their role
    /// or the company's settings — across many 1:1s at once and both ways, which no tombstone
    /// lists: refetch the lists without `updatedSince`, then sync from then on.
    pub resync_required: bool,
}

impl From<entity::tombstone::Model> for Tombstone {
    fn from(row: entity::tombstone::Model) -> Self {
        Self {
            kind: row.kind.into(),
            reason: row.reason.into(),
            record_id: id(row.record_id),
            one_on_one_id: id(row.one_on_one_id),
            deleted_at: row.deleted_at,
        }
    }
}
