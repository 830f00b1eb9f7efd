//! What is discussed and decided in a session: discussion items (metric snapshots, feedback,
//! QA reviews, lessons, items saved for discussion), kudos, and action items that carry over
//! through the pair's series.

use chrono::{NaiveDate, Utc};
use entity::{
    action_item, coaching_category,
    discussion_item::{self, DiscussionKind},
    feedback_record, kudo, lesson, metric, metric_value, one_on_one, qa_review,
    saved_for_discussion, tombstone,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    events::{ActionItemSnapshot, Event, SessionTxn},
    service::{Authorized, authorize, gate},
    tombstones,
};
use crate::{
    error::{AppError, AppResult},
    policy::{self, OneOnOneAction, Viewer},
    state::AppState,
    validate,
};

const ITEM_TEXT_MAX: usize = 5_000;

/// A category that may be chosen for a new or edited item: the company's, not archived.
async fn active_category<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    let Some(id) = id else { return Ok(None) };
    coaching_category::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, coaching_category::Column::CompanyId))
        .filter(coaching_category::Column::ArchivedAt.is_null())
        .one(db)
        .await?
        .map(|c| Some(c.id))
        .ok_or_else(|| AppError::bad_input("categoryId", "no active category with this id"))
}

// ---------------------------------------------------------------------------------------------
// Discussion items

/// What to discuss: exactly one reference.
pub enum DiscussionSource {
    Metric { metric_id: Uuid },
    Feedback { record_id: Uuid },
    QaReview { record_id: Uuid },
    Lesson { lesson_id: Uuid },
    Saved { saved_id: Uuid },
    Attachment { attachment_id: Uuid },
}

pub struct NewDiscussionItem {
    pub source: DiscussionSource,
    pub category_id: Option<Uuid>,
    pub coaching_text: String,
}

fn blank_item(
    session: &one_on_one::Model,
    viewer: &Viewer,
    kind: DiscussionKind,
) -> discussion_item::ActiveModel {
    let now = Utc::now();
    discussion_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(session.company_id),
        one_on_one_id: Set(session.id),
        kind: Set(kind),
        category_id: Set(None),
        added_by: Set(viewer.user_id),
        metric_id: Set(None),
        metric_value: Set(None),
        metric_period_start: Set(None),
        metric_period_end: Set(None),
        coaching_text: Set(String::new()),
        feedback_record_id: Set(None),
        qa_review_id: Set(None),
        lesson_id: Set(None),
        attachment_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A feedback record or QA review about the session's member, as a discussion item.
async fn record_item<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    session: &one_on_one::Model,
    kind: DiscussionKind,
    record_id: Uuid,
    field: &str,
) -> AppResult<discussion_item::ActiveModel> {
    let missing = || AppError::bad_input(field, "no such record about this Team Member");
    let mut item = blank_item(session, viewer, kind);
    match kind {
        DiscussionKind::Feedback => {
            feedback_record::Entity::find_by_id(record_id)
                .filter(feedback_record::Column::CompanyId.eq(session.company_id))
                .filter(feedback_record::Column::UserId.eq(session.member_id))
                .one(db)
                .await?
                .ok_or_else(missing)?;
            item.feedback_record_id = Set(Some(record_id));
        }
        DiscussionKind::QaReview => {
            qa_review::Entity::find_by_id(record_id)
                .filter(qa_review::Column::CompanyId.eq(session.company_id))
                .filter(qa_review::Column::UserId.eq(session.member_id))
                .one(db)
                .await?
                .ok_or_else(missing)?;
            item.qa_review_id = Set(Some(record_id));
        }
        _ => return Err(missing()),
    }
    Ok(item)
}

