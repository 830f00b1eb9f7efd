//! The binary's subcommands as an operator runs them (SPEC §8): demo seeding happens in
//! development and never in production, whether asked for or implied by `serve`.

use std::process::Stdio;

use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

use crate::helpers::post_graphql;

const DEMO_ADMIN: &str = "admin@demo.example";
const DEMO_PASSWORD: &str = "cli-test-demo-password";

/// The `coach` binary on an empty embedded database in `data_dir`, with no outside services.
fn coach(data_dir: &std::path::Path, app_env: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coach"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_ENV", app_env)
        .env("DATA_DIR", data_dir)
        .env("DEMO_PASSWORD", DEMO_PASSWORD)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn seed_demo_seeds_in_development_and_is_refused_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let refused = coach(dir.path(), "production")
        .arg("seed-demo")
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success(), "seed-demo ran in production");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("demo seeding is off in production"),
        "{stderr}"
    );

    let seeded = coach(dir.path(), "development")
        .arg("seed-demo")
        .output()
        .await
        .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    let stdout = String::from_utf8_lossy(&seeded.stdout);
    assert!(stdout.contains("Demo company seeded"), "{stdout}");
}

#[tokio::test]
async fn serving_in_production_seeds_no_demo_company() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = coach(dir.path(), "production")
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the server says where it serves");
        assert!(!line.contains("Demo company seeded"), "{line}");
        if let Some(url) = line.strip_prefix("Serving the API at ") {
            break url.to_owned();
        }
    };
    let answer = post_graphql(
        &reqwest::Client::new(),
        &url,
        None,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({ "e": DEMO_ADMIN, "p": DEMO_PASSWORD }),
    )
    .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "the demo admin must not exist in production: {answer}"
    );
    server.kill().await.unwrap();
}
