use sea_orm::entity::prelude::*;

/// A company's API token. The secret itself is never stored: `secret_digest` is the hex
/// SHA-256 of it, which is what a request's token is looked up by.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub name: String,
    /// Scope names (`READ_ANALYTICS`, `READ_RECORDS`, `INGEST`) separated by single spaces.
    pub scopes: String,
    pub secret_digest: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
