//! Ingestion and reading of outside records, through the policy's record scopes.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{feedback_record, lesson, metric, metric_value, qa_review, user};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, IntoActiveModel, QueryFilter, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    graphql::connection::{Page, PageArgs, paginate},
    policy::{self, Viewer},
    state::AppState,
    validate,
};

/// Most metric values one `recordMetricValues` call accepts.
pub const MAX_VALUES_PER_CALL: usize = 1_000;

fn external_id(field: &str, value: Option<String>) -> AppResult<Option<String>> {
    value
        .map(|v| validate::required_text(field, &v, validate::NAME_MAX))
        .transpose()
}

/// Inserts `model`, or — when its company already has a row with the same external id —
/// updates that row's `update_columns` instead. Returns the stored row.
async fn upsert<A, C>(
    db: &C,
    model: A,
    conflict: [<A::Entity as sea_orm::EntityTrait>::Column; 2],
    update_columns: Vec<<A::Entity as sea_orm::EntityTrait>::Column>,
) -> AppResult<<A::Entity as sea_orm::EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    C: ConnectionTrait,
    <A::Entity as sea_orm::EntityTrait>::Model: IntoActiveModel<A>,
{
    Ok(<A::Entity as EntityTrait>::insert(model)
        .on_conflict(
            OnConflict::columns(conflict)
                .update_columns(update_columns)
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?)
}

/// The person a record is about must be of the viewer's company.
async fn person_in_company<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    field: &str,
    id: Uuid,
) -> AppResult<()> {
    user::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, user::Column::CompanyId))
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::bad_input(field, "no such user in this company"))
}

// ---------------------------------------------------------------------------------------------
// Metrics

