//! What the out-of-process benches share: a fresh PostgreSQL database per run, API nodes run
//! as child processes (this same executable with `BENCH_ROLE=server`, so a node's CPU and
//! memory are measured apart from the load generator's), and latency percentiles.

use std::{path::Path, process::Stdio, time::Duration};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::process::Child;

pub const OPERATOR: &str = "bench-operator-token";
pub const PASSWORD: &str = "bench-password-1";

/// The bench's `main`: serves as a node when started as one, does nothing when `cargo test
/// --benches` probes the target, and runs `bench` otherwise.
pub fn main<F: Future<Output = anyhow::Result<()>>>(
    bench: impl FnOnce() -> F,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if std::env::var("BENCH_ROLE").as_deref() == Ok("server") {
        return runtime.block_on(serve());
    }
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return Ok(());
    }
    runtime.block_on(bench())
}

async fn serve() -> anyhow::Result<()> {
    let config = coach::config::Config::from_env()?;
    let app = coach::startup::Application::build(config).await?;
    println!("ready {}", app.local_addr());
    app.run_until(coach::startup::shutdown_signal()).await
}

/// A database of its own on the server `DATABASE_URL` names, dropped by `drop`.
pub struct FreshDatabase {
    admin: DatabaseConnection,
    name: String,
    pub url: String,
}

impl FreshDatabase {
    pub async fn create(prefix: &str) -> anyhow::Result<Self> {
        let base = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&base).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let server = base.rsplit_once('/').expect("url with a database").0;
        Ok(Self {
            admin,
            url: format!("{server}/{name}"),
            name,
        })
    }

    pub async fn drop(self) {
        let _ = self
            .admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

pub struct Node {
    pub child: Child,
    pub http: String,
    #[allow(dead_code, reason = "only the live delivery bench subscribes")]
    pub ws: String,
}

impl Node {
    /// Starts a node on a free port with `env` on top of the bench's fixed settings, and
    /// waits until it listens.
    pub async fn start(
        database_url: &str,
        data_dir: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Node> {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .env("BENCH_ROLE", "server")
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("DATA_DIR", data_dir)
            .env("JWT_SECRET", "bench-jwt-secret")
            .env("OPERATOR_TOKEN", OPERATOR)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("ready") {
                break;
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Node {
            child,
            http: format!("http://127.0.0.1:{port}/graphql"),
            ws: format!("ws://127.0.0.1:{port}/graphql/ws"),
        })
    }

    /// CPU time the node has used (user and system), from `/proc`.
    #[allow(
        dead_code,
        reason = "only the live delivery bench reports CPU per delivery"
    )]
    pub fn cpu_time(&self) -> Duration {
        cpu_time_of(&self.child.id().expect("running").to_string())
    }

    pub fn rss_kib(&self) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

/// CPU time (user and system) process `pid` (or `self`) has used, from `/proc/{pid}/stat`.
pub fn cpu_time_of(pid: &str) -> Duration {
    // Fields after the command name (which may hold spaces), then utime and stime at 14 and 15,
    // in clock ticks of 1/100 s (`getconf CLK_TCK` on Linux).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Runs an operation that must succeed; returns its `data`.
pub async fn gql(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    let response: Value = client
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(response["errors"].is_null(), "{query}: {response}");
    response["data"].clone()
}

/// The `p` quantile (0..=1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}
