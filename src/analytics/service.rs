//! The figures of `analytics`, each computed by one or two queries over rows the viewer may
//! see (see the module doc for the shared definitions).
//!
//! Every query starts from [`shared_one_on_ones`] or [`coached_sessions`], which apply the
//! policy's scope, the status, the date range and the team filter in SQL; parts that need 1:1s
//! first pass SPEC §5's gate (1:1s off `FEATURE_DISABLED`, permissions off and not an admin
//! `FORBIDDEN`). Coaching activity mixes both kinds: its 1:1 counts are `None` when the gate
//! refuses, so the coaching half stays available.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{
    action_item, coaching_category, coaching_session, company, discussion_item, one_on_one, team,
    team_membership,
};
use futures_util::TryStreamExt;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{
    ActiveEnum, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
    sea_query::{
        Alias, Asterisk, Expr, ExprTrait, Func, JoinType, Query, SelectStatement, UnionType,
    },
};
use uuid::Uuid;

use crate::{
    coaching::{
        decimal,
        steps::{self, Content},
    },
    error::{AppError, AppResult},
    policy::{self, Viewer},
    state::AppState,
};

/// The longest range one request may aggregate: two years of local dates, both ends included.
pub const MAX_RANGE_DAYS: i64 = 731;
/// The range when none is given: the last 90 days, today included.
pub const DEFAULT_RANGE_DAYS: u64 = 90;
/// Places of `completionRate` (a fraction between 0 and 1).
pub const RATE_PLACES: u32 = 4;
/// Places of averaged day counts.
pub const DAYS_PLACES: u32 = 2;

/// What the client asked for, before validation.
#[derive(Default)]
pub struct FilterInput {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub team_id: Option<Uuid>,
}

/// A validated request: who asks, about which dates and which team.
pub struct Scope {
    viewer: Viewer,
    company: company::Model,
    pub time_zone: Tz,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `from`'s local midnight; rows are counted in `[start, end)`.
    start: DateTime<Utc>,
    /// The local midnight after `to`.
    end: DateTime<Utc>,
    team_id: Option<Uuid>,
}

/// Checks the filter: `from` ≤ `to`, at most [`MAX_RANGE_DAYS`], a team of the viewer's
/// company. Missing dates default to the last [`DEFAULT_RANGE_DAYS`] days up to today.
pub async fn scope(state: &AppState, viewer: &Viewer, filter: FilterInput) -> AppResult<Scope> {
    let company = crate::org::service::company_of(state, viewer).await?;
    let time_zone: Tz = company.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let today = Utc::now().with_timezone(&time_zone).date_naive();
    let to = filter.to.unwrap_or(today);
    let from = filter
        .from
        .unwrap_or_else(|| to - Days::new(DEFAULT_RANGE_DAYS - 1));
    if from > to {
        return Err(AppError::bad_input("to", "must not be before from"));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(AppError::bad_input(
            "from",
            format!("the range spans at most {MAX_RANGE_DAYS} days"),
        ));
    }
    if let Some(team_id) = filter.team_id {
        team::Entity::find_by_id(team_id)
            .filter(policy::tenant(viewer, team::Column::CompanyId))
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::bad_input("teamId", "no team with this id"))?;
    }
    let end = to
        .succ_opt()
        .ok_or_else(|| AppError::bad_input("to", "out of range"))?;
    Ok(Scope {
        viewer: viewer.clone(),
        start: local_midnight(time_zone, from),
        end: local_midnight(time_zone, end),
        company,
        time_zone,
        from,
        to,
        team_id: filter.team_id,
    })
}

/// The first instant of a local date (its midnight, or the end of a DST gap swallowing it).
fn local_midnight(time_zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    (0..24)
        .find_map(|hour| {
            date.and_hms_opt(hour, 0, 0)?
                .and_local_timezone(time_zone)
                .earliest()
        })
        .map(|local| local.with_timezone(&Utc))
        .unwrap_or_else(|| date.and_time(chrono::NaiveTime::MIN).and_utc())
}

impl Scope {
    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    fn week_of(&self, at: DateTime<Utc>) -> NaiveDate {
        week_start(self.local_date(at))
    }

