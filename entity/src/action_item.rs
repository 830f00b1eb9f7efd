use sea_orm::entity::prelude::*;

/// A to-do of a pair. It belongs to the series, so open items carry over into later sessions as the same rows; `one_on_one_id` is the session it was created in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub series_id: Uuid,
    pub one_on_one_id: Uuid,
    pub text: String,
    pub category_id: Option<Uuid>,
    pub due_on: Option<Date>,
    pub done: bool,
    pub done_at: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
