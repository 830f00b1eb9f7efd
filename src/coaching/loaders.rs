//! Batched loads of what a page of coaching sessions shows: the commitment and follow-up rows
//! of coached sessions (for their done state) and the forms they were started from. Only
//! called for sessions the viewer was allowed to see.

use async_graphql::dataloader::Loader;
use entity::{coaching_commitment, coaching_follow_up, coaching_form};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::one_on_ones::loaders::{LoadResult, by_id, grouped};

pub struct CoachingLoader {
    pub db: DatabaseConnection,
}

/// Commitment rows of a coached session.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommitmentsOf(pub Uuid);

/// Follow-up rows of a coached session.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FollowUpsOf(pub Uuid);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FormById(pub Uuid);

impl Loader<CommitmentsOf> for CoachingLoader {
    type Value = Vec<coaching_commitment::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[CommitmentsOf]) -> LoadResult<CommitmentsOf, Self::Value> {
        use coaching_commitment::Column as C;
        let ids = keys.iter().map(|k| k.0).collect();
        grouped::<coaching_commitment::Entity, _>(&self.db, C::SessionId, ids, C::Id, |c| {
            CommitmentsOf(c.session_id)
        })
        .await
    }
}

impl Loader<FollowUpsOf> for CoachingLoader {
    type Value = Vec<coaching_follow_up::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FollowUpsOf]) -> LoadResult<FollowUpsOf, Self::Value> {
        use coaching_follow_up::Column as C;
        let ids = keys.iter().map(|k| k.0).collect();
        grouped::<coaching_follow_up::Entity, _>(&self.db, C::SessionId, ids, C::Id, |f| {
            FollowUpsOf(f.session_id)
        })
        .await
    }
}

impl Loader<FormById> for CoachingLoader {
    type Value = coaching_form::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FormById]) -> LoadResult<FormById, Self::Value> {
        let ids = keys.iter().map(|k| k.0).collect();
        by_id::<coaching_form::Entity, _>(&self.db, coaching_form::Column::Id, ids, |f| {
            FormById(f.id)
        })
        .await
    }
}
