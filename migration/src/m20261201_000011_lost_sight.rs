//! Incremental sync when a viewer loses sight of 1:1s without anything being deleted
//! (SPEC §5, §7): a session made private leaves a tombstone for each former onlooker, marked
//! `HIDDEN` rather than `DELETED`; a team, role or company-setting change can change what
//! a person sees across many sessions at once (both ways), so it stamps the person instead,
//! and their next sync is told to start over.

use sea_orm_migration::prelude::*;

use crate::common::timestamp_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Tbl::Tombstones)
                    .add_column(
                        ColumnDef::new(Col::Reason)
                            .string_len(16)
                            .not_null()
                            .default("DELETED"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tbl::Users)
                    .add_column(timestamp_null(Col::SightChangedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tbl::Users)
                    .drop_column(Col::SightChangedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tbl::Tombstones)
                    .drop_column(Col::Reason)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    Tombstones,
    Users,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Reason,
    SightChangedAt,
}
