//! Attachment throughput and memory (issue 6), written up in BENCHMARKS.md.
//!
//! `cargo bench --bench attachments` — starts a node in this process (SQLite, file store under
//! `target/bench-attachments`), then measures:
//! - upload and download MB/s of 25 MB files over loopback HTTP, next to a plain file copy of
//!   the same bytes in the same directory;
//! - resident memory growth during 8 concurrent 25 MB uploads (the client generates its
//!   bodies on the fly, so what grows is the server's buffering);
//! - the same against moto's S3 server when `moto_server` is installed.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use coach::{
    config::{Config, CorsOrigins, Environment},
    startup::Application,
};
use serde_json::{Value, json};

const SIZE: usize = 25 * 1024 * 1024;
const ROUNDS: usize = 5;
const CONCURRENT: usize = 8;
const OPERATOR: &str = "bench-operator-token";
const BOUNDARY: &str = "bench-boundary-0123456789";
const MB: f64 = 1_000_000.0;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn content(size: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    bytes[..3].copy_from_slice(b"ID3");
    bytes
}

fn envelope(session: &str) -> (String, String) {
    let operations = json!({
        "query": "mutation($id: ID!, $file: Upload!) { uploadAttachment(oneOnOneId: $id, file: $file) { id } }",
        "variables": { "id": session, "file": null },
    });
    (
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"bench.mp3\"\r\n\r\n"
        ),
        format!("\r\n--{BOUNDARY}--\r\n"),
    )
}

