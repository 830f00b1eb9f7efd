//! Who may see and do what: the one place these rules are decided (SPEC §2, §5 and §7).
//!
//! Services take the viewer as a required argument and ask this module, either for a yes/no
//! (`require_*`) or for a query condition that restricts what a select, update or delete can
//! reach (`*_scope`), so no resolver can forget a rule. Everything is tenant-scoped first:
//! nothing of another company is ever visible, so it answers `NOT_FOUND`, never `FORBIDDEN`.
//!
//! A viewer is a person or an API token (`Viewer::caller`). Every rule matches both arms
//! explicitly; a token gets only what its scopes grant, and everything else fails closed.

use std::sync::Arc;

use entity::{company, team_membership, user, user::Role};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select,
    sea_query::{Expr, ExprTrait, IntoColumnRef},
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

mod api_tokens;
mod coaching;
mod one_on_ones;
pub use api_tokens::*;
pub use coaching::*;
pub use one_on_ones::*;

/// The authenticated caller of a request: a person, or an API token acting for its company.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The person; for an API token, the token's own id, which is no user's id, so no
    /// "is it theirs" comparison ever matches a token.
    pub user_id: Uuid,
    pub company_id: Uuid,
    /// The person's role; for an API token the least-privileged role, so that nothing
    /// reading it directly grants a token more than a stranger of the company. Rules match
    /// on `caller()` instead.
    pub role: Role,
    /// The auth session (token) the request came with; logout revokes it. For an API token,
    /// the token's id.
    pub session_id: Uuid,
    /// When that token expires; long-lived connections end then.
    pub token_expires_at: chrono::DateTime<chrono::Utc>,
    /// `Some` when the caller is an API token rather than a person.
    pub api_token: Option<ApiTokenGrant>,
    /// The company as read with this request's authentication, so that its settings cost no
    /// statement of their own. `None` where a viewer outlives its request (a WebSocket's):
    /// settings change, so those read the company each time they ask.
    pub company: Option<Arc<company::Model>>,
}

/// Who is calling, as the rules tell callers apart.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    Person(Role),
    ApiToken(&'a ApiTokenGrant),
}

impl Viewer {
    /// An API token of `company_id` as a viewer.
    pub fn for_api_token(
        token_id: Uuid,
        company_id: Uuid,
        scopes: ApiScopes,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            user_id: token_id,
            company_id,
            role: Role::TeamMember,
            session_id: token_id,
            token_expires_at: expires_at,
            api_token: Some(ApiTokenGrant { token_id, scopes }),
            company: None,
        }
    }

    /// A person as the rules see them outside any request of theirs, to ask what they see
    /// (who loses sight of a session made private).
    pub fn for_person(user: &user::Model) -> Self {
        Self {
            user_id: user.id,
            company_id: user.company_id,
            role: user.role,
            session_id: Uuid::nil(),
            token_expires_at: chrono::Utc::now(),
            api_token: None,
            company: None,
        }
    }

    pub fn caller(&self) -> Caller<'_> {
        match &self.api_token {
            Some(grant) => Caller::ApiToken(grant),
            None => Caller::Person(self.role),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.caller(), Caller::Person(Role::Admin))
    }

    pub fn is_team_leader(&self) -> bool {
        matches!(self.caller(), Caller::Person(Role::TeamLeader))
    }
}

/// Company settings, each with its own rule for who may change it.
#[derive(Clone, Copy, Debug)]
pub enum Setting {
    TimeZone,
    OneOnOnesEnabled,
    OneOnOnePermissionsEnabled,
    PrivateOneOnOnesByDefault,
    EmailNotificationsEnabled,
    /// The file types 1:1 attachments may have.
    AllowedAttachmentTypes,
}

fn allow(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A condition no row meets: what a caller without the right to a list sees of it.
fn nothing() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

/// Users, their roles and activation, and teams: admins only (never a token).
pub fn require_people_admin(viewer: &Viewer) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(role) => role == Role::Admin,
        Caller::ApiToken(_) => false,
    })
}

