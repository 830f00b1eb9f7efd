//! Building and running one API node. Tests start it on port 0 exactly as `serve` does.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    auth::{rate_limit::LoginLimiter, tokens::TokenKeys},
    config::Config,
    db,
    graphql::build_schema,
    http::{HttpState, router},
    state::AppState,
};

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database and Redis, runs the migrations and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = db::connect(&config).await?;
        db::migrate(&db).await?;
        let tokens = TokenKeys::load(config.jwt_secret.as_deref(), &db).await?;
        let redis = match &config.redis_url {
            Some(url) => Some(
                redis::Client::open(url.as_str())
                    .context("REDIS_URL is not a Redis URL")?
                    .get_connection_manager()
                    .await
                    .context("connecting to Redis")?,
            ),
            None => None,
        };
        let login_limiter = match &redis {
            Some(connection) => LoginLimiter::redis(connection.clone(), &config.redis_prefix),
            None => LoginLimiter::in_process(),
        };
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("binding {}", config.listen_addr))?;
        let state = AppState {
            db,
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            login_limiter,
            redis,
        };
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let schema = build_schema(self.state.clone());
        let app = router(HttpState {
            app: self.state,
            schema,
        });
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: draining requests");
}
