//! Read load (issue 7): requests per second and latency of the reads a leader's screens make,
//! against the release server on PostgreSQL with a realistic dataset. See BENCHMARKS.md.
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench load`
//! (`LOAD_SECONDS`, default 10: how long each step runs; `LOAD_ONLY=page` runs the page
//! alone and `LOAD_CONCURRENCY=16` one concurrency, for quick iterations.)
//!
//! The dataset — 100 leaders, 1,000 members in 100 teams, 100,000 sessions, each with two
//! shared notes of about 500 characters (real Yjs documents made by the notes module), two
//! action items and a kudo; about 10% private and 10% drafts — is written straight into a
//! fresh database with multi-row inserts, after a node has migrated it and created the
//! company. The node is this executable as a child process, so the numbers are the server's
//! with the load generator beside it on the same cores.
//!
//! Every step is a closed loop (each of `c` clients sends its next request when the previous
//! answered) and every response body is checked: an error or a short page is counted as an
//! error, never as a success.

mod common;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use common::{FreshDatabase, Node, OPERATOR, PASSWORD, gql, ms, percentile};
use entity::{
    action_item, coaching_category, kudo, one_on_one, one_on_one_series, shared_note, team,
    team_membership, user,
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

const LEADERS: usize = 100;
const MEMBERS_PER_TEAM: usize = 10;
const SESSIONS_PER_MEMBER: usize = 100;
const PAGE_SIZE: usize = 20;
const CONCURRENCY: [usize; 3] = [1, 16, 64];
/// Rows per INSERT statement.
const CHUNK: usize = 1_000;
/// Concurrent writers while generating (each its own transaction).
const WRITERS: usize = 4;

fn main() -> anyhow::Result<()> {
    common::main(bench)
}

async fn bench() -> anyhow::Result<()> {
    let database = FreshDatabase::create("bench_load").await?;
    let dir = tempfile::tempdir()?;
    let result = run(&database.url, dir.path()).await;
    // `LOAD_KEEP_DB=1` keeps the dataset to study query plans afterwards.
    if std::env::var("LOAD_KEEP_DB").is_ok() {
        println!("dataset kept in {}", database.url);
    } else {
        database.drop().await;
    }
    result
}

async fn run(database_url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let node = Node::start(database_url, dir, &[]).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .build()?;
    let admin_email = "admin@load.bench";
    let created = gql(&client, &node.http, OPERATOR,
        "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } admin { id } } }",
        json!({ "i": { "name": "Load", "timeZone": "Europe/Berlin", "admin": { "name": "Admin", "email": admin_email, "password": PASSWORD } } })).await;
    let company_id: Uuid = created["createCompany"]["company"]["id"]
        .as_str()
        .unwrap()
        .parse()?;

    let db = Database::connect(database_url).await?;
    let started = Instant::now();
    let rows = generate(&db, company_id).await?;
    let generation = started.elapsed();
    println!(
        "dataset: {rows} rows generated in {:.1} s (incl. VACUUM ANALYZE)",
        generation.as_secs_f64()
    );

    let login = |email: String| {
        let client = client.clone();
        let url = node.http.clone();
        async move {
            let data = client.post(&url).json(&json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", "variables": { "e": email, "p": PASSWORD } }))
                .send().await.expect("login").json::<Value>().await.expect("json");
            data["data"]["login"]["token"]
                .as_str()
                .expect("login succeeds")
                .to_owned()
        }
    };
    let leader = login(leader_email(0)).await;
    gql(
        &client,
        &node.http,
        &leader,
        "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: true }) { timeZone } }",
        json!({}),
    )
    .await;

    let mut scenarios = vec![
        Scenario {
            name: "oneOnOnes first page (20, notes, items, kudos)",
            query: PAGE.to_owned(),
            check: full_page,
        },
        Scenario {
            name: "myDashboard",
            query: DASHBOARD.to_owned(),
            check: |body| {
                data_of(body).is_some_and(|d| d["myDashboard"]["draftOneOnOnes"].is_array())
            },
        },
    ];
    match analytics_query(&client, &node.http, &leader).await {
        Ok(query) => scenarios.push(Scenario {
            name: "analytics",
            query,
            check: |body| data_of(body).is_some_and(|d| !d["analytics"].is_null()),
        }),
        Err(why) => println!("analytics: skipped ({why})"),
    }

    println!(
        "machine: {} cores shared by the server, PostgreSQL and this load generator; {seconds} s per step",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!("| query | c | requests/s | p50 ms | p99 ms | ok | errors |");
    println!("|---|---|---|---|---|---|---|");
    if std::env::var("LOAD_ONLY").as_deref() == Ok("page") {
        scenarios.truncate(1);
    }
    let concurrency: Vec<usize> = match std::env::var("LOAD_CONCURRENCY") {
        Ok(c) => vec![c.parse()?],
        Err(_) => CONCURRENCY.to_vec(),
    };
    for scenario in &scenarios {
        let body = bytes::Bytes::from(json!({ "query": scenario.query }).to_string());
        // Warm the server's connection pool and PostgreSQL's caches for this query.
        closed_loop(
            &client,
            &node.http,
            &leader,
            &body,
            scenario.check,
            16,
            Duration::from_secs(2),
        )
        .await;
        for &c in &concurrency {
            let run = closed_loop(
                &client,
                &node.http,
                &leader,
                &body,
                scenario.check,
                c,
                Duration::from_secs(seconds),
            )
            .await;
            println!(
                "| {} | {c} | {:.0} | {} | {} | {} | {} |",
                scenario.name,
                run.latencies.len() as f64 / run.elapsed.as_secs_f64(),
                ms(percentile(&run.latencies, 0.5)),
                ms(percentile(&run.latencies, 0.99)),
                run.latencies.len(),
                run.errors
            );
            if let Some(error) = &run.first_error {
                println!("(first error: {error})");
            }
        }
    }
    println!(
        "server resident memory after the runs: {:.1} MiB",
        node.rss_kib() as f64 / 1024.0
    );
    Ok(())
}

const PAGE: &str = "{ oneOnOnes(first: 20) { nodes { id title leader { name } member { name } \
    sharedNotes { text } actionItems { id text done dueOn category { name } } \
    kudos { id text } } } }";

const DASHBOARD: &str = "{ myDashboard { today openCommitments { overdue commitment { id } } \
    openActionItems { id text } openFollowUps { due followUp { id } } \
    upcomingOneOnOnes { id title member { name } } \
    draftOneOnOnes { id title } recentKudos { id text } } }";

struct Scenario {
    name: &'static str,
    query: String,
    /// Whether the response body is the complete answer, without errors.
    check: fn(&[u8]) -> bool,
}

/// The `data` of an answer without errors.
fn data_of(body: &[u8]) -> Option<Value> {
    let mut answer: Value = serde_json::from_slice(body).ok()?;
    answer
        .get("errors")
        .is_none()
        .then(|| answer["data"].take())
}

/// The parts of a page answer the check reads, borrowed from the body. The page is the hot
/// loop, and the generator shares the two cores with the server: skipping the fields it does
/// not check costs far less than building a `serde_json::Value` of the whole 40 KB.
#[derive(serde::Deserialize)]
struct PageAnswer<'a> {
    #[serde(borrow)]
    data: Option<PageData<'a>>,
    errors: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct PageData<'a> {
    #[serde(rename = "oneOnOnes", borrow)]
    one_on_ones: PageNodes<'a>,
}

#[derive(serde::Deserialize)]
struct PageNodes<'a> {
    #[serde(borrow)]
    nodes: Vec<PageNode<'a>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageNode<'a> {
    #[serde(borrow)]
    shared_notes: Vec<PageNote<'a>>,
    action_items: Vec<serde::de::IgnoredAny>,
    kudos: Vec<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct PageNote<'a> {
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

/// A page is whole when it has 20 sessions, each with both notes' text, its two action items
/// and its kudo.
fn full_page(body: &[u8]) -> bool {
    let Ok(PageAnswer {
        data: Some(data),
        errors: None,
    }) = serde_json::from_slice(body)
    else {
        return false;
    };
    let nodes = data.one_on_ones.nodes;
    nodes.len() == PAGE_SIZE
        && nodes.iter().all(|node| {
            node.shared_notes.len() == 2
                && node.shared_notes.iter().all(|note| note.text.len() > 400)
                && node.action_items.len() >= 2
                && node.kudos.len() == 1
        })
}

struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    /// The start of the first answer counted as an error, to show why.
    first_error: Option<String>,
    elapsed: Duration,
}

/// `concurrency` clients, each sending `body` again as soon as its answer came, for `length`.
async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &bytes::Bytes,
    check: fn(&[u8]) -> bool,
    concurrency: usize,
    length: Duration,
) -> Run {
    let started = Instant::now();
    let deadline = started + length;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            let authorization = format!("Bearer {token}");
            let body = body.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                let mut first_error = None;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let answer = client
                        .post(&url)
                        .header("authorization", &authorization)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    let body = match answer {
                        Ok(response) => response.bytes().await.map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    let ok = body.as_ref().is_ok_and(|bytes| check(bytes));
                    if ok {
                        latencies.push(sent.elapsed());
                    } else {
                        errors += 1;
                        first_error.get_or_insert_with(|| match &body {
                            Ok(bytes) => {
                                String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned()
                            }
                            Err(e) => e.clone(),
                        });
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let mut run = Run {
        latencies: Vec::new(),
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
    };
    for worker in workers {
        let (latencies, errors, first_error) = worker.await.expect("worker");
        run.latencies.extend(latencies);
        run.errors += errors;
        run.first_error = run.first_error.or(first_error);
    }
    run.elapsed = started.elapsed();
    run.latencies.sort();
    run
}

/// The `analytics` query with every field that needs no argument, built from the schema
/// (another team owns its shape), or why there is none to run.
async fn analytics_query(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<String, String> {
    const TYPE_REF: &str =
        "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
    let introspection = format!(
        "{{ __schema {{ queryType {{ name }} types {{ name kind fields {{ name args {{ type {{ kind }} }} type {{ {TYPE_REF} }} }} }} }} }}"
    );
    let schema = gql(client, url, token, &introspection, json!({})).await;
    let types: HashMap<&str, &Value> = schema["__schema"]["types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["name"].as_str()?, t)))
        .collect();
    let query_type = schema["__schema"]["queryType"]["name"]
        .as_str()
        .unwrap_or("Query");
    let field = types
        .get(query_type)
        .and_then(|q| q["fields"].as_array())
        .and_then(|fields| fields.iter().find(|f| f["name"] == "analytics"))
        .ok_or("the schema has no `analytics` query yet")?;
    if !callable_without_arguments(field) {
        return Err("`analytics` needs arguments this bench does not know".into());
    }
    let selection = selection_of(&types, &field["type"], 0)
        .ok_or("`analytics` has no field selectable without arguments")?;
    Ok(format!("{{ analytics {selection} }}"))
}

fn callable_without_arguments(field: &Value) -> bool {
    field["args"]
        .as_array()
        .is_none_or(|args| args.iter().all(|a| a["type"]["kind"] != "NON_NULL"))
}

/// The selection for a value of `type_ref`: empty for leaves, `{ ... }` for objects (fields
/// without required arguments, three levels deep at most).
fn selection_of(types: &HashMap<&str, &Value>, type_ref: &Value, depth: usize) -> Option<String> {
    let mut named = type_ref;
    while named["kind"] == "NON_NULL" || named["kind"] == "LIST" {
        named = &named["ofType"];
    }
    match named["kind"].as_str()? {
        "SCALAR" | "ENUM" => Some(String::new()),
        "UNION" | "INTERFACE" => Some("{ __typename }".into()),
        "OBJECT" if depth < 3 => {
            let fields = types.get(named["name"].as_str()?)?["fields"].as_array()?;
            let selected: Vec<String> = fields
                .iter()
                .filter(|f| callable_without_arguments(f))
                .filter_map(|f| {
                    let inner = selection_of(types, &f["type"], depth + 1)?;
                    Some(format!("{} {inner}", f["name"].as_str()?))
                })
                .collect();
            (!selected.is_empty()).then(|| format!("{{ {} }}", selected.join(" ")))
        }
        _ => None,
    }
}

fn leader_email(n: usize) -> String {
    format!("leader{n}@load.bench")
}

/// A note of about 500 characters as the notes module stores it: (plain text, Yjs state).
fn note(rng: &mut StdRng) -> (String, Vec<u8>) {
    const WORDS: [&str; 16] = [
        "customer",
        "escalation",
        "handle",
        "time",
        "quality",
        "empathy",
        "follow",
        "up",
        "knowledge",
        "base",
        "callback",
        "resolved",
        "first",
        "contact",
        "survey",
        "coaching",
    ];
    let mut text = String::new();
    while text.len() < 500 {
        text.push_str(WORDS[rng.random_range(0..WORDS.len())]);
        text.push(' ');
    }
    let mut doc = coach::notes::SharedNote::new();
    doc.replace_text(text.trim_end())
        .expect("a valid note text");
    (doc.text(), doc.encode_state())
}

/// Writes the dataset; returns how many rows it wrote.
async fn generate(db: &DatabaseConnection, company_id: Uuid) -> anyhow::Result<usize> {
    let mut rng = StdRng::seed_from_u64(7);
    let password_hash = user::Entity::find()
        .filter(user::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .expect("the company's admin")
        .password_hash;
    let categories: Vec<Uuid> = coaching_category::Entity::find()
        .filter(coaching_category::Column::CompanyId.eq(company_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let now = Utc::now();
    let person = |id: Uuid, name: String, email: String, role: user::Role| user::ActiveModel {
        id: Set(id),
        company_id: Set(company_id),
        name: Set(name),
        email: Set(email),
        password_hash: Set(password_hash.clone()),
        role: Set(role),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        sight_changed_at: Set(None),
    };
    let mut users = Vec::new();
    let mut teams = Vec::new();
    let mut memberships = Vec::new();
    let mut series = Vec::new();
    let mut pairs = Vec::new();
    let membership = |team_id: Uuid, user_id: Uuid, role: team_membership::TeamRole| {
        team_membership::ActiveModel {
            team_id: Set(team_id),
            user_id: Set(user_id),
            role: Set(role),
            company_id: Set(company_id),
            created_at: Set(now),
        }
    };
    for t in 0..LEADERS {
        let leader_id = Uuid::now_v7();
        let team_id = Uuid::now_v7();
        users.push(person(
            leader_id,
            format!("Leader {t}"),
            leader_email(t),
            user::Role::TeamLeader,
        ));
        teams.push(team::ActiveModel {
            id: Set(team_id),
            company_id: Set(company_id),
            name: Set(format!("Team {t}")),
            created_at: Set(now),
            updated_at: Set(now),
        });
        memberships.push(membership(
            team_id,
            leader_id,
            team_membership::TeamRole::Leader,
        ));
        for m in 0..MEMBERS_PER_TEAM {
            let member_id = Uuid::now_v7();
            let n = t * MEMBERS_PER_TEAM + m;
            users.push(person(
                member_id,
                format!("Member {n}"),
                format!("member{n}@load.bench"),
                user::Role::TeamMember,
            ));
            memberships.push(membership(
                team_id,
                member_id,
                team_membership::TeamRole::Member,
            ));
            let series_id = Uuid::now_v7();
            series.push(one_on_one_series::ActiveModel {
                id: Set(series_id),
                company_id: Set(company_id),
                leader_id: Set(leader_id),
                member_id: Set(member_id),
                cadence: Set(one_on_one_series::Cadence::Weekly),
                created_at: Set(now),
                updated_at: Set(now),
            });
            pairs.push((series_id, leader_id, member_id));
        }
    }

    let notes: Vec<(String, Vec<u8>)> = (0..32).map(|_| note(&mut rng)).collect();
    let mut sessions = Vec::new();
    let mut shared_notes = Vec::new();
    let mut items = Vec::new();
    let mut kudos = Vec::new();
    // Weekly sessions over the past SESSIONS_PER_MEMBER weeks; the last one of each pair is
    // next week (for the dashboard's upcoming list). Items of earlier sessions are done.
    for (series_id, leader_id, member_id) in pairs {
        for k in 0..SESSIONS_PER_MEMBER {
            let weeks_ago = (SESSIONS_PER_MEMBER - 1 - k) as i64;
            let created_at: DateTime<Utc> = now
                - chrono::Duration::weeks(weeks_ago)
                - chrono::Duration::minutes(rng.random_range(60..10_000));
            let scheduled_at =
                created_at + chrono::Duration::days(if weeks_ago == 0 { 8 } else { 1 });
            let id = Uuid::new_v7(uuid::Timestamp::from_unix(
                uuid::NoContext,
                created_at.timestamp() as u64,
                created_at.timestamp_subsec_nanos(),
            ));
            let draft = rng.random_bool(0.1);
            sessions.push(one_on_one::ActiveModel {
                id: Set(id),
                company_id: Set(company_id),
                series_id: Set(series_id),
                leader_id: Set(leader_id),
                member_id: Set(member_id),
                title: Set(format!("Weekly 1:1, week {k}")),
                scheduled_at: Set(Some(scheduled_at)),
                status: Set(if draft {
                    one_on_one::Status::Draft
                } else {
                    one_on_one::Status::Shared
                }),
                private: Set(rng.random_bool(0.1)),
                shared_at: Set((!draft).then_some(created_at)),
                last_seq: Set(0),
                created_at: Set(created_at),
                updated_at: Set(created_at),
            });
            for author in [leader_id, member_id] {
                let (text, state) = notes[rng.random_range(0..notes.len())].clone();
                shared_notes.push(shared_note::ActiveModel {
                    one_on_one_id: Set(id),
                    author_id: Set(author),
                    text: Set(text),
                    version: Set(1),
                    updated_at: Set(created_at),
                    state: Set(state),
                });
            }
            let done = weeks_ago > 0;
            for (n, author) in [leader_id, member_id].into_iter().enumerate() {
                items.push(action_item::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    company_id: Set(company_id),
                    series_id: Set(series_id),
                    one_on_one_id: Set(id),
                    text: Set(format!("Action {n} of week {k}")),
                    category_id: Set(categories.get(n).copied()),
                    due_on: Set(Some((created_at + chrono::Duration::days(6)).date_naive())),
                    done: Set(done),
                    done_at: Set(done.then(|| created_at + chrono::Duration::days(1))),
                    created_by: Set(author),
                    created_at: Set(created_at),
                    updated_at: Set(created_at),
                });
            }
            kudos.push(kudo::ActiveModel {
                id: Set(Uuid::now_v7()),
                company_id: Set(company_id),
                one_on_one_id: Set(id),
                author_id: Set(leader_id),
                text: Set("Great first-contact resolution this week".into()),
                created_at: Set(created_at),
            });
        }
    }

    let mut rows = 0;
    rows += insert_all::<user::Entity, _>(db, users).await?;
    rows += insert_all::<team::Entity, _>(db, teams).await?;
    rows += insert_all::<team_membership::Entity, _>(db, memberships).await?;
    rows += insert_all::<one_on_one_series::Entity, _>(db, series).await?;
    rows += insert_all::<one_on_one::Entity, _>(db, sessions).await?;
    rows += insert_all::<shared_note::Entity, _>(db, shared_notes).await?;
    rows += insert_all::<action_item::Entity, _>(db, items).await?;
    rows += insert_all::<kudo::Entity, _>(db, kudos).await?;
    // What autovacuum does to a database in service: statistics, and the visibility map that
    // lets an index-only scan skip the heap. Straight after a bulk load it has not run yet.
    db.execute_unprepared("VACUUM ANALYZE").await?;
    Ok(rows)
}

/// Inserts `rows` in multi-row statements, split over `WRITERS` concurrent transactions.
async fn insert_all<E, A>(db: &DatabaseConnection, rows: Vec<A>) -> anyhow::Result<usize>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send + 'static,
{
    let count = rows.len();
    let per_writer = count.div_ceil(WRITERS).max(1);
    let mut parts: Vec<Vec<A>> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        parts.push(rows.by_ref().take(per_writer).collect());
    }
    let writers = parts.into_iter().map(|part| {
        let db = db.clone();
        tokio::spawn(async move {
            let txn = db.begin().await?;
            let mut part = part.into_iter().peekable();
            while part.peek().is_some() {
                let chunk: Vec<A> = part.by_ref().take(CHUNK).collect();
                E::insert_many(chunk).exec_without_returning(&txn).await?;
            }
            txn.commit().await?;
            anyhow::Ok(())
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await??;
    }
    Ok(count)
}
