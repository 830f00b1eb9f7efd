//! `spawn_app()` and the GraphQL client the tests share.

use std::{path::PathBuf, sync::atomic::AtomicU32, time::Duration};

use coach::{
    config::{Config, CorsOrigins, Environment},
    sql_count::SqlCounter,
    startup::Application,
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

pub const OPERATOR_TOKEN: &str = "operator-secret-for-tests";
pub const JWT_SECRET: &str = "jwt-secret-for-tests-only";
pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The node's `DATA_DIR` (SQLite file, outbox `.eml` files).
    pub data_dir: PathBuf,
    /// The configuration the node was built with (to start another node on the same data).
    pub config: Config,
    /// The node's count of SQL statements (see `coach::sql_count`).
    pub sql_statements: SqlCounter,
    _data_dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database when
/// `TEST_DATABASE_URL` names a server.
async fn fresh_database(dir: &std::path::Path) -> (Option<String>, Option<(String, String)>) {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        return (None, None);
    };
    let name = format!("test_{}", Uuid::new_v4().simple());
    let admin = Database::connect(&base)
        .await
        .expect("TEST_DATABASE_URL must be reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("creating a test database");
    let _ = dir;
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("TEST_DATABASE_URL must end with /database"),
    };
    (Some(url), Some((base, name)))
}

pub fn test_config(data_dir: PathBuf, database_url: Option<String>) -> Config {
    Config {
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        data_dir,
        database_url,
        database_pool_size: None,
        redis_url: std::env::var("TEST_REDIS_URL").ok(),
        storage_url: None,
        smtp_url: None,
        mail_from: "Coach <no-reply@app.test>".into(),
        public_base_url: "http://app.test".into(),
        jwt_secret: Some(JWT_SECRET.into()),
        operator_token: Some(OPERATOR_TOKEN.into()),
        demo_password: "demo-password-for-tests".into(),
        environment: Environment::Development,
        token_ttl: Duration::from_secs(3600),
        max_body_bytes: 2 * 1024 * 1024,
        ws_init_timeout: Duration::from_millis(500),
        ws_send_timeout: Duration::from_secs(1),
        redis_prefix: format!("test-{}", Uuid::new_v4().simple()),
        cors_allowed_origins: CorsOrigins::Localhost,
        metrics_token: None,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temp dir");
    let (database_url, postgres) = fresh_database(data_dir.path()).await;
    start_node(data_dir, database_url, postgres, customize).await
}

/// `n` nodes on one database and one Redis (`redis_url`), as a deployment runs them. On the
/// embedded tier they share one SQLite file.
pub async fn spawn_cluster(n: usize, redis_url: &str) -> Vec<TestApp> {
    let first_dir = tempfile::tempdir().expect("a temp dir");
    let (database_url, postgres) = fresh_database(first_dir.path()).await;
    let shared_url = database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            first_dir.path().join("app.db").display()
        )
    });
    let prefix = format!("test-{}", Uuid::new_v4().simple());
    let mut nodes = Vec::new();
    let mut postgres = postgres;
    let mut first_dir = Some(first_dir);
    for _ in 0..n {
        let dir = first_dir
            .take()
            .unwrap_or_else(|| tempfile::tempdir().expect("a temp dir"));
        let url = shared_url.clone();
        let prefix = prefix.clone();
        let redis = redis_url.to_owned();
        // The first node owns (and drops) the test database.
        nodes.push(
            start_node(dir, Some(url), postgres.take(), move |c| {
                c.redis_url = Some(redis);
                c.redis_prefix = prefix;
            })
            .await,
        );
    }
    nodes
}

/// Another node on the same database and Redis as `existing`, started now.
pub async fn spawn_node_like(existing: &TestApp) -> TestApp {
    let config = existing.config.clone();
    start_node(
        tempfile::tempdir().expect("a temp dir"),
        config.database_url.clone(),
        None,
        move |c| {
            c.database_url = config.database_url.clone();
            c.redis_url = config.redis_url.clone();
            c.redis_prefix = config.redis_prefix.clone();
        },
    )
    .await
}

async fn start_node(
    data_dir: tempfile::TempDir,
    database_url: Option<String>,
    postgres: Option<(String, String)>,
    customize: impl FnOnce(&mut Config),
) -> TestApp {
    let data_path = data_dir.path().to_path_buf();
    let mut config = test_config(data_path.clone(), database_url);
    customize(&mut config);
    let app = Application::build(config.clone())
        .await
        .expect("the application starts");
    let address = format!("http://{}", app.local_addr());
    let sql_statements = app.state().sql_statements.clone();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        data_dir: data_path,
        config,
        sql_statements,
        _data_dir: data_dir,
        postgres,
        shutdown: Some(shutdown),
        server: Some(server),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Drop the test's PostgreSQL database from a thread of its own: Drop cannot await.
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

/// A company created through the operator mutation, with its admin signed in.
pub struct Company {
    pub id: String,
    pub admin: Person,
}

#[derive(Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub token: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// An email no other test uses (emails are unique across companies).
pub fn unique_email(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{prefix}-{n}-{}@example.test",
        &Uuid::new_v4().simple().to_string()[..8]
    )
}

/// POSTs one GraphQL operation to `url` (a node's `/graphql`); returns the whole JSON response.
pub async fn post_graphql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = client
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a JSON response")
}

