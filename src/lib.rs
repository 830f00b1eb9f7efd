//! Coaching and 1:1 backend: one GraphQL API for Team Leaders, Team Members, admins and
//! third-party dashboards (see `../shared/SPEC.md` and the README).
//!
//! Layout — one folder per domain, each with its GraphQL types, service and loaders:
//!
//! - `auth`      — passwords, signed tokens, login limits, the `viewer`/`login` fields.
//! - `org`       — companies, settings, users, teams, coaching categories.
//! - `attachments` — files of 1:1s: formats, the object store, upload/download pipeline.
//! - `ingest`    — metrics and their values, feedback records, QA reviews, lessons.
//! - `one_on_ones` — 1:1 sessions, notes, items, the per-session event log, their emails.
//! - `notes`     — the shared-note document model (Yjs via yrs): merge, diff, render.
//! - `coaching`  — coaching forms and sessions, KPI decimals, learning history.
//! - `dashboard` — `myDashboard`: the viewer's open work across coaching and 1:1s.
//! - `analytics` — `analytics`: dashboard aggregates, counted only over what the viewer sees.
//! - `email`     — the transactional outbox and its delivery worker.
//! - `realtime`  — live delivery: the event bus (Redis fan-out) and graphql-transport-ws.
//! - `policy`    — the one place deciding who sees and does what; every service asks it.
//! - `graphql`   — the merged schema, its request pipeline, request context and Relay pagination.
//! - `http`      — routes, middleware, the GraphQL endpoint, health checks, the PDF export route.
//! - `metrics`   — each node's Prometheus registry (`GET /metrics`).
//! - `pdf`       — a small text layout over krilla for server-made PDFs (the 1:1 export).
//! - `startup`   — `Application`: one node, built from a `Config`, run until shutdown.
//! - `error`     — the one error type and its mapping to `extensions.code`.
//! - `sql_count` — counts the SQL statements the node (and each request) runs.
//!
//! `main.rs` is a thin shell over `cli`.

/// A GraphQL response is built from many small allocations (one per resolved field, value and
/// future); glibc's allocator was about a fifth of the server's CPU under read load
/// (`perf`, BENCHMARKS.md). Set here rather than in `main.rs` so that every binary serving
/// the API — including the benchmarks' server nodes — runs the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gives memory freed after a burst (thousands of WebSocket handshakes at once) back to the
/// OS within 10 ms. mimalloc 3 raised its purge delay from 10 ms to 1 s and only purges when
/// it next allocates, so a node that went idle after the burst — a node holding idle
/// subscriptions — kept the burst's pages resident (issue 5: about 3 KiB more per connection
/// at 1,000 connections, BENCHMARKS.md). Purging at once (delay 0) cost the read load about a
/// tenth of its throughput in `madvise` calls; 10 ms cost nothing measurable.
pub(crate) fn tune_allocator() {
    /// `mi_option_purge_delay` in mimalloc.h's `mi_option_e`; libmimalloc-sys names no
    /// constant for it.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets a plain integer option, which mimalloc reads on each purge decision.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 10) };
}

pub mod analytics;
pub mod attachments;
pub mod auth;
pub mod cli;
pub mod coaching;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod email;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod notes;
pub mod one_on_ones;
pub mod org;
pub mod pdf;
pub mod policy;
pub mod realtime;
pub mod sql_count;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validate;
