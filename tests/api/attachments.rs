//! Attachments (issue 6): the GraphQL multipart upload with its exact limit, checks and
//! CSRF header, downloads by every viewer kind and by signed links, ranges, removal, and
//! that nothing — refused, truncated or crashed — leaves a row or an object behind.

use std::{path::PathBuf, time::Duration};

use coach::{
    attachments::service::{MAX_FILE_BYTES, signed_link},
    auth::tokens::TokenKeys,
    startup::Application,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Database, DatabaseConnection, Statement,
};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{JWT_SECRET, Person, TestApp, error_code, spawn_app, spawn_app_with};

const BOUNDARY: &str = "----coach-test-boundary-7MA4YWxkTrZu0gW";

/// An MP3 of exactly `size` bytes: an ID3 header, then filler.
fn mp3(size: usize) -> Vec<u8> {
    let mut bytes = vec![0x55u8; size];
    let head = b"ID3\x04\x00\x00\x00\x00\x00\x00";
    let n = head.len().min(size);
    bytes[..n].copy_from_slice(&head[..n]);
    for (i, b) in bytes.iter_mut().enumerate().skip(16) {
        *b = (i % 251) as u8;
    }
    bytes
}

/// The multipart body around a file: what comes before its bytes, and after.
fn envelope(session: &str, file_name: &str) -> (Vec<u8>, Vec<u8>) {
    let operations = json!({
        "query": "mutation($id: ID!, $file: Upload!) { uploadAttachment(oneOnOneId: $id, file: $file) { id fileName contentType sizeBytes downloadUrl uploadedBy { id } } }",
        "variables": { "id": session, "file": null },
    });
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.file\"]}}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    (
        head.into_bytes(),
        format!("\r\n--{BOUNDARY}--\r\n").into_bytes(),
    )
}

fn body(session: &str, file_name: &str, content: &[u8]) -> Vec<u8> {
    let (mut head, tail) = envelope(session, file_name);
    head.extend_from_slice(content);
    head.extend_from_slice(&tail);
    head
}

struct Answer {
    status: u16,
    json: Value,
}

async fn send(app: &TestApp, token: Option<&str>, body: reqwest::Body, preflight: bool) -> Answer {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if preflight {
        request = request.header("apollo-require-preflight", "true");
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the upload is answered");
    let status = response.status().as_u16();
    let json = response.json().await.unwrap_or(Value::Null);
    Answer { status, json }
}

async fn upload(app: &TestApp, token: &str, session: &str, name: &str, content: &[u8]) -> Answer {
    send(app, Some(token), body(session, name, content).into(), true).await
}

/// The same body sent chunked, without `Content-Length`.
async fn upload_chunked(app: &TestApp, token: &str, session: &str, content: Vec<u8>) -> Answer {
    let (head, tail) = envelope(session, "chunked.mp3");
    let mut chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(head)];
    chunks.extend(content.chunks(256 * 1024).map(|c| Ok(c.to_vec())));
    chunks.push(Ok(tail));
    let stream = futures_util::stream::iter(chunks);
    send(app, Some(token), reqwest::Body::wrap_stream(stream), true).await
}

