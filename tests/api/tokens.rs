//! API tokens (SPEC §7, issue 7): created by admins and shown once, stored as a digest,
//! revoked, expired, last-used time, and what each scope lets a token read or write — only
//! within its company, and never drafts, private sessions or personal notes.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    helpers::{Person, TestApp, error_code, spawn_app},
    one_on_ones::{Pair, new_draft, pair},
    ws_client::{close_code, open},
};

const CREATE: &str = "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) {
    secret apiToken { id name scopes expiresAt lastUsedAt revokedAt createdBy { id } } } }";
const LIST: &str =
    "{ apiTokens { totalCount nodes { id name scopes expiresAt lastUsedAt revokedAt } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }";

fn in_days(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339()
}

/// Creates a token with `scopes` as `admin`; returns (id, secret).
pub async fn create_token(app: &TestApp, admin: &str, scopes: &[&str]) -> (String, String) {
    let created = app
        .ok(
            admin,
            CREATE,
            json!({ "i": { "name": "Dashboard", "scopes": scopes, "expiresAt": in_days(30) } }),
        )
        .await;
    let payload = &created["createApiToken"];
    (
        payload["apiToken"]["id"].as_str().unwrap().to_owned(),
        payload["secret"].as_str().unwrap().to_owned(),
    )
}

async fn database(app: &TestApp) -> DatabaseConnection {
    Database::connect(app.config.database_url()).await.unwrap()
}

async fn execute(app: &TestApp, sql: &str) {
    let db = database(app).await;
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
}

/// Whether `token` may read the company's people (any READ_RECORDS request would do).
async fn answer_to(app: &TestApp, token: &str) -> Option<String> {
    error_code(
        &app.gql(Some(token), "{ users { totalCount } }", json!({}))
            .await,
    )
}

#[tokio::test]
async fn the_secret_is_shown_once_and_stored_as_a_digest() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin;
    let created = app
        .ok(
            &admin.token,
            CREATE,
            json!({ "i": { "name": " BI dashboard ", "scopes": ["READ_RECORDS", "INGEST"], "expiresAt": in_days(90) } }),
        )
        .await["createApiToken"]
        .clone();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("coach_at_"), "{secret}");
    assert!(secret.len() >= "coach_at_".len() + 43, "256 bits: {secret}");
    let token = &created["apiToken"];
    assert_eq!(token["name"], "BI dashboard");
    assert_eq!(token["scopes"], json!(["READ_RECORDS", "INGEST"]));
    assert_eq!(token["createdBy"]["id"], admin.id.as_str());
    assert!(token["lastUsedAt"].is_null() && token["revokedAt"].is_null());
    assert_eq!(answer_to(&app, secret).await, None, "the secret works");

    // Listed with its scopes and expiry, never with the secret.
    let listed = app.ok(&admin.token, LIST, json!({})).await;
    assert_eq!(listed["apiTokens"]["totalCount"], 1);
    assert_eq!(listed["apiTokens"]["nodes"][0]["id"], token["id"]);
    assert_eq!(
        listed["apiTokens"]["nodes"][0]["expiresAt"],
        token["expiresAt"]
    );
    assert!(!listed.to_string().contains(secret));
    let asked = app
        .gql(
            Some(&admin.token),
            "{ apiTokens { nodes { secret } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&asked).as_deref(),
        Some("BAD_USER_INPUT"),
        "{asked}"
    );

    // At rest: the SHA-256 digest, nowhere the secret.
    let db = database(&app).await;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT * FROM api_tokens",
        ))
        .await
        .unwrap()
        .unwrap();
    let digest: String = row.try_get("", "secret_digest").unwrap();
    assert_eq!(digest, format!("{:x}", Sha256::digest(secret.as_bytes())));
    for column in ["name", "scopes", "secret_digest"] {
        let value: String = row.try_get("", column).unwrap();
        assert!(!value.contains(&secret["coach_at_".len()..]), "{column}");
    }

    // Two tokens never share a secret.
    let (_, other) = create_token(&app, &admin.token, &["READ_RECORDS"]).await;
    assert_ne!(other, secret);
}

