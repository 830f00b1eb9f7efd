//! API tokens for third-party dashboards and importers (SPEC §7): scoped, expiring, revocable
//! credentials of a company, of which only a digest of the secret is kept.

use sea_orm_migration::prelude::*;

use crate::common::{fk, id, index, text, timestamp, timestamp_null, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::ApiTokens)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(text(Col::Name))
                    .col(text(Col::Scopes))
                    .col(ColumnDef::new(Col::SecretDigest).string_len(64).not_null())
                    .col(uuid(Col::CreatedBy))
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .col(timestamp(Col::ExpiresAt))
                    .col(timestamp_null(Col::LastUsedAt))
                    .col(timestamp_null(Col::RevokedAt))
                    .foreign_key(&mut fk(
                        Tbl::ApiTokens,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(Tbl::ApiTokens, Col::CreatedBy, Tbl::Users, Col::Id))
                    .to_owned(),
            )
            .await?;
        // Every authenticated token request finds its row by the digest.
        index(manager, Tbl::ApiTokens, &[Col::SecretDigest], true).await?;
        // The admins' list: a company's tokens in id order.
        index(manager, Tbl::ApiTokens, &[Col::CompanyId, Col::Id], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tbl::ApiTokens).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    Companies,
    Users,
    ApiTokens,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    CompanyId,
    Name,
    Scopes,
    SecretDigest,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}
