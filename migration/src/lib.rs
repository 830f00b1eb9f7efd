//! Schema migrations. Every migration runs on SQLite and PostgreSQL; because SQLite's ALTER
//! TABLE cannot add constraints, each feature creates its tables whole in its own migration
//! rather than altering earlier ones.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261122_000001_foundation;
mod m20261122_000002_one_on_ones;
mod m20261122_000003_coaching;
mod m20261122_000004_attachments;
mod m20261122_000005_api_tokens;
mod m20261122_000006_read_path_indexes;
mod m20261122_000008_tombstones;
mod m20261122_000009_carry_over_index;
mod m20261201_000010_led_series_indexes;
mod m20261201_000011_lost_sight;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_one_on_ones::Migration),
            Box::new(m20261122_000003_coaching::Migration),
            Box::new(m20261122_000004_attachments::Migration),
            Box::new(m20261122_000005_api_tokens::Migration),
            Box::new(m20261122_000006_read_path_indexes::Migration),
            Box::new(m20261122_000008_tombstones::Migration),
            Box::new(m20261122_000009_carry_over_index::Migration),
            Box::new(m20261201_000010_led_series_indexes::Migration),
            Box::new(m20261201_000011_lost_sight::Migration),
        ]
    }
}
