//! Database connection for both tiers: SQLite (embedded) and PostgreSQL (many nodes).

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Config;

pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url();
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating DATA_DIR {}", config.data_dir.display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if config.database_url.is_none() { 8 } else { 16 })
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
