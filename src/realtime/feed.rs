//! One node's shared work for the subscribers of a session (issue 5: 1,000 subscribers of one
//! note within 10 ms).
//!
//! Subscribers with the same selection — same document, operation name and variables — on
//! the same session share one execution and one serialized payload per event, as Hasura
//! multiplexes live queries: a session's feed hears its hub once, renders each event once per
//! distinct selection and broadcasts the result; a subscriber only adds its `id`. This is
//! sound because an event's GraphQL types are snapshots whose fields never depend on the
//! viewer (they render with anonymous credentials, so a field that asked for a viewer would
//! fail rather than leak).
//!
//! Access stays per viewer but is checked once per viewer token and session, however many
//! subscriptions share them: on every access-change signal of the company, before delivering
//! a change of the session itself, and every few seconds at a phase drawn at random per feed,
//! so that thousands of subscriptions opened together do not re-check together.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use async_graphql::{Request, Response, Variables, parser::types::ExecutableDocument};
use axum::extract::ws::Utf8Bytes;
use futures_util::{StreamExt, stream::BoxStream};
use tokio::sync::{
    broadcast::{self, error::RecvError},
    watch,
};
use uuid::Uuid;

use crate::{
    auth::{Credentials, service::session_still_valid},
    graphql::{AppSchema, GraphqlApi, default_error_codes, request_data},
    one_on_ones::{
        events::{Event, LoggedEvent, read_after},
        service::authorize,
        types::OneOnOneEvent,
    },
    policy::Viewer,
    realtime::{
        bus::HubSignal,
        subscription::{MAX_REPLAY, Rendering},
    },
    state::AppState,
};

const RECHECK_EVERY: Duration = Duration::from_secs(5);
/// Rendered events buffered per selection; a subscriber further behind reads the log.
const SELECTION_BUFFER: usize = 256;

/// What a selection's subscribers hear from their feed.
#[derive(Clone)]
pub(crate) enum Delivery {
    Event(Arc<Rendered>),
    /// Events may have been missed and the feed cannot tell which: read the log.
    CatchUp,
}

/// One event rendered for one selection.
pub(crate) struct Rendered {
    pub seq: i64,
    payload: String,
    /// The whole `next` frame for the first subscription id asked for: clients mostly use the
    /// same ids, and then every subscriber sends the very same bytes.
    frame: OnceLock<(String, Utf8Bytes)>,
}

impl Rendered {
    fn new(seq: i64, response: Response) -> Option<Self> {
        Some(Self {
            seq,
            payload: payload(response)?,
            frame: OnceLock::new(),
        })
    }

    /// The `next` message carrying this event to subscription `id`.
    pub fn frame(&self, id: &str) -> Utf8Bytes {
        if let Some((cached_id, frame)) = self.frame.get()
            && cached_id == id
        {
            return frame.clone();
        }
        let frame = next_frame(id, &self.payload);
        let _ = self.frame.set((id.to_owned(), frame.clone()));
        frame
    }
}

/// A response as the `payload` of a protocol message.
pub(crate) fn payload(mut response: Response) -> Option<String> {
    default_error_codes(&mut response);
    serde_json::to_string(&response)
        .inspect_err(|err| tracing::error!(error = %err, "serializing a subscription response"))
        .ok()
}

pub(crate) fn next_frame(id: &str, payload: &str) -> Utf8Bytes {
    format!(
        r#"{{"type":"next","id":{},"payload":{payload}}}"#,
        serde_json::Value::from(id)
    )
    .into()
}

/// What a subscriber asked for, minus the session (which its feed stands for).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SelectionKey {
    pub query: String,
    pub operation_name: Option<String>,
    /// The variables as JSON text.
    pub variables: String,
}

/// A selection of one session's events and the subscribers who share its renderings.
pub(crate) struct Selection {
    key: SelectionKey,
    variables: Variables,
    document: Option<ExecutableDocument>,
    sender: broadcast::Sender<Delivery>,
    state: AppState,
    schema: AppSchema,
}