fn uploaded_id(answer: &Answer) -> String {
    assert_eq!(answer.status, 200, "{}", answer.json);
    assert!(answer.json["errors"].is_null(), "{}", answer.json);
    answer.json["data"]["uploadAttachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Uploads a small MP3 as `token`; returns the attachment's id.
pub async fn upload_mp3(app: &TestApp, token: &str, session: &str) -> String {
    uploaded_id(&upload(app, token, session, "clip.mp3", &mp3(4096)).await)
}

async fn database(app: &TestApp) -> DatabaseConnection {
    Database::connect(app.config.database_url()).await.unwrap()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Every file under the attachment directory (objects and staging files).
fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&app.data_dir.join("attachments"), &mut files);
    files
}

/// Rows and files left (waits a little: a cancelled upload is cleaned up by a task).
async fn leftovers(app: &TestApp, db: &DatabaseConnection) -> (i64, usize) {
    let mut state = (0, 0);
    for _ in 0..50 {
        state = (
            count(db, "SELECT COUNT(*) FROM attachments").await,
            stored_files(app).len(),
        );
        if state == (0, 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    state
}

struct World {
    admin: Person,
    leader: Person,
    member: Person,
    co_leader: Person,
    other_leader: Person,
    colleague: Person,
    outsider: Person,
    session: String,
}

/// L and M with a shared session (company default: private by default), LoM co-leading
/// M's team, LnotM leading another team, OM in M's team, ADM, and X of another company.
async fn world(app: &TestApp) -> World {
    let company = app.create_company("Acme").await;
    let admin = company.admin.clone();
    let leader = app.create_user(&admin.token, "TEAM_LEADER").await;
    let member = app.create_user(&admin.token, "TEAM_MEMBER").await;
    let co_leader = app.create_user(&admin.token, "TEAM_LEADER").await;
    let other_leader = app.create_user(&admin.token, "TEAM_LEADER").await;
    let colleague = app.create_user(&admin.token, "TEAM_MEMBER").await;
    let team = app
        .create_team(&admin.token, &leader, &[&member, &colleague])
        .await;
    app.change_team(&admin.token, "addTeamLeader", &team, &co_leader.id)
        .await;
    app.create_team(&admin.token, &other_leader, &[]).await;
    app.ok(
        &admin.token,
        "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: true }) { timeZone } }",
        json!({}),
    )
    .await;
    let outsider = app.create_company("Elsewhere").await.admin;
    let session = crate::one_on_ones::new_draft(app, &leader, &member, json!({})).await;
    app.ok(
        &leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": session }),
    )
    .await;
    World {
        admin,
        leader,
        member,
        co_leader,
        other_leader,
        colleague,
        outsider,
        session,
    }
}

async fn download(app: &TestApp, token: Option<&str>, id: &str) -> reqwest::Response {
    let mut request = app.client.get(format!("{}/attachments/{id}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// `downloadUrl` points at `PUBLIC_BASE_URL`; the test server listens elsewhere.
fn local(app: &TestApp, url: &str) -> String {
    url.replace(&app.config.public_base_url, &app.address)
}

#[tokio::test]
async fn exactly_25_mib_is_accepted_and_one_byte_more_refused_with_and_without_length() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let db = database(&app).await;
    let limit = MAX_FILE_BYTES as usize;
    assert_eq!(limit, 26_214_400);

    let exact = mp3(limit);
    let id = uploaded_id(&upload(&app, &w.member.token, &w.session, "exact.mp3", &exact).await);
    let response = download(&app, Some(&w.leader.token), &id).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        limit.to_string().as_str()
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes[..] == exact[..], "the download is the upload");

    let chunked = uploaded_id(&upload_chunked(&app, &w.member.token, &w.session, exact).await);
    assert_ne!(chunked, id);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM attachments").await,
        2,
        "both exact uploads stored"
    );

    let over = mp3(limit + 1);
    let refused = upload(&app, &w.member.token, &w.session, "over.mp3", &over).await;
    assert_eq!(refused.status, 413, "{}", refused.json);
    assert_eq!(
        error_code(&refused.json).as_deref(),
        Some("PAYLOAD_TOO_LARGE")
    );
    let refused = upload_chunked(&app, &w.member.token, &w.session, over).await;
    assert_eq!(refused.status, 413, "{}", refused.json);
    assert_eq!(
        error_code(&refused.json).as_deref(),
        Some("PAYLOAD_TOO_LARGE")
    );

    // Only the two accepted files remain, as rows and objects.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM attachments").await, 2);
    assert_eq!(stored_files(&app).len(), 2);
}

#[tokio::test]
async fn a_truncated_body_leaves_no_row_and_no_object() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let db = database(&app).await;
    let (head, tail) = envelope(&w.session, "cut.mp3");
    let file = mp3(4 * 1024 * 1024);
    let length = head.len() + file.len() + tail.len();
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nApollo-Require-Preflight: true\r\n\
         Content-Length: {length}\r\n\r\n",
        w.member.token
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(&head).await.unwrap();
    socket.write_all(&file[..file.len() / 2]).await.unwrap();
    socket.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(socket); // the connection dies mid-file
    assert_eq!(leftovers(&app, &db).await, (0, 0));

    // A body whose file part never gets its closing boundary is refused the same way.
    let mut cut = head.clone();
    cut.extend_from_slice(&file[..1000]);
    let answer = send(&app, Some(&w.member.token), cut.into(), true).await;
    assert_eq!(answer.status, 400, "{}", answer.json);
    assert_eq!(error_code(&answer.json).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(leftovers(&app, &db).await, (0, 0));
}

#[tokio::test]
async fn types_names_and_the_preflight_header_are_checked() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let db = database(&app).await;
    let token = &w.member.token;

    let cases: [(&str, Vec<u8>, u16, &str); 5] = [
        ("notes.exe", mp3(100), 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("song", mp3(100), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (
            "fake.mp3",
            b"MZ\x90\x00 a program, not audio".to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "fake.wav",
            b"<html><script>alert(1)</script>".to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        ("empty.mp3", Vec::new(), 400, "BAD_USER_INPUT"),
    ];
    for (name, content, status, code) in cases {
        let answer = upload(&app, token, &w.session, name, &content).await;
        assert_eq!(answer.status, status, "{name}: {}", answer.json);
        assert_eq!(error_code(&answer.json).as_deref(), Some(code), "{name}");
    }
    assert_eq!(leftovers(&app, &db).await, (0, 0), "refusals store nothing");

    // No preflight header: refused before anything is read.
    let answer = send(
        &app,
        Some(token),
        body(&w.session, "a.mp3", &mp3(100)).into(),
        false,
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.json);
    assert_eq!(error_code(&answer.json).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(
        answer.json["errors"][0]["extensions"]["field"],
        "apollo-require-preflight"
    );

    // Hostile names are cleaned and never become storage keys.
    let names = [
        ("../../../etc/passwd.mp3", "passwd.mp3"),
        ("..\\\\windows\\\\evil.mp3", "evil.mp3"),
        ("tab\there\u{202E}3pm.mp3", "tabhere3pm.mp3"),
    ];
    for (raw, clean) in names {
        let answer = upload(&app, token, &w.session, raw, &mp3(100)).await;
        assert_eq!(
            answer.json["data"]["uploadAttachment"]["fileName"], clean,
            "{raw:?}: {}",
            answer.json
        );
    }
    let long = format!("{}.mp3", "n".repeat(400));
    let answer = upload(&app, token, &w.session, &long, &mp3(100)).await;
    let name = answer.json["data"]["uploadAttachment"]["fileName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(name.chars().count(), 200);
    assert!(name.ends_with(".mp3"));
    for file in stored_files(&app) {
        let relative = file.strip_prefix(app.data_dir.join("attachments")).unwrap();
        let parts: Vec<_> = relative.iter().collect();
        assert_eq!(parts.len(), 2, "company/uuid: {relative:?}");
        uuid::Uuid::parse_str(parts[1].to_str().unwrap()).expect("the key is a uuid");
    }
    // A control character the HTTP layer lets through is dropped; a raw one is refused.
    let answer = upload(&app, token, &w.session, "bell\u{1}.mp3", &mp3(100)).await;
    assert!(
        answer.status == 400 || answer.json["data"]["uploadAttachment"]["fileName"] == "bell.mp3",
        "{}",
        answer.json
    );

    // Downloads carry a safe disposition and never let the browser sniff.
    let id = uploaded_id(&upload(&app, token, &w.session, "Café mix.mp3", &mp3(100)).await);
    let response = download(&app, Some(token), &id).await;
    let headers = response.headers();
    assert_eq!(headers["content-type"], "audio/mpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"Caf_ mix.mp3\"; filename*=UTF-8''Caf%C3%A9%20mix.mp3"
    );

    // Each company chooses its types (admins only); the policy answers for everyone else.
    let set = "mutation($e: [String!]!) { setAllowedAttachmentTypes(extensions: $e) { allowedAttachmentTypes } }";
    let refused = app
        .gql(Some(&w.leader.token), set, json!({ "e": ["wav"] }))
        .await;
    assert_eq!(error_code(&refused).as_deref(), Some("FORBIDDEN"));
    let bad = app
        .gql(Some(&w.admin.token), set, json!({ "e": ["../x"] }))
        .await;
    assert_eq!(error_code(&bad).as_deref(), Some("BAD_USER_INPUT"));
    let data = app
        .ok(&w.admin.token, set, json!({ "e": [".WAV", "txt", "wav"] }))
        .await;
    assert_eq!(
        data["setAllowedAttachmentTypes"]["allowedAttachmentTypes"],
        json!(["txt", "wav"])
    );
    let answer = upload(&app, token, &w.session, "now-refused.mp3", &mp3(100)).await;
    assert_eq!(answer.status, 415);
    let txt = upload(&app, token, &w.session, "agenda.txt", b"plain words").await;
    assert_eq!(
        txt.json["data"]["uploadAttachment"]["contentType"],
        "application/octet-stream"
    );
    let settings = app
        .ok(
            &w.member.token,
            "{ companySettings { allowedAttachmentTypes } }",
            json!({}),
        )
        .await;
    assert_eq!(
        settings["companySettings"]["allowedAttachmentTypes"],
        json!(["txt", "wav"])
    );
}

#[tokio::test]
async fn every_viewer_kind_uploads_and_downloads_as_spec_5_says() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let file = mp3(4096);
    let id = uploaded_id(&upload(&app, &w.leader.token, &w.session, "l.mp3", &file).await);

    // (who, sees the session, may upload) for a shared session, private by default on.
    let table: [(&str, &Person, bool, bool); 7] = [
        ("L", &w.leader, true, true),
        ("M", &w.member, true, true),
        ("LoM", &w.co_leader, true, false),
        ("LnotM", &w.other_leader, false, false),
        ("ADM", &w.admin, true, false),
        ("OM", &w.colleague, false, false),
        ("X", &w.outsider, false, false),
    ];
    let list = "query($id: ID!) { oneOnOne(id: $id) { attachments { id downloadUrl } } }";
    for (who, person, sees, may_upload) in table {
        let response = download(&app, Some(&person.token), &id).await;
        assert_eq!(
            response.status(),
            if sees { 200 } else { 404 },
            "{who} downloads"
        );
        if sees {
            assert!(response.bytes().await.unwrap()[..] == file[..], "{who}");
        }
        let listed = app
            .gql(Some(&person.token), list, json!({ "id": w.session }))
            .await;
        if sees {
            let url = listed["data"]["oneOnOne"]["attachments"][0]["downloadUrl"]
                .as_str()
                .unwrap_or_else(|| panic!("{who}: {listed}"))
                .to_owned();
            assert!(url.starts_with(&format!("http://app.test/attachments/{id}?expires=")));
            let by_link = app.client.get(local(&app, &url)).send().await.unwrap();
            assert_eq!(by_link.status(), 200, "{who} follows the signed link");
            assert!(by_link.bytes().await.unwrap()[..] == file[..]);
        } else {
            assert_eq!(
                error_code(&listed).as_deref(),
                Some("NOT_FOUND"),
                "{who}: {listed}"
            );
        }
        let answer = upload(&app, &person.token, &w.session, "mine.mp3", &mp3(64)).await;
        let expected = match (sees, may_upload) {
            (_, true) => None,
            (true, false) => Some("FORBIDDEN"),
            (false, _) => Some("NOT_FOUND"),
        };
        assert_eq!(
            error_code(&answer.json).as_deref(),
            expected,
            "{who} uploads: {}",
            answer.json
        );
    }
    // Without credentials: nothing.
    let response = download(&app, None, &id).await;
    assert_eq!(response.status(), 401);
    let answer = send(&app, None, body(&w.session, "a.mp3", &mp3(64)).into(), true).await;
    assert_eq!(error_code(&answer.json).as_deref(), Some("UNAUTHENTICATED"));

    // A draft is the leader's alone, downloads included.
    let draft = crate::one_on_ones::new_draft(&app, &w.leader, &w.member, json!({})).await;
    let in_draft = uploaded_id(&upload(&app, &w.leader.token, &draft, "d.mp3", &file).await);
    for (who, person) in [("M", &w.member), ("LoM", &w.co_leader), ("ADM", &w.admin)] {
        let response = download(&app, Some(&person.token), &in_draft).await;
        assert_eq!(response.status(), 404, "{who} downloads from a draft");
    }
    assert_eq!(
        download(&app, Some(&w.leader.token), &in_draft)
            .await
            .status(),
        200
    );

    // Switched off: answered before anything about the file.
    app.ok(
        &w.admin.token,
        "mutation { updateCompanySettings(input: { oneOnOnesEnabled: false }) { timeZone } }",
        json!({}),
    )
    .await;
    let response = download(&app, Some(&w.leader.token), &id).await;
    assert_eq!(response.status(), 403);
    let json: Value = response.json().await.unwrap();
    assert_eq!(error_code(&json).as_deref(), Some("FEATURE_DISABLED"));
}

#[tokio::test]
async fn signed_links_expire_resist_tampering_and_serve_ranges() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let file = mp3(1000);
    let id = uploaded_id(&upload(&app, &w.member.token, &w.session, "r.mp3", &file).await);
    let id_uuid = uuid::Uuid::parse_str(&id).unwrap();
    let keys = TokenKeys::from_secret(JWT_SECRET.as_bytes());
    let base = app.address.clone();

    let fresh = signed_link(
        &keys,
        &base,
        id_uuid,
        chrono::Utc::now() + chrono::Duration::minutes(2),
    );
    assert_eq!(app.client.get(&fresh).send().await.unwrap().status(), 200);
    let expired = signed_link(
        &keys,
        &base,
        id_uuid,
        chrono::Utc::now() - chrono::Duration::seconds(5),
    );
    assert_eq!(app.client.get(&expired).send().await.unwrap().status(), 401);
    let far = signed_link(
        &keys,
        &base,
        id_uuid,
        chrono::Utc::now() + chrono::Duration::days(30),
    );
    assert_eq!(
        app.client.get(&far).send().await.unwrap().status(),
        401,
        "links live minutes"
    );
    let tampered = format!("{}A", fresh.trim_end_matches('A'));
    let tampered = if tampered == fresh {
        format!("{fresh}x")
    } else {
        tampered
    };
    assert_eq!(
        app.client.get(&tampered).send().await.unwrap().status(),
        401
    );
    let other = uuid::Uuid::now_v7();
    let moved = fresh.replace(&id, &other.to_string());
    assert_eq!(app.client.get(&moved).send().await.unwrap().status(), 401);

    // Ranges.
    let part = app
        .client
        .get(&fresh)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(part.headers()["content-length"], "10");
    assert!(part.bytes().await.unwrap()[..] == file[10..20]);
    let tail = app
        .client
        .get(&fresh)
        .header("range", "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert!(tail.bytes().await.unwrap()[..] == file[995..]);
    let beyond = app
        .client
        .get(&fresh)
        .header("range", "bytes=1000-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */1000");

    // A link re-checks that the attachment still exists.
    app.ok(
        &w.member.token,
        "mutation($id: ID!) { removeAttachment(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(app.client.get(&fresh).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn removal_follows_spec_5_and_deletes_the_object_and_items() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let db = database(&app).await;
    let remove = "mutation($id: ID!) { removeAttachment(id: $id) { id } }";
    let by_member =
        uploaded_id(&upload(&app, &w.member.token, &w.session, "m.mp3", &mp3(500)).await);
    let by_leader =
        uploaded_id(&upload(&app, &w.leader.token, &w.session, "l.mp3", &mp3(500)).await);

    // As a discussion item, announced as events.
    let item = app
        .ok(
            &w.member.token,
            "mutation($s: ID!, $a: ID!) { addDiscussionItem(oneOnOneId: $s, input: { attachmentId: $a }) { id kind attachment { id fileName } } }",
            json!({ "s": w.session, "a": by_member }),
        )
        .await;
    assert_eq!(item["addDiscussionItem"]["kind"], "ATTACHMENT");
    assert_eq!(item["addDiscussionItem"]["attachment"]["fileName"], "m.mp3");
    let events = app
        .ok(
            &w.leader.token,
            "query($id: ID!) { oneOnOne(id: $id) { attachments { id } events { __typename } } }",
            json!({ "id": w.session }),
        )
        .await;
    assert_eq!(
        events["oneOnOne"]["attachments"].as_array().unwrap().len(),
        2
    );
    let kinds: Vec<&str> = events["oneOnOne"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["__typename"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "AttachmentsChanged").count(),
        2
    );

    // Others: never; the member: not the leader's; the leader: anyone's.
    for person in [
        &w.co_leader,
        &w.admin,
        &w.other_leader,
        &w.colleague,
        &w.outsider,
    ] {
        let refused = app
            .gql(Some(&person.token), remove, json!({ "id": by_member }))
            .await;
        assert!(
            matches!(
                error_code(&refused).as_deref(),
                Some("FORBIDDEN" | "NOT_FOUND")
            ),
            "{refused}"
        );
    }
    let refused = app
        .gql(Some(&w.member.token), remove, json!({ "id": by_leader }))
        .await;
    assert_eq!(error_code(&refused).as_deref(), Some("FORBIDDEN"));
    app.ok(&w.leader.token, remove, json!({ "id": by_member }))
        .await;
    app.ok(&w.leader.token, remove, json!({ "id": by_leader }))
        .await;
    let again = app
        .gql(Some(&w.leader.token), remove, json!({ "id": by_leader }))
        .await;
    assert_eq!(error_code(&again).as_deref(), Some("NOT_FOUND"));

    assert_eq!(leftovers(&app, &db).await, (0, 0), "rows and objects gone");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM discussion_items WHERE kind = 'ATTACHMENT'"
        )
        .await,
        0
    );
    assert_eq!(
        download(&app, Some(&w.leader.token), &by_member)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_crash_between_object_and_row_is_repaired_at_the_next_start() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let db = database(&app).await;
    let kept = uploaded_id(&upload(&app, &w.member.token, &w.session, "kept.mp3", &mp3(300)).await);

    // What a node that died mid-upload leaves: a pending row with its (partial) object, a
    // multipart staging file, and an object whose row went with its session.
    let company_id = app
        .ok(
            &w.admin.token,
            "{ companySettings { company { id } } }",
            json!({}),
        )
        .await["companySettings"]["company"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pending = uuid::Uuid::now_v7();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(1);
    let parse = |s: &str| uuid::Uuid::parse_str(s).unwrap();
    entity::attachment::ActiveModel {
        id: Set(pending),
        company_id: Set(parse(&company_id)),
        one_on_one_id: Set(parse(&w.session)),
        uploaded_by: Set(parse(&w.member.id)),
        file_name: Set("half.mp3".into()),
        content_type: Set("audio/mpeg".into()),
        size_bytes: Set(0),
        storage_key: Set(format!("{company_id}/{pending}")),
        status: Set(entity::attachment::Status::Pending),
        created_at: Set(long_ago),
        updated_at: Set(long_ago),
    }
    .insert(&db)
    .await
    .unwrap();
    let dir = app.data_dir.join("attachments").join(&company_id);
    let orphan = uuid::Uuid::now_v7();
    let old = std::time::SystemTime::now() - Duration::from_secs(24 * 3600);
    for name in [
        pending.to_string(),
        orphan.to_string(),
        format!("{orphan}#1"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, b"partial").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    assert_eq!(stored_files(&app).len(), 4);

    // The next start sweeps.
    let mut config = app.config.clone();
    config.listen_addr = "127.0.0.1:0".parse().unwrap();
    let restarted = Application::build(config).await.unwrap();
    drop(restarted);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM attachments").await, 1);
    let files = stored_files(&app);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with(&kept));
    assert_eq!(
        download(&app, Some(&w.member.token), &kept).await.status(),
        200
    );
}

/// The S3 path against moto's server mode (PyPI `moto[server]`, installed by `.ci/run`).
/// Skipped with a loud message when `moto_server` is missing locally; in CI it must run.
#[tokio::test]
async fn the_s3_store_streams_through_an_s3_compatible_server() {
    let Some(moto) = crate::helpers::moto::start().await else {
        return;
    };
    let app =
        spawn_app_with(|config| config.storage_url = Some(format!("s3://{}/uploads", moto.bucket)))
            .await;
    let w = world(&app).await;
    let file = mp3(12 * 1024 * 1024 + 17);
    let id = uploaded_id(&upload(&app, &w.member.token, &w.session, "s3.mp3", &file).await);
    let response = download(&app, Some(&w.leader.token), &id).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.unwrap()[..] == file[..],
        "the S3 round trip is exact"
    );
    let part = app
        .client
        .get(format!("{}/attachments/{id}", app.address))
        .bearer_auth(&w.leader.token)
        .header("range", "bytes=5242870-5242889")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert!(part.bytes().await.unwrap()[..] == file[5_242_870..5_242_890]);
    assert_eq!(moto.object_count().await, 1);

    let over = upload(
        &app,
        &w.member.token,
        &w.session,
        "big.mp3",
        &mp3(MAX_FILE_BYTES as usize + 1),
    )
    .await;
    assert_eq!(over.status, 413);
    app.ok(
        &w.member.token,
        "mutation($id: ID!) { removeAttachment(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let db = database(&app).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM attachments").await, 0);
    assert_eq!(
        moto.object_count().await,
        0,
        "the object and refused upload are gone"
    );
}
