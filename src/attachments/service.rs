//! Attachments of 1:1 sessions: the upload pipeline (checked before a byte is read, streamed
//! into the store while counting, made visible in one transaction with its event), removal,
//! downloads by viewers and by signed links, each company's allowed types, and the sweep
//! that repairs what a crash leaves behind.
//!
//! No upload leaves an object without a row: the row is written `PENDING` before the object,
//! and until `StagedUpload::commit` turns it `READY`, a guard owns both — a refused, aborted,
//! truncated or cancelled upload (the request future dropped when the client disconnects)
//! deletes them; a crash leaves a stale pending row for `sweep`.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use entity::{
    attachment, company, company_attachment_types, discussion_item, one_on_one, tombstone,
};
use futures_util::{Stream, StreamExt, stream::BoxStream};
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart, path::Path};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect, sea_query::OnConflict,
};
use std::sync::Arc;
use uuid::Uuid;

use super::formats::{self, SIGNATURE_BYTES};
use crate::{
    auth::tokens::TokenKeys,
    error::{AppError, AppResult},
    one_on_ones::{
        events::{Event, SessionTxn},
        service::{Authorized, authorize, gate},
        tombstones,
    },
    policy::{self, OneOnOneAction, Setting, Viewer},
    state::AppState,
};

/// SPEC §3: 25 MB, exactly. One byte more is refused.
pub const MAX_FILE_BYTES: u64 = 26_214_400;

/// How long a signed download link works.
pub const LINK_TTL: Duration = Duration::from_secs(5 * 60);

/// How old a pending row or an object without a row must be before the sweep removes it:
/// longer than any upload may take, so a sweep never races a live upload on another node.
pub const SWEEP_GRACE: Duration = Duration::from_secs(30 * 60);

/// Most extensions a company may list.
const EXTENSIONS_MAX: usize = 200;

fn object_path(row: &attachment::Model) -> Path {
    Path::from(row.storage_key.as_str())
}

// ---------------------------------------------------------------------------------------------
// Allowed types

/// The company's allowed extensions: its own list, or SPEC §3's default.
pub async fn allowed_extensions<C: ConnectionTrait>(
    db: &C,
    company_id: Uuid,
) -> AppResult<Vec<String>> {
    Ok(
        match company_attachment_types::Entity::find_by_id(company_id)
            .one(db)
            .await?
        {
            Some(own) => own
                .extensions
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            None => formats::DEFAULT_EXTENSIONS
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
        },
    )
}

pub async fn allowed_types(state: &AppState, viewer: &Viewer) -> AppResult<Vec<String>> {
    allowed_extensions(&state.db, viewer.company_id).await
}