impl Selection {
    /// Executes the selection over `items`: one response per item. Event types need no
    /// viewer, so no credentials are given.
    pub fn render(
        &self,
        items: Vec<async_graphql::Result<OneOnOneEvent>>,
    ) -> BoxStream<'static, Response> {
        let state = &self.state;
        let mut request = Request::new(self.key.query.clone())
            .variables(self.variables.clone())
            .data(request_data(
                &state.db,
                Credentials::Anonymous,
                String::new(),
            ))
            .data(Rendering::new(items));
        if let Some(name) = &self.key.operation_name {
            request = request.operation_name(name);
        }
        if let Some(document) = &self.document {
            request.set_parsed_query(document.clone());
        }
        self.schema.execute_stream(request)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    async fn render_event(&self, event: &LoggedEvent) -> Option<Rendered> {
        let response = self.render(vec![Ok(event.clone().into())]).next().await?;
        Rendered::new(event.seq, response)
    }
}

pub(crate) fn is_session_change(event: &LoggedEvent) -> bool {
    matches!(event.event, Event::OneOnOneChanged { .. })
}

/// Whether the viewer still sees the session (and their token still stands).
pub(crate) async fn still_visible(state: &AppState, viewer: &Viewer, session: Uuid) -> bool {
    matches!(session_still_valid(state, viewer).await, Ok(true))
        && authorize(&state.db, viewer, session, None).await.is_ok()
}

/// A viewer token's sight of one session, shared by all its subscriptions there. The value
/// turns `false` once, when the viewer loses sight.
struct Sight {
    viewer: Viewer,
    visible: watch::Sender<bool>,
}

/// A subscriber's place in its session's feed.
pub(crate) struct Membership {
    pub selection: Arc<Selection>,
    pub deliveries: broadcast::Receiver<Delivery>,
    pub visible: watch::Receiver<bool>,
}

#[derive(Default)]
struct Feed {
    selections: HashMap<SelectionKey, Arc<Selection>>,
    sights: HashMap<(Uuid, Uuid), Arc<Sight>>,
}

impl Feed {
    /// Forgets selections and sights nobody subscribes to any more; `true` when none is left.
    fn prune(&mut self) -> bool {
        self.selections
            .retain(|_, selection| selection.sender.receiver_count() > 0);
        self.sights
            .retain(|_, sight| sight.visible.receiver_count() > 0);
        self.selections.is_empty() && self.sights.is_empty()
    }
}

struct Inner {
    state: AppState,
    api: GraphqlApi,
    feeds: Mutex<HashMap<Uuid, Feed>>,
}

/// The node's session feeds, each run by one task while it has subscribers.
#[derive(Clone)]
pub struct LiveFeeds {
    inner: Arc<Inner>,
}

