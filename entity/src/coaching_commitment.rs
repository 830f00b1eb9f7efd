use sea_orm::entity::prelude::*;

/// A commitment of a coached session: the agent's reminder until they mark it done. Written
/// when the session is coached, with the id it had in the session's content.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_commitments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub session_id: Uuid,
    pub step_id: Uuid,
    pub agent_id: Uuid,
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
