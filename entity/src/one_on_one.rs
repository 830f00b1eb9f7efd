use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SHARED")]
    Shared,
}

/// One 1:1 session. `last_seq` is the highest event sequence number written for it; bumping it is what serializes concurrent writers of one session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "one_on_ones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub series_id: Uuid,
    pub leader_id: Uuid,
    pub member_id: Uuid,
    pub title: String,
    pub scheduled_at: Option<DateTimeUtc>,
    pub status: Status,
    pub private: bool,
    pub shared_at: Option<DateTimeUtc>,
    pub last_seq: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
