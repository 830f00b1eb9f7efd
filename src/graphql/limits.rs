//! The alias limit, which async-graphql does not have. Depth and complexity do not stop
//! aliasing: a request holding hundreds of aliased `login` fields is shallow and within the
//! complexity budget, yet it runs hundreds of Argon2 hashes. So a document may hold
//! `MAX_ALIASES`, and more is refused with `BAD_USER_INPUT` before anything runs (checked by
//! the request pipeline once the document is parsed).

use async_graphql::{
    Pos, ServerError,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::error::AppError;

/// Most aliases one document may hold (operations and fragments together).
pub const MAX_ALIASES: usize = 30;

pub(crate) fn check_aliases(document: &ExecutableDocument) -> Result<(), ServerError> {
    let count = document
        .operations
        .iter()
        .map(|(_, operation)| aliases_in(&operation.node.selection_set.node))
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| aliases_in(&fragment.node.selection_set.node)),
        )
        .sum::<usize>();
    if count > MAX_ALIASES {
        let refusal = AppError::bad_input(
            "query",
            format!("a request may use at most {MAX_ALIASES} aliases, this one has {count}"),
        );
        return Err(async_graphql::Error::from(refusal).into_server_error(Pos::default()));
    }
    Ok(())
}

/// Aliases in a selection set and everything nested in it (the parser's recursion limit bounds
/// the nesting).
fn aliases_in(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + aliases_in(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => aliases_in(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}