pub async fn list_metrics(
    state: &AppState,
    viewer: &Viewer,
    key_set_only: bool,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, metric::Model)>> {
    let mut query =
        metric::Entity::find().filter(policy::tenant(viewer, metric::Column::CompanyId));
    if key_set_only {
        query = query.filter(metric::Column::InKeySet.eq(true));
    }
    if let Some(since) = updated_since {
        query = query.filter(metric::Column::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, metric::Column::Id, |m| m.id, page).await
}

async fn get_metric<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<metric::Model> {
    metric::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, metric::Column::CompanyId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

pub struct MetricFields {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub higher_is_better: Option<bool>,
    pub in_key_set: Option<bool>,
}

pub async fn create_metric(
    state: &AppState,
    viewer: &Viewer,
    fields: MetricFields,
    external: Option<String>,
) -> AppResult<metric::Model> {
    policy::require_metric_manager(viewer)?;
    let now = Utc::now();
    let model = metric::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        name: Set(validate::required_text(
            "name",
            fields.name.as_deref().unwrap_or_default(),
            validate::NAME_MAX,
        )?),
        unit: Set(validate::optional_text(
            "unit",
            fields.unit.as_deref().unwrap_or_default(),
            validate::NAME_MAX,
        )?),
        higher_is_better: Set(fields.higher_is_better.unwrap_or(true)),
        in_key_set: Set(fields.in_key_set.unwrap_or(true)),
        external_id: Set(external_id("externalId", external)?),
        created_at: Set(now),
        updated_at: Set(now),
    };
    use metric::Column as C;
    upsert(
        &state.db,
        model,
        [C::CompanyId, C::ExternalId],
        vec![
            C::Name,
            C::Unit,
            C::HigherIsBetter,
            C::InKeySet,
            C::UpdatedAt,
        ],
    )
    .await
}

pub async fn update_metric(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    fields: MetricFields,
) -> AppResult<metric::Model> {
    let existing = get_metric(&state.db, viewer, id).await?;
    policy::require_metric_manager(viewer)?;
    let mut model = metric::ActiveModel {
        id: Set(existing.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(name) = fields.name {
        model.name = Set(validate::required_text("name", &name, validate::NAME_MAX)?);
    }
    if let Some(unit) = fields.unit {
        model.unit = Set(validate::optional_text("unit", &unit, validate::NAME_MAX)?);
    }
    if let Some(value) = fields.higher_is_better {
        model.higher_is_better = Set(value);
    }
    if let Some(value) = fields.in_key_set {
        model.in_key_set = Set(value);
    }
    Ok(model.update(&state.db).await?)
}

pub struct NewMetricValue {
    pub metric_id: Uuid,
    pub user_id: Uuid,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub value: f64,
    pub external_id: Option<String>,
}

/// Records a batch of values all-or-nothing: one bad row refuses the whole batch, naming it.
pub async fn record_metric_values(
    state: &AppState,
    viewer: &Viewer,
    values: Vec<NewMetricValue>,
) -> AppResult<Vec<metric_value::Model>> {
    policy::require_ingest(viewer)?;
    if values.len() > MAX_VALUES_PER_CALL {
        return Err(AppError::bad_input(
            "values",
            format!("at most {MAX_VALUES_PER_CALL} values per call"),
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let mut stored = Vec::with_capacity(values.len());
    for (row, value) in values.into_iter().enumerate() {
        let field = |name: &str| format!("values[{row}].{name}");
        get_metric(&txn, viewer, value.metric_id)
            .await
            .map_err(|_| AppError::bad_input(field("metricId"), "no such metric"))?;
        person_in_company(&txn, viewer, &field("userId"), value.user_id).await?;
        if value.period_end < value.period_start {
            return Err(AppError::bad_input(
                field("periodEnd"),
                "must not be before periodStart",
            ));
        }
        let model = metric_value::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(viewer.company_id),
            metric_id: Set(value.metric_id),
            user_id: Set(value.user_id),
            period_start: Set(value.period_start),
            period_end: Set(value.period_end),
            value: Set(validate::finite(&field("value"), value.value)?),
            external_id: Set(external_id(&field("externalId"), value.external_id)?),
            created_at: Set(now),
            updated_at: Set(now),
        };
        use metric_value::Column as C;
        stored.push(
            upsert(
                &txn,
                model,
                [C::CompanyId, C::ExternalId],
                vec![
                    C::MetricId,
                    C::UserId,
                    C::PeriodStart,
                    C::PeriodEnd,
                    C::Value,
                    C::UpdatedAt,
                ],
            )
            .await?,
        );
    }
    txn.commit().await?;
    Ok(stored)
}

pub struct RecordFilter {
    pub user_id: Option<Uuid>,
    pub updated_since: Option<DateTime<Utc>>,
}

pub async fn list_metric_values(
    state: &AppState,
    viewer: &Viewer,
    metric_id: Option<Uuid>,
    filter: RecordFilter,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, metric_value::Model)>> {
    use metric_value::Column as C;
    let mut query = metric_value::Entity::find().filter(policy::person_records_scope(
        viewer,
        C::CompanyId,
        C::UserId,
    ));
    if let Some(metric_id) = metric_id {
        query = query.filter(C::MetricId.eq(metric_id));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(C::UserId.eq(user_id));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(C::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, C::Id, |v| v.id, page).await
}

// ---------------------------------------------------------------------------------------------
// Feedback records and QA reviews

pub struct NewFeedback {
    pub user_id: Uuid,
    pub score: f64,
    pub comment: String,
    pub received_on: NaiveDate,
    pub channel: String,
    pub external_id: Option<String>,
}

pub async fn record_feedback(
    state: &AppState,
    viewer: &Viewer,
    input: NewFeedback,
) -> AppResult<feedback_record::Model> {
    policy::require_ingest(viewer)?;
    person_in_company(&state.db, viewer, "userId", input.user_id).await?;
    let now = Utc::now();
    let model = feedback_record::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        user_id: Set(input.user_id),
        score: Set(validate::finite("score", input.score)?),
        comment: Set(validate::optional_text(
            "comment",
            &input.comment,
            validate::LONG_TEXT_MAX,
        )?),
        received_on: Set(input.received_on),
        channel: Set(validate::optional_text(
            "channel",
            &input.channel,
            validate::NAME_MAX,
        )?),
        external_id: Set(external_id("externalId", input.external_id)?),
        created_at: Set(now),
        updated_at: Set(now),
    };
    use feedback_record::Column as C;
    upsert(
        &state.db,
        model,
        [C::CompanyId, C::ExternalId],
        vec![
            C::UserId,
            C::Score,
            C::Comment,
            C::ReceivedOn,
            C::Channel,
            C::UpdatedAt,
        ],
    )
    .await
}

pub async fn list_feedback(
    state: &AppState,
    viewer: &Viewer,
    filter: RecordFilter,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, feedback_record::Model)>> {
    use feedback_record::Column as C;
    let mut query = feedback_record::Entity::find().filter(policy::person_records_scope(
        viewer,
        C::CompanyId,
        C::UserId,
    ));
    if let Some(user_id) = filter.user_id {
        query = query.filter(C::UserId.eq(user_id));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(C::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, C::Id, |r| r.id, page).await
}

pub struct NewQaReview {
    pub user_id: Uuid,
    pub reviewer_name: String,
    pub score: f64,
    pub form_name: String,
    pub comments: String,
    pub reviewed_on: NaiveDate,
    pub external_id: Option<String>,
}

pub async fn record_qa_review(
    state: &AppState,
    viewer: &Viewer,
    input: NewQaReview,
) -> AppResult<qa_review::Model> {
    policy::require_ingest(viewer)?;
    person_in_company(&state.db, viewer, "userId", input.user_id).await?;
    let now = Utc::now();
    let model = qa_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        user_id: Set(input.user_id),
        reviewer_name: Set(validate::required_text(
            "reviewerName",
            &input.reviewer_name,
            validate::NAME_MAX,
        )?),
        score: Set(validate::finite("score", input.score)?),
        form_name: Set(validate::optional_text(
            "formName",
            &input.form_name,
            validate::NAME_MAX,
        )?),
        comments: Set(validate::optional_text(
            "comments",
            &input.comments,
            validate::LONG_TEXT_MAX,
        )?),
        reviewed_on: Set(input.reviewed_on),
        external_id: Set(external_id("externalId", input.external_id)?),
        created_at: Set(now),
        updated_at: Set(now),
    };
    use qa_review::Column as C;
    upsert(
        &state.db,
        model,
        [C::CompanyId, C::ExternalId],
        vec![
            C::UserId,
            C::ReviewerName,
            C::Score,
            C::FormName,
            C::Comments,
            C::ReviewedOn,
            C::UpdatedAt,
        ],
    )
    .await
}

pub async fn list_qa_reviews(
    state: &AppState,
    viewer: &Viewer,
    filter: RecordFilter,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, qa_review::Model)>> {
    use qa_review::Column as C;
    let mut query = qa_review::Entity::find().filter(policy::person_records_scope(
        viewer,
        C::CompanyId,
        C::UserId,
    ));
    if let Some(user_id) = filter.user_id {
        query = query.filter(C::UserId.eq(user_id));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(C::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, C::Id, |r| r.id, page).await
}

// ---------------------------------------------------------------------------------------------
// Lessons

pub struct NewLesson {
    pub title: String,
    pub url: String,
    pub provider_id: String,
    pub external_id: Option<String>,
}

pub async fn upsert_lesson(
    state: &AppState,
    viewer: &Viewer,
    input: NewLesson,
) -> AppResult<lesson::Model> {
    policy::require_ingest(viewer)?;
    let url = validate::required_text("url", &input.url, validate::URL_MAX)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AppError::bad_input("url", "must be an http(s) URL"));
    }
    let now = Utc::now();
    let model = lesson::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        title: Set(validate::required_text(
            "title",
            &input.title,
            validate::NAME_MAX,
        )?),
        url: Set(url),
        provider_id: Set(validate::optional_text(
            "providerId",
            &input.provider_id,
            validate::NAME_MAX,
        )?),
        external_id: Set(external_id("externalId", input.external_id)?),
        created_at: Set(now),
        updated_at: Set(now),
    };
    use lesson::Column as C;
    upsert(
        &state.db,
        model,
        [C::CompanyId, C::ExternalId],
        vec![C::Title, C::Url, C::ProviderId, C::UpdatedAt],
    )
    .await
}

/// The company's lesson catalogue, filtered by a case-insensitive title fragment.
pub async fn list_lessons(
    state: &AppState,
    viewer: &Viewer,
    title_contains: Option<String>,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, lesson::Model)>> {
    use lesson::Column as C;
    use sea_orm::{
        ExprTrait,
        sea_query::{Expr, Func},
    };
    let mut query = lesson::Entity::find().filter(policy::tenant(viewer, C::CompanyId));
    if let Some(fragment) = title_contains.filter(|f| !f.trim().is_empty()) {
        let pattern = format!(
            "%{}%",
            fragment
                .trim()
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(C::Title)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
        );
    }
    if let Some(since) = updated_since {
        query = query.filter(C::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, C::Id, |l| l.id, page).await
}
