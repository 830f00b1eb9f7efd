//! SPEC §8's limits seen from outside: operations only over POST, batches, aliases and
//! complexity, production switches, CORS, and each node's own `/metrics`. (The body limit and
//! depth are in `http.rs`.)

use std::time::Duration;

use coach::config::{CorsOrigins, Environment};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, error_code, spawn_app, spawn_app_with},
    one_on_ones::{Pair, new_draft, pair},
    ws_client::WsClient,
};

async fn category_names(app: &TestApp, token: &str) -> Vec<String> {
    app.ok(
        token,
        "{ coachingCategories { nodes { name } } }",
        json!({}),
    )
    .await["coachingCategories"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn get_never_executes_an_operation() {
    let app = spawn_app().await;
    let admin = app.create_company("Acme").await.admin;
    let url = format!("{}/graphql", app.address);
    for query in [
        "mutation { createCoachingCategory(name: \"via GET\") { id } }",
        "{ viewer { id } }",
    ] {
        let response = app
            .client
            .get(&url)
            .query(&[("query", query)])
            .bearer_auth(&admin.token)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{query}");
        assert_eq!(response.headers()["allow"], "POST");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            error_code(&body).as_deref(),
            Some("BAD_USER_INPUT"),
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "method");
    }
    assert!(
        !category_names(&app, &admin.token)
            .await
            .contains(&"via GET".to_owned())
    );

    // A browser following the same link gets GraphiQL (which POSTs), and nothing runs.
    let page = app
        .client
        .get(&url)
        .query(&[(
            "query",
            "mutation { createCoachingCategory(name: \"via GET\") { id } }",
        )])
        .bearer_auth(&admin.token)
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        !category_names(&app, &admin.token)
            .await
            .contains(&"via GET".to_owned())
    );
}

#[tokio::test]
async fn a_batch_over_the_limit_runs_nothing() {
    let app = spawn_app().await;
    let admin = app.create_company("Acme").await.admin;
    let batch = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "query": format!("mutation {{ createCoachingCategory(name: \"batch {n}-{i}\") {{ id }} }}") }))
            .collect()
    };
    let post = |body: Vec<Value>| {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&admin.token)
            .json(&body)
            .send()
    };

    let refused = post(batch(11)).await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("10"),
        "{body}"
    );
    let names = category_names(&app, &admin.token).await;
    assert!(
        !names.iter().any(|n| n.starts_with("batch 11")),
        "{names:?}"
    );

    let answered: Vec<Value> = post(batch(10)).await.unwrap().json().await.unwrap();
    assert_eq!(answered.len(), 10);
    let names = category_names(&app, &admin.token).await;
    assert_eq!(
        names.iter().filter(|n| n.starts_with("batch 10")).count(),
        10
    );
}

#[tokio::test]
async fn aliases_and_complexity_are_limited() {
    let app = spawn_app().await;
    let admin = app.create_company("Acme").await.admin;
    let aliased = |n: usize| {
        let fields: String = (0..n).map(|i| format!("a{i}: viewer {{ id }} ")).collect();
        format!("{{ {fields} }}")
    };
    let allowed = app
        .gql(
            Some(&admin.token),
            &aliased(coach::graphql::MAX_ALIASES),
            json!({}),
        )
        .await;
    assert!(allowed.get("errors").is_none(), "{allowed}");

    let refused = app
        .gql(
            Some(&admin.token),
            &aliased(coach::graphql::MAX_ALIASES + 1),
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("BAD_USER_INPUT"),
        "{refused}"
    );
    assert!(refused["data"].is_null(), "{refused}");

    // Aliases hidden in a fragment count too; so do aliased mutations, which never run.
    let logins: String = (0..=coach::graphql::MAX_ALIASES)
        .map(|i| {
            format!("l{i}: login(email: \"x@example.test\", password: \"guess-{i}\") {{ token }} ")
        })
        .collect();
    let refused = app
        .gql(None, &format!("mutation {{ {logins} }}"), json!({}))
        .await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("BAD_USER_INPUT"),
        "{refused}"
    );
    let in_fragment = format!(
        "{{ viewer {{ ...F }} }} fragment F on User {{ {} }}",
        (0..=coach::graphql::MAX_ALIASES)
            .map(|i| format!("f{i}: id "))
            .collect::<String>()
    );
    let refused = app.gql(Some(&admin.token), &in_fragment, json!({})).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("BAD_USER_INPUT"),
        "{refused}"
    );

    // Complexity: a shallow query with more fields than the budget.
    let wide = format!(
        "{{ viewer {{ {} }} }}",
        "id ".repeat(coach::graphql::MAX_COMPLEXITY + 1)
    );
    let refused = app.gql(Some(&admin.token), &wide, json!({})).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("BAD_USER_INPUT"),
        "{refused}"
    );
    assert!(refused["data"].is_null(), "{refused}");
}

