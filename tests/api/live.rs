//! Live delivery (SPEC §6): the graphql-transport-ws protocol, `oneOnOneEvents`, privacy on
//! the stream, and several nodes behind one Redis.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    helpers::{Person, TestApp, post_graphql, spawn_app, spawn_app_with, spawn_cluster},
    one_on_ones::{Pair, new_draft, pair},
    ws_client::{WsClient, close_code, open},
};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

pub async fn shared_session(app: &TestApp, leader: &Person, member: &Person) -> String {
    let id = new_draft(app, leader, member, json!({})).await;
    app.ok(
        &leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    id
}

/// `person`'s own shared note of `session` as `person` reads it (author, text, version).
async fn own_shared_note(app: &TestApp, person: &Person, session: &str) -> Value {
    let stored = app
        .ok(
            &person.token,
            "query($id: ID!) { oneOnOne(id: $id) { sharedNotes { author { id } text version } } }",
            json!({ "id": session }),
        )
        .await;
    stored["oneOnOne"]["sharedNotes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["author"]["id"] == person.id.as_str())
        .unwrap()
        .clone()
}

pub async fn edit(app: &TestApp, person: &Person, session: &str, text: &str) -> i64 {
    let version = own_shared_note(app, person, session).await["version"]
        .as_i64()
        .unwrap();
    app.ok(&person.token, "mutation($id: ID!, $t: String!, $v: Int!) { updateSharedNote(oneOnOneId: $id, text: $t, baseVersion: $v) { version } }", json!({ "id": session, "t": text, "v": version }))
        .await["updateSharedNote"]["version"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn every_close_code_of_the_protocol() {
    let app = spawn_app().await;
    let Pair { leader, .. } = pair(&app).await;
    let url = app.ws_url();
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", leader.token) } });

    // 4406: no graphql-transport-ws subprotocol.
    let mut socket = open(&url, false).await;
    assert_eq!(close_code(&mut socket).await, Some(4406));

    // 4400: not a protocol message, or a payload that is not an object.
    for message in [
        json!({ "type": "nonsense" }),
        json!({ "type": "connection_init", "payload": "Bearer x" }),
        json!({ "type": "ping", "payload": [1] }),
    ] {
        let mut socket = open(&url, true).await;
        socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
        assert_eq!(close_code(&mut socket).await, Some(4400), "{message}");
    }

    // 4401: subscribe before the ack.
    let mut socket = open(&url, true).await;
    socket
        .send(Message::Text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ __typename }" } })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(close_code(&mut socket).await, Some(4401));

    // 4403: a bad token, and no token.
    for payload in [json!({ "Authorization": "Bearer forged" }), json!({})] {
        let mut socket = open(&url, true).await;
        socket
            .send(Message::Text(
                json!({ "type": "connection_init", "payload": payload })
                    .to_string()
                    .into(),
            ))
            .await
            .unwrap();
        assert_eq!(close_code(&mut socket).await, Some(4403), "{payload}");
    }

    // 4408: no connection_init in time (the test server allows 500 ms).
    let mut socket = open(&url, true).await;
    assert_eq!(close_code(&mut socket).await, Some(4408));

    // 4429: a second connection_init; the key's case does not matter for the first.
    let mut client = WsClient::connect(&url, &leader.token).await;
    client.send(init.clone()).await;
    assert_eq!(close_code(&mut client.socket).await, Some(4429));

    // 4409: a second subscription with an id in use.
    let session = {
        let Pair {
            leader: l2,
            member: m2,
            ..
        } = pair(&app).await;
        (shared_session(&app, &l2, &m2).await, l2)
    };
    let mut client = WsClient::connect(&url, &session.1.token).await;
    client.subscribe("a", &session.0, None).await;
    assert_eq!(client.next_event("a").await["__typename"], "Subscribed");
    client.subscribe("a", &session.0, None).await;
    assert_eq!(close_code(&mut client.socket).await, Some(4409));

    // ping → pong, with the payload echoed.
    let mut client = WsClient::connect(&url, &leader.token).await;
    client
        .send(json!({ "type": "ping", "payload": { "n": 1 } }))
        .await;
    assert_eq!(
        client.recv().await,
        json!({ "type": "pong", "payload": { "n": 1 } })
    );

    // Mutations are refused over the socket (only POST /graphql takes them).
    client.send(json!({ "id": "m", "type": "subscribe", "payload": { "query": "mutation { logout }" } })).await;
    let refused = client.recv().await;
    assert_eq!(
        (refused["type"].as_str(), refused["id"].as_str()),
        (Some("error"), Some("m"))
    );
    app.ok(&leader.token, "{ viewer { id } }", json!({})).await;
}

#[tokio::test]
async fn a_connection_ends_with_4403_when_its_token_expires() {
    let app = spawn_app_with(|config| config.token_ttl = Duration::from_secs(4)).await;
    let Pair { leader, member, .. } = pair(&app).await;
    let session = shared_session(&app, &leader, &member).await;
    let expires_at = token_expiry(&leader.token);

    let mut client = WsClient::connect(&app.ws_url(), &leader.token).await;
    client.subscribe("a", &session, None).await;
    assert_eq!(client.next_event("a").await["__typename"], "Subscribed");
    // Open past the init timeout (500 ms here), closed once the token expires (whole seconds).
    assert_eq!(close_code(&mut client.socket).await, Some(4403));
    assert!(chrono::Utc::now().timestamp() >= expires_at - 1);
}

/// The `exp` claim of a JWT (its payload is base64url JSON).
fn token_expiry(token: &str) -> i64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    claims["exp"].as_i64().expect("exp")
}

#[tokio::test]
async fn subscribers_see_every_event_in_order_with_replay() {
    let app = spawn_app().await;
    let Pair { leader, member, .. } = pair(&app).await;
    let session = shared_session(&app, &leader, &member).await;
    let url = app.ws_url();

    let mut watcher = WsClient::connect(&url, &leader.token).await;
    watcher.subscribe("live", &session, None).await;
    let subscribed = watcher.next_event("live").await;
    assert_eq!(subscribed["__typename"], "Subscribed");
    let start = subscribed["seq"].as_i64().unwrap();

    // The member edits their note: the leader sees it, and so does the author (the echo).
    let mut author = WsClient::connect(&url, &member.token).await;
    author.subscribe("mine", &session, None).await;
    assert_eq!(author.next_event("mine").await["__typename"], "Subscribed");
    edit(&app, &member, &session, "Hello 😀 from the member").await;
    for (client, id) in [(&mut watcher, "live"), (&mut author, "mine")] {
        let event = client.next_event(id).await;
        assert_eq!(event["__typename"], "SharedNoteEdited");
        assert_eq!(event["seq"], start + 1);
        assert_eq!(event["authorId"], member.id.as_str());
        assert_eq!(event["text"], "Hello 😀 from the member");
        assert!(!event["update"].as_str().unwrap().is_empty());
    }

    // Personal notes are never events: the next event seen is the kudo, with the next seq.
    app.ok(
        &member.token,
        "mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"secret\") { text } }",
        json!({ "id": session }),
    )
    .await;
    app.ok(
        &leader.token,
        "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"Nice\") { id } }",
        json!({ "id": session }),
    )
    .await;
    app.ok(
        &leader.token,
        "mutation($id: ID!) { celebrateKudos(oneOnOneId: $id) { id } }",
        json!({ "id": session }),
    )
    .await;
    let item = app.ok(&member.token, "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Practice\" }) { id } }", json!({ "id": session })).await;
    let kudos = watcher.next_event("live").await;
    assert_eq!(
        (kudos["__typename"].as_str(), kudos["seq"].as_i64()),
        (Some("KudosChanged"), Some(start + 2))
    );
    assert_eq!(
        watcher.next_event("live").await["__typename"],
        "KudosCelebrated"
    );
    let changed = watcher.next_event("live").await;
    assert_eq!(changed["__typename"], "ActionItemChanged");
    assert_eq!(changed["actionItemId"], item["addActionItem"]["id"]);
    assert_eq!(changed["item"]["text"], "Practice");

    // A reconnecting client replays from its last seq: Subscribed first, then exactly the
    // events it missed, then live ones.
    let mut late = WsClient::connect(&url, &leader.token).await;
    late.subscribe("again", &session, Some(start + 1)).await;
    let subscribed = late.next_event("again").await;
    assert_eq!(
        subscribed,
        json!({ "__typename": "Subscribed", "seq": start + 4 })
    );
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let event = late.next_event("again").await;
        kinds.push((
            event["__typename"].as_str().unwrap().to_owned(),
            event["seq"].as_i64().unwrap(),
        ));
    }
    assert_eq!(
        kinds,
        [
            ("KudosChanged".to_owned(), start + 2),
            ("KudosCelebrated".to_owned(), start + 3),
            ("ActionItemChanged".to_owned(), start + 4)
        ]
    );
    edit(&app, &leader, &session, "live again").await;
    assert_eq!(late.next_event("again").await["seq"], start + 5);

    // afterSeq ahead of the log: ResyncRequired after Subscribed.
    late.subscribe("ahead", &session, Some(start + 1000)).await;
    assert_eq!(late.next_event("ahead").await["__typename"], "Subscribed");
    assert_eq!(
        late.next_event("ahead").await,
        json!({ "__typename": "ResyncRequired", "latestSeq": start + 5 })
    );

    // Completing a subscription stops it.
    assert_eq!(watcher.next_event("live").await["seq"], start + 5);
    watcher
        .send(json!({ "id": "live", "type": "complete" }))
        .await;
    watcher.send(json!({ "type": "ping" })).await;
    assert_eq!(watcher.recv().await["type"], "pong");
    edit(&app, &leader, &session, "nobody listening").await;
    assert!(
        watcher
            .quiet_for(Duration::from_millis(300))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn invisible_viewers_get_not_found_and_those_who_lose_sight_are_cut_off() {
    let app = spawn_app().await;
    let Pair {
        company_admin,
        leader,
        member,
    } = pair(&app).await;
    let session = shared_session(&app, &leader, &member).await;
    let url = app.ws_url();
    let outsider = app.create_user(&company_admin, "TEAM_MEMBER").await;

    // Another Team Member never sees it.
    let mut other = WsClient::connect(&url, &outsider.token).await;
    other.subscribe("x", &session, None).await;
    let refused = other.recv().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "NOT_FOUND");

    // The admin sees it until the leader makes it private: a last NOT_FOUND, then complete.
    let mut admin = WsClient::connect(&url, &company_admin).await;
    admin.subscribe("s", &session, None).await;
    assert_eq!(admin.next_event("s").await["__typename"], "Subscribed");
    app.ok(
        &leader.token,
        "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: true }) { id } }",
        json!({ "id": session }),
    )
    .await;
    let last = admin.recv().await;
    assert_eq!(last["type"], "next", "{last}");
    assert_eq!(
        last["payload"]["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
    assert_eq!(admin.recv().await, json!({ "type": "complete", "id": "s" }));

    // A co-leader of the member's team loses sight when removed from the team.
    app.ok(
        &leader.token,
        "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: false }) { id } }",
        json!({ "id": session }),
    )
    .await;
    let co_leader = app.create_user(&company_admin, "TEAM_LEADER").await;
    let team = app
        .ok(
            &company_admin,
            "query($id: ID!) { user(id: $id) { teams { team { id } } } }",
            json!({ "id": member.id }),
        )
        .await["user"]["teams"][0]["team"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.change_team(&company_admin, "addTeamLeader", &team, &co_leader.id)
        .await;
    let mut co = WsClient::connect(&url, &co_leader.token).await;
    co.subscribe("c", &session, None).await;
    assert_eq!(co.next_event("c").await["__typename"], "Subscribed");
    app.change_team(&company_admin, "removeTeamLeader", &team, &co_leader.id)
        .await;
    let last = co.recv().await;
    assert_eq!(
        last["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{last}"
    );
    assert_eq!(co.recv().await["type"], "complete");

    // A setting change: an outside leader sees it while the default is "not private"...
    app.ok(&company_admin, "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: false }) { timeZone } }", json!({})).await;
    let mut outside = WsClient::connect(&url, &co_leader.token).await;
    outside.subscribe("o", &session, None).await;
    assert_eq!(outside.next_event("o").await["__typename"], "Subscribed");
    app.ok(&company_admin, "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: true }) { timeZone } }", json!({})).await;
    let last = outside.recv().await;
    assert_eq!(
        last["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{last}"
    );

    // The participants' streams go on.
    let mut lead = WsClient::connect(&url, &leader.token).await;
    lead.subscribe("l", &session, None).await;
    assert_eq!(lead.next_event("l").await["__typename"], "Subscribed");
    edit(&app, &member, &session, "still here").await;
    assert_eq!(lead.next_event("l").await["__typename"], "SharedNoteEdited");
}

fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").ok();
    if url.is_none() {
        eprintln!("TEST_REDIS_URL is not set: the multi-node test runs on the full tier only");
    }
    url
}

#[tokio::test]
async fn three_nodes_deliver_each_others_edits_and_converge() {
    let Some(redis) = redis_url() else { return };
    let nodes = spawn_cluster(3, &redis).await;
    let Pair { leader, member, .. } = pair(&nodes[0]).await;
    let session = shared_session(&nodes[0], &leader, &member).await;

    // A subscriber on every node.
    let mut watchers = Vec::new();
    for node in &nodes {
        let mut client = WsClient::connect(&node.ws_url(), &leader.token).await;
        client.subscribe("s", &session, None).await;
        assert_eq!(client.next_event("s").await["__typename"], "Subscribed");
        watchers.push(client);
    }

    // An edit through node B reaches the subscriber on node A.
    edit(&nodes[1], &member, &session, "from node B").await;
    for watcher in &mut watchers {
        let event = watcher.next_event("s").await;
        assert_eq!(event["text"], "from node B");
    }

    // Many concurrent Yjs edits to one note through all nodes converge.
    let mut tasks = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for k in 0..5 {
            let node_address = node.address.clone();
            let token = member.token.clone();
            let session = session.clone();
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                // Each writer appends through the text API with retries on CONFLICT.
                for _ in 0..50 {
                    let current: serde_json::Value = client.post(format!("{node_address}/graphql")).bearer_auth(&token)
                        .json(&json!({ "query": "query($id: ID!) { oneOnOne(id: $id) { sharedNotes { text version } } }", "variables": { "id": session } }))
                        .send().await.unwrap().json().await.unwrap();
                    let note = &current["data"]["oneOnOne"]["sharedNotes"][1];
                    let text = format!("{} [{n}.{k}]", note["text"].as_str().unwrap());
                    let answer: serde_json::Value = client.post(format!("{node_address}/graphql")).bearer_auth(&token)
                        .json(&json!({ "query": "mutation($id: ID!, $t: String!, $v: Int!) { updateSharedNote(oneOnOneId: $id, text: $t, baseVersion: $v) { version } }", "variables": { "id": session, "t": text, "v": note["version"] } }))
                        .send().await.unwrap().json().await.unwrap();
                    if answer["errors"].is_null() {
                        return;
                    }
                    assert_eq!(answer["errors"][0]["extensions"]["code"], "CONFLICT", "{answer}");
                }
                panic!("writer {n}.{k} never got its edit in");
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let stored = nodes[2]
        .ok(
            &member.token,
            "query($id: ID!) { oneOnOne(id: $id) { lastSeq sharedNotes { text version } } }",
            json!({ "id": session }),
        )
        .await;
    let final_text = stored["oneOnOne"]["sharedNotes"][1]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in 0..3 {
        for k in 0..5 {
            assert!(
                final_text.contains(&format!("[{n}.{k}]")),
                "lost edit {n}.{k}: {final_text}"
            );
        }
    }
    let last_seq = stored["oneOnOne"]["lastSeq"].as_i64().unwrap();
    // Every subscriber sees every event once, in order, ending with the stored text.
    for watcher in &mut watchers {
        let mut seen_text = String::new();
        let mut expected_seq = 2; // the share (1) and the node-B edit (2) were read already
        while expected_seq < last_seq {
            let event = watcher.next_event("s").await;
            expected_seq += 1;
            assert_eq!(event["seq"], expected_seq, "{event}");
            seen_text = event["text"].as_str().unwrap().to_owned();
        }
        assert_eq!(seen_text, final_text);
        assert!(
            watcher
                .quiet_for(Duration::from_millis(300))
                .await
                .is_none(),
            "no duplicates"
        );
    }
}

/// Issue 5: subscribers with the same selection share one rendering per event, yet each keeps
/// its own access: one viewer losing sight ends only that viewer's stream, and a different
/// selection on the same session gets its own payload.
#[tokio::test]
async fn shared_renderings_keep_access_and_selections_per_subscriber() {
    let app = spawn_app().await;
    let Pair {
        company_admin,
        leader,
        member,
    } = pair(&app).await;
    let session = shared_session(&app, &leader, &member).await;
    let url = app.ws_url();
    const SLIM: &str = "subscription($id: ID!) { oneOnOneEvents(oneOnOneId: $id) { __typename ... on SharedNoteEdited { version } } }";

    let mut lead = WsClient::connect(&url, &leader.token).await;
    let mut admin = WsClient::connect(&url, &company_admin).await;
    for (client, id) in [(&mut lead, "a"), (&mut admin, "b")] {
        client.subscribe(id, &session, None).await;
        assert_eq!(client.next_event(id).await["__typename"], "Subscribed");
    }
    // The same connection also runs a slimmer selection of the same session.
    lead.send(json!({ "id": "slim", "type": "subscribe", "payload": { "query": SLIM, "variables": { "id": session } } }))
        .await;
    assert_eq!(
        lead.next_event("slim").await,
        json!({ "__typename": "Subscribed" })
    );

    let version = edit(&app, &member, &session, "shared rendering").await;
    let mut lead_events = std::collections::HashMap::new();
    for _ in 0..2 {
        let message = lead.recv().await;
        lead_events.insert(
            message["id"].as_str().unwrap().to_owned(),
            message["payload"]["data"]["oneOnOneEvents"].clone(),
        );
    }
    assert_eq!(
        lead_events["slim"],
        json!({ "__typename": "SharedNoteEdited", "version": version })
    );
    assert_eq!(lead_events["a"]["text"], "shared rendering");
    assert_eq!(admin.next_event("b").await, lead_events["a"]);

    // The session turns private: the admin is cut off, the leader hears the change and goes on.
    app.ok(
        &leader.token,
        "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: true }) { id } }",
        json!({ "id": session }),
    )
    .await;
    let last = admin.recv().await;
    assert_eq!(
        (last["type"].as_str(), last["id"].as_str()),
        (Some("next"), Some("b")),
        "{last}"
    );
    assert_eq!(
        last["payload"]["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
    assert_eq!(admin.recv().await, json!({ "type": "complete", "id": "b" }));
    // The connection's two subscriptions are served in no fixed order.
    let mut changed = std::collections::HashMap::new();
    for _ in 0..2 {
        let message = lead.recv().await;
        assert_eq!(message["type"], "next", "{message}");
        changed.insert(
            message["id"].as_str().unwrap().to_owned(),
            message["payload"]["data"]["oneOnOneEvents"].clone(),
        );
    }
    assert_eq!(
        (
            changed["a"]["__typename"].as_str(),
            changed["a"]["private"].as_bool()
        ),
        (Some("OneOnOneChanged"), Some(true))
    );
    assert_eq!(changed["slim"], json!({ "__typename": "OneOnOneChanged" }));
    let version = edit(&app, &member, &session, "after the cut").await;
    let mut heard = Vec::new();
    for _ in 0..2 {
        let message = lead.recv().await;
        heard.push((
            message["id"].as_str().unwrap().to_owned(),
            message["payload"]["data"]["oneOnOneEvents"]["version"].clone(),
        ));
    }
    heard.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        heard,
        [
            ("a".to_owned(), json!(version)),
            ("slim".to_owned(), json!(version))
        ]
    );
    assert!(
        admin.quiet_for(Duration::from_millis(300)).await.is_none(),
        "nothing after complete"
    );
}

/// A subscription is one root field (GraphQL's "single root field" rule); aliases of several
/// are refused rather than merged.
#[tokio::test]
async fn a_subscription_with_two_root_fields_is_refused() {
    let app = spawn_app().await;
    let Pair { leader, member, .. } = pair(&app).await;
    let session = shared_session(&app, &leader, &member).await;
    let mut client = WsClient::connect(&app.ws_url(), &leader.token).await;
    client.send(json!({ "id": "two", "type": "subscribe", "payload": {
        "query": "subscription($id: ID!) { a: oneOnOneEvents(oneOnOneId: $id) { __typename } b: oneOnOneEvents(oneOnOneId: $id) { __typename } }",
        "variables": { "id": session } } }))
        .await;
    let refused = client.recv().await;
    assert_eq!(
        (refused["type"].as_str(), refused["id"].as_str()),
        (Some("error"), Some("two")),
        "{refused}"
    );
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
}

/// A Yjs update appending `marker` to a fresh document of its own, so that concurrent writers'
/// updates merge without conflicting.
fn append_update(marker: &str) -> String {
    use base64::Engine;
    use yrs::{Text, Transact};
    let doc = yrs::Doc::with_options(yrs::Options {
        offset_kind: yrs::OffsetKind::Utf16,
        ..Default::default()
    });
    let text = doc.get_or_insert_text("content");
    let mut txn = doc.transact_mut();
    text.insert(&mut txn, 0, marker);
    base64::engine::general_purpose::STANDARD.encode(txn.encode_update_v1())
}

/// Issue 5: writers of one note take turns instead of racing, so under contention every
/// valid edit succeeds (through several nodes on the full tier) and none is lost.
#[tokio::test]
async fn concurrent_edits_of_one_note_all_succeed() {
    let nodes = match redis_url() {
        Some(redis) => spawn_cluster(3, &redis).await,
        None => vec![spawn_app().await],
    };
    let Pair { leader, member, .. } = pair(&nodes[0]).await;
    let session = shared_session(&nodes[0], &leader, &member).await;
    let writers = 40;
    let mut tasks = Vec::new();
    for n in 0..writers {
        let address = nodes[n % nodes.len()].address.clone();
        let token = member.token.clone();
        let session = session.clone();
        tasks.push(tokio::spawn(async move {
            let answer = post_graphql(
                &reqwest::Client::new(),
                &format!("{address}/graphql"),
                Some(&token),
                "mutation($id: ID!, $u: String!) { applySharedNoteUpdate(oneOnOneId: $id, update: $u) { version } }",
                json!({ "id": session, "u": append_update(&format!("[w{n}]")) }),
            )
            .await;
            assert!(answer["errors"].is_null(), "writer {n}: {answer}");
            answer["data"]["applySharedNoteUpdate"]["version"]
                .as_i64()
                .unwrap()
        }));
    }
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.unwrap());
    }
    versions.sort();
    assert_eq!(versions, (1..=writers as i64).collect::<Vec<_>>());
    let note = own_shared_note(&nodes[nodes.len() - 1], &member, &session).await;
    assert_eq!(note["version"], writers as i64);
    for n in 0..writers {
        let marker = format!("[w{n}]");
        assert!(
            note["text"].as_str().unwrap().contains(&marker),
            "lost {marker}: {note}"
        );
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_holds_back_nobody() {
    let app = spawn_app().await;
    let Pair { leader, member, .. } = pair(&app).await;
    let session = shared_session(&app, &leader, &member).await;
    let url = app.ws_url();
    let mut stalled = WsClient::connect(&url, &member.token).await;
    stalled.subscribe("s", &session, None).await;
    assert_eq!(stalled.next_event("s").await["__typename"], "Subscribed");
    let mut reader = WsClient::connect(&url, &leader.token).await;
    reader.subscribe("r", &session, None).await;
    assert_eq!(reader.next_event("r").await["__typename"], "Subscribed");

    // Edits of ≈ 200 KB each, far more than the stalled client's socket buffers hold; the
    // reader hears every one as it happens.
    const EDITS: usize = 40;
    for n in 0..EDITS {
        let text = if n % 2 == 0 { "a" } else { "b" }.repeat(90_000);
        edit(&app, &leader, &session, &text).await;
        let heard = reader.next_event("r").await;
        assert_eq!(heard["__typename"], "SharedNoteEdited");
    }

    // Sends to the stalled client waited past the send timeout (1 s in tests): the server
    // dropped it, and what the sockets still held ends without the subscription's complete.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut heard = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stalled.socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                assert!(!text.contains("\"complete\""), "{text}");
                heard += 1;
            }
            Ok(Some(Ok(_))) => {}
            Ok(None | Some(Err(_))) => break,
            Err(_) => panic!("still connected after {heard} messages"),
        }
    }
    assert!(heard < EDITS, "heard all {heard} edits");
}
