//! Database models (SeaORM entities), one module per table.
//!
//! These are storage shapes only: the API's GraphQL types live in the root crate's domain
//! folders and are built from these, never exposed directly.

pub mod auth_session;
pub mod coaching_category;
pub mod company;
pub mod feedback_record;
pub mod lesson;
pub mod metric;
pub mod metric_value;
pub mod qa_review;
pub mod server_secret;
pub mod team;
pub mod team_membership;
pub mod user;
