//! API tokens (SPEC §7): admins create them for third-party dashboards and importers, see the
//! secret once, and revoke them; a request carrying one acts for the token's company within
//! its scopes (the rules are `policy`'s).
//!
//! The secret is 256 bits from the OS's CSPRNG behind a fixed prefix, so `authenticate` tells
//! it from a JWT by looking at it, and a leaked one is easy to recognize (secret scanners,
//! logs). Only its SHA-256 digest is stored. A password needs a slow, salted hash because it
//! has little entropy and can be guessed; a 256-bit random secret cannot be, so a fast digest
//! is as strong, lets the row be found by an index on the digest, and costs nothing per
//! request. Looking the digest up is safe against timing attacks: what a lookup's timing could
//! leak is how much of a stored digest an attacker's digest matches, and choosing a secret
//! whose digest matches a prefix is preimage-hard.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{api_token, company};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::Credentials,
    error::{AppError, AppResult},
    graphql::connection::{Page, PageArgs, paginate},
    policy::{self, ApiScope, ApiScopes, Viewer},
    state::AppState,
    validate,
};

/// What every secret starts with.
pub const SECRET_PREFIX: &str = "coach_at_";
/// The longest a token may live: a year and a day, so yearly rotation has a grace day.
pub const MAX_LIFETIME_DAYS: i64 = 366;
const MAX_NAME_CHARS: usize = 100;
/// How stale `last_used_at` may get before a request writes it again (see `touch`).
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

pub struct NewApiToken {
    pub name: String,
    pub scopes: ApiScopes,
    pub expires_at: DateTime<Utc>,
}

/// A created token with its secret, which exists nowhere else once this is dropped.
pub struct CreatedApiToken {
    pub token: api_token::Model,
    pub secret: String,
}

fn stored_name(scope: ApiScope) -> &'static str {
    match scope {
        ApiScope::ReadAnalytics => "READ_ANALYTICS",
        ApiScope::ReadRecords => "READ_RECORDS",
        ApiScope::Ingest => "INGEST",
    }
}

/// The scopes of a stored row; a name this build does not know grants nothing.
pub fn scopes_of(token: &api_token::Model) -> ApiScopes {
    token
        .scopes
        .split(' ')
        .filter_map(|name| ApiScope::ALL.into_iter().find(|s| stored_name(*s) == name))
        .collect()
}

fn digest(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    input: NewApiToken,
) -> AppResult<CreatedApiToken> {
    policy::require_api_token_admin(viewer)?;
    let name = validate::required_text("name", &input.name, MAX_NAME_CHARS)?;
    if input.scopes.is_empty() {
        return Err(AppError::bad_input(
            "scopes",
            "must name at least one scope",
        ));
    }
    let now = Utc::now();
    if input.expires_at <= now {
        return Err(AppError::bad_input("expiresAt", "must be in the future"));
    }
    if input.expires_at > now + Duration::days(MAX_LIFETIME_DAYS) {
        return Err(AppError::bad_input(
            "expiresAt",
            format!("must be at most {MAX_LIFETIME_DAYS} days from now"),
        ));
    }
    let secret = new_secret();
    let scopes: Vec<&str> = input.scopes.iter().map(stored_name).collect();
    let token = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        name: Set(name),
        scopes: Set(scopes.join(" ")),
        secret_digest: Set(digest(&secret)),
        created_by: Set(viewer.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        expires_at: Set(input.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    Ok(CreatedApiToken { token, secret })
}

/// Revokes a token of the viewer's company; revoking a revoked token changes nothing.
pub async fn revoke(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<api_token::Model> {
    policy::require_api_token_admin(viewer)?;
    let now = Utc::now();
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .col_expr(api_token::Column::UpdatedAt, Expr::value(now))
        .filter(policy::tenant(viewer, api_token::Column::CompanyId))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&state.db)
        .await?;
    api_token::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, api_token::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, api_token::Model)>> {
    policy::require_api_token_admin(viewer)?;
    let mut query =
        api_token::Entity::find().filter(policy::tenant(viewer, api_token::Column::CompanyId));
    if let Some(since) = updated_since {
        query = query.filter(api_token::Column::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, api_token::Column::Id, |t| t.id, page).await
}

/// Whether a bearer token is shaped like an API token secret rather than a JWT.
pub fn is_api_token(bearer: &str) -> bool {
    bearer.starts_with(SECRET_PREFIX)
}

/// What an API token secret proves: a viewer of its company with its scopes, or nothing when
/// it is unknown, revoked, expired or its company is gone — the same answer as a bad JWT.
pub async fn authenticate(state: &AppState, secret: &str) -> AppResult<Credentials> {
    let companies = company::Entity::find()
        .select_only()
        .column(company::Column::Id)
        .into_query();
    let now = Utc::now();
    let found = api_token::Entity::find()
        .filter(api_token::Column::SecretDigest.eq(digest(secret)))
        .filter(api_token::Column::CompanyId.in_subquery(companies))
        .one(&state.db)
        .await?;
    let Some(token) = found.filter(|t| t.revoked_at.is_none() && t.expires_at > now) else {
        return Ok(Credentials::Invalid);
    };
    touch(state, &token, now).await;
    Ok(Credentials::ApiToken(viewer_of(&token)))
}

/// The token as a viewer of its company, with its scopes.
pub fn viewer_of(token: &api_token::Model) -> Viewer {
    Viewer::for_api_token(
        token.id,
        token.company_id,
        scopes_of(token),
        token.expires_at,
    )
}

/// The company's tokens that still work (not revoked, not expired).
pub async fn live_tokens<C: ConnectionTrait>(
    db: &C,
    company_id: Uuid,
) -> AppResult<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::CompanyId.eq(company_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(api_token::Column::ExpiresAt.gt(Utc::now()))
        .all(db)
        .await?)
}

/// Records that the token was used. A dashboard may call many times a second; a write per
/// request would turn every read into a write (and on SQLite contend with every other
/// writer). So the time is kept to the minute: only a request that finds it older than that
/// writes, and the UPDATE is conditional, so of concurrent requests (on any node) at most one
/// changes the row. A failed write is logged and the request goes on: it is bookkeeping.
async fn touch(state: &AppState, token: &api_token::Model, now: DateTime<Utc>) {
    let stale_before = now - LAST_USED_RESOLUTION;
    if token.last_used_at.is_some_and(|at| at > stale_before) {
        return;
    }
    let updated = api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(token.id))
        .filter(
            sea_orm::Condition::any()
                .add(api_token::Column::LastUsedAt.is_null())
                .add(api_token::Column::LastUsedAt.lte(stale_before)),
        )
        .exec(&state.db)
        .await;
    if let Err(err) = updated {
        tracing::warn!(error = %err, token_id = %token.id, "recording API token use failed");
    }
}
