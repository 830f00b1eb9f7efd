//! SPEC §4–§5 for coaching: who manages forms, who coaches whom, who sees a coaching session,
//! and who may change it — in the order refusals are answered (not visible → not allowed →
//! coached).

use entity::{coaching_session, user::Role};
use sea_orm::{ColumnTrait, Condition};

use super::{Caller, Viewer, allow, led_members_query, nothing, tenant};
use crate::error::{AppError, AppResult};

/// Admins and Team Leaders; never a token.
fn admin_or_leader(viewer: &Viewer) -> bool {
    match viewer.caller() {
        Caller::Person(role) => matches!(role, Role::Admin | Role::TeamLeader),
        Caller::ApiToken(_) => false,
    }
}

/// Forms are built, edited and archived by admins and Team Leaders. Everyone of the company
/// reads them (a coached session shows its agent the steps it was coached with anyway).
pub fn require_form_manager(viewer: &Viewer) -> AppResult<()> {
    allow(admin_or_leader(viewer))
}

/// A coach is a Team Leader or an admin.
pub fn require_coach(viewer: &Viewer) -> AppResult<()> {
    allow(admin_or_leader(viewer))
}

/// The coaching sessions `viewer` may see, as a condition on `coaching_sessions`:
///
/// | viewer                                  | draft | coached |
/// |-----------------------------------------|-------|---------|
/// | its coach                               | ✓     | ✓       |
/// | its agent                               | –     | ✓       |
/// | a Team Leader of a team the agent is in | –     | ✓       |
/// | an admin                                | –     | ✓       |
/// | anyone else, anyone of another company  | –     | –       |
/// | a `READ_RECORDS` (or, for its aggregates, `READ_ANALYTICS`) token | – | ✓ |
/// | any other token                         | –     | –       |
pub fn coaching_session_scope(viewer: &Viewer) -> Condition {
    use coaching_session::{Column, Status};
    let coached_for_viewer = match viewer.caller() {
        Caller::Person(Role::Admin) => Condition::all(),
        Caller::Person(Role::TeamLeader) => Condition::any()
            .add(Column::AgentId.eq(viewer.user_id))
            .add(Column::AgentId.in_subquery(led_members_query(viewer.user_id))),
        Caller::Person(Role::TeamMember) => {
            Condition::all().add(Column::AgentId.eq(viewer.user_id))
        }
        Caller::ApiToken(grant) if grant.sees_tok_row() => Condition::all(),
        Caller::ApiToken(_) => nothing(),
    };
    tenant(viewer, Column::CompanyId).add(
        Condition::any()
            .add(Column::CoachId.eq(viewer.user_id))
            .add(
                Condition::all()
                    .add(Column::Status.eq(Status::Coached))
                    .add(coached_for_viewer),
            ),
    )
}

/// What a viewer who sees a coaching session may do to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoachingAction {
    /// Save, complete, auto fill: the coach, while it is a draft.
    EditDraft,
    /// Mark a commitment of a coached session done (or not): its agent.
    SetCommitmentDone,
    /// Mark the follow-up of a coached session done (or not): its coach.
    SetFollowUpDone,
}

/// `FORBIDDEN` for the wrong person, then `IMMUTABLE` for a draft-only action on a coached
/// session. The two exceptions act on coached sessions only (a draft has no commitment or
/// follow-up rows yet, so they never reach this with a draft).
pub fn require_coaching_action(
    viewer: &Viewer,
    session: &coaching_session::Model,
    action: CoachingAction,
) -> AppResult<()> {
    if let Caller::ApiToken(_) = viewer.caller() {
        // Tokens only ever read coaching sessions.
        return Err(AppError::Forbidden);
    }
    let is_coach = session.coach_id == viewer.user_id;
    let is_agent = session.agent_id == viewer.user_id;
    match action {
        CoachingAction::EditDraft => {
            allow(is_coach)?;
            if session.status == coaching_session::Status::Coached {
                return Err(AppError::Immutable);
            }
            Ok(())
        }
        CoachingAction::SetCommitmentDone => allow(is_agent),
        CoachingAction::SetFollowUpDone => allow(is_coach),
    }
}
