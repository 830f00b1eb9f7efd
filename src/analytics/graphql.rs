//! The `analytics` root field: validates the filter once, then each sub-field computes its
//! own part, so a dashboard pays only for what it asks.

use std::sync::Arc;

use async_graphql::{Context, Object};
use chrono::NaiveDate;

use super::{
    service::{self, FilterInput, Scope},
    types::{
        ActionItemStats, AnalyticsFilter, CategoryUsageRow, CoachingActivity, KpiVarianceSeries,
        OneOnOneCadence,
    },
};
use crate::graphql::{ContextExt, parse_id};

/// Aggregates over what the viewer may see (SPEC §5): sessions they cannot see are not
/// counted. 1:1 parts (`categoryUsage`, `actionItems`, `oneOnOneCadence`) answer
/// `FEATURE_DISABLED` when 1:1s are switched off and `FORBIDDEN` when 1:1 permissions are off
/// and the viewer is not an admin, each on its own field; coaching parts are always available.
pub struct Analytics(Arc<Scope>);

#[Object]
impl Analytics {
    /// The first day aggregated (local date of the company).
    async fn from(&self) -> NaiveDate {
        self.0.from
    }

    /// The last day aggregated, included.
    async fn to(&self) -> NaiveDate {
        self.0.to
    }

    /// The company's time zone, which defines dates and weeks here.
    async fn time_zone(&self) -> &str {
        self.0.time_zone.name()
    }

    async fn category_usage(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CategoryUsageRow>> {
        Ok(service::category_usage(ctx.state(), &self.0)
            .await?
            .into_iter()
            .map(CategoryUsageRow)
            .collect())
    }

    async fn coaching_activity(&self) -> CoachingActivity {
        CoachingActivity(self.0.clone())
    }

    async fn action_items(&self, ctx: &Context<'_>) -> async_graphql::Result<ActionItemStats> {
        Ok(service::action_items(ctx.state(), &self.0).await?.into())
    }

    /// Per agent and metric name, ordered by agent id, then metric name.
    async fn kpi_variance_trend(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<KpiVarianceSeries>> {
        Ok(service::kpi_variance_trend(ctx.state(), &self.0)
            .await?
            .into_iter()
            .map(KpiVarianceSeries)
            .collect())
    }

    /// Per leader–member pair, ordered by leader id, then member id.
    async fn one_on_one_cadence(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<OneOnOneCadence>> {
        Ok(service::one_on_one_cadence(ctx.state(), &self.0)
            .await?
            .into_iter()
            .map(OneOnOneCadence)
            .collect())
    }
}

#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// Dashboard aggregates for every authenticated user, over what they may see (a Team
    /// Member sees figures of their own sessions). `BAD_USER_INPUT` names `from`, `to` or
    /// `teamId` when the range is reversed, longer than 731 days, or the team is not of the
    /// viewer's company.
    async fn analytics(
        &self,
        ctx: &Context<'_>,
        filter: Option<AnalyticsFilter>,
    ) -> async_graphql::Result<Analytics> {
        let viewer = ctx.viewer()?;
        let filter = filter.unwrap_or_default();
        let input = FilterInput {
            from: filter.from,
            to: filter.to,
            team_id: filter
                .team_id
                .as_ref()
                .map(|id| parse_id("teamId", id))
                .transpose()?,
        };
        let scope = service::scope(ctx.state(), viewer, input).await?;
        Ok(Analytics(Arc::new(scope)))
    }
}
