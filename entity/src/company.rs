use sea_orm::entity::prelude::*;

/// A tenant. Its settings live on the row because every request reads them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
    pub one_on_ones_enabled: bool,
    pub one_on_one_permissions_enabled: bool,
    pub private_one_on_ones_by_default: bool,
    pub email_notifications_enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
