//! The check that keeps an API token to the operations its scopes open (SPEC §5, §7).
//!
//! Every request made with an API token runs through a schema with this extension
//! (`graphql::pipeline`), which checks every root field before it resolves, so a root field
//! added later is refused to tokens until the policy's table opens it — a token's default is
//! "no" without any resolver having to remember it. What an opened operation returns is then
//! restricted by the policy's row-level scopes like for anyone else.

use std::sync::Arc;

use async_graphql::{
    PathSegment, Pos, ServerError, ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};

use crate::{
    graphql::RequestData,
    policy::{self, Operation},
};

/// The schema extension that runs `check_root_field`.
pub(crate) struct TokenGate;

impl ExtensionFactory for TokenGate {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TokenGate)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for TokenGate {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        check_root_field(ctx, &info)?;
        next.run(ctx, info).await
    }
}

/// Refuses a token a root field its scopes do not open; anything else passes.
fn check_root_field(ctx: &ExtensionContext<'_>, info: &ResolveInfo<'_>) -> Result<(), ServerError> {
    let root_field = info.path_node.parent.is_none() && !info.is_for_introspection;
    if !root_field {
        return Ok(());
    }
    let Some(viewer) = ctx
        .data_opt::<RequestData>()
        .and_then(|request| request.credentials.viewer())
    else {
        return Ok(());
    };
    let registry = &ctx.schema_env.registry;
    let operation = if info.parent_type == registry.query_type {
        Operation::Query
    } else if registry.mutation_type.as_deref() == Some(info.parent_type) {
        Operation::Mutation
    } else {
        Operation::Subscription
    };
    policy::require_root_field(viewer, operation, info.name).map_err(|refusal| {
        let mut error = async_graphql::Error::from(refusal).into_server_error(Pos::default());
        error.locations.clear();
        error.path = vec![PathSegment::Field(
            info.alias.unwrap_or(info.name).to_owned(),
        )];
        error
    })
}
