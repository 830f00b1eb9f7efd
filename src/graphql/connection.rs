//! Relay-style cursor pagination shared by every list (`first`/`after`, `pageInfo`,
//! `totalCount`). Services return a `Page`; resolvers turn it into a `Connection`.
//!
//! Rows are ordered by their UUIDv7 id, which grows with creation time, and the cursor is
//! that id, so a page boundary stays put when rows are added elsewhere in the list.

use async_graphql::{
    ObjectType, OutputType, SimpleObject,
    connection::{Connection, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Iden, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Alias, Order, Query, SelectStatement, UnionType},
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;

#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    /// The client did not ask for `totalCount`: counting the whole list would be wasted.
    pub skip_total: bool,
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>) -> Self {
        Self {
            first,
            after,
            skip_total: false,
        }
    }

    /// Skips counting the list unless `ctx`'s selection reads `totalCount`.
    pub fn counting_if_selected(mut self, ctx: &async_graphql::Context<'_>) -> Self {
        self.skip_total = !ctx.look_ahead().field("totalCount").exists();
        self
    }

    pub fn limit(&self) -> AppResult<u64> {
        match self.first {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n) if n < 0 => Err(AppError::bad_input("first", "must not be negative")),
            Some(n) if n as u64 > MAX_PAGE_SIZE => Err(AppError::bad_input(
                "first",
                format!("must be at most {MAX_PAGE_SIZE}"),
            )),
            Some(n) => Ok(n as u64),
        }
    }

    pub fn after_id(&self) -> AppResult<Option<Uuid>> {
        self.after
            .as_deref()
            .map(|cursor| {
                URL_SAFE_NO_PAD
                    .decode(cursor)
                    .ok()
                    .and_then(|bytes| Uuid::from_slice(&bytes).ok())
                    .ok_or_else(|| AppError::bad_input("after", "not a cursor of this list"))
            })
            .transpose()
    }
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        }
    }

    /// `map` with a conversion that may fail (e.g. reading a stored document).
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, E>>()?,
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        })
    }
}

fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// One page of `select` (already restricted by the policy), ordered by `id_column`.
pub async fn paginate<E, C>(
    db: &C,
    select: Select<E>,
    id_column: E::Column,
    id_of: impl Fn(&E::Model) -> Uuid,
    args: &PageArgs,
) -> AppResult<Page<(Uuid, E::Model)>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    let limit = args.limit()?;
    let after = args.after_id()?;
    let total_count = total_count(db, &select, args).await?;
    let mut page_select = select.order_by_asc(id_column);
    if let Some(after) = after {
        page_select = page_select.filter(id_column.gt(after));
    }
    let rows = page_select.limit(limit + 1).all(db).await?;
    Ok(page_of(rows, limit, after, total_count, id_of))
}

/// How many rows `select` holds, or 0 when the client did not select `totalCount` (it is
/// never shown then, and counting a long list would be wasted).
async fn total_count<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    select: &Select<E>,
    args: &PageArgs,
) -> AppResult<u64>
where
    E::Model: Send + Sync,
{
    if args.skip_total {
        return Ok(0);
    }
    Ok(select.clone().count(db).await?)
}

/// The page made of up to `limit + 1` rows read after the cursor: the extra row only says
/// whether a next page exists.
fn page_of<M>(
    mut rows: Vec<M>,
    limit: u64,
    after: Option<Uuid>,
    total_count: u64,
    id_of: impl Fn(&M) -> Uuid,
) -> Page<(Uuid, M)> {
    let has_next_page = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Page {
        items: rows.into_iter().map(|m| (id_of(&m), m)).collect(),
        has_next_page,
        has_previous_page: after.is_some(),
        total_count,
    }
}

/// `paginate` for a list whose visibility rule is a union of `branches` (each a range one
/// index serves in id order). The rule as one `OR` leaves the database a single plan: walk
/// every id and filter, or read every visible row and sort; for a leader among a hundred
/// that is thousands of rows for a page of twenty. Here each branch gives its first ids,
/// the union keeps the first of those, and only those rows are read: one statement still.
pub async fn paginate_branches<E, C>(
    db: &C,
    select: Select<E>,
    branches: Vec<Condition>,
    id_column: E::Column,
    id_of: impl Fn(&E::Model) -> Uuid,
    args: &PageArgs,
) -> AppResult<Page<(Uuid, E::Model)>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    C: ConnectionTrait,
{
    let limit = args.limit()?;
    let after = args.after_id()?;
    let total_count = if args.skip_total {
        0
    } else {
        let visible = branches
            .iter()
            .cloned()
            .fold(Condition::any(), Condition::add);
        total_count(db, &select.clone().filter(visible), args).await?
    };
    let id = Alias::new(id_column.to_string());
    let mut union: Option<SelectStatement> = None;
    for (n, branch) in branches.into_iter().enumerate() {
        let mut first_ids = select
            .clone()
            .select_only()
            .column(id_column)
            .filter(branch)
            .order_by_asc(id_column)
            .limit(limit + 1);
        if let Some(after) = after {
            first_ids = first_ids.filter(id_column.gt(after));
        }
        // Wrapped, so that each branch keeps its own ORDER BY and LIMIT inside the UNION.
        let part = Query::select()
            .column(id.clone())
            .from_subquery(first_ids.into_query(), Alias::new(format!("branch{n}")))
            .to_owned();
        match &mut union {
            None => union = Some(part),
            Some(union) => {
                union.union(UnionType::Distinct, part);
            }
        }
    }
    // No branch: the rule lets the viewer see nothing.
    let Some(union) = union else {
        return Ok(page_of(Vec::new(), limit, after, total_count, id_of));
    };
    let page_ids = Query::select()
        .column(id.clone())
        .from_subquery(union, Alias::new("visible"))
        .order_by(id, Order::Asc)
        .limit(limit + 1)
        .to_owned();
    let rows = select
        .filter(id_column.in_subquery(page_ids))
        .order_by_asc(id_column)
        .all(db)
        .await?;
    Ok(page_of(rows, limit, after, total_count, id_of))
}

#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// How many items the whole list holds for this viewer and these filters.
    pub total_count: u64,
}

pub type RelayConnection<T> = Connection<String, T, ConnectionTotals>;

pub fn to_connection<T: OutputType>(page: Page<(Uuid, T)>) -> RelayConnection<T> {
    let totals = ConnectionTotals {
        total_count: page.total_count,
    };
    to_connection_with(page, totals)
}

/// `to_connection` for a list whose connection carries more than its total.
pub fn to_connection_with<T: OutputType, A: ObjectType>(
    page: Page<(Uuid, T)>,
    additional_fields: A,
) -> Connection<String, T, A> {
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        additional_fields,
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|(id, node)| Edge::new(encode_cursor(id), node)),
    );
    connection
}
