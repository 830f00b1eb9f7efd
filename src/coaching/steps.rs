//! The documents a coaching form and session are made of, and their rules:
//!
//! - [`Step`]: a form's ordered steps. A session keeps a snapshot of them taken when it starts
//!   (so a coached session shows exactly the steps it was coached with, whatever happens to the
//!   form later); steps keep their id across form edits, which is how an auto fill matches a
//!   new draft's steps with an older session's.
//! - [`Content`]: a session's answers, one per step in the snapshot's order.
//!
//! Errors name the step by its position in the session (`steps[2]…`, 0-based) and carry its
//! `stepId` (and `row` for KPI rows and commitments) in the error's extensions.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::decimal;
use crate::{
    error::{AppError, AppResult},
    validate,
};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepKind {
    ShortText,
    LongText,
    Question,
    Kpi,
    Commitment,
    FollowUp,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuestionKind {
    SingleChoice,
    YesNo,
    Rating,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub id: Uuid,
    pub kind: StepKind,
    pub title: String,
    pub description: String,
    pub required: bool,
    pub question_kind: Option<QuestionKind>,
    /// The choices of a question step (empty for other kinds).
    pub options: Vec<String>,
}

pub const MAX_STEPS: usize = 100;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_ROWS: usize = 50;
const TITLE_MAX: usize = 300;
const SHORT_TEXT_MAX: usize = 500;
const OPTION_MAX: usize = 200;

/// A step as a form editor sends it; `id` keeps the identity of an existing step.
pub struct NewStep {
    pub id: Option<Uuid>,
    pub kind: StepKind,
    pub title: String,
    pub description: Option<String>,
    pub required: bool,
    pub question_kind: Option<QuestionKind>,
    pub options: Option<Vec<String>>,
}

/// Checks a form's steps. Question steps need a question kind; yes/no questions default to
/// `Yes`/`No` and ratings to `1`–`5`; single-choice questions need two or more options.
pub fn build_steps(input: Vec<NewStep>) -> AppResult<Vec<Step>> {
    if input.is_empty() {
        return Err(AppError::bad_input(
            "steps",
            "a form needs at least one step",
        ));
    }
    if input.len() > MAX_STEPS {
        return Err(AppError::bad_input(
            "steps",
            format!("a form has at most {MAX_STEPS} steps"),
        ));
    }
    let mut steps: Vec<Step> = Vec::with_capacity(input.len());
    for (i, new) in input.into_iter().enumerate() {
        let field = |name: &str| format!("steps[{i}].{name}");
        let id = new.id.unwrap_or_else(Uuid::now_v7);
        if steps.iter().any(|s| s.id == id) {
            return Err(AppError::bad_input(field("id"), "appears twice"));
        }
        let title = validate::required_text(&field("title"), &new.title, TITLE_MAX)?;
        let description = validate::optional_text(
            &field("description"),
            new.description.as_deref().unwrap_or_default(),
            validate::LONG_TEXT_MAX,
        )?;
        let (question_kind, options) = match new.kind {
            StepKind::Question => {
                let kind = new.question_kind.ok_or_else(|| {
                    AppError::bad_input(field("questionKind"), "a question step needs one")
                })?;
                let options = question_options(&field("options"), kind, new.options)?;
                (Some(kind), options)
            }
            _ if new.question_kind.is_some() => {
                return Err(AppError::bad_input(
                    field("questionKind"),
                    "only question steps have one",
                ));
            }
            _ if new.options.as_ref().is_some_and(|o| !o.is_empty()) => {
                return Err(AppError::bad_input(
                    field("options"),
                    "only question steps have options",
                ));
            }
            _ => (None, Vec::new()),
        };
        steps.push(Step {
            id,
            kind: new.kind,
            title,
            description,
            required: new.required,
            question_kind,
            options,
        });
    }
    Ok(steps)
}

fn question_options(
    field: &str,
    kind: QuestionKind,
    given: Option<Vec<String>>,
) -> AppResult<Vec<String>> {
    let given = given.unwrap_or_default();
    let options = match (kind, given.is_empty()) {
        (QuestionKind::YesNo, true) => vec!["Yes".to_owned(), "No".to_owned()],
        (QuestionKind::Rating, true) => (1..=5).map(|n| n.to_string()).collect(),
        _ => given,
    };
    if options.len() < 2 || options.len() > MAX_OPTIONS {
        return Err(AppError::bad_input(
            field,
            format!("a question has 2 to {MAX_OPTIONS} options"),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(options.len());
    for (n, option) in options.iter().enumerate() {
        let option = validate::required_text(&format!("{field}[{n}]"), option, OPTION_MAX)?;
        if checked.contains(&option) {
            return Err(AppError::bad_input(
                format!("{field}[{n}]"),
                "appears twice",
            ));
        }
        checked.push(option);
    }
    Ok(checked)
}

// ---------------------------------------------------------------------------------------------
// Session content

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    pub answers: Vec<Answer>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub step_id: Uuid,
    pub text: Option<String>,
    pub choice: Option<String>,
    pub kpi_rows: Vec<KpiRow>,
    pub commitments: Vec<Commitment>,
    pub follow_up: Option<FollowUp>,
}

impl Answer {
    fn empty(step_id: Uuid) -> Self {
        Self {
            step_id,
            text: None,
            choice: None,
            kpi_rows: Vec::new(),
            commitments: Vec::new(),
            follow_up: None,
        }
    }
}

/// A KPI row; the numbers are stored as decimal strings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KpiRow {
    pub metric_name: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub goal: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub actual: Option<Decimal>,
}

/// A commitment; its id becomes the id of its row when the session is coached.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Commitment {
    pub id: Uuid,
    pub text: Option<String>,
    pub due_on: Option<NaiveDate>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub id: Uuid,
    pub due_on: Option<NaiveDate>,
    pub description: Option<String>,
}

impl Content {
    /// Empty answers for every step.
    pub fn empty(steps: &[Step]) -> Self {
        Self {
            answers: steps.iter().map(|s| Answer::empty(s.id)).collect(),
        }
    }

    pub fn answer(&self, step_id: Uuid) -> Option<&Answer> {
        self.answers.iter().find(|a| a.step_id == step_id)
    }

    /// Whether anything is answered at all.
    pub fn is_blank(&self) -> bool {
        self.answers.iter().all(|a| *a == Answer::empty(a.step_id))
    }
}

/// Raw answers as a client sends them (numbers still text).
pub struct AnswerInput {
    pub step_id: Uuid,
    pub text: Option<String>,
    pub choice: Option<String>,
    pub kpi_rows: Option<Vec<KpiRowInput>>,
    pub commitments: Option<Vec<CommitmentInput>>,
    pub follow_up: Option<FollowUpInput>,
}

pub struct KpiRowInput {
    pub metric_name: Option<String>,
    pub goal: Option<String>,
    pub actual: Option<String>,
}

pub struct CommitmentInput {
    pub text: Option<String>,
    pub due_on: Option<NaiveDate>,
}

pub struct FollowUpInput {
    pub due_on: Option<NaiveDate>,
    pub description: Option<String>,
}

/// Where in a session an input is wrong: `steps[i]…` plus `stepId` (and `row`).
struct At<'a> {
    index: usize,
    step: &'a Step,
}

