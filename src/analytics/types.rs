//! The GraphQL shapes of `analytics`: each part is its own field, so a dashboard asks (and the
//! server computes) only what it shows.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use super::service::{self, Activity, CategoryUsage, KpiSeries, KpiWeek};
use crate::{
    coaching::types::Decimal,
    one_on_ones::types::{id, user},
    org::types::{CoachingCategory, Team, User},
};

/// Which sessions `analytics` aggregates. Dates are local dates of the company's time zone.
#[derive(InputObject, Default)]
pub struct AnalyticsFilter {
    /// First day, included. Default: 89 days before `to` (90 days in all).
    pub from: Option<NaiveDate>,
    /// Last day, included. Default: today. At most 731 days after `from`.
    pub to: Option<NaiveDate>,
    /// Only sessions whose Team Member (1:1 member, coaching agent) is in this team now.
    pub team_id: Option<ID>,
}

/// How often a category was revisited in the range: `sessions` counts the distinct shared 1:1s
/// with at least one discussion item or action item (created in that 1:1) in the category;
/// the item counts count the items. Every active category is listed, archived ones only when
/// used.
pub struct CategoryUsageRow(pub CategoryUsage);

#[Object(name = "CategoryUsage")]
impl CategoryUsageRow {
    async fn category(&self) -> CoachingCategory {
        self.0.category.clone().into()
    }

    async fn sessions(&self) -> i64 {
        self.0.sessions
    }

    async fn discussion_items(&self) -> i64 {
        self.0.discussion_items
    }

    async fn action_items(&self) -> i64 {
        self.0.action_items
    }
}

/// Coached coaching sessions and shared 1:1s of one group. `sharedOneOnOnes` is `null` when
/// 1:1s are not the viewer's (switched off, or permissions off and the viewer not an admin).
#[derive(SimpleObject)]
pub struct ActivityCounts {
    pub coached_sessions: i64,
    pub shared_one_on_ones: Option<i64>,
}

impl From<Activity> for ActivityCounts {
    fn from(activity: Activity) -> Self {
        Self {
            coached_sessions: activity.coached_sessions,
            shared_one_on_ones: activity.shared_one_on_ones,
        }
    }
}

/// Activity of one leader: coaching sessions they coached, 1:1s they led.
pub struct LeaderActivity {
    pub leader_id: Uuid,
    pub activity: Activity,
}

#[Object]
impl LeaderActivity {
    async fn leader_id(&self) -> ID {
        id(self.leader_id)
    }

    async fn leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.leader_id).await
    }

    async fn counts(&self) -> ActivityCounts {
        self.activity.into()
    }
}

/// Activity of the Team Members of one team (a member of two teams counts in both).
#[derive(SimpleObject)]
pub struct TeamActivity {
    pub team: Team,
    pub counts: ActivityCounts,
}

/// An ISO week of the company's time zone.
#[derive(SimpleObject)]
pub struct Week {
    /// Its Monday.
    pub starts_on: NaiveDate,
    /// ISO 8601, e.g. `2026-W48`.
    pub iso_week: String,
}

impl From<NaiveDate> for Week {
    fn from(monday: NaiveDate) -> Self {
        let iso = monday.iso_week();
        Self {
            starts_on: monday,
            iso_week: format!("{}-W{:02}", iso.year(), iso.week()),
        }
    }
}

#[derive(SimpleObject)]
pub struct WeekActivity {
    pub week: Week,
    pub counts: ActivityCounts,
}

/// Coached coaching sessions and shared 1:1s, grouped three ways. A 1:1 is dated by its
/// schedule (or when it was shared, if unscheduled); a coaching session by when it was coached.
pub struct CoachingActivity(pub std::sync::Arc<service::Scope>);

#[Object]
impl CoachingActivity {
    /// Most active first.
    async fn by_leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LeaderActivity>> {
        let state = crate::graphql::ContextExt::state(ctx);
        Ok(service::activity_by_leader(state, &self.0)
            .await?
            .into_iter()
            .map(|(leader_id, activity)| LeaderActivity {
                leader_id,
                activity,
            })
            .collect())
    }

