//! What every request handler shares: the database, configuration and the node's clients.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use sea_orm::DatabaseConnection;

use crate::{
    attachments::store::AttachmentStore,
    auth::{rate_limit::LoginLimiter, tokens::TokenKeys},
    config::Config,
    metrics::Metrics,
    realtime::bus::EventBus,
    sql_count::SqlCounter,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub login_limiter: LoginLimiter,
    pub redis: Option<ConnectionManager>,
    pub attachments: AttachmentStore,
    pub bus: EventBus,
    /// This node's Prometheus registry (one per node, never process-global).
    pub metrics: Arc<Metrics>,
    /// SQL statements run by this node (for tests and `/metrics`).
    pub sql_statements: SqlCounter,
    /// Flips to `true` when the node shuts down; long-lived work (WebSocket connections,
    /// workers) watches it.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// Resolves once `shutdown` flips to `true` (or its sender is gone).
pub async fn stopped(mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