/// SPEC §2: the visibility default may be changed by admins and Team Leaders; every other
/// setting by admins only. Tokens change no setting.
pub fn require_setting_change(viewer: &Viewer, setting: Setting) -> AppResult<()> {
    if let Caller::ApiToken(_) = viewer.caller() {
        return Err(AppError::Forbidden);
    }
    match setting {
        Setting::PrivateOneOnOnesByDefault => allow(viewer.is_admin() || viewer.is_team_leader()),
        Setting::TimeZone
        | Setting::OneOnOnesEnabled
        | Setting::OneOnOnePermissionsEnabled
        | Setting::EmailNotificationsEnabled
        | Setting::AllowedAttachmentTypes => allow(viewer.is_admin()),
    }
}

/// Coaching categories: admins and Team Leaders add and archive them (never a token).
pub fn require_category_manager(viewer: &Viewer) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(role) => matches!(role, Role::Admin | Role::TeamLeader),
        Caller::ApiToken(_) => false,
    })
}

/// The key metric set is company configuration: admins only (never a token).
pub fn require_metric_manager(viewer: &Viewer) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(role) => role == Role::Admin,
        Caller::ApiToken(_) => false,
    })
}

/// Ingesting outside records (metric values, feedback, QA reviews, lessons): admins and
/// `INGEST` tokens.
pub fn require_ingest(viewer: &Viewer) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(role) => role == Role::Admin,
        Caller::ApiToken(grant) => grant.scopes.contains(ApiScope::Ingest),
    })
}

/// Rows of the viewer's company: the first condition of every query.
pub fn tenant(viewer: &Viewer, company_column: impl ColumnTrait) -> Condition {
    Condition::all().add(company_column.eq(viewer.company_id))
}

/// Records about a person (metric values, feedback, QA reviews) are seen by that person, the
/// Team Leaders of a team they belong to, admins and `READ_RECORDS` tokens — all within the
/// company.
pub fn person_records_scope(
    viewer: &Viewer,
    company_column: impl ColumnTrait,
    person_column: impl ColumnTrait + IntoColumnRef,
) -> Condition {
    let scope = tenant(viewer, company_column);
    match viewer.caller() {
        Caller::Person(Role::Admin) => scope,
        Caller::Person(Role::TeamLeader) => scope.add(
            Condition::any()
                .add(person_column.eq(viewer.user_id))
                .add(person_column.in_subquery(led_members_query(viewer.user_id))),
        ),
        Caller::Person(Role::TeamMember) => scope.add(person_column.eq(viewer.user_id)),
        Caller::ApiToken(grant) if grant.scopes.contains(ApiScope::ReadRecords) => scope,
        Caller::ApiToken(_) => scope.add(nothing()),
    }
}

/// The members of every team `leader_id` leads ("X's Team Members"), as a select of their ids.
pub fn led_members(leader_id: Uuid) -> Select<team_membership::Entity> {
    use team_membership::{Column, Entity, TeamRole};
    let led_teams = Entity::find()
        .select_only()
        .column(Column::TeamId)
        .filter(Column::UserId.eq(leader_id))
        .filter(Column::Role.eq(TeamRole::Leader))
        .into_query();
    Entity::find()
        .select_only()
        .column(Column::UserId)
        .filter(Column::Role.eq(TeamRole::Member))
        .filter(Column::TeamId.in_subquery(led_teams))
}

/// `SELECT user_id` of the members of every team `leader_id` leads, to nest in a condition.
pub fn led_members_query(leader_id: Uuid) -> sea_orm::sea_query::SelectStatement {
    led_members(leader_id).into_query()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user_id: Uuid::nil(),
            company_id: Uuid::nil(),
            role,
            session_id: Uuid::nil(),
            token_expires_at: chrono::Utc::now(),
            api_token: None,
            company: None,
        }
    }

    /// SPEC §2's rules for settings, as a table: (setting, admin, leader, member).
    #[test]
    fn who_changes_which_setting() {
        let table = [
            (Setting::TimeZone, true, false, false),
            (Setting::OneOnOnesEnabled, true, false, false),
            (Setting::OneOnOnePermissionsEnabled, true, false, false),
            (Setting::PrivateOneOnOnesByDefault, true, true, false),
            (Setting::EmailNotificationsEnabled, true, false, false),
            (Setting::AllowedAttachmentTypes, true, false, false),
        ];
        for (setting, admin, leader, member) in table {
            for (role, expected) in [
                (Role::Admin, admin),
                (Role::TeamLeader, leader),
                (Role::TeamMember, member),
            ] {
                assert_eq!(
                    require_setting_change(&viewer(role), setting).is_ok(),
                    expected,
                    "{setting:?} by {role:?}"
                );
            }
        }
    }
}
