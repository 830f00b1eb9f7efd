//! The `myDashboard` query and its types.

use async_graphql::{Context, Object, SimpleObject};
use chrono::NaiveDate;

use super::service::{self, Dashboard};
use crate::{
    coaching::types::{CoachingCommitment, CoachingFollowUp, CoachingSession},
    graphql::ContextExt,
    one_on_ones::{
        items::snapshot,
        types::{ActionItem, Kudo, OneOnOne},
    },
};

/// A commitment still open; `overdue` when its due date is before today (company time).
#[derive(SimpleObject)]
pub struct OpenCommitment {
    pub overdue: bool,
    pub commitment: CoachingCommitment,
}

/// A follow-up the viewer owes; `due` when its date is today or earlier (company time).
#[derive(SimpleObject)]
pub struct OpenFollowUp {
    pub due: bool,
    pub follow_up: CoachingFollowUp,
}

pub struct MyDashboard(Dashboard);

#[Object]
impl MyDashboard {
    /// The company's time zone, which defines "today" and "overdue".
    async fn time_zone(&self) -> &str {
        self.0.time_zone.name()
    }

    async fn today(&self) -> NaiveDate {
        self.0.today
    }

    /// The viewer's commitments from coached sessions not yet done: overdue first, then by
    /// due date.
    async fn open_commitments(&self) -> Vec<OpenCommitment> {
        self.0
            .commitments
            .iter()
            .map(|c| OpenCommitment {
                overdue: c.due_on < self.0.today,
                commitment: c.clone().into(),
            })
            .collect()
    }

    /// Open action items of the viewer's 1:1s as a Team Member, those with the earliest due
    /// date first. Empty when 1:1s are off for them.
    async fn open_action_items(&self) -> Vec<ActionItem> {
        self.0
            .action_items
            .iter()
            .map(|i| ActionItem(snapshot(i)))
            .collect()
    }

    /// Follow-ups the viewer owes as a coach: due ones first, then by date.
    async fn open_follow_ups(&self) -> Vec<OpenFollowUp> {
        self.0
            .follow_ups
            .iter()
            .map(|f| OpenFollowUp {
                due: f.due_on <= self.0.today,
                follow_up: f.clone().into(),
            })
            .collect()
    }

    /// The viewer's coaching drafts in progress, most recently changed first.
    async fn coaching_drafts(&self) -> Vec<CoachingSession> {
        self.0
            .coaching_drafts
            .iter()
            .cloned()
            .map(CoachingSession)
            .collect()
    }

    /// The viewer's own 1:1s (as leader or member) scheduled in the future, soonest first (at
    /// most 20).
    async fn upcoming_one_on_ones(&self) -> Vec<OneOnOne> {
        self.0
            .upcoming_one_on_ones
            .iter()
            .cloned()
            .map(OneOnOne)
            .collect()
    }

    /// The viewer's draft 1:1s (as their leader), newest first.
    async fn draft_one_on_ones(&self) -> Vec<OneOnOne> {
        self.0
            .draft_one_on_ones
            .iter()
            .cloned()
            .map(OneOnOne)
            .collect()
    }

    /// Kudos of 1:1s the viewer sees from the last 30 days, newest first (at most 10).
    async fn recent_kudos(&self) -> Vec<Kudo> {
        self.0.recent_kudos.iter().cloned().map(Kudo).collect()
    }
}

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// The viewer's open work, for every role.
    async fn my_dashboard(&self, ctx: &Context<'_>) -> async_graphql::Result<MyDashboard> {
        let viewer = ctx.viewer()?;
        Ok(MyDashboard(
            service::my_dashboard(ctx.state(), viewer).await?,
        ))
    }
}
