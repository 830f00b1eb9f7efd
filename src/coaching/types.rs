//! GraphQL types of coaching, built from rows the viewer was allowed to see.

use async_graphql::{
    Context, Enum, ID, InputValueError, InputValueResult, Object, Scalar, ScalarType, SimpleObject,
    Value,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{coaching_commitment, coaching_follow_up, coaching_session};
use uuid::Uuid;

use super::{
    decimal,
    forms::Form,
    loaders::{CommitmentsOf, FollowUpsOf, FormById},
    service::{self, Session},
    steps::{self, Answer, Step},
};
use crate::{graphql::ContextExt, one_on_ones::types::user, org::types::User};

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// A KPI number as text; see the `Decimal` scalar's description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal(pub String);

/// An exact decimal number, always sent as a string (`"12.5"`, `"-0.0001"`) so no binary
/// float residue reaches clients: no exponent, no trailing zeros. As input it is accepted as a
/// string (preferred) or a number; a number is read from its shortest textual form, so send
/// strings when exactness matters. KPI goals and actuals have at most 4 decimal places
/// (anything else is `BAD_USER_INPUT` naming the field); `variancePercent` has 2.
#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Self(text)),
            Value::Number(number) => Ok(Self(number.to_string())),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Self {
        Self(decimal::to_text(value))
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CoachingStepKind {
    ShortText,
    LongText,
    /// A question answered with one of its options (see `questionKind`).
    Question,
    /// Rows of metric name, goal and actual.
    Kpi,
    /// Rows of text and due date: the agent's reminders once coached.
    Commitment,
    /// A date and what the coach will follow up on.
    FollowUp,
}

impl From<steps::StepKind> for CoachingStepKind {
    fn from(k: steps::StepKind) -> Self {
        use steps::StepKind as K;
        match k {
            K::ShortText => Self::ShortText,
            K::LongText => Self::LongText,
            K::Question => Self::Question,
            K::Kpi => Self::Kpi,
            K::Commitment => Self::Commitment,
            K::FollowUp => Self::FollowUp,
        }
    }
}

impl From<CoachingStepKind> for steps::StepKind {
    fn from(k: CoachingStepKind) -> Self {
        use CoachingStepKind as K;
        match k {
            K::ShortText => Self::ShortText,
            K::LongText => Self::LongText,
            K::Question => Self::Question,
            K::Kpi => Self::Kpi,
            K::Commitment => Self::Commitment,
            K::FollowUp => Self::FollowUp,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    SingleChoice,
    /// Options default to `Yes`, `No`.
    YesNo,
    /// Options default to `1` … `5`.
    Rating,
}

impl From<steps::QuestionKind> for QuestionKind {
    fn from(k: steps::QuestionKind) -> Self {
        match k {
            steps::QuestionKind::SingleChoice => Self::SingleChoice,
            steps::QuestionKind::YesNo => Self::YesNo,
            steps::QuestionKind::Rating => Self::Rating,
        }
    }
}

impl From<QuestionKind> for steps::QuestionKind {
    fn from(k: QuestionKind) -> Self {
        match k {
            QuestionKind::SingleChoice => Self::SingleChoice,
            QuestionKind::YesNo => Self::YesNo,
            QuestionKind::Rating => Self::Rating,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CoachingSessionStatus {
    /// Seen and changed by its coach alone.
    Draft,
    /// Final: only commitments (by the agent) and follow-ups (by the coach) are still marked
    /// done.
    Coached,
}

impl From<coaching_session::Status> for CoachingSessionStatus {
    fn from(s: coaching_session::Status) -> Self {
        match s {
            coaching_session::Status::Draft => Self::Draft,
            coaching_session::Status::Coached => Self::Coached,
        }
    }
}

impl From<CoachingSessionStatus> for coaching_session::Status {
    fn from(s: CoachingSessionStatus) -> Self {
        match s {
            CoachingSessionStatus::Draft => Self::Draft,
            CoachingSessionStatus::Coached => Self::Coached,
        }
    }
}

/// A step of a form, or of a session's snapshot of its form.
pub struct CoachingStep {
    pub step: Step,
    pub position: usize,
}

#[Object]
impl CoachingStep {
    /// Stable across form edits that keep the step.
    async fn id(&self) -> ID {
        id(self.step.id)
    }

    /// 0-based; errors about answers name steps by it (`steps[2]…`).
    async fn position(&self) -> i32 {
        self.position as i32
    }

    async fn kind(&self) -> CoachingStepKind {
        self.step.kind.into()
    }

    async fn title(&self) -> &str {
        &self.step.title
    }

    async fn description(&self) -> &str {
        &self.step.description
    }

    async fn required(&self) -> bool {
        self.step.required
    }

    async fn question_kind(&self) -> Option<QuestionKind> {
        self.step.question_kind.map(Into::into)
    }

    async fn options(&self) -> &[String] {
        &self.step.options
    }
}

fn step_list(steps: &[Step]) -> Vec<CoachingStep> {
    steps
        .iter()
        .enumerate()
        .map(|(position, step)| CoachingStep {
            step: step.clone(),
            position,
        })
        .collect()
}

pub struct CoachingForm(pub Form);

#[Object]
impl CoachingForm {
    async fn id(&self) -> ID {
        id(self.0.row.id)
    }

    async fn name(&self) -> &str {
        &self.0.row.name
    }

    async fn description(&self) -> &str {
        &self.0.row.description
    }

    /// The current steps, in order. Sessions keep the steps they started with.
    async fn steps(&self) -> Vec<CoachingStep> {
        step_list(&self.0.steps)
    }

    /// Archived forms start no new session.
    async fn archived(&self) -> bool {
        self.0.row.archived_at.is_some()
    }

    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.row.archived_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.row.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.row.updated_at
    }
}

pub struct CoachingSession(pub Session);

#[Object]
impl CoachingSession {
    async fn id(&self) -> ID {
        id(self.0.row.id)
    }

    async fn status(&self) -> CoachingSessionStatus {
        self.0.row.status.into()
    }

    async fn coach(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.row.coach_id).await
    }

    async fn agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.row.agent_id).await
    }

    /// The form's name when the session started.
    async fn form_name(&self) -> &str {
        &self.0.row.form_name
    }

    /// The form as it is now (its steps may have changed since; `steps` are the session's).
    async fn form(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CoachingForm>> {
        let Some(row) = ctx
            .coaching_loader()
            .load_one(FormById(self.0.row.form_id))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(CoachingForm(Form::parse(row)?)))
    }

    /// The steps exactly as the form had them when the session started, each with its answer.
    async fn steps(&self) -> Vec<CoachingSessionStep> {
        self.0
            .steps
            .iter()
            .enumerate()
            .map(|(position, step)| CoachingSessionStep {
                session_id: self.0.row.id,
                coached: self.0.is_coached(),
                answer: self.0.content.answer(step.id).cloned(),
                step: CoachingStep {
                    step: step.clone(),
                    position,
                },
            })
            .collect()
    }

    /// Whether an auto fill is on: `autoFillCoachingSession(enabled: false)` restores the
    /// draft kept before it.
    async fn auto_filled(&self) -> bool {
        self.0.row.prefill_content.is_some()
    }

    async fn coached_at(&self) -> Option<DateTime<Utc>> {
        self.0.row.coached_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.row.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.row.updated_at
    }

    /// The five most recent coached sessions of the same agent with the same form that the
    /// viewer may see, newest first (this one excluded).
    async fn recent_coached_sessions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CoachingSession>> {
        let viewer = ctx.viewer()?;
        Ok(service::recent_coached(ctx.state(), viewer, &self.0.row)
            .await?
            .into_iter()
            .map(CoachingSession)
            .collect())
    }
}

/// A step of a session with its answer. Only the fields of the step's kind are ever set.
pub struct CoachingSessionStep {
    session_id: Uuid,
    coached: bool,
    step: CoachingStep,
    answer: Option<Answer>,
}

#[Object]
impl CoachingSessionStep {
    async fn step(&self) -> &CoachingStep {
        &self.step
    }

    /// SHORT_TEXT and LONG_TEXT steps.
    async fn text(&self) -> Option<&str> {
        self.answer.as_ref()?.text.as_deref()
    }

    /// QUESTION steps: the chosen option.
    async fn choice(&self) -> Option<&str> {
        self.answer.as_ref()?.choice.as_deref()
    }

    async fn kpi_rows(&self) -> Vec<KpiRow> {
        self.answer
            .as_ref()
            .map(|a| a.kpi_rows.iter().cloned().map(KpiRow).collect())
            .unwrap_or_default()
    }

    /// Once coached, each carries its done state.
    async fn commitments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CoachingCommitment>> {
        let Some(answer) = &self.answer else {
            return Ok(Vec::new());
        };
        let rows = if self.coached {
            ctx.coaching_loader()
                .load_one(CommitmentsOf(self.session_id))
                .await?
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(answer
            .commitments
            .iter()
            .map(|c| match rows.iter().find(|r| r.id == c.id) {
                Some(row) => CoachingCommitment::from(row.clone()),
                None => CoachingCommitment {
                    id: id(c.id),
                    session_id: id(self.session_id),
                    text: c.text.clone(),
                    due_on: c.due_on,
                    done: false,
                    done_at: None,
                },
            })
            .collect())
    }

    async fn follow_up(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CoachingFollowUp>> {
        let Some(follow_up) = self.answer.as_ref().and_then(|a| a.follow_up.as_ref()) else {
            return Ok(None);
        };
        if self.coached {
            let rows = ctx
                .coaching_loader()
                .load_one(FollowUpsOf(self.session_id))
                .await?
                .unwrap_or_default();
            if let Some(row) = rows.into_iter().find(|r| r.id == follow_up.id) {
                return Ok(Some(row.into()));
            }
        }
        Ok(Some(CoachingFollowUp {
            id: id(follow_up.id),
            session_id: id(self.session_id),
            description: follow_up.description.clone(),
            due_on: follow_up.due_on,
            done: false,
            done_at: None,
        }))
    }
}

/// A KPI row. `variance = actual − goal`, exact; `variancePercent = variance ÷ |goal| × 100`
/// rounded to 2 decimal places with midpoints away from zero (`0.125` → `0.13`), `null` when
/// the goal is 0. Both are `null` while goal or actual is missing (drafts).
pub struct KpiRow(pub steps::KpiRow);

#[Object]
impl KpiRow {
    async fn metric_name(&self) -> Option<&str> {
        self.0.metric_name.as_deref()
    }

    async fn goal(&self) -> Option<Decimal> {
        self.0.goal.map(Into::into)
    }

    async fn actual(&self) -> Option<Decimal> {
        self.0.actual.map(Into::into)
    }

    async fn variance(&self) -> Option<Decimal> {
        Some(decimal::variance(self.0.goal?, self.0.actual?).into())
    }

    async fn variance_percent(&self) -> Option<Decimal> {
        decimal::variance_percent(self.0.goal?, self.0.actual?).map(Into::into)
    }
}

/// A commitment of the agent. `text` and `dueOn` are `null` only in drafts.
#[derive(SimpleObject, Clone)]
pub struct CoachingCommitment {
    pub id: ID,
    pub session_id: ID,
    pub text: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub done: bool,
    pub done_at: Option<DateTime<Utc>>,
}

impl From<coaching_commitment::Model> for CoachingCommitment {
    fn from(row: coaching_commitment::Model) -> Self {
        Self {
            id: id(row.id),
            session_id: id(row.session_id),
            text: Some(row.text),
            due_on: Some(row.due_on),
            done: row.done,
            done_at: row.done_at,
        }
    }
}

/// What the coach will follow up on, and when. `description` and `dueOn` are `null` only in
/// drafts.
#[derive(SimpleObject, Clone)]
pub struct CoachingFollowUp {
    pub id: ID,
    pub session_id: ID,
    pub description: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub done: bool,
    pub done_at: Option<DateTime<Utc>>,
}

impl From<coaching_follow_up::Model> for CoachingFollowUp {
    fn from(row: coaching_follow_up::Model) -> Self {
        Self {
            id: id(row.id),
            session_id: id(row.session_id),
            description: Some(row.text),
            due_on: Some(row.due_on),
            done: row.done,
            done_at: row.done_at,
        }
    }
}
