//! Database connection for both tiers: SQLite (embedded) and PostgreSQL (many nodes).

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Config;

/// SQLite: 8 (one writer at a time anyway). PostgreSQL: 3 per CPU core of this node. Every
/// connection is a PostgreSQL process; more of them than the cores can run only take turns,
/// so past a few per core a node queues its statements in its pool rather than in the
/// server's scheduler (the read-load bench on 2 cores: 16 → 6 connections, ≈ +5 % requests/s
/// and a lower p99; 4 starve the page's parallel loads).
fn default_pool_size(config: &Config) -> u32 {
    if config.database_url.is_none() {
        return 8;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(3 * cores).unwrap_or(u32::MAX)
}

pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url();
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating DATA_DIR {}", config.data_dir.display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(
            config
                .database_pool_size
                .unwrap_or_else(|| default_pool_size(config)),
        )
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out by default: a round trip before each
        // statement, doubling them on a busy node. Only a connection idle long enough to
        // have been dropped by the server or a proxy is checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .context("connecting to the database")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while one writer commits; the setting persists in the file.
        db.execute_unprepared("PRAGMA journal_mode=WAL")
            .await
            .context("enabling WAL")?;
    }
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), waiting for it under the busy timeout: a deferred transaction that
/// reads first and writes later fails with "database is locked" when another writer commits
/// in between, and no timeout helps it. PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
