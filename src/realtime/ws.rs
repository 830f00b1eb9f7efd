//! The `graphql-transport-ws` protocol on `/graphql/ws`, written over the schema's
//! `execute_stream`.
//!
//! async-graphql-axum's built-in handler is not used because it does not keep the protocol's
//! close codes: it replaces a subscription with a duplicate id silently (instead of 4409),
//! closes a subscribe-before-ack with 1011 (instead of 4401) and has no `connection_init`
//! timeout (4408). Owning the socket also lets us bound its buffers and message sizes.

use std::{net::SocketAddr, time::Duration};

use async_graphql::parser::types::OperationType;
use axum::{
    extract::{
        ConnectInfo, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket},
    },
    http::HeaderMap,
    response::Response as HttpResponse,
};
use futures_util::{SinkExt, StreamExt, stream::BoxStream};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_stream::StreamMap;

use super::{
    feed::LiveFeeds,
    subscription::{Operation, error_message, messages},
};
use crate::{
    auth::{Credentials, service::authenticate},
    http::HttpState,
    policy::Viewer,
};

pub const PROTOCOL: &str = "graphql-transport-ws";
/// Most subscriptions one connection may run at once.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// Largest client message; subscribe messages are small (mutations go over POST).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

mod close {
    pub const BAD_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
    pub const GOING_AWAY: u16 = 1001;
}

pub async fn upgrade(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> HttpResponse {
    // The connection keeps only the node's live feeds (which hold its state and API): every
    // byte of its task is paid once per idle connection (issue 5: < 10 KB each).
    let live = state.live;
    let offered = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    ws.protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        // tungstenite's defaults reserve 128 KiB of read buffer per connection; client
        // messages are a few hundred bytes (a longer one is still read whole, in more reads),
        // and idle connections must stay cheap (issue 5: < 10 KB each).
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            if offered {
                Connection::new(live, peer).run(socket).await;
            } else {
                let mut socket = socket;
                let _ = socket
                    .send(close_message(
                        close::SUBPROTOCOL,
                        "Subprotocol not acceptable",
                    ))
                    .await;
            }
        })
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.to_owned()),
    }))
}

/// A message's optional `payload`, which the protocol requires to be an object when present
/// (anything else is an invalid message: 4400).
type ObjectPayload = Option<serde_json::Map<String, Value>>;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: ObjectPayload,
    },
    Ping {
        #[serde(default)]
        payload: ObjectPayload,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: ObjectPayload,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    extensions: Option<serde_json::Map<String, Value>>,
}

struct Connection {
    live: LiveFeeds,
    peer: SocketAddr,
    viewer: Option<Viewer>,
    initialised: bool,
    /// The messages of each running subscription, polled by the connection's own task: an
    /// idle subscription costs no task, channel or buffer of its own.
    subscriptions: StreamMap<String, BoxStream<'static, Utf8Bytes>>,
}

/// Why the connection ends.
enum End {
    Close(u16, &'static str),
    ClientGone,
    /// The client stopped reading: its socket is dropped, since not even a close frame would
    /// get through.
    Stalled,
}

/// Sends `message`, giving up on a client that has not read for `timeout`: waiting longer
/// would keep this task, its subscriptions and their feed alive for a reader that is gone.
async fn send(socket: &mut WebSocket, message: Message, timeout: Duration) -> Result<(), End> {
    match tokio::time::timeout(timeout, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::ClientGone),
        Err(_) => Err(End::Stalled),
    }
}

impl Connection {
    fn new(live: LiveFeeds, peer: SocketAddr) -> Self {
        Self {
            live,
            peer,
            viewer: None,
            initialised: false,
            subscriptions: StreamMap::new(),
        }
    }

