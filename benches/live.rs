//! Live delivery benchmark: edit-to-delivery latency through Redis, memory per idle
//! subscribed connection, and sustained edit rates. See BENCHMARKS.md for the figures.
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
//!  cargo bench --bench live` (`LIVE_ONLY=latency`, `floor`, `memory` or `sustained` runs one
//! part.)
//!
//! The bench runs two server nodes as child processes (this same executable, started with
//! `BENCH_ROLE=server`) on one fresh PostgreSQL database and one Redis, so the nodes' memory
//! is measured apart from the load generator's. The writer edits through node A; every
//! subscriber listens on node B, so each delivery crosses Redis.

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{Node, OPERATOR, PASSWORD, gql, ms, percentile};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::{
    connect_async_with_config,
    tungstenite::{Message, client::IntoClientRequest, protocol::WebSocketConfig},
};

fn main() -> anyhow::Result<()> {
    common::main(bench)
}

struct Fixture {
    leader_token: String,
    member_tokens: Vec<String>,
    sessions: Vec<String>,
}

/// A company, one leader, `members` members, and one shared session per member.
async fn fixture(client: &reqwest::Client, node: &Node, members: usize) -> Fixture {
    let admin_email = format!("admin-{}@bench.example", uuid::Uuid::new_v4().simple());
    gql(client, &node.http, OPERATOR, "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } } }",
        json!({ "i": { "name": "Bench", "timeZone": "UTC", "admin": { "name": "Admin", "email": admin_email, "password": PASSWORD } } })).await;
    let login = |email: String| {
        let client = client.clone();
        let url = node.http.clone();
        async move {
            let data: Value = client.post(&url).json(&json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", "variables": { "e": email, "p": PASSWORD } }))
                .send().await.unwrap().json().await.unwrap();
            data["data"]["login"]["token"]
                .as_str()
                .expect("login")
                .to_owned()
        }
    };
    let admin = login(admin_email).await;
    let create = |role: &'static str| {
        let client = client.clone();
        let url = node.http.clone();
        let admin = admin.clone();
        async move {
            let email = format!(
                "{}-{}@bench.example",
                role.to_lowercase(),
                uuid::Uuid::new_v4().simple()
            );
            let id = gql(&client, &url, &admin, "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "name": role, "email": email, "password": PASSWORD, "role": role } })).await["createUser"]["id"].as_str().unwrap().to_owned();
            (id, email)
        }
    };
    let (leader_id, leader_email) = create("TEAM_LEADER").await;
    let leader_token = login(leader_email).await;
    let mut member_tokens = Vec::new();
    let mut sessions = Vec::new();
    let mut member_ids = Vec::new();
    for _ in 0..members {
        let (id, email) = create("TEAM_MEMBER").await;
        member_tokens.push(login(email).await);
        let session = gql(
            client,
            &node.http,
            &leader_token,
            "mutation($m: ID!) { createOneOnOne(input: { memberId: $m }) { id } }",
            json!({ "m": id }),
        )
        .await["createOneOnOne"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        gql(
            client,
            &node.http,
            &leader_token,
            "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
            json!({ "id": session }),
        )
        .await;
        sessions.push(session);
        member_ids.push(id);
    }
    gql(client, &node.http, &admin, "mutation($l: ID!, $m: [ID!]!) { createTeam(input: { name: \"Bench\", leaderIds: [$l], memberIds: $m }) { id } }", json!({ "l": leader_id, "m": member_ids })).await;
    Fixture {
        leader_token,
        member_tokens,
        sessions,
    }
}

/// Connections a node holds before memory per additional connection is measured.
const WARM_CONNECTIONS: usize = 100;

const SUBSCRIPTION: &str = "subscription($id: ID!) { oneOnOneEvents(oneOnOneId: $id) { __typename ... on SharedNoteEdited { seq oneOnOneId version } } }";

/// A delivered edit: its note's session and version.
type Edit = (String, i64);
/// What a subscriber hears: `None` for `Subscribed`, else the edit delivered.
type Heard = (Option<Edit>, Instant);

/// Just the fields the bench reads from a protocol message, borrowed from its text: the
/// subscribers share the two CPUs with the nodes, so they parse no more than they must.
#[derive(serde::Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow)]
    payload: Option<FramePayload<'a>>,
}

#[derive(serde::Deserialize)]
struct FramePayload<'a> {
    #[serde(borrow)]
    data: Option<FrameData<'a>>,
}

