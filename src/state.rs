//! What every request handler shares: the database, configuration and the node's clients.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use sea_orm::DatabaseConnection;

use crate::{
    attachments::store::AttachmentStore,
    auth::{rate_limit::LoginLimiter, tokens::TokenKeys},
    config::Config,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub login_limiter: LoginLimiter,
    pub redis: Option<ConnectionManager>,
    pub attachments: AttachmentStore,
}
