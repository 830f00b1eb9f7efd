//! Tenants, people, teams, auth sessions and the ingested records of the organization.

use sea_orm_migration::prelude::*;

use crate::common::{fk, flag, id, index, text, timestamp, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A record ingested from an outside system: tenant-scoped, idempotent by `external_id`.
fn ingested(table: Tbl) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(id(Col::Id))
        .col(uuid(Col::CompanyId))
        .col(ColumnDef::new(Col::ExternalId).string().null())
        .col(timestamp(Col::CreatedAt))
        .col(timestamp(Col::UpdatedAt))
        .foreign_key(&mut fk(table, Col::CompanyId, Tbl::Companies, Col::Id))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::ServerSecrets)
                    .col(ColumnDef::new(Col::Name).string().not_null().primary_key())
                    .col(text(Col::Value))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::Companies)
                    .col(id(Col::Id))
                    .col(text(Col::Name))
                    .col(text(Col::TimeZone))
                    .col(flag(Col::OneOnOnesEnabled))
                    .col(flag(Col::OneOnOnePermissionsEnabled))
                    .col(flag(Col::PrivateOneOnOnesByDefault))
                    .col(flag(Col::EmailNotificationsEnabled))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::Users)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(text(Col::Name))
                    .col(text(Col::Email).unique_key().to_owned())
                    .col(text(Col::PasswordHash))
                    .col(ColumnDef::new(Col::Role).string_len(16).not_null())
                    .col(flag(Col::Active))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(Tbl::Users, Col::CompanyId, Tbl::Companies, Col::Id))
                    .to_owned(),
            )
            .await?;
        index(manager, Tbl::Users, &[Col::CompanyId, Col::Id], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::AuthSessions)
                    .col(id(Col::Id))
                    .col(uuid(Col::UserId))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::ExpiresAt))
                    .col(
                        ColumnDef::new(Col::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(Tbl::AuthSessions, Col::UserId, Tbl::Users, Col::Id))
                    .to_owned(),
            )
            .await?;
        index(manager, Tbl::AuthSessions, &[Col::UserId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::Teams)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(text(Col::Name))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(Tbl::Teams, Col::CompanyId, Tbl::Companies, Col::Id))
                    .to_owned(),
            )
            .await?;
        index(manager, Tbl::Teams, &[Col::CompanyId, Col::Id], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::TeamMemberships)
                    .col(uuid(Col::TeamId))
                    .col(uuid(Col::UserId))
                    .col(ColumnDef::new(Col::Role).string_len(16).not_null())
                    .col(uuid(Col::CompanyId))
                    .col(timestamp(Col::CreatedAt))
                    .primary_key(Index::create().col(Col::TeamId).col(Col::UserId))
                    .foreign_key(&mut fk(
                        Tbl::TeamMemberships,
                        Col::TeamId,
                        Tbl::Teams,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::TeamMemberships,
                        Col::UserId,
                        Tbl::Users,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // "Which teams does X lead / belong to" is asked on every policy decision.
        index(
            manager,
            Tbl::TeamMemberships,
            &[Col::UserId, Col::Role, Col::TeamId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::CoachingCategories)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(text(Col::Name))
                    .col(
                        ColumnDef::new(Col::ArchivedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::CoachingCategories,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::CoachingCategories,
            &[Col::CompanyId, Col::Name],
            true,
        )
        .await?;

        manager
            .create_table(
                ingested(Tbl::Metrics)
                    .col(text(Col::Name))
                    .col(text(Col::Unit))
                    .col(flag(Col::HigherIsBetter))
                    .col(flag(Col::InKeySet))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                ingested(Tbl::MetricValues)
                    .col(uuid(Col::MetricId))
                    .col(uuid(Col::UserId))
                    .col(ColumnDef::new(Col::PeriodStart).date().not_null())
                    .col(ColumnDef::new(Col::PeriodEnd).date().not_null())
                    .col(ColumnDef::new(Col::Value).double().not_null())
                    .foreign_key(&mut fk(
                        Tbl::MetricValues,
                        Col::MetricId,
                        Tbl::Metrics,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(Tbl::MetricValues, Col::UserId, Tbl::Users, Col::Id))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Tbl::MetricValues,
            &[Col::UserId, Col::MetricId, Col::PeriodStart],
            false,
        )
        .await?;

        manager
            .create_table(
                ingested(Tbl::FeedbackRecords)
                    .col(uuid(Col::UserId))
                    .col(ColumnDef::new(Col::Score).double().not_null())
                    .col(text(Col::Comment))
                    .col(ColumnDef::new(Col::ReceivedOn).date().not_null())
                    .col(text(Col::Channel))
                    .foreign_key(&mut fk(
                        Tbl::FeedbackRecords,
                        Col::UserId,
                        Tbl::Users,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                ingested(Tbl::QaReviews)
                    .col(uuid(Col::UserId))
                    .col(text(Col::ReviewerName))
                    .col(ColumnDef::new(Col::Score).double().not_null())
                    .col(text(Col::FormName))
                    .col(text(Col::Comments))
                    .col(ColumnDef::new(Col::ReviewedOn).date().not_null())
                    .foreign_key(&mut fk(Tbl::QaReviews, Col::UserId, Tbl::Users, Col::Id))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                ingested(Tbl::Lessons)
                    .col(text(Col::Title))
                    .col(text(Col::Url))
                    .col(text(Col::ProviderId))
                    .to_owned(),
            )
            .await?;

        for table in [
            Tbl::Metrics,
            Tbl::MetricValues,
            Tbl::FeedbackRecords,
            Tbl::QaReviews,
            Tbl::Lessons,
        ] {
            // Re-ingesting an external id updates its row: the upsert's conflict target.
            index(manager, table, &[Col::CompanyId, Col::ExternalId], true).await?;
        }
        for table in [Tbl::FeedbackRecords, Tbl::QaReviews] {
            index(manager, table, &[Col::UserId, Col::Id], false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Tbl::Lessons,
            Tbl::QaReviews,
            Tbl::FeedbackRecords,
            Tbl::MetricValues,
            Tbl::Metrics,
            Tbl::CoachingCategories,
            Tbl::TeamMemberships,
            Tbl::Teams,
            Tbl::AuthSessions,
            Tbl::Users,
            Tbl::Companies,
            Tbl::ServerSecrets,
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
    ServerSecrets,
    Companies,
    Users,
    AuthSessions,
    Teams,
    TeamMemberships,
    CoachingCategories,
    Metrics,
    MetricValues,
    FeedbackRecords,
    QaReviews,
    Lessons,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    Name,
    Value,
    CompanyId,
    UserId,
    TeamId,
    MetricId,
    TimeZone,
    OneOnOnesEnabled,
    OneOnOnePermissionsEnabled,
    PrivateOneOnOnesByDefault,
    EmailNotificationsEnabled,
    Email,
    PasswordHash,
    Role,
    Active,
    ExpiresAt,
    RevokedAt,
    ArchivedAt,
    ExternalId,
    Unit,
    HigherIsBetter,
    InKeySet,
    PeriodStart,
    PeriodEnd,
    Score,
    Comment,
    Comments,
    ReceivedOn,
    Channel,
    ReviewerName,
    FormName,
    ReviewedOn,
    Title,
    Url,
    ProviderId,
    CreatedAt,
    UpdatedAt,
}
