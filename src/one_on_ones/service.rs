//! Sessions and series: the access path every 1:1 operation goes through (`authorize`), and
//! creating, listing, editing, sharing, recapping and deleting sessions.

use chrono::{DateTime, Months, Utc};
use entity::{company, one_on_one, one_on_one_series, tombstone, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::{
    emails,
    events::{Event, SessionTxn},
    tombstones,
};
use crate::{
    error::{AppError, AppResult},
    graphql::connection::{Page, PageArgs, paginate_branches},
    policy::{self, OneOnOneAction, Viewer},
    state::AppState,
    validate,
};

/// A session the viewer may see, with their company (whose settings shaped that decision).
pub struct Authorized {
    pub company: company::Model,
    pub session: one_on_one::Model,
}

/// SPEC §5's first answers: the company's 1:1 switches for this viewer.
pub async fn gate<C: ConnectionTrait>(db: &C, viewer: &Viewer) -> AppResult<company::Model> {
    let company = match &viewer.company {
        Some(company) => company.as_ref().clone(),
        None => company::Entity::find_by_id(viewer.company_id)
            .one(db)
            .await?
            .ok_or(AppError::Unauthenticated)?,
    };
    policy::require_one_on_ones(viewer, &company)?;
    Ok(company)
}

/// The session `id` if the viewer may see it (`NOT_FOUND` otherwise, whether or not it
/// exists), then — when an action is given — whether they may do it (`FORBIDDEN`).
pub async fn authorize<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: Uuid,
    action: Option<OneOnOneAction>,
) -> AppResult<Authorized> {
    let company = gate(db, viewer).await?;
    let session = one_on_one::Entity::find_by_id(id)
        .filter(policy::one_on_one_scope(viewer, &company))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(action) = action {
        policy::require_one_on_one_action(viewer, &session, action)?;
    }
    Ok(Authorized { company, session })
}

