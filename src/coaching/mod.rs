//! Coaching (SPEC §4): forms of ordered steps, form-based coaching sessions from draft to
//! coached, exact KPI decimals, auto fill, the agent's learning history, and the commitments
//! and follow-ups dashboards remind people of.
//!
//! Design: a session copies its form's steps (JSON) when it starts and keeps that snapshot
//! for good, so a coached session shows exactly the steps it was coached with whatever happens
//! to the form later. Its answers are one JSON document with KPI numbers as decimal strings;
//! commitments and follow-ups become rows when the session is coached, so they can be listed
//! and marked done.

pub mod decimal;
pub mod emails;
pub mod forms;
pub mod graphql;
pub mod loaders;
pub mod service;
pub mod steps;
pub mod types;