    /// SPEC §5's gate for the parts made of 1:1s.
    fn require_one_on_ones(&self) -> AppResult<()> {
        policy::require_one_on_ones(&self.viewer, &self.company)
    }

    /// `SELECT user_id` of the filter team's Team Members.
    fn team_members(&self, team_id: Uuid) -> SelectStatement {
        use team_membership::{Column, Entity, TeamRole};
        Entity::find()
            .select_only()
            .column(Column::UserId)
            .filter(Column::TeamId.eq(team_id))
            .filter(Column::Role.eq(TeamRole::Member))
            .into_query()
    }
}

/// The Monday of a date's ISO week.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// A nullable timestamp column (`scheduledAt`, `sharedAt`).
type Instant = Option<DateTime<Utc>>;

/// When a 1:1 took place: its schedule, or when it was shared.
fn one_on_one_date() -> Expr {
    Func::coalesce([
        Expr::col((one_on_one::Entity, one_on_one::Column::ScheduledAt)),
        Expr::col((one_on_one::Entity, one_on_one::Column::SharedAt)),
    ])
    .into()
}

/// Shared 1:1s the viewer sees, dated within the range, of the team's members.
fn shared_one_on_ones(scope: &Scope) -> Select<one_on_one::Entity> {
    use one_on_one::{Column, Entity, Status};
    Entity::find()
        // The rule's branches as a union: each read from its own index, rather than the rule
        // as one `OR` evaluated over every session of the company.
        .filter(Column::Id.in_subquery(policy::visible_one_on_one_ids(
            &scope.viewer,
            &scope.company,
        )))
        .filter(Column::Status.eq(Status::Shared))
        .filter(one_on_one_date().gte(scope.start))
        .filter(one_on_one_date().lt(scope.end))
        .apply_if(scope.team_id, |select, team_id| {
            select.filter(Column::MemberId.in_subquery(scope.team_members(team_id)))
        })
}

/// Coached sessions the viewer sees, coached within the range, of the team's members.
fn coached_sessions(scope: &Scope) -> Select<coaching_session::Entity> {
    use coaching_session::{Column, Entity, Status};
    Entity::find()
        .filter(policy::coaching_session_scope(&scope.viewer))
        .filter(Column::Status.eq(Status::Coached))
        .filter(Column::CoachedAt.gte(scope.start))
        .filter(Column::CoachedAt.lt(scope.end))
        .apply_if(scope.team_id, |select, team_id| {
            select.filter(Column::AgentId.in_subquery(scope.team_members(team_id)))
        })
}

fn shared_one_on_one_ids(scope: &Scope) -> SelectStatement {
    shared_one_on_ones(scope)
        .select_only()
        .column(one_on_one::Column::Id)
        .into_query()
}