#[derive(Default)]
pub struct SessionFilter {
    pub member_id: Option<Uuid>,
    pub leader_id: Option<Uuid>,
    pub status: Option<one_on_one::Status>,
    pub scheduled_from: Option<DateTime<Utc>>,
    pub scheduled_to: Option<DateTime<Utc>>,
    pub updated_since: Option<DateTime<Utc>>,
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: SessionFilter,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, one_on_one::Model)>> {
    use one_on_one::Column;
    let company = gate(&state.db, viewer).await?;
    let branches = policy::one_on_one_scope_branches(viewer, &company);
    let mut query = one_on_one::Entity::find();
    if let Some(member) = filter.member_id {
        query = query.filter(Column::MemberId.eq(member));
    }
    if let Some(leader) = filter.leader_id {
        query = query.filter(Column::LeaderId.eq(leader));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(from) = filter.scheduled_from {
        query = query.filter(Column::ScheduledAt.gte(from));
    }
    if let Some(to) = filter.scheduled_to {
        query = query.filter(Column::ScheduledAt.lt(to));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(Column::UpdatedAt.gte(since));
    }
    paginate_branches(&state.db, query, branches, Column::Id, |s| s.id, page).await
}

pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<one_on_one::Model> {
    Ok(authorize(&state.db, viewer, id, None).await?.session)
}

/// When the next session of a series would fall: the latest scheduled one plus the cadence.
pub fn next_proposed_at(
    cadence: one_on_one_series::Cadence,
    last_scheduled: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    use one_on_one_series::Cadence;
    let last = last_scheduled?;
    match cadence {
        Cadence::None => None,
        Cadence::Weekly => Some(last + chrono::Duration::weeks(1)),
        Cadence::Biweekly => Some(last + chrono::Duration::weeks(2)),
        Cadence::Monthly => last.checked_add_months(Months::new(1)),
    }
}

pub async fn last_scheduled_in_series<C: ConnectionTrait>(
    db: &C,
    series_id: Uuid,
) -> AppResult<Option<DateTime<Utc>>> {
    Ok(one_on_one::Entity::find()
        .filter(one_on_one::Column::SeriesId.eq(series_id))
        .filter(one_on_one::Column::ScheduledAt.is_not_null())
        .order_by_desc(one_on_one::Column::ScheduledAt)
        .one(db)
        .await?
        .and_then(|s| s.scheduled_at))
}

pub struct NewSession {
    pub member_id: Uuid,
    pub title: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub cadence: Option<one_on_one_series::Cadence>,
    pub private: bool,
}

const TITLE_MAX: usize = 300;

/// "New draft" in one call: finds or starts the pair's series, proposes the time from its
/// cadence when none is given, and creates the draft.
pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    input: NewSession,
) -> AppResult<one_on_one::Model> {
    gate(&state.db, viewer).await?;
    policy::require_one_on_one_creator(viewer)?;
    let member = user::Entity::find_by_id(input.member_id)
        .filter(policy::tenant(viewer, user::Column::CompanyId))
        .one(&state.db)
        .await?
        .filter(|m| m.role == user::Role::TeamMember && m.active)
        .ok_or_else(|| AppError::bad_input("memberId", "no active Team Member with this id"))?;
    let title = match input.title {
        Some(title) => validate::required_text("title", &title, TITLE_MAX)?,
        None => format!("1:1 with {}", member.name),
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let existing = one_on_one_series::Entity::find()
        .filter(one_on_one_series::Column::LeaderId.eq(viewer.user_id))
        .filter(one_on_one_series::Column::MemberId.eq(member.id))
        .one(&txn)
        .await?;
    let series = match existing {
        Some(series) => match input.cadence {
            Some(cadence) if cadence != series.cadence => {
                set_cadence(&txn, series, cadence, now).await?
            }
            _ => series,
        },
        None => {
            one_on_one_series::ActiveModel {
                id: Set(Uuid::now_v7()),
                company_id: Set(viewer.company_id),
                leader_id: Set(viewer.user_id),
                member_id: Set(member.id),
                cadence: Set(input.cadence.unwrap_or(one_on_one_series::Cadence::None)),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    let scheduled_at = match input.scheduled_at {
        Some(at) => Some(at),
        None => next_proposed_at(
            series.cadence,
            last_scheduled_in_series(&txn, series.id).await?,
        ),
    };
    let session = one_on_one::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        series_id: Set(series.id),
        leader_id: Set(viewer.user_id),
        member_id: Set(member.id),
        title: Set(title),
        scheduled_at: Set(scheduled_at),
        status: Set(one_on_one::Status::Draft),
        private: Set(input.private),
        shared_at: Set(None),
        last_seq: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(session)
}

async fn set_cadence<C: ConnectionTrait>(
    db: &C,
    series: one_on_one_series::Model,
    cadence: one_on_one_series::Cadence,
    now: DateTime<Utc>,
) -> AppResult<one_on_one_series::Model> {
    Ok(one_on_one_series::ActiveModel {
        id: Set(series.id),
        cadence: Set(cadence),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?)
}

#[derive(Default)]
pub struct SessionChanges {
    pub title: Option<String>,
    /// `Some(None)` clears the schedule.
    pub scheduled_at: Option<Option<DateTime<Utc>>>,
    pub private: Option<bool>,
    pub cadence: Option<one_on_one_series::Cadence>,
}

pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    changes: SessionChanges,
) -> AppResult<one_on_one::Model> {
    let Authorized { company, session } =
        authorize(&state.db, viewer, id, Some(OneOnOneAction::Lead)).await?;
    let now = Utc::now();
    let mut model = one_on_one::ActiveModel {
        id: Set(session.id),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(title) = changes.title {
        model.title = Set(validate::required_text("title", &title, TITLE_MAX)?);
    }
    if let Some(scheduled_at) = changes.scheduled_at {
        model.scheduled_at = Set(scheduled_at);
    }
    if let Some(private) = changes.private {
        model.private = Set(private);
    }
    let mut txn = SessionTxn::begin(state).await?;
    if changes.private == Some(true) && !session.private {
        tombstones::record_hidden(txn.db(), &company, &session).await?;
    }
    if let Some(cadence) = changes.cadence {
        let series = one_on_one_series::Entity::find_by_id(session.series_id)
            .one(txn.db())
            .await?
            .ok_or(AppError::NotFound)?;
        set_cadence(txn.db(), series, cadence, now).await?;
    }
    let updated = model.update(txn.db()).await?;
    txn.append(&updated, Event::session_changed(&updated))
        .await?;
    txn.commit().await?;
    reload(state, updated.id).await
}

async fn reload(state: &AppState, id: Uuid) -> AppResult<one_on_one::Model> {
    one_on_one::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Deletes a draft with everything in it. Shared sessions are history and stay.
pub async fn delete(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    let Authorized { session, .. } =
        authorize(&state.db, viewer, id, Some(OneOnOneAction::DeleteDraft)).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    tombstones::record(&txn, &session, tombstone::Kind::OneOnOne, session.id).await?;
    one_on_one::Entity::delete_by_id(session.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(session.id)
}

/// Makes a draft visible to its Team Member and emails them a link (when the company has
/// notifications on). Sharing a shared session changes nothing and sends nothing.
pub async fn share(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<one_on_one::Model> {
    let Authorized { company, session } =
        authorize(&state.db, viewer, id, Some(OneOnOneAction::Lead)).await?;
    if session.status == one_on_one::Status::Shared {
        return Ok(session);
    }
    let now = Utc::now();
    let mut txn = SessionTxn::begin(state).await?;
    let shared = one_on_one::ActiveModel {
        id: Set(session.id),
        status: Set(one_on_one::Status::Shared),
        shared_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(txn.db())
    .await?;
    txn.append(&shared, Event::session_changed(&shared)).await?;
    if company.email_notifications_enabled {
        emails::enqueue_share(txn.db(), &state.config, &shared).await?;
    }
    txn.commit().await?;
    reload(state, shared.id).await
}

/// Emails both participants the recap: title, both shared notes, action items and kudos —
/// never a personal note. An explicit request, so it is sent whatever the notification
/// setting says.
pub async fn resend_recap(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<one_on_one::Model> {
    let Authorized { session, .. } =
        authorize(&state.db, viewer, id, Some(OneOnOneAction::Lead)).await?;
    if session.status != one_on_one::Status::Shared {
        return Err(AppError::bad_input(
            "id",
            "share the 1:1 before sending its recap",
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    emails::enqueue_recap(&txn, &state.config, &session).await?;
    txn.commit().await?;
    Ok(session)
}

/// A session's series and the latest scheduled time in it (for the cadence proposal).
pub async fn series_of(
    state: &AppState,
    session: &one_on_one::Model,
) -> AppResult<(one_on_one_series::Model, Option<DateTime<Utc>>)> {
    let series = one_on_one_series::Entity::find_by_id(session.series_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let last = last_scheduled_in_series(&state.db, series.id).await?;
    Ok((series, last))
}
