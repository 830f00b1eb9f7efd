use sea_orm::entity::prelude::*;

/// The follow-up of a coached session (`text` is its description): on the coach's dashboard
/// until the coach marks it done. Written when the session is coached.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_follow_ups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub session_id: Uuid,
    pub step_id: Uuid,
    pub coach_id: Uuid,
    pub text: String,
    pub due_on: Date,
    pub done: bool,
    pub done_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