/// `COUNT(*)` of `select`'s rows per value of `key`.
async fn count_by<E: EntityTrait>(
    state: &AppState,
    select: Select<E>,
    key: Expr,
) -> AppResult<HashMap<Uuid, i64>> {
    Ok(select
        .select_only()
        .column_as(key.clone(), "key")
        .column_as(Expr::col(Asterisk).count(), "count")
        .group_by(key)
        .into_tuple::<(Uuid, i64)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Category usage

/// How often a category was revisited: `sessions` is the number of distinct shared 1:1s in
/// the range whose discussion items or action items (those created in that session) use it;
/// the item counts are the items themselves.
pub struct CategoryUsage {
    pub category: coaching_category::Model,
    pub sessions: i64,
    pub discussion_items: i64,
    pub action_items: i64,
}

#[derive(FromQueryResult)]
struct CategoryCounts {
    category_id: Uuid,
    sessions: i64,
    items: i64,
    discussion_items: i64,
}

/// One row per categorized item of an item table (`[category, session, company]` columns),
/// restricted to the visible sessions of the range; `discussion` tells which table it is from.
fn categorized_items<E: EntityTrait>(
    scope: &Scope,
    [category, session, company]: [E::Column; 3],
    discussion: bool,
) -> SelectStatement {
    E::find()
        .select_only()
        .column_as(category, "category_id")
        .column_as(session, "one_on_one_id")
        .column_as(Expr::cust(if discussion { "1" } else { "0" }), "discussion")
        .filter(company.eq(scope.viewer.company_id))
        .filter(category.is_not_null())
        .filter(session.in_subquery(shared_one_on_one_ids(scope)))
        .into_query()
}

/// Every active category (used or not) and every archived one that was used, by name.
pub async fn category_usage(state: &AppState, scope: &Scope) -> AppResult<Vec<CategoryUsage>> {
    scope.require_one_on_ones()?;
    use action_item::Column as Action;
    use discussion_item::Column as Discussion;
    let mut items = categorized_items::<discussion_item::Entity>(
        scope,
        [
            Discussion::CategoryId,
            Discussion::OneOnOneId,
            Discussion::CompanyId,
        ],
        true,
    );
    items.union(
        UnionType::All,
        categorized_items::<action_item::Entity>(
            scope,
            [Action::CategoryId, Action::OneOnOneId, Action::CompanyId],
            false,
        ),
    );
    let items_alias = Alias::new("items");
    let column = |name: &str| Expr::col((items_alias.clone(), Alias::new(name)));
    let query = Query::select()
        .expr_as(column("category_id"), Alias::new("category_id"))
        .expr_as(
            column("one_on_one_id").count_distinct(),
            Alias::new("sessions"),
        )
        .expr_as(Expr::col(Asterisk).count(), Alias::new("items"))
        .expr_as(column("discussion").sum(), Alias::new("discussion_items"))
        .from_subquery(items, items_alias.clone())
        .group_by_col((items_alias.clone(), Alias::new("category_id")))
        .to_owned();
    let counts: HashMap<Uuid, CategoryCounts> =
        CategoryCounts::find_by_statement(state.db.get_database_backend().build(&query))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|row| (row.category_id, row))
            .collect();

    let categories = coaching_category::Entity::find()
        .filter(policy::tenant(
            &scope.viewer,
            coaching_category::Column::CompanyId,
        ))
        .order_by_asc(coaching_category::Column::Name)
        .order_by_asc(coaching_category::Column::Id)
        .all(&state.db)
        .await?;
    Ok(categories
        .into_iter()
        .filter_map(|category| {
            let counts = counts.get(&category.id);
            if counts.is_none() && category.archived_at.is_some() {
                return None;
            }
            let (sessions, items, discussion_items) = counts
                .map(|c| (c.sessions, c.items, c.discussion_items))
                .unwrap_or_default();
            Some(CategoryUsage {
                category,
                sessions,
                discussion_items,
                action_items: items - discussion_items,
            })
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Coaching activity

/// Coached coaching sessions and shared 1:1s of one group (a leader, a team or a week);
/// `shared_one_on_ones` is `None` when 1:1s are off for the viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activity {
    pub coached_sessions: i64,
    pub shared_one_on_ones: Option<i64>,
}

impl Activity {
    fn total(&self) -> i64 {
        self.coached_sessions + self.shared_one_on_ones.unwrap_or(0)
    }
}

/// Merges per-key counts of both kinds; keys with no activity of either kind are absent.
fn merge_activity(
    coached: HashMap<Uuid, i64>,
    shared: Option<HashMap<Uuid, i64>>,
) -> HashMap<Uuid, Activity> {
    let none = Activity {
        coached_sessions: 0,
        shared_one_on_ones: shared.is_some().then_some(0),
    };
    let mut merged: HashMap<Uuid, Activity> = HashMap::new();
    for (key, count) in coached {
        merged.entry(key).or_insert(none).coached_sessions = count;
    }
    for (key, count) in shared.into_iter().flatten() {
        merged.entry(key).or_insert(none).shared_one_on_ones = Some(count);
    }
    merged
}

/// Sorted by activity (both kinds together), most first, then by id.
fn by_activity(merged: HashMap<Uuid, Activity>) -> Vec<(Uuid, Activity)> {
    let mut rows: Vec<(Uuid, Activity)> = merged.into_iter().collect();
    rows.sort_by_key(|(key, activity)| (std::cmp::Reverse(activity.total()), *key));
    rows
}

/// Per leader: coaching sessions they coached and 1:1s they led.
pub async fn activity_by_leader(
    state: &AppState,
    scope: &Scope,
) -> AppResult<Vec<(Uuid, Activity)>> {
    let coached = count_by(
        state,
        coached_sessions(scope),
        Expr::col((coaching_session::Entity, coaching_session::Column::CoachId)),
    )
    .await?;
    let shared = match scope.require_one_on_ones() {
        Ok(()) => Some(
            count_by(
                state,
                shared_one_on_ones(scope),
                Expr::col((one_on_one::Entity, one_on_one::Column::LeaderId)),
            )
            .await?,
        ),
        Err(_) => None,
    };
    Ok(by_activity(merge_activity(coached, shared)))
}

/// `select` joined with the teams its Team Member (`person`) belongs to, counted per team.
async fn count_by_team<E: EntityTrait>(
    state: &AppState,
    scope: &Scope,
    mut select: Select<E>,
    person: Expr,
) -> AppResult<HashMap<Uuid, i64>> {
    use team_membership::{Column, Entity, TeamRole};
    let mut on = Expr::col((Entity, Column::UserId))
        .eq(person)
        .and(Expr::col((Entity, Column::Role)).eq(TeamRole::Member.to_value()));
    if let Some(team_id) = scope.team_id {
        on = on.and(Expr::col((Entity, Column::TeamId)).eq(team_id));
    }
    QueryTrait::query(&mut select).join(JoinType::InnerJoin, Entity, on);
    count_by(state, select, Expr::col((Entity, Column::TeamId))).await
}

/// Per team: sessions whose Team Member is in the team (a member of two teams counts in both).
pub async fn activity_by_team(
    state: &AppState,
    scope: &Scope,
) -> AppResult<Vec<(team::Model, Activity)>> {
    let coached = count_by_team(
        state,
        scope,
        coached_sessions(scope),
        Expr::col((coaching_session::Entity, coaching_session::Column::AgentId)),
    )
    .await?;
    let shared = match scope.require_one_on_ones() {
        Ok(()) => Some(
            count_by_team(
                state,
                scope,
                shared_one_on_ones(scope),
                Expr::col((one_on_one::Entity, one_on_one::Column::MemberId)),
            )
            .await?,
        ),
        Err(_) => None,
    };
    let rows = by_activity(merge_activity(coached, shared));
    let mut teams: HashMap<Uuid, team::Model> = team::Entity::find()
        .filter(policy::tenant(&scope.viewer, team::Column::CompanyId))
        .filter(team::Column::Id.is_in(rows.iter().map(|(id, _)| *id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|team| (team.id, team))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, activity)| Some((teams.remove(&id)?, activity)))
        .collect())
}

/// Per ISO week (its Monday), every week of the range, oldest first, empty weeks included.
pub async fn activity_by_week(
    state: &AppState,
    scope: &Scope,
) -> AppResult<Vec<(NaiveDate, Activity)>> {
    let one_on_ones_open = scope.require_one_on_ones().is_ok();
    let mut weeks = BTreeMap::new();
    let mut week = week_start(scope.from);
    while week <= scope.to {
        weeks.insert(
            week,
            Activity {
                coached_sessions: 0,
                shared_one_on_ones: one_on_ones_open.then_some(0),
            },
        );
        week = week + Days::new(7);
    }
    let coached_at: Vec<Option<DateTime<Utc>>> = coached_sessions(scope)
        .select_only()
        .column(coaching_session::Column::CoachedAt)
        .into_tuple()
        .all(&state.db)
        .await?;
    for at in coached_at.into_iter().flatten() {
        if let Some(activity) = weeks.get_mut(&scope.week_of(at)) {
            activity.coached_sessions += 1;
        }
    }
    if one_on_ones_open {
        for at in one_on_one_dates(state, scope).await? {
            if let Some(count) = weeks
                .get_mut(&scope.week_of(at))
                .and_then(|a| a.shared_one_on_ones.as_mut())
            {
                *count += 1;
            }
        }
    }
    Ok(weeks.into_iter().collect())
}

/// The dates of the shared 1:1s in scope (no order).
async fn one_on_one_dates(state: &AppState, scope: &Scope) -> AppResult<Vec<DateTime<Utc>>> {
    let rows: Vec<(Instant, Instant)> = shared_one_on_ones(scope)
        .select_only()
        .column(one_on_one::Column::ScheduledAt)
        .column(one_on_one::Column::SharedAt)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(scheduled, shared)| scheduled.or(shared))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Action items

/// Action items created in the shared 1:1s of the range.
pub struct ActionItemStats {
    pub total: i64,
    pub done: i64,
    /// `done ÷ total` to [`RATE_PLACES`] places (midpoint away from zero); `None` without items.
    pub completion_rate: Option<f64>,
    /// From creation to done, whole seconds; with an even count, the mean of the two middle
    /// durations rounded down. `None` when none is done.
    pub median_seconds_to_complete: Option<i64>,
}

pub async fn action_items(state: &AppState, scope: &Scope) -> AppResult<ActionItemStats> {
    use action_item::{Column, Entity};
    scope.require_one_on_ones()?;
    let items = || {
        Entity::find()
            .filter(policy::tenant(&scope.viewer, Column::CompanyId))
            .filter(Column::OneOnOneId.in_subquery(shared_one_on_one_ids(scope)))
    };
    let by_state: Vec<(bool, i64)> = items()
        .select_only()
        .column(Column::Done)
        .column_as(Expr::col(Asterisk).count(), "count")
        .group_by(Column::Done)
        .into_tuple()
        .all(&state.db)
        .await?;
    let total = by_state.iter().map(|(_, count)| count).sum::<i64>();
    let done = by_state
        .iter()
        .filter(|(done, _)| *done)
        .map(|(_, count)| count)
        .sum::<i64>();
    let mut durations: Vec<i64> = items()
        .select_only()
        .column(Column::CreatedAt)
        .column(Column::DoneAt)
        .filter(Column::Done.eq(true))
        .filter(Column::DoneAt.is_not_null())
        .into_tuple::<(DateTime<Utc>, DateTime<Utc>)>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|(created, done)| Ord::max((done - created).num_seconds(), 0))
        .collect();
    Ok(ActionItemStats {
        total,
        done,
        completion_rate: (total > 0).then(|| {
            let rate = Decimal::from(done) / Decimal::from(total);
            rounded(rate, RATE_PLACES)
        }),
        median_seconds_to_complete: median(&mut durations),
    })
}

fn rounded(value: Decimal, places: u32) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    value
        .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
        .to_f64()
        .unwrap_or_default()
}

fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]).div_euclid(2)),
    }
}

