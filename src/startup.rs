//! Building and running one API node. Tests start it on port 0 exactly as `serve` does.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::{
    attachments::{
        service::{SWEEP_GRACE, sweep},
        store::AttachmentStore,
    },
    auth::{rate_limit::LoginLimiter, tokens::TokenKeys},
    config::Config,
    db,
    email::OutboxWorker,
    graphql::build_api,
    http::{HttpState, router},
    metrics::Metrics,
    realtime::bus::EventBus,
    sql_count::SqlCounter,
    state::AppState,
};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    outbox: OutboxWorker,
    /// Stops the node's background tasks; dropping it (an application never run) does too.
    stop: tokio::sync::watch::Sender<bool>,
}

impl Application {
    /// Connects to the database and Redis, runs the migrations and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        crate::tune_allocator();
        let mut db = db::connect(&config).await?;
        let sql_statements = SqlCounter::default();
        sql_statements.observe(&mut db);
        db::migrate(&db).await?;
        let tokens = TokenKeys::load(config.jwt_secret.as_deref(), &db).await?;
        let redis = match &config.redis_url {
            Some(url) => {
                let client =
                    redis::Client::open(url.as_str()).context("REDIS_URL is not a Redis URL")?;
                let connection = client
                    .get_connection_manager()
                    .await
                    .context("connecting to Redis")?;
                Some((client, connection))
            }
            None => None,
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let bus = EventBus::start(
            db.clone(),
            redis.as_ref().map(|(client, connection)| {
                let channel = format!("{}:events", config.redis_prefix);
                (client.clone(), connection.clone(), channel)
            }),
            stopped.clone(),
        );
        let redis = redis.map(|(_, connection)| connection);
        let login_limiter = match &redis {
            Some(connection) => LoginLimiter::redis(connection.clone(), &config.redis_prefix),
            None => LoginLimiter::in_process(),
        };
        // Checks SMTP_URL and MAIL_FROM now, so a bad value stops the node at startup.
        let outbox = OutboxWorker::new(db.clone(), &config)?;
        let attachments = AttachmentStore::open(&config)?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("binding {}", config.listen_addr))?;
        let state = AppState {
            db,
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            login_limiter,
            redis,
            bus,
            sql_statements,
            shutdown: stopped,
            attachments,
            metrics: Arc::new(Metrics::default()),
        };
        // Repairs what a crash left between an attachment's row and its object.
        if let Err(err) = sweep(&state, SWEEP_GRACE).await {
            tracing::warn!(error = ?err, "attachment sweep at startup failed");
        }
        Ok(Self {
            listener,
            state,
            outbox,
            stop,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves and runs the outbox worker until `shutdown` resolves, then drains in-flight
    /// requests and lets the worker finish the email it is sending.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // One shutdown for everything: the worker, the event bus and open WebSockets stop
        // when it fires, or when serving ends for any other reason (the sender is dropped), so
        // nothing outlives the server.
        let stop = self.stop;
        let stopped = self.state.shutdown.clone();
        let mut worker = self.outbox.spawn(async move {
            let mut stopped = stopped;
            let _ = stopped.wait_for(|stop| *stop).await;
        });
        let sweeper = tokio::spawn(sweep_periodically(self.state.clone()));
        let api = build_api(self.state.clone());
        let app = router(HttpState {
            live: crate::realtime::feed::LiveFeeds::new(self.state.clone(), api.clone()),
            app: self.state,
            api,
        });
        // Without TCP_NODELAY a small write (a WebSocket frame, the tail of a response) can
        // wait for the peer's delayed ACK, tens of milliseconds.
        let listener = self.listener.tap_io(|stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "setting TCP_NODELAY failed");
            }
        });
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await
        .context("serving HTTP");
        sweeper.abort();
        // An email cut off here is not lost: its lease expires and a worker sends it again.
        if tokio::time::timeout(Duration::from_secs(10), &mut worker)
            .await
            .is_err()
        {
            worker.abort();
        }
        served
    }
}

/// Sweeps attachment leftovers every few minutes (the startup sweep covers crashes of this
/// node; this one covers other nodes' and deleted sessions' files).
async fn sweep_periodically(state: AppState) {
    let mut every = tokio::time::interval(SWEEP_INTERVAL);
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(err) = sweep(&state, SWEEP_GRACE).await {
            tracing::warn!(error = ?err, "attachment sweep failed");
        }
    }
}

const SWEEP_INTERVAL: Duration = Duration::from_secs(10 * 60);

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