struct Node {
    address: String,
    client: reqwest::Client,
    token: String,
    session: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Node {
    async fn start(dir: &Path, storage_url: Option<String>) -> Node {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        let config = Config {
            listen_addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.to_path_buf(),
            database_url: None,
            database_pool_size: None,
            redis_url: None,
            storage_url,
            smtp_url: None,
            mail_from: "Bench <bench@bench.test>".into(),
            public_base_url: "http://bench.test".into(),
            jwt_secret: Some("bench-secret".into()),
            operator_token: Some(OPERATOR.into()),
            demo_password: "bench-demo".into(),
            environment: Environment::Development,
            token_ttl: Duration::from_secs(3600),
            max_body_bytes: 2 * 1024 * 1024,
            ws_init_timeout: Duration::from_secs(10),
            ws_send_timeout: Duration::from_secs(15),
            redis_prefix: "bench".into(),
            cors_allowed_origins: CorsOrigins::Localhost,
            metrics_token: None,
        };
        let app = Application::build(config).await.unwrap();
        let address = format!("http://{}", app.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let gql = |token: String, query: &'static str, variables: Value| {
            let client = client.clone();
            let url = format!("{address}/graphql");
            async move {
                let response: Value = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({ "query": query, "variables": variables }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(response["errors"].is_null(), "{response}");
                response["data"].clone()
            }
        };
        let login = |email: &'static str| {
            gql(
                String::new(),
                "mutation($e: String!) { login(email: $e, password: \"bench-password-1\") { token } }",
                json!({ "e": email }),
            )
        };
        gql(OPERATOR.into(), "mutation { createCompany(input: { name: \"Bench\", timeZone: \"UTC\", admin: { name: \"A\", email: \"admin@bench.test\", password: \"bench-password-1\" } }) { company { id } } }", json!({})).await;
        let admin = login("admin@bench.test").await["login"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut ids = Vec::new();
        for (email, role) in [
            ("leader@bench.test", "TEAM_LEADER"),
            ("member@bench.test", "TEAM_MEMBER"),
        ] {
            let data = gql(
                admin.clone(),
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "name": role, "email": email, "password": "bench-password-1", "role": role } }),
            )
            .await;
            ids.push(data["createUser"]["id"].as_str().unwrap().to_owned());
        }
        let token = login("leader@bench.test").await["login"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let session = gql(
            token.clone(),
            "mutation($m: ID!) { createOneOnOne(input: { memberId: $m }) { id } }",
            json!({ "m": ids[1] }),
        )
        .await["createOneOnOne"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Node {
            address,
            client,
            token,
            session,
            _stop: stop,
        }
    }

    async fn upload(&self, body: reqwest::Body) -> String {
        let response: Value = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(&self.token)
            .header("apollo-require-preflight", "true")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        response["data"]["uploadAttachment"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("upload failed: {response}"))
            .to_owned()
    }

    /// A whole body in memory (for throughput).
    fn buffered(&self, file: &Bytes) -> reqwest::Body {
        let (head, tail) = envelope(&self.session);
        let mut body = Vec::with_capacity(file.len() + 1024);
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(file);
        body.extend_from_slice(tail.as_bytes());
        body.into()
    }

    /// A body generated chunk by chunk (for memory: the client holds almost nothing).
    fn generated(&self, size: usize) -> reqwest::Body {
        let (head, tail) = envelope(&self.session);
        const CHUNK: usize = 64 * 1024;
        let pattern = Bytes::from(content(CHUNK));
        let chunks = size / CHUNK;
        let stream = futures_util::stream::iter(
            std::iter::once(Bytes::from(head))
                .chain((0..chunks).map(move |_| pattern.clone()))
                .chain(std::iter::once(Bytes::from(tail)))
                .map(Ok::<Bytes, std::io::Error>),
        );
        reqwest::Body::wrap_stream(stream)
    }

    async fn download(&self, id: &str) -> usize {
        use futures_util::StreamExt;
        let response = self
            .client
            .get(format!("{}/attachments/{id}", self.address))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut stream = response.bytes_stream();
        let mut total = 0;
        while let Some(chunk) = stream.next().await {
            total += chunk.unwrap().len();
        }
        total
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

/// MB/s of a plain `std::fs::copy` of the file in `dir` (the page cache included, as for the
/// store), median of `ROUNDS`.
fn plain_copy(dir: &Path, file: &[u8]) -> f64 {
    let source = dir.join("copy-source.bin");
    std::fs::write(&source, file).unwrap();
    let rates = (0..ROUNDS)
        .map(|i| {
            let target = dir.join(format!("copy-target-{i}.bin"));
            let start = Instant::now();
            std::fs::copy(&source, &target).unwrap();
            let f = std::fs::File::open(&target).unwrap();
            f.sync_all().ok();
            let rate = file.len() as f64 / MB / start.elapsed().as_secs_f64();
            std::fs::remove_file(target).unwrap();
            rate
        })
        .collect();
    std::fs::remove_file(source).unwrap();
    median(rates)
}

struct Figures {
    upload: f64,
    download: f64,
    rss_growth_mib: f64,
}

async fn measure(node: &Node, file: &Bytes) -> Figures {
    // Memory first, from a reset high-water mark: 8 uploads at once.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let baseline = status_kib("VmRSS:");
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(status_kib("VmRSS:"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let uploads: Vec<_> = (0..CONCURRENT)
        .map(|_| node.upload(node.generated(SIZE)))
        .collect();
    futures_util::future::join_all(uploads).await;
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let high_water = status_kib("VmHWM:").max(peak.load(Ordering::Relaxed));
    let rss_growth_mib = high_water.saturating_sub(baseline) as f64 / 1024.0;

    let mut up = Vec::new();
    let mut down = Vec::new();
    for _ in 0..ROUNDS {
        let body = node.buffered(file);
        let start = Instant::now();
        let id = node.upload(body).await;
        up.push(file.len() as f64 / MB / start.elapsed().as_secs_f64());
        let start = Instant::now();
        assert_eq!(node.download(&id).await, file.len());
        down.push(file.len() as f64 / MB / start.elapsed().as_secs_f64());
    }
    Figures {
        upload: median(up),
        download: median(down),
        rss_growth_mib,
    }
}

async fn moto() -> Option<(tokio::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = tokio::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(&endpoint).send().await.is_ok() {
            client.put(format!("{endpoint}/bench")).send().await.ok()?;
            return Some((child, endpoint));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-attachments");
    let file = Bytes::from(content(SIZE));
    println!(
        "attachments bench: {ROUNDS} rounds of one {SIZE}-byte file, {CONCURRENT} concurrent uploads for memory"
    );

    let node = Node::start(&root.join("file"), None).await;
    let figures = measure(&node, &file).await;
    let copy = plain_copy(&root, &file);
    println!(
        "file store: upload {:.0} MB/s, download {:.0} MB/s",
        figures.upload, figures.download
    );
    println!("plain copy on the same disk: {copy:.0} MB/s");
    println!(
        "upload / copy = {:.2}, download / copy = {:.2} (target >= 0.5)",
        figures.upload / copy,
        figures.download / copy
    );
    println!(
        "peak RSS growth, {CONCURRENT} concurrent 25 MB uploads (file store): {:.1} MiB (target < 64)",
        figures.rss_growth_mib
    );
    drop(node);

    match moto().await {
        Some((_child, endpoint)) => {
            // SAFETY: set before the S3 node starts; nothing else in this process reads them.
            unsafe {
                std::env::set_var("AWS_ACCESS_KEY_ID", "bench");
                std::env::set_var("AWS_SECRET_ACCESS_KEY", "bench");
                std::env::set_var("AWS_REGION", "us-east-1");
                std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
            }
            let node = Node::start(&root.join("s3"), Some("s3://bench".into())).await;
            let figures = measure(&node, &file).await;
            println!(
                "S3 (moto on loopback): upload {:.0} MB/s, download {:.0} MB/s, peak RSS growth with {CONCURRENT} concurrent uploads {:.1} MiB",
                figures.upload, figures.download, figures.rss_growth_mib
            );
        }
        None => println!("S3: SKIPPED, moto_server is not installed (pip install 'moto[server]')"),
    }
    let _ = std::fs::remove_dir_all(&root);
}
