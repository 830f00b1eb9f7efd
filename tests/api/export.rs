//! `GET /one-on-ones/{id}/export.pdf`: a real PDF (parsed here with lopdf) holding what the
//! viewer sees of the session and their own personal note only, for exactly those who see it.

use serde_json::json;

use crate::{
    helpers::{Person, TestApp, error_code, spawn_app},
    one_on_ones::{Pair, new_draft, pair},
};

async fn export(app: &TestApp, token: Option<&str>, id: &str) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/one-on-ones/{id}/export.pdf", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// The text of every page, with whitespace removed (line breaks and glyph spacing are the
/// renderer's business; the words are what a reader gets).
fn pdf_text(bytes: &[u8]) -> (usize, String) {
    let document = lopdf::Document::load_mem(bytes).expect("a PDF that parses");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let text = document.extract_text(&pages).expect("extractable text");
    (pages.len(), squash(&text))
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn export_bytes(app: &TestApp, person: &Person, id: &str) -> Vec<u8> {
    let response = export(app, Some(&person.token), id).await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"));
    bytes
}

async fn text_of_export(app: &TestApp, person: &Person, id: &str) -> (usize, String) {
    pdf_text(&export_bytes(app, person, id).await)
}

/// The targets of the PDF's link annotations, and the names of the fonts it embeds (without
/// their subset prefix).
fn links_and_fonts(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let document = lopdf::Document::load_mem(bytes).expect("a PDF that parses");
    let resolve = |object| document.dereference(object).map(|(_, o)| o).ok();
    let name = |dict: &lopdf::Dictionary, key: &[u8]| {
        dict.get(key)
            .ok()
            .and_then(|o| o.as_name().ok())
            .map(|n| String::from_utf8_lossy(n).into_owned())
    };
    let (mut links, mut fonts) = (Vec::new(), Vec::new());
    for object in document.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if name(dict, b"Subtype").as_deref() == Some("Link") {
            let uri = dict
                .get(b"A")
                .ok()
                .and_then(resolve)
                .and_then(|action| action.as_dict().ok())
                .and_then(|action| action.get(b"URI").ok())
                .and_then(|uri| uri.as_str().ok())
                .map(|uri| String::from_utf8_lossy(uri).into_owned());
            links.extend(uri);
        }
        if name(dict, b"Type").as_deref() == Some("Font")
            && let Some(font) = name(dict, b"BaseFont")
        {
            let font = font.split_once('+').map_or(font.as_str(), |(_, f)| f);
            fonts.push(font.to_owned());
        }
    }
    (links, fonts)
}

#[tokio::test]
async fn the_export_holds_the_session_and_only_the_viewers_personal_note() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        leader,
        member,
    } = pair(&app).await;
    let id = new_draft(
        &app,
        &leader,
        &member,
        json!({ "title": "Quartalsgespräch — Ярослав 1:1" }),
    )
    .await;
    let run = |token: &str, query: &str| {
        let (app, token, query, id) = (&app, token.to_owned(), query.to_owned(), id.clone());
        async move { app.ok(&token, &query, json!({ "id": id })).await }
    };
    run(
        &leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
    )
    .await;
    run(&leader.token, "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"Leader notes: Größe zählt, привет\", baseVersion: 0) { version } }").await;
    run(&member.token, "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"Member notes: need more coaching\", baseVersion: 0) { version } }").await;
    run(&leader.token, "mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"LEADER-SECRET burnout\") { text } }").await;
    run(&member.token, "mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"MEMBER-SECRET raise\") { text } }").await;
    run(
        &leader.token,
        "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"Saved a VIP account\") { id } }",
    )
    .await;
    run(&member.token, "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Shadow a senior agent\", dueOn: \"2026-03-09\" }) { id } }").await;
    let lesson = app.ok(&admin, "mutation { upsertLesson(input: { title: \"Empathy 101\", url: \"https://lessons.example/e\" }) { id } }", json!({})).await["upsertLesson"]["id"].clone();
    app.ok(&leader.token, "mutation($id: ID!, $l: ID!) { addDiscussionItem(oneOnOneId: $id, input: { lessonId: $l, coachingText: \"Watch before Friday\" }) { id } }", json!({ "id": id, "l": lesson })).await;

    let response = export(&app, Some(&leader.token), &id).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["cache-control"], "private, no-store");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains(".pdf"), "{disposition}");

    let (_, leaders) = text_of_export(&app, &leader, &id).await;
    let (_, members) = text_of_export(&app, &member, &id).await;
    for text in [&leaders, &members] {
        for expected in [
            "Quartalsgespräch — Ярослав 1:1",
            "TEAM_LEADER person",
            "TEAM_MEMBER person",
            "Leader notes: Größe zählt, привет",
            "Member notes: need more coaching",
            "Saved a VIP account",
            "Shadow a senior agent",
            "Empathy 101",
            "Watch before Friday",
        ] {
            assert!(
                text.contains(&squash(expected)),
                "{expected:?} missing in {text}"
            );
        }
    }
    assert!(leaders.contains("LEADER-SECRET"));
    assert!(!leaders.contains("MEMBER-SECRET"), "{leaders}");
    assert!(members.contains("MEMBER-SECRET"));
    assert!(!members.contains("LEADER-SECRET"), "{members}");

    // The admin sees the shared session, and no personal note at all.
    let admin_person = Person {
        id: String::new(),
        email: String::new(),
        token: admin.clone(),
    };
    let (_, admins) = text_of_export(&app, &admin_person, &id).await;
    assert!(admins.contains(&squash("Leader notes")));
    assert!(!admins.contains("SECRET"), "{admins}");
}

