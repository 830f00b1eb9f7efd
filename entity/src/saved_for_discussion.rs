use sea_orm::entity::prelude::*;

/// A feedback record or QA review someone saved to discuss in an upcoming 1:1.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "saved_for_discussion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub saved_by: Uuid,
    /// The agent the record is about.
    pub subject_id: Uuid,
    pub kind: super::discussion_item::DiscussionKind,
    pub record_id: Uuid,
    pub used_in_one_on_one_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
