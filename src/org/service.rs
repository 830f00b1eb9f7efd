//! Organization operations. Every function takes the viewer and asks the policy first; every
//! query is tenant-scoped through `policy::tenant`.

use chrono::{DateTime, Utc};
use entity::{coaching_category, company, team, team_membership, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::{
    auth::{password, service::revoke_all},
    error::{AppError, AppResult},
    graphql::connection::{Page, PageArgs, paginate},
    one_on_ones::tombstones,
    policy::{self, Setting, Viewer},
    realtime::bus::BusMessage,
    state::AppState,
    validate,
};

/// Tells open live streams of the company to re-check who sees what.
fn access_changed(state: &AppState, viewer: &Viewer) {
    state.bus.publish(vec![BusMessage::AccessChanged {
        company_id: viewer.company_id,
    }]);
}

pub const DEFAULT_CATEGORIES: [&str; 4] = ["Other", "Productivity", "Quality", "Stella"];

// ---------------------------------------------------------------------------------------------
// Companies (operator provisioning)

pub struct NewPerson {
    pub name: String,
    pub email: String,
    pub password: String,
}

pub struct NewCompany {
    pub name: String,
    pub time_zone: String,
    pub admin: NewPerson,
}

/// Creates a tenant with its default settings and categories, and its first admin. Only the
/// operator calls this (the `createCompany` mutation checks `OPERATOR_TOKEN`; the CLI runs on
/// the server itself).
pub async fn create_company(
    state: &AppState,
    input: NewCompany,
) -> AppResult<(company::Model, user::Model)> {
    let name = validate::required_text("name", &input.name, validate::NAME_MAX)?;
    let time_zone = validate::time_zone("timeZone", &input.time_zone)?;
    let admin = validated_person(state, "admin.", &input.admin).await?;
    let password_hash = password::hash(&input.admin.password).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let company = company::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        time_zone: Set(time_zone),
        one_on_ones_enabled: Set(true),
        one_on_one_permissions_enabled: Set(true),
        private_one_on_ones_by_default: Set(true),
        email_notifications_enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for category in DEFAULT_CATEGORIES {
        insert_category(&txn, company.id, category, now).await?;
    }
    let admin = insert_user(
        &txn,
        company.id,
        admin,
        password_hash,
        user::Role::Admin,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((company, admin))
}

struct ValidPerson {
    name: String,
    email: String,
}

async fn validated_person(
    state: &AppState,
    field_prefix: &str,
    person: &NewPerson,
) -> AppResult<ValidPerson> {
    let name = validate::required_text(
        &format!("{field_prefix}name"),
        &person.name,
        validate::NAME_MAX,
    )?;
    let email = validate::email(&format!("{field_prefix}email"), &person.email)?;
    password::validate_new_password(&format!("{field_prefix}password"), &person.password)?;
    ensure_email_free(state, &format!("{field_prefix}email"), &email, None).await?;
    Ok(ValidPerson { name, email })
}

/// Emails are unique across all companies because login names no company.
async fn ensure_email_free(
    state: &AppState,
    field: &str,
    email: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut query = user::Entity::find().filter(user::Column::Email.eq(email));
    if let Some(id) = except {
        query = query.filter(user::Column::Id.ne(id));
    }
    if query.one(&state.db).await?.is_some() {
        return Err(AppError::bad_input(field, "is already in use"));
    }
    Ok(())
}

async fn insert_user<C: ConnectionTrait>(
    db: &C,
    company_id: Uuid,
    person: ValidPerson,
    password_hash: String,
    role: user::Role,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    Ok(user::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(company_id),
        name: Set(person.name),
        email: Set(person.email),
        password_hash: Set(password_hash),
        role: Set(role),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        sight_changed_at: Set(None),
    }
    .insert(db)
    .await?)
}

async fn insert_category<C: ConnectionTrait>(
    db: &C,
    company_id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> AppResult<coaching_category::Model> {
    Ok(coaching_category::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(company_id),
        name: Set(name.to_owned()),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Users

#[derive(Default)]
pub struct UserFilter {
    pub role: Option<user::Role>,
    pub active: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// Everyone in a company sees its directory of people.
pub async fn list_users(
    state: &AppState,
    viewer: &Viewer,
    filter: UserFilter,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, user::Model)>> {
    let mut query = user::Entity::find().filter(policy::tenant(viewer, user::Column::CompanyId));
    if let Some(role) = filter.role {
        query = query.filter(user::Column::Role.eq(role));
    }
    if let Some(active) = filter.active {
        query = query.filter(user::Column::Active.eq(active));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(user::Column::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, user::Column::Id, |u| u.id, page).await
}

pub async fn get_user(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, user::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

pub struct NewUser {
    pub person: NewPerson,
    pub role: user::Role,
}

pub async fn create_user(
    state: &AppState,
    viewer: &Viewer,
    input: NewUser,
) -> AppResult<user::Model> {
    policy::require_people_admin(viewer)?;
    let person = validated_person(state, "", &input.person).await?;
    let password_hash = password::hash(&input.person.password).await?;
    insert_user(
        &state.db,
        viewer.company_id,
        person,
        password_hash,
        input.role,
        Utc::now(),
    )
    .await
}

#[derive(Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<user::Role>,
    pub active: Option<bool>,
}

pub async fn update_user(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    changes: UserChanges,
) -> AppResult<user::Model> {
    let existing = get_user(state, viewer, id).await?;
    policy::require_people_admin(viewer)?;
    let mut model = user::ActiveModel {
        id: Set(existing.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(name) = changes.name {
        model.name = Set(validate::required_text("name", &name, validate::NAME_MAX)?);
    }
    if let Some(email) = changes.email {
        let email = validate::email("email", &email)?;
        ensure_email_free(state, "email", &email, Some(existing.id)).await?;
        model.email = Set(email);
    }
    if let Some(role) = changes.role
        && role != existing.role
    {
        if existing.id == viewer.user_id {
            return Err(AppError::bad_input(
                "role",
                "you cannot change your own role",
            ));
        }
        let placed = team_membership::Entity::find()
            .filter(team_membership::Column::UserId.eq(existing.id))
            .one(&state.db)
            .await?;
        if placed.is_some() {
            return Err(AppError::bad_input(
                "role",
                "remove the user from their teams before changing their role",
            ));
        }
        model.role = Set(role);
        model.sight_changed_at = Set(Some(Utc::now()));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(active) = changes.active {
        if !active && existing.id == viewer.user_id {
            return Err(AppError::bad_input(
                "active",
                "you cannot deactivate yourself",
            ));
        }
        if !active {
            revoke_all(&txn, existing.id).await?;
        }
        model.active = Set(active);
    }
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    access_changed(state, viewer);
    Ok(updated)
}

// ---------------------------------------------------------------------------------------------
// Teams

pub async fn list_teams(
    state: &AppState,
    viewer: &Viewer,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, team::Model)>> {
    let mut query = team::Entity::find().filter(policy::tenant(viewer, team::Column::CompanyId));
    if let Some(since) = updated_since {
        query = query.filter(team::Column::UpdatedAt.gte(since));
    }
    paginate(&state.db, query, team::Column::Id, |t| t.id, page).await
}

pub async fn get_team(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<team::Model> {
    team::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, team::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn create_team(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    leader_ids: &[Uuid],
    member_ids: &[Uuid],
) -> AppResult<team::Model> {
    policy::require_people_admin(viewer)?;
    let name = validate::required_text("name", name, validate::NAME_MAX)?;
    if leader_ids.is_empty() {
        return Err(AppError::bad_input(
            "leaderIds",
            "a team needs at least one leader",
        ));
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let team = team::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(viewer.company_id),
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for (ids, role, field) in [
        (leader_ids, team_membership::TeamRole::Leader, "leaderIds"),
        (member_ids, team_membership::TeamRole::Member, "memberIds"),
    ] {
        for &user_id in ids {
            place(&txn, viewer, &team, user_id, role, field, now).await?;
        }
    }
    team_sight_changed(&txn, &team, None, now).await?;
    txn.commit().await?;
    Ok(team)
}

/// The user role a team role requires.
fn role_for(team_role: team_membership::TeamRole) -> user::Role {
    match team_role {
        team_membership::TeamRole::Leader => user::Role::TeamLeader,
        team_membership::TeamRole::Member => user::Role::TeamMember,
    }
}

async fn place<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    team: &team::Model,
    user_id: Uuid,
    role: team_membership::TeamRole,
    field: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let person = user::Entity::find_by_id(user_id)
        .filter(policy::tenant(viewer, user::Column::CompanyId))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input(field, "no such user in this company"))?;
    if person.role != role_for(role) {
        let wanted = match role {
            team_membership::TeamRole::Leader => "TEAM_LEADER",
            team_membership::TeamRole::Member => "TEAM_MEMBER",
        };
        return Err(AppError::bad_input(
            field,
            format!("{} does not have the role {wanted}", person.name),
        ));
    }
    let existing = team_membership::Entity::find_by_id((team.id, user_id))
        .one(db)
        .await?;
    if existing.is_none() {
        team_membership::ActiveModel {
            team_id: Set(team.id),
            user_id: Set(user_id),
            role: Set(role),
            company_id: Set(team.company_id),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Adds a leader or member to a team; adding someone already there changes nothing.
pub async fn add_to_team(
    state: &AppState,
    viewer: &Viewer,
    team_id: Uuid,
    user_id: Uuid,
    role: team_membership::TeamRole,
) -> AppResult<team::Model> {
    let team = get_team(state, viewer, team_id).await?;
    policy::require_people_admin(viewer)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    place(&txn, viewer, &team, user_id, role, "userId", now).await?;
    team_sight_changed(&txn, &team, None, now).await?;
    let team = touch_team(&txn, team, now).await?;
    txn.commit().await?;
    access_changed(state, viewer);
    Ok(team)
}

/// Removes a leader or member from a team. A team keeps at least one leader.
pub async fn remove_from_team(
    state: &AppState,
    viewer: &Viewer,
    team_id: Uuid,
    user_id: Uuid,
    role: team_membership::TeamRole,
) -> AppResult<team::Model> {
    let team = get_team(state, viewer, team_id).await?;
    policy::require_people_admin(viewer)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let membership = team_membership::Entity::find_by_id((team.id, user_id))
        .filter(team_membership::Column::Role.eq(role))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("userId", "is not in this team in that role"))?;
    if role == team_membership::TeamRole::Leader {
        let leaders = team_membership::Entity::find()
            .filter(team_membership::Column::TeamId.eq(team.id))
            .filter(team_membership::Column::Role.eq(team_membership::TeamRole::Leader))
            .all(&txn)
            .await?;
        if leaders.len() <= 1 {
            return Err(AppError::bad_input(
                "userId",
                "a team needs at least one leader: add another leader first",
            ));
        }
    }
    team_membership::Entity::delete_by_id((membership.team_id, membership.user_id))
        .exec(&txn)
        .await?;
    let now = Utc::now();
    // A removed leader is no longer among the team's leaders: named explicitly.
    let removed_leader = (role == team_membership::TeamRole::Leader).then_some(user_id);
    team_sight_changed(&txn, &team, removed_leader, now).await?;
    let team = touch_team(&txn, team, now).await?;
    txn.commit().await?;
    access_changed(state, viewer);
    Ok(team)
}

/// A change of a team's people may change what some see of 1:1s in ways no session records
/// (the policy says whom): their next sync starts over. The company's settings are read under
/// a shared lock, so a change of the visibility default (which stamps every leader itself)
/// cannot commit between this read and this transaction's commit.
async fn team_sight_changed<C: ConnectionTrait>(
    db: &C,
    team: &team::Model,
    former_leader: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let company = company::Entity::find_by_id(team.company_id)
        .lock_shared()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    match policy::sight_changed_by_team_change(&company, team.id, former_leader) {
        Some(people) => tombstones::sight_changed(db, people, now).await,
        None => Ok(()),
    }
}

/// Membership changes are changes of the team for incremental sync.
async fn touch_team<C: ConnectionTrait>(
    db: &C,
    team: team::Model,
    now: DateTime<Utc>,
) -> AppResult<team::Model> {
    Ok(team::ActiveModel {
        id: Set(team.id),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Company settings

pub async fn company_of(state: &AppState, viewer: &Viewer) -> AppResult<company::Model> {
    company::Entity::find_by_id(viewer.company_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Default)]
pub struct SettingsChanges {
    pub time_zone: Option<String>,
    pub one_on_ones_enabled: Option<bool>,
    pub one_on_one_permissions_enabled: Option<bool>,
    pub private_one_on_ones_by_default: Option<bool>,
    pub email_notifications_enabled: Option<bool>,
}

pub async fn update_settings(
    state: &AppState,
    viewer: &Viewer,
    changes: SettingsChanges,
) -> AppResult<company::Model> {
    let company = company_of(state, viewer).await?;
    let mut model = company::ActiveModel {
        id: Set(company.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(time_zone) = changes.time_zone {
        policy::require_setting_change(viewer, Setting::TimeZone)?;
        model.time_zone = Set(validate::time_zone("timeZone", &time_zone)?);
    }
    if let Some(value) = changes.one_on_ones_enabled {
        policy::require_setting_change(viewer, Setting::OneOnOnesEnabled)?;
        model.one_on_ones_enabled = Set(value);
    }
    if let Some(value) = changes.one_on_one_permissions_enabled {
        policy::require_setting_change(viewer, Setting::OneOnOnePermissionsEnabled)?;
        model.one_on_one_permissions_enabled = Set(value);
    }
    let mut sight_changed = false;
    if let Some(value) = changes.private_one_on_ones_by_default {
        policy::require_setting_change(viewer, Setting::PrivateOneOnOnesByDefault)?;
        model.private_one_on_ones_by_default = Set(value);
        sight_changed = value != company.private_one_on_ones_by_default;
    }
    if let Some(value) = changes.email_notifications_enabled {
        policy::require_setting_change(viewer, Setting::EmailNotificationsEnabled)?;
        model.email_notifications_enabled = Set(value);
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let updated = model.update(&txn).await?;
    if sight_changed {
        let people = policy::sight_changed_by_visibility_default(company.id);
        tombstones::sight_changed(&txn, people, updated.updated_at).await?;
    }
    txn.commit().await?;
    access_changed(state, viewer);
    Ok(updated)
}

// ---------------------------------------------------------------------------------------------
// Coaching categories

pub async fn list_categories(
    state: &AppState,
    viewer: &Viewer,
    include_archived: bool,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<(Uuid, coaching_category::Model)>> {
    let mut query = coaching_category::Entity::find()
        .filter(policy::tenant(viewer, coaching_category::Column::CompanyId));
    if !include_archived {
        query = query.filter(coaching_category::Column::ArchivedAt.is_null());
    }
    if let Some(since) = updated_since {
        query = query.filter(coaching_category::Column::UpdatedAt.gte(since));
    }
    paginate(
        &state.db,
        query,
        coaching_category::Column::Id,
        |c| c.id,
        page,
    )
    .await
}

pub async fn create_category(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
) -> AppResult<coaching_category::Model> {
    policy::require_category_manager(viewer)?;
    let name = validate::required_text("name", name, validate::NAME_MAX)?;
    let same_name = coaching_category::Entity::find()
        .filter(policy::tenant(viewer, coaching_category::Column::CompanyId))
        .all(&state.db)
        .await?
        .into_iter()
        .any(|c| c.name.to_lowercase() == name.to_lowercase());
    if same_name {
        return Err(AppError::bad_input(
            "name",
            "a category with this name exists",
        ));
    }
    insert_category(&state.db, viewer.company_id, &name, Utc::now()).await
}

/// Archiving is idempotent: an archived category keeps its first archive time.
pub async fn archive_category(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<coaching_category::Model> {
    let category = coaching_category::Entity::find_by_id(id)
        .filter(policy::tenant(viewer, coaching_category::Column::CompanyId))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    policy::require_category_manager(viewer)?;
    if category.archived_at.is_some() {
        return Ok(category);
    }
    let now = Utc::now();
    Ok(coaching_category::ActiveModel {
        id: Set(category.id),
        archived_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&state.db)
    .await?)
}