impl At<'_> {
    fn error(&self, suffix: &str, row: Option<usize>, message: &str) -> AppError {
        let mut details = vec![("stepId".to_owned(), json!(self.step.id.to_string()))];
        if let Some(row) = row {
            details.push(("row".to_owned(), json!(row)));
        }
        AppError::bad_input_with(
            format!("steps[{}]{suffix}", self.index),
            message.to_owned(),
            details,
        )
    }

    /// A text answer: trimmed, empty means unanswered.
    fn text(
        &self,
        suffix: &str,
        row: Option<usize>,
        value: Option<String>,
        max: usize,
    ) -> AppResult<Option<String>> {
        let Some(value) = value else {
            return Ok(None);
        };
        let field = format!("steps[{}]{suffix}", self.index);
        match validate::optional_text(&field, &value, max) {
            Ok(text) => Ok(Some(text).filter(|t| !t.is_empty())),
            Err(AppError::BadUserInput { message, .. }) => Err(self.error(suffix, row, &message)),
            Err(other) => Err(other),
        }
    }

    fn number(&self, suffix: &str, row: usize, raw: Option<String>) -> AppResult<Option<Decimal>> {
        raw.map(|raw| {
            decimal::parse("", raw.as_str()).map_err(|err| match err {
                AppError::BadUserInput { message, .. } => self.error(suffix, Some(row), &message),
                other => other,
            })
        })
        .transpose()
    }

    fn refuse_unless(&self, fits: bool, suffix: &str, given: bool) -> AppResult<()> {
        if given && !fits {
            return Err(self.error(
                suffix,
                None,
                &format!("a {:?} step has no such answer", self.step.kind),
            ));
        }
        Ok(())
    }
}