#[derive(serde::Deserialize)]
struct FrameData<'a> {
    #[serde(rename = "oneOnOneEvents", borrow)]
    event: FrameEvent<'a>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct FrameEvent<'a> {
    one_on_one_id: Option<&'a str>,
    version: Option<i64>,
}

/// Opens a subscribed connection and reports what it hears until `stop`.
async fn subscriber(
    url: String,
    token: String,
    session: String,
    events: mpsc::UnboundedSender<Heard>,
) -> anyhow::Result<()> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    // tungstenite zero-fills its whole read buffer (128 KiB by default) before every read;
    // with 1,000 clients on the nodes' two cores that memset was most of the generator's CPU.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut socket, _) = connect_async_with_config(request, Some(config), true).await?;
    socket.send(Message::Text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string().into())).await?;
    socket.send(Message::Text(json!({ "type": "subscribe", "id": "1", "payload": { "query": SUBSCRIPTION, "variables": { "id": session } } }).to_string().into())).await?;
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        let at = Instant::now();
        let frame: Frame = serde_json::from_str(&text)?;
        if frame.kind != "next" {
            continue;
        }
        let event = frame.payload.and_then(|p| p.data).map(|d| d.event);
        let edit = event.and_then(|e| Some((e.one_on_one_id?.to_owned(), e.version?)));
        if events.send((edit, at)).is_err() {
            break;
        }
    }
    Ok(())
}

struct Subscribers {
    heard: mpsc::UnboundedReceiver<Heard>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for Subscribers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Opens `n` subscriptions to `session` on `node`, waiting for each `Subscribed`.
async fn open_subscribers(node: &Node, token: &str, session: &str, n: usize) -> Subscribers {
    let (tx, mut heard) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    let mut subscribed = 0;
    for _ in 0..n {
        tasks.push(tokio::spawn(subscriber(
            node.ws.clone(),
            token.to_owned(),
            session.to_owned(),
            tx.clone(),
        )));
        // Open in waves so the accept queue never overflows.
        while tasks.len() - subscribed > 200 {
            if let Ok(Some((None, _))) =
                tokio::time::timeout(Duration::from_secs(30), heard.recv()).await
            {
                subscribed += 1;
            }
        }
    }
    while subscribed < n {
        match tokio::time::timeout(Duration::from_secs(60), heard.recv()).await {
            Ok(Some((None, _))) => subscribed += 1,
            Ok(Some(_)) => {}
            _ => panic!("only {subscribed} of {n} subscribed"),
        }
    }
    Subscribers { heard, tasks }
}

/// A writer of one note with its own Yjs document: each edit is an incremental update that
/// merges without conflicts, so several writers can edit one note at once.
struct YjsWriter {
    doc: yrs::Doc,
}

impl YjsWriter {
    fn new() -> Self {
        Self {
            doc: yrs::Doc::with_options(yrs::Options {
                offset_kind: yrs::OffsetKind::Utf16,
                ..Default::default()
            }),
        }
    }

