//! Configuration from environment variables (names fixed by SPEC §8), with the defaults of
//! the embedded tier. The README lists every variable.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Which browser origins may call the API from another origin (`CORS_ALLOWED_ORIGINS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// `*`: any origin. Credentials are bearer tokens, never cookies, so no origin can act
    /// for a user without holding that user's token.
    Any,
    /// Exactly these origins (`scheme://host[:port]`); empty: no cross-origin browser access.
    List(Vec<String>),
    /// `http://localhost:<any port>` and `http://127.0.0.1:<any port>`: a front end in
    /// development.
    Localhost,
}

impl CorsOrigins {
    fn parse(value: Option<&str>, environment: Environment) -> anyhow::Result<Self> {
        let Some(value) = value else {
            return Ok(match environment {
                Environment::Development => Self::Localhost,
                Environment::Production => Self::List(Vec::new()),
            });
        };
        if value.trim() == "*" {
            return Ok(Self::Any);
        }
        let origins = value
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                let rest = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"));
                match rest {
                    Some(host) if !host.is_empty() && !host.contains(['/', ' ', '*']) => {
                        Ok(origin.to_owned())
                    }
                    _ => bail!(
                        "CORS_ALLOWED_ORIGINS: {origin:?} is not an origin like https://app.example.com"
                    ),
                }
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self::List(origins))
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// `None`: SQLite at `DATA_DIR/app.db`.
    pub database_url: Option<String>,
    /// Most database connections this node holds; `None`: `db::connect` picks by backend.
    pub database_pool_size: Option<u32>,
    pub redis_url: Option<String>,
    /// Where attachments live: `file://…`, `memory://` or `s3://bucket[/prefix]`.
    /// `None`: `file://DATA_DIR/attachments`.
    pub storage_url: Option<String>,
    /// `None`: emails are written as `.eml` files under `DATA_DIR/outbox`.
    pub smtp_url: Option<String>,
    /// The `From` of every email.
    pub mail_from: String,
    pub public_base_url: String,
    pub jwt_secret: Option<String>,
    pub operator_token: Option<String>,
    pub demo_password: String,
    pub environment: Environment,
    pub token_ttl: Duration,
    /// Largest GraphQL request body accepted over HTTP.
    pub max_body_bytes: usize,
    /// How long a WebSocket client has to send `connection_init`.
    pub ws_init_timeout: Duration,
    /// How long a message to a WebSocket client may wait for the client to read (its socket's
    /// buffers full) before the connection is dropped.
    pub ws_send_timeout: Duration,
    /// Prefix of every Redis key, so several deployments (or tests) can share one Redis.
    pub redis_prefix: String,
    pub cors_allowed_origins: CorsOrigins,
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let listen_addr = var("LISTEN_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("LISTEN_ADDR must be host:port")?;
        let environment = match var("APP_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => bail!("APP_ENV must be development or production, not {other:?}"),
        };
        let token_ttl_minutes: u64 = var("TOKEN_TTL_MINUTES")
            .map(|v| v.parse().context("TOKEN_TTL_MINUTES must be a number"))
            .transpose()?
            .unwrap_or(12 * 60);
        let listen: SocketAddr = listen_addr;
        Ok(Self {
            listen_addr: listen,
            data_dir: PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./data".into())),
            database_url: var("DATABASE_URL"),
            database_pool_size: var("DATABASE_POOL_SIZE")
                .map(|v| match v.parse() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(anyhow::anyhow!(
                        "DATABASE_POOL_SIZE must be a positive number"
                    )),
                })
                .transpose()?,
            redis_url: var("REDIS_URL"),
            storage_url: var("STORAGE_URL"),
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "Coach <no-reply@coach.localhost>".into()),
            public_base_url: var("PUBLIC_BASE_URL")
                .unwrap_or_else(|| format!("http://{listen}"))
                .trim_end_matches('/')
                .to_owned(),
            jwt_secret: var("JWT_SECRET"),
            operator_token: var("OPERATOR_TOKEN"),
            demo_password: var("DEMO_PASSWORD").unwrap_or_else(|| "coach-demo-2026".into()),
            environment,
            token_ttl: Duration::from_secs(token_ttl_minutes * 60),
            max_body_bytes: 2 * 1024 * 1024,
            ws_init_timeout: Duration::from_secs(10),
            ws_send_timeout: Duration::from_secs(15),
            redis_prefix: var("REDIS_PREFIX").unwrap_or_else(|| "coach".into()),
            cors_allowed_origins: CorsOrigins::parse(
                var("CORS_ALLOWED_ORIGINS").as_deref(),
                environment,
            )?,
            metrics_token: var("METRICS_TOKEN"),
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// The database to use: `DATABASE_URL`, or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("app.db").display()
            ),
        }
    }
}
