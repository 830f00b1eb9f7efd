//! The `graphql-transport-ws` protocol on `/graphql/ws`, written over the schema's
//! `execute_stream`.
//!
//! async-graphql-axum's built-in handler is not used because it does not keep the protocol's
//! close codes: it replaces a subscription with a duplicate id silently (instead of 4409),
//! closes a subscribe-before-ack with 1011 (instead of 4401) and has no `connection_init`
//! timeout (4408). Owning the socket also lets us bound its buffers and message sizes.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use async_graphql::{Request, Response, parser::types::OperationType};
use axum::{
    extract::{
        ConnectInfo, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket},
    },
    http::HeaderMap,
    response::Response as HttpResponse,
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    auth::{Credentials, service::authenticate},
    graphql::{default_error_codes, request_data},
    http::HttpState,
    policy::Viewer,
};

pub const PROTOCOL: &str = "graphql-transport-ws";
/// Most subscriptions one connection may run at once.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// Largest client message; subscribe messages are small (mutations go over POST).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Messages queued for one slow client before its subscriptions wait.
const OUTBOX: usize = 32;

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
    let offered = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    ws.protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        // tungstenite's defaults reserve 128 KiB of read buffer per connection; subscribe
        // messages are small, and idle connections must stay cheap.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            if offered {
                Connection::new(state, peer).run(socket).await;
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

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
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

/// What a subscription task reports to its connection.
enum Outgoing {
    Message(Value),
    /// A message already serialized.
    Text(String),
    Finished(String),
}

struct Connection {
    state: HttpState,
    peer: SocketAddr,
    viewer: Option<Viewer>,
    initialised: bool,
    subscriptions: HashMap<String, JoinHandle<()>>,
}

/// Why the connection ends.
enum End {
    Close(u16, &'static str),
    ClientGone,
}

impl Connection {
    fn new(state: HttpState, peer: SocketAddr) -> Self {
        Self {
            state,
            peer,
            viewer: None,
            initialised: false,
            subscriptions: HashMap::new(),
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut results) = mpsc::channel::<Outgoing>(OUTBOX);
        let shutdown = self.state.app.shutdown.clone();
        let init_deadline = tokio::time::sleep(self.state.app.config.ws_init_timeout);
        tokio::pin!(init_deadline);
        let far_future = tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600);
        let expiry = tokio::time::sleep_until(far_future);
        tokio::pin!(expiry);

