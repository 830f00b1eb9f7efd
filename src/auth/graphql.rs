//! `viewer`, `login`, `logout`, `changePassword`, and the admins' API tokens.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    auth::{
        api_tokens::{self, NewApiToken},
        service,
        types::{ApiToken, CreateApiTokenInput, CreateApiTokenPayload},
    },
    graphql::{
        ContextExt,
        connection::{PageArgs, RelayConnection, to_connection},
        parse_id,
    },
    org::{service as org_service, types::User},
};

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let viewer = ctx.viewer()?;
        Ok(org_service::get_user(ctx.state(), viewer, viewer.user_id)
            .await?
            .into())
    }

    /// The company's API tokens, revoked and expired ones included (admins only). Secrets
    /// are never shown again.
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<ApiToken>> {
        let page = api_tokens::list(
            ctx.state(),
            ctx.viewer()?,
            updated_since,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, t)| (id, t.into()))))
    }
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    expires_at: DateTime<Utc>,
    user: User,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<LoginPayload> {
        let result = service::login(
            ctx.state(),
            &email,
            &password,
            &ctx.request().client_address,
        )
        .await?;
        Ok(LoginPayload {
            token: result.token,
            expires_at: result.expires_at,
            user: result.user.into(),
        })
    }

    /// Revokes the token this request was made with.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        service::logout(ctx.state(), ctx.viewer()?).await?;
        Ok(true)
    }

    /// Changes the viewer's password; every other token of theirs is revoked.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        service::change_password(ctx.state(), ctx.viewer()?, &current_password, &new_password)
            .await?;
        Ok(true)
    }

    /// Creates an API token for a third-party system (admins only). The payload carries its
    /// secret, which is never shown again.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> async_graphql::Result<CreateApiTokenPayload> {
        let created = api_tokens::create(
            ctx.state(),
            ctx.viewer()?,
            NewApiToken {
                name: input.name,
                scopes: input.scopes.into_iter().map(Into::into).collect(),
                expires_at: input.expires_at,
            },
        )
        .await?;
        Ok(CreateApiTokenPayload {
            api_token: created.token.into(),
            secret: created.secret,
        })
    }

    /// Revokes an API token (admins only); requests with it are refused from then on.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ApiToken> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(api_tokens::revoke(ctx.state(), viewer, id).await?.into())
    }
}
