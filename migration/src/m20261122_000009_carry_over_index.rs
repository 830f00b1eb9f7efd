//! Items a session carries over are those of its series created before it and not done
//! before it. `(series_id, done_at)` left `created_at` to be checked row by row on the heap:
//! for a page of old sessions that was every item the series ever had. With
//! `(series_id, created_at, done_at)` both bounds are checked in the index.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_action_items_series_id_done_at")
                    .table(Tbl::ActionItems)
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::ActionItems,
            &[Col::SeriesId, Col::CreatedAt, Col::DoneAt],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_action_items_series_id_created_at_done_at")
                    .table(Tbl::ActionItems)
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::ActionItems,
            &[Col::SeriesId, Col::DoneAt],
            false,
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    ActionItems,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    SeriesId,
    CreatedAt,
    DoneAt,
}
