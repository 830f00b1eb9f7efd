use sea_orm::entity::prelude::*;

/// The durable per-session event log; `seq` is strictly increasing per session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "one_on_one_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub one_on_one_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub company_id: Uuid,
    pub kind: String,
    /// The event as JSON.
    pub payload: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
