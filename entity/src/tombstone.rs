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

/// Why a record is gone for those who see its tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Reason {
    #[sea_orm(string_value = "DELETED")]
    Deleted,
    /// The 1:1 still exists, but this viewer no longer sees it (it was made private).
    #[sea_orm(string_value = "HIDDEN")]
    Hidden,
}

/// A deleted record, kept so incremental sync can tell clients it is gone. `one_on_one_id`
/// is the session the record belonged to (the session itself for `OneOnOne`); `visible_to`
/// is set when the tombstone is for one viewer only (a deleted draft's leader, each former
/// onlooker of a session made private).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tombstones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub kind: Kind,
    pub reason: Reason,
    pub record_id: Uuid,
    pub one_on_one_id: Uuid,
    pub visible_to: Option<Uuid>,
    pub deleted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
