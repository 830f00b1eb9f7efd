//! Login, logout, password changes and token verification.

use std::sync::Arc;

use chrono::Utc;
use entity::{auth_session, company, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, QueryTrait, RelationDef, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    auth::{Credentials, api_tokens, bearer_token, password},
    error::{AppError, AppResult},
    policy::Viewer,
    state::AppState,
};

pub struct LoginResult {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub user: user::Model,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn login(
    state: &AppState,
    email: &str,
    password_attempt: &str,
    client_address: &str,
) -> AppResult<LoginResult> {
    let email = normalize_email(email);
    state.login_limiter.check(&email, client_address).await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    // Same work and same answer for an unknown email, a wrong password and a deactivated
    // account, so the answer reveals nothing about which accounts exist.
    let stored_hash = match &found {
        Some(user) => user.password_hash.clone(),
        None => password::dummy_hash().await.to_owned(),
    };
    let password_ok = password::verify(password_attempt, &stored_hash).await?;
    let user = match found {
        Some(user) if password_ok && user.active => user,
        _ => {
            return Err(AppError::bad_input(
                "password",
                "wrong email or password, or the account is deactivated",
            ));
        }
    };
    let (token, expires_at) = issue_token(state, &user).await?;
    Ok(LoginResult {
        token,
        expires_at,
        user,
    })
}

async fn issue_token(
    state: &AppState,
    user: &user::Model,
) -> AppResult<(String, chrono::DateTime<Utc>)> {
    let now = Utc::now();
    let expires_at =
        now + chrono::Duration::from_std(state.config.token_ttl).map_err(AppError::internal)?;
    let session = auth_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    let token = state
        .tokens
        .sign(user.id, user.company_id, session.id, now, expires_at)
        .map_err(AppError::internal)?;
    Ok((token, expires_at))
}

pub async fn logout(state: &AppState, viewer: &Viewer) -> AppResult<()> {
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(auth_session::Column::Id.eq(viewer.session_id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Changes the viewer's password and revokes every other token of theirs: whoever might have
/// known the old password loses their sessions too.
pub async fn change_password(
    state: &AppState,
    viewer: &Viewer,
    current_password: &str,
    new_password: &str,
) -> AppResult<()> {
    password::validate_new_password("newPassword", new_password)?;
    let user = user::Entity::find_by_id(viewer.user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !password::verify(current_password, &user.password_hash).await? {
        return Err(AppError::bad_input(
            "currentPassword",
            "is not your password",
        ));
    }
    let new_hash = password::hash(new_password).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    user::ActiveModel {
        id: Set(user.id),
        password_hash: Set(new_hash),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(now))
        .filter(auth_session::Column::UserId.eq(user.id))
        .filter(auth_session::Column::Id.ne(viewer.session_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Revokes every token of a user (deactivation).
pub async fn revoke_all<C: sea_orm::ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<()> {
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// What an `Authorization` header value proves. Every check that can change after the token
/// was signed (logout, deactivation, API token revocation) is read from the database on each
/// request.
pub async fn authenticate(state: &AppState, header: Option<&str>) -> AppResult<Credentials> {
    let Some(header) = header else {
        return Ok(Credentials::Anonymous);
    };
    let Some(token) = bearer_token(header) else {
        return Ok(Credentials::Invalid);
    };
    if let Some(operator) = &state.config.operator_token
        && constant_time_eq(token.as_bytes(), operator.as_bytes())
    {
        return Ok(Credentials::Operator);
    }
    if api_tokens::is_api_token(token) {
        return api_tokens::authenticate(state, token).await;
    }
    let Some(claims) = state.tokens.verify(token) else {
        return Ok(Credentials::Invalid);
    };
    let Some(expires_at) = chrono::DateTime::from_timestamp(claims.exp, 0) else {
        return Ok(Credentials::Invalid);
    };
    Ok(match live_login(state, claims.sub, claims.jti).await? {
        Some((user, company)) if user.company_id == claims.cid => Credentials::User(Viewer {
            user_id: user.id,
            company_id: user.company_id,
            role: user.role,
            session_id: claims.jti,
            token_expires_at: expires_at,
            api_token: None,
            company: Some(Arc::new(company)),
        }),
        _ => Credentials::Invalid,
    })
}

/// The user and their company, if their login session `session_id` is neither revoked nor
/// expired and the user is active: one statement, as every request asks it (and what it
/// asks next, the company's settings, comes with it).
async fn live_login(
    state: &AppState,
    user_id: Uuid,
    session_id: Uuid,
) -> AppResult<Option<(user::Model, company::Model)>> {
    let company_of_user: RelationDef = user::Entity::belongs_to(company::Entity)
        .from(user::Column::CompanyId)
        .to(company::Column::Id)
        .into();
    let session_stands = auth_session::Entity::find()
        .select_only()
        .expr(Expr::val(1))
        .filter(auth_session::Column::Id.eq(session_id))
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .filter(auth_session::Column::ExpiresAt.gt(Utc::now()))
        .into_query();
    let found = user::Entity::find_by_id(user_id)
        .join(JoinType::InnerJoin, company_of_user)
        .select_also(company::Entity)
        .filter(user::Column::Active.eq(true))
        .filter(Expr::exists(session_stands))
        .one(&state.db)
        .await?;
    Ok(found.and_then(|(user, company)| Some((user, company?))))
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the token a long-lived stream was opened with still stands: not revoked, not
/// expired, its user active. Streams re-check it as they re-check access.
pub async fn session_still_valid(state: &AppState, viewer: &Viewer) -> AppResult<bool> {
    Ok(live_login(state, viewer.user_id, viewer.session_id)
        .await?
        .is_some_and(|(user, _)| user.role == viewer.role))
}
