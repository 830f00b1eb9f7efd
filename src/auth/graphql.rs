//! `viewer`, `login`, `logout`, `changePassword`.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    auth::service,
    graphql::ContextExt,
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
}
