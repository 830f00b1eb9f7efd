//! GraphQL types of API tokens. The secret appears in `CreateApiTokenPayload` only.

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use entity::api_token;
use uuid::Uuid;

use crate::{
    auth::api_tokens::scopes_of,
    graphql::ContextExt,
    org::{loaders::UserById, types::User},
    policy::ApiScope,
};

/// What an API token may do.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiTokenScope {
    /// The `analytics` query (shared, non-private sessions and coached sessions only).
    ReadAnalytics,
    /// Read shared, non-private 1:1s (never drafts or personal notes), coached coaching
    /// sessions, ingested records and the organization lists that interpret them.
    ReadRecords,
    /// `recordMetricValues`, `recordFeedback`, `recordQaReview`, `upsertLesson`.
    Ingest,
}

impl From<ApiTokenScope> for ApiScope {
    fn from(scope: ApiTokenScope) -> Self {
        match scope {
            ApiTokenScope::ReadAnalytics => Self::ReadAnalytics,
            ApiTokenScope::ReadRecords => Self::ReadRecords,
            ApiTokenScope::Ingest => Self::Ingest,
        }
    }
}

impl From<ApiScope> for ApiTokenScope {
    fn from(scope: ApiScope) -> Self {
        match scope {
            ApiScope::ReadAnalytics => Self::ReadAnalytics,
            ApiScope::ReadRecords => Self::ReadRecords,
            ApiScope::Ingest => Self::Ingest,
        }
    }
}

/// An API token of the company. Its secret is shown once, when it is created.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ApiToken {
    pub id: ID,
    pub name: String,
    pub scopes: Vec<ApiTokenScope>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When a request last used it, to the minute; null if never.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub created_by: Uuid,
}

#[ComplexObject]
impl ApiToken {
    /// The admin who created it.
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(ctx
            .org_loader()
            .load_one(UserById(self.created_by))
            .await?
            .map(Into::into))
    }
}

impl From<api_token::Model> for ApiToken {
    fn from(t: api_token::Model) -> Self {
        Self {
            id: ID(t.id.to_string()),
            name: t.name.clone(),
            scopes: scopes_of(&t).iter().map(Into::into).collect(),
            created_at: t.created_at,
            updated_at: t.updated_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            created_by: t.created_by,
        }
    }
}

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// What the token is for, e.g. the dashboard's name (at most 100 characters).
    pub name: String,
    /// At least one.
    pub scopes: Vec<ApiTokenScope>,
    /// In the future, at most 366 days from now.
    pub expires_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    pub api_token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`. Shown this once: only a digest is kept.
    pub secret: String,
}
