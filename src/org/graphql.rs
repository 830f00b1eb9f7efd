//! Organization queries and mutations (SPEC §9, org row).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::team_membership::TeamRole as DbTeamRole;

use crate::{
    auth::Credentials,
    error::AppError,
    graphql::{
        ContextExt,
        connection::{PageArgs, RelayConnection, to_connection},
        parse_id,
    },
    org::{
        service::{self, NewCompany, NewPerson, NewUser, SettingsChanges, UserChanges, UserFilter},
        types::{CoachingCategory, Company, CompanySettings, Team, User, UserRole},
    },
};

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// People of the viewer's company.
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        role: Option<UserRole>,
        active: Option<bool>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<User>> {
        let filter = UserFilter {
            role: role.map(Into::into),
            active,
            updated_since,
        };
        let page = service::list_users(
            ctx.state(),
            ctx.viewer()?,
            filter,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, u)| (id, u.into()))))
    }

    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<User> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(service::get_user(ctx.state(), viewer, id).await?.into())
    }

    async fn teams(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<Team>> {
        let page = service::list_teams(
            ctx.state(),
            ctx.viewer()?,
            updated_since,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, t)| (id, t.into()))))
    }

    async fn team(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Team> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(service::get_team(ctx.state(), viewer, id).await?.into())
    }

    async fn company_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<CompanySettings> {
        Ok(service::company_of(ctx.state(), ctx.viewer()?)
            .await?
            .into())
    }

    async fn coaching_categories(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_archived: bool,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<CoachingCategory>> {
        let page = service::list_categories(
            ctx.state(),
            ctx.viewer()?,
            include_archived,
            updated_since,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, c)| (id, c.into()))))
    }
}

#[derive(InputObject)]
pub struct PersonInput {
    pub name: String,
    pub email: String,
    /// At least 10 characters.
    pub password: String,
}

impl From<PersonInput> for NewPerson {
    fn from(p: PersonInput) -> Self {
        Self {
            name: p.name,
            email: p.email,
            password: p.password,
        }
    }
}

#[derive(InputObject)]
pub struct CreateCompanyInput {
    pub name: String,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// The company's first admin.
    pub admin: PersonInput,
}

#[derive(SimpleObject)]
pub struct CreateCompanyPayload {
    pub company: Company,
    pub admin: User,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: UserRole,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<UserRole>,
    /// `false` deactivates the user: they cannot log in and their tokens stop working.
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateTeamInput {
    pub name: String,
    /// At least one Team Leader.
    pub leader_ids: Vec<ID>,
    #[graphql(default)]
    pub member_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateCompanySettingsInput {
    /// Admins only.
    pub time_zone: Option<String>,
    /// Admins only.
    pub one_on_ones_enabled: Option<bool>,
    /// Admins only.
    pub one_on_one_permissions_enabled: Option<bool>,
    /// Admins and Team Leaders.
    pub private_one_on_ones_by_default: Option<bool>,
    /// Admins only.
    pub email_notifications_enabled: Option<bool>,
}

fn parse_ids(field: &str, ids: &[ID]) -> Result<Vec<uuid::Uuid>, AppError> {
    ids.iter().map(|id| parse_id(field, id)).collect()
}

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// Provisions a company and its first admin. Only the deployment's `OPERATOR_TOKEN` may
    /// call it.
    async fn create_company(
        &self,
        ctx: &Context<'_>,
        input: CreateCompanyInput,
    ) -> async_graphql::Result<CreateCompanyPayload> {
        match ctx.request().credentials {
            Credentials::Operator => {}
            Credentials::User(_) | Credentials::ApiToken(_) => {
                return Err(AppError::Forbidden.into());
            }
            Credentials::Anonymous | Credentials::Invalid => {
                return Err(AppError::Unauthenticated.into());
            }
        }
        let (company, admin) = service::create_company(
            ctx.state(),
            NewCompany {
                name: input.name,
                time_zone: input.time_zone,
                admin: input.admin.into(),
            },
        )
        .await?;
        Ok(CreateCompanyPayload {
            company: (&company).into(),
            admin: admin.into(),
        })
    }

    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        let new_user = NewUser {
            person: NewPerson {
                name: input.name,
                email: input.email,
                password: input.password,
            },
            role: input.role.into(),
        };
        Ok(service::create_user(ctx.state(), ctx.viewer()?, new_user)
            .await?
            .into())
    }

    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        let changes = UserChanges {
            name: input.name,
            email: input.email,
            role: input.role.map(Into::into),
            active: input.active,
        };
        Ok(service::update_user(ctx.state(), viewer, id, changes)
            .await?
            .into())
    }

    async fn create_team(
        &self,
        ctx: &Context<'_>,
        input: CreateTeamInput,
    ) -> async_graphql::Result<Team> {
        let viewer = ctx.viewer()?;
        let leaders = parse_ids("leaderIds", &input.leader_ids)?;
        let members = parse_ids("memberIds", &input.member_ids)?;
        Ok(
            service::create_team(ctx.state(), viewer, &input.name, &leaders, &members)
                .await?
                .into(),
        )
    }

    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<Team> {
        change_team(ctx, team_id, user_id, DbTeamRole::Member, true).await
    }

    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<Team> {
        change_team(ctx, team_id, user_id, DbTeamRole::Member, false).await
    }

    async fn add_team_leader(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<Team> {
        change_team(ctx, team_id, user_id, DbTeamRole::Leader, true).await
    }

    async fn remove_team_leader(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<Team> {
        change_team(ctx, team_id, user_id, DbTeamRole::Leader, false).await
    }

    async fn update_company_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateCompanySettingsInput,
    ) -> async_graphql::Result<CompanySettings> {
        let changes = SettingsChanges {
            time_zone: input.time_zone,
            one_on_ones_enabled: input.one_on_ones_enabled,
            one_on_one_permissions_enabled: input.one_on_one_permissions_enabled,
            private_one_on_ones_by_default: input.private_one_on_ones_by_default,
            email_notifications_enabled: input.email_notifications_enabled,
        };
        Ok(
            service::update_settings(ctx.state(), ctx.viewer()?, changes)
                .await?
                .into(),
        )
    }

    async fn create_coaching_category(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> async_graphql::Result<CoachingCategory> {
        Ok(service::create_category(ctx.state(), ctx.viewer()?, &name)
            .await?
            .into())
    }

    async fn archive_coaching_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CoachingCategory> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(service::archive_category(ctx.state(), viewer, id)
            .await?
            .into())
    }
}

async fn change_team(
    ctx: &Context<'_>,
    team_id: ID,
    user_id: ID,
    role: DbTeamRole,
    add: bool,
) -> async_graphql::Result<Team> {
    let viewer = ctx.viewer()?;
    let team_id = parse_id("teamId", &team_id)?;
    let user_id = parse_id("userId", &user_id)?;
    let team = if add {
        service::add_to_team(ctx.state(), viewer, team_id, user_id, role).await?
    } else {
        service::remove_from_team(ctx.state(), viewer, team_id, user_id, role).await?
    };
    Ok(team.into())
}