impl LiveFeeds {
    pub fn new(state: AppState, api: GraphqlApi) -> Self {
        Self {
            inner: Arc::new(Inner {
                state,
                api,
                feeds: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub(crate) fn state(&self) -> &AppState {
        &self.inner.state
    }

    pub(crate) fn api(&self) -> &GraphqlApi {
        &self.inner.api
    }

    /// Joins the session's feed with a selection, starting the feed if it is the first. The
    /// subscriber hears every event rendered from now on, so reading the log afterwards
    /// leaves no gap.
    pub(crate) fn join(
        &self,
        session: Uuid,
        key: SelectionKey,
        variables: Variables,
        document: Option<ExecutableDocument>,
        viewer: &Viewer,
    ) -> Membership {
        let mut feeds = self.inner.feeds.lock().expect("feeds poisoned");
        let feed = feeds.entry(session).or_insert_with(|| {
            let hub = self.inner.state.bus.subscribe(session);
            tokio::spawn(run_feed(self.clone(), session, hub));
            Feed::default()
        });
        let selection = feed
            .selections
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Selection {
                    key,
                    variables,
                    document,
                    sender: broadcast::channel(SELECTION_BUFFER).0,
                    state: self.inner.state.clone(),
                    schema: self.inner.api.schema().clone(),
                })
            })
            .clone();
        let sight = feed
            .sights
            .entry((viewer.user_id, viewer.session_id))
            .or_insert_with(|| {
                Arc::new(Sight {
                    viewer: viewer.clone(),
                    visible: watch::channel(true).0,
                })
            });
        Membership {
            deliveries: selection.sender.subscribe(),
            visible: sight.visible.subscribe(),
            selection,
        }
    }

    fn selections(&self, session: Uuid) -> Vec<Arc<Selection>> {
        let mut feeds = self.inner.feeds.lock().expect("feeds poisoned");
        feeds.get_mut(&session).map_or_else(Vec::new, |feed| {
            feed.prune();
            feed.selections.values().cloned().collect()
        })
    }

    /// Re-checks every viewer token of the session's feed (of `company` only, when given),
    /// once each; those who lost sight are told and forgotten.
    async fn recheck(&self, session: Uuid, company: Option<Uuid>) {
        let sights: Vec<Arc<Sight>> = {
            let mut feeds = self.inner.feeds.lock().expect("feeds poisoned");
            let Some(feed) = feeds.get_mut(&session) else {
                return;
            };
            feed.prune();
            feed.sights
                .values()
                .filter(|sight| company.is_none_or(|c| c == sight.viewer.company_id))
                .cloned()
                .collect()
        };
        for sight in sights {
            if still_visible(&self.inner.state, &sight.viewer, session).await {
                continue;
            }
            sight.visible.send_replace(false);
            let mut feeds = self.inner.feeds.lock().expect("feeds poisoned");
            if let Some(feed) = feeds.get_mut(&session) {
                feed.sights.retain(|_, other| !Arc::ptr_eq(other, &sight));
            }
        }
    }

    /// Ends the feed if nobody listens any more (under the lock `join` takes, so no
    /// subscriber can join a feed that is ending).
    fn close_if_unused(&self, session: Uuid) -> bool {
        let mut feeds = self.inner.feeds.lock().expect("feeds poisoned");
        let unused = feeds.get_mut(&session).is_none_or(Feed::prune);
        if unused {
            feeds.remove(&session);
        }
        unused
    }
}

/// A session's feed: hears the hub, keeps events in `seq` order (reading the log for any it
/// missed), re-checks access, and renders each event once per selection.
async fn run_feed(feeds: LiveFeeds, session: Uuid, mut hub: broadcast::Receiver<HubSignal>) {
    let state = feeds.inner.state.clone();
    let mut access = state.bus.access_changes();
    let shutdown = state.shutdown.clone();
    let phase = Duration::from_millis(rand::random_range(0..RECHECK_EVERY.as_millis() as u64));
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + phase, RECHECK_EVERY);
    // The last event rendered; unknown until the first one arrives.
    let mut delivered: Option<i64> = None;
    loop {
        let mut pending: Vec<LoggedEvent> = Vec::new();
        let mut catch_up = false;
        tokio::select! {
            signal = hub.recv() => match signal {
                Ok(HubSignal::Event(event)) => match delivered {
                    Some(last) if event.seq <= last => {}
                    Some(last) if event.seq > last + 1 => catch_up = true,
                    _ => pending.push((*event).clone()),
                },
                Ok(HubSignal::CatchUp) | Err(RecvError::Lagged(_)) => catch_up = true,
                Err(RecvError::Closed) => return,
            },
            changed = access.recv() => {
                let company = changed.ok();
                feeds.recheck(session, company).await;
            }
            _ = recheck.tick() => {
                if feeds.close_if_unused(session) {
                    return;
                }
                feeds.recheck(session, None).await;
            }
            _ = crate::state::stopped(shutdown.clone()) => return,
        }
        if catch_up {
            match delivered {
                Some(last) => match read_after(&state.db, session, last, MAX_REPLAY).await {
                    Ok(events) => pending = events,
                    Err(err) => tracing::warn!(error = ?err, "feed catch-up read failed"),
                },
                None => {
                    for selection in feeds.selections(session) {
                        let _ = selection.sender.send(Delivery::CatchUp);
                    }
                }
            }
        }
        if pending.is_empty() {
            continue;
        }
        // A change of the session itself may hide it: check before anyone hears of it.
        if pending.iter().any(is_session_change) {
            feeds.recheck(session, None).await;
        }
        for event in pending {
            for selection in feeds.selections(session) {
                if let Some(rendered) = selection.render_event(&event).await {
                    let _ = selection.sender.send(Delivery::Event(Arc::new(rendered)));
                }
            }
            delivered = Some(event.seq);
        }
    }
}
