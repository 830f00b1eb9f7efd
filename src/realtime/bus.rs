//! The node's event bus: how a change committed on any node reaches every subscriber on
//! every node.
//!
//! - Publishing: after a transaction that appended events commits, its events go to the local
//!   hubs at once and, with Redis, onto one channel through a single publisher task (ordered,
//!   never blocking a request).
//! - Receiving: one Redis subscription per node (never one per subscriber) feeds the local
//!   hubs; a hub is one broadcast channel per session with local subscribers.
//! - Nothing relies on pub/sub alone: the event log is the truth. A subscriber that sees a gap,
//!   lags behind its channel, or is told to catch up reads the missing events from the log.
//!   Catch-up is signalled when the Redis subscription is (re)confirmed and by a sweeper that
//!   compares each hub's sessions with their `last_seq` every two seconds, which repairs an
//!   event whose publication died with its node.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use entity::one_on_one;
use redis::aio::ConnectionManager;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};
use uuid::Uuid;

use crate::one_on_ones::events::LoggedEvent;

/// What travels between nodes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BusMessage {
    /// An event appended to a session's log (and committed).
    Event(LoggedEvent),
    /// Something changed who may see what in a company (teams, settings, users): every open
    /// stream of that company re-checks its viewer's access.
    AccessChanged { company_id: Uuid },
}

/// What a local subscriber of one session hears.
#[derive(Clone, Debug)]
pub enum HubSignal {
    Event(Arc<LoggedEvent>),
    /// Read the log: something may have been missed.
    CatchUp,
}

/// Buffer per session hub; a subscriber further behind than this catches up from the log.
const HUB_CAPACITY: usize = 256;
const PUBLISH_QUEUE: usize = 4_096;
const SWEEP_EVERY: Duration = Duration::from_secs(2);

struct Hub {
    sender: broadcast::Sender<HubSignal>,
    /// The highest `seq` this node has seen for the session.
    latest_seq: i64,
}

struct Inner {
    hubs: Mutex<HashMap<Uuid, Hub>>,
    access: broadcast::Sender<Uuid>,
    /// True once this node's Redis subscription is confirmed (always, without Redis).
    ready: watch::Sender<bool>,
    publisher: Option<mpsc::Sender<String>>,
}

#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

impl EventBus {
    /// A bus for one node. With `redis`, it starts the node's subscription and publisher tasks
    /// (they end when `shutdown` fires).
    pub fn start(
        db: DatabaseConnection,
        redis: Option<(redis::Client, ConnectionManager, String)>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let (access, _) = broadcast::channel(64);
        let (ready, _) = watch::channel(redis.is_none());
        let publisher = redis.as_ref().map(|(_, connection, channel)| {
            let (sender, receiver) = mpsc::channel(PUBLISH_QUEUE);
            tokio::spawn(publish_loop(
                connection.clone(),
                channel.clone(),
                receiver,
                shutdown.clone(),
            ));
            sender
        });
        let bus = Self {
            inner: Arc::new(Inner {
                hubs: Mutex::new(HashMap::new()),
                access,
                ready,
                publisher,
            }),
        };
        if let Some((client, _, channel)) = redis {
            tokio::spawn(subscribe_loop(
                bus.clone(),
                client,
                channel,
                shutdown.clone(),
            ));
        }
        tokio::spawn(sweep_loop(bus.clone(), db, shutdown));
        bus
    }

    /// Announces committed events (and access changes) to this node and, with Redis, to all.
    pub fn publish(&self, messages: Vec<BusMessage>) {
        for message in messages {
            if let Some(publisher) = &self.inner.publisher {
                match serde_json::to_string(&message) {
                    Ok(json) => {
                        if publisher.try_send(json).is_err() {
                            // The log still has it; remote subscribers catch up on the
                            // session's next event or the sweeper's next pass.
                            tracing::warn!("event publish queue full; relying on catch-up");
                        }
                    }
                    Err(err) => tracing::error!(error = %err, "serializing a bus message"),
                }
            }
            self.dispatch(message);
        }
    }

    /// Delivers a message to this node's subscribers.
    fn dispatch(&self, message: BusMessage) {
        match message {
            BusMessage::Event(event) => {
                let mut hubs = self.inner.hubs.lock().expect("hub map poisoned");
                if let Some(hub) = hubs.get_mut(&event.one_on_one_id) {
                    hub.latest_seq = hub.latest_seq.max(event.seq);
                    let _ = hub.sender.send(HubSignal::Event(Arc::new(event)));
                }
            }
            BusMessage::AccessChanged { company_id } => {
                let _ = self.inner.access.send(company_id);
            }
        }
    }

