//! The email outbox: what the worker really delivers (`.eml` files under `DATA_DIR/outbox`, or
//! an SMTP server), retries across a restart, several workers sharing one database, and
//! addresses that can never work.
//!
//! These tests build their own `Application`s (several per test, sharing one database) rather
//! than using `spawn_app()`. The database is a SQLite file in the test's DATA_DIR, or a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set, exactly as in the helpers.

use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use coach::{
    config::Config,
    email::{self, OutboxWorker, OutgoingEmail},
    startup::Application,
};
use entity::email_outbox::{self, EmailStatus};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, IntoActiveModel,
    Set, TransactionTrait,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::{mpsc, oneshot},
    task::JoinHandle,
};
use uuid::Uuid;

use crate::helpers::test_config;

/// A DATA_DIR and a database that outlive the nodes started on them.
struct Site {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    postgres: Option<(String, String)>,
}

impl Site {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
            return Self {
                dir,
                database_url: None,
                postgres: None,
            };
        };
        let name = format!("test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&base)
            .await
            .expect("TEST_DATABASE_URL must be reachable");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating a test database");
        let (server, _) = base
            .rsplit_once('/')
            .expect("TEST_DATABASE_URL must end with /database");
        Self {
            dir,
            database_url: Some(format!("{server}/{name}")),
            postgres: Some((base, name)),
        }
    }

    fn config(&self) -> Config {
        test_config(self.dir.path().to_path_buf(), self.database_url.clone())
    }

    fn smtp_config(&self, smtp_url: String) -> Config {
        Config {
            smtp_url: Some(smtp_url),
            ..self.config()
        }
    }

    fn outbox_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("outbox")
    }

    fn eml(&self, id: Uuid) -> Option<String> {
        std::fs::read_to_string(self.outbox_dir().join(format!("{id}.eml"))).ok()
    }

    /// Names of the files in DATA_DIR/outbox.
    fn outbox_files(&self) -> Vec<String> {
        match std::fs::read_dir(self.outbox_dir()) {
            Ok(entries) => entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some((base, name)) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(&base).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// One running node (HTTP server + outbox worker).
struct Node {
    db: DatabaseConnection,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// Builds a node (runs the migrations) without starting it.
async fn build(config: Config) -> Application {
    Application::build(config)
        .await
        .expect("the application starts")
}

fn run(app: Application) -> Node {
    let db = app.state().db.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    Node { db, stop, task }
}

impl Node {
    /// Stops the node and waits until its worker has stopped too.
    async fn shut_down(self) -> DatabaseConnection {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("the node stops promptly")
            .expect("the node task did not panic")
            .expect("the node served without error");
        self.db
    }
}

fn email_to(to: &str, subject: &str) -> OutgoingEmail {
    OutgoingEmail {
        company_id: None,
        to: to.into(),
        subject: subject.into(),
        text: format!("Plain text of {subject}"),
        html: format!("<p>HTML of {subject}</p>"),
    }
}

async fn row(db: &DatabaseConnection, id: Uuid) -> Option<email_outbox::Model> {
    email_outbox::Entity::find_by_id(id).one(db).await.unwrap()
}

/// Polls `check` until it yields a value (10 s at most).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sent(db: &DatabaseConnection, id: Uuid) -> email_outbox::Model {
    eventually("the email to be SENT", || async {
        row(db, id).await.filter(|r| r.status == EmailStatus::Sent)
    })
    .await
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_committed_email_is_delivered_as_an_eml_file_and_a_rolled_back_one_never() {
    let site = Site::new().await;
    let node = run(build(site.config()).await);

    let rolled_back = {
        let txn = node.db.begin().await.unwrap();
        let id = email::enqueue(&txn, email_to("ghost@example.test", "Never sent"))
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        id
    };
    let txn = node.db.begin().await.unwrap();
    let id = email::enqueue(
        &txn,
        OutgoingEmail {
            company_id: Some(Uuid::new_v4()),
            to: "Team Member <member@example.test>".into(),
            subject: "Your 1:1 is ready".into(),
            text: "Open it at http://app.test/one-on-ones/1".into(),
            html: "<p>Open it <a href=\"http://app.test/one-on-ones/1\">here</a></p>".into(),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();

    let delivered = sent(&node.db, id).await;
    assert_eq!(delivered.attempts, 1);
    assert!(delivered.sent_at.is_some());
    assert!(delivered.last_error.is_none());

    let eml = site.eml(id).expect("the .eml file is written");
    for expected in [
        "From: Coach <no-reply@app.test>",
        "To: \"Team Member\" <member@example.test>",
        "Subject: Your 1:1 is ready",
        &format!("Message-ID: <{id}@app.test>"),
        "Content-Type: multipart/alternative",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Type: text/html; charset=utf-8",
        "Open it at http://app.test/one-on-ones/1",
        "<p>Open it <a href=\"http://app.test/one-on-ones/1\">here</a></p>",
    ] {
        assert!(eml.contains(expected), "{expected:?} missing from:\n{eml}");
    }
    assert!(eml.contains("\r\n"), "an .eml file has CRLF line ends");

    assert!(row(&node.db, rolled_back).await.is_none());
    assert!(site.eml(rolled_back).is_none());
    assert_eq!(
        site.outbox_files(),
        vec![format!("{id}.eml")],
        "one file, no temporary left behind"
    );
    node.shut_down().await;
}

#[tokio::test]
async fn a_failed_smtp_attempt_backs_off_and_is_delivered_after_a_restart() {
    let site = Site::new().await;
    let port = closed_port().await;
    let node = run(build(site.smtp_config(format!("smtp://127.0.0.1:{port}"))).await);
    let id = email::enqueue(&node.db, email_to("member@example.test", "Recap"))
        .await
        .unwrap();
    let failed = eventually("a failed attempt", || async {
        row(&node.db, id).await.filter(|r| r.attempts >= 1)
    })
    .await;
    let db = node.shut_down().await;

    let failed = row(&db, id).await.unwrap_or(failed);
    assert_eq!(failed.status, EmailStatus::Pending);
    assert_eq!(
        failed.attempts, 1,
        "the backoff holds the next attempt back"
    );
    assert!(
        failed.next_attempt_at > Utc::now(),
        "retried later, not now"
    );
    assert!(failed.locked_until.is_none(), "the claim is released");
    assert!(failed.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    assert!(failed.sent_at.is_none());
    assert!(site.eml(id).is_none());

    // The node comes back with the file transport; make the retry due now.
    let mut due = failed.into_active_model();
    due.next_attempt_at = Set(Utc::now() - chrono::Duration::seconds(1));
    due.update(&db).await.unwrap();
    let node = run(build(site.config()).await);
    let delivered = sent(&node.db, id).await;
    assert_eq!(delivered.attempts, 2);
    assert!(delivered.last_error.is_none());
    let eml = site.eml(id).expect("delivered after the restart");
    assert!(eml.contains("Subject: Recap"), "{eml}");
    node.shut_down().await;
}

#[tokio::test]
async fn an_expired_lease_of_a_crashed_node_is_taken_over() {
    let site = Site::new().await;
    let app = build(site.config()).await;
    let db = app.state().db.clone();
    let id = email::enqueue(&db, email_to("member@example.test", "Orphan"))
        .await
        .unwrap();
    // A node claimed it and died: the lease has run out, the row is still PENDING.
    let mut claimed = row(&db, id).await.unwrap().into_active_model();
    claimed.locked_by = Set(Some("crashed-node".into()));
    claimed.locked_until = Set(Some(Utc::now() - chrono::Duration::seconds(1)));
    claimed.update(&db).await.unwrap();

    let node = run(app);
    let delivered = sent(&node.db, id).await;
    assert_ne!(delivered.locked_by.as_deref(), Some("crashed-node"));
    assert_eq!(delivered.attempts, 1);
    assert!(site.eml(id).is_some());
    node.shut_down().await;
}

#[tokio::test]
async fn a_live_lease_of_another_node_is_respected() {
    let site = Site::new().await;
    let app = build(site.config()).await;
    let db = app.state().db.clone();
    let id = email::enqueue(&db, email_to("member@example.test", "Busy"))
        .await
        .unwrap();
    let mut claimed = row(&db, id).await.unwrap().into_active_model();
    claimed.locked_by = Set(Some("other-node".into()));
    claimed.locked_until = Set(Some(Utc::now() + chrono::Duration::minutes(5)));
    claimed.update(&db).await.unwrap();

    let worker = OutboxWorker::new(db.clone(), &site.config()).unwrap();
    assert_eq!(worker.run_once().await.unwrap(), 0);
    let untouched = row(&db, id).await.unwrap();
    assert_eq!(untouched.status, EmailStatus::Pending);
    assert_eq!(untouched.attempts, 0);
    assert_eq!(untouched.locked_by.as_deref(), Some("other-node"));
    assert!(site.eml(id).is_none());
}

#[tokio::test]
async fn two_nodes_on_one_database_deliver_every_email_exactly_once() {
    let site = Site::new().await;
    let first = build(site.config()).await;
    let second = build(site.config()).await;
    let db = first.state().db.clone();
    let mut ids = Vec::new();
    for n in 0..20 {
        let to = format!("member{n}@example.test");
        ids.push(
            email::enqueue(&db, email_to(&to, &format!("Email {n}")))
                .await
                .unwrap(),
        );
    }
    // Both workers start with all 20 due and race for them.
    let (first, second) = (run(first), run(second));
    let mut senders: HashMap<String, usize> = HashMap::new();
    for id in &ids {
        let delivered = sent(&db, *id).await;
        assert_eq!(delivered.attempts, 1, "{id} was claimed more than once");
        *senders.entry(delivered.locked_by.unwrap()).or_default() += 1;
    }
    assert!(
        senders.len() <= 2,
        "claimed by the two nodes only: {senders:?}"
    );
    let mut files = site.outbox_files();
    files.sort();
    let mut expected: Vec<String> = ids.iter().map(|id| format!("{id}.eml")).collect();
    expected.sort();
    assert_eq!(files, expected);
    first.shut_down().await;
    second.shut_down().await;
}

#[tokio::test]
async fn racing_workers_claim_each_email_once() {
    let site = Site::new().await;
    let app = build(site.config()).await;
    let db = app.state().db.clone();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(
            email::enqueue(&db, email_to("member@example.test", &format!("Race {n}")))
                .await
                .unwrap(),
        );
    }
    // Four workers, each with its own connection pool like separate nodes, poll at once.
    let mut workers = Vec::new();
    for _ in 0..4 {
        let config = site.config();
        let pool = coach::db::connect(&config).await.unwrap();
        workers.push(OutboxWorker::new(pool, &config).unwrap());
    }
    let attempted = futures_util::future::join_all(workers.iter().map(|w| w.run_once())).await;
    let total: usize = attempted.into_iter().map(Result::unwrap).sum();
    assert_eq!(total, 20, "each email attempted by exactly one worker");
    for id in &ids {
        let delivered = row(&db, *id).await.unwrap();
        assert_eq!(delivered.status, EmailStatus::Sent);
        assert_eq!(delivered.attempts, 1);
    }
    assert_eq!(site.outbox_files().len(), 20);
}

#[tokio::test]
async fn an_unparseable_address_fails_permanently_without_blocking_others() {
    let site = Site::new().await;
    let node = run(build(site.config()).await);
    let bad = email::enqueue(&node.db, email_to("not an address", "Bad"))
        .await
        .unwrap();
    let good = email::enqueue(&node.db, email_to("member@example.test", "Good"))
        .await
        .unwrap();
    let failed = eventually("the bad email to be FAILED", || async {
        row(&node.db, bad)
            .await
            .filter(|r| r.status == EmailStatus::Failed)
    })
    .await;
    assert_eq!(
        failed.attempts, 1,
        "no retries for an address that never works"
    );
    assert!(failed.last_error.is_some());
    assert!(failed.sent_at.is_none());
    assert!(site.eml(bad).is_none());
    sent(&node.db, good).await;
    assert!(site.eml(good).is_some());
    // It stays FAILED: later polls leave it alone.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(row(&node.db, bad).await.unwrap().attempts, 1);
    node.shut_down().await;
}

#[tokio::test]
async fn smtp_delivery_reaches_the_server_with_a_stable_message_id() {
    let site = Site::new().await;
    let (port, mut received) = smtp_sink().await;
    let node = run(build(site.smtp_config(format!("smtp://127.0.0.1:{port}"))).await);
    let id = email::enqueue(&node.db, email_to("member@example.test", "Shared with you"))
        .await
        .unwrap();
    let message = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("the SMTP server receives the email")
        .unwrap();
    assert_eq!(message.mail_from, "<no-reply@app.test>");
    assert_eq!(message.rcpt_to, vec!["<member@example.test>".to_owned()]);
    for expected in [
        "Subject: Shared with you",
        &format!("Message-ID: <{id}@app.test>"),
        "Plain text of Shared with you",
        "<p>HTML of Shared with you</p>",
    ] {
        assert!(
            message.data.contains(expected),
            "{expected:?} missing from:\n{}",
            message.data
        );
    }
    let delivered = sent(&node.db, id).await;
    assert_eq!(delivered.attempts, 1);
    assert!(site.outbox_files().is_empty(), "SMTP, not files");
    node.shut_down().await;
}

#[tokio::test]
async fn a_bad_smtp_url_or_mail_from_stops_the_node_at_startup() {
    let site = Site::new().await;
    assert!(
        Application::build(site.smtp_config("ftp://mail.example.test".into()))
            .await
            .is_err()
    );
    let config = Config {
        mail_from: "not an address".into(),
        ..site.config()
    };
    assert!(Application::build(config).await.is_err());
}

struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// Just enough of an SMTP server to accept mail: each message is sent to the channel.
async fn smtp_sink() -> (u16, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = smtp_session(socket, tx).await;
            });
        }
    });
    (port, rx)
}

async fn smtp_session(
    socket: TcpStream,
    received: mpsc::UnboundedSender<Received>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let (mut mail_from, mut rcpt_to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end();
        let verb = command.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                mail_from = argument(command);
                b"250 OK\r\n"
            }
            "RCPT" => {
                rcpt_to.push(argument(command));
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                let _ = received.send(Received {
                    mail_from: std::mem::take(&mut mail_from),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                b"250 OK queued\r\n"
            }
            "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// `MAIL FROM:<a@b> SIZE=1` → `<a@b>`.
fn argument(command: &str) -> String {
    let after_colon = command.split_once(':').map_or("", |(_, rest)| rest);
    after_colon
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned()
}