#[tokio::test]
async fn only_admins_manage_tokens() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = company.admin.token.clone();
    let leader = app.create_user(&admin, "TEAM_LEADER").await;
    let member = app.create_user(&admin, "TEAM_MEMBER").await;
    let (id, secret) =
        create_token(&app, &admin, &["READ_RECORDS", "INGEST", "READ_ANALYTICS"]).await;
    let create = json!({ "i": { "name": "x", "scopes": ["INGEST"], "expiresAt": in_days(1) } });
    for (who, token) in [
        ("leader", leader.token.as_str()),
        ("member", member.token.as_str()),
        ("token", secret.as_str()),
    ] {
        for (query, variables) in [
            (CREATE, create.clone()),
            (LIST, json!({})),
            (REVOKE, json!({ "id": id })),
        ] {
            let response = app.gql(Some(token), query, variables).await;
            assert_eq!(
                error_code(&response).as_deref(),
                Some("FORBIDDEN"),
                "{who}: {response}"
            );
        }
    }
    let anonymous = app.gql(None, LIST, json!({})).await;
    assert_eq!(error_code(&anonymous).as_deref(), Some("UNAUTHENTICATED"));
    assert_eq!(answer_to(&app, &secret).await, None, "nobody revoked it");
}

#[tokio::test]
async fn invalid_input_names_the_field() {
    let app = spawn_app().await;
    let admin = app.create_company("Acme").await.admin.token;
    let cases = [
        (
            json!({ "name": "x", "scopes": [], "expiresAt": in_days(1) }),
            "scopes",
        ),
        (
            json!({ "name": "  ", "scopes": ["INGEST"], "expiresAt": in_days(1) }),
            "name",
        ),
        (
            json!({ "name": "x", "scopes": ["INGEST"], "expiresAt": in_days(-1) }),
            "expiresAt",
        ),
        (
            json!({ "name": "x", "scopes": ["INGEST"], "expiresAt": in_days(367) }),
            "expiresAt",
        ),
    ];
    for (input, field) in cases {
        let response = app.gql(Some(&admin), CREATE, json!({ "i": input })).await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some("BAD_USER_INPUT"),
            "{input}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{response}"
        );
    }
    let listed = app.ok(&admin, LIST, json!({})).await;
    assert_eq!(listed["apiTokens"]["totalCount"], 0, "nothing half-created");
    app.ok(
        &admin,
        CREATE,
        json!({ "i": { "name": "x", "scopes": ["INGEST"], "expiresAt": in_days(366) } }),
    )
    .await;
}

#[tokio::test]
async fn revoked_expired_forged_and_orphaned_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let admin = app.create_company("Acme").await.admin.token;
    let (revoked, revoked_secret) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    let (_, expired_secret) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    let (_, kept_secret) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    for secret in [&revoked_secret, &expired_secret, &kept_secret] {
        assert_eq!(answer_to(&app, secret).await, None);
    }

    let first = app.ok(&admin, REVOKE, json!({ "id": revoked })).await;
    assert!(first["revokeApiToken"]["revokedAt"].is_string());
    let again = app.ok(&admin, REVOKE, json!({ "id": revoked })).await;
    assert_eq!(again, first, "revoking twice changes nothing");
    // (Found by its digest: how ids are stored differs between SQLite and PostgreSQL.)
    execute(
        &app,
        &format!(
            "UPDATE api_tokens SET expires_at = '{}' WHERE secret_digest = '{:x}'",
            (Utc::now() - Duration::seconds(1)).format("%Y-%m-%d %H:%M:%S%:z"),
            Sha256::digest(expired_secret.as_bytes())
        ),
    )
    .await;
    let forged = format!("coach_at_{}", "A".repeat(43));
    for secret in [&revoked_secret, &expired_secret, &forged] {
        assert_eq!(
            answer_to(&app, secret).await.as_deref(),
            Some("UNAUTHENTICATED"),
            "{secret}"
        );
    }
    assert_eq!(answer_to(&app, &kept_secret).await, None);
    let missing = app
        .gql(Some(&admin), REVOKE, json!({ "id": uuid::Uuid::now_v7() }))
        .await;
    assert_eq!(error_code(&missing).as_deref(), Some("NOT_FOUND"));

    // The company is gone: its tokens prove nothing.
    let other = app.create_company("Gone").await.admin.token;
    let (_, orphan) = create_token(&app, &other, &["READ_RECORDS"]).await;
    assert_eq!(answer_to(&app, &orphan).await, None);
    execute(&app, "DELETE FROM companies WHERE name = 'Gone'").await;
    assert_eq!(
        answer_to(&app, &orphan).await.as_deref(),
        Some("UNAUTHENTICATED")
    );
}

