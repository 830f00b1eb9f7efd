//! The HTTP surface: health checks, hostile and malformed requests.

use serde_json::{Value, json};

use crate::helpers::{error_code, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers().contains_key("x-request-id"),
            "{path} has a request id"
        );
    }
}

#[tokio::test]
async fn graphiql_is_served_in_development_only() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );

    let production =
        spawn_app_with(|c| c.environment = coach::config::Environment::Production).await;
    let page = production
        .client
        .get(format!("{}/graphql", production.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let introspection = production
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        introspection["data"]["__schema"].is_null(),
        "{introspection}"
    );
}

async fn post_raw(
    app: &crate::helpers::TestApp,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_and_hostile_requests_get_clear_codes() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let token = Some(company.admin.token.as_str());

    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "syntax error",
            json!({ "query": "{ viewer { id " }),
            "BAD_USER_INPUT",
        ),
        (
            "unknown field",
            json!({ "query": "{ nope }" }),
            "BAD_USER_INPUT",
        ),
        (
            "wrong argument type",
            json!({ "query": "{ users(first: \"ten\") { totalCount } }" }),
            "BAD_USER_INPUT",
        ),
        (
            "wrong variable type",
            json!({ "query": "query($f: Int) { users(first: $f) { totalCount } }", "variables": { "f": "x" } }),
            "BAD_USER_INPUT",
        ),
        (
            "malformed id",
            json!({ "query": "{ user(id: \"../../etc\") { id } }" }),
            "BAD_USER_INPUT",
        ),
        (
            "negative page",
            json!({ "query": "{ users(first: -1) { totalCount } }" }),
            "BAD_USER_INPUT",
        ),
        (
            "huge page",
            json!({ "query": "{ users(first: 100000) { totalCount } }" }),
            "BAD_USER_INPUT",
        ),
        (
            "bad cursor",
            json!({ "query": "{ users(after: \"zzz\") { totalCount } }" }),
            "BAD_USER_INPUT",
        ),
    ];
    for (case, body, code) in cases {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(
            error_code(&response).as_deref(),
            Some(code),
            "{case}: {response}"
        );
    }

    let (status, body) = post_raw(&app, "application/json", b"{not json".to_vec()).await;
    assert_eq!(
        (status, error_code(&body).as_deref()),
        (400, Some("BAD_USER_INPUT"))
    );

    let (status, body) =
        post_raw(&app, "text/plain", b"{\"query\":\"{viewer{id}}\"}".to_vec()).await;
    assert_eq!(
        (status, error_code(&body).as_deref()),
        (415, Some("UNSUPPORTED_MEDIA_TYPE"))
    );

    // A 10 MB string is refused before it is parsed.
    let huge = "x".repeat(10 * 1024 * 1024);
    let body = serde_json::to_vec(&json!({
        "query": "mutation($n: String!) { createCoachingCategory(name: $n) { id } }",
        "variables": { "n": huge }
    }))
    .unwrap();
    let (status, body) = post_raw(&app, "application/json", body).await;
    assert_eq!(
        (status, error_code(&body).as_deref()),
        (413, Some("PAYLOAD_TOO_LARGE"))
    );

    // A long string under the body limit is refused by field validation, naming the field.
    let long = app
        .gql(
            token,
            "mutation($n: String!) { createCoachingCategory(name: $n) { id } }",
            json!({ "n": "y".repeat(100_000) }),
        )
        .await;
    assert_eq!(error_code(&long).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(long["errors"][0]["extensions"]["field"], "name");

    // The server still serves after all of that.
    app.ok(&company.admin.token, "{ viewer { id } }", json!({}))
        .await;
}

#[tokio::test]
async fn batches_are_limited() {
    let app = spawn_app().await;
    let one = json!({ "query": "{ __typename }" });
    let ok = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&vec![one.clone(); 3])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let answers: Vec<Value> = ok.json().await.unwrap();
    assert_eq!(answers.len(), 3);

    let (status, body) = post_raw(
        &app,
        "application/json",
        serde_json::to_vec(&vec![one; 11]).unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_code(&body).as_deref()),
        (400, Some("BAD_USER_INPUT"))
    );
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    // viewer → (teams → team → members) × 6 → id: 20 levels, past the limit of 16.
    let query = format!(
        "{{ viewer {{ {} id {} }} }}",
        "teams { team { members { ".repeat(6),
        "} } } ".repeat(6)
    );
    let response = app.gql(Some(&company.admin.token), &query, json!({})).await;
    assert_eq!(
        error_code(&response).as_deref(),
        Some("BAD_USER_INPUT"),
        "{response}"
    );
}
