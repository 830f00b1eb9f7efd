//! A Team Leader's page of 1:1s under private-by-default (issue 7): besides their own
//! sessions, they see the shared, non-private sessions their members hold with other leaders.
//! Those are found by series — the series of the members they lead whose leader is someone
//! else, `(member_id, leader_id)` — and each such series is then a range of `(series_id, id)`
//! read in page order, instead of a branch per member that re-reads the leader's own sessions.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(manager, Tbl::OneOnOnes, &[Col::SeriesId, Col::Id], false).await?;
        index(
            manager,
            Tbl::OneOnOneSeries,
            &[Col::MemberId, Col::LeaderId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_one_on_ones_series_id_id", Tbl::OneOnOnes),
            (
                "idx_one_on_one_series_member_id_leader_id",
                Tbl::OneOnOneSeries,
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    OneOnOnes,
    OneOnOneSeries,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    SeriesId,
    MemberId,
    LeaderId,
}