// ---------------------------------------------------------------------------------------------
// KPI variance trend

/// One week of one agent's KPI rows for one metric name.
#[derive(Clone, Copy)]
pub struct KpiWeek {
    pub week: NaiveDate,
    pub rows: i64,
    /// Mean of `actual − goal`, to [`decimal::MAX_SCALE`] places.
    pub average_variance: Decimal,
    /// Mean of the rows' `variancePercent` (rows with goal 0 have none), to
    /// [`decimal::PERCENT_SCALE`] places; `None` when no row has one.
    pub average_variance_percent: Option<Decimal>,
}

pub struct KpiSeries {
    pub agent_id: Uuid,
    pub metric_name: String,
    pub weeks: Vec<KpiWeek>,
}

#[derive(Default)]
struct KpiSums {
    rows: i64,
    variance: Decimal,
    percent: Decimal,
    percent_rows: i64,
}

fn mean(sum: Decimal, count: i64, places: u32) -> Decimal {
    (sum / Decimal::from(count))
        .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// KPI rows of coached sessions, per agent and metric name (as the coach typed it), per week
/// the session was coached in. The rows live in each session's JSON content, so the sessions
/// are streamed (agent, date, content only) rather than held at once.
pub async fn kpi_variance_trend(state: &AppState, scope: &Scope) -> AppResult<Vec<KpiSeries>> {
    use coaching_session::Column;
    let mut sums: BTreeMap<(Uuid, String), BTreeMap<NaiveDate, KpiSums>> = BTreeMap::new();
    let mut sessions = coached_sessions(scope)
        .select_only()
        .column(Column::AgentId)
        .column(Column::CoachedAt)
        .column(Column::Content)
        .into_tuple::<(Uuid, Option<DateTime<Utc>>, String)>()
        .stream(&state.db)
        .await?;
    while let Some((agent_id, coached_at, content)) = sessions.try_next().await? {
        let Some(coached_at) = coached_at else {
            continue;
        };
        let content: Content = steps::from_json(&content)?;
        let week = scope.week_of(coached_at);
        for row in content.answers.iter().flat_map(|a| &a.kpi_rows) {
            let (Some(name), Some(goal), Some(actual)) = (&row.metric_name, row.goal, row.actual)
            else {
                continue;
            };
            let week_sums = sums
                .entry((agent_id, name.clone()))
                .or_default()
                .entry(week)
                .or_default();
            week_sums.rows += 1;
            week_sums.variance += decimal::variance(goal, actual);
            if let Some(percent) = decimal::variance_percent(goal, actual) {
                week_sums.percent += percent;
                week_sums.percent_rows += 1;
            }
        }
    }
    Ok(sums
        .into_iter()
        .map(|((agent_id, metric_name), weeks)| KpiSeries {
            agent_id,
            metric_name,
            weeks: weeks
                .into_iter()
                .map(|(week, s)| KpiWeek {
                    week,
                    rows: s.rows,
                    average_variance: mean(s.variance, s.rows, decimal::MAX_SCALE),
                    average_variance_percent: (s.percent_rows > 0)
                        .then(|| mean(s.percent, s.percent_rows, decimal::PERCENT_SCALE)),
                })
                .collect(),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// 1:1 cadence

/// Shared 1:1s of one leader–member pair in the range. Gaps are whole days between the local
/// dates of consecutive sessions; both are `None` with fewer than two sessions.
pub struct Cadence {
    pub leader_id: Uuid,
    pub member_id: Uuid,
    pub sessions: i64,
    pub last_session_on: NaiveDate,
    /// Mean gap to [`DAYS_PLACES`] places (midpoint away from zero).
    pub average_days_between: Option<f64>,
    /// The gap before the latest session.
    pub latest_days_between: Option<i64>,
}

/// Pairs ordered by leader id, then member id.
pub async fn one_on_one_cadence(state: &AppState, scope: &Scope) -> AppResult<Vec<Cadence>> {
    use one_on_one::Column;
    scope.require_one_on_ones()?;
    let rows: Vec<(Uuid, Uuid, Instant, Instant)> = shared_one_on_ones(scope)
        .select_only()
        .column(Column::LeaderId)
        .column(Column::MemberId)
        .column(Column::ScheduledAt)
        .column(Column::SharedAt)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut pairs: BTreeMap<(Uuid, Uuid), Vec<NaiveDate>> = BTreeMap::new();
    for (leader_id, member_id, scheduled, shared) in rows {
        if let Some(at) = scheduled.or(shared) {
            pairs
                .entry((leader_id, member_id))
                .or_default()
                .push(scope.local_date(at));
        }
    }
    Ok(pairs
        .into_iter()
        .filter_map(|((leader_id, member_id), mut dates)| {
            dates.sort_unstable();
            let gaps: Vec<i64> = dates
                .windows(2)
                .map(|pair| (pair[1] - pair[0]).num_days())
                .collect();
            Some(Cadence {
                leader_id,
                member_id,
                sessions: dates.len() as i64,
                last_session_on: *dates.last()?,
                average_days_between: (!gaps.is_empty()).then(|| {
                    let sum = Decimal::from(gaps.iter().sum::<i64>());
                    rounded(sum / Decimal::from(gaps.len()), DAYS_PLACES)
                }),
                latest_days_between: gaps.last().copied(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        for (values, expected) in [
            (vec![], None),
            (vec![7], Some(7)),
            (vec![9, 1, 5], Some(5)),
            (vec![4, 1], Some(2)),
            (vec![10, 2, 4, 8], Some(6)),
        ] {
            assert_eq!(median(&mut values.clone()), expected, "{values:?}");
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        for (day, monday) in [
            ("2026-11-23", "2026-11-23"),
            ("2026-11-29", "2026-11-23"),
            ("2026-11-22", "2026-11-16"),
            ("2027-01-01", "2026-12-28"),
        ] {
            assert_eq!(week_start(date(day)), date(monday), "{day}");
        }
    }

    #[test]
    fn midnight_inside_a_dst_gap_moves_to_the_gap_end() {
        // Santiago skipped 2026-09-06 00:00–01:00 local time.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        let start = local_midnight(santiago, day);
        assert_eq!(start.with_timezone(&santiago).date_naive(), day);
    }
}