    fn next_update(&mut self, n: usize) -> String {
        use base64::Engine;
        use yrs::{GetString, Text, Transact};
        let text = self.doc.get_or_insert_text("content");
        let mut txn = self.doc.transact_mut();
        let len = text.get_string(&txn).encode_utf16().count() as u32;
        text.insert(&mut txn, len, &format!(" e{n}"));
        base64::engine::general_purpose::STANDARD.encode(txn.encode_update_v1())
    }
}

/// What driving edits measured.
struct Driven {
    /// Every delivery's latency, from sending an edit to a subscriber receiving its event,
    /// sorted.
    latencies: Vec<Duration>,
    /// Deliveries due: accepted edits times subscribers per session.
    expected: usize,
    refused: usize,
    /// Each accepted edit's round trip, from sending it to its answer, sorted: the part of a
    /// delivery's latency before the node that delivers it hears of the edit.
    answered: Vec<Duration>,
}

/// Edits at `rate` per second for `seconds`, spread over `writers` concurrent writers and the
/// given sessions (owned by the members whose tokens are given).
#[allow(clippy::too_many_arguments)]
async fn drive(
    client: &reqwest::Client,
    writer_node: &Node,
    targets: &[(String, String)],
    subscribers: &mut Subscribers,
    per_session: usize,
    rate: f64,
    seconds: f64,
    writers: usize,
) -> Driven {
    let edits = (rate * seconds).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now() + Duration::from_millis(50);
    // Each accepted edit: when it was sent and how long its answer took.
    let sent: Arc<std::sync::Mutex<std::collections::HashMap<Edit, (Instant, Duration)>>> =
        Default::default();
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let client = client.clone();
        let url = writer_node.http.clone();
        let targets = targets.to_vec();
        let sent = sent.clone();
        let failures = failures.clone();
        tasks.push(tokio::spawn(async move {
            let mut docs: Vec<YjsWriter> = targets.iter().map(|_| YjsWriter::new()).collect();
            let mut n = w;
            while n < edits {
                tokio::time::sleep_until((started + interval * n as u32).into()).await;
                let target = n % targets.len();
                let (session, token) = &targets[target];
                let update = docs[target].next_update(n);
                let at = Instant::now();
                let response: Value = client.post(&url).bearer_auth(token)
                    .json(&json!({ "query": "mutation($id: ID!, $u: String!) { applySharedNoteUpdate(oneOnOneId: $id, update: $u) { version } }", "variables": { "id": session, "u": update } }))
                    .send().await.expect("request").json().await.expect("json");
                match response["data"]["applySharedNoteUpdate"]["version"].as_i64() {
                    Some(version) => { sent.lock().unwrap().insert((session.clone(), version), (at, at.elapsed())); }
                    None => { failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed); }
                }
                n += writers;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let expected = (edits - failures.load(std::sync::atomic::Ordering::Relaxed)) * per_session;
    let mut received = Vec::with_capacity(expected);
    while received.len() < expected {
        match tokio::time::timeout(Duration::from_secs(10), subscribers.heard.recv()).await {
            Ok(Some((Some(edit), at))) => received.push((edit, at)),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    let sent = sent.lock().unwrap();
    let mut latencies: Vec<Duration> = received
        .iter()
        .filter_map(|(edit, at)| Some(at.saturating_duration_since(sent.get(edit)?.0)))
        .collect();
    latencies.sort();
    let mut answered: Vec<Duration> = sent.values().map(|(_, answered)| *answered).collect();
    answered.sort();
    Driven {
        latencies,
        expected,
        refused: failures.load(std::sync::atomic::Ordering::Relaxed),
        answered,
    }
}

async fn bench() -> anyhow::Result<()> {
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let database = common::FreshDatabase::create("bench_live").await?;
    let dir = tempfile::tempdir()?;
    let prefix = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let result = run(&database.url, &redis_url, &prefix, dir.path()).await;
    database.drop().await;
    result
}

/// A node on the shared database and Redis (every node of the bench uses one prefix).
async fn start_node(
    database_url: &str,
    redis_url: &str,
    prefix: &str,
    data_dir: &std::path::Path,
) -> anyhow::Result<Node> {
    Node::start(
        database_url,
        data_dir,
        &[("REDIS_URL", redis_url), ("REDIS_PREFIX", prefix)],
    )
    .await
}

async fn run(
    database_url: &str,
    redis_url: &str,
    prefix: &str,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let node_a = start_node(database_url, redis_url, prefix, &dir.join("a")).await?;
    let node_b = start_node(database_url, redis_url, prefix, &dir.join("b")).await?;
    let client = reqwest::Client::new();
    let notes = 20;
    let fixture = fixture(&client, &node_a, notes).await;
    let leader = fixture.leader_token.clone();
    let one_note = vec![(
        fixture.sessions[0].clone(),
        fixture.member_tokens[0].clone(),
    )];
    println!(
        "machine: {} cores; writer on node A, subscribers on node B, through Redis",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    // `LIVE_ONLY=latency|memory|sustained` runs one part, for quick iterations.
    let only = std::env::var("LIVE_ONLY").ok();
    let wants = |part: &str| only.as_deref().is_none_or(|only| only == part);
    if wants("latency") {
        // Steady state, not start-up: node A's pool opens its PostgreSQL connections (a fork
        // each) and prepares its statements on first use, which a cold run would count.
        let mut warm = open_subscribers(&node_b, &leader, &fixture.sessions[0], 1).await;
        drive(&client, &node_a, &one_note, &mut warm, 1, 100.0, 2.0, 8).await;
        drop(warm);
        println!(
            "\n## Edit-to-delivery latency (one note, 20 edits/s for 5 s, after a 2 s warm-up)"
        );
        println!(
            "| subscribers | deliveries | p50 ms | p99 ms | max ms | edit answered p50 ms | CPU µs per delivery: node B / generator |"
        );
        println!("|---|---|---|---|---|---|---|");
        for subscribers in [1usize, 100, 1000] {
            let mut subs =
                open_subscribers(&node_b, &leader, &fixture.sessions[0], subscribers).await;
            let cpu_before = (node_b.cpu_time(), common::cpu_time_of("self"));
            let driven = drive(
                &client,
                &node_a,
                &one_note,
                &mut subs,
                subscribers,
                20.0,
                5.0,
                1,
            )
            .await;
            let latencies = &driven.latencies;
            let per_delivery = |before: Duration, after: Duration| {
                (after - before).as_secs_f64() * 1e6 / latencies.len().max(1) as f64
            };
            println!(
                "| {subscribers} | {}/{} | {} | {} | {} | {} | {:.1} / {:.1} |",
                latencies.len(),
                driven.expected,
                ms(percentile(latencies, 0.5)),
                ms(percentile(latencies, 0.99)),
                ms(percentile(latencies, 1.0)),
                ms(percentile(&driven.answered, 0.5)),
                per_delivery(cpu_before.0, node_b.cpu_time()),
                per_delivery(cpu_before.1, common::cpu_time_of("self")),
            );
        }
    }

    if wants("floor") {
        println!(
            "\n## The machine's floor: the same fan-out over raw loopback TCP, no server logic"
        );
        println!(
            "One {FLOOR_MESSAGE_BYTES}-byte message to each of 1,000 connections, 20 times a second for 5 s: \
             no WebSocket, JSON, database or Redis, and no edit before it."
        );
        println!("| writer | deliveries | p50 ms | p99 ms | max ms |");
        println!("|---|---|---|---|---|");
        for (name, writer) in [
            (
                "a task per connection, 2 workers (as a node)",
                FloorWriter::TaskPerConnection,
            ),
            (
                "one thread writing every socket in turn",
                FloorWriter::OneLoop,
            ),
        ] {
            let latencies = tcp_floor(1_000, 100, writer).await?;
            println!(
                "| {name} | {} | {} | {} | {} |",
                latencies.len(),
                ms(percentile(&latencies, 0.5)),
                ms(percentile(&latencies, 0.99)),
                ms(percentile(&latencies, 1.0)),
            );
        }
    }

    if wants("memory") {
        // A fresh node, so memory freed by the latency runs cannot hide the connections' cost.
        let node_c = start_node(database_url, redis_url, prefix, &dir.join("c")).await?;
        println!("\n## Memory per idle subscribed connection (a fresh node C's resident set)");
        println!(
            "Warm base: {WARM_CONNECTIONS} subscribed connections stay open, so the node's one-time growth \
         (database pool, the session's feed, allocator and runtime start-up) is in the base; the \
         cold column divides by the connections opened since the node started, that growth included."
        );
        println!(
            "| connections | node RSS cold → warm base → after (MiB) | per additional connection (KiB) | cold (KiB) |"
        );
        println!("|---|---|---|---|");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let cold = node_c.rss_kib();
        let mut idle =
            vec![open_subscribers(&node_c, &leader, &fixture.sessions[1], WARM_CONNECTIONS).await];
        tokio::time::sleep(Duration::from_secs(2)).await;
        let base = node_c.rss_kib();
        let mut opened = 0;
        for target in [1_000usize, 10_000] {
            idle.push(
                open_subscribers(&node_c, &leader, &fixture.sessions[1], target - opened).await,
            );
            opened = target;
            tokio::time::sleep(Duration::from_secs(2)).await;
            let after = node_c.rss_kib();
            println!(
                "| {target} | {:.1} → {:.1} → {:.1} | {:.2} | {:.2} |",
                cold as f64 / 1024.0,
                base as f64 / 1024.0,
                after as f64 / 1024.0,
                after.saturating_sub(base) as f64 / target as f64,
                after.saturating_sub(cold) as f64 / (target + WARM_CONNECTIONS) as f64
            );
        }
        drop(idle);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    if !wants("sustained") {
        return Ok(());
    }

    for (title, targets) in [
        ("one note", one_note.clone()),
        (
            "20 notes",
            fixture
                .sessions
                .iter()
                .cloned()
                .zip(fixture.member_tokens.iter().cloned())
                .collect::<Vec<_>>(),
        ),
    ] {
        println!(
            "\n## Sustained edits on {title} (10 subscribers per note on node B, 8 concurrent writers, 3 s per step)"
        );
        println!("| edits/s offered | delivered | refused edits | p50 ms | p99 ms |");
        println!("|---|---|---|---|---|");
        let mut subs = Vec::new();
        for (session, _) in &targets {
            subs.push(open_subscribers(&node_b, &leader, session, 10).await);
        }
        // One receiver for all: merge the per-session channels.
        let (tx, heard) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for mut s in subs {
            let tx = tx.clone();
            let inner = std::mem::take(&mut s.tasks);
            tasks.extend(inner);
            tokio::spawn(async move {
                while let Some(h) = s.heard.recv().await {
                    if tx.send(h).is_err() {
                        break;
                    }
                }
            });
        }
        let mut merged = Subscribers { heard, tasks };
        for rate in [50.0, 100.0, 200.0, 400.0, 800.0] {
            let driven = drive(&client, &node_a, &targets, &mut merged, 10, rate, 3.0, 8).await;
            let latencies = &driven.latencies;
            let p99 = percentile(latencies, 0.99);
            println!(
                "| {rate} | {}/{} | {} | {} | {} |",
                latencies.len(),
                driven.expected,
                driven.refused,
                ms(percentile(latencies, 0.5)),
                ms(p99)
            );
            if p99 > Duration::from_millis(50) || latencies.len() < driven.expected {
                break;
            }
        }
    }
    Ok(())
}

/// About the size of a `SharedNoteEdited` `next` frame the latency part delivers.
const FLOOR_MESSAGE_BYTES: usize = 160;

#[derive(Clone, Copy)]
enum FloorWriter {
    TaskPerConnection,
    OneLoop,
}

/// How fast this machine carries one small message to each of `connections` loopback TCP
/// connections, `rounds` times at the latency part's pace: the writer runs on a runtime (or
/// thread) of its own, the readers are tasks of the generator's runtime, as subscribers are.
/// No delivery through a node can beat this, so it bounds what the latency target can reach.
async fn tcp_floor(
    connections: usize,
    rounds: usize,
    writer: FloorWriter,
) -> anyhow::Result<Vec<Duration>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (heard_tx, mut heard) = mpsc::unbounded_channel::<Instant>();
    let mut readers = Vec::new();
    let mut sockets = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (stream, accepted) =
            tokio::join!(tokio::net::TcpStream::connect(address), listener.accept());
        let (mut stream, socket) = (stream?, accepted?.0);
        stream.set_nodelay(true)?;
        socket.set_nodelay(true)?;
        sockets.push(socket.into_std()?);
        let heard = heard_tx.clone();
        readers.push(tokio::spawn(async move {
            let mut buffer = [0u8; 4096];
            let mut bytes = 0;
            while let Ok(n) = stream.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                let at = Instant::now();
                bytes += n;
                // Messages read together were all heard at once.
                while bytes >= FLOOR_MESSAGE_BYTES {
                    bytes -= FLOOR_MESSAGE_BYTES;
                    let _ = heard.send(at);
                }
            }
        }));
    }
    let message = Arc::new(vec![b'x'; FLOOR_MESSAGE_BYTES]);
    let (go, mut go_rx) = mpsc::unbounded_channel::<Instant>();
    let (sent_tx, mut sent) = mpsc::unbounded_channel::<Instant>();
    let writer_thread = std::thread::spawn(move || -> anyhow::Result<()> {
        match writer {
            FloorWriter::OneLoop => {
                use std::io::Write;
                for socket in &sockets {
                    socket.set_nonblocking(false)?;
                }
                while let Some(at) = go_rx.blocking_recv() {
                    for socket in &mut sockets {
                        socket.write_all(&message)?;
                    }
                    let _ = sent_tx.send(at);
                }
            }
            FloorWriter::TaskPerConnection => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                runtime.block_on(async move {
                    let (fan_out, _) = tokio::sync::broadcast::channel::<Instant>(16);
                    for socket in sockets {
                        let mut socket = tokio::net::TcpStream::from_std(socket)?;
                        let mut rounds = fan_out.subscribe();
                        let message = message.clone();
                        tokio::spawn(async move {
                            while rounds.recv().await.is_ok() {
                                if socket.write_all(&message).await.is_err() {
                                    break;
                                }
                            }
                        });
                    }
                    while let Some(at) = go_rx.recv().await {
                        let _ = fan_out.send(at);
                        let _ = sent_tx.send(at);
                    }
                    anyhow::Ok(())
                })?;
            }
        }
        Ok(())
    });
    let mut latencies = Vec::with_capacity(connections * rounds);
    for _ in 0..rounds {
        let at = Instant::now();
        go.send(at)?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = sent.recv().await;
        while let Ok(heard_at) = heard.try_recv() {
            latencies.push(heard_at - at);
        }
    }
    drop(go);
    writer_thread.join().expect("floor writer")?;
    for reader in readers {
        reader.abort();
    }
    latencies.sort();
    Ok(latencies)
}
