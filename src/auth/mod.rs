//! Who is calling: passwords, signed tokens, API tokens, login limits, and turning an
//! `Authorization` header into a `Viewer`.

pub mod api_tokens;
pub mod gate;
pub mod graphql;
pub mod password;
pub mod rate_limit;
pub mod service;
pub mod tokens;
pub mod types;

use crate::policy::Viewer;

/// What a request's `Authorization` header proved.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// No header.
    Anonymous,
    /// A header that proves nothing: bad signature, expired, revoked, deactivated user.
    Invalid,
    User(Viewer),
    /// An API token of a company (`coach_at_…`), acting within its scopes.
    ApiToken(Viewer),
    /// The deployment's `OPERATOR_TOKEN`, which may provision companies and nothing else.
    Operator,
}

impl Credentials {
    /// The viewer a person's or an API token's credentials prove.
    pub fn viewer(&self) -> Option<&Viewer> {
        match self {
            Self::User(viewer) | Self::ApiToken(viewer) => Some(viewer),
            Self::Anonymous | Self::Invalid | Self::Operator => None,
        }
    }
}

/// The token of an `Authorization: Bearer …` header value (scheme case-insensitive).
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
