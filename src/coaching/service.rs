//! Coaching sessions (SPEC §4): start, Save Only, Save & Coached, auto fill, the two changes a
//! coached session still allows, lists, learning history and "the five most recent". Every
//! path reads sessions through `policy::coaching_session_scope` and checks actions with
//! `policy::require_coaching_action` — not visible `NOT_FOUND`, not allowed `FORBIDDEN`,
//! coached `IMMUTABLE`, then input checks `BAD_USER_INPUT`.

use chrono::{DateTime, Utc};
use entity::{coaching_commitment, coaching_follow_up, coaching_form, coaching_session, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::{
    emails,
    steps::{self, AnswerInput, Content, Step},
};
use crate::{
    error::{AppError, AppResult},
    graphql::connection::{Page, PageArgs, paginate},
    policy::{self, CoachingAction, Viewer},
    state::AppState,
};

/// A session with its step snapshot and content read.
#[derive(Clone, Debug)]
pub struct Session {
    pub row: coaching_session::Model,
    pub steps: Vec<Step>,
    pub content: Content,
}

impl Session {
    pub fn parse(row: coaching_session::Model) -> AppResult<Self> {
        Ok(Self {
            steps: steps::from_json(&row.steps)?,
            content: steps::from_json(&row.content)?,
            row,
        })
    }

    pub fn is_coached(&self) -> bool {
        self.row.status == coaching_session::Status::Coached
    }
}

/// The sessions the viewer may see.
fn visible(viewer: &Viewer) -> Select<coaching_session::Entity> {
    coaching_session::Entity::find().filter(policy::coaching_session_scope(viewer))
}

/// The session `id` if the viewer may see it (`NOT_FOUND` otherwise, whether or not it
/// exists), then — when an action is given — whether they may do it now.
pub async fn authorize<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: Uuid,
    action: Option<CoachingAction>,
) -> AppResult<coaching_session::Model> {
    let session = visible(viewer)
        .filter(coaching_session::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(action) = action {
        policy::require_coaching_action(viewer, &session, action)?;
    }
    Ok(session)
}

pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Session> {
    Session::parse(authorize(&state.db, viewer, id, None).await?)
}

#[derive(Default)]
pub struct SessionFilter {
    pub agent_id: Option<Uuid>,
    pub coach_id: Option<Uuid>,
    pub form_id: Option<Uuid>,
    pub status: Option<coaching_session::Status>,
    pub updated_since: Option<DateTime<Utc>>,
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: SessionFilter,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, Session)>> {
    use coaching_session::Column;
    let mut query = visible(viewer);
    if let Some(agent) = filter.agent_id {
        query = query.filter(Column::AgentId.eq(agent));
    }
    if let Some(coach) = filter.coach_id {
        query = query.filter(Column::CoachId.eq(coach));
    }
    if let Some(form) = filter.form_id {
        query = query.filter(Column::FormId.eq(form));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(Column::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, Column::Id, |s| s.id, page)
        .await?
        .try_map(|(id, row)| Ok((id, Session::parse(row)?)))
}

/// Coached sessions the viewer may see, newest coaching first.
fn coached_newest_first(viewer: &Viewer) -> Select<coaching_session::Entity> {
    use coaching_session::{Column, Status};
    visible(viewer)
        .filter(Column::Status.eq(Status::Coached))
        .order_by_desc(Column::CoachedAt)
        .order_by_desc(Column::Id)
}

/// The agent's learning history: their coached sessions the viewer may see, newest first
/// (by coaching time). The cursor is a session id; the next page starts after that session's
/// place in the order.
pub async fn learning_history(
    state: &AppState,
    viewer: &Viewer,
    agent_id: Uuid,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, Session)>> {
    use coaching_session::Column;
    let limit = page.limit()?;
    let mut query = coached_newest_first(viewer).filter(Column::AgentId.eq(agent_id));
    if let Some(since) = updated_since {
        query = query.filter(Column::UpdatedAt.gte(since));
    }
    let total_count = query.clone().count(&state.db).await?;
    let after = page.after_id()?;
    if let Some(after) = after {
        let anchor = query
            .clone()
            .filter(Column::Id.eq(after))
            .one(&state.db)
            .await?
            .and_then(|s| s.coached_at)
            .ok_or_else(|| AppError::bad_input("after", "not a cursor of this list"))?;
        query = query.filter(
            Condition::any().add(Column::CoachedAt.lt(anchor)).add(
                Condition::all()
                    .add(Column::CoachedAt.eq(anchor))
                    .add(Column::Id.lt(after)),
            ),
        );
    }
    let mut rows = query.limit(limit + 1).all(&state.db).await?;
    let has_next_page = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Page {
        items: rows.into_iter().map(|row| (row.id, row)).collect(),
        has_next_page,
        has_previous_page: after.is_some(),
        total_count,
    }
    .try_map(|(id, row)| Ok((id, Session::parse(row)?)))
}

pub const RECENT_COACHED: u64 = 5;

/// The five most recent coached sessions of the same agent with the same form that the
/// viewer may see, newest first (the session itself excluded).
pub async fn recent_coached(
    state: &AppState,
    viewer: &Viewer,
    session: &coaching_session::Model,
) -> AppResult<Vec<Session>> {
    use coaching_session::Column;
    coached_newest_first(viewer)
        .filter(Column::AgentId.eq(session.agent_id))
        .filter(Column::FormId.eq(session.form_id))
        .filter(Column::Id.ne(session.id))
        .limit(RECENT_COACHED)
        .all(&state.db)
        .await?
        .into_iter()
        .map(Session::parse)
        .collect()
}

/// A coach (the viewer: a Team Leader or admin) starts a draft with one agent (an active Team
/// Member of the company) on one active form; the form's steps are copied onto the session.
pub async fn start(
    state: &AppState,
    viewer: &Viewer,
    agent_id: Uuid,
    form_id: Uuid,
) -> AppResult<Session> {
    policy::require_coach(viewer)?;
    let agent = user::Entity::find_by_id(agent_id)
        .filter(policy::tenant(viewer, user::Column::CompanyId))
        .one(&state.db)
        .await?
        .filter(|a| a.role == user::Role::TeamMember && a.active)
        .ok_or_else(|| AppError::bad_input("agentId", "no active Team Member with this id"))?;
    let form = coaching_form::Entity::find_by_id(form_id)
        .filter(policy::tenant(viewer, coaching_form::Column::CompanyId))
        .filter(coaching_form::Column::ArchivedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::bad_input("formId", "no active coaching form with this id"))?;
    let form_steps: Vec<Step> = steps::from_json(&form.steps)?;
    let now = Utc::now();
    let row = coaching_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        form_id: Set(form.id),
        coach_id: Set(viewer.user_id),
        agent_id: Set(agent.id),
        status: Set(coaching_session::Status::Draft),
        form_name: Set(form.name),
        steps: Set(form.steps),
        content: Set(steps::to_json(&Content::empty(&form_steps))?),
        prefill_content: Set(None),
        coached_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Session::parse(row)
}

/// Writes a draft's columns, only while it is still a draft: a session coached by a
/// concurrent request answers `IMMUTABLE` instead of being overwritten.
async fn write_draft<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    mut changes: coaching_session::ActiveModel,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use coaching_session::{Column, Status};
    changes.updated_at = Set(now);
    let result = coaching_session::Entity::update_many()
        .set(changes)
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(Status::Draft))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::Immutable)
    }
}

