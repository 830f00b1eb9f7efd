//! Attachments of 1:1 sessions (SPEC §3) and each company's list of allowed file types.
//!
//! An attachment row is written `PENDING` before its object is, and turned `READY` in the
//! transaction that announces it; a node that dies in between leaves a pending row that the
//! startup sweep finds, so no object outlives its row.

use sea_orm_migration::prelude::*;

use crate::common::{fk, id, index, long_text, text, timestamp, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::Attachments)
                    .col(id(Col::Id))
                    .col(uuid(Col::CompanyId))
                    .col(uuid(Col::OneOnOneId))
                    .col(uuid(Col::UploadedBy))
                    .col(text(Col::FileName))
                    .col(text(Col::ContentType))
                    .col(ColumnDef::new(Col::SizeBytes).big_integer().not_null())
                    .col(text(Col::StorageKey))
                    .col(ColumnDef::new(Col::Status).string_len(16).not_null())
                    .col(timestamp(Col::CreatedAt))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::Attachments,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::Attachments,
                        Col::OneOnOneId,
                        Tbl::OneOnOnes,
                        Col::Id,
                    ))
                    .foreign_key(&mut fk(
                        Tbl::Attachments,
                        Col::UploadedBy,
                        Tbl::Users,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, Tbl::Attachments, &[Col::OneOnOneId], false).await?;
        index(
            manager,
            Tbl::Attachments,
            &[Col::Status, Col::CreatedAt],
            false,
        )
        .await?;
        index(manager, Tbl::Attachments, &[Col::StorageKey], true).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::CompanyAttachmentTypes)
                    .col(id(Col::CompanyId))
                    .col(long_text(Col::Extensions))
                    .col(timestamp(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tbl::CompanyAttachmentTypes,
                        Col::CompanyId,
                        Tbl::Companies,
                        Col::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Tbl::CompanyAttachmentTypes, Tbl::Attachments] {
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
    OneOnOnes,
    Attachments,
    CompanyAttachmentTypes,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    CompanyId,
    OneOnOneId,
    UploadedBy,
    FileName,
    ContentType,
    SizeBytes,
    StorageKey,
    Status,
    Extensions,
    CreatedAt,
    UpdatedAt,
}
