//! SPEC §5 for 1:1 sessions: who sees a session, who may do what to it, and the order in
//! which refusals are answered (feature off → permissions off → not visible → not allowed).

use entity::{company, one_on_one, one_on_one_series, user::Role};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{SelectStatement, UnionType},
};

use super::{Caller, Viewer, allow, led_members_query, nothing, tenant};
use crate::error::{AppError, AppResult};

/// The first two answers of SPEC §5's order, before anything about a session is looked at:
/// 1:1s switched off for the company, then 1:1 permissions off for a non-admin. A token is
/// no admin: with permissions off ("only admins may use 1:1s") it is refused too.
pub fn require_one_on_ones(viewer: &Viewer, company: &company::Model) -> AppResult<()> {
    if !company.one_on_ones_enabled {
        return Err(AppError::FeatureDisabled);
    }
    let admin = match viewer.caller() {
        Caller::Person(role) => role == Role::Admin,
        Caller::ApiToken(_) => false,
    };
    if !company.one_on_one_permissions_enabled && !admin {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// "X's Team Members'" sessions that are not X's own: those of the series between the
/// members X leads and other leaders, as a subquery of series ids. Sessions of a series are
/// between its leader and its member, so with X's own sessions (the rule's first branch) these
/// cover every session of the members X leads — and a branch of the rule over them is a few
/// `(series_id, id)` ranges, usually none, rather than a re-read of X's own sessions.
fn led_members_other_series(viewer: &Viewer) -> SelectStatement {
    use one_on_one_series::Column;
    one_on_one_series::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(tenant(viewer, Column::CompanyId))
        .filter(Column::MemberId.in_subquery(led_members_query(viewer.user_id)))
        .filter(Column::LeaderId.ne(viewer.user_id))
        .into_query()
}

/// The sessions `viewer` may see, as a condition on `one_on_ones` (the table of SPEC §5):
///
/// | viewer | draft | shared, default on | shared, default off | private (shared) |
/// |--------|-------|--------------------|---------------------|------------------|
/// | L      | ✓     | ✓                  | ✓                   | ✓                |
/// | M      | –     | ✓                  | ✓                   | ✓                |
/// | LoM    | –     | ✓                  | ✓                   | –                |
/// | LnotM  | –     | –                  | ✓                   | –                |
/// | ADM    | –     | ✓                  | ✓                   | –                |
/// | OM, X  | –     | –                  | –                   | –                |
/// | TOK    | –     | ✓                  | ✓                   | –                |
///
/// TOK is a token with `READ_RECORDS`, or with `READ_ANALYTICS` for the aggregates it reads;
/// any other token sees nothing.
pub fn one_on_one_scope(viewer: &Viewer, company: &company::Model) -> Condition {
    one_on_one_scope_branches(viewer, company)
        .into_iter()
        .fold(Condition::any(), Condition::add)
}

/// `one_on_one_scope` as alternatives whose union is the rule (each holds the tenant).
/// Every alternative is read in id order from one index (`(company_id, leader_id, id)`,
/// `(company_id, member_id, id)`, `(series_id, id)` per series of the led members with other
/// leaders, or the dense "shared and not private" rows), so a page can take the first ids of
/// each and merge them instead of filtering the company's sessions row by row
/// (`paginate_branches`).
pub fn one_on_one_scope_branches(viewer: &Viewer, company: &company::Model) -> Vec<Condition> {
    use one_on_one::{Column, Status};
    let in_company = || tenant(viewer, Column::CompanyId);
    let open_to_others = || {
        in_company()
            .add(Column::Status.eq(Status::Shared))
            .add(Column::Private.eq(false))
    };
    let role = match viewer.caller() {
        Caller::Person(role) => role,
        Caller::ApiToken(grant) => {
            return vec![if grant.sees_tok_row() {
                open_to_others()
            } else {
                in_company().add(nothing())
            }];
        }
    };
    let mut branches = vec![
        in_company().add(Column::LeaderId.eq(viewer.user_id)),
        in_company()
            .add(Column::MemberId.eq(viewer.user_id))
            .add(Column::Status.eq(Status::Shared)),
    ];
    match role {
        Role::Admin => branches.push(open_to_others()),
        Role::TeamLeader if company.private_one_on_ones_by_default => branches.push(
            open_to_others().add(Column::SeriesId.in_subquery(led_members_other_series(viewer))),
        ),
        Role::TeamLeader => branches.push(open_to_others()),
        Role::TeamMember => {}
    }
    branches
}

/// The roles that may see sessions they are not in (SPEC §5's LoM, LnotM and ADM rows); a
/// Team Member sees their own sessions only. Asking `one_on_one_scope` about these people and
/// the company's tokens tells who else sees a session.
pub const ONLOOKER_ROLES: [Role; 2] = [Role::Admin, Role::TeamLeader];

/// `SELECT id` of the sessions `viewer` may see, as the union of the rule's branches. For a
/// set (`… IN (visible)`), each branch is read from its own index; the rule as one `OR`
/// would be evaluated row by row over every session of the company.
pub fn visible_one_on_one_ids(viewer: &Viewer, company: &company::Model) -> SelectStatement {
    let ids_of = |branch: Condition| {
        one_on_one::Entity::find()
            .select_only()
            .column(one_on_one::Column::Id)
            .filter(branch)
            .into_query()
    };
    let mut branches = one_on_one_scope_branches(viewer, company).into_iter();
    let mut union = ids_of(branches.next().unwrap_or_else(nothing));
    for branch in branches {
        union.union(UnionType::All, ids_of(branch));
    }
    union
}

/// Whose sight of sessions a change of `team`'s people alters (the users to stamp): its
/// leaders ("X's Team Members", SPEC §5's LoM) and a leader just removed from it. Only while
/// 1:1s are private by default: otherwise every leader sees every open 1:1, in their teams or
/// not, and a team change alters nobody's sight (`None`).
pub fn sight_changed_by_team_change(
    company: &company::Model,
    team_id: uuid::Uuid,
    former_leader: Option<uuid::Uuid>,
) -> Option<Condition> {
    use entity::{team_membership, user};
    if !company.private_one_on_ones_by_default {
        return None;
    }
    let leaders = team_membership::Entity::find()
        .select_only()
        .column(team_membership::Column::UserId)
        .filter(team_membership::Column::TeamId.eq(team_id))
        .filter(team_membership::Column::Role.eq(team_membership::TeamRole::Leader))
        .into_query();
    let people = Condition::any().add(user::Column::Id.in_subquery(leaders));
    Some(match former_leader {
        Some(id) => people.add(user::Column::Id.eq(id)),
        None => people,
    })
}

/// Whose sight a change of `privateOneOnOnesByDefault` alters: the company's onlookers
/// (leaders, and admins to be safe).
pub fn sight_changed_by_visibility_default(company_id: uuid::Uuid) -> Condition {
    use entity::user;
    Condition::all()
        .add(user::Column::CompanyId.eq(company_id))
        .add(user::Column::Role.is_in(ONLOOKER_ROLES))
}

/// What a viewer who sees a session may do to it (SPEC §5, "who changes what").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneOnOneAction {
    /// Title, schedule, private flag, share, resend recap, kudos.
    Lead,
    /// Deleting the session: its leader, while it is a draft (shared sessions are history).
    DeleteDraft,
    /// Their own shared and personal notes.
    WriteOwnNotes,
    /// Discussion items and action items: add, edit, toggle, remove.
    EditItems,
    UploadAttachment,
    RemoveOwnAttachment,
    RemoveAnyAttachment,
}

pub fn require_one_on_one_action(
    viewer: &Viewer,
    session: &one_on_one::Model,
    action: OneOnOneAction,
) -> AppResult<()> {
    if let Caller::ApiToken(_) = viewer.caller() {
        // Tokens only ever read 1:1s.
        return Err(AppError::Forbidden);
    }
    let is_leader = session.leader_id == viewer.user_id;
    let is_member = session.member_id == viewer.user_id;
    allow(match action {
        OneOnOneAction::Lead | OneOnOneAction::RemoveAnyAttachment => is_leader,
        OneOnOneAction::DeleteDraft => is_leader && session.status == one_on_one::Status::Draft,
        OneOnOneAction::WriteOwnNotes
        | OneOnOneAction::EditItems
        | OneOnOneAction::UploadAttachment
        | OneOnOneAction::RemoveOwnAttachment => is_leader || is_member,
    })
}

/// Which removal `viewer` asks for: their own upload, or someone else's (SPEC §5: the
/// uploader removes their own; the leader removes anyone's).
pub fn attachment_removal(viewer: &Viewer, uploaded_by: uuid::Uuid) -> OneOnOneAction {
    if uploaded_by == viewer.user_id {
        OneOnOneAction::RemoveOwnAttachment
    } else {
        OneOnOneAction::RemoveAnyAttachment
    }
}

/// Personal notes are their author's alone, on every path; a token reads none (SPEC §7).
pub fn may_read_personal_note(viewer: &Viewer, author_id: uuid::Uuid) -> bool {
    match viewer.caller() {
        Caller::Person(_) => viewer.user_id == author_id,
        Caller::ApiToken(_) => false,
    }
}

/// Who may open a 1:1 with a member: a Team Leader, for a Team Member of the company.
pub fn require_one_on_one_creator(viewer: &Viewer) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(role) => role == Role::TeamLeader,
        Caller::ApiToken(_) => false,
    })
}

/// Saving a feedback record or QA review for discussion: the agent it is about, or a Team
/// Leader (who can see it through `person_records_scope`). Tokens save nothing.
pub fn require_save_for_discussion(viewer: &Viewer, subject_id: uuid::Uuid) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(role) => role == Role::TeamLeader || viewer.user_id == subject_id,
        Caller::ApiToken(_) => false,
    })
}

/// The tombstones `viewer` may see: those of records in sessions they see (the same rule as
/// the sessions themselves), and of deleted drafts, which only their leader ever saw.
pub fn tombstone_scope(viewer: &Viewer, company: &company::Model) -> Condition {
    use entity::tombstone::Column;
    use sea_orm::{EntityTrait, QueryFilter, QuerySelect, QueryTrait};
    let visible_sessions = one_on_one::Entity::find()
        .select_only()
        .column(one_on_one::Column::Id)
        .filter(one_on_one_scope(viewer, company))
        .into_query();
    tenant(viewer, Column::CompanyId).add(
        Condition::any()
            .add(Column::VisibleTo.eq(viewer.user_id))
            .add(
                Condition::all()
                    .add(Column::VisibleTo.is_null())
                    .add(Column::OneOnOneId.in_subquery(visible_sessions)),
            ),
    )
}
