//! `oneOnOneEvents(oneOnOneId, afterSeq)`: the session's events, in `seq` order, with nothing
//! lost or duplicated.
//!
//! A subscription runs in two executions of its document. Opening authorizes the viewer and
//! records which session and `afterSeq` were asked for; from then on the document only renders
//! events handed to it (`Rendering`), so one rendering can serve every subscriber with the
//! same selection (`feed`). A subscriber joins its session's feed before it reads the log, so
//! an event committed while it replays arrives either from the log or from the feed, and `seq`
//! filters the second copy out. A subscriber that lags behind the feed, sees a gap or is told
//! to catch up reads the log from the last `seq` it delivered. A viewer who lost sight gets a
//! last `NOT_FOUND` error and the stream completes.

use std::sync::{Arc, Mutex};

use async_graphql::{Context, ID, Request, Subscription, Variables};
use axum::extract::ws::Utf8Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{broadcast::error::RecvError, watch};
use uuid::Uuid;

use crate::{
    auth::Credentials,
    error::AppError,
    graphql::{ContextExt, parse_id, request_data},
    one_on_ones::{
        events::{LoggedEvent, last_seq, read_after},
        service::authorize,
        types::{OneOnOneEvent, ResyncRequired, Subscribed, id},
    },
    policy::Viewer,
    realtime::feed::{
        Delivery, LiveFeeds, Rendered, Selection, SelectionKey, is_session_change, next_frame,
        payload, still_visible,
    },
};

/// The most events one subscription replays; further behind, the client refetches.
pub const MAX_REPLAY: u64 = 1_000;

#[derive(Default)]
pub struct RealtimeSubscription;

#[Subscription]
impl RealtimeSubscription {
    /// A 1:1's live events. The first message is `Subscribed`; then the events after
    /// `afterSeq` (from the log), then live ones. Omit `afterSeq` to start from now.
    async fn one_on_one_events(
        &self,
        ctx: &Context<'_>,
        one_on_one_id: ID,
        after_seq: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OneOnOneEvent>> + use<>>
    {
        if let Some(rendering) = ctx.data_opt::<Rendering>() {
            return Ok(futures_util::stream::iter(rendering.take()));
        }
        let viewer = ctx.viewer()?.clone();
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        let session = authorize(&ctx.state().db, &viewer, id, None).await?.session;
        if after_seq.is_some_and(|seq| seq < 0) {
            return Err(AppError::bad_input("afterSeq", "must not be negative").into());
        }
        ctx.data::<Arc<Requested>>()?.record(Opened {
            session: session.id,
            after_seq,
        });
        Ok(futures_util::stream::iter(Vec::new()))
    }
}

/// What opening a subscription found: the session the viewer may watch, and from where.
struct Opened {
    session: Uuid,
    after_seq: Option<i64>,
}

/// Request data of a subscription's opening execution: what its root fields asked for.
#[derive(Default)]
struct Requested(Mutex<Vec<Opened>>);

impl Requested {
    fn record(&self, opened: Opened) {
        self.0.lock().expect("opening poisoned").push(opened);
    }

    /// The one root field's request; `None` unless exactly one was selected.
    fn single(&self) -> Option<Opened> {
        let mut opened = self.0.lock().expect("opening poisoned");
        (opened.len() == 1).then(|| opened.remove(0))
    }
}

/// Request data of an execution that renders the given events with a subscription's
/// selection (see `feed`).
pub(crate) struct Rendering(Mutex<Vec<async_graphql::Result<OneOnOneEvent>>>);

impl Rendering {
    pub fn new(items: Vec<async_graphql::Result<OneOnOneEvent>>) -> Self {
        Self(Mutex::new(items))
    }

