//! `analytics` (SPEC §7): aggregates for dashboards — category usage, coaching activity per
//! leader, team and week, action-item completion, KPI variance trend, 1:1 cadence per pair.
//!
//! Why a domain of its own: every figure is a count over rows of other domains, and each must
//! obey SPEC §5 for the viewer ("what a viewer cannot see is not counted for them"). So every
//! query here starts from the policy's scopes (`policy::visible_one_on_one_ids`,
//! `policy::coaching_session_scope`) applied in SQL, and aggregates with `GROUP BY` where the
//! databases agree; only what SQLite and PostgreSQL spell differently — ISO weeks in the
//! company's time zone, medians, decimal averages of KPI rows kept in JSON — is folded in Rust
//! over a narrow projection of rows already scoped in SQL. No part issues a query per row.
//!
//! Definitions shared by every part (the GraphQL descriptions repeat them for clients):
//!
//! - The range `from`–`to` is of local dates in the company's time zone, both inclusive.
//! - A 1:1 counts once it is shared (a draft has not happened yet) and is dated by its
//!   `scheduledAt`, or when it was shared if it has no schedule.
//! - A coaching session counts once it is coached and is dated by when it was coached.
//! - A week is an ISO week (Monday to Sunday) of local dates in the company's time zone.
//! - The team filter keeps sessions whose Team Member (the 1:1's member, the coaching
//!   session's agent) is currently a member of that team.

pub mod graphql;
pub mod service;
pub mod types;