impl TestApp {
    /// POSTs one GraphQL operation; returns the whole JSON response.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let url = format!("{}/graphql", self.address);
        post_graphql(&self.client, &url, token, query, variables).await
    }

    /// Runs an operation that must succeed; returns its `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.gql(Some(token), query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors for {query}: {response}"
        );
        response["data"].clone()
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id email role } } }",
            json!({ "e": email, "p": password }),
        )
        .await
    }

    pub async fn login_token(&self, email: &str) -> String {
        let response = self.login(email, PASSWORD).await;
        response["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login of {email} failed: {response}"))
            .to_owned()
    }

    pub async fn create_company(&self, name: &str) -> Company {
        let email = unique_email("admin");
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(OPERATOR_TOKEN)
            .json(&json!({
                "query": "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } admin { id } } }",
                "variables": { "input": {
                    "name": name, "timeZone": "Europe/Berlin",
                    "admin": { "name": "Admin", "email": email, "password": PASSWORD }
                }}
            }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let payload = &response["data"]["createCompany"];
        assert!(payload.is_object(), "createCompany failed: {response}");
        let token = self.login_token(&email).await;
        Company {
            id: payload["company"]["id"].as_str().unwrap().to_owned(),
            admin: Person {
                id: payload["admin"]["id"].as_str().unwrap().to_owned(),
                email,
                token,
            },
        }
    }

    /// Creates a user with `role` through the admin and signs them in.
    pub async fn create_user(&self, admin_token: &str, role: &str) -> Person {
        let email = unique_email(&role.to_lowercase());
        let data = self
            .ok(
                admin_token,
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": { "name": format!("{role} person"), "email": email, "password": PASSWORD, "role": role } }),
            )
            .await;
        let token = self.login_token(&email).await;
        Person {
            id: data["createUser"]["id"].as_str().unwrap().to_owned(),
            email,
            token,
        }
    }

    /// `field` — `addTeamMember`, `removeTeamMember`, `addTeamLeader` or `removeTeamLeader` —
    /// of `user_id` in `team`, as `admin_token`.
    pub async fn change_team(&self, admin_token: &str, field: &str, team: &str, user_id: &str) {
        self.ok(
            admin_token,
            &format!("mutation($t: ID!, $u: ID!) {{ {field}(teamId: $t, userId: $u) {{ id }} }}"),
            json!({ "t": team, "u": user_id }),
        )
        .await;
    }

    /// A team with one leader and the given members.
    pub async fn create_team(
        &self,
        admin_token: &str,
        leader: &Person,
        members: &[&Person],
    ) -> String {
        let data = self
            .ok(
                admin_token,
                "mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }",
                json!({ "input": {
                    "name": format!("Team {}", Uuid::new_v4().simple()),
                    "leaderIds": [leader.id],
                    "memberIds": members.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
                }}),
            )
            .await;
        data["createTeam"]["id"].as_str().unwrap().to_owned()
    }
}

impl TestApp {
    /// Stops the node abruptly, as a crash would: no draining, connections cut.
    pub fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/graphql/ws", self.address.replacen("http", "ws", 1))
    }

    /// The emails delivered so far (the `.eml` files of the outbox), waiting up to five
    /// seconds for at least `at_least` of them.
    pub async fn delivered_emails(&self, at_least: usize) -> Vec<String> {
        let dir = self.data_dir.join("outbox");
        let mut emails = Vec::new();
        for _ in 0..100 {
            emails = std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .collect()
                })
                .unwrap_or_default();
            if emails.len() >= at_least {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        emails
    }
}

/// The `extensions.code` of the first error, or `None` when the response has no error.
pub fn error_code(response: &Value) -> Option<String> {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned)
}

/// A moto S3 server (`pip install 'moto[server]'`) on a free loopback port, for the S3 path.
pub mod moto {
    use std::{process::Stdio, time::Duration};

    use tokio::process::{Child, Command};

    pub struct Moto {
        pub endpoint: String,
        pub bucket: String,
        client: reqwest::Client,
        _child: Child,
    }

    /// Starts moto with a fresh bucket and points the AWS variables at it. `None` (after a
    /// loud message) when `moto_server` is not installed — unless `CI=true`, where a missing
    /// server fails the test instead of skipping it.
    pub async fn start() -> Option<Moto> {
        let installed = std::process::Command::new("moto_server")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !in_ci,
                "CI=true but moto_server is missing: pip install 'moto[server]'"
            );
            eprintln!(
                "\n!!!!!!!!!! SKIPPED: the S3 attachment test needs moto_server \
                 (pip install 'moto[server]') !!!!!!!!!!\n"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut up = false;
        for _ in 0..100 {
            if client.get(&endpoint).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "moto_server did not answer on {endpoint}");
        let bucket = format!("coach-{}", uuid::Uuid::new_v4().simple());
        let created = client
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "creating the bucket");
        // SAFETY: these variables are read only when a node opens an `s3://` store, which
        // only this test does; no other code in the process reads or writes them.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_REGION", "us-east-1");
            std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
        }
        Some(Moto {
            endpoint,
            bucket,
            client,
            _child: child,
        })
    }

    impl Moto {
        /// Objects in the bucket, and unfinished multipart uploads.
        pub async fn object_count(&self) -> usize {
            let list = |query: &'static str| {
                let url = format!("{}/{}?{query}", self.endpoint, self.bucket);
                let client = self.client.clone();
                async move { client.get(url).send().await.unwrap().text().await.unwrap() }
            };
            let objects = list("list-type=2").await.matches("<Key>").count();
            let uploads = list("uploads").await.matches("<UploadId>").count();
            objects + uploads
        }
    }
}