#[tokio::test]
async fn last_use_is_recorded_to_the_minute() {
    let app = spawn_app().await;
    let admin = app.create_company("Acme").await.admin.token;
    let (_, secret) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    let last_used = || async {
        app.ok(&admin, LIST, json!({})).await["apiTokens"]["nodes"][0]["lastUsedAt"].clone()
    };
    assert!(last_used().await.is_null(), "never used yet");
    let before = Utc::now() - Duration::seconds(1);
    assert_eq!(answer_to(&app, &secret).await, None);
    let first = last_used().await;
    let at: chrono::DateTime<Utc> = first.as_str().unwrap().parse().unwrap();
    assert!(at >= before && at <= Utc::now(), "{at}");
    assert_eq!(answer_to(&app, &secret).await, None);
    assert_eq!(
        last_used().await,
        first,
        "a minute has not passed: no write"
    );

    // An hour-old time is brought up to date by the next request.
    execute(
        &app,
        &format!(
            "UPDATE api_tokens SET last_used_at = '{}'",
            (Utc::now() - Duration::hours(1)).format("%Y-%m-%d %H:%M:%S%:z")
        ),
    )
    .await;
    assert_eq!(answer_to(&app, &secret).await, None);
    let later: chrono::DateTime<Utc> = last_used().await.as_str().unwrap().parse().unwrap();
    assert!(later >= before, "{later}");
}

/// One operation of the API: (name, query, variables, the scope that opens it).
type Operation = (&'static str, String, Value, Option<&'static str>);