    /// Most active first; teams without activity are left out.
    async fn by_team(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TeamActivity>> {
        let state = crate::graphql::ContextExt::state(ctx);
        Ok(service::activity_by_team(state, &self.0)
            .await?
            .into_iter()
            .map(|(team, activity)| TeamActivity {
                team: team.into(),
                counts: activity.into(),
            })
            .collect())
    }

    /// Every week touching the range, oldest first, weeks without activity included.
    async fn by_week(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WeekActivity>> {
        let state = crate::graphql::ContextExt::state(ctx);
        Ok(service::activity_by_week(state, &self.0)
            .await?
            .into_iter()
            .map(|(week, activity)| WeekActivity {
                week: week.into(),
                counts: activity.into(),
            })
            .collect())
    }
}

/// Action items created in the range's shared 1:1s.
#[derive(SimpleObject)]
pub struct ActionItemStats {
    pub total: i64,
    pub done: i64,
    /// `done ÷ total`, a fraction from 0 to 1 rounded to 4 decimal places (half away from
    /// zero); `null` when there are no items.
    pub completion_rate: Option<f64>,
    /// Median time from creation to done, in whole seconds (with an even count, the mean of
    /// the two middle durations, rounded down); `null` when none is done.
    pub median_seconds_to_complete: Option<i64>,
}

impl From<service::ActionItemStats> for ActionItemStats {
    fn from(stats: service::ActionItemStats) -> Self {
        Self {
            total: stats.total,
            done: stats.done,
            completion_rate: stats.completion_rate,
            median_seconds_to_complete: stats.median_seconds_to_complete,
        }
    }
}

/// One week of an agent's KPI rows for one metric.
pub struct KpiVarianceWeek(pub KpiWeek);

#[Object]
impl KpiVarianceWeek {
    async fn week(&self) -> Week {
        self.0.week.into()
    }

    /// KPI rows in the week.
    async fn rows(&self) -> i64 {
        self.0.rows
    }

    /// Mean of `actual − goal`, exact, rounded to 4 decimal places (half away from zero).
    async fn average_variance(&self) -> Decimal {
        self.0.average_variance.into()
    }

    /// Mean of the rows' `variancePercent`, rounded to 2 places (half away from zero); rows
    /// with goal 0 have none and are left out; `null` when no row has one.
    async fn average_variance_percent(&self) -> Option<Decimal> {
        self.0.average_variance_percent.map(Into::into)
    }
}

/// KPI variance of one agent and one metric name (as typed in the KPI rows), per week the
/// coached sessions were coached in, oldest first.
pub struct KpiVarianceSeries(pub KpiSeries);

#[Object]
impl KpiVarianceSeries {
    async fn agent_id(&self) -> ID {
        id(self.0.agent_id)
    }

    async fn agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.agent_id).await
    }

    async fn metric_name(&self) -> &str {
        &self.0.metric_name
    }

    async fn weeks(&self) -> Vec<KpiVarianceWeek> {
        self.0.weeks.iter().copied().map(KpiVarianceWeek).collect()
    }
}

/// Shared 1:1s of one leader–member pair in the range. Gaps are whole days between the
/// sessions' local dates.
pub struct OneOnOneCadence(pub service::Cadence);

#[Object]
impl OneOnOneCadence {
    async fn leader_id(&self) -> ID {
        id(self.0.leader_id)
    }

    async fn leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.leader_id).await
    }

    async fn member_id(&self) -> ID {
        id(self.0.member_id)
    }

    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.member_id).await
    }

    async fn sessions(&self) -> i64 {
        self.0.sessions
    }

    /// Local date of the latest session in the range.
    async fn last_session_on(&self) -> NaiveDate {
        self.0.last_session_on
    }

    /// Mean days between consecutive sessions, 2 decimal places; `null` with one session.
    async fn average_days_between(&self) -> Option<f64> {
        self.0.average_days_between
    }

    /// Days between the latest session and the one before it; `null` with one session.
    async fn latest_days_between(&self) -> Option<i64> {
        self.0.latest_days_between
    }
}
