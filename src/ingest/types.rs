//! GraphQL types of ingested records.

use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{feedback_record, lesson, metric, metric_value, qa_review};
use uuid::Uuid;

use crate::{
    graphql::ContextExt,
    org::{loaders::UserById, types::User},
};

/// The person a record is about, loaded in one batch for a whole page.
async fn person(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<User>> {
    Ok(ctx
        .org_loader()
        .load_one(UserById(id))
        .await?
        .map(Into::into))
}

#[derive(SimpleObject)]
pub struct Metric {
    pub id: ID,
    pub name: String,
    pub unit: String,
    pub higher_is_better: bool,
    /// Whether the metric belongs to the company's Key Metric Set.
    pub in_key_set: bool,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<metric::Model> for Metric {
    fn from(m: metric::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            name: m.name,
            unit: m.unit,
            higher_is_better: m.higher_is_better,
            in_key_set: m.in_key_set,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct MetricValue {
    pub id: ID,
    pub metric_id: ID,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub value: f64,
    pub external_id: Option<String>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub user_id: Uuid,
}

#[ComplexObject]
impl MetricValue {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        person(ctx, self.user_id).await
    }
}

impl From<metric_value::Model> for MetricValue {
    fn from(m: metric_value::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            metric_id: ID(m.metric_id.to_string()),
            period_start: m.period_start,
            period_end: m.period_end,
            value: m.value,
            external_id: m.external_id,
            updated_at: m.updated_at,
            user_id: m.user_id,
        }
    }
}

/// Customer feedback about one interaction.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FeedbackRecord {
    pub id: ID,
    pub score: f64,
    pub comment: String,
    pub received_on: NaiveDate,
    pub channel: String,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub user_id: Uuid,
}

#[ComplexObject]
impl FeedbackRecord {
    /// The agent the feedback is about.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        person(ctx, self.user_id).await
    }
}

impl From<feedback_record::Model> for FeedbackRecord {
    fn from(m: feedback_record::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            score: m.score,
            comment: m.comment,
            received_on: m.received_on,
            channel: m.channel,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            user_id: m.user_id,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct QaReview {
    pub id: ID,
    pub reviewer_name: String,
    pub score: f64,
    pub form_name: String,
    pub comments: String,
    pub reviewed_on: NaiveDate,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub user_id: Uuid,
}

#[ComplexObject]
impl QaReview {
    /// The agent whose work was reviewed.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        person(ctx, self.user_id).await
    }
}

impl From<qa_review::Model> for QaReview {
    fn from(m: qa_review::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            reviewer_name: m.reviewer_name,
            score: m.score,
            form_name: m.form_name,
            comments: m.comments,
            reviewed_on: m.reviewed_on,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            user_id: m.user_id,
        }
    }
}

#[derive(SimpleObject)]
pub struct Lesson {
    pub id: ID,
    pub title: String,
    pub url: String,
    pub provider_id: String,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<lesson::Model> for Lesson {
    fn from(m: lesson::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            title: m.title,
            url: m.url,
            provider_id: m.provider_id,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
