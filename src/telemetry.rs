//! Structured logs (`tracing`, JSON lines), filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .try_init();
}
