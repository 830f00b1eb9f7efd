use sea_orm::entity::prelude::*;

/// A participant's shared note: a Yjs document (full state as a v1 update) with its plain text cached for lists and emails.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shared_notes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub one_on_one_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub author_id: Uuid,
    pub text: String,
    pub version: i64,
    pub updated_at: DateTimeUtc,
    pub state: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