    /// Listens to a session's events on this node.
    pub fn subscribe(&self, one_on_one_id: Uuid) -> broadcast::Receiver<HubSignal> {
        let mut hubs = self.inner.hubs.lock().expect("hub map poisoned");
        hubs.retain(|_, hub| hub.sender.receiver_count() > 0);
        hubs.entry(one_on_one_id)
            .or_insert_with(|| Hub {
                sender: broadcast::channel(HUB_CAPACITY).0,
                latest_seq: 0,
            })
            .sender
            .subscribe()
    }

    pub fn access_changes(&self) -> broadcast::Receiver<Uuid> {
        self.inner.access.subscribe()
    }

    /// Resolves once this node's Redis subscription is confirmed.
    pub async fn ready(&self) {
        let mut ready = self.inner.ready.subscribe();
        let _ = ready.wait_for(|ready| *ready).await;
    }

    fn catch_up_all(&self) {
        let hubs = self.inner.hubs.lock().expect("hub map poisoned");
        for hub in hubs.values() {
            let _ = hub.sender.send(HubSignal::CatchUp);
        }
    }

    /// Listeners of session hubs on this node: one per session feed (see `feed`), however
    /// many subscriptions share it.
    pub fn subscriber_count(&self) -> usize {
        let hubs = self.inner.hubs.lock().expect("hub map poisoned");
        hubs.values().map(|hub| hub.sender.receiver_count()).sum()
    }
}

async fn publish_loop(
    mut connection: ConnectionManager,
    channel: String,
    mut queue: mpsc::Receiver<String>,
    shutdown: watch::Receiver<bool>,
) {
    loop {
        let message = tokio::select! {
            message = queue.recv() => match message {
                Some(message) => message,
                None => return,
            },
            _ = crate::state::stopped(shutdown.clone()) => return,
        };
        let sent: Result<i64, _> = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&message)
                .query_async(&mut connection),
        )
        .await
        .unwrap_or_else(|_| {
            Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "publish timed out",
            )))
        });
        if let Err(err) = sent {
            // Subscribers elsewhere catch up from the log once Redis is back.
            tracing::warn!(error = %err, "publishing an event to Redis failed");
        }
    }
}

/// The node's one Redis subscription, re-established whenever it drops. Each confirmed
/// (re)subscription tells every local subscriber to catch up from the log, since messages
/// published while it was down are gone.
async fn subscribe_loop(
    bus: EventBus,
    client: redis::Client,
    channel: String,
    shutdown: watch::Receiver<bool>,
) {
    use futures_util::StreamExt;
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let pubsub = tokio::select! {
            result = subscribed => result,
            _ = crate::state::stopped(shutdown.clone()) => return,
        };
        match pubsub {
            Ok(pubsub) => {
                backoff = Duration::from_millis(100);
                bus.inner.ready.send_replace(true);
                bus.catch_up_all();
                tracing::info!("event bus subscribed to Redis");
                let mut messages = pubsub.into_on_message();
                loop {
                    let message = tokio::select! {
                        message = messages.next() => message,
                        _ = crate::state::stopped(shutdown.clone()) => return,
                    };
                    let Some(message) = message else { break };
                    let payload: String = match message.get_payload() {
                        Ok(payload) => payload,
                        Err(_) => continue,
                    };
                    match serde_json::from_str::<BusMessage>(&payload) {
                        Ok(message) => bus.dispatch(message),
                        Err(err) => tracing::warn!(error = %err, "unreadable bus message"),
                    }
                }
                tracing::warn!("Redis subscription lost; reconnecting");
                bus.inner.ready.send_replace(false);
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot subscribe to Redis; retrying");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {},
            _ = crate::state::stopped(shutdown.clone()) => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// Compares every local hub with its session's `last_seq`; a hub behind the log is told to
/// catch up (an event committed on a node that died before publishing it).
async fn sweep_loop(bus: EventBus, db: DatabaseConnection, shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {},
            _ = crate::state::stopped(shutdown.clone()) => return,
        }
        let watched: Vec<Uuid> = {
            let mut hubs = bus.inner.hubs.lock().expect("hub map poisoned");
            hubs.retain(|_, hub| hub.sender.receiver_count() > 0);
            hubs.keys().copied().collect()
        };
        if watched.is_empty() {
            continue;
        }
        let latest: Vec<(Uuid, i64)> = match one_on_one::Entity::find()
            .select_only()
            .column(one_on_one::Column::Id)
            .column(one_on_one::Column::LastSeq)
            .filter(one_on_one::Column::Id.is_in(watched))
            .into_tuple()
            .all(&db)
            .await
        {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(error = %err, "event sweep failed");
                continue;
            }
        };
        let mut hubs = bus.inner.hubs.lock().expect("hub map poisoned");
        for (id, last_seq) in latest {
            if let Some(hub) = hubs.get_mut(&id)
                && last_seq > hub.latest_seq
            {
                hub.latest_seq = last_seq;
                let _ = hub.sender.send(HubSignal::CatchUp);
            }
        }
    }
}
