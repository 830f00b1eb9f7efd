//! Coaching queries and mutations (SPEC §9, coaching row). Resolvers only translate GraphQL
//! input; the services ask the policy and touch the database.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    forms::{self, FormChanges, NewForm},
    service::{self, SessionFilter},
    steps::{AnswerInput, CommitmentInput, FollowUpInput, KpiRowInput, NewStep},
    types::{
        CoachingCommitment, CoachingFollowUp, CoachingForm, CoachingSession, CoachingSessionStatus,
        CoachingStepKind, Decimal, QuestionKind,
    },
};
use crate::{
    error::AppError,
    graphql::{
        ContextExt,
        connection::{PageArgs, RelayConnection, to_connection},
        parse_id,
    },
};

fn optional_id(field: &str, id: Option<ID>) -> Result<Option<uuid::Uuid>, AppError> {
    id.map(|id| parse_id(field, &id)).transpose()
}

#[derive(Default)]
pub struct CoachingQuery;

#[Object]
impl CoachingQuery {
    /// The company's coaching forms, oldest first; archived ones only when asked.
    async fn coaching_forms(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_archived: bool,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<CoachingForm>> {
        let viewer = ctx.viewer()?;
        let page = forms::list(
            ctx.state(),
            viewer,
            include_archived,
            updated_since,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, f)| (id, CoachingForm(f)))))
    }

    async fn coaching_form(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CoachingForm> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(CoachingForm(forms::get(ctx.state(), viewer, id).await?))
    }

    /// The coaching sessions the viewer may see (drafts: their coach alone; coached: coach,
    /// agent, the agent's Team Leaders, admins), oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn coaching_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        agent_id: Option<ID>,
        coach_id: Option<ID>,
        form_id: Option<ID>,
        status: Option<CoachingSessionStatus>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<CoachingSession>> {
        let viewer = ctx.viewer()?;
        let filter = SessionFilter {
            agent_id: optional_id("agentId", agent_id)?,
            coach_id: optional_id("coachId", coach_id)?,
            form_id: optional_id("formId", form_id)?,
            status: status.map(Into::into),
            updated_since,
        };
        let page = service::list(ctx.state(), viewer, filter, &PageArgs::new(first, after)).await?;
        Ok(to_connection(page.map(|(id, s)| (id, CoachingSession(s)))))
    }

    async fn coaching_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CoachingSession> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(CoachingSession(
            service::get(ctx.state(), viewer, id).await?,
        ))
    }

    /// The agent's coached sessions that the viewer may see, newest coaching first.
    async fn learning_history(
        &self,
        ctx: &Context<'_>,
        agent_id: ID,
        first: Option<i32>,
        after: Option<String>,
        updated_since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<RelayConnection<CoachingSession>> {
        let viewer = ctx.viewer()?;
        let agent_id = parse_id("agentId", &agent_id)?;
        let page = service::learning_history(
            ctx.state(),
            viewer,
            agent_id,
            updated_since,
            &PageArgs::new(first, after),
        )
        .await?;
        Ok(to_connection(page.map(|(id, s)| (id, CoachingSession(s)))))
    }
}

#[derive(InputObject)]
pub struct CoachingStepInput {
    /// The id of an existing step of the form, to keep its identity (auto fill matches steps
    /// by it); omitted for a new step.
    pub id: Option<ID>,
    pub kind: CoachingStepKind,
    pub title: String,
    pub description: Option<String>,
    #[graphql(default = false)]
    pub required: bool,
    /// Required for QUESTION steps, refused for others.
    pub question_kind: Option<QuestionKind>,
    /// QUESTION steps: 2–20 distinct options (YES_NO and RATING have defaults).
    pub options: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct CreateCoachingFormInput {
    pub name: String,
    pub description: Option<String>,
    pub steps: Vec<CoachingStepInput>,
}

#[derive(InputObject)]
pub struct UpdateCoachingFormInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces every step (give `id` to keep a step). Started sessions keep theirs.
    pub steps: Option<Vec<CoachingStepInput>>,
}

fn new_steps(input: Vec<CoachingStepInput>) -> Result<Vec<NewStep>, AppError> {
    input
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(NewStep {
                id: optional_id(&format!("steps[{i}].id"), s.id)?,
                kind: s.kind.into(),
                title: s.title,
                description: s.description,
                required: s.required,
                question_kind: s.question_kind.map(Into::into),
                options: s.options,
            })
        })
        .collect()
}

#[derive(InputObject)]
#[graphql(name = "KpiRowInput")]
pub struct KpiRowInputObject {
    pub metric_name: Option<String>,
    pub goal: Option<Decimal>,
    pub actual: Option<Decimal>,
}

#[derive(InputObject)]
#[graphql(name = "CommitmentInput")]
pub struct CommitmentInputObject {
    pub text: Option<String>,
    pub due_on: Option<NaiveDate>,
}

#[derive(InputObject)]
#[graphql(name = "FollowUpInput")]
pub struct FollowUpInputObject {
    pub due_on: Option<NaiveDate>,
    pub description: Option<String>,
}

/// The answer to one step; give only the field of the step's kind.
#[derive(InputObject)]
pub struct CoachingAnswerInput {
    pub step_id: ID,
    /// SHORT_TEXT and LONG_TEXT steps.
    pub text: Option<String>,
    /// QUESTION steps: one of the step's options.
    pub choice: Option<String>,
    /// KPI steps.
    pub kpi_rows: Option<Vec<KpiRowInputObject>>,
    /// COMMITMENT steps.
    pub commitments: Option<Vec<CommitmentInputObject>>,
    /// FOLLOW_UP steps.
    pub follow_up: Option<FollowUpInputObject>,
}

