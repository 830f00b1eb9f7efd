//! 1:1 sessions: series per pair, sessions, notes, discussion items, kudos, action items,
//! items saved for discussion, the per-session event log, and the email outbox.

use sea_orm_migration::prelude::*;

use crate::common::{
    fk, flag, id, index, long_text, text, timestamp, timestamp_null, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::OneOnOneSeries)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::LeaderId))
                    .col(uuid(Col::MemberId))
                    .col(ColumnDef::new(Col::Cadence).string_len(16).not_null())
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::OneOnOneSeries,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::OneOnOneSeries,
                        Col::LeaderId,
                        Tbl::Users,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::OneOnOneSeries,
                        Col::MemberId,
                        Tbl::Users,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::OneOnOneSeries,
            &[Col::LeaderId, Col::MemberId],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::OneOnOnes)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::SeriesId))
                    .col(uuid(Col::LeaderId))
                    .col(uuid(Col::MemberId))
                    .col(text(Col::Title))
                    .col(timestamp_null(Col::ScheduledAt))
                    .col(ColumnDef::new(Col::Status).string_len(16).not_null())
                    .col(flag(Col::Private))
                    .col(timestamp_null(Col::SharedAt))
                    .col(ColumnDef::new(Col::LastSeq).big_integer().not_null())
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::OneOnOnes,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::OneOnOnes,
                        Col::SeriesId,
                        Tbl::OneOnOneSeries,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(Tbl::OneOnOnes, Col::LeaderId, Tbl::Users, Col::Id))
                    .foreign_key(&mut fk(Tbl::OneOnOnes, Col::MemberId, Tbl::Users, Col::Id))
                    .to_owned(),
            )
            .await?;
        // The visibility rule filters by company and participant; these keep it an index scan.
        index(
            manager,
            Tbl::OneOnOnes,
            &[Col::CompanyId, Col::LeaderId, Col::Id],
            false,
        )
        .await?;
        index(
            manager,
            Tbl::OneOnOnes,
            &[Col::CompanyId, Col::MemberId, Col::Id],
            false,
        )
        .await?;
        index(
            manager,
            Tbl::OneOnOnes,
            &[Col::SeriesId, Col::CreatedAt],
            false,
        )
        .await?;

        for table in [Tbl::SharedNotes, Tbl::PersonalNotes] {
            let mut create = Table::create();
            create
                .table(table)
                .col(uuid(Col::OneOnOneId))
                .col(uuid(Col::AuthorId))
                .col(long_text(Col::Text))
                .col(ColumnDef::new(Col::Version).big_integer().not_null())
                .col(timestamp(Col::UpdatedAt))
                .primary_key(Index::create().col(Col::OneOnOneId).col(Col::AuthorId))
                .foreign_key(&mut fk(table, Col::OneOnOneId, Tbl::OneOnOnes, Col::Id))
                .foreign_key(&mut fk(table, Col::AuthorId, Tbl::Users, Col::Id));
            if let Tbl::SharedNotes = table {
                // The Yjs document (full state as a v1 update); `text` is its plain-text cache.
                create.col(ColumnDef::new(Col::State).blob().not_null());
            }
            manager.create_table(create.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Tbl::DiscussionItems)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::OneOnOneId))
                    .col(ColumnDef::new(Col::Kind).string_len(16).not_null())
                    .col(uuid_null(Col::CategoryId))
                    .col(uuid(Col::AddedBy))
                    .col(uuid_null(Col::MetricId))
                    .col(ColumnDef::new(Col::MetricValue).double().null())
                    .col(ColumnDef::new(Col::MetricPeriodStart).date().null())
                    .col(ColumnDef::new(Col::MetricPeriodEnd).date().null())
                    .col(long_text(Col::CoachingText))
                    .col(uuid_null(Col::FeedbackRecordId))
                    .col(uuid_null(Col::QaReviewId))
                    .col(uuid_null(Col::LessonId))
                    .col(uuid_null(Col::AttachmentId))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::DiscussionItems,
                        Col::OneOnOneId,
                        Tbl::OneOnOnes,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::DiscussionItems,
            &[Col::OneOnOneId, Col::Id],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::Kudos)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::OneOnOneId))
                    .col(uuid(Col::AuthorId))
                    .col(long_text(Col::Text))
                    .col(timestamp(Col::CreatedAt))
                    .foreign_key(&mut fk(
                        Tbl::Kudos,
                        Col::OneOnOneId,
                        Tbl::OneOnOnes,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, Tbl::Kudos, &[Col::OneOnOneId, Col::Id], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::ActionItems)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::SeriesId))
                    .col(uuid(Col::OneOnOneId))
                    .col(long_text(Col::Text))
                    .col(uuid_null(Col::CategoryId))
                    .col(ColumnDef::new(Col::DueOn).date().null())
                    .col(flag(Col::Done))
                    .col(timestamp_null(Col::DoneAt))
                    .col(uuid(Col::CreatedBy))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::ActionItems,
                        Col::OneOnOneId,
                        Tbl::OneOnOnes,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::ActionItems,
                        Col::SeriesId,
                        Tbl::OneOnOneSeries,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::ActionItems,
            &[Col::SeriesId, Col::Done],
            false,
        )
        .await?;
        index(manager, Tbl::ActionItems, &[Col::OneOnOneId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::SavedForDiscussion)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::SavedBy))
                    .col(uuid(Col::SubjectId))
                    .col(ColumnDef::new(Col::Kind).string_len(16).not_null())
                    .col(uuid(Col::RecordId))
                    .col(uuid_null(Col::UsedInOneOnOneId))
                    .col(timestamp(Col::CreatedAt))
                    .foreign_key(&mut fk(
                        Tbl::SavedForDiscussion,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::SavedForDiscussion,
            &[Col::SavedBy, Col::RecordId],
            true,
        )
        .await?;
        index(manager, Tbl::SavedForDiscussion, &[Col::SubjectId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::OneOnOneEvents)
                    .col(uuid(Col::OneOnOneId))
                    .col(ColumnDef::new(Col::Seq).big_integer().not_null())
                    .col(uuid(Col::CompanyId))
                    .col(ColumnDef::new(Col::Kind).string_len(32).not_null())
                    .col(long_text(Col::Payload))
                    .col(timestamp(Col::CreatedAt))
                    .primary_key(Index::create().col(Col::OneOnOneId).col(Col::Seq))
                    .foreign_key(&mut fk(
                        Tbl::OneOnOneEvents,
                        Col::OneOnOneId,
                        Tbl::OneOnOnes,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::EmailOutbox)
                    .col(id(Col::Id))
                    .col(uuid_null(Col::CompanyId))
                    .col(text(Col::ToAddress))
                    .col(text(Col::Subject))
                    .col(long_text(Col::BodyText))
                    .col(long_text(Col::BodyHtml))
                    .col(ColumnDef::new(Col::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Col::Attempts).integer().not_null())
                    .col(timestamp(Col::NextAttemptAt))
                    .col(timestamp_null(Col::LockedUntil))
                    .col(ColumnDef::new(Col::LockedBy).string().null())
                    .col(ColumnDef::new(Col::LastError).text().null())
                    .col(timestamp_null(Col::SentAt))
                    .col(timestamp(Col::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::EmailOutbox,
            &[Col::Status, Col::NextAttemptAt],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Tbl::EmailOutbox,
            Tbl::OneOnOneEvents,
            Tbl::SavedForDiscussion,
            Tbl::ActionItems,
            Tbl::Kudos,
            Tbl::DiscussionItems,
            Tbl::PersonalNotes,
            Tbl::SharedNotes,
            Tbl::OneOnOnes,
            Tbl::OneOnOneSeries,
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
    OneOnOneSeries,
    OneOnOnes,
    SharedNotes,
    PersonalNotes,
    DiscussionItems,
    Kudos,
    ActionItems,
    SavedForDiscussion,
    OneOnOneEvents,
    EmailOutbox,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    CompanyId,
    LeaderId,
    MemberId,
    Cadence,
    SeriesId,
    Title,
    ScheduledAt,
    Status,
    Private,
    SharedAt,
    LastSeq,
    OneOnOneId,
    AuthorId,
    Text,
    Version,
    State,
    Kind,
    CategoryId,
    AddedBy,
    MetricId,
    MetricValue,
    MetricPeriodStart,
    MetricPeriodEnd,
    CoachingText,
    FeedbackRecordId,
    QaReviewId,
    LessonId,
    AttachmentId,
    DueOn,
    Done,
    DoneAt,
    CreatedBy,
    SavedBy,
    SubjectId,
    RecordId,
    UsedInOneOnOneId,
    Seq,
    Payload,
    ToAddress,
    Subject,
    BodyText,
    BodyHtml,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LockedBy,
    LastError,
    SentAt,
    CreatedAt,
    UpdatedAt,
}
