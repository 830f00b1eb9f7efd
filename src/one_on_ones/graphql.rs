//! 1:1 queries and mutations (SPEC §9, 1:1 row). Every one goes through the service, which
//! asks the policy: switches, visibility, then permission.

use async_graphql::{
    Context, ID, InputObject, MaybeUndefined, Object, SimpleObject, connection::Connection,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::discussion_item::DiscussionKind;

use super::{
    items::{self, ActionItemFields, DiscussionSource, NewDiscussionItem},
    notes, service,
    service::{NewSession, SessionChanges, SessionFilter},
    tombstones,
    types::{
        ActionItem, Cadence, DiscussionItem, Kudo, OneOnOne, OneOnOneStatus, PersonalNote,
        SavedItem, SavedItemKind, SharedNote, Tombstone, TombstoneKind, TombstoneTotals,
    },
};
use crate::{
    error::AppError,
    graphql::{
        ContextExt,
        connection::{PageArgs, RelayConnection, to_connection, to_connection_with},
        parse_id,
    },
};

fn optional_id(field: &str, id: Option<ID>) -> Result<Option<uuid::Uuid>, AppError> {
    id.map(|id| parse_id(field, &id)).transpose()
}

/// `MaybeUndefined` → "leave", "clear" or "set".
fn change<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(Default)]
pub struct OneOnOneQuery;

#[Object]
impl OneOnOneQuery {
    /// The 1:1s the viewer may see (SPEC §5), oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn one_on_ones(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        member_id: Option<ID>,
        leader_id: Option<ID>,
        status: Option<OneOnOneStatus>,
        scheduled_from: Option<DateTime<Utc>>,
        scheduled_to: Option<DateTime<Utc>>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<OneOnOne>> {
        let viewer = ctx.viewer()?;
        let filter = SessionFilter {
            member_id: optional_id("memberId", member_id)?,
            leader_id: optional_id("leaderId", leader_id)?,
            status: status.map(Into::into),
            scheduled_from,
            scheduled_to,
            updated_since,
        };
        let page_args = PageArgs::new(first, after).counting_if_selected(ctx);
        let page = service::list(ctx.state(), viewer, filter, &page_args).await?;
        Ok(to_connection(page.map(|(id, s)| (id, OneOnOne(s)))))
    }

    async fn one_on_one(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OneOnOne> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(OneOnOne(service::get(ctx.state(), viewer, id).await?))
    }

    /// Records gone at or after `since` (deleted, or 1:1s made private) that the viewer could
    /// see, oldest first: with the lists' `updatedSince`, what a client needs to keep a cache
    /// in sync — unless `resyncRequired` says to refetch the lists in full.
    async fn tombstones(
        &self,
        ctx: &Context<'_>,
        since: DateTime<Utc>,
        kinds: Option<Vec<TombstoneKind>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Tombstone, TombstoneTotals>> {
        let viewer = ctx.viewer()?;
        let kinds = kinds.map(|kinds| kinds.into_iter().map(Into::into).collect());
        let changes = tombstones::list(
            ctx.state(),
            viewer,
            since,
            kinds,
            &PageArgs::new(first, after),
        )
        .await?;
        let totals = TombstoneTotals {
            total_count: changes.tombstones.total_count,
            resync_required: changes.resync_required,
        };
        Ok(to_connection_with(
            changes.tombstones.map(|(id, t)| (id, t.into())),
            totals,
        ))
    }
}

#[derive(InputObject)]
pub struct CreateOneOnOneInput {
    pub member_id: ID,
    /// Defaults to "1:1 with <member>".
    pub title: Option<String>,
    /// Defaults to the series' proposal (latest scheduled session + cadence).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Sets the pair's cadence.
    pub cadence: Option<Cadence>,
    #[graphql(default = false)]
    pub private: bool,
}

#[derive(InputObject)]
pub struct UpdateOneOnOneInput {
    pub title: Option<String>,
    /// `null` clears the schedule.
    pub scheduled_at: MaybeUndefined<DateTime<Utc>>,
    pub private: Option<bool>,
    pub cadence: Option<Cadence>,
}

/// Exactly one of `metricId`, `feedbackRecordId`, `qaReviewId`, `lessonId`, `savedItemId`,
/// `attachmentId`.
#[derive(InputObject)]
pub struct AddDiscussionItemInput {
    pub metric_id: Option<ID>,
    pub feedback_record_id: Option<ID>,
    pub qa_review_id: Option<ID>,
    pub lesson_id: Option<ID>,
    /// An item saved for discussion, pulled into this session.
    pub saved_item_id: Option<ID>,
    /// A file attached to this session (`uploadAttachment`).
    pub attachment_id: Option<ID>,
    pub category_id: Option<ID>,
    #[graphql(default)]
    pub coaching_text: String,
}

#[derive(InputObject)]
pub struct ActionItemInput {
    pub text: String,
    pub category_id: Option<ID>,
    pub due_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct UpdateActionItemInput {
    pub text: Option<String>,
    /// `null` clears the category.
    pub category_id: MaybeUndefined<ID>,
    /// `null` clears the due date.
    pub due_on: MaybeUndefined<NaiveDate>,
}

#[derive(SimpleObject)]
pub struct DeletedPayload {
    pub id: ID,
}

fn deleted(id: uuid::Uuid) -> DeletedPayload {
    DeletedPayload {
        id: ID(id.to_string()),
    }
}

#[derive(Default)]
pub struct OneOnOneMutation;

#[Object]
impl OneOnOneMutation {
    /// "New draft": a draft 1:1 of the viewer (a Team Leader) with a Team Member, in the
    /// pair's series.
    async fn create_one_on_one(
        &self,
        ctx: &Context<'_>,
        input: CreateOneOnOneInput,
    ) -> async_graphql::Result<OneOnOne> {
        let viewer = ctx.viewer()?;
        let new = NewSession {
            member_id: parse_id("memberId", &input.member_id)?,
            title: input.title,
            scheduled_at: input.scheduled_at,
            cadence: input.cadence.map(Into::into),
            private: input.private,
        };
        Ok(OneOnOne(service::create(ctx.state(), viewer, new).await?))
    }