    fn take(&self) -> Vec<async_graphql::Result<OneOnOneEvent>> {
        std::mem::take(&mut *self.0.lock().expect("rendering poisoned"))
    }
}

/// A `subscribe` message's operation.
pub(crate) struct Operation {
    pub query: String,
    pub variables: Option<Value>,
    pub operation_name: Option<String>,
    pub extensions: Option<serde_json::Map<String, Value>>,
}

impl Operation {
    fn request(&self) -> Request {
        let mut request = Request::new(self.query.clone()).variables(self.variables());
        if let Some(name) = &self.operation_name {
            request = request.operation_name(name);
        }
        for (key, value) in self.extensions.iter().flatten() {
            if let Ok(value) = async_graphql::Value::from_json(value.clone()) {
                request.extensions.insert(key.clone(), value);
            }
        }
        request
    }

    fn variables(&self) -> Variables {
        self.variables
            .clone()
            .map(Variables::from_json)
            .unwrap_or_default()
    }

    fn selection_key(self) -> SelectionKey {
        SelectionKey {
            query: self.query,
            operation_name: self.operation_name,
            variables: self.variables.unwrap_or(Value::Null).to_string(),
        }
    }
}

/// The protocol messages of subscription `id`, ready to send: `next` per response and
/// `complete` at the end, or a single `error` when it fails before producing data
/// (validation, or a refused subscription).
pub(crate) fn messages(
    feeds: LiveFeeds,
    id: String,
    operation: Operation,
    viewer: Viewer,
    client_address: String,
) -> impl Stream<Item = Utf8Bytes> + Send + 'static {
    async_stream::stream! {
        // Boxed: the opening execution is large and short-lived, and a subscription lives
        // on idle for hours with only what it needs to deliver (issue 5: memory per idle
        // connection).
        let mut opened = None;
        let mut steps = Box::pin(open(&feeds, &id, &operation, &viewer, client_address));
        while let Some(step) = steps.next().await {
            match step {
                Opening::Frame(frame) => yield frame,
                Opening::Opened(session) => opened = Some(session),
            }
        }
        drop(steps);
        let Some(opened) = opened else {
            return;
        };
        let document = feeds.api().parse(&operation.query).ok();
        let variables = operation.variables();
        let membership = feeds.join(opened.session, operation.selection_key(), variables, document, &viewer);
        let mut subscriber = Subscriber {
            id,
            session: opened.session,
            viewer,
            selection: membership.selection,
            delivered: 0,
        };
        let mut deliveries = membership.deliveries;
        let sight = membership.visible.clone();
        // Made once, not per loop turn: every delivery is a turn.
        let mut sight_lost = std::pin::pin!(sight_lost(membership.visible));
        let mut lost_sight = false;
        let mut failed = false;
        let mut frames = Box::pin(subscriber.start(opened.after_seq));
        while let Some(step) = frames.next().await {
            match step {
                Step::Frame(frame) => yield frame,
                Step::LostSight => lost_sight = true,
                Step::Failed => failed = true,
            }
        }
        drop(frames);
        while !lost_sight && !failed {
            let next = tokio::select! {
                biased;
                next = &mut sight_lost => next,
                delivery = deliveries.recv() => match delivery {
                    Ok(Delivery::Event(event)) if event.seq <= subscriber.delivered => Next::Wait,
                    // The feed re-checked access before rendering a change of the session.
                    Ok(Delivery::Event(_)) if !*sight.borrow() => Next::LostSight,
                    Ok(Delivery::Event(event)) if event.seq == subscriber.delivered + 1 => {
                        Next::Deliver(event)
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => Next::CatchUp,
                    Err(RecvError::Closed) => Next::End,
                },
            };
            match next {
                Next::Wait => {}
                Next::Deliver(event) => {
                    subscriber.delivered = event.seq;
                    yield event.frame(&subscriber.id);
                }
                Next::CatchUp => {
                    let mut frames = Box::pin(subscriber.catch_up());
                    while let Some(step) = frames.next().await {
                        match step {
                            Step::Frame(frame) => yield frame,
                            Step::LostSight => lost_sight = true,
                            Step::Failed => failed = true,
                        }
                    }
                }
                Next::LostSight => lost_sight = true,
                Next::End => break,
            }
        }
        if lost_sight {
            let mut frames = Box::pin(subscriber.render(vec![Err(AppError::NotFound.into())]));
            while let Some(frame) = frames.next().await {
                yield frame;
            }
        }
        yield complete_frame(&subscriber.id);
    }
}

/// Resolves when the viewer loses sight of the session (`LostSight`) or the feed forgets it
/// (`End`).
async fn sight_lost(mut visible: watch::Receiver<bool>) -> Next {
    loop {
        let changed = visible.changed().await;
        if !*visible.borrow_and_update() {
            return Next::LostSight;
        }
        if changed.is_err() {
            return Next::End;
        }
    }
}

/// What the opening execution gives: frames to send, then `Opened` if the subscription is to
/// join its feed.
enum Opening {
    Frame(Utf8Bytes),
    Opened(Opened),
}

/// Runs the opening execution: a refusal, or (for a query sent over the socket) its answer and
/// `complete`; or, for a subscription the viewer may open, where it starts.
fn open<'a>(
    feeds: &'a LiveFeeds,
    id: &'a str,
    operation: &'a Operation,
    viewer: &'a Viewer,
    client_address: String,
) -> impl Stream<Item = Opening> + Send + 'a {
    async_stream::stream! {
        let requested = Arc::new(Requested::default());
        let credentials = Credentials::User(viewer.clone());
        let request = operation
            .request()
            .data(request_data(&feeds.state().db, credentials.clone(), client_address))
            .data(requested.clone());
        // Only a failure (or a query sent over the socket) answers the opening itself.
        let mut answered = false;
        let mut responses = match feeds.api().execute_stream(request, &credentials) {
            Ok(responses) => responses,
            Err(refused) => {
                yield Opening::Frame(error_frame(id, async_graphql::Response::from_errors(vec![refused])));
                return;
            }
        };
        while let Some(response) = responses.next().await {
            if !answered && starts_with_failure(&response) {
                yield Opening::Frame(error_frame(id, response));
                return;
            }
            answered = true;
            if let Some(payload) = payload(response) {
                yield Opening::Frame(next_frame(id, &payload));
            }
        }
        if answered {
            yield Opening::Frame(complete_frame(id));
            return;
        }
        match requested.single() {
            Some(opened) => yield Opening::Opened(opened),
            None => yield Opening::Frame(error_message(id, "a subscription selects exactly one root field", "BAD_USER_INPUT")),
        }
    }
}