/// The whole draft: steps left out are blank.
#[derive(InputObject)]
pub struct CoachingSessionInput {
    pub steps: Vec<CoachingAnswerInput>,
}

fn answers(input: CoachingSessionInput) -> Result<Vec<AnswerInput>, AppError> {
    input
        .steps
        .into_iter()
        .enumerate()
        .map(|(k, a)| {
            Ok(AnswerInput {
                step_id: parse_id(&format!("steps[{k}].stepId"), &a.step_id)?,
                text: a.text,
                choice: a.choice,
                kpi_rows: a.kpi_rows.map(|rows| {
                    rows.into_iter()
                        .map(|r| KpiRowInput {
                            metric_name: r.metric_name,
                            goal: r.goal.map(|d| d.0),
                            actual: r.actual.map(|d| d.0),
                        })
                        .collect()
                }),
                commitments: a.commitments.map(|rows| {
                    rows.into_iter()
                        .map(|c| CommitmentInput {
                            text: c.text,
                            due_on: c.due_on,
                        })
                        .collect()
                }),
                follow_up: a.follow_up.map(|f| FollowUpInput {
                    due_on: f.due_on,
                    description: f.description,
                }),
            })
        })
        .collect()
}

#[derive(Default)]
pub struct CoachingMutation;

#[Object]
impl CoachingMutation {
    /// Admins and Team Leaders.
    async fn create_coaching_form(
        &self,
        ctx: &Context<'_>,
        input: CreateCoachingFormInput,
    ) -> async_graphql::Result<CoachingForm> {
        let viewer = ctx.viewer()?;
        let new = NewForm {
            name: input.name,
            description: input.description,
            steps: new_steps(input.steps)?,
        };
        Ok(CoachingForm(forms::create(ctx.state(), viewer, new).await?))
    }

    /// Admins and Team Leaders. Sessions already started keep the steps they started with.
    async fn update_coaching_form(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCoachingFormInput,
    ) -> async_graphql::Result<CoachingForm> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        let changes = FormChanges {
            name: input.name,
            description: input.description,
            steps: input.steps.map(new_steps).transpose()?,
        };
        Ok(CoachingForm(
            forms::update(ctx.state(), viewer, id, changes).await?,
        ))
    }

    /// Admins and Team Leaders; archived forms start no new session. Idempotent.
    async fn archive_coaching_form(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CoachingForm> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(CoachingForm(forms::archive(ctx.state(), viewer, id).await?))
    }

    /// The viewer (a Team Leader or admin) starts a draft coaching `agentId` (a Team Member)
    /// on an active form; the session keeps the form's steps as they are now.
    async fn start_coaching_session(
        &self,
        ctx: &Context<'_>,
        agent_id: ID,
        form_id: ID,
    ) -> async_graphql::Result<CoachingSession> {
        let viewer = ctx.viewer()?;
        let agent_id = parse_id("agentId", &agent_id)?;
        let form_id = parse_id("formId", &form_id)?;
        Ok(CoachingSession(
            service::start(ctx.state(), viewer, agent_id, form_id).await?,
        ))
    }

    /// Save Only: stores the draft as given (partial answers allowed). Errors name the step,
    /// row and field: `field` like `steps[2].kpiRows[0].goal`, plus `stepId` and `row`.
    async fn save_coaching_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CoachingSessionInput,
    ) -> async_graphql::Result<CoachingSession> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(CoachingSession(
            service::save(ctx.state(), viewer, id, answers(input)?).await?,
        ))
    }

    /// Save & Coached: the same input as `saveCoachingSession` and `confirm: true`. Every
    /// required step must be answered; a KPI step needs a row (metric name, goal, actual), a
    /// COMMITMENT step a commitment (text, due date), a FOLLOW_UP step a date and description.
    /// Then the session is COACHED for good and the agent is emailed (when notifications
    /// are on).
    async fn complete_coaching_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CoachingSessionInput,
        confirm: bool,
    ) -> async_graphql::Result<CoachingSession> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(CoachingSession(
            service::complete(ctx.state(), viewer, id, answers(input)?, confirm).await?,
        ))
    }

    /// `enabled: true` keeps the draft, then fills it from the most recent coached session of
    /// the same agent and form (`BAD_USER_INPUT` when there is none); `enabled: false`
    /// restores the kept draft, dropping edits made since. Repeating either changes nothing.
    async fn auto_fill_coaching_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> async_graphql::Result<CoachingSession> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(CoachingSession(
            service::auto_fill(ctx.state(), viewer, id, enabled).await?,
        ))
    }

    /// The agent of a coached session marks one of their commitments done (or not).
    async fn set_commitment_done(
        &self,
        ctx: &Context<'_>,
        id: ID,
        done: bool,
    ) -> async_graphql::Result<CoachingCommitment> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(service::set_commitment_done(ctx.state(), viewer, id, done)
            .await?
            .into())
    }

    /// The coach of a coached session marks its follow-up done (or not).
    async fn set_follow_up_done(
        &self,
        ctx: &Context<'_>,
        id: ID,
        done: bool,
    ) -> async_graphql::Result<CoachingFollowUp> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        Ok(service::set_follow_up_done(ctx.state(), viewer, id, done)
            .await?
            .into())
    }
}
