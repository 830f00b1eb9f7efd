//! Coaching forms: everyone of the company reads them; admins and Team Leaders create, edit
//! and archive them. Editing a form never changes a session already started: sessions keep
//! the snapshot of the steps they started with.

use chrono::{DateTime, Utc};
use entity::coaching_form;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::steps::{self, NewStep, Step};
use crate::{
    error::{AppError, AppResult},
    graphql::connection::{Page, PageArgs, paginate},
    policy::{self, Viewer},
    state::AppState,
    validate,
};

/// A form with its steps read.
#[derive(Clone, Debug)]
pub struct Form {
    pub row: coaching_form::Model,
    pub steps: Vec<Step>,
}

impl Form {
    pub fn parse(row: coaching_form::Model) -> AppResult<Self> {
        let steps = steps::from_json(&row.steps)?;
        Ok(Self { row, steps })
    }
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    include_archived: bool,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, Form)>> {
    use coaching_form::Column;
    let mut query = coaching_form::Entity::find().filter(policy::tenant(viewer, Column::CompanyId));
    if !include_archived {
        query = query.filter(Column::ArchivedAt.is_null());
    }
    if let Some(since) = updated_since {
        query = query.filter(Column::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, Column::Id, |f| f.id, page)
        .await?
        .try_map(|(id, row)| Ok((id, Form::parse(row)?)))
}

async fn find(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<coaching_form::Model> {
    coaching_form::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, coaching_form::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Form> {
    Form::parse(find(state, viewer, id).await?)
}

const DESCRIPTION_MAX: usize = validate::LONG_TEXT_MAX;

pub struct NewForm {
    pub name: String,
    pub description: Option<String>,
    pub steps: Vec<NewStep>,
}

pub async fn create(state: &AppState, viewer: &Viewer, input: NewForm) -> AppResult<Form> {
    policy::require_form_manager(viewer)?;
    let name = validate::required_text("name", &input.name, validate::NAME_MAX)?;
    let description = validate::optional_text(
        "description",
        input.description.as_deref().unwrap_or_default(),
        DESCRIPTION_MAX,
    )?;
    let steps = steps::build_steps(input.steps)?;
    let now = Utc::now();
    let row = coaching_form::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        name: Set(name),
        description: Set(description),
        steps: Set(steps::to_json(&steps)?),
        created_by: Set(viewer.user_id),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Form::parse(row)
}

#[derive(Default)]
pub struct FormChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces every step; a step given with the `id` of an existing one keeps its identity.
    pub steps: Option<Vec<NewStep>>,
}

pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    changes: FormChanges,
) -> AppResult<Form> {
    let form = find(state, viewer, id).await?;
    policy::require_form_manager(viewer)?;
    let mut model = coaching_form::ActiveModel {
        id: Set(form.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(name) = changes.name {
        model.name = Set(validate::required_text("name", &name, validate::NAME_MAX)?);
    }
    if let Some(description) = changes.description {
        model.description = Set(validate::optional_text(
            "description",
            &description,
            DESCRIPTION_MAX,
        )?);
    }
    if let Some(new_steps) = changes.steps {
        model.steps = Set(steps::to_json(&steps::build_steps(new_steps)?)?);
    }
    Form::parse(model.update(&state.db).await?)
}

/// Archived forms start no new session; sessions already started keep going. Idempotent.
pub async fn archive(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Form> {
    let form = find(state, viewer, id).await?;
    policy::require_form_manager(viewer)?;
    if form.archived_at.is_some() {
        return Form::parse(form);
    }
    let now = Utc::now();
    let row = coaching_form::ActiveModel {
        id: Set(form.id),
        archived_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Form::parse(row)
}