fn operations(member: &Person, metric: &str) -> Vec<Operation> {
    let u = json!({ "u": member.id });
    vec![
        ("viewer", "{ viewer { id } }".into(), json!({}), None),
        ("myDashboard", "{ myDashboard { timeZone } }".into(), json!({}), None),
        ("companySettings", "{ companySettings { timeZone } }".into(), json!({}), None),
        ("apiTokens", LIST.into(), json!({}), None),
        ("users", "{ users { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("user", "query($u: ID!) { user(id: $u) { id name } }".into(), u.clone(), Some("READ_RECORDS")),
        ("teams", "{ teams { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("coachingCategories", "{ coachingCategories { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("metrics", "{ metrics { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("feedbackRecords", "{ feedbackRecords { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("qaReviews", "{ qaReviews { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("lessons", "{ lessons { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("oneOnOnes", "{ oneOnOnes { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("coachingSessions", "{ coachingSessions { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("coachingForms", "{ coachingForms { totalCount } }".into(), json!({}), Some("READ_RECORDS")),
        ("learningHistory", "query($u: ID!) { learningHistory(agentId: $u) { totalCount } }".into(), u.clone(), Some("READ_RECORDS")),
        (
            "recordMetricValues",
            "mutation($m: ID!, $u: ID!) { recordMetricValues(values: [{ metricId: $m, userId: $u, periodStart: \"2026-01-05\", periodEnd: \"2026-01-11\", value: 3 }]) { id } }".into(),
            json!({ "m": metric, "u": member.id }),
            Some("INGEST"),
        ),
        (
            "recordFeedback",
            "mutation($u: ID!) { recordFeedback(input: { userId: $u, score: 4, comment: \"ok\", receivedOn: \"2026-02-01\", channel: \"chat\" }) { id } }".into(),
            u.clone(),
            Some("INGEST"),
        ),
        (
            "recordQaReview",
            "mutation($u: ID!) { recordQaReview(input: { userId: $u, reviewerName: \"Rita\", score: 80, formName: \"Calls\", reviewedOn: \"2026-02-01\" }) { id } }".into(),
            u.clone(),
            Some("INGEST"),
        ),
        (
            "upsertLesson",
            "mutation { upsertLesson(input: { title: \"T\", url: \"https://l.example/1\" }) { id } }".into(),
            json!({}),
            Some("INGEST"),
        ),
        ("createMetric", "mutation { createMetric(input: { name: \"X\" }) { id } }".into(), json!({}), None),
        (
            "createUser",
            "mutation { createUser(input: { role: TEAM_MEMBER, name: \"N\", email: \"n@tok.example\", password: \"long-enough-pw\" }) { id } }".into(),
            json!({}),
            None,
        ),
        (
            "updateCompanySettings",
            "mutation { updateCompanySettings(input: { emailNotificationsEnabled: false }) { timeZone } }".into(),
            json!({}),
            None,
        ),
        ("createCoachingCategory", "mutation { createCoachingCategory(name: \"Z\") { id } }".into(), json!({}), None),
        (
            "createOneOnOne",
            "mutation($u: ID!) { createOneOnOne(input: { memberId: $u }) { id } }".into(),
            u.clone(),
            None,
        ),
        ("logout", "mutation { logout }".into(), json!({}), None),
        (
            "changePassword",
            "mutation { changePassword(currentPassword: \"a\", newPassword: \"long-enough-pw\") }".into(),
            json!({}),
            None,
        ),
    ]
}

#[tokio::test]
async fn each_scope_opens_exactly_its_operations() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        member,
        ..
    } = pair(&app).await;
    let metric = app
        .ok(
            &admin,
            "mutation { createMetric(input: { name: \"AHT\" }) { id } }",
            json!({}),
        )
        .await["createMetric"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for scope in ["READ_RECORDS", "READ_ANALYTICS", "INGEST"] {
        let (_, secret) = create_token(&app, &admin, &[scope]).await;
        for (name, query, variables, opened_by) in operations(&member, &metric) {
            let response = app.gql(Some(&secret), &query, variables).await;
            let expected = if opened_by == Some(scope) {
                None
            } else {
                Some("FORBIDDEN")
            };
            assert_eq!(
                error_code(&response).as_deref(),
                expected,
                "{scope} {name}: {response}"
            );
        }
        // An alias does not disguise a field.
        let aliased = app
            .gql(Some(&secret), "{ people: viewer { id } }", json!({}))
            .await;
        assert_eq!(
            error_code(&aliased).as_deref(),
            Some("FORBIDDEN"),
            "{scope}"
        );
    }
    // The people the ingested records are about: unchanged in name by any of it.
    let people = app.ok(&admin, "{ users { totalCount } }", json!({})).await;
    assert_eq!(people["users"]["totalCount"], 3, "createUser was refused");
}

#[tokio::test]
async fn a_websocket_with_a_token_is_refused() {
    let app = spawn_app().await;
    let admin = app.create_company("Acme").await.admin.token;
    let (_, secret) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    let mut socket = open(&app.ws_url(), true).await;
    use futures_util::SinkExt;
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {secret}") } })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(close_code(&mut socket).await, Some(4403));
}

const CONTENTS: &str = "query($id: ID!) { oneOnOne(id: $id) {
    id title sharedNotes { author { id } text } personalNote { text }
    kudos { text } actionItems { text } discussionItems { kind lesson { title } }
} }";

#[tokio::test]
async fn a_records_token_reads_what_a_shared_session_shows_but_no_personal_note() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        leader,
        member,
    } = pair(&app).await;
    let session = new_draft(&app, &leader, &member, json!({ "title": "Weekly" })).await;
    let lesson = app
        .ok(&admin, "mutation { upsertLesson(input: { title: \"Empathy\", url: \"https://l.example\" }) { id } }", json!({}))
        .await["upsertLesson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = json!({ "id": session });
    for (person, text) in [(&leader, "LEADER-SHARED"), (&member, "MEMBER-SHARED")] {
        if person.id == member.id {
            app.ok(
                &leader.token,
                "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
                id.clone(),
            )
            .await;
        }
        app.ok(
            &person.token,
            "mutation($id: ID!, $t: String!) { updateSharedNote(oneOnOneId: $id, text: $t, baseVersion: 0) { version } }",
            json!({ "id": session, "t": text }),
        )
        .await;
        app.ok(
            &person.token,
            "mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"PERSONAL\") { text } }",
            id.clone(),
        )
        .await;
    }
    app.ok(
        &leader.token,
        "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"Great week\") { id } }",
        id.clone(),
    )
    .await;
    app.ok(&member.token, "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Follow up\" }) { id } }", id.clone()).await;
    app.ok(&member.token, "mutation($id: ID!, $l: ID!) { addDiscussionItem(oneOnOneId: $id, input: { lessonId: $l }) { id } }", json!({ "id": session, "l": lesson })).await;

    let (_, secret) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    let seen = app.ok(&secret, CONTENTS, id.clone()).await["oneOnOne"].clone();
    let notes: Vec<&str> = seen["sharedNotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert!(
        notes.contains(&"LEADER-SHARED") && notes.contains(&"MEMBER-SHARED"),
        "{seen}"
    );
    assert!(seen["personalNote"].is_null(), "{seen}");
    assert!(!seen.to_string().contains("PERSONAL\""), "{seen}");
    assert_eq!(seen["kudos"][0]["text"], "Great week");
    assert_eq!(seen["actionItems"][0]["text"], "Follow up");
    assert_eq!(seen["discussionItems"][0]["lesson"]["title"], "Empathy");

    // Not one 1:1 mutation, on a session the token sees.
    for (name, query) in [
        (
            "updateOneOnOne",
            "mutation($id: ID!) { updateOneOnOne(id: $id, input: { title: \"t\" }) { id } }",
        ),
        (
            "shareOneOnOne",
            "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        ),
        (
            "resendOneOnOneRecap",
            "mutation($id: ID!) { resendOneOnOneRecap(id: $id) { id } }",
        ),
        (
            "deleteOneOnOne",
            "mutation($id: ID!) { deleteOneOnOne(id: $id) { id } }",
        ),
        (
            "updateSharedNote",
            "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"x\", baseVersion: 1) { version } }",
        ),
        (
            "applySharedNoteUpdate",
            "mutation($id: ID!) { applySharedNoteUpdate(oneOnOneId: $id, update: \"AAA=\") { version } }",
        ),
        (
            "updatePersonalNote",
            "mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"x\") { text } }",
        ),
        (
            "addKudo",
            "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"x\") { id } }",
        ),
        (
            "celebrateKudos",
            "mutation($id: ID!) { celebrateKudos(oneOnOneId: $id) { id } }",
        ),
        (
            "addActionItem",
            "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"x\" }) { id } }",
        ),
    ] {
        let response = app.gql(Some(&secret), query, id.clone()).await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some("FORBIDDEN"),
            "{name}: {response}"
        );
    }
    let after = app.ok(&leader.token, CONTENTS, id).await["oneOnOne"].clone();
    assert_eq!(after["title"], "Weekly", "nothing changed");
}

#[tokio::test]
async fn attachments_download_with_a_records_token_only() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        leader,
        member,
    } = pair(&app).await;
    let session = crate::live::shared_session(&app, &leader, &member).await;
    let attachment = crate::attachments::upload_mp3(&app, &leader.token, &session).await;
    let (_, records) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    let (_, analytics) = create_token(&app, &admin, &["READ_ANALYTICS"]).await;
    let download = |token: String| {
        let request = app
            .client
            .get(format!("{}/attachments/{attachment}", app.address))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(download(records.clone()).await, 200);
    assert_eq!(download(analytics).await, 403);
    app.ok(
        &leader.token,
        "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: true }) { id } }",
        json!({ "id": session }),
    )
    .await;
    assert_eq!(download(records).await, 404, "a private session's file");
}

/// A one-step form, started and coached by `coach` for `agent`; returns (draft, coached).
async fn coaching_sessions(
    app: &TestApp,
    admin: &str,
    coach: &Person,
    agent: &Person,
) -> (String, String) {
    let form = app
        .ok(
            admin,
            "mutation { createCoachingForm(input: { name: \"F\", steps: [{ kind: SHORT_TEXT, title: \"Summary\", required: true }] }) { id steps { id } } }",
            json!({}),
        )
        .await["createCoachingForm"]
        .clone();
    let start = || async {
        app.ok(
            &coach.token,
            "mutation($a: ID!, $f: ID!) { startCoachingSession(agentId: $a, formId: $f) { id } }",
            json!({ "a": agent.id, "f": form["id"] }),
        )
        .await["startCoachingSession"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let draft = start().await;
    let coached = start().await;
    app.ok(
        &coach.token,
        "mutation($id: ID!, $i: CoachingSessionInput!) { completeCoachingSession(id: $id, input: $i, confirm: true) { id } }",
        json!({ "id": coached, "i": { "steps": [{ "stepId": form["steps"][0]["id"], "text": "Done" }] } }),
    )
    .await;
    (draft, coached)
}

#[tokio::test]
async fn a_records_token_sees_coached_coaching_sessions_only() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        leader,
        member,
    } = pair(&app).await;
    let (draft, coached) = coaching_sessions(&app, &admin, &leader, &member).await;
    let (_, records) = create_token(&app, &admin, &["READ_RECORDS"]).await;
    let (_, ingest) = create_token(&app, &admin, &["INGEST"]).await;
    let one = "query($id: ID!) { coachingSession(id: $id) { id status } }";
    let seen = app.ok(&records, one, json!({ "id": coached })).await;
    assert_eq!(seen["coachingSession"]["status"], "COACHED");
    let hidden = app.gql(Some(&records), one, json!({ "id": draft })).await;
    assert_eq!(
        error_code(&hidden).as_deref(),
        Some("NOT_FOUND"),
        "a draft: {hidden}"
    );
    let ids = |list: &Value, field: &str| -> Vec<String> {
        list[field]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let listed = app
        .ok(
            &records,
            "{ coachingSessions { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(ids(&listed, "coachingSessions"), vec![coached.clone()]);
    assert_eq!(listed["coachingSessions"]["totalCount"], 1);
    let history = app
        .ok(
            &records,
            "query($a: ID!) { learningHistory(agentId: $a) { nodes { id } } }",
            json!({ "a": member.id }),
        )
        .await;
    assert_eq!(ids(&history, "learningHistory"), vec![coached.clone()]);
    let denied = app.gql(Some(&ingest), one, json!({ "id": coached })).await;
    assert_eq!(error_code(&denied).as_deref(), Some("FORBIDDEN"));
    for (session, query) in [
        (
            &draft,
            "mutation($id: ID!) { saveCoachingSession(id: $id, input: { steps: [] }) { id } }",
        ),
        (
            &coached,
            "mutation($id: ID!) { autoFillCoachingSession(id: $id, enabled: true) { id } }",
        ),
    ] {
        let response = app
            .gql(Some(&records), query, json!({ "id": session }))
            .await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some("FORBIDDEN"),
            "{response}"
        );
    }
}

#[tokio::test]
async fn another_companys_token_sees_nothing_of_this_one() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        leader,
        member,
    } = pair(&app).await;
    let session = crate::live::shared_session(&app, &leader, &member).await;
    let (_, coached) = coaching_sessions(&app, &admin, &leader, &member).await;
    let elsewhere = app.create_company("Elsewhere").await.admin.token;
    let (_, stranger) = create_token(&app, &elsewhere, &["READ_RECORDS", "INGEST"]).await;
    for (query, variables) in [
        (
            "query($id: ID!) { oneOnOne(id: $id) { id } }",
            json!({ "id": session }),
        ),
        (
            "query($id: ID!) { coachingSession(id: $id) { id } }",
            json!({ "id": coached }),
        ),
        (
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": member.id }),
        ),
    ] {
        let response = app.gql(Some(&stranger), query, variables).await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some("NOT_FOUND"),
            "{query}: {response}"
        );
    }
    let lists = app
        .ok(
            &stranger,
            "{ oneOnOnes { totalCount } coachingSessions { totalCount } users { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(lists["oneOnOnes"]["totalCount"], 0);
    assert_eq!(lists["coachingSessions"]["totalCount"], 0);
    assert!(!lists.to_string().contains(&member.id), "{lists}");
    let ingest = app
        .gql(
            Some(&stranger),
            "mutation($u: ID!) { recordFeedback(input: { userId: $u, score: 4, receivedOn: \"2026-02-01\" }) { id } }",
            json!({ "u": member.id }),
        )
        .await;
    assert!(ingest["errors"].is_array(), "{ingest}");
    let theirs = app
        .ok(&admin, "{ feedbackRecords { totalCount } }", json!({}))
        .await;
    assert_eq!(theirs["feedbackRecords"]["totalCount"], 0);
}
