//! What `myDashboard` lists, each part read through the same policy conditions as the lists
//! it comes from: coaching rows of sessions the viewer may see, 1:1 rows of 1:1s the viewer
//! may see (`policy::one_on_one_scope`, or its branches as a union where a part is a set of
//! 1:1s). Upcoming and draft 1:1s are the viewer's own (as a participant; drafts as their
//! leader). When 1:1s are off for the company, or the viewer may not use them, the 1:1 parts
//! are empty rather than an error.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    action_item, coaching_commitment, coaching_follow_up, coaching_session, company, kudo,
    one_on_one, one_on_one_series,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::SelectStatement,
};

use crate::{
    coaching::service::Session,
    error::{AppError, AppResult},
    one_on_ones::service::gate,
    policy::{self, Viewer},
    state::AppState,
};

/// Longest list of each part.
pub const PART_LIMIT: u64 = 100;
pub const UPCOMING_LIMIT: u64 = 20;
pub const RECENT_KUDOS_LIMIT: u64 = 10;
pub const RECENT_KUDOS_DAYS: i64 = 30;

pub struct Dashboard {
    pub time_zone: chrono_tz::Tz,
    pub today: NaiveDate,
    pub commitments: Vec<coaching_commitment::Model>,
    pub follow_ups: Vec<coaching_follow_up::Model>,
    pub coaching_drafts: Vec<Session>,
    pub action_items: Vec<action_item::Model>,
    pub upcoming_one_on_ones: Vec<one_on_one::Model>,
    pub draft_one_on_ones: Vec<one_on_one::Model>,
    pub recent_kudos: Vec<kudo::Model>,
}

/// `SELECT id` of the coaching sessions the viewer may see.
fn visible_coaching(viewer: &Viewer) -> SelectStatement {
    coaching_session::Entity::find()
        .select_only()
        .column(coaching_session::Column::Id)
        .filter(policy::coaching_session_scope(viewer))
        .into_query()
}

pub async fn my_dashboard(state: &AppState, viewer: &Viewer) -> AppResult<Dashboard> {
    let db = &state.db;
    let company = crate::org::service::company_of(state, viewer).await?;
    let time_zone: chrono_tz::Tz = company.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let now = Utc::now();
    let today = now.with_timezone(&time_zone).date_naive();

    // Open rows of the viewer, earliest due first: overdue (or due) ones lead.
    macro_rules! open_rows {
        ($module:ident, $person:ident) => {{
            use $module::Column as C;
            $module::Entity::find()
                .filter(policy::tenant(viewer, C::CompanyId))
                .filter(C::$person.eq(viewer.user_id))
                .filter(C::Done.eq(false))
                .filter(C::SessionId.in_subquery(visible_coaching(viewer)))
                .order_by_asc(C::DueOn)
                .order_by_asc(C::Id)
                .limit(PART_LIMIT)
                .all(db)
                .await?
        }};
    }
    let commitments = open_rows!(coaching_commitment, AgentId);
    let follow_ups = open_rows!(coaching_follow_up, CoachId);
    let coaching_drafts = {
        use coaching_session::{Column as C, Status};
        coaching_session::Entity::find()
            .filter(policy::coaching_session_scope(viewer))
            .filter(C::CoachId.eq(viewer.user_id))
            .filter(C::Status.eq(Status::Draft))
            .order_by_desc(C::UpdatedAt)
            .limit(PART_LIMIT)
            .all(db)
            .await?
            .into_iter()
            .map(Session::parse)
            .collect::<AppResult<Vec<_>>>()?
    };

    let mut dashboard = Dashboard {
        time_zone,
        today,
        commitments,
        follow_ups,
        coaching_drafts,
        action_items: Vec::new(),
        upcoming_one_on_ones: Vec::new(),
        draft_one_on_ones: Vec::new(),
        recent_kudos: Vec::new(),
    };
    match gate(db, viewer).await {
        Ok(company) => one_on_one_parts(state, viewer, &company, now, &mut dashboard).await?,
        Err(AppError::FeatureDisabled | AppError::Forbidden) => {}
        Err(other) => return Err(other),
    }
    Ok(dashboard)
}

async fn one_on_one_parts(
    state: &AppState,
    viewer: &Viewer,
    company: &company::Model,
    now: DateTime<Utc>,
    dashboard: &mut Dashboard,
) -> AppResult<()> {
    let db = &state.db;
    // Open action items of the pairs the viewer is the member of, from 1:1s they see; those
    // with a due date first, earliest first.
    let visible = policy::visible_one_on_one_ids(viewer, company);
    let as_member = one_on_one_series::Entity::find()
        .select_only()
        .column(one_on_one_series::Column::Id)
        .filter(one_on_one_series::Column::MemberId.eq(viewer.user_id))
        .into_query();
    let mut items = action_item::Entity::find()
        .filter(policy::tenant(viewer, action_item::Column::CompanyId))
        .filter(action_item::Column::Done.eq(false))
        .filter(action_item::Column::SeriesId.in_subquery(as_member))
        .filter(action_item::Column::OneOnOneId.in_subquery(visible.clone()))
        .order_by_asc(action_item::Column::Id)
        .limit(PART_LIMIT)
        .all(db)
        .await?;
    items.sort_by_key(|i| (i.due_on.is_none(), i.due_on));
    dashboard.action_items = items;

    // The viewer's own 1:1s (as either participant), among those they see.
    let scope = policy::one_on_one_scope(viewer, company);
    let participant = Condition::any()
        .add(one_on_one::Column::LeaderId.eq(viewer.user_id))
        .add(one_on_one::Column::MemberId.eq(viewer.user_id));
    dashboard.upcoming_one_on_ones = one_on_one::Entity::find()
        .filter(scope.clone())
        .filter(participant)
        .filter(one_on_one::Column::ScheduledAt.gt(now))
        .order_by_asc(one_on_one::Column::ScheduledAt)
        .limit(UPCOMING_LIMIT)
        .all(db)
        .await?;
    dashboard.draft_one_on_ones = one_on_one::Entity::find()
        .filter(scope)
        .filter(one_on_one::Column::LeaderId.eq(viewer.user_id))
        .filter(one_on_one::Column::Status.eq(one_on_one::Status::Draft))
        .order_by_desc(one_on_one::Column::Id)
        .limit(PART_LIMIT)
        .all(db)
        .await?;
    dashboard.recent_kudos = kudo::Entity::find()
        .filter(
            Condition::all()
                .add(kudo::Column::CompanyId.eq(viewer.company_id))
                .add(kudo::Column::OneOnOneId.in_subquery(visible))
                .add(kudo::Column::CreatedAt.gte(now - Duration::days(RECENT_KUDOS_DAYS))),
        )
        .order_by_desc(kudo::Column::CreatedAt)
        .order_by_desc(kudo::Column::Id)
        .limit(RECENT_KUDOS_LIMIT)
        .all(db)
        .await?;
    Ok(())
}