    async fn update_one_on_one(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateOneOnOneInput,
    ) -> async_graphql::Result<OneOnOne> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        let changes = SessionChanges {
            title: input.title,
            scheduled_at: change(input.scheduled_at),
            private: input.private,
            cadence: input.cadence.map(Into::into),
        };
        Ok(OneOnOne(
            service::update(ctx.state(), viewer, id, changes).await?,
        ))
    }

    /// Deletes a draft.
    async fn delete_one_on_one(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletedPayload> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(deleted(service::delete(ctx.state(), viewer, id).await?))
    }

    /// Makes the draft visible to its Team Member and emails them a link.
    async fn share_one_on_one(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OneOnOne> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(OneOnOne(service::share(ctx.state(), viewer, id).await?))
    }

    /// Emails both participants the recap (never a personal note).
    async fn resend_one_on_one_recap(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OneOnOne> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(OneOnOne(
            service::resend_recap(ctx.state(), viewer, id).await?,
        ))
    }

    /// Replaces the viewer's shared note text; the server turns the difference into Yjs
    /// operations. A stale `baseVersion` answers `CONFLICT` with `currentVersion` and
    /// `currentText` in the error's extensions.
    async fn update_shared_note(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        text: String,
        base_version: i64,
    ) -> async_graphql::Result<SharedNote> {
        let viewer = ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        Ok(SharedNote(
            notes::update_shared_text(ctx.state(), viewer, id, &text, base_version).await?,
        ))
    }

    /// Merges a base64 Yjs v1 update into the viewer's own shared note.
    async fn apply_shared_note_update(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        update: String,
    ) -> async_graphql::Result<SharedNote> {
        let viewer = ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        Ok(SharedNote(
            notes::apply_shared_update(ctx.state(), viewer, id, &update).await?,
        ))
    }

    /// The viewer's own personal note, which nobody else ever sees.
    async fn update_personal_note(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        text: String,
    ) -> async_graphql::Result<PersonalNote> {
        let viewer = ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        Ok(PersonalNote(
            notes::update_personal(ctx.state(), viewer, id, &text).await?,
        ))
    }

