//! `oneOnOneEvents(oneOnOneId, afterSeq)`: the session's events, in `seq` order, with nothing
//! lost or duplicated.
//!
//! The stream listens to its session's hub before it reads the log, so an event committed
//! while it replays arrives either from the log or from the hub, and `seq` filters the second
//! copy out. Live events that skip a `seq`, a lagging receiver and catch-up signals all read
//! the log from the last delivered `seq`. Access is re-checked whenever the session changes,
//! the company's teams, settings or users change, and every few seconds; a viewer who lost
//! sight gets a last `NOT_FOUND` error and the stream completes.

use std::time::Duration;

use async_graphql::{Context, ID, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::{
    auth::service::session_still_valid,
    error::AppError,
    graphql::{ContextExt, parse_id},
    one_on_ones::{
        events::{Event, LoggedEvent, read_after},
        service::authorize,
        types::{OneOnOneEvent, ResyncRequired, Subscribed, id},
    },
    policy::Viewer,
    realtime::bus::HubSignal,
    state::AppState,
};

/// The most events one subscription replays; further behind, the client refetches.
pub const MAX_REPLAY: u64 = 1_000;
const RECHECK_EVERY: Duration = Duration::from_secs(5);

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
        let viewer = ctx.viewer()?.clone();
        let state = ctx.state().clone();
        let id = parse_id("oneOnOneId", &one_on_one_id)?;
        let session = authorize(&state.db, &viewer, id, None).await?.session;
        if after_seq.is_some_and(|seq| seq < 0) {
            return Err(AppError::bad_input("afterSeq", "must not be negative").into());
        }
        Ok(events(state, viewer, session.id, after_seq))
    }
}

/// Whether the viewer still sees the session (and their token still stands).
async fn still_visible(state: &AppState, viewer: &Viewer, session: Uuid) -> bool {
    matches!(session_still_valid(state, viewer).await, Ok(true))
        && authorize(&state.db, viewer, session, None).await.is_ok()
}

fn events(
    state: AppState,
    viewer: Viewer,
    session: Uuid,
    after_seq: Option<i64>,
) -> impl Stream<Item = async_graphql::Result<OneOnOneEvent>> {
    async_stream::stream! {
        let mut hub = state.bus.subscribe(session);
        let mut access = state.bus.access_changes();
        let shutdown = state.shutdown.clone();
        state.bus.ready().await;

        let latest = match authorize(&state.db, &viewer, session, None).await {
            Ok(authorized) => authorized.session.last_seq,
            Err(err) => {
                yield Err(err.into());
                return;
            }
        };
        let start = after_seq.unwrap_or(latest);
        let replay = if start > latest || latest - start > MAX_REPLAY as i64 {
            None
        } else {
            match read_after(&state.db, session, start, MAX_REPLAY).await {
                // A log that no longer starts right after `start` was pruned past it.
                Ok(events)
                    if (events.is_empty() && start == latest)
                        || events.first().is_some_and(|e| e.seq == start + 1) =>
                {
                    Some(events)
                }
                Ok(_) => None,
                Err(err) => {
                    yield Err(err.into());
                    return;
                }
            }
        };
        let mut delivered = match &replay {
            Some(events) => events.last().map_or(start, |e| e.seq),
            None => latest,
        };
        yield Ok(OneOnOneEvent::Subscribed(Subscribed { seq: delivered, one_on_one_id: id(session) }));
        match replay {
            Some(events) => {
                for event in events {
                    yield Ok(event.into());
                }
            }
            None => yield Ok(OneOnOneEvent::ResyncRequired(ResyncRequired {
                latest_seq: latest,
                one_on_one_id: id(session),
            })),
        }

        let mut recheck = tokio::time::interval(RECHECK_EVERY);
        recheck.tick().await;
        loop {
            // What to deliver next: events in order, or a reason to re-check access.
            let mut pending: Vec<LoggedEvent> = Vec::new();
            let mut check_access = false;
            tokio::select! {
                signal = hub.recv() => match signal {
                    Ok(HubSignal::Event(event)) if event.seq <= delivered => {}
                    Ok(HubSignal::Event(event)) if event.seq == delivered + 1 => {
                        pending.push((*event).clone());
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        match read_after(&state.db, session, delivered, MAX_REPLAY).await {
                            Ok(events) => pending = events,
                            Err(err) => tracing::warn!(error = ?err, "catch-up read failed"),
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                changed = access.recv() => {
                    check_access = match changed {
                        Ok(company) => company == viewer.company_id,
                        Err(_) => true,
                    };
                }
                _ = recheck.tick() => check_access = true,
                _ = crate::state::stopped(shutdown.clone()) => return,
            }
            // A change of the session itself may hide it: check before delivering it.
            check_access |= pending
                .iter()
                .any(|e| matches!(e.event, Event::OneOnOneChanged { .. }));
            if check_access && !still_visible(&state, &viewer, session).await {
                yield Err(AppError::NotFound.into());
                return;
            }
            for event in pending {
                if event.seq > delivered {
                    delivered = event.seq;
                    yield Ok(event.into());
                }
            }
        }
    }
}