#[tokio::test]
async fn long_notes_flow_onto_more_pages() {
    let app = spawn_app().await;
    let Pair { leader, member, .. } = pair(&app).await;
    let id = new_draft(&app, &leader, &member, json!({})).await;
    let words: Vec<String> = (0..1500).map(|n| format!("word{n}")).collect();
    app.ok(&leader.token, "mutation($id: ID!, $t: String!) { updateSharedNote(oneOnOneId: $id, text: $t, baseVersion: 0) { version } }", json!({ "id": id, "t": words.join(" ") })).await;
    let (pages, text) = text_of_export(&app, &leader, &id).await;
    assert!(pages >= 2, "{pages} page(s)");
    assert!(text.contains("word0word1word2"));
    assert!(text.contains("word1498word1499"));
}

/// A Yjs update writing a Quill-formatted note: a heading, a line with bold, italic and a
/// link, a numbered list and a bullet.
fn formatted_note_update() -> String {
    use base64::Engine;
    use yrs::{Any, Text, Transact, types::Attrs};
    let doc = yrs::Doc::with_options(yrs::Options {
        offset_kind: yrs::OffsetKind::Utf16,
        ..Default::default()
    });
    let text = doc.get_or_insert_text("content");
    let line = |key: &str, value: Any| Attrs::from([(key.into(), value)]);
    let runs = [
        ("Agenda", Attrs::new()),
        ("\n", line("header", Any::from(2))),
        ("Read ", Attrs::new()),
        ("this", line("bold", Any::Bool(true))),
        (" and ", Attrs::new()),
        ("that", line("italic", Any::Bool(true))),
        (" in the ", Attrs::new()),
        (
            "guide",
            line("link", Any::from("https://kb.example.com/calls")),
        ),
        ("\n", Attrs::new()),
        ("Targets", Attrs::new()),
        ("\n", line("list", Any::from("ordered"))),
        ("Breaks", Attrs::new()),
        ("\n", line("list", Any::from("ordered"))),
        ("Coaching", Attrs::new()),
        ("\n", line("list", Any::from("bullet"))),
    ];
    let mut txn = doc.transact_mut();
    let mut at = 0;
    for (run, attrs) in runs {
        text.insert_with_attributes(&mut txn, at, run, attrs);
        at += run.encode_utf16().count() as u32;
    }
    base64::engine::general_purpose::STANDARD.encode(txn.encode_update_v1())
}

#[tokio::test]
async fn shared_notes_keep_their_headings_lists_and_inline_formatting() {
    let app = spawn_app().await;
    let Pair { leader, member, .. } = pair(&app).await;
    let id = new_draft(&app, &leader, &member, json!({})).await;
    app.ok(&leader.token, "mutation($id: ID!, $u: String!) { applySharedNoteUpdate(oneOnOneId: $id, update: $u) { version } }", json!({ "id": id, "u": formatted_note_update() })).await;
    let bytes = export_bytes(&app, &leader, &id).await;
    let (_, text) = pdf_text(&bytes);
    for expected in [
        "Agenda",
        "Readthisandthatintheguide",
        "1.Targets",
        "2.Breaks",
        "•Coaching",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in {text}");
    }
    // Inline formatting is drawn: bold and italic faces, and the link can be followed.
    let (links, fonts) = links_and_fonts(&bytes);
    assert_eq!(links, ["https://kb.example.com/calls"]);
    for face in ["DejaVuSans-Bold", "DejaVuSans-Oblique"] {
        assert!(fonts.iter().any(|f| f == face), "{face} not in {fonts:?}");
    }
}

#[tokio::test]
async fn only_those_who_see_the_session_get_its_export() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        leader,
        member,
    } = pair(&app).await;
    let other_member = app.create_user(&admin, "TEAM_MEMBER").await;
    let stranger = app.create_company("Other").await.admin;
    let draft = new_draft(&app, &leader, &member, json!({})).await;

    let no_token = export(&app, None, &draft).await;
    assert_eq!(no_token.status(), 401);
    let body: serde_json::Value = no_token.json().await.unwrap();
    assert_eq!(error_code(&body).as_deref(), Some("UNAUTHENTICATED"));
    assert_eq!(
        export(&app, Some("not-a-token"), &draft).await.status(),
        401
    );

    // A draft is the leader's alone; nobody else learns that it exists.
    let missing = uuid::Uuid::new_v4().to_string();
    for (token, id) in [
        (&member.token, draft.as_str()),
        (&other_member.token, draft.as_str()),
        (&stranger.token, draft.as_str()),
        (&leader.token, missing.as_str()),
        (&leader.token, "not-an-id"),
    ] {
        let response = export(&app, Some(token), id).await;
        assert_eq!(response.status(), 404, "{id}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error_code(&body).as_deref(), Some("NOT_FOUND"));
    }
    assert_eq!(
        export(&app, Some(&leader.token), &draft).await.status(),
        200
    );

    // 1:1s switched off: the company's answer comes before visibility.
    app.ok(
        &admin,
        "mutation { updateCompanySettings(input: { oneOnOnesEnabled: false }) { timeZone } }",
        json!({}),
    )
    .await;
    let off = export(&app, Some(&leader.token), &draft).await;
    assert_eq!(off.status(), 403);
    let body: serde_json::Value = off.json().await.unwrap();
    assert_eq!(error_code(&body).as_deref(), Some("FEATURE_DISABLED"));
}
