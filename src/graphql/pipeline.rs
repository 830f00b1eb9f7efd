//! The one schema extension: the alias limit and operation counts once a document is parsed,
//! error counts once it has run, and the API-token gate before each root field.
//!
//! Why one: async-graphql sends every resolved field through every registered extension's
//! `resolve`, each a boxed future, even where the extension only forwards it. A page of
//! twenty 1:1s resolves hundreds of fields, so three extensions cost three layers on each;
//! one extension whose `resolve` returns at once below the root costs one.

use std::sync::Arc;

use async_graphql::{
    ServerResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextResolve,
        ResolveInfo,
    },
    parser::types::ExecutableDocument,
};

use super::limits;
use crate::{auth::gate, metrics::Metrics};

/// The node's metrics, which the pipeline counts into.
pub(crate) struct RequestPipeline(pub Arc<Metrics>);

impl ExtensionFactory for RequestPipeline {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestPipeline(self.0.clone()))
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestPipeline {
    async fn request(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextRequest<'_>,
    ) -> async_graphql::Response {
        let response = next.run(ctx).await;
        self.0.count_response_errors(&response);
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        self.0.count_operations(&document);
        limits::check_aliases(&document)?;
        Ok(document)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        gate::check_root_field(ctx, &info)?;
        next.run(ctx, info).await
    }
}
