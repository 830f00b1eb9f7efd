//! Tombstones for incremental sync (SPEC §7): a client that syncs with `updatedSince` learns
//! about changed rows from the lists, and about removed ones from `tombstones`.
//!
//! Every deletion of something a client may hold in its cache (a draft 1:1, an action item, a
//! discussion item, a kudo, an attachment) writes its tombstone in the deleting transaction,
//! so a tombstone exists exactly when the deletion committed. Who sees a tombstone is decided
//! by the policy like any other list: those who see the session it belonged to, and for a
//! deleted draft (which only its leader ever saw) that leader alone.
//!
//! A session made private is gone, too, for everyone who saw it but is not in it: each of
//! them gets a `HIDDEN` tombstone of their own, written in the same transaction. What changes
//! a person's sight of many sessions at once (a team, role or setting change) cannot be told
//! session by session; it stamps the person (`users.sight_changed_at`), and a sync from before
//! the stamp is answered `resyncRequired`.

use chrono::{DateTime, Utc};
use entity::{company, one_on_one, tombstone, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Set,
    sea_query::{Expr, UnionType},
};
use uuid::Uuid;

use super::service::gate;
use crate::{
    auth::api_tokens,
    error::AppResult,
    graphql::connection::{Page, PageArgs, paginate},
    policy::{self, Viewer},
    state::AppState,
};

/// Records that `record_id` of `session` was deleted; call inside the deleting transaction.
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    session: &one_on_one::Model,
    kind: tombstone::Kind,
    record_id: Uuid,
) -> AppResult<()> {
    // Only a draft can be deleted as a whole, and only its leader ever saw a draft.
    let visible_to = (kind == tombstone::Kind::OneOnOne).then_some(session.leader_id);
    insert(
        db,
        session,
        kind,
        tombstone::Reason::Deleted,
        record_id,
        visible_to,
    )
    .await
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    session: &one_on_one::Model,
    kind: tombstone::Kind,
    reason: tombstone::Reason,
    record_id: Uuid,
    visible_to: Option<Uuid>,
) -> AppResult<()> {
    tombstone::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(session.company_id),
        kind: Set(kind),
        reason: Set(reason),
        record_id: Set(record_id),
        one_on_one_id: Set(session.id),
        visible_to: Set(visible_to),
        deleted_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Candidates asked per statement, each a branch of one `UNION ALL` (bounded so that a large
/// company stays well within a statement's parameter limit).
const CANDIDATES_PER_STATEMENT: usize = 100;

/// Everyone who sees `session` without being in it (people of the onlooker roles, and the
/// company's working tokens), as the policy answers for each of them: one branch per
/// candidate, so the rule stays the policy's own, and one statement per hundred candidates.
async fn onlookers<C: ConnectionTrait>(
    db: &C,
    company: &company::Model,
    session: &one_on_one::Model,
) -> AppResult<Vec<Uuid>> {
    let people = user::Entity::find()
        .filter(user::Column::CompanyId.eq(company.id))
        .filter(user::Column::Role.is_in(policy::ONLOOKER_ROLES))
        .filter(user::Column::Id.is_not_in([session.leader_id, session.member_id]))
        .all(db)
        .await?;
    let tokens = api_tokens::live_tokens(db, company.id).await?;
    let candidates: Vec<Viewer> = people
        .iter()
        .map(Viewer::for_person)
        .chain(tokens.iter().map(api_tokens::viewer_of))
        .collect();
    let mut seeing = Vec::new();
    for chunk in candidates.chunks(CANDIDATES_PER_STATEMENT) {
        // The candidate's place in the chunk when the policy lets them see the session.
        let sees = |(place, candidate): (usize, &Viewer)| {
            one_on_one::Entity::find_by_id(session.id)
                .select_only()
                .expr_as(Expr::val(place as i64), "place")
                .filter(policy::one_on_one_scope(candidate, company))
                .into_query()
        };
        let mut branches = chunk.iter().enumerate().map(sees);
        let Some(mut union) = branches.next() else {
            continue;
        };
        for branch in branches {
            union.union(UnionType::All, branch);
        }
        for row in db.query_all(&union).await? {
            let place: i64 = row.try_get("", "place")?;
            if let Some(candidate) = usize::try_from(place).ok().and_then(|at| chunk.get(at)) {
                seeing.push(candidate.user_id);
            }
        }
    }
    Ok(seeing)
}

/// Tells everyone who sees `session` but is not in it that it is gone for them: call inside
/// the transaction that makes it private, before the change.
pub(crate) async fn record_hidden<C: ConnectionTrait>(
    db: &C,
    company: &company::Model,
    session: &one_on_one::Model,
) -> AppResult<()> {
    for onlooker in onlookers(db, company, session).await? {
        insert(
            db,
            session,
            tombstone::Kind::OneOnOne,
            tombstone::Reason::Hidden,
            session.id,
            Some(onlooker),
        )
        .await?;
    }
    Ok(())
}

/// Stamps the people whose sight of sessions changed at once (team, role, setting changes).
pub(crate) async fn sight_changed<C: ConnectionTrait>(
    db: &C,
    people: sea_orm::Condition,
    at: DateTime<Utc>,
) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::SightChangedAt, Expr::value(at))
        .filter(people)
        .exec(db)
        .await?;
    Ok(())
}

/// What a client syncing from `since` must apply.
pub struct SyncChanges {
    /// The tombstones the viewer may see, oldest first.
    pub tombstones: Page<(Uuid, tombstone::Model)>,
    /// The viewer's sight of sessions changed at or after `since` in a way tombstones do not
    /// list: the client refetches its lists in full.
    pub resync_required: bool,
}

/// The tombstones the viewer may see of deletions at or after `since`, and whether that is
/// enough to sync from `since`.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    since: DateTime<Utc>,
    kinds: Option<Vec<tombstone::Kind>>,
    page: &PageArgs,
) -> AppResult<SyncChanges> {
    use tombstone::Column;
    let company = gate(&state.db, viewer).await?;
    // A token's sight never changes but through sessions; a person's is stamped.
    let sight_changed_at = match viewer.caller() {
        policy::Caller::ApiToken(_) => None,
        policy::Caller::Person(_) => user::Entity::find_by_id(viewer.user_id)
            .one(&state.db)
            .await?
            .and_then(|person| person.sight_changed_at),
    };
    let mut query = tombstone::Entity::find()
        .filter(policy::tombstone_scope(viewer, &company))
        .filter(Column::DeletedAt.gte(since));
    if let Some(kinds) = kinds {
        query = query.filter(Column::Kind.is_in(kinds));
    }
    Ok(SyncChanges {
        tombstones: paginate(&state.db, query, Column::Id, |t| t.id, page).await?,
        resync_required: sight_changed_at.is_some_and(|at| at >= since),
    })
}