/// Replaces the company's list (admins only). Extensions are normalized (`.MP3` → `mp3`),
/// de-duplicated and sorted; files already uploaded stay.
pub async fn set_allowed_types(
    state: &AppState,
    viewer: &Viewer,
    extensions: &[String],
) -> AppResult<Vec<String>> {
    policy::require_setting_change(viewer, Setting::AllowedAttachmentTypes)?;
    if extensions.len() > EXTENSIONS_MAX {
        return Err(AppError::bad_input(
            "extensions",
            format!("at most {EXTENSIONS_MAX} extensions"),
        ));
    }
    let mut list = extensions
        .iter()
        .map(|raw| {
            formats::normalize_extension(raw).ok_or_else(|| {
                AppError::bad_input(
                    "extensions",
                    format!("{raw:?} is not an extension (letters and digits, up to 16)"),
                )
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    list.sort();
    list.dedup();
    company_attachment_types::Entity::insert(company_attachment_types::ActiveModel {
        company_id: Set(viewer.company_id),
        extensions: Set(list.join(" ")),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(company_attachment_types::Column::CompanyId)
            .update_columns([
                company_attachment_types::Column::Extensions,
                company_attachment_types::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(list)
}

// ---------------------------------------------------------------------------------------------
// Upload

/// Permission to upload into a session, granted before any byte of the file is read.
pub struct UploadTicket {
    session: one_on_one::Model,
    uploaded_by: Uuid,
    allowed: Vec<String>,
}

/// A file name that passed the checks, and its extension.
pub struct AcceptedName {
    pub name: String,
    pub extension: String,
}

/// SPEC §5's answers for uploading into `one_on_one_id`.
pub async fn begin_upload(
    state: &AppState,
    viewer: &Viewer,
    one_on_one_id: Uuid,
) -> AppResult<UploadTicket> {
    let Authorized { session, .. } = authorize(
        &state.db,
        viewer,
        one_on_one_id,
        Some(OneOnOneAction::UploadAttachment),
    )
    .await?;
    let allowed = allowed_extensions(&state.db, session.company_id).await?;
    Ok(UploadTicket {
        session,
        uploaded_by: viewer.user_id,
        allowed,
    })
}

impl UploadTicket {
    pub fn one_on_one_id(&self) -> Uuid {
        self.session.id
    }

    /// The sanitized name, if its extension is one the company allows.
    pub fn accept_name(&self, raw: Option<&str>) -> AppResult<AcceptedName> {
        let name = formats::sanitize_file_name(raw.unwrap_or_default());
        let extension = formats::extension_of(&name).unwrap_or_default();
        if !self.allowed.contains(&extension) {
            return Err(AppError::UnsupportedMediaType(format!(
                "files of type {:?} are not allowed here",
                if extension.is_empty() {
                    "(none)"
                } else {
                    &extension
                }
            )));
        }
        Ok(AcceptedName { name, extension })
    }
}

/// Deletes what an unfinished upload wrote: its multipart upload, its object, its pending
/// row. Runs inline on every error path, and from `Drop` when the request is cancelled.
struct Cleanup {
    db: DatabaseConnection,
    store: Arc<dyn ObjectStore>,
    id: Uuid,
    path: Path,
    writer: Option<WriteMultipart>,
    armed: bool,
}

impl Cleanup {
    async fn run(
        db: DatabaseConnection,
        store: Arc<dyn ObjectStore>,
        id: Uuid,
        path: Path,
        writer: Option<WriteMultipart>,
    ) {
        if let Some(writer) = writer {
            let _ = writer.abort().await;
        }
        match store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(err) => {
                tracing::warn!(error = %err, %path, "could not delete an unfinished upload; the sweep will")
            }
        }
        let deleted = attachment::Entity::delete_many()
            .filter(attachment::Column::Id.eq(id))
            .filter(attachment::Column::Status.eq(attachment::Status::Pending))
            .exec(&db)
            .await;
        if let Err(err) = deleted {
            tracing::warn!(error = %err, %id, "could not delete a pending attachment row; the sweep will");
        }
    }

    async fn now(mut self) {
        self.armed = false;
        let writer = self.writer.take();
        Self::run(
            self.db.clone(),
            self.store.clone(),
            self.id,
            self.path.clone(),
            writer,
        )
        .await;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let writer = self.writer.take();
        let task = Self::run(
            self.db.clone(),
            self.store.clone(),
            self.id,
            self.path.clone(),
            writer,
        );
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(task);
        }
    }
}

/// A file completely in the store whose row is still pending: `commit` shows it.
pub struct StagedUpload {
    cleanup: Cleanup,
    row: attachment::Model,
    session: one_on_one::Model,
}

/// Reads the file from `body` into the store. Refuses (and leaves nothing behind) a file of
/// no bytes, one whose first bytes do not match its extension's format, one over
/// `MAX_FILE_BYTES` (as soon as the byte after the limit arrives), and a body that fails.
pub async fn stage<S>(
    state: &AppState,
    ticket: &UploadTicket,
    name: AcceptedName,
    body: S,
) -> AppResult<StagedUpload>
where
    S: Stream<Item = AppResult<Bytes>> + Unpin,
{
    // Read to its end at most once, whoever reaches it (the head or the pump).
    let mut body = body.fuse();
    // The head: enough bytes to check the format, before anything is written.
    let mut head: Vec<Bytes> = Vec::new();
    let mut total: u64 = 0;
    while total < SIGNATURE_BYTES as u64 {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                total += chunk.len() as u64;
                head.push(chunk);
            }
            None => break,
        }
    }
    if total > MAX_FILE_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    if total == 0 {
        return Err(AppError::bad_input("file", "the file is empty"));
    }
    let first: Vec<u8> = head
        .iter()
        .flat_map(|c| c.iter().copied())
        .take(SIGNATURE_BYTES)
        .collect();
    if formats::signature_matches(&name.extension, &first) == Some(false) {
        return Err(AppError::UnsupportedMediaType(format!(
            "the file's content is not {}",
            name.extension
        )));
    }

    let now = Utc::now();
    let id = Uuid::now_v7();
    let row = attachment::ActiveModel {
        id: Set(id),
        company_id: Set(ticket.session.company_id),
        one_on_one_id: Set(ticket.session.id),
        uploaded_by: Set(ticket.uploaded_by),
        file_name: Set(name.name),
        content_type: Set(formats::content_type(&name.extension).to_owned()),
        size_bytes: Set(0),
        storage_key: Set(format!("{}/{id}", ticket.session.company_id)),
        status: Set(attachment::Status::Pending),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    let store = &state.attachments;
    let mut cleanup = Cleanup {
        db: state.db.clone(),
        store: store.store.clone(),
        id,
        path: object_path(&row),
        writer: None,
        armed: true,
    };
    match pump(store, &mut cleanup, head, total, &mut body).await {
        Ok(size) => Ok(StagedUpload {
            row: attachment::Model {
                size_bytes: size as i64,
                ..row
            },
            cleanup,
            session: ticket.session.clone(),
        }),
        Err(err) => {
            cleanup.now().await;
            Err(err)
        }
    }
}

/// Streams `head` and the rest of `body` into a multipart upload, at most
/// `max_parts_in_flight` parts at a time; returns the size.
async fn pump<S>(
    store: &super::store::AttachmentStore,
    cleanup: &mut Cleanup,
    head: Vec<Bytes>,
    mut total: u64,
    body: &mut futures_util::stream::Fuse<S>,
) -> AppResult<u64>
where
    S: Stream<Item = AppResult<Bytes>> + Unpin,
{
    let upload = store
        .store
        .put_multipart(&cleanup.path)
        .await
        .map_err(AppError::internal)?;
    let writer = cleanup
        .writer
        .insert(WriteMultipart::new_with_chunk_size(upload, store.part_size));
    for chunk in head {
        writer.put(chunk);
    }
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        total += chunk.len() as u64;
        if total > MAX_FILE_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        writer
            .wait_for_capacity(store.max_parts_in_flight)
            .await
            .map_err(AppError::internal)?;
        writer.put(chunk);
    }
    let writer = cleanup.writer.take().expect("the writer was just set");
    writer.finish().await.map_err(AppError::internal)?;
    Ok(total)
}

impl StagedUpload {
    pub fn one_on_one_id(&self) -> Uuid {
        self.session.id
    }

    /// Drops the staged file (the request turned out malformed after the file).
    pub async fn discard(self) {
        self.cleanup.now().await;
    }

    /// Shows the attachment: the row turns `READY` with its `AttachmentsChanged` event, in
    /// one transaction.
    pub async fn commit(mut self, state: &AppState) -> AppResult<attachment::Model> {
        let now = Utc::now();
        let result = async {
            let mut txn = SessionTxn::begin(state).await?;
            let updated = attachment::Entity::update_many()
                .col_expr(
                    attachment::Column::Status,
                    sea_orm::sea_query::Expr::value(attachment::Status::Ready),
                )
                .col_expr(
                    attachment::Column::SizeBytes,
                    sea_orm::sea_query::Expr::value(self.row.size_bytes),
                )
                .col_expr(
                    attachment::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(attachment::Column::Id.eq(self.row.id))
                .filter(attachment::Column::Status.eq(attachment::Status::Pending))
                .exec(txn.db())
                .await?;
            if updated.rows_affected != 1 {
                // The session (and with it the pending row) was deleted meanwhile.
                return Err(AppError::NotFound);
            }
            txn.append(&self.session, Event::AttachmentsChanged).await?;
            txn.commit().await?;
            Ok(())
        }
        .await;
        match result {
            Ok(()) => {
                self.cleanup.armed = false;
                Ok(attachment::Model {
                    status: attachment::Status::Ready,
                    updated_at: now,
                    ..self.row.clone()
                })
            }
            Err(err) => {
                self.cleanup.now().await;
                Err(err)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Removal

/// SPEC §5: the uploader removes their own attachment, the leader anyone's. Discussion items
/// that showed it go with it; the object is deleted after the rows.
pub async fn remove(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    gate(&state.db, viewer).await?;
    let row = ready_in_company(&state.db, viewer.company_id, id).await?;
    let Authorized { session, .. } = authorize(&state.db, viewer, row.one_on_one_id, None).await?;
    policy::require_one_on_one_action(
        viewer,
        &session,
        policy::attachment_removal(viewer, row.uploaded_by),
    )?;
    let mut txn = SessionTxn::begin(state).await?;
    let items: Vec<Uuid> = discussion_item::Entity::find()
        .select_only()
        .column(discussion_item::Column::Id)
        .filter(discussion_item::Column::AttachmentId.eq(row.id))
        .into_tuple()
        .all(txn.db())
        .await?;
    for item in &items {
        tombstones::record(txn.db(), &session, tombstone::Kind::DiscussionItem, *item).await?;
    }
    tombstones::record(txn.db(), &session, tombstone::Kind::Attachment, row.id).await?;
    discussion_item::Entity::delete_many()
        .filter(discussion_item::Column::AttachmentId.eq(row.id))
        .exec(txn.db())
        .await?;
    attachment::Entity::delete_by_id(row.id)
        .exec(txn.db())
        .await?;
    txn.append(&session, Event::AttachmentsChanged).await?;
    if !items.is_empty() {
        txn.append(&session, Event::DiscussionItemsChanged).await?;
    }
    txn.commit().await?;
    if let Err(err) = state.attachments.store.delete(&object_path(&row)).await {
        tracing::warn!(error = %err, id = %row.id, "attachment object not deleted; the sweep will");
    }
    Ok(row.id)
}

async fn ready_in_company<C: ConnectionTrait>(
    db: &C,
    company_id: Uuid,
    id: Uuid,
) -> AppResult<attachment::Model> {
    attachment::Entity::find_by_id(id)
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(attachment::Status::Ready))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// A ready attachment of `session`, for a discussion item.
pub async fn ready_in_session<C: ConnectionTrait>(
    db: &C,
    session: &one_on_one::Model,
    id: Uuid,
) -> AppResult<Option<attachment::Model>> {
    Ok(attachment::Entity::find_by_id(id)
        .filter(attachment::Column::OneOnOneId.eq(session.id))
        .filter(attachment::Column::Status.eq(attachment::Status::Ready))
        .one(db)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// Download

/// How a download proves it may read the attachment.
pub enum DownloadAccess<'a> {
    /// A signed-in viewer: SPEC §5's table decides.
    Viewer(&'a Viewer),
    /// A link `download_url` signed: valid until `expires` (Unix seconds).
    Link { expires: i64, signature: &'a str },
}

fn link_message(id: Uuid, expires: i64) -> String {
    format!("attachment-download {id} {expires}")
}

/// A link to the attachment that works without a token until it expires (minutes).
pub fn download_url(state: &AppState, id: Uuid) -> (String, DateTime<Utc>) {
    let expires_at = Utc::now() + LINK_TTL;
    let url = signed_link(&state.tokens, &state.config.public_base_url, id, expires_at);
    (url, expires_at)
}

/// `{base}/attachments/{id}?expires=…&sig=…`, signed with the node's link key.
pub fn signed_link(
    tokens: &TokenKeys,
    base_url: &str,
    id: Uuid,
    expires_at: DateTime<Utc>,
) -> String {
    let expires = expires_at.timestamp();
    let signature = tokens.sign_link(&link_message(id, expires));
    format!("{base_url}/attachments/{id}?expires={expires}&sig={signature}")
}

/// The attachment `access` may download. A link is checked first (signature, expiry), then
/// — like a viewer — the attachment and its session must still exist and 1:1s be on.
pub async fn downloadable(
    state: &AppState,
    access: DownloadAccess<'_>,
    id: Uuid,
) -> AppResult<attachment::Model> {
    match access {
        DownloadAccess::Viewer(viewer) => {
            gate(&state.db, viewer).await?;
            let row = ready_in_company(&state.db, viewer.company_id, id).await?;
            authorize(&state.db, viewer, row.one_on_one_id, None).await?;
            Ok(row)
        }
        DownloadAccess::Link { expires, signature } => {
            let now = Utc::now().timestamp();
            let fresh = expires >= now && expires <= now + LINK_TTL.as_secs() as i64 + 60;
            if !fresh
                || !state
                    .tokens
                    .verify_link(&link_message(id, expires), signature)
            {
                return Err(AppError::Unauthenticated);
            }
            let row = attachment::Entity::find_by_id(id)
                .filter(attachment::Column::Status.eq(attachment::Status::Ready))
                .one(&state.db)
                .await?
                .ok_or(AppError::NotFound)?;
            one_on_one::Entity::find_by_id(row.one_on_one_id)
                .filter(one_on_one::Column::CompanyId.eq(row.company_id))
                .one(&state.db)
                .await?
                .ok_or(AppError::NotFound)?;
            let company = company::Entity::find_by_id(row.company_id)
                .one(&state.db)
                .await?
                .ok_or(AppError::NotFound)?;
            if !company.one_on_ones_enabled {
                return Err(AppError::FeatureDisabled);
            }
            Ok(row)
        }
    }
}

/// The bytes of `row` (a range of them when given), streamed from the store.
pub async fn read(
    state: &AppState,
    row: &attachment::Model,
    range: Option<std::ops::Range<u64>>,
) -> AppResult<BoxStream<'static, Result<Bytes, object_store::Error>>> {
    let options = GetOptions {
        range: range.map(GetRange::Bounded),
        ..Default::default()
    };
    let result = state
        .attachments
        .store
        .get_opts(&object_path(row), options)
        .await
        .map_err(|err| match err {
            object_store::Error::NotFound { .. } => AppError::NotFound,
            err => AppError::internal(err),
        })?;
    match result.payload {
        // The file store's own stream reads 8 KiB per blocking task; reading the open file
        // with a larger buffer is several times faster.
        object_store::GetResultPayload::File(file, _) => {
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            let range = result.range;
            let mut file = tokio::fs::File::from_std(file);
            file.seek(std::io::SeekFrom::Start(range.start))
                .await
                .map_err(AppError::internal)?;
            let reader = file.take(range.end - range.start);
            Ok(
                tokio_util::io::ReaderStream::with_capacity(reader, DOWNLOAD_BUFFER)
                    .map(|chunk| {
                        chunk.map_err(|source| object_store::Error::Generic {
                            store: "LocalFileSystem",
                            source: Box::new(source),
                        })
                    })
                    .boxed(),
            )
        }
        object_store::GetResultPayload::Stream(stream) => Ok(stream),
    }
}

/// Bytes read from the file store per chunk of a download.
const DOWNLOAD_BUFFER: usize = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Sweep

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Pending rows (and their objects) of uploads that never finished.
    pub pending_rows: usize,
    /// Objects no row names (a deleted session's files, a crash after the row was removed).
    pub orphan_objects: usize,
    /// Staging files of the file store's multipart uploads cut off by a crash.
    pub staging_files: usize,
}

/// Removes what unfinished uploads left behind, older than `grace`.
pub async fn sweep(state: &AppState, grace: Duration) -> AppResult<SweepReport> {
    let cutoff = Utc::now() - chrono::Duration::from_std(grace).map_err(AppError::internal)?;
    let store = &state.attachments.store;
    let mut report = SweepReport::default();

    let stale = attachment::Entity::find()
        .filter(attachment::Column::Status.eq(attachment::Status::Pending))
        .filter(attachment::Column::CreatedAt.lt(cutoff))
        .all(&state.db)
        .await?;
    for row in stale {
        match store.delete(&object_path(&row)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(err) => return Err(AppError::internal(err)),
        }
        attachment::Entity::delete_many()
            .filter(attachment::Column::Id.eq(row.id))
            .filter(attachment::Column::Status.eq(attachment::Status::Pending))
            .exec(&state.db)
            .await?;
        report.pending_rows += 1;
    }

    let mut listing = store.list(None);
    let mut batch = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(AppError::internal)?;
        if meta.last_modified < cutoff {
            batch.push(meta.location);
        }
        if batch.len() >= 200 {
            report.orphan_objects +=
                delete_orphans(&state.db, store, std::mem::take(&mut batch)).await?;
        }
    }
    report.orphan_objects += delete_orphans(&state.db, store, batch).await?;

    if let Some(root) = state.attachments.local_root.clone() {
        let cutoff = std::time::SystemTime::now() - grace;
        report.staging_files = tokio::task::spawn_blocking(move || remove_staging(&root, cutoff))
            .await
            .map_err(AppError::internal)?;
    }
    if report != SweepReport::default() {
        tracing::info!(?report, "attachment sweep removed leftovers");
    }
    Ok(report)
}

/// Deletes the objects of `paths` that no attachment row names; returns how many.
async fn delete_orphans(
    db: &DatabaseConnection,
    store: &Arc<dyn ObjectStore>,
    paths: Vec<Path>,
) -> AppResult<usize> {
    if paths.is_empty() {
        return Ok(0);
    }
    let keys: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let known: Vec<String> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::StorageKey)
        .filter(attachment::Column::StorageKey.is_in(keys))
        .into_tuple()
        .all(db)
        .await?;
    let mut deleted = 0;
    for path in paths {
        if known.contains(&path.to_string()) {
            continue;
        }
        match store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => deleted += 1,
            Err(err) => return Err(AppError::internal(err)),
        }
    }
    Ok(deleted)
}

/// The file store writes a multipart upload to `<key>#<n>` and renames it when complete; a
/// crash leaves that file, which listing does not show.
fn remove_staging(root: &std::path::Path, cutoff: std::time::SystemTime) -> usize {
    let mut removed = 0;
    let Ok(companies) = std::fs::read_dir(root) else {
        return 0;
    };
    for company in companies.filter_map(Result::ok) {
        let Ok(files) = std::fs::read_dir(company.path()) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let staged = file.file_name().to_string_lossy().contains('#');
            let old = file
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < cutoff);
            if staged && old && std::fs::remove_file(file.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}
