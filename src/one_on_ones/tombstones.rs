//! Tombstones for incremental sync (SPEC §7): a client that syncs with `updatedSince` learns
//! about changed rows from the lists, and about removed ones from `tombstones`.
//!
//! Every deletion of something a client may hold in its cache (a draft 1:1, an action item, a
//! discussion item, a kudo, an attachment) writes its tombstone in the deleting transaction,
//! so a tombstone exists exactly when the deletion committed. Who sees a tombstone is decided
//! by the policy like any other list: those who see the session it belonged to, and for a
//! deleted draft (which only its leader ever saw) that leader alone.

use chrono::{DateTime, Utc};
use entity::{one_on_one, tombstone};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::service::gate;
use crate::{
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
    tombstone::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(session.company_id),
        kind: Set(kind),
        record_id: Set(record_id),
        one_on_one_id: Set(session.id),
        visible_to: Set(visible_to),
        deleted_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The tombstones the viewer may see of deletions at or after `since`, oldest first.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    since: DateTime<Utc>,
    kinds: Option<Vec<tombstone::Kind>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, tombstone::Model)>> {
    use tombstone::Column;
    let company = gate(&state.db, viewer).await?;
    let mut query = tombstone::Entity::find()
        .filter(policy::tombstone_scope(viewer, &company))
        .filter(Column::DeletedAt.gte(since));
    if let Some(kinds) = kinds {
        query = query.filter(Column::Kind.is_in(kinds));
    }
    paginate(&state.db, query, Column::Id, |t| t.id, page).await
}