pub async fn add_discussion_item(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
    input: NewDiscussionItem,
) -> AppResult<discussion_item::Model> {
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        one_on_one_id,
        Some(OneOnOneAction::EditItems),
    )
    .await?;
    let category_id = active_category(&state.db, viewer, input.category_id).await?;
    let coaching_text = validate::optional_text(
        "coachingText",
        &input.coaching_text,
        validate::LONG_TEXT_MAX,
    )?;
    let mut txn = SessionTxn::begin(state).await?;
    let mut item = match input.source {
        DiscussionSource::Metric { metric_id } => {
            metric::Entity::find_by_id(metric_id)
                .filter(metric::Column::CompanyId.eq(session.company_id))
                .one(txn.db())
                .await?
                .ok_or_else(|| AppError::bad_input("metricId", "no such metric"))?;
            // The snapshot: the member's latest value of the metric when the item is added.
            let latest = metric_value::Entity::find()
                .filter(metric_value::Column::MetricId.eq(metric_id))
                .filter(metric_value::Column::UserId.eq(session.member_id))
                .order_by_desc(metric_value::Column::PeriodStart)
                .one(txn.db())
                .await?;
            let mut item = blank_item(&session, viewer, DiscussionKind::Metric);
            item.metric_id = Set(Some(metric_id));
            item.metric_value = Set(latest.as_ref().map(|v| v.value));
            item.metric_period_start = Set(latest.as_ref().map(|v| v.period_start));
            item.metric_period_end = Set(latest.as_ref().map(|v| v.period_end));
            item
        }
        DiscussionSource::Feedback { record_id } => {
            record_item(
                txn.db(),
                viewer,
                &session,
                DiscussionKind::Feedback,
                record_id,
                "feedbackRecordId",
            )
            .await?
        }
        DiscussionSource::QaReview { record_id } => {
            record_item(
                txn.db(),
                viewer,
                &session,
                DiscussionKind::QaReview,
                record_id,
                "qaReviewId",
            )
            .await?
        }
        DiscussionSource::Lesson { lesson_id } => {
            lesson::Entity::find_by_id(lesson_id)
                .filter(lesson::Column::CompanyId.eq(session.company_id))
                .one(txn.db())
                .await?
                .ok_or_else(|| AppError::bad_input("lessonId", "no such lesson"))?;
            let mut item = blank_item(&session, viewer, DiscussionKind::Lesson);
            item.lesson_id = Set(Some(lesson_id));
            item
        }
        DiscussionSource::Saved { saved_id } => {
            let saved = saved_for_session(txn.db(), &session)
                .await?
                .into_iter()
                .find(|s| s.id == saved_id)
                .ok_or_else(|| {
                    AppError::bad_input("savedItemId", "nothing saved with this id for this 1:1")
                })?;
            let item = record_item(
                txn.db(),
                viewer,
                &session,
                saved.kind,
                saved.record_id,
                "savedItemId",
            )
            .await?;
            saved_for_discussion::ActiveModel {
                id: Set(saved.id),
                used_in_one_on_one_id: Set(Some(session.id)),
                ..Default::default()
            }
            .update(txn.db())
            .await?;
            item
        }
        DiscussionSource::Attachment { attachment_id } => {
            crate::attachments::service::ready_in_session(txn.db(), &session, attachment_id)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("attachmentId", "no such attachment in this 1:1")
                })?;
            let mut item = blank_item(&session, viewer, DiscussionKind::Attachment);
            item.attachment_id = Set(Some(attachment_id));
            item
        }
    };
    item.category_id = Set(category_id);
    item.coaching_text = Set(coaching_text);
    let item = item.insert(txn.db()).await?;
    txn.append(&session, Event::DiscussionItemsChanged).await?;
    txn.commit().await?;
    Ok(item)
}

