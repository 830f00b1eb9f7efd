use sea_orm::entity::prelude::*;

/// What kind of record a tombstone stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Kind {
    /// A deleted draft 1:1 (its items went with it).
    #[sea_orm(string_value = "ONE_ON_ONE")]
    OneOnOne,
    #[sea_orm(string_value = "ACTION_ITEM")]
    ActionItem,
    #[sea_orm(string_value = "DISCUSSION_ITEM")]
    DiscussionItem,
    #[sea_orm(string_value = "KUDO")]
    Kudo,
    #[sea_orm(string_value = "ATTACHMENT")]
    Attachment,
}

/// A deleted record, kept so incremental sync can tell clients it is gone. `one_on_one_id`
/// is the session the record belonged to (the session itself for `OneOnOne`); `visible_to`
/// is set when only one person could ever have seen the record (a draft's leader).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tombstones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub kind: Kind,
    pub record_id: Uuid,
    pub one_on_one_id: Uuid,
    pub visible_to: Option<Uuid>,
    pub deleted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