async fn reload(state: &AppState, id: Uuid) -> AppResult<Session> {
    Session::parse(
        coaching_session::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .ok_or(AppError::NotFound)?,
    )
}

/// Save Only: stores the draft as given (partial answers allowed, malformed ones refused).
/// An auto fill stays on: turning it off still restores the draft from before the fill.
pub async fn save(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    answers: Vec<AnswerInput>,
) -> AppResult<Session> {
    let row = authorize(&state.db, viewer, id, Some(CoachingAction::EditDraft)).await?;
    let session = Session::parse(row)?;
    let content = steps::build_content(&session.steps, answers)?;
    let changes = coaching_session::ActiveModel {
        content: Set(steps::to_json(&content)?),
        ..Default::default()
    };
    write_draft(&state.db, id, changes, Utc::now()).await?;
    reload(state, id).await
}

/// Save & Coached: the same input as Save Only plus an explicit `confirm: true`; the result
/// must be complete (`steps::check_complete`). Marks the session `COACHED`, writes its
/// commitments and follow-ups for the dashboards, and — when the company has notifications
/// on — queues the agent's email, all in one transaction.
pub async fn complete(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    answers: Vec<AnswerInput>,
    confirm: bool,
) -> AppResult<Session> {
    let row = authorize(&state.db, viewer, id, Some(CoachingAction::EditDraft)).await?;
    if !confirm {
        return Err(AppError::bad_input(
            "confirm",
            "must be true to mark the session coached",
        ));
    }
    let session = Session::parse(row)?;
    let content = steps::build_content(&session.steps, answers)?;
    steps::check_complete(&session.steps, &content)?;
    let company = crate::org::service::company_of(state, viewer).await?;
    let now = Utc::now();
    // Written first thing, so on SQLite the transaction takes the write lock at once.
    let txn = crate::db::begin_write(&state.db).await?;
    let changes = coaching_session::ActiveModel {
        status: Set(coaching_session::Status::Coached),
        content: Set(steps::to_json(&content)?),
        prefill_content: Set(None),
        coached_at: Set(Some(now)),
        ..Default::default()
    };
    write_draft(&txn, id, changes, now).await?;
    let s = &session.row;
    for answer in &content.answers {
        for commitment in &answer.commitments {
            coaching_commitment::ActiveModel {
                id: Set(commitment.id),
                company_id: Set(s.company_id),
                session_id: Set(s.id),
                step_id: Set(answer.step_id),
                agent_id: Set(s.agent_id),
                text: Set(commitment.text.clone().unwrap_or_default()),
                due_on: Set(commitment.due_on.ok_or_else(incomplete)?),
                done: Set(false),
                done_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        if let Some(follow_up) = &answer.follow_up {
            coaching_follow_up::ActiveModel {
                id: Set(follow_up.id),
                company_id: Set(s.company_id),
                session_id: Set(s.id),
                step_id: Set(answer.step_id),
                coach_id: Set(s.coach_id),
                text: Set(follow_up.description.clone().unwrap_or_default()),
                due_on: Set(follow_up.due_on.ok_or_else(incomplete)?),
                done: Set(false),
                done_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    if company.email_notifications_enabled {
        emails::enqueue_coached(&txn, &state.config, s, &content, &session.steps).await?;
    }
    txn.commit().await?;
    reload(state, id).await
}

/// `check_complete` guarantees dates; this is the error if that ever changed.
fn incomplete() -> AppError {
    AppError::internal(anyhow::anyhow!("a checked session lacks a date"))
}

/// Auto Fill (SPEC §4). `true` keeps the draft as it is, then replaces its answers with those
/// of the most recent coached session of the same agent and form that the viewer may see;
/// `false` restores the kept draft, dropping edits made since. Turning it on while on, or off
/// while off, changes nothing. With no coached session to copy: `BAD_USER_INPUT`.
pub async fn auto_fill(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    enabled: bool,
) -> AppResult<Session> {
    let row = authorize(&state.db, viewer, id, Some(CoachingAction::EditDraft)).await?;
    let changes = match (enabled, row.prefill_content.clone()) {
        (true, Some(_)) | (false, None) => return Session::parse(row),
        (false, Some(kept)) => coaching_session::ActiveModel {
            content: Set(kept),
            prefill_content: Set(None),
            ..Default::default()
        },
        (true, None) => {
            let source = recent_coached(state, viewer, &row)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    AppError::bad_input(
                        "enabled",
                        "no coached session of this agent with this form to copy",
                    )
                })?;
            let session = Session::parse(row.clone())?;
            let filled = steps::carried_over(&session.steps, &source.steps, &source.content);
            coaching_session::ActiveModel {
                content: Set(steps::to_json(&filled)?),
                prefill_content: Set(Some(row.content.clone())),
                ..Default::default()
            }
        }
    };
    write_draft(&state.db, id, changes, Utc::now()).await?;
    reload(state, id).await
}

/// `set_commitment_done` / `set_follow_up_done`: find the row in the viewer's company, ask the
/// policy about its session (`NOT_FOUND`, then `FORBIDDEN`), then set the flag.
macro_rules! set_done {
    ($(#[$doc:meta])* $name:ident, $module:ident, $action:expr) => {
        $(#[$doc])*
        pub async fn $name(
            state: &AppState,
            viewer: &Viewer,
            id: Uuid,
            done: bool,
        ) -> AppResult<$module::Model> {
            use $module::{ActiveModel, Column, Entity};
            let row = Entity::find_by_id(id)
                .filter(policy::tenant(viewer, Column::CompanyId))
                .one(&state.db)
                .await?
                .ok_or(AppError::NotFound)?;
            authorize(&state.db, viewer, row.session_id, Some($action)).await?;
            if row.done == done {
                return Ok(row);
            }
            let now = Utc::now();
            let txn = crate::db::begin_write(&state.db).await?;
            let updated = ActiveModel {
                id: Set(row.id),
                done: Set(done),
                done_at: Set(done.then_some(now)),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(&txn)
            .await?;
            touch(&txn, row.session_id, now).await?;
            txn.commit().await?;
            Ok(updated)
        }
    };
}

set_done!(
    /// The agent marks a commitment of a coached session done (or open again).
    set_commitment_done,
    coaching_commitment,
    CoachingAction::SetCommitmentDone
);
set_done!(
    /// The coach marks the follow-up of a coached session done (or open again).
    set_follow_up_done,
    coaching_follow_up,
    CoachingAction::SetFollowUpDone
);

/// A commitment or follow-up changed: the session's `updatedAt` moves, so `updatedSince`
/// sync picks it up. Nothing else about a coached session changes.
async fn touch<C: ConnectionTrait>(db: &C, session_id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    coaching_session::ActiveModel {
        id: Set(session_id),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
