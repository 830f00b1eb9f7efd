use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DiscussionKind {
    #[sea_orm(string_value = "METRIC")]
    Metric,
    #[sea_orm(string_value = "FEEDBACK")]
    Feedback,
    #[sea_orm(string_value = "QA_REVIEW")]
    QaReview,
    #[sea_orm(string_value = "LESSON")]
    Lesson,
    #[sea_orm(string_value = "ATTACHMENT")]
    Attachment,
}

/// Something brought into a session to talk about; `kind` says which reference column is set.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "discussion_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub one_on_one_id: Uuid,
    pub kind: DiscussionKind,
    pub category_id: Option<Uuid>,
    pub added_by: Uuid,
    pub metric_id: Option<Uuid>,
    /// The metric's value when the item was added (a snapshot, not a live link).
    pub metric_value: Option<f64>,
    pub metric_period_start: Option<Date>,
    pub metric_period_end: Option<Date>,
    pub coaching_text: String,
    pub feedback_record_id: Option<Uuid>,
    pub qa_review_id: Option<Uuid>,
    pub lesson_id: Option<Uuid>,
    pub attachment_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