        let end = loop {
            tokio::select! {
                incoming = stream.next() => {
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
                    match self.handle(message, &outgoing).await {
                        Ok(Some(reply)) => {
                            if sink.send(Message::Text(reply.to_string().into())).await.is_err() {
                                break End::ClientGone;
                            }
                            if let Some(viewer) = &self.viewer {
                                let at = viewer.token_expires_at - chrono::Utc::now();
                                let left = at.to_std().unwrap_or_default();
                                expiry.as_mut().reset(tokio::time::Instant::now() + left);
                            }
                        }
                        Ok(None) => {}
                        Err(end) => break end,
                    }
                }
                Some(result) = results.recv() => match result {
                    Outgoing::Message(message) => {
                        if sink.send(Message::Text(message.to_string().into())).await.is_err() {
                            break End::ClientGone;
                        }
                    }
                    Outgoing::Text(text) => {
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            break End::ClientGone;
                        }
                    }
                    Outgoing::Finished(id) => {
                        self.subscriptions.remove(&id);
                    }
                },
                _ = &mut init_deadline, if !self.initialised => {
                    break End::Close(close::INIT_TIMEOUT, "Connection initialisation timeout");
                }
                _ = &mut expiry, if self.viewer.is_some() => {
                    break End::Close(close::FORBIDDEN, "Forbidden: token expired");
                }
                _ = crate::state::stopped(shutdown.clone()) => {
                    break End::Close(close::GOING_AWAY, "Server shutting down");
                }
            }
        };
        for (_, task) in self.subscriptions.drain() {
            task.abort();
        }
        if let End::Close(code, reason) = end {
            let _ = sink.send(close_message(code, reason)).await;
        }
        let _ = sink.close().await;
    }

    /// Handles one client message; `Ok(Some(reply))` is sent back at once.
    async fn handle(
        &mut self,
        message: ClientMessage,
        outgoing: &mpsc::Sender<Outgoing>,
    ) -> Result<Option<Value>, End> {
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.initialised {
                    return Err(End::Close(
                        close::TOO_MANY_INITS,
                        "Too many initialisation requests",
                    ));
                }
                let header = authorization(payload.as_ref());
                let viewer = match authenticate(&self.state.app, header.as_deref()).await {
                    Ok(Credentials::User(viewer)) => viewer,
                    _ => return Err(End::Close(close::FORBIDDEN, "Forbidden")),
                };
                self.viewer = Some(viewer);
                self.initialised = true;
                Ok(Some(json!({ "type": "connection_ack" })))
            }
            ClientMessage::Ping { payload } => Ok(Some(match payload {
                Some(payload) => json!({ "type": "pong", "payload": payload }),
                None => json!({ "type": "pong" }),
            })),
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
                if is_mutation(&payload) {
                    return Ok(Some(error_message(
                        &id,
                        "mutations are only accepted over POST /graphql",
                        "BAD_USER_INPUT",
                    )));
                }
                let mut request = Request::new(payload.query);
                if let Some(variables) = payload.variables {
                    request = request.variables(async_graphql::Variables::from_json(variables));
                }
                if let Some(name) = payload.operation_name {
                    request = request.operation_name(name);
                }
                if let Some(extensions) = payload.extensions {
                    for (key, value) in extensions {
                        if let Ok(value) = async_graphql::Value::from_json(value) {
                            request.extensions.insert(key, value);
                        }
                    }
                }
                let request = request.data(request_data(
                    &self.state.app.db,
                    Credentials::User(viewer),
                    self.peer.ip().to_string(),
                ));
                let request = request.data(self.state.app.metrics.subscription_opened());
                let task = tokio::spawn(run_subscription(
                    self.state.schema.clone(),
                    id.clone(),
                    request,
                    outgoing.clone(),
                ));
                self.subscriptions.insert(id, task);
                Ok(None)
            }
            ClientMessage::Complete { id } => {
                if let Some(task) = self.subscriptions.remove(&id) {
                    task.abort();
                }
                Ok(None)
            }
        }
    }
}

/// The `Authorization` entry of `connection_init`'s payload, whatever its key's case.
fn authorization(payload: Option<&Value>) -> Option<String> {
    payload?
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
        .map(str::to_owned)
}

fn is_mutation(payload: &SubscribePayload) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&payload.query) else {
        return false;
    };
    document
        .operations
        .iter()
        .any(|(_, operation)| operation.node.ty == OperationType::Mutation)
}

fn error_message(id: &str, message: &str, code: &str) -> Value {
    json!({
        "type": "error",
        "id": id,
        "payload": [{ "message": message, "extensions": { "code": code } }],
    })
}

/// Runs one operation's stream: `next` per response and `complete` at the end, or a single
/// `error` when it fails before producing data (validation, or a refused subscription).
async fn run_subscription(
    schema: crate::graphql::AppSchema,
    id: String,
    request: Request,
    outgoing: mpsc::Sender<Outgoing>,
) {
    let mut stream = schema.execute_stream(request);
    let mut first = true;
    let mut failed_at_start = false;
    while let Some(mut response) = stream.next().await {
        default_error_codes(&mut response);
        if first && starts_with_failure(&response) {
            let errors = serde_json::to_value(&response.errors).unwrap_or(Value::Null);
            let message = json!({ "type": "error", "id": id, "payload": errors });
            let _ = outgoing.send(Outgoing::Message(message)).await;
            failed_at_start = true;
            break;
        }
        first = false;
        // Serialized once, straight to text: this runs per subscriber per event.
        let Ok(payload) = serde_json::to_string(&response) else {
            continue;
        };
        let message = format!(
            r#"{{"type":"next","id":{},"payload":{payload}}}"#,
            json!(id)
        );
        if outgoing.send(Outgoing::Text(message)).await.is_err() {
            return;
        }
    }
    if !failed_at_start {
        let _ = outgoing
            .send(Outgoing::Message(json!({ "type": "complete", "id": id })))
            .await;
    }
    let _ = outgoing.send(Outgoing::Finished(id)).await;
}

fn starts_with_failure(response: &Response) -> bool {
    !response.errors.is_empty() && matches!(response.data, async_graphql::Value::Null)
}
