//! Login, tokens, logout, password changes, rate limits.

use serde_json::json;

use crate::helpers::{JWT_SECRET, PASSWORD, error_code, spawn_app};

const VIEWER: &str = "{ viewer { id email role } }";

#[tokio::test]
async fn login_returns_a_token_that_identifies_the_viewer() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let data = app.ok(&company.admin.token, VIEWER, json!({})).await;
    assert_eq!(data["viewer"]["id"], company.admin.id.as_str());
    assert_eq!(data["viewer"]["role"], "ADMIN");
    // Emails compare case-insensitively.
    let upper = app
        .login(&company.admin.email.to_uppercase(), PASSWORD)
        .await;
    assert!(upper["data"]["login"]["token"].is_string(), "{upper}");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let wrong = app.login(&company.admin.email, "not-the-password").await;
    let unknown = app.login("nobody@example.test", PASSWORD).await;
    assert_eq!(error_code(&wrong).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    assert!(wrong["data"].is_null());
}

#[tokio::test]
async fn requests_without_valid_credentials_are_unauthenticated() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| json!({ "sub": company.admin.id, "cid": company.id, "jti": uuid::Uuid::now_v7(), "iat": now - 7200, "exp": exp });
    let sign = |secret: &str, exp: i64| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims(exp),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let mut tampered = company.admin.token.clone();
    tampered.pop();
    tampered.push(if company.admin.token.ends_with('A') {
        'B'
    } else {
        'A'
    });
    let cases = [
        ("no token", None),
        ("garbage", Some("not-a-jwt".to_owned())),
        (
            "forged with another secret",
            Some(sign("someone-elses-secret", now + 3600)),
        ),
        ("expired", Some(sign(JWT_SECRET, now - 60))),
        (
            "valid signature, unknown session",
            Some(sign(JWT_SECRET, now + 3600)),
        ),
        ("tampered signature", Some(tampered)),
    ];
    for (case, token) in cases {
        let response = app.gql(token.as_deref(), VIEWER, json!({})).await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some("UNAUTHENTICATED"),
            "{case}: {response}"
        );
    }
}

#[tokio::test]
async fn logout_revokes_only_that_token() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let second = app.login_token(&company.admin.email).await;
    app.ok(&company.admin.token, "mutation { logout }", json!({}))
        .await;
    let refused = app.gql(Some(&company.admin.token), VIEWER, json!({})).await;
    assert_eq!(error_code(&refused).as_deref(), Some("UNAUTHENTICATED"));
    app.ok(&second, VIEWER, json!({})).await;
}

#[tokio::test]
async fn change_password_requires_the_current_one_and_revokes_other_tokens() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let other_session = app.login_token(&company.admin.email).await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    let wrong = app
        .gql(
            Some(&company.admin.token),
            change,
            json!({ "c": "wrong-password", "n": "a-new-password-1" }),
        )
        .await;
    assert_eq!(error_code(&wrong).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "currentPassword");

    let short = app
        .gql(
            Some(&company.admin.token),
            change,
            json!({ "c": PASSWORD, "n": "short" }),
        )
        .await;
    assert_eq!(short["errors"][0]["extensions"]["field"], "newPassword");

    app.ok(
        &company.admin.token,
        change,
        json!({ "c": PASSWORD, "n": "a-new-password-1" }),
    )
    .await;
    app.ok(&company.admin.token, VIEWER, json!({})).await;
    let revoked = app.gql(Some(&other_session), VIEWER, json!({})).await;
    assert_eq!(error_code(&revoked).as_deref(), Some("UNAUTHENTICATED"));
    assert!(app.login(&company.admin.email, PASSWORD).await["errors"].is_array());
    assert!(app.login(&company.admin.email, "a-new-password-1").await["data"]["login"].is_object());
}

#[tokio::test]
async fn deactivated_users_cannot_log_in_and_lose_their_tokens() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let member = app.create_user(&company.admin.token, "TEAM_MEMBER").await;
    app.ok(
        &company.admin.token,
        "mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { active } }",
        json!({ "id": member.id }),
    )
    .await;
    let refused = app.gql(Some(&member.token), VIEWER, json!({})).await;
    assert_eq!(error_code(&refused).as_deref(), Some("UNAUTHENTICATED"));
    let login = app.login(&member.email, PASSWORD).await;
    assert_eq!(error_code(&login).as_deref(), Some("BAD_USER_INPUT"));

    // Their history stays: they are still listed, as inactive.
    let data = app
        .ok(
            &company.admin.token,
            "query($id: ID!) { user(id: $id) { active } }",
            json!({ "id": member.id }),
        )
        .await;
    assert_eq!(data["user"]["active"], false);
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_account() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    // Ten attempts per account per window; creating the company already used one.
    let mut codes = Vec::new();
    for _ in 0..10 {
        codes.push(error_code(
            &app.login(&company.admin.email, "wrong-password").await,
        ));
    }
    assert!(
        codes[..9]
            .iter()
            .all(|c| c.as_deref() == Some("BAD_USER_INPUT")),
        "{codes:?}"
    );
    assert_eq!(codes[9].as_deref(), Some("RATE_LIMITED"));
    // Even the right password is refused while the account is limited.
    let right = app.login(&company.admin.email, PASSWORD).await;
    assert_eq!(error_code(&right).as_deref(), Some("RATE_LIMITED"));
    assert!(
        right["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );
}
