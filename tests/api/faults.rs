//! Failures that must lose nothing: Redis restarted mid-session, a node killed mid-edit, and
//! clients arriving the instant a fresh node listens. Each test runs its own `redis-server` on
//! a free port, never the shared one.

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::{
    helpers::{TestApp, spawn_cluster},
    one_on_ones::{Pair, new_draft, pair},
    ws_client::WsClient,
};

struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    /// `None` when this machine has no `redis-server` (allowed outside CI only).
    async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut redis = Self { port, child: None };
        if !redis.spawn().await {
            assert!(
                std::env::var("CI").is_err(),
                "redis-server is required in CI"
            );
            eprintln!("redis-server not found: fault test skipped");
            return None;
        }
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

async fn shared_session(node: &TestApp) -> (Pair, String) {
    let pair = pair(node).await;
    let id = new_draft(node, &pair.leader, &pair.member, json!({})).await;
    node.ok(
        &pair.leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    (pair, id)
}

/// Adds a kudo (one event) through `node`; returns whether it was accepted.
async fn kudo(node: &TestApp, token: &str, session: &str, text: &str) -> bool {
    node.gql(
        Some(token),
        "mutation($id: ID!, $t: String!) { addKudo(oneOnOneId: $id, text: $t) { id } }",
        json!({ "id": session, "t": text }),
    )
    .await["errors"]
        .is_null()
}

/// Reads events of subscription `id` until `last_seq`, asserting each seq exactly once in order.
async fn expect_seqs(client: &mut WsClient, id: &str, from: i64, last_seq: i64) -> Vec<Value> {
    let mut events = Vec::new();
    for expected in from..=last_seq {
        let event = client.next_event(id).await;
        assert_eq!(event["seq"], expected, "{event}");
        events.push(event);
    }
    assert!(
        client.quiet_for(Duration::from_millis(500)).await.is_none(),
        "a duplicate or extra event"
    );
    events
}

async fn last_seq(node: &TestApp, token: &str, session: &str) -> i64 {
    node.ok(
        token,
        "query($id: ID!) { oneOnOne(id: $id) { lastSeq } }",
        json!({ "id": session }),
    )
    .await["oneOnOne"]["lastSeq"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn redis_restarted_mid_session_loses_and_duplicates_nothing() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let nodes = spawn_cluster(2, &redis.url()).await;
    let (Pair { leader, .. }, session) = shared_session(&nodes[0]).await;
    let mut watcher = WsClient::connect(&nodes[0].ws_url(), &leader.token).await;
    watcher.subscribe("s", &session, None).await;
    let start = watcher.next_event("s").await["seq"].as_i64().unwrap();

    assert!(kudo(&nodes[1], &leader.token, &session, "before").await);
    assert_eq!(watcher.next_event("s").await["seq"], start + 1);

    redis.stop().await;
    // Queries and mutations keep working while Redis is down.
    for n in 0..3 {
        assert!(kudo(&nodes[1], &leader.token, &session, &format!("during {n}")).await);
    }
    nodes[1]
        .ok(&leader.token, "{ viewer { id } }", json!({}))
        .await;
    assert!(redis.spawn().await, "redis restarts");
    assert!(kudo(&nodes[1], &leader.token, &session, "after").await);

    let last = last_seq(&nodes[0], &leader.token, &session).await;
    assert_eq!(last, start + 5);
    expect_seqs(&mut watcher, "s", start + 2, last).await;
}

#[tokio::test]
async fn a_node_killed_mid_edit_loses_and_duplicates_nothing() {
    let Some(redis) = OwnRedis::start().await else {
        return;
    };
    let mut nodes = spawn_cluster(2, &redis.url()).await;
    let (Pair { leader, .. }, session) = shared_session(&nodes[0]).await;
    let mut watcher = WsClient::connect(&nodes[0].ws_url(), &leader.token).await;
    watcher.subscribe("s", &session, None).await;
    let start = watcher.next_event("s").await["seq"].as_i64().unwrap();
    let mut doomed_watcher = WsClient::connect(&nodes[1].ws_url(), &leader.token).await;
    doomed_watcher.subscribe("d", &session, None).await;
    doomed_watcher.next_event("d").await;

    // Edits pour into node B while it is killed.
    let writer = {
        let address = nodes[1].address.clone();
        let token = leader.token.clone();
        let session = session.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0..200 {
                let sent = client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": "mutation($id: ID!, $t: String!) { addKudo(oneOnOneId: $id, text: $t) { id } }", "variables": { "id": session, "t": format!("k{n}") } }))
                    .send()
                    .await;
                if sent.is_err() {
                    return n;
                }
            }
            200
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    nodes[1].kill();
    let attempted = writer.await.unwrap();
    assert!(attempted > 0, "some edits went in before the kill");

    // Edits go on through the surviving node.
    assert!(kudo(&nodes[0], &leader.token, &session, "after the crash").await);
    let last = last_seq(&nodes[0], &leader.token, &session).await;
    // The watcher on the surviving node sees every committed event once, in order.
    expect_seqs(&mut watcher, "s", start + 1, last).await;

    // The client of the dead node reconnects to the survivor from its last seq.
    let mut seen = start;
    while let Some(message) = doomed_watcher.quiet_for(Duration::from_millis(200)).await {
        if let Some(seq) = message["payload"]["data"]["oneOnOneEvents"]["seq"].as_i64() {
            assert_eq!(seq, seen + 1);
            seen = seq;
        }
    }
    let mut reconnected = WsClient::connect(&nodes[0].ws_url(), &leader.token).await;
    reconnected.subscribe("r", &session, Some(seen)).await;
    assert_eq!(reconnected.next_event("r").await["seq"], last);
    expect_seqs(&mut reconnected, "r", seen + 1, last).await;
}

#[tokio::test]
async fn clients_arriving_as_a_fresh_node_starts_converge() {
    let Some(redis) = OwnRedis::start().await else {
        return;
    };
    // Node A runs already; node B is started now and used the instant it listens.
    let nodes = spawn_cluster(1, &redis.url()).await;
    let (Pair { leader, member, .. }, session) = shared_session(&nodes[0]).await;
    let fresh = crate::helpers::spawn_node_like(&nodes[0]).await;

    let mut clients = Vec::new();
    for n in 0..5 {
        let url = fresh.ws_url();
        let token = leader.token.clone();
        let session = session.clone();
        clients.push(tokio::spawn(async move {
            let mut client = WsClient::connect(&url, &token).await;
            client.subscribe(&format!("c{n}"), &session, Some(1)).await;
            (n, client)
        }));
    }
    let writers: Vec<_> = (0..5)
        .map(|n| {
            let node = if n % 2 == 0 { fresh.address.clone() } else { nodes[0].address.clone() };
            let token = member.token.clone();
            let session = session.clone();
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{node}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": "mutation($id: ID!, $t: String!) { addActionItem(oneOnOneId: $id, input: { text: $t }) { id } }", "variables": { "id": session, "t": format!("item {n}") } }))
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            })
        })
        .collect();
    for writer in writers {
        assert!(writer.await.unwrap()["errors"].is_null());
    }
    let last = last_seq(&nodes[0], &leader.token, &session).await;
    assert_eq!(last, 6, "the share and five items");
    for client in clients {
        let (n, mut client) = client.await.unwrap();
        let id = format!("c{n}");
        let subscribed = client.next_event(&id).await;
        assert_eq!(subscribed["__typename"], "Subscribed");
        expect_seqs(&mut client, &id, 2, last).await;
    }
}

#[tokio::test]
async fn a_viewer_who_loses_sight_while_redis_is_down_hears_nothing_of_it() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let nodes = spawn_cluster(1, &redis.url()).await;
    let node = &nodes[0];
    let (
        Pair {
            company_admin,
            leader,
            ..
        },
        session,
    ) = shared_session(node).await;
    let before = last_seq(node, &leader.token, &session).await;

    // While Redis is down the node cannot promise live delivery: a subscription is accepted
    // but waits for Redis before its `Subscribed` and replay.
    redis.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut admin = WsClient::connect(&node.ws_url(), &company_admin).await;
    admin.subscribe("s", &session, Some(before)).await;
    assert!(
        admin.quiet_for(Duration::from_millis(300)).await.is_none(),
        "nothing before Redis is back"
    );

    // Meanwhile the leader makes the session private, then gives a kudo in private.
    node.ok(
        &leader.token,
        "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: true }) { id } }",
        json!({ "id": session }),
    )
    .await;
    assert!(kudo(node, &leader.token, &session, "in private").await);
    assert!(redis.spawn().await, "redis restarts");

    // The admin no longer sees the session: not one event of it, a last NOT_FOUND, complete.
    let last = admin.recv().await;
    assert_eq!(
        last["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{last}"
    );
    assert_eq!(admin.recv().await, json!({ "type": "complete", "id": "s" }));
}
