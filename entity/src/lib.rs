//! Database models (SeaORM entities), one module per table.
//!
//! These are storage shapes only: the API's GraphQL types live in the root crate's domain
//! folders and are built from these, never exposed directly.

pub mod action_item;
pub mod api_token;
pub mod attachment;
pub mod auth_session;
pub mod coaching_category;
pub mod coaching_commitment;
pub mod coaching_follow_up;
pub mod coaching_form;
pub mod coaching_session;
pub mod company;
pub mod company_attachment_types;
pub mod discussion_item;
pub mod email_outbox;
pub mod feedback_record;
pub mod kudo;
pub mod lesson;
pub mod metric;
pub mod metric_value;
pub mod one_on_one;
pub mod one_on_one_event;
pub mod one_on_one_series;
pub mod personal_note;
pub mod qa_review;
pub mod saved_for_discussion;
pub mod server_secret;
pub mod shared_note;
pub mod team;
pub mod team_membership;
pub mod tombstone;
pub mod user;
