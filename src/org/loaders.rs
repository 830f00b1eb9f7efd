//! Batched loads of related organization rows, so a list of N users or teams costs one query
//! per relation rather than one per parent.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{team, team_membership, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::AppError;

/// Loads relations of rows the viewer was already allowed to see; it is created per request.
pub struct OrgLoader {
    pub db: DatabaseConnection,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TeamsOfUser(pub Uuid);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeopleOfTeam(pub Uuid);

impl Loader<TeamsOfUser> for OrgLoader {
    type Value = Vec<(team::Model, team_membership::TeamRole)>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[TeamsOfUser],
    ) -> Result<HashMap<TeamsOfUser, Self::Value>, Self::Error> {
        let user_ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let memberships = team_membership::Entity::find()
            .filter(team_membership::Column::UserId.is_in(user_ids))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let team_ids: Vec<Uuid> = memberships.iter().map(|m| m.team_id).collect();
        let teams: HashMap<Uuid, team::Model> = team::Entity::find()
            .filter(team::Column::Id.is_in(team_ids))
            .order_by_asc(team::Column::Name)
            .all(&self.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut out: HashMap<TeamsOfUser, Self::Value> = HashMap::new();
        for membership in memberships {
            if let Some(team) = teams.get(&membership.team_id) {
                out.entry(TeamsOfUser(membership.user_id))
                    .or_default()
                    .push((team.clone(), membership.role));
            }
        }
        for placements in out.values_mut() {
            placements.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        }
        Ok(out)
    }
}

impl Loader<PeopleOfTeam> for OrgLoader {
    type Value = Vec<(user::Model, team_membership::TeamRole)>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PeopleOfTeam],
    ) -> Result<HashMap<PeopleOfTeam, Self::Value>, Self::Error> {
        let team_ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let memberships = team_membership::Entity::find()
            .filter(team_membership::Column::TeamId.is_in(team_ids))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let user_ids: Vec<Uuid> = memberships.iter().map(|m| m.user_id).collect();
        let users: HashMap<Uuid, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(&self.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut out: HashMap<PeopleOfTeam, Self::Value> = HashMap::new();
        for membership in memberships {
            if let Some(user) = users.get(&membership.user_id) {
                out.entry(PeopleOfTeam(membership.team_id))
                    .or_default()
                    .push((user.clone(), membership.role));
            }
        }
        for people in out.values_mut() {
            people.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        }
        Ok(out)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserById(pub Uuid);

impl Loader<UserById> for OrgLoader {
    type Value = user::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        Ok(user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(&self.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|u| (UserById(u.id), u))
            .collect())
    }
}
