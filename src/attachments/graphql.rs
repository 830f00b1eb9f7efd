//! `uploadAttachment`, `removeAttachment`, `setAllowedAttachmentTypes` and the `Attachment`
//! type. The upload's bytes never pass through async-graphql: see `http::attachments`.

use async_graphql::{Context, ID, Object, Upload};
use chrono::{DateTime, Utc};
use entity::attachment;

use super::{UploadOutcome, service};
use crate::{
    error::AppError,
    graphql::{ContextExt, parse_id},
    one_on_ones::graphql::DeletedPayload,
    org::{
        self,
        loaders::UserById,
        types::{CompanySettings, User},
    },
};

/// A file attached to a 1:1 session.
pub struct Attachment(pub attachment::Model);

#[Object]
impl Attachment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn one_on_one_id(&self) -> ID {
        ID(self.0.one_on_one_id.to_string())
    }

    /// The sanitized name the file was uploaded with.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// The type the download is served with, decided by the server from the extension.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }

    async fn uploaded_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(ctx
            .org_loader()
            .load_one(UserById(self.0.uploaded_by))
            .await?
            .map(Into::into))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// A link that downloads the file without a token (for a browser), valid for minutes;
    /// fetch it again when it has expired. `GET /attachments/{id}` with the bearer token
    /// works too.
    async fn download_url(&self, ctx: &Context<'_>) -> String {
        service::download_url(ctx.state(), self.0.id).0
    }

    /// When `downloadUrl` stops working.
    async fn download_url_expires_at(&self, ctx: &Context<'_>) -> DateTime<Utc> {
        service::download_url(ctx.state(), self.0.id).1
    }
}

#[derive(Default)]
pub struct AttachmentMutation;

#[Object]
impl AttachmentMutation {
    /// Attaches a file (at most 26,214,400 bytes, of a type the company allows) to a 1:1.
    /// Send it as a GraphQL multipart request (`multipart/form-data`: `operations`, `map`,
    /// then the file) with an `apollo-require-preflight: true` header.
    async fn upload_attachment(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        file: Upload,
    ) -> async_graphql::Result<Attachment> {
        ctx.viewer()?;
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        let _ = file;
        let outcome = ctx.data_opt::<UploadOutcome>().ok_or_else(|| {
            AppError::bad_input(
                "file",
                "send the file in a GraphQL multipart request (multipart/form-data)",
            )
        })?;
        Ok(Attachment(outcome.take(id)?))
    }

    /// Removes an attachment and its file: the uploader their own, the leader anyone's.
    async fn remove_attachment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletedPayload> {
        let viewer = ctx.viewer()?;
        let id = parse_id("id", &id)?;
        let removed = service::remove(ctx.state(), viewer, id).await?;
        Ok(DeletedPayload {
            id: ID(removed.to_string()),
        })
    }

    /// Replaces the company's allowed attachment extensions (admins only); answers the
    /// settings with the new `allowedAttachmentTypes`. Files already attached stay.
    async fn set_allowed_attachment_types(
        &self,
        ctx: &Context<'_>,
        extensions: Vec<String>,
    ) -> async_graphql::Result<CompanySettings> {
        let viewer = ctx.viewer()?;
        service::set_allowed_types(ctx.state(), viewer, &extensions).await?;
        Ok(org::service::company_of(ctx.state(), viewer).await?.into())
    }
}
