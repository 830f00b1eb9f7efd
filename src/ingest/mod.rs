//! Records that outside systems feed in (SPEC §2): the key metric set and its values per user
//! and period, customer feedback, QA reviews and the lesson catalogue. Every record may carry
//! an `externalId`; ingesting the same one again updates the record instead of duplicating it.

pub mod graphql;
pub mod service;
pub mod types;