    async fn add_discussion_item(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        input: AddDiscussionItemInput,
    ) -> async_graphql::Result<DiscussionItem> {
        let viewer = ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        let mut sources = Vec::new();
        if let Some(metric) = input.metric_id {
            sources.push(DiscussionSource::Metric {
                metric_id: parse_id("metricId", &metric)?,
            });
        }
        if let Some(record) = input.feedback_record_id {
            sources.push(DiscussionSource::Feedback {
                record_id: parse_id("feedbackRecordId", &record)?,
            });
        }
        if let Some(record) = input.qa_review_id {
            sources.push(DiscussionSource::QaReview {
                record_id: parse_id("qaReviewId", &record)?,
            });
        }
        if let Some(lesson) = input.lesson_id {
            sources.push(DiscussionSource::Lesson {
                lesson_id: parse_id("lessonId", &lesson)?,
            });
        }
        if let Some(saved) = input.saved_item_id {
            sources.push(DiscussionSource::Saved {
                saved_id: parse_id("savedItemId", &saved)?,
            });
        }
        if let Some(attachment) = input.attachment_id {
            sources.push(DiscussionSource::Attachment {
                attachment_id: parse_id("attachmentId", &attachment)?,
            });
        }
        if sources.len() != 1 {
            return Err(AppError::bad_input(
                "input",
                "give exactly one of metricId, feedbackRecordId, qaReviewId, lessonId, savedItemId, attachmentId",
            )
            .into());
        }
        let new = NewDiscussionItem {
            source: sources.remove(0),
            category_id: optional_id("categoryId", input.category_id)?,
            coaching_text: input.coaching_text,
        };
        Ok(DiscussionItem(
            items::add_discussion_item(ctx.state(), viewer, id, new).await?,
        ))
    }

    async fn remove_discussion_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletedPayload> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(deleted(
            items::remove_discussion_item(ctx.state(), viewer, id).await?,
        ))
    }

    /// Saves a feedback record or QA review to discuss in an upcoming 1:1.
    async fn save_for_discussion(
        &self,
        ctx: &Context<'_>,
        kind: SavedItemKind,
        record_id: ID,
    ) -> async_graphql::Result<SavedItem> {
        let viewer = ctx.viewer()?;
        let record_id = parse_id("recordId", &record_id)?;
        let kind = match kind {
            SavedItemKind::Feedback => DiscussionKind::Feedback,
            SavedItemKind::QaReview => DiscussionKind::QaReview,
        };
        Ok(SavedItem(
            items::save_for_discussion(ctx.state(), viewer, kind, record_id).await?,
        ))
    }

    async fn add_kudo(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        text: String,
    ) -> async_graphql::Result<Kudo> {
        let viewer = ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        Ok(Kudo(items::add_kudo(ctx.state(), viewer, id, &text).await?))
    }

    async fn remove_kudo(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletedPayload> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(deleted(items::remove_kudo(ctx.state(), viewer, id).await?))
    }

    /// Every open screen of the session sees the celebration live.
    async fn celebrate_kudos(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
    ) -> async_graphql::Result<OneOnOne> {
        let viewer = ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        Ok(OneOnOne(items::celebrate(ctx.state(), viewer, id).await?))
    }

    async fn add_action_item(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        input: ActionItemInput,
    ) -> async_graphql::Result<ActionItem> {
        let viewer = ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        let fields = ActionItemFields {
            text: Some(input.text),
            category_id: Some(optional_id("categoryId", input.category_id)?),
            due_on: Some(input.due_on),
        };
        let item = items::add_action_item(ctx.state(), viewer, id, fields).await?;
        Ok(ActionItem(items::snapshot(&item)))
    }

    async fn update_action_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateActionItemInput,
    ) -> async_graphql::Result<ActionItem> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        let category_id = match change(input.category_id) {
            Some(Some(category)) => Some(Some(parse_id("categoryId", &category)?)),
            Some(None) => Some(None),
            None => None,
        };
        let fields = ActionItemFields {
            text: input.text,
            category_id,
            due_on: change(input.due_on),
        };
        let item = items::update_action_item(ctx.state(), viewer, id, fields).await?;
        Ok(ActionItem(items::snapshot(&item)))
    }

    async fn set_action_item_done(
        &self,
        ctx: &Context<'_>,
        id: ID,
        done: bool,
    ) -> async_graphql::Result<ActionItem> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        let item = items::set_action_item_done(ctx.state(), viewer, id, done).await?;
        Ok(ActionItem(items::snapshot(&item)))
    }

    async fn remove_action_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletedPayload> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(deleted(
            items::remove_action_item(ctx.state(), viewer, id).await?,
        ))
    }
}