#[tokio::test]
async fn production_hides_graphiql_introspection_and_suggestions() {
    let misspelled = "{ viewr { id } }";
    let development = spawn_app().await;
    let hint = development.gql(None, misspelled, json!({})).await;
    assert!(
        hint["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean"),
        "{hint}"
    );

    let production = spawn_app_with(|c| c.environment = Environment::Production).await;
    let page = production
        .client
        .get(format!("{}/graphql", production.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let introspection = production
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        introspection["data"]["__schema"].is_null(),
        "{introspection}"
    );
    let no_hint = production.gql(None, misspelled, json!({})).await;
    let message = no_hint["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{no_hint}");
    assert_eq!(error_code(&no_hint).as_deref(), Some("BAD_USER_INPUT"));
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

fn allowed_origin(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let development = spawn_app().await;
    let local = preflight(&development, "http://localhost:5173").await;
    assert!(local.status().is_success());
    assert_eq!(
        allowed_origin(&local).as_deref(),
        Some("http://localhost:5173")
    );
    let allowed_headers = local.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );
    assert_eq!(
        allowed_origin(&preflight(&development, "https://evil.example").await),
        None
    );
    assert_eq!(
        allowed_origin(&preflight(&development, "http://localhost.evil.example").await),
        None
    );

    let production = spawn_app_with(|c| {
        c.environment = Environment::Production;
        c.cors_allowed_origins = CorsOrigins::List(vec!["https://app.example.com".into()]);
    })
    .await;
    let app_origin = preflight(&production, "https://app.example.com").await;
    assert_eq!(
        allowed_origin(&app_origin).as_deref(),
        Some("https://app.example.com")
    );
    for refused in [
        "https://evil.example",
        "http://localhost:5173",
        "http://app.example.com",
    ] {
        assert_eq!(
            allowed_origin(&preflight(&production, refused).await),
            None,
            "{refused}"
        );
    }
    // The actual request from the allowed origin carries the header too.
    let response = production
        .client
        .post(format!("{}/graphql", production.address))
        .header("origin", "https://app.example.com")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed_origin(&response).as_deref(),
        Some("https://app.example.com")
    );
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the sample `series` (name and labels exactly as exposed); 0 when absent.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn each_node_has_its_own_metrics() {
    let (a, b) = (spawn_app().await, spawn_app().await);
    for _ in 0..3 {
        a.gql(None, "{ __typename }", json!({})).await;
    }
    a.gql(None, "{ nope }", json!({})).await;
    a.client
        .post(format!("{}/graphql", a.address))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();

    let on_a = scrape(&a).await;
    let on_b = scrape(&b).await;
    let queries = "coach_graphql_operations_total{operation_type=\"query\"}";
    assert!(sample(&on_a, queries) >= 4.0, "{on_a}");
    assert_eq!(sample(&on_b, queries), 0.0, "{on_b}");
    for code in ["BAD_USER_INPUT", "UNSUPPORTED_MEDIA_TYPE"] {
        let series = format!("coach_errors_total{{code=\"{code}\"}}");
        assert!(sample(&on_a, &series) >= 1.0, "{series}: {on_a}");
        assert_eq!(sample(&on_b, &series), 0.0, "{series}: {on_b}");
    }
    let posts = "coach_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"}";
    assert!(sample(&on_a, posts) >= 4.0, "{on_a}");
    assert_eq!(sample(&on_b, posts), 0.0, "{on_b}");
    let latency = "coach_http_request_duration_seconds_count{route=\"/graphql\"}";
    assert!(sample(&on_a, latency) >= 5.0, "{on_a}");
    assert!(on_a.contains("coach_outbox_backlog "), "{on_a}");
    assert!(on_a.contains("# TYPE coach_http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn open_subscriptions_and_the_outbox_backlog_are_gauges() {
    // An SMTP server that refuses connections keeps every email PENDING (retrying).
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app =
        spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{closed_port}"))).await;
    let Pair { leader, member, .. } = pair(&app).await;
    let session = new_draft(&app, &leader, &member, json!({})).await;
    assert_eq!(sample(&scrape(&app).await, "coach_outbox_backlog"), 0.0);
    // Sharing queues the member's email.
    app.ok(
        &leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": session }),
    )
    .await;
    assert_eq!(sample(&scrape(&app).await, "coach_outbox_backlog"), 1.0);

    let mut client = WsClient::connect(&app.ws_url(), &leader.token).await;
    client.subscribe("s1", &session, None).await;
    let subscribed = client.next_event("s1").await;
    assert_eq!(subscribed["__typename"], "Subscribed", "{subscribed}");
    assert_eq!(sample(&scrape(&app).await, "coach_open_subscriptions"), 1.0);

    client.send(json!({ "id": "s1", "type": "complete" })).await;
    let mut open = 1.0;
    for _ in 0..50 {
        open = sample(&scrape(&app).await, "coach_open_subscriptions");
        if open == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(open, 0.0);
}

#[tokio::test]
async fn a_metrics_token_guards_the_endpoint() {
    let app = spawn_app_with(|c| c.metrics_token = Some("scrape-secret".into())).await;
    let url = format!("{}/metrics", app.address);
    let anonymous = app.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let scraper = app
        .client
        .get(&url)
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(scraper.status(), 200);
    assert!(
        scraper
            .text()
            .await
            .unwrap()
            .contains("coach_open_subscriptions")
    );
}
