//! A small graphql-transport-ws client for the live tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, protocol::frame::coding::CloseCode},
};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct WsClient {
    pub socket: Socket,
}

/// A socket speaking (or not) the protocol, not yet initialised.
pub async fn open(url: &str, with_protocol: bool) -> Socket {
    let mut request = url.into_client_request().unwrap();
    if with_protocol {
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
    }
    connect_async(request).await.expect("websocket connects").0
}

pub const EVENTS: &str =
    "subscription($id: ID!, $after: Int) { oneOnOneEvents(oneOnOneId: $id, afterSeq: $after) {
    __typename
    ... on Subscribed { seq }
    ... on ResyncRequired { latestSeq }
    ... on SharedNoteEdited { seq authorId update version text }
    ... on ActionItemChanged { seq actionItemId removed item { text done } }
    ... on KudosChanged { seq }
    ... on KudosCelebrated { seq celebratedBy }
    ... on DiscussionItemsChanged { seq }
    ... on AttachmentsChanged { seq }
    ... on OneOnOneChanged { seq title private status }
} }";

impl WsClient {
    /// Connects and completes `connection_init` with the token.
    pub async fn connect(url: &str, token: &str) -> Self {
        let mut client = Self {
            socket: open(url, true).await,
        };
        client
            .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        let ack = client.recv().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("message sent");
    }

    /// The next protocol message (skipping pings); panics after ten seconds.
    pub async fn recv(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a message within 10 s")
                .expect("the socket is open")
                .expect("a readable message");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Close(frame) => panic!("closed unexpectedly: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Whether a message arrives within `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) -> Option<Value> {
        match tokio::time::timeout(wait, self.socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => Some(serde_json::from_str(&text).unwrap()),
            _ => None,
        }
    }

    pub async fn subscribe(&mut self, id: &str, session: &str, after_seq: Option<i64>) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": EVENTS, "variables": { "id": session, "after": after_seq } } }))
            .await;
    }

    /// The next event of subscription `id` (its `data.oneOnOneEvents`).
    pub async fn next_event(&mut self, id: &str) -> Value {
        let message = self.recv().await;
        assert_eq!(message["id"], id, "{message}");
        assert_eq!(message["type"], "next", "{message}");
        message["payload"]["data"]["oneOnOneEvents"].clone()
    }
}

/// The close code a socket ends with (waiting up to ten seconds).
pub async fn close_code(socket: &mut Socket) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??;
        if let Ok(Message::Close(frame)) = next {
            return frame
                .map(|f| u16::from(f.code))
                .or(Some(u16::from(CloseCode::Status)));
        }
        if next.is_err() {
            return None;
        }
    }
}
