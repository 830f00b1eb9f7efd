//! `myDashboard` (SPEC §7): the viewer's open work in one read — commitments and open 1:1
//! action items (as an agent), follow-ups and coaching drafts (as a coach), upcoming and draft
//! 1:1s, recent kudos. "Today" and "overdue" are the company's time zone's.

pub mod graphql;
pub mod service;