/// The draft as given (Save Only): partial answers are fine, but whatever is given must be
/// well-formed — an answer of the step's kind, a choice among the options, KPI numbers with
/// at most four decimal places, texts within their limits. Steps not mentioned are blank.
pub fn build_content(steps: &[Step], input: Vec<AnswerInput>) -> AppResult<Content> {
    let mut content = Content::empty(steps);
    let mut seen: Vec<Uuid> = Vec::new();
    for (k, answer) in input.into_iter().enumerate() {
        let Some(index) = steps.iter().position(|s| s.id == answer.step_id) else {
            return Err(AppError::bad_input(
                format!("steps[{k}].stepId"),
                "not a step of this session",
            ));
        };
        if seen.contains(&answer.step_id) {
            return Err(AppError::bad_input(
                format!("steps[{k}].stepId"),
                "appears twice",
            ));
        }
        seen.push(answer.step_id);
        let step = &steps[index];
        content.answers[index] = build_answer(At { index, step }, answer)?;
    }
    Ok(content)
}

fn build_answer(at: At<'_>, input: AnswerInput) -> AppResult<Answer> {
    let kind = at.step.kind;
    let is_text = matches!(kind, StepKind::ShortText | StepKind::LongText);
    at.refuse_unless(is_text, ".text", input.text.is_some())?;
    at.refuse_unless(
        kind == StepKind::Question,
        ".choice",
        input.choice.is_some(),
    )?;
    at.refuse_unless(kind == StepKind::Kpi, ".kpiRows", input.kpi_rows.is_some())?;
    at.refuse_unless(
        kind == StepKind::Commitment,
        ".commitments",
        input.commitments.is_some(),
    )?;
    at.refuse_unless(
        kind == StepKind::FollowUp,
        ".followUp",
        input.follow_up.is_some(),
    )?;
    let max = if kind == StepKind::ShortText {
        SHORT_TEXT_MAX
    } else {
        validate::LONG_TEXT_MAX
    };
    let text = at.text(".text", None, input.text, max)?;
    let choice = at.text(".choice", None, input.choice, OPTION_MAX)?;
    if let Some(choice) = &choice
        && !at.step.options.contains(choice)
    {
        return Err(at.error(".choice", None, "is not one of the step's options"));
    }
    let kpi_rows = input.kpi_rows.unwrap_or_default();
    let commitments = input.commitments.unwrap_or_default();
    if kpi_rows.len() > MAX_ROWS {
        return Err(at.error(".kpiRows", None, "at most 50 rows"));
    }
    if commitments.len() > MAX_ROWS {
        return Err(at.error(".commitments", None, "at most 50 commitments"));
    }
    let kpi_rows = kpi_rows
        .into_iter()
        .enumerate()
        .map(|(r, row)| {
            let field = |name: &str| format!(".kpiRows[{r}].{name}");
            Ok(KpiRow {
                metric_name: at.text(
                    &field("metricName"),
                    Some(r),
                    row.metric_name,
                    validate::NAME_MAX,
                )?,
                goal: at.number(&field("goal"), r, row.goal)?,
                actual: at.number(&field("actual"), r, row.actual)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let commitments = commitments
        .into_iter()
        .enumerate()
        .map(|(r, row)| {
            Ok(Commitment {
                id: Uuid::now_v7(),
                text: at.text(
                    &format!(".commitments[{r}].text"),
                    Some(r),
                    row.text,
                    validate::LONG_TEXT_MAX,
                )?,
                due_on: row.due_on,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let follow_up = input
        .follow_up
        .map(|f| {
            Ok::<_, AppError>(FollowUp {
                id: Uuid::now_v7(),
                due_on: f.due_on,
                description: at.text(
                    ".followUp.description",
                    None,
                    f.description,
                    validate::LONG_TEXT_MAX,
                )?,
            })
        })
        .transpose()?;
    Ok(Answer {
        step_id: at.step.id,
        text,
        choice,
        kpi_rows,
        commitments,
        follow_up,
    })
}

/// Save & Coached (SPEC §4): every required step answered; at least one KPI row, each with
/// metric name, goal and actual, for every KPI step; at least one commitment, each with text
/// and due date, for every COMMITMENT step; a date and a description for every FOLLOW_UP
/// step. The first problem in step order is answered.
pub fn check_complete(steps: &[Step], content: &Content) -> AppResult<()> {
    for (index, step) in steps.iter().enumerate() {
        let at = At { index, step };
        let blank = Answer::empty(step.id);
        let answer = content.answer(step.id).unwrap_or(&blank);
        match step.kind {
            StepKind::ShortText | StepKind::LongText => {
                if step.required && answer.text.is_none() {
                    return Err(at.error(".text", None, "this step is required"));
                }
            }
            StepKind::Question => {
                if step.required && answer.choice.is_none() {
                    return Err(at.error(".choice", None, "this step is required"));
                }
            }
            StepKind::Kpi => {
                if answer.kpi_rows.is_empty() {
                    return Err(at.error(".kpiRows", None, "add at least one KPI row"));
                }
                for (r, row) in answer.kpi_rows.iter().enumerate() {
                    let missing = [
                        ("metricName", row.metric_name.is_none()),
                        ("goal", row.goal.is_none()),
                        ("actual", row.actual.is_none()),
                    ];
                    if let Some((name, _)) = missing.iter().find(|(_, m)| *m) {
                        return Err(at.error(
                            &format!(".kpiRows[{r}].{name}"),
                            Some(r),
                            "is required",
                        ));
                    }
                }
            }
            StepKind::Commitment => {
                if answer.commitments.is_empty() {
                    return Err(at.error(".commitments", None, "add at least one commitment"));
                }
                for (r, row) in answer.commitments.iter().enumerate() {
                    if row.text.is_none() {
                        return Err(at.error(
                            &format!(".commitments[{r}].text"),
                            Some(r),
                            "is required",
                        ));
                    }
                    if row.due_on.is_none() {
                        return Err(at.error(
                            &format!(".commitments[{r}].dueOn"),
                            Some(r),
                            "is required",
                        ));
                    }
                }
            }
            StepKind::FollowUp => {
                let follow_up = answer.follow_up.as_ref();
                if follow_up.and_then(|f| f.due_on).is_none() {
                    return Err(at.error(".followUp.dueOn", None, "is required"));
                }
                if follow_up.and_then(|f| f.description.as_ref()).is_none() {
                    return Err(at.error(".followUp.description", None, "is required"));
                }
            }
        }
    }
    Ok(())
}

/// Auto fill: `steps`' answers taken from an earlier session's content (matched by step id
/// and kind; a choice only while it is still an option). Commitments and follow-ups are new
/// ones with the same text and dates. Steps the earlier session lacks are blank.
pub fn carried_over(steps: &[Step], from_steps: &[Step], from: &Content) -> Content {
    let mut content = Content::empty(steps);
    for (answer, step) in content.answers.iter_mut().zip(steps) {
        let same_kind = from_steps
            .iter()
            .any(|s| s.id == step.id && s.kind == step.kind);
        let Some(source) = from.answer(step.id).filter(|_| same_kind) else {
            continue;
        };
        *answer = Answer {
            step_id: step.id,
            text: source.text.clone(),
            choice: source.choice.clone().filter(|c| step.options.contains(c)),
            kpi_rows: source.kpi_rows.clone(),
            commitments: source
                .commitments
                .iter()
                .map(|c| Commitment {
                    id: Uuid::now_v7(),
                    ..c.clone()
                })
                .collect(),
            follow_up: source.follow_up.as_ref().map(|f| FollowUp {
                id: Uuid::now_v7(),
                ..f.clone()
            }),
        };
    }
    content
}

pub fn to_json<T: Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

pub fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> AppResult<T> {
    serde_json::from_str(text).map_err(AppError::internal)
}