pub async fn remove_discussion_item(
    state: &AppState,
    viewer: &Viewer,
    item_id: Uuid,
) -> AppResult<Uuid> {
    let item = discussion_item::Entity::find_by_id(item_id)
        .filter(policy::tenant(viewer, discussion_item::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        item.one_on_one_id,
        Some(OneOnOneAction::EditItems),
    )
    .await?;
    let mut txn = SessionTxn::begin(state).await?;
    tombstones::record(txn.db(), &session, tombstone::Kind::DiscussionItem, item.id).await?;
    discussion_item::Entity::delete_by_id(item.id)
        .exec(txn.db())
        .await?;
    txn.append(&session, Event::DiscussionItemsChanged).await?;
    txn.commit().await?;
    Ok(item.id)
}

// ---------------------------------------------------------------------------------------------
// Saved for discussion

/// Saves a feedback record or QA review the viewer can see for an upcoming 1:1 about the
/// agent it concerns. Saving the same record twice keeps one entry.
pub async fn save_for_discussion(
    state: &AppState,
    viewer: &Viewer,
    kind: DiscussionKind,
    record_id: Uuid,
) -> AppResult<saved_for_discussion::Model> {
    let subject_id = match kind {
        DiscussionKind::Feedback => feedback_record::Entity::find_by_id(record_id)
            .filter(policy::person_records_scope(
                viewer,
                feedback_record::Column::CompanyId,
                feedback_record::Column::UserId,
            ))
            .one(&state.db)
            .await?
            .map(|r| r.user_id),
        DiscussionKind::QaReview => qa_review::Entity::find_by_id(record_id)
            .filter(policy::person_records_scope(
                viewer,
                qa_review::Column::CompanyId,
                qa_review::Column::UserId,
            ))
            .one(&state.db)
            .await?
            .map(|r| r.user_id),
        _ => {
            return Err(AppError::bad_input(
                "kind",
                "only feedback records and QA reviews are saved",
            ));
        }
    }
    .ok_or(AppError::NotFound)?;
    policy::require_save_for_discussion(viewer, subject_id)?;
    let existing = saved_for_discussion::Entity::find()
        .filter(saved_for_discussion::Column::SavedBy.eq(viewer.user_id))
        .filter(saved_for_discussion::Column::RecordId.eq(record_id))
        .one(&state.db)
        .await?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    Ok(saved_for_discussion::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        saved_by: Set(viewer.user_id),
        subject_id: Set(subject_id),
        kind: Set(kind),
        record_id: Set(record_id),
        used_in_one_on_one_id: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&state.db)
    .await?)
}

