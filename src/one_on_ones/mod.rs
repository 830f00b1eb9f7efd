//! 1:1 sessions (SPEC §3): series per leader–member pair, drafts, sharing and recaps, shared
//! and personal notes, discussion items, kudos, action items that carry over, and the durable
//! per-session event log that live delivery reads.

pub mod emails;
pub mod events;
pub mod export;
pub mod graphql;
pub mod items;
pub mod loaders;
pub mod notes;
pub mod service;
pub mod tombstones;
pub mod types;
