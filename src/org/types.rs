//! GraphQL types of the organization, built from database rows.

use async_graphql::{ComplexObject, Context, Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{coaching_category, company, team, team_membership, user};
use uuid::Uuid;

use crate::graphql::ContextExt;

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum UserRole {
    Admin,
    TeamLeader,
    TeamMember,
}

impl From<user::Role> for UserRole {
    fn from(role: user::Role) -> Self {
        match role {
            user::Role::Admin => Self::Admin,
            user::Role::TeamLeader => Self::TeamLeader,
            user::Role::TeamMember => Self::TeamMember,
        }
    }
}

impl From<UserRole> for user::Role {
    fn from(role: UserRole) -> Self {
        match role {
            UserRole::Admin => Self::Admin,
            UserRole::TeamLeader => Self::TeamLeader,
            UserRole::TeamMember => Self::TeamMember,
        }
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
    pub name: String,
    pub email: String,
    pub role: UserRole,
    /// Deactivated users cannot log in; their history stays.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub uuid: Uuid,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            email: m.email,
            role: m.role.into(),
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            uuid: m.id,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TeamRole {
    Leader,
    Member,
}

impl From<team_membership::TeamRole> for TeamRole {
    fn from(role: team_membership::TeamRole) -> Self {
        match role {
            team_membership::TeamRole::Leader => Self::Leader,
            team_membership::TeamRole::Member => Self::Member,
        }
    }
}

/// A team the user belongs to, and how.
#[derive(SimpleObject)]
pub struct TeamPlacement {
    pub team: Team,
    pub role: TeamRole,
}

#[ComplexObject]
impl User {
    /// The teams this user leads or belongs to.
    async fn teams(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TeamPlacement>> {
        let placements = ctx
            .org_loader()
            .load_one(crate::org::loaders::TeamsOfUser(self.uuid))
            .await?
            .unwrap_or_default();
        Ok(placements
            .into_iter()
            .map(|(team, role)| TeamPlacement {
                team: team.into(),
                role: role.into(),
            })
            .collect())
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Team {
    pub id: ID,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub uuid: Uuid,
}

impl From<team::Model> for Team {
    fn from(m: team::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            created_at: m.created_at,
            updated_at: m.updated_at,
            uuid: m.id,
        }
    }
}

impl Team {
    async fn people(
        &self,
        ctx: &Context<'_>,
        wanted: team_membership::TeamRole,
    ) -> async_graphql::Result<Vec<User>> {
        let people = ctx
            .org_loader()
            .load_one(crate::org::loaders::PeopleOfTeam(self.uuid))
            .await?
            .unwrap_or_default();
        Ok(people
            .into_iter()
            .filter(|(_, role)| *role == wanted)
            .map(|(user, _)| user.into())
            .collect())
    }
}

#[ComplexObject]
impl Team {
    async fn leaders(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        self.people(ctx, team_membership::TeamRole::Leader).await
    }

    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        self.people(ctx, team_membership::TeamRole::Member).await
    }
}

#[derive(SimpleObject)]
pub struct Company {
    pub id: ID,
    pub name: String,
    /// IANA name; defines "today", "overdue" and "week" for the company's users.
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl From<&company::Model> for Company {
    fn from(m: &company::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name.clone(),
            time_zone: m.time_zone.clone(),
            created_at: m.created_at,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CompanySettings {
    pub company: Company,
    pub time_zone: String,
    /// Company Features → 1:1s. Off: every 1:1 operation fails with `FEATURE_DISABLED`.
    pub one_on_ones_enabled: bool,
    /// "Enable Permissions". Off: only admins may use 1:1s.
    pub one_on_one_permissions_enabled: bool,
    /// Whether non-private shared 1:1s are hidden from Team Leaders outside the member's teams.
    pub private_one_on_ones_by_default: bool,
    pub email_notifications_enabled: bool,
    pub updated_at: DateTime<Utc>,
}

#[ComplexObject]
impl CompanySettings {
    /// The file extensions 1:1 attachments may have (SPEC §3's list unless an admin changed
    /// it with `setAllowedAttachmentTypes`).
    async fn allowed_attachment_types(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<String>> {
        Ok(crate::attachments::service::allowed_types(ctx.state(), ctx.viewer()?).await?)
    }
}

impl From<company::Model> for CompanySettings {
    fn from(m: company::Model) -> Self {
        Self {
            company: (&m).into(),
            time_zone: m.time_zone,
            one_on_ones_enabled: m.one_on_ones_enabled,
            one_on_one_permissions_enabled: m.one_on_one_permissions_enabled,
            private_one_on_ones_by_default: m.private_one_on_ones_by_default,
            email_notifications_enabled: m.email_notifications_enabled,
            updated_at: m.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CoachingCategory {
    pub id: ID,
    pub name: String,
    /// Archived categories stay on old items and cannot be chosen for new ones.
    pub archived: bool,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<coaching_category::Model> for CoachingCategory {
    fn from(m: coaching_category::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            archived: m.archived_at.is_some(),
            archived_at: m.archived_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