/// Items saved by either participant about the session's member and not yet discussed.
pub async fn saved_for_session<C: ConnectionTrait>(
    db: &C,
    session: &one_on_one::Model,
) -> AppResult<Vec<saved_for_discussion::Model>> {
    use saved_for_discussion::Column;
    Ok(saved_for_discussion::Entity::find()
        .filter(Column::CompanyId.eq(session.company_id))
        .filter(Column::SubjectId.eq(session.member_id))
        .filter(Column::SavedBy.is_in([session.leader_id, session.member_id]))
        .filter(Column::UsedInOneOnOneId.is_null())
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Kudos

pub async fn add_kudo(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
    text: &str,
) -> AppResult<kudo::Model> {
    let Authorized { session, .. } =
        authorize(&state.db, viewer, one_on_one_id, Some(OneOnOneAction::Lead)).await?;
    let text = validate::required_text("text", text, ITEM_TEXT_MAX)?;
    let mut txn = SessionTxn::begin(state).await?;
    let kudo = kudo::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(session.company_id),
        one_on_one_id: Set(session.id),
        author_id: Set(viewer.user_id),
        text: Set(text),
        created_at: Set(Utc::now()),
    }
    .insert(txn.db())
    .await?;
    txn.append(&session, Event::KudosChanged).await?;
    txn.commit().await?;
    Ok(kudo)
}

pub async fn remove_kudo(state: &AppState, viewer: &Viewer, kudo_id: Uuid) -> AppResult<Uuid> {
    let kudo = kudo::Entity::find_by_id(kudo_id)
        .filter(policy::tenant(viewer, kudo::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        kudo.one_on_one_id,
        Some(OneOnOneAction::Lead),
    )
    .await?;
    let mut txn = SessionTxn::begin(state).await?;
    tombstones::record(txn.db(), &session, tombstone::Kind::Kudo, kudo.id).await?;
    kudo::Entity::delete_by_id(kudo.id).exec(txn.db()).await?;
    txn.append(&session, Event::KudosChanged).await?;
    txn.commit().await?;
    Ok(kudo.id)
}

/// Every open screen of the session sees the celebration live (through the event log).
pub async fn celebrate(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
) -> AppResult<one_on_one::Model> {
    let Authorized { session, .. } =
        authorize(&state.db, viewer, one_on_one_id, Some(OneOnOneAction::Lead)).await?;
    let mut txn = SessionTxn::begin(state).await?;
    txn.append(&session, Event::KudosCelebrated { by: viewer.user_id })
        .await?;
    txn.commit().await?;
    Ok(session)
}

// ---------------------------------------------------------------------------------------------
// Action items

/// Does `session` show `item`? Its own items, and the pair's items from earlier sessions that
/// were still open when it began (the same rows: carried over, not copied).
pub fn shows_action_item(session: &one_on_one::Model, item: &action_item::Model) -> bool {
    item.series_id == session.series_id
        && (item.one_on_one_id == session.id
            || (item.created_at < session.created_at
                && item
                    .done_at
                    .is_none_or(|done_at| done_at >= session.created_at)))
}

/// The action items `session` shows, oldest first (for its recap and its export; queries
/// batch them through `OneOnOneLoader`).
pub async fn shown_action_items<C: ConnectionTrait>(
    db: &C,
    session: &one_on_one::Model,
) -> AppResult<Vec<action_item::Model>> {
    Ok(action_item::Entity::find()
        .filter(action_item::Column::SeriesId.eq(session.series_id))
        .order_by_asc(action_item::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|item| shows_action_item(session, item))
        .collect())
}

/// The kudos of a session, oldest first.
pub async fn kudos_of<C: ConnectionTrait>(
    db: &C,
    session: &one_on_one::Model,
) -> AppResult<Vec<kudo::Model>> {
    Ok(kudo::Entity::find()
        .filter(kudo::Column::OneOnOneId.eq(session.id))
        .order_by_asc(kudo::Column::Id)
        .all(db)
        .await?)
}

pub fn snapshot(item: &action_item::Model) -> ActionItemSnapshot {
    ActionItemSnapshot {
        id: item.id,
        text: item.text.clone(),
        category_id: item.category_id,
        due_on: item.due_on,
        done: item.done,
        done_at: item.done_at,
        one_on_one_id: item.one_on_one_id,
        created_by: item.created_by,
        created_at: item.created_at,
    }
}

pub struct ActionItemFields {
    pub text: Option<String>,
    /// `Some(None)` clears the category.
    pub category_id: Option<Option<Uuid>>,
    /// `Some(None)` clears the due date.
    pub due_on: Option<Option<NaiveDate>>,
}

pub async fn add_action_item(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
    fields: ActionItemFields,
) -> AppResult<action_item::Model> {
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        one_on_one_id,
        Some(OneOnOneAction::EditItems),
    )
    .await?;
    let text = validate::required_text(
        "text",
        fields.text.as_deref().unwrap_or_default(),
        ITEM_TEXT_MAX,
    )?;
    let category_id = active_category(&state.db, viewer, fields.category_id.flatten()).await?;
    let now = Utc::now();
    let mut txn = SessionTxn::begin(state).await?;
    let item = action_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(session.company_id),
        series_id: Set(session.series_id),
        one_on_one_id: Set(session.id),
        text: Set(text),
        category_id: Set(category_id),
        due_on: Set(fields.due_on.flatten()),
        done: Set(false),
        done_at: Set(None),
        created_by: Set(viewer.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn.db())
    .await?;
    announce_action_item(&mut txn, &session, item.id, Some(&item)).await?;
    txn.commit().await?;
    Ok(item)
}

/// The action item and a session that shows it which the viewer may edit in: the latest
/// session of the pair that the viewer sees and that shows the item.
async fn editable_action_item(
    state: &AppState,
    viewer: &Viewer,
    item_id: Uuid,
) -> AppResult<(action_item::Model, one_on_one::Model)> {
    let company = gate(&state.db, viewer).await?;
    let item = action_item::Entity::find_by_id(item_id)
        .filter(policy::tenant(viewer, action_item::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let session = one_on_one::Entity::find()
        .filter(one_on_one::Column::SeriesId.eq(item.series_id))
        .filter(policy::one_on_one_scope(viewer, &company))
        .order_by_desc(one_on_one::Column::CreatedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .find(|s| shows_action_item(s, &item))
        .ok_or(AppError::NotFound)?;
    policy::require_one_on_one_action(viewer, &session, OneOnOneAction::EditItems)?;
    Ok((item, session))
}

/// Announces an action item change on every session of the pair that shows it.
async fn announce_action_item(
    txn: &mut SessionTxn<'_>,
    origin: &one_on_one::Model,
    item_id: Uuid,
    item: Option<&action_item::Model>,
) -> AppResult<()> {
    let sessions = one_on_one::Entity::find()
        .filter(one_on_one::Column::SeriesId.eq(origin.series_id))
        .filter(
            Condition::any()
                .add(one_on_one::Column::Id.eq(origin.id))
                .add(one_on_one::Column::CreatedAt.gt(origin.created_at)),
        )
        .all(txn.db())
        .await?;
    for session in sessions {
        let shown = match item {
            Some(item) => shows_action_item(&session, item),
            None => true,
        };
        if shown || session.id == origin.id {
            let event = Event::ActionItemChanged {
                action_item_id: item_id,
                item: item.map(snapshot),
            };
            txn.append(&session, event).await?;
        }
    }
    Ok(())
}

pub async fn update_action_item(
    state: &AppState,
    viewer: &Viewer,
    item_id: Uuid,
    fields: ActionItemFields,
) -> AppResult<action_item::Model> {
    let (item, _) = editable_action_item(state, viewer, item_id).await?;
    let mut model = action_item::ActiveModel {
        id: Set(item.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(text) = fields.text {
        model.text = Set(validate::required_text("text", &text, ITEM_TEXT_MAX)?);
    }
    if let Some(category_id) = fields.category_id {
        model.category_id = Set(active_category(&state.db, viewer, category_id).await?);
    }
    if let Some(due_on) = fields.due_on {
        model.due_on = Set(due_on);
    }
    save_action_item(state, &item, model).await
}

pub async fn set_action_item_done(
    state: &AppState,
    viewer: &Viewer,
    item_id: Uuid,
    done: bool,
) -> AppResult<action_item::Model> {
    let (item, _) = editable_action_item(state, viewer, item_id).await?;
    if item.done == done {
        return Ok(item);
    }
    let now = Utc::now();
    let model = action_item::ActiveModel {
        id: Set(item.id),
        done: Set(done),
        done_at: Set(done.then_some(now)),
        updated_at: Set(now),
        ..Default::default()
    };
    save_action_item(state, &item, model).await
}

async fn save_action_item(
    state: &AppState,
    item: &action_item::Model,
    model: action_item::ActiveModel,
) -> AppResult<action_item::Model> {
    let origin = one_on_one::Entity::find_by_id(item.one_on_one_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut txn = SessionTxn::begin(state).await?;
    let updated = model.update(txn.db()).await?;
    announce_action_item(&mut txn, &origin, updated.id, Some(&updated)).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn remove_action_item(
    state: &AppState,
    viewer: &Viewer,
    item_id: Uuid,
) -> AppResult<Uuid> {
    let (item, _) = editable_action_item(state, viewer, item_id).await?;
    let origin = one_on_one::Entity::find_by_id(item.one_on_one_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut txn = SessionTxn::begin(state).await?;
    announce_action_item(&mut txn, &origin, item.id, None).await?;
    tombstones::record(txn.db(), &origin, tombstone::Kind::ActionItem, item.id).await?;
    action_item::Entity::delete_by_id(item.id)
        .exec(txn.db())
        .await?;
    txn.commit().await?;
    Ok(item.id)
}

/// What the participants saved for this session's member; nobody else sees the list.
pub async fn saved_visible_in(
    state: &AppState,
    viewer: &Viewer,
    session: &one_on_one::Model,
) -> AppResult<Vec<saved_for_discussion::Model>> {
    if policy::require_one_on_one_action(viewer, session, OneOnOneAction::EditItems).is_err() {
        return Ok(Vec::new());
    }
    saved_for_session(&state.db, session).await
}