/// A step of a subscription's own reading of the log: a frame to send, or the end.
enum Step {
    Frame(Utf8Bytes),
    /// The viewer no longer sees the session: a last `NOT_FOUND`, then `complete`.
    LostSight,
    /// The log could not be read; the error was sent: `complete`.
    Failed,
}

/// What a joined subscription does next.
enum Next {
    Wait,
    Deliver(Arc<Rendered>),
    CatchUp,
    LostSight,
    End,
}

/// One subscription's own state once it has joined its feed.
struct Subscriber {
    id: String,
    session: Uuid,
    viewer: Viewer,
    selection: Arc<Selection>,
    /// The last `seq` sent to the client.
    delivered: i64,
}

impl Subscriber {
    /// `Subscribed`, then the events after `after_seq` from the log (or `ResyncRequired`).
    /// Ends the subscription when the log cannot be read, or when the viewer no longer sees
    /// the session.
    fn start(&mut self, after_seq: Option<i64>) -> impl Stream<Item = Step> + '_ {
        async_stream::stream! {
            let state = self.selection.state().clone();
            state.bus.ready().await;
            let session = self.session;
            let read = async {
                let latest = last_seq(&state.db, session).await?;
                let start = after_seq.unwrap_or(latest);
                if start > latest || latest - start > MAX_REPLAY as i64 {
                    return Ok((latest, start, None));
                }
                let events = read_after(&state.db, session, start, MAX_REPLAY).await?;
                // A log that no longer starts right after `start` was pruned past it.
                let whole = (events.is_empty() && start == latest)
                    || events.first().is_some_and(|e| e.seq == start + 1);
                Ok::<_, AppError>((latest, start, whole.then_some(events)))
            };
            let (latest, start, replay) = match read.await {
                Ok(read) => read,
                Err(err) => {
                    let mut frames = Box::pin(self.render(vec![Err(err.into())]));
                    while let Some(frame) = frames.next().await {
                        yield Step::Frame(frame);
                    }
                    yield Step::Failed;
                    return;
                }
            };
            // The opening check came before this subscriber joined its feed, and the feed
            // re-checks only those who have joined: a session hidden in between (or while
            // this node waited for Redis) is caught here, before any event is sent.
            if !still_visible(&state, &self.viewer, session).await {
                yield Step::LostSight;
                return;
            }
            self.delivered = match &replay {
                Some(events) => events.last().map_or(start, |e| e.seq),
                None => latest,
            };
            let session = id(self.session);
            let mut items = vec![Ok(OneOnOneEvent::Subscribed(Subscribed {
                seq: self.delivered,
                one_on_one_id: session.clone(),
            }))];
            match replay {
                Some(events) => items.extend(events.into_iter().map(|e| Ok(e.into()))),
                None => items.push(Ok(OneOnOneEvent::ResyncRequired(ResyncRequired {
                    latest_seq: latest,
                    one_on_one_id: session,
                }))),
            }
            let mut frames = Box::pin(self.render(items));
            while let Some(frame) = frames.next().await {
                yield Step::Frame(frame);
            }
        }
    }

    /// The events after the last delivered one, read from the log; `LostSight` when one of
    /// them changed the session and the viewer no longer sees it. A failed read sends
    /// nothing: the next event tries again.
    fn catch_up(&mut self) -> impl Stream<Item = Step> + '_ {
        async_stream::stream! {
            let state = self.selection.state().clone();
            let events: Vec<LoggedEvent> =
                match read_after(&state.db, self.session, self.delivered, MAX_REPLAY).await {
                    Ok(events) => events,
                    Err(err) => {
                        tracing::warn!(error = ?err, "catch-up read failed");
                        return;
                    }
                };
            if events.iter().any(is_session_change)
                && !still_visible(&state, &self.viewer, self.session).await
            {
                yield Step::LostSight;
                return;
            }
            if let Some(last) = events.last() {
                self.delivered = last.seq;
            }
            let mut frames = Box::pin(self.render(events.into_iter().map(|e| Ok(e.into())).collect()));
            while let Some(frame) = frames.next().await {
                yield Step::Frame(frame);
            }
        }
    }

    /// `next` messages of this subscription's selection over `items`.
    fn render(
        &self,
        items: Vec<async_graphql::Result<OneOnOneEvent>>,
    ) -> impl Stream<Item = Utf8Bytes> + use<> {
        let id = self.id.clone();
        self.selection.render(items).filter_map(move |response| {
            let frame = payload(response).map(|payload| next_frame(&id, &payload));
            async move { frame }
        })
    }
}

fn starts_with_failure(response: &async_graphql::Response) -> bool {
    !response.errors.is_empty() && matches!(response.data, async_graphql::Value::Null)
}

fn error_frame(id: &str, mut response: async_graphql::Response) -> Utf8Bytes {
    crate::graphql::default_error_codes(&mut response);
    let errors = serde_json::to_value(&response.errors).unwrap_or(Value::Null);
    json!({ "type": "error", "id": id, "payload": errors })
        .to_string()
        .into()
}

pub(crate) fn error_message(id: &str, message: &str, code: &str) -> Utf8Bytes {
    json!({
        "type": "error",
        "id": id,
        "payload": [{ "message": message, "extensions": { "code": code } }],
    })
    .to_string()
    .into()
}

fn complete_frame(id: &str) -> Utf8Bytes {
    json!({ "type": "complete", "id": id }).to_string().into()
}
