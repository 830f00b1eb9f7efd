//! The check that keeps an API token to the operations its scopes open (SPEC §5, §7).
//!
//! It runs before every root field of every request, so a root field added later is refused
//! to tokens until the policy's table opens it — a token's default is "no" without any
//! resolver having to remember it. What an opened operation returns is then restricted by
//! the policy's row-level scopes like for anyone else.

use std::sync::Arc;

use async_graphql::{
    PathSegment, Pos, ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};

use crate::{
    graphql::RequestData,
    policy::{self, Operation},
};

pub struct ApiTokenGate;

impl ExtensionFactory for ApiTokenGate {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ApiTokenGate)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ApiTokenGate {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let viewer = ctx
            .data_opt::<RequestData>()
            .and_then(|request| request.credentials.viewer());
        let root_field = info.path_node.parent.is_none() && !info.is_for_introspection;
        if let Some(viewer) = viewer.filter(|_| root_field) {
            let registry = &ctx.schema_env.registry;
            let operation = if info.parent_type == registry.query_type {
                Operation::Query
            } else if registry.mutation_type.as_deref() == Some(info.parent_type) {
                Operation::Mutation
            } else {
                Operation::Subscription
            };
            if let Err(refusal) = policy::require_root_field(viewer, operation, info.name) {
                let mut error =
                    async_graphql::Error::from(refusal).into_server_error(Pos::default());
                error.locations.clear();
                error.path = vec![PathSegment::Field(
                    info.alias.unwrap_or(info.name).to_owned(),
                )];
                return Err(error);
            }
        }
        next.run(ctx, info).await
    }
}
