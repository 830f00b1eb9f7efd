//! What every GraphQL operation goes through around its execution: its document parsed once
//! per distinct query text (a per-node cache), its operations counted, the alias limit; after
//! it ran, its errors coded and counted. HTTP requests, uploads and the opening of
//! subscriptions all run through `GraphqlApi`, so none can skip a step.
//!
//! Why not a schema extension: async-graphql sends every resolved field through every
//! registered extension's `resolve` — a registry lookup and a boxed future per field — even
//! where the extension only forwards it, and a page of twenty 1:1s resolves hundreds of
//! fields. The only per-field hook we need is the API-token gate, so only API tokens' requests
//! run through a schema that has it (`auth::gate::TokenGate`); people's requests take
//! async-graphql's fast path.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::{Request, Response, ServerError, parser::types::ExecutableDocument};
use futures_util::stream::BoxStream;
use lru::LruCache;

use super::{AppSchema, default_error_codes, limits};
use crate::{auth::Credentials, metrics::Metrics};

/// Distinct documents a node keeps parsed: clients send a handful of fixed documents.
const CACHED_DOCUMENTS: usize = 256;
/// Longer query texts are parsed every time rather than kept.
const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;

/// The node's GraphQL entry point.
#[derive(Clone)]
pub struct GraphqlApi {
    people: AppSchema,
    api_tokens: AppSchema,
    documents: Arc<Mutex<LruCache<String, ExecutableDocument>>>,
    metrics: Arc<Metrics>,
}

impl GraphqlApi {
    /// `people` and `api_tokens` are the same schema, the second with the token gate.
    pub(crate) fn new(people: AppSchema, api_tokens: AppSchema, metrics: Arc<Metrics>) -> Self {
        let capacity = NonZeroUsize::new(CACHED_DOCUMENTS).expect("non-zero");
        Self {
            people,
            api_tokens,
            documents: Arc::new(Mutex::new(LruCache::new(capacity))),
            metrics,
        }
    }

    /// The schema for executions that never run for a token: event renderings.
    pub(crate) fn schema(&self) -> &AppSchema {
        &self.people
    }

    /// The gated schema for anything an API token proves (either way it is recorded).
    fn schema_for(&self, credentials: &Credentials) -> &AppSchema {
        let api_token = matches!(credentials, Credentials::ApiToken(_))
            || credentials
                .viewer()
                .is_some_and(|viewer| viewer.api_token.is_some());
        if api_token {
            &self.api_tokens
        } else {
            &self.people
        }
    }

    /// Runs one query or mutation whose request data is attached; its errors carry codes.
    pub async fn execute(&self, mut request: Request, credentials: &Credentials) -> Response {
        let mut response = match self.prepare(&mut request) {
            Ok(()) => self.schema_for(credentials).execute(request).await,
            Err(error) => Response::from_errors(vec![error]),
        };
        default_error_codes(&mut response);
        self.metrics.count_response_errors(&response);
        response
    }

    /// Opens a subscription (or runs a query sent over the socket): its responses, or the
    /// refusal of its document.
    pub(crate) fn execute_stream(
        &self,
        mut request: Request,
        credentials: &Credentials,
    ) -> Result<BoxStream<'static, Response>, ServerError> {
        self.prepare(&mut request)?;
        Ok(self.schema_for(credentials).execute_stream(request))
    }

    /// Parses (or reuses) the document, counts its operations and holds it to the limits
    /// async-graphql does not have.
    fn prepare(&self, request: &mut Request) -> Result<(), ServerError> {
        let document = self.parse(&request.query)?;
        self.metrics.count_operations(&document);
        limits::check_aliases(&document)?;
        request.set_parsed_query(document);
        Ok(())
    }

    /// The document of `query`, parsed once per node while it is in use.
    pub(crate) fn parse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
        let cacheable = query.len() <= MAX_CACHED_QUERY_BYTES;
        if cacheable && let Some(document) = self.documents.lock().expect("poisoned").get(query) {
            return Ok(document.clone());
        }
        let document = async_graphql::parser::parse_query(query)?;
        if cacheable {
            self.documents
                .lock()
                .expect("poisoned")
                .put(query.to_owned(), document.clone());
        }
        Ok(document)
    }
}
