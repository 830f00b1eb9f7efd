//! The GraphQL schema: each domain contributes its query and mutation roots, merged here.
//! Resolvers are thin: they read the viewer from the request and call their domain's service.

pub mod connection;
mod limits;
mod pipeline;

pub use limits::MAX_ALIASES;
pub use pipeline::GraphqlApi;

use std::sync::Arc;

use async_graphql::{Context, ID, MergedObject, Schema, dataloader::DataLoader};

use crate::{
    analytics::graphql::AnalyticsQuery,
    attachments::graphql::AttachmentMutation,
    auth::{Credentials, graphql::AuthMutation, graphql::AuthQuery},
    coaching::{
        graphql::{CoachingMutation, CoachingQuery},
        loaders::CoachingLoader,
    },
    dashboard::graphql::DashboardQuery,
    error::{AppError, AppResult},
    ingest::graphql::{IngestMutation, IngestQuery},
    one_on_ones::{
        graphql::{OneOnOneMutation, OneOnOneQuery},
        loaders::OneOnOneLoader,
    },
    org::{
        graphql::{OrgMutation, OrgQuery},
        loaders::OrgLoader,
    },
    policy::Viewer,
    realtime::subscription::RealtimeSubscription,
    sql_count::spawn_like_caller,
    state::AppState,
};

#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    OrgQuery,
    IngestQuery,
    OneOnOneQuery,
    CoachingQuery,
    DashboardQuery,
    AnalyticsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    OrgMutation,
    IngestMutation,
    OneOnOneMutation,
    CoachingMutation,
    AttachmentMutation,
);

pub type AppSchema = Schema<Query, Mutation, RealtimeSubscription>;

/// Limits that keep one request from exhausting the server (SPEC §8).
pub const MAX_DEPTH: usize = 16;
pub const MAX_COMPLEXITY: usize = 5_000;
pub const MAX_RECURSIVE_DEPTH: usize = 32;

/// The schema without state: enough to print the SDL.
pub fn schema_builder() -> async_graphql::SchemaBuilder<Query, Mutation, RealtimeSubscription> {
    Schema::build(Query::default(), Mutation::default(), RealtimeSubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
}

/// The node's GraphQL entry point: the schema for people, and the same with the API-token
/// gate for tokens (see `pipeline`).
pub fn build_api(state: AppState) -> GraphqlApi {
    let build = || {
        let mut builder = schema_builder();
        if state.config.is_production() {
            builder = builder.disable_introspection().disable_suggestions();
        }
        builder.data(state.clone())
    };
    let metrics = state.metrics.clone();
    GraphqlApi::new(
        build().finish(),
        build().extension(crate::auth::gate::TokenGate).finish(),
        metrics,
    )
}

/// The SDL as `print-schema` writes it to `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// Per-request data the HTTP layer attaches.
#[derive(Clone)]
pub struct RequestData {
    pub credentials: Credentials,
    pub client_address: String,
    /// Batches related organization rows; one per request, so its cache never outlives it.
    pub org_loader: Arc<DataLoader<OrgLoader>>,
    pub one_on_one_loader: Arc<DataLoader<OneOnOneLoader>>,
    pub coaching_loader: Arc<DataLoader<CoachingLoader>>,
}

pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn request(&self) -> &RequestData;
    /// The signed-in user or API token; `UNAUTHENTICATED` without valid credentials.
    fn viewer(&self) -> AppResult<&Viewer>;
    fn org_loader(&self) -> &DataLoader<OrgLoader>;
    fn one_on_one_loader(&self) -> &DataLoader<OneOnOneLoader>;
    fn coaching_loader(&self) -> &DataLoader<CoachingLoader>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn request(&self) -> &RequestData {
        self.data_unchecked::<RequestData>()
    }

    fn viewer(&self) -> AppResult<&Viewer> {
        self.request()
            .credentials
            .viewer()
            .ok_or(AppError::Unauthenticated)
    }

    fn org_loader(&self) -> &DataLoader<OrgLoader> {
        &self.request().org_loader
    }

    fn one_on_one_loader(&self) -> &DataLoader<OneOnOneLoader> {
        &self.request().one_on_one_loader
    }

    fn coaching_loader(&self) -> &DataLoader<CoachingLoader> {
        &self.request().coaching_loader
    }
}

/// Every id the API hands out is a UUID; anything else cannot name a record.
pub fn parse_id(field: &str, id: &ID) -> AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id.as_str()).map_err(|_| AppError::bad_input(field, "not a valid id"))
}

/// Errors async-graphql raises itself (syntax, validation, wrong argument types, limits) have
/// no code; they are all the client's input.
pub fn default_error_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
}

/// The loaders of one request (or one subscription), so their caches never outlive it.
pub fn request_data(
    db: &sea_orm::DatabaseConnection,
    credentials: Credentials,
    client_address: String,
) -> RequestData {
    RequestData {
        credentials,
        client_address,
        org_loader: Arc::new(DataLoader::new(
            OrgLoader { db: db.clone() },
            spawn_like_caller,
        )),
        one_on_one_loader: Arc::new(DataLoader::new(
            OneOnOneLoader::new(db.clone()),
            spawn_like_caller,
        )),
        coaching_loader: Arc::new(DataLoader::new(
            CoachingLoader { db: db.clone() },
            spawn_like_caller,
        )),
    }
}
