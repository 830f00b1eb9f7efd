//! Queries and mutations of ingested records (SPEC §9, ingest row, and the metrics of the
//! org row).

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    graphql::{
        ContextExt,
        connection::{PageArgs, RelayConnection, to_connection},
        parse_id,
    },
    ingest::{
        service::{
            self, MetricFields, NewFeedback, NewLesson, NewMetricValue, NewQaReview, RecordFilter,
        },
        types::{FeedbackRecord, Lesson, Metric, MetricValue, QaReview},
    },
};

fn record_filter(
    user_id: Option<ID>,
    updated_since: Option<DateTime<Utc>>,
) -> Result<RecordFilter, crate::error::AppError> {
    Ok(RecordFilter {
        user_id: user_id.map(|id| parse_id("userId", &id)).transpose()?,
        updated_since,
    })
}

#[derive(Default)]
pub struct IngestQuery;

#[Object]
impl IngestQuery {
    async fn metrics(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] key_set_only: bool,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<Metric>> {
        let page = service::list_metrics(
            ctx.state(),
            ctx.viewer()?,
            key_set_only,
            updated_since,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, m)| (id, m.into()))))
    }

    /// Metric values the viewer may see: their own, their Team Members' (leaders), all
    /// (admins).
    #[allow(clippy::too_many_arguments)]
    async fn metric_values(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        metric_id: Option<ID>,
        user_id: Option<ID>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<MetricValue>> {
        let viewer = ctx.viewer()?;
        let metric_id = metric_id.map(|id| parse_id("metricId", &id)).transpose()?;
        let page = service::list_metric_values(
            ctx.state(),
            viewer,
            metric_id,
            record_filter(user_id, updated_since)?,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, v)| (id, v.into()))))
    }

    async fn feedback_records(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        user_id: Option<ID>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<FeedbackRecord>> {
        let viewer = ctx.viewer()?;
        let page = service::list_feedback(
            ctx.state(),
            viewer,
            record_filter(user_id, updated_since)?,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, r)| (id, r.into()))))
    }

    async fn qa_reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        user_id: Option<ID>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<QaReview>> {
        let viewer = ctx.viewer()?;
        let page = service::list_qa_reviews(
            ctx.state(),
            viewer,
            record_filter(user_id, updated_since)?,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, r)| (id, r.into()))))
    }

    /// The lesson catalogue, optionally filtered by a case-insensitive title fragment.
    async fn lessons(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        title: Option<String>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<Lesson>> {
        let page = service::list_lessons(
            ctx.state(),
            ctx.viewer()?,
            title,
            updated_since,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, l)| (id, l.into()))))
    }
}

#[derive(InputObject)]
pub struct CreateMetricInput {
    pub name: String,
    #[graphql(default)]
    pub unit: String,
    #[graphql(default = true)]
    pub higher_is_better: bool,
    #[graphql(default = true)]
    pub in_key_set: bool,
    /// Creating again with the same external id updates that metric.
    pub external_id: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateMetricInput {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub higher_is_better: Option<bool>,
    pub in_key_set: Option<bool>,
}

#[derive(InputObject)]
pub struct MetricValueInput {
    pub metric_id: ID,
    pub user_id: ID,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub value: f64,
    pub external_id: Option<String>,
}

#[derive(InputObject)]
pub struct FeedbackInput {
    /// The agent the feedback is about.
    pub user_id: ID,
    pub score: f64,
    #[graphql(default)]
    pub comment: String,
    pub received_on: NaiveDate,
    #[graphql(default)]
    pub channel: String,
    pub external_id: Option<String>,
}

#[derive(InputObject)]
pub struct QaReviewInput {
    pub user_id: ID,
    pub reviewer_name: String,
    pub score: f64,
    #[graphql(default)]
    pub form_name: String,
    #[graphql(default)]
    pub comments: String,
    pub reviewed_on: NaiveDate,
    pub external_id: Option<String>,
}

#[derive(InputObject)]
pub struct LessonInput {
    pub title: String,
    pub url: String,
    #[graphql(default)]
    pub provider_id: String,
    pub external_id: Option<String>,
}

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    async fn create_metric(
        &self,
        ctx: &Context<'_>,
        input: CreateMetricInput,
    ) -> async_graphql::Result<Metric> {
        let fields = MetricFields {
            name: Some(input.name),
            unit: Some(input.unit),
            higher_is_better: Some(input.higher_is_better),
            in_key_set: Some(input.in_key_set),
        };
        Ok(
            service::create_metric(ctx.state(), ctx.viewer()?, fields, input.external_id)
                .await?
                .into(),
        )
    }

    async fn update_metric(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateMetricInput,
    ) -> async_graphql::Result<Metric> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        let fields = MetricFields {
            name: input.name,
            unit: input.unit,
            higher_is_better: input.higher_is_better,
            in_key_set: input.in_key_set,
        };
        Ok(service::update_metric(ctx.state(), viewer, id, fields)
            .await?
            .into())
    }

    /// Records values all-or-nothing (at most 1,000 per call); a value whose `externalId` was
    /// recorded before replaces it.
    async fn record_metric_values(
        &self,
        ctx: &Context<'_>,
        values: Vec<MetricValueInput>,
    ) -> async_graphql::Result<Vec<MetricValue>> {
        let viewer = ctx.viewer()?;
        let values = values
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                Ok(NewMetricValue {
                    metric_id: parse_id(&format!("values[{row}].metricId"), &v.metric_id)?,
                    user_id: parse_id(&format!("values[{row}].userId"), &v.user_id)?,
                    period_start: v.period_start,
                    period_end: v.period_end,
                    value: v.value,
                    external_id: v.external_id,
                })
            })
            .collect::<Result<Vec<_>, crate::error::AppError>>()?;
        Ok(service::record_metric_values(ctx.state(), viewer, values)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn record_feedback(
        &self,
        ctx: &Context<'_>,
        input: FeedbackInput,
    ) -> async_graphql::Result<FeedbackRecord> {
        let viewer = ctx.viewer()?;
        let input = NewFeedback {
            user_id: parse_id("userId", &input.user_id)?,
            score: input.score,
            comment: input.comment,
            received_on: input.received_on,
            channel: input.channel,
            external_id: input.external_id,
        };
        Ok(service::record_feedback(ctx.state(), viewer, input)
            .await?
            .into())
    }

    async fn record_qa_review(
        &self,
        ctx: &Context<'_>,
        input: QaReviewInput,
    ) -> async_graphql::Result<QaReview> {
        let viewer = ctx.viewer()?;
        let input = NewQaReview {
            user_id: parse_id("userId", &input.user_id)?,
            reviewer_name: input.reviewer_name,
            score: input.score,
            form_name: input.form_name,
            comments: input.comments,
            reviewed_on: input.reviewed_on,
            external_id: input.external_id,
        };
        Ok(service::record_qa_review(ctx.state(), viewer, input)
            .await?
            .into())
    }

    async fn upsert_lesson(
        &self,
        ctx: &Context<'_>,
        input: LessonInput,
    ) -> async_graphql::Result<Lesson> {
        let input = NewLesson {
            title: input.title,
            url: input.url,
            provider_id: input.provider_id,
            external_id: input.external_id,
        };
        Ok(service::upsert_lesson(ctx.state(), ctx.viewer()?, input)
            .await?
            .into())
    }
}