    /// One task serves the socket both ways: unsplit, each message goes out without the lock
    /// a split sink and stream would share (every delivery to every subscriber pays it).
    async fn run(mut self, mut socket: WebSocket) {
        // Made once, not per loop turn: a delivery to 1,000 sockets is 1,000 turns.
        let stopping = crate::state::stopped(self.live.state().shutdown.clone());
        tokio::pin!(stopping);
        // One timer: `connection_init` must come before it; once it came, the token expires
        // at it.
        let deadline = tokio::time::sleep(self.live.state().config.ws_init_timeout);
        let send_timeout = self.live.state().config.ws_send_timeout;
        tokio::pin!(deadline);

        let end = loop {
            tokio::select! {
                incoming = socket.recv() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Binary(_))) => break End::Close(close::BAD_MESSAGE, "Binary messages are not supported"),
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break End::ClientGone,
                        Some(Ok(_)) => continue,
                    };
                    let message = match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(message) => message,
                        Err(_) => break End::Close(close::BAD_MESSAGE, "Invalid message received"),
                    };
                    // Boxed: authenticating is a large future, and keeping it inline would grow
                    // every idle connection's task by its size.
                    match Box::pin(self.handle(message)).await {
                        Ok(Some(reply)) => {
                            if let Err(end) = send(&mut socket, Message::Text(reply), send_timeout).await {
                                break end;
                            }
                            if let Some(viewer) = &self.viewer {
                                let at = viewer.token_expires_at - chrono::Utc::now();
                                let left = at.to_std().unwrap_or_default();
                                deadline.as_mut().reset(tokio::time::Instant::now() + left);
                            }
                        }
                        Ok(None) => {}
                        Err(end) => break end,
                    }
                }
                Some((_, message)) = self.subscriptions.next(), if !self.subscriptions.is_empty() => {
                    if let Err(end) = send(&mut socket, Message::Text(message), send_timeout).await {
                        break end;
                    }
                }
                _ = &mut deadline => {
                    break if self.initialised {
                        End::Close(close::FORBIDDEN, "Forbidden: token expired")
                    } else {
                        End::Close(close::INIT_TIMEOUT, "Connection initialisation timeout")
                    };
                }
                _ = &mut stopping => {
                    break End::Close(close::GOING_AWAY, "Server shutting down");
                }
            }
        };
        self.subscriptions.clear();
        match end {
            End::Stalled => return,
            End::Close(code, reason) => {
                let _ = send(&mut socket, close_message(code, reason), send_timeout).await;
            }
            End::ClientGone => {}
        }
        let _ = tokio::time::timeout(send_timeout, socket.close()).await;
    }

    /// Handles one client message; `Ok(Some(reply))` is sent back at once.
    async fn handle(&mut self, message: ClientMessage) -> Result<Option<Utf8Bytes>, End> {
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.initialised {
                    return Err(End::Close(
                        close::TOO_MANY_INITS,
                        "Too many initialisation requests",
                    ));
                }
                let header = authorization(payload.as_ref());
                let viewer = match authenticate(self.live.state(), header.as_deref()).await {
                    // The connection outlives this moment's settings: they are read afresh
                    // whenever its subscriptions ask.
                    Ok(Credentials::User(viewer)) => Viewer {
                        company: None,
                        ..viewer
                    },
                    _ => return Err(End::Close(close::FORBIDDEN, "Forbidden")),
                };
                self.viewer = Some(viewer);
                self.initialised = true;
                Ok(Some(json!({ "type": "connection_ack" }).to_string().into()))
            }
            ClientMessage::Ping { payload } => Ok(Some(
                match payload {
                    Some(payload) => json!({ "type": "pong", "payload": payload }),
                    None => json!({ "type": "pong" }),
                }
                .to_string()
                .into(),
            )),
            ClientMessage::Pong { .. } => Ok(None),
            ClientMessage::Subscribe { id, payload } => {
                let Some(viewer) = self.viewer.clone() else {
                    return Err(End::Close(close::UNAUTHORIZED, "Unauthorized"));
                };
                if self.subscriptions.contains_key(&id) {
                    return Err(End::Close(
                        close::DUPLICATE_ID,
                        "Subscriber for this id already exists",
                    ));
                }
                if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
                    return Ok(Some(error_message(
                        &id,
                        "too many subscriptions on this connection",
                        "RATE_LIMITED",
                    )));
                }
                if self.is_mutation(&payload) {
                    return Ok(Some(error_message(
                        &id,
                        "mutations are only accepted over POST /graphql",
                        "BAD_USER_INPUT",
                    )));
                }
                let operation = Operation {
                    query: payload.query,
                    variables: payload.variables,
                    operation_name: payload.operation_name,
                    extensions: payload.extensions,
                };
                let messages = messages(
                    self.live.clone(),
                    id.clone(),
                    operation,
                    viewer,
                    self.peer.ip().to_string(),
                );
                // The open-subscriptions gauge counts it for as long as its stream lives.
                let open = self.live.state().metrics.subscription_opened();
                let messages = messages.inspect(move |_| {
                    let _ = &open;
                });
                self.subscriptions.insert(id, Box::pin(messages));
                Ok(None)
            }
            ClientMessage::Complete { id } => {
                self.subscriptions.remove(&id);
                Ok(None)
            }
        }
    }
}

/// The `Authorization` entry of `connection_init`'s payload, whatever its key's case.
fn authorization(payload: Option<&serde_json::Map<String, Value>>) -> Option<String> {
    payload?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
        .map(str::to_owned)
}

impl Connection {
    fn is_mutation(&self, payload: &SubscribePayload) -> bool {
        let Ok(document) = self.live.api().parse(&payload.query) else {
            return false;
        };
        document
            .operations
            .iter()
            .any(|(_, operation)| operation.node.ty == OperationType::Mutation)
    }
}
