//! Black-box API tests: each test starts a real server on port 0 with its own fresh database
//! (SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is set) and speaks HTTP GraphQL.

mod analytics;
mod attachments;
mod auth;
mod cli;
mod coaching;
mod export;
mod faults;
mod hardening;
mod helpers;
mod http;
mod ingest;
mod live;
mod one_on_ones;
mod org;
mod outbox;
mod privacy;
mod queries;
mod schema;
mod sync;
mod tenancy;
mod tokens;
mod ws_client;
mod yjs_client;
