//! SPEC §5 and §7 for API tokens: which operations each scope opens to a token. A token is
//! refused every root field its scopes do not list here — new fields included — so the
//! default for a token is always "no"; the row-level rules (`one_on_one_scope`,
//! `coaching_session_scope`, `person_records_scope`, personal notes) then decide what the
//! opened operations return.

use super::{Caller, Viewer, allow};
use crate::error::AppResult;

/// What a token may be granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiScope {
    /// The `analytics` query, counting only what the TOK row of SPEC §5 sees.
    ReadAnalytics,
    /// Shared non-private 1:1s, coached coaching sessions, ingested records and the
    /// organization lists needed to interpret them, read-only.
    ReadRecords,
    /// Writing ingested records (metric values, feedback, QA reviews, lessons).
    Ingest,
}

impl ApiScope {
    pub const ALL: [ApiScope; 3] = [Self::ReadAnalytics, Self::ReadRecords, Self::Ingest];

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of scopes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApiScopes(u8);

impl ApiScopes {
    pub fn contains(self, scope: ApiScope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = ApiScope> {
        ApiScope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<ApiScope> for ApiScopes {
    fn from_iter<I: IntoIterator<Item = ApiScope>>(scopes: I) -> Self {
        Self(scopes.into_iter().fold(0, |bits, s| bits | s.bit()))
    }
}

/// What an authenticated API token carries into every rule.
#[derive(Clone, Debug)]
pub struct ApiTokenGrant {
    pub token_id: uuid::Uuid,
    pub scopes: ApiScopes,
}

impl ApiTokenGrant {
    /// Whether the token sees the sessions SPEC §5's TOK row sees: `READ_RECORDS` to read
    /// them, `READ_ANALYTICS` to count them in aggregates.
    pub fn sees_tok_row(&self) -> bool {
        self.scopes.contains(ApiScope::ReadRecords) || self.scopes.contains(ApiScope::ReadAnalytics)
    }
}

/// The kind of root type a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Query,
    Mutation,
    Subscription,
}

/// The root fields `scope` opens, by operation. Subscriptions are never opened: live
/// co-editing is for people.
fn opened_by(scope: ApiScope, operation: Operation) -> &'static [&'static str] {
    match (scope, operation) {
        (ApiScope::ReadRecords, Operation::Query) => &[
            "oneOnOnes",
            "oneOnOne",
            "tombstones",
            "coachingSessions",
            "coachingSession",
            "learningHistory",
            "coachingForms",
            "coachingForm",
            "users",
            "user",
            "teams",
            "team",
            "coachingCategories",
            "metrics",
            "metricValues",
            "feedbackRecords",
            "qaReviews",
            "lessons",
        ],
        (ApiScope::ReadAnalytics, Operation::Query) => &["analytics"],
        (ApiScope::Ingest, Operation::Mutation) => &[
            "recordMetricValues",
            "recordFeedback",
            "recordQaReview",
            "upsertLesson",
        ],
        (ApiScope::ReadRecords | ApiScope::ReadAnalytics, Operation::Mutation)
        | (ApiScope::Ingest, Operation::Query)
        | (_, Operation::Subscription) => &[],
    }
}

/// Whether `viewer` may call the root field `field` of `operation`: people always (their
/// rules are checked by each service); a token only when one of its scopes opens it.
pub fn require_root_field(viewer: &Viewer, operation: Operation, field: &str) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(_) => true,
        Caller::ApiToken(grant) => grant
            .scopes
            .iter()
            .any(|scope| opened_by(scope, operation).contains(&field)),
    })
}

/// Reading a session's files outside GraphQL (attachment downloads, PDF exports): people who
/// see the session, and `READ_RECORDS` tokens that see it (the session's visibility is
/// checked by the caller).
pub fn require_http_record_read(viewer: &Viewer) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(_) => true,
        Caller::ApiToken(grant) => grant.scopes.contains(ApiScope::ReadRecords),
    })
}

/// Managing a company's API tokens: its admins.
pub fn require_api_token_admin(viewer: &Viewer) -> AppResult<()> {
    allow(match viewer.caller() {
        Caller::Person(role) => role == entity::user::Role::Admin,
        Caller::ApiToken(_) => false,
    })
}
