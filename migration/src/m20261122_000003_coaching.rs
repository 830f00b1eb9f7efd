//! Coaching (SPEC §4): forms with their ordered steps, coaching sessions (each keeping a
//! snapshot of the steps it was started with, its answers, and the draft kept before an auto
//! fill), and the commitments and follow-ups of coached sessions, which dashboards list until
//! they are marked done.
//!
//! Steps and answers are JSON documents (TEXT). KPI numbers inside them are decimal strings,
//! never floats, so nothing is rounded on the way through SQLite or PostgreSQL.

use sea_orm_migration::prelude::*;

use crate::common::{fk, flag, id, index, long_text, text, timestamp, timestamp_null, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::CoachingForms)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(text(Col::Name))
                    .col(long_text(Col::Description))
                    // The ordered steps, a JSON array.
                    .col(long_text(Col::Steps))
                    .col(uuid(Col::CreatedBy))
                    .col(timestamp_null(Col::ArchivedAt))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::CoachingForms,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::CoachingForms,
            &[Col::CompanyId, Col::Id],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::CoachingSessions)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::FormId))
                    .col(uuid(Col::CoachId))
                    .col(uuid(Col::AgentId))
                    .col(ColumnDef::new(Col::Status).string_len(16).not_null())
                    .col(text(Col::FormName))
                    // The form's steps as they were when the session started (JSON).
                    .col(long_text(Col::Steps))
                    // The answers, KPI rows, commitments and follow-ups (JSON).
                    .col(long_text(Col::Content))
                    // The content kept before an auto fill; set while the fill is on.
                    .col(ColumnDef::new(Col::PrefillContent).text().null())
                    .col(timestamp_null(Col::CoachedAt))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::CoachingSessions,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::CoachingSessions,
                        Col::FormId,
                        Tbl::CoachingForms,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::CoachingSessions,
                        Col::CoachId,
                        Tbl::Users,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::CoachingSessions,
                        Col::AgentId,
                        Tbl::Users,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::CoachingSessions,
            &[Col::CompanyId, Col::CoachId, Col::Id],
            false,
        )
        .await?;
        // Learning history and "the five most recent" read by agent (and form), newest first.
        index(
            manager,
            Tbl::CoachingSessions,
            &[Col::AgentId, Col::FormId, Col::CoachedAt],
            false,
        )
        .await?;

        for (table, person) in [
            (Tbl::CoachingCommitments, Col::AgentId),
            (Tbl::CoachingFollowUps, Col::CoachId),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .col(id(Col::Id))
                        .col(uuid(Col::CompanyId))
                        .col(uuid(Col::SessionId))
                        .col(uuid(Col::StepId))
                        .col(uuid(person))
                        .col(long_text(Col::Text))
                        .col(ColumnDef::new(Col::DueOn).date().not_null())
                        .col(flag(Col::Done))
                        .col(timestamp_null(Col::DoneAt))
                        .col(timestamp(Col::CreatedAt))
                        .col(timestamp(Col::UpdatedAt))
                        .foreign_key(&mut fk(
                            table,
                            Col::SessionId,
                            Tbl::CoachingSessions,
                            Col::Id,
                        ))
                        .to_owned(),
                )
                .await?;
            // Dashboards: a person's open rows by due date.
            index(manager, table, &[person, Col::Done, Col::DueOn], false).await?;
            index(manager, table, &[Col::SessionId], false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Tbl::CoachingFollowUps,
            Tbl::CoachingCommitments,
            Tbl::CoachingSessions,
            Tbl::CoachingForms,
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    Companies,
    Users,
    CoachingForms,
    CoachingSessions,
    CoachingCommitments,
    CoachingFollowUps,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    CompanyId,
    Name,
    Description,
    Steps,
    CreatedBy,
    ArchivedAt,
    FormId,
    CoachId,
    AgentId,
    Status,
    FormName,
    Content,
    PrefillContent,
    CoachedAt,
    SessionId,
    StepId,
    Text,
    DueOn,
    Done,
    DoneAt,
    CreatedAt,
    UpdatedAt,
}
