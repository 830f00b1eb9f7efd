//! SPEC §5 for 1:1 sessions: who sees a session, who may do what to it, and the order in
//! which refusals are answered (feature off → permissions off → not visible → not allowed).

use entity::{company, one_on_one, user::Role};
use sea_orm::{ColumnTrait, Condition};

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

/// "X's Team Members" inside the visibility rule: a subquery, or their ids when the caller
/// read them once beforehand (`needs_led_members`). A literal list lets the database answer
/// every branch of the rule from an index; a subquery under `OR` is checked row by row.
#[derive(Clone, Copy, Debug)]
pub enum LedMembers<'a> {
    Subquery,
    Known(&'a [uuid::Uuid]),
}

/// Whether `one_on_one_scope` for this viewer depends on the members they lead.
pub fn needs_led_members(viewer: &Viewer, company: &company::Model) -> bool {
    viewer.is_team_leader() && company.private_one_on_ones_by_default
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
    one_on_one_scope_with(viewer, company, LedMembers::Subquery)
}

/// `one_on_one_scope` with the viewer's led members given as `led`.
pub fn one_on_one_scope_with(
    viewer: &Viewer,
    company: &company::Model,
    led: LedMembers<'_>,
) -> Condition {
    one_on_one_scope_branches(viewer, company, led)
        .into_iter()
        .fold(Condition::any(), Condition::add)
}

/// Above this many led members, "one of X's Team Members" stays one `IN` list rather than
/// a branch per member: the statement would grow past what planning it is worth.
const MAX_MEMBER_BRANCHES: usize = 64;

/// `one_on_one_scope_with` as alternatives whose union is the rule (each holds the tenant).
/// Every alternative is a range that one index serves in id order (`(company_id,
/// leader_id, id)`, `(company_id, member_id, id)` with one member per branch, or the dense
/// "shared and not private" rows), so a page can take the first ids of each and merge them
/// instead of filtering the company's sessions row by row (`paginate_branches`).
pub fn one_on_one_scope_branches(
    viewer: &Viewer,
    company: &company::Model,
    led: LedMembers<'_>,
) -> Vec<Condition> {
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
        Role::TeamLeader if needs_led_members(viewer, company) => match led {
            LedMembers::Subquery => branches.push(
                open_to_others()
                    .add(Column::MemberId.in_subquery(led_members_query(viewer.user_id))),
            ),
            LedMembers::Known(members) if members.len() > MAX_MEMBER_BRANCHES => {
                branches.push(open_to_others().add(Column::MemberId.is_in(members.iter().copied())))
            }
            LedMembers::Known(members) => branches.extend(
                members
                    .iter()
                    .map(|member| open_to_others().add(Column::MemberId.eq(*member))),
            ),
        },
        Role::TeamLeader => branches.push(open_to_others()),
        Role::TeamMember => {}
    }
    branches
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
