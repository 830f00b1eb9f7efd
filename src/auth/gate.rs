//! The check that keeps an API token to the operations its scopes open (SPEC §5, §7).
//!
//! The request pipeline (`graphql::pipeline`) runs it before every root field of every
//! request, so a root field added later is refused to tokens until the policy's table opens
//! it — a token's default is "no" without any resolver having to remember it. What an opened
//! operation returns is then restricted by the policy's row-level scopes like for anyone else.

use async_graphql::{
    PathSegment, Pos, ServerError,
    extensions::{ExtensionContext, ResolveInfo},
};

use crate::{
    graphql::RequestData,
    policy::{self, Operation},
};

/// Refuses a token a root field its scopes do not open; anything else passes.
pub(crate) fn check_root_field(
    ctx: &ExtensionContext<'_>,
    info: &ResolveInfo<'_>,
) -> Result<(), ServerError> {
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
