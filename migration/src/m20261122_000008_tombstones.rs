//! Tombstones: what incremental sync needs to learn that a record is gone (SPEC §7).
//!
//! A deleted row leaves nothing behind to filter by `updatedSince`, so every deletion that a
//! client may have cached writes a tombstone in the same transaction. Tombstones keep the ids
//! that decide who may see them (the session, and for a deleted draft its leader), so the
//! visibility rule can be applied to them in SQL like to any other list.

use sea_orm_migration::prelude::*;

use crate::common::{fk, id, index, timestamp, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::Tombstones)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(ColumnDef::new(Col::Kind).string_len(32).not_null())
                    .col(uuid(Col::RecordId))
                    .col(uuid(Col::OneOnOneId))
                    .col(uuid_null(Col::VisibleTo))
                    .col(timestamp(Col::DeletedAt))
                    .foreign_key(&mut fk(
                        Tbl::Tombstones,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::Tombstones,
            &[Col::CompanyId, Col::DeletedAt],
            false,
        )
        .await?;
        index(manager, Tbl::Tombstones, &[Col::OneOnOneId], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tbl::Tombstones).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    Companies,
    Tombstones,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    CompanyId,
    Kind,
    RecordId,
    OneOnOneId,
    VisibleTo,
    DeletedAt,
}
