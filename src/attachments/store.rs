//! The object store attachments live in, chosen by `STORAGE_URL` (SPEC §1's tiers):
//! `file:///path` (default `DATA_DIR/attachments`), `memory://` (tests), `s3://bucket[/prefix]`
//! (the usual `AWS_*` variables; `AWS_ENDPOINT_URL` for S3-compatible servers, plain HTTP
//! allowed when that endpoint is `http://`).

use std::{path::PathBuf, sync::Arc};

use anyhow::{Context, bail};
use object_store::{
    ObjectStore, aws::AmazonS3Builder, local::LocalFileSystem, memory::InMemory,
    prefix::PrefixStore,
};

use crate::config::Config;

#[derive(Clone)]
pub struct AttachmentStore {
    pub store: Arc<dyn ObjectStore>,
    /// Bytes per multipart part: S3 requires at least 5 MiB (but the last); the file system
    /// takes smaller parts, which keeps memory per upload low.
    pub part_size: usize,
    /// Parts in flight per upload (back pressure on the request body).
    pub max_parts_in_flight: usize,
    /// The directory of a `file://` store, where a crashed node may leave staging files.
    pub local_root: Option<PathBuf>,
    /// `file`, `memory` or `s3`, for logs and the benchmark.
    pub kind: &'static str,
}

const S3_PART: usize = 5 * 1024 * 1024;
const LOCAL_PART: usize = 1024 * 1024;

impl AttachmentStore {
    pub fn open(config: &Config) -> anyhow::Result<Self> {
        let url = config
            .storage_url
            .clone()
            .unwrap_or_else(|| format!("file://{}", config.data_dir.join("attachments").display()));
        if let Some(path) = url.strip_prefix("file://") {
            let root = PathBuf::from(path);
            std::fs::create_dir_all(&root)
                .with_context(|| format!("creating the attachment directory {}", root.display()))?;
            let root = root
                .canonicalize()
                .context("resolving the attachment directory")?;
            let store = LocalFileSystem::new_with_prefix(&root)
                .context("opening the attachment directory")?
                .with_automatic_cleanup(true);
            return Ok(Self {
                store: Arc::new(store),
                part_size: LOCAL_PART,
                max_parts_in_flight: 2,
                local_root: Some(root),
                kind: "file",
            });
        }
        if url == "memory://" || url == "memory:" {
            return Ok(Self {
                store: Arc::new(InMemory::new()),
                part_size: LOCAL_PART,
                max_parts_in_flight: 2,
                local_root: None,
                kind: "memory",
            });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                bail!("STORAGE_URL s3://bucket[/prefix] names no bucket");
            }
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL")
                && !endpoint.trim().is_empty()
            {
                builder = builder
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint.trim());
            }
            let s3 = builder.build().context("configuring the S3 store")?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix))
            };
            return Ok(Self {
                store,
                part_size: S3_PART,
                max_parts_in_flight: 2,
                local_root: None,
                kind: "s3",
            });
        }
        bail!("STORAGE_URL must be file://…, memory:// or s3://bucket[/prefix], not {url:?}")
    }
}
