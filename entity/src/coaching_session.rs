use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "COACHED")]
    Coached,
}

/// A coaching session of a coach with an agent on a form. `steps` is the snapshot of the form's
/// steps taken when the session started (JSON), `content` the answers (JSON, KPI numbers as
/// decimal strings), `prefill_content` the draft kept while an auto fill is on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub form_id: Uuid,
    pub coach_id: Uuid,
    pub agent_id: Uuid,
    pub status: Status,
    pub form_name: String,
    pub steps: String,
    pub content: String,
    pub prefill_content: Option<String>,
    pub coached_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
