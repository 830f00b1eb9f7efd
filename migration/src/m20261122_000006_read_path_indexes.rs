//! Indexes for the read path of 1:1 lists (issue 7): a session shows its own action items
//! and its series' items still open when it was created, so a page's items are read by
//! series and completion time instead of every item the series ever had.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            Tbl::ActionItems,
            &[Col::SeriesId, Col::DoneAt],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_action_items_series_id_done_at")
                    .table(Tbl::ActionItems)
                    .to_owned(),
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
    DoneAt,
}
