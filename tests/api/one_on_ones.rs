//! The 1:1 flow of SPEC §3 over GraphQL, with the emails it really delivers.

use serde_json::{Value, json};

use crate::helpers::{Person, TestApp, error_code, spawn_app};

const SESSION: &str = "query($id: ID!) { oneOnOne(id: $id) {
    id title status private scheduledAt lastSeq
    leader { id } member { id }
    series { cadence nextProposedAt }
    sharedNotes { author { id } version text html stateVector }
    personalNote { text }
    discussionItems { kind coachingText metricValue metric { name } feedbackRecord { score } qaReview { score } lesson { title } category { name } }
    kudos { text }
    actionItems { id text done dueOn oneOnOneId category { name } }
    savedForDiscussion { id kind }
} }";

pub struct Pair {
    pub company_admin: String,
    pub leader: Person,
    pub member: Person,
}

pub async fn pair(app: &TestApp) -> Pair {
    let company = app.create_company("Acme").await;
    let leader = app.create_user(&company.admin.token, "TEAM_LEADER").await;
    let member = app.create_user(&company.admin.token, "TEAM_MEMBER").await;
    app.create_team(&company.admin.token, &leader, &[&member])
        .await;
    Pair {
        company_admin: company.admin.token,
        leader,
        member,
    }
}

pub async fn new_draft(app: &TestApp, leader: &Person, member: &Person, extra: Value) -> String {
    let mut input = json!({ "memberId": member.id });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    app.ok(
        &leader.token,
        "mutation($i: CreateOneOnOneInput!) { createOneOnOne(input: $i) { id } }",
        json!({ "i": input }),
    )
    .await["createOneOnOne"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_whole_one_on_one_flow() {
    let app = spawn_app().await;
    let Pair {
        company_admin: admin,
        leader,
        member,
    } = pair(&app).await;

    // Records to discuss, ingested by the admin.
    let metric = app
        .ok(
            &admin,
            "mutation { createMetric(input: { name: \"CSAT\", unit: \"%\" }) { id } }",
            json!({}),
        )
        .await["createMetric"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(&admin, "mutation($m: ID!, $u: ID!) { recordMetricValues(values: [
        { metricId: $m, userId: $u, periodStart: \"2026-01-05\", periodEnd: \"2026-01-11\", value: 81.5 },
        { metricId: $m, userId: $u, periodStart: \"2026-01-12\", periodEnd: \"2026-01-18\", value: 88.25 }]) { id } }", json!({ "m": metric, "u": member.id })).await;
    let feedback = app.ok(&admin, "mutation($u: ID!) { recordFeedback(input: { userId: $u, score: 2, comment: \"slow\", receivedOn: \"2026-01-20\" }) { id } }", json!({ "u": member.id })).await["recordFeedback"]["id"].as_str().unwrap().to_owned();
    let qa = app.ok(&admin, "mutation($u: ID!) { recordQaReview(input: { userId: $u, reviewerName: \"Rita\", score: 91, reviewedOn: \"2026-01-21\" }) { id } }", json!({ "u": member.id })).await["recordQaReview"]["id"].as_str().unwrap().to_owned();
    let lesson = app.ok(&admin, "mutation { upsertLesson(input: { title: \"Empathy 101\", url: \"https://lessons.example/e\" }) { id } }", json!({})).await["upsertLesson"]["id"].as_str().unwrap().to_owned();
    let category = app
        .ok(
            &admin,
            "{ coachingCategories { nodes { id name } } }",
            json!({}),
        )
        .await["coachingCategories"]["nodes"][2]
        .clone();
    assert_eq!(category["name"], "Quality");

    // The member saves the feedback for discussion.
    let saved = app
        .ok(
            &member.token,
            "mutation($r: ID!) { saveForDiscussion(kind: FEEDBACK, recordId: $r) { id } }",
            json!({ "r": feedback }),
        )
        .await["saveForDiscussion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The leader creates a draft in a weekly series.
    let id = new_draft(
        &app,
        &leader,
        &member,
        json!({ "cadence": "WEEKLY", "scheduledAt": "2026-03-02T15:00:00Z" }),
    )
    .await;
    let lead = |q: &'static str, v: Value| {
        let app = &app;
        let token = leader.token.clone();
        async move { app.ok(&token, q, v).await }
    };
    lead("mutation($id: ID!) { updateOneOnOne(id: $id, input: { title: \"March check-in\" }) { title } }", json!({ "id": id })).await;
    lead("mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"Wins: great CSAT 😀\", baseVersion: 0) { version } }", json!({ "id": id })).await;
    lead("mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"LEADER-SECRET: watch burnout\") { text } }", json!({ "id": id })).await;
    lead("mutation($id: ID!, $m: ID!, $c: ID!) { addDiscussionItem(oneOnOneId: $id, input: { metricId: $m, categoryId: $c, coachingText: \"Keep it up\" }) { id } }", json!({ "id": id, "m": metric, "c": category["id"] })).await;
    lead("mutation($id: ID!, $s: ID!) { addDiscussionItem(oneOnOneId: $id, input: { savedItemId: $s }) { id } }", json!({ "id": id, "s": saved })).await;
    lead("mutation($id: ID!, $q: ID!) { addDiscussionItem(oneOnOneId: $id, input: { qaReviewId: $q }) { id } }", json!({ "id": id, "q": qa })).await;
    lead("mutation($id: ID!, $l: ID!) { addDiscussionItem(oneOnOneId: $id, input: { lessonId: $l }) { id } }", json!({ "id": id, "l": lesson })).await;
    lead(
        "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"Saved a VIP account\") { id } }",
        json!({ "id": id }),
    )
    .await;
    lead(
        "mutation($id: ID!) { celebrateKudos(oneOnOneId: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let first_item = lead("mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Shadow a senior agent\", dueOn: \"2026-03-09\" }) { id } }", json!({ "id": id })).await["addActionItem"]["id"].as_str().unwrap().to_owned();
    lead(
        "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: true }) { private } }",
        json!({ "id": id }),
    )
    .await;

    // Not shared yet: the member cannot see it.
    let hidden = app
        .gql(Some(&member.token), SESSION, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&hidden).as_deref(), Some("NOT_FOUND"));
    assert!(
        app.delivered_emails(0).await.is_empty(),
        "nothing is emailed before sharing"
    );

    lead(
        "mutation($id: ID!) { shareOneOnOne(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let emails = app.delivered_emails(1).await;
    assert_eq!(emails.len(), 1, "the share email");
    assert!(emails[0].contains(&member.email), "to the member");
    assert!(
        emails[0].contains(&format!("http://app.test/one-on-ones/{id}")),
        "with a link: {}",
        emails[0]
    );

    // The member sees it now, writes their own note, adds and toggles action items.
    let session = app.ok(&member.token, SESSION, json!({ "id": id })).await["oneOnOne"].clone();
    assert_eq!(session["title"], "March check-in");
    assert_eq!(session["status"], "SHARED");
    assert_eq!(session["private"], true);
    assert_eq!(session["sharedNotes"][0]["text"], "Wins: great CSAT 😀");
    assert_eq!(session["sharedNotes"][1]["version"], 0);
    assert!(
        session["personalNote"].is_null(),
        "the leader's personal note is not the member's"
    );
    assert_eq!(session["kudos"], json!([{ "text": "Saved a VIP account" }]));
    let items = &session["discussionItems"];
    assert_eq!(items[0]["kind"], "METRIC");
    assert_eq!(
        items[0]["metricValue"], 88.25,
        "a snapshot of the latest value"
    );
    assert_eq!(items[0]["category"]["name"], "Quality");
    assert_eq!(items[1]["feedbackRecord"]["score"], 2.0);
    assert_eq!(items[2]["qaReview"]["score"], 91.0);
    assert_eq!(items[3]["lesson"]["title"], "Empathy 101");
    assert_eq!(
        session["savedForDiscussion"],
        json!([]),
        "the saved item was pulled in"
    );

    app.ok(&member.token, "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"I want to learn escalations\", baseVersion: 0) { version } }", json!({ "id": id })).await;
    app.ok(&member.token, "mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"MEMBER-SECRET: ask for a raise\") { text } }", json!({ "id": id })).await;
    let member_item = app.ok(&member.token, "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Read the escalation guide\" }) { id } }", json!({ "id": id })).await["addActionItem"]["id"].as_str().unwrap().to_owned();
    app.ok(
        &member.token,
        "mutation($a: ID!) { setActionItemDone(id: $a, done: true) { done } }",
        json!({ "a": member_item }),
    )
    .await;

    // The member may not lead: title, kudos, share, recap.
    let refused = app
        .gql(
            Some(&member.token),
            "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"me\") { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&refused).as_deref(), Some("FORBIDDEN"));

    // The next draft of the series shows the open item (the same one), not the done one,
    // and proposes next week's time.
    let next = new_draft(&app, &leader, &member, json!({})).await;
    let next_session =
        app.ok(&leader.token, SESSION, json!({ "id": next })).await["oneOnOne"].clone();
    let carried: Vec<&str> = next_session["actionItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(carried, [first_item.as_str()]);
    assert_eq!(next_session["actionItems"][0]["oneOnOneId"], id.as_str());
    assert_eq!(next_session["scheduledAt"], "2026-03-09T15:00:00+00:00");
    assert_eq!(next_session["series"]["cadence"], "WEEKLY");

    // Done in the new session, it is done everywhere (same row).
    app.ok(
        &leader.token,
        "mutation($a: ID!) { setActionItemDone(id: $a, done: true) { done } }",
        json!({ "a": first_item }),
    )
    .await;
    let old = app.ok(&member.token, SESSION, json!({ "id": id })).await["oneOnOne"]["actionItems"]
        .clone();
    assert!(
        old.as_array().unwrap().iter().all(|i| i["done"] == true),
        "{old}"
    );

    // The recap: both shared notes, action items and kudos; never a personal note.
    lead(
        "mutation($id: ID!) { resendOneOnOneRecap(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let emails = app.delivered_emails(3).await;
    assert_eq!(emails.len(), 3, "share + a recap to each participant");
    let recaps: Vec<&String> = emails.iter().filter(|e| e.contains("1:1 recap")).collect();
    assert_eq!(recaps.len(), 2);
    for recap in recaps {
        let decoded = decode_eml(recap);
        for expected in [
            "March check-in",
            "Wins: great CSAT",
            "I want to learn escalations",
            "Shadow a senior agent",
            "Read the escalation guide",
            "Saved a VIP account",
        ] {
            assert!(
                decoded.contains(expected),
                "recap lacks {expected:?}: {decoded}"
            );
        }
        assert!(
            !decoded.contains("SECRET"),
            "a personal note leaked into the recap"
        );
    }

    // The event log: strictly increasing seq, no personal-note events.
    let events = app.ok(&leader.token, "query($id: ID!) { oneOnOne(id: $id) { events { __typename ... on SharedNoteEdited { seq text } ... on KudosCelebrated { seq } ... on OneOnOneChanged { seq status } ... on ActionItemChanged { seq removed } ... on KudosChanged { seq } ... on DiscussionItemsChanged { seq } } } }", json!({ "id": id })).await;
    let events = events["oneOnOne"]["events"].as_array().unwrap().clone();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert!(events.iter().any(|e| e["__typename"] == "KudosCelebrated"));
    assert!(!serde_json::to_string(&events).unwrap().contains("SECRET"));
}

/// The message bodies of an .eml, with quoted-printable soft breaks and escapes undone, so
/// assertions can look for the text a reader sees.
fn decode_eml(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    let mut buf = Vec::new();
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            buf.push(byte);
            i += 3;
            continue;
        }
        buf.push(bytes[i]);
        i += 1;
    }
    out.push_str(&String::from_utf8_lossy(&buf));
    out
}

#[tokio::test]
async fn drafts_are_deleted_shared_sessions_are_kept() {
    let app = spawn_app().await;
    let Pair { leader, member, .. } = pair(&app).await;
    let draft = new_draft(&app, &leader, &member, json!({})).await;
    app.ok(
        &leader.token,
        "mutation($id: ID!) { deleteOneOnOne(id: $id) { id } }",
        json!({ "id": draft }),
    )
    .await;
    let gone = app
        .gql(
            Some(&leader.token),
            "query($id: ID!) { oneOnOne(id: $id) { id } }",
            json!({ "id": draft }),
        )
        .await;
    assert_eq!(error_code(&gone).as_deref(), Some("NOT_FOUND"));

    let shared = new_draft(&app, &leader, &member, json!({})).await;
    app.ok(
        &leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": shared }),
    )
    .await;
    let refused = app
        .gql(
            Some(&leader.token),
            "mutation($id: ID!) { deleteOneOnOne(id: $id) { id } }",
            json!({ "id": shared }),
        )
        .await;
    assert_eq!(error_code(&refused).as_deref(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn shared_notes_merge_yjs_updates_and_refuse_stale_text() {
    let app = spawn_app().await;
    let Pair { leader, member, .. } = pair(&app).await;
    let id = new_draft(&app, &leader, &member, json!({})).await;
    let set = "mutation($id: ID!, $t: String!, $v: Int!) { updateSharedNote(oneOnOneId: $id, text: $t, baseVersion: $v) { version text stateVector } }";
    let first = app
        .ok(
            &leader.token,
            set,
            json!({ "id": id, "t": "hello", "v": 0 }),
        )
        .await;
    assert_eq!(first["updateSharedNote"]["version"], 1);
    let last_seq = || async {
        app.ok(
            &leader.token,
            "query($id: ID!) { oneOnOne(id: $id) { lastSeq } }",
            json!({ "id": id }),
        )
        .await["oneOnOne"]["lastSeq"]
            .clone()
    };
    let seq_after_edit = last_seq().await;
    let stale = app
        .gql(
            Some(&leader.token),
            set,
            json!({ "id": id, "t": "other", "v": 0 }),
        )
        .await;
    assert_eq!(error_code(&stale).as_deref(), Some("CONFLICT"));
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 1);
    assert_eq!(stale["errors"][0]["extensions"]["currentText"], "hello");

    // A full-state update from the server applies to a fresh client document and back: the
    // note's own update re-applied is harmless (no new version).
    let note = app
        .ok(
            &leader.token,
            "query($id: ID!) { oneOnOne(id: $id) { sharedNotes { update } } }",
            json!({ "id": id }),
        )
        .await;
    let update = note["oneOnOne"]["sharedNotes"][0]["update"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = app.ok(&leader.token, "mutation($id: ID!, $u: String!) { applySharedNoteUpdate(oneOnOneId: $id, update: $u) { version text } }", json!({ "id": id, "u": update })).await;
    assert_eq!(
        again["applySharedNoteUpdate"],
        json!({ "version": 1, "text": "hello" })
    );

    // Malformed and hostile updates change nothing.
    for bad in ["not base64!!", "AAAA", "AQEBAQEBAQE="] {
        let refused = app.gql(Some(&leader.token), "mutation($id: ID!, $u: String!) { applySharedNoteUpdate(oneOnOneId: $id, update: $u) { version } }", json!({ "id": id, "u": bad })).await;
        assert_eq!(
            error_code(&refused).as_deref(),
            Some("BAD_USER_INPUT"),
            "{bad}: {refused}"
        );
    }
    let after = app
        .ok(
            &leader.token,
            "query($id: ID!) { oneOnOne(id: $id) { sharedNotes { version text } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        after["oneOnOne"]["sharedNotes"][0],
        json!({ "version": 1, "text": "hello" })
    );
    // Nor did they log an event: the stale, repeated and refused edits took no `seq`.
    assert_eq!(last_seq().await, seq_after_edit);

    // Only its author writes a note: the member writes their own, not the leader's.
    app.ok(
        &leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let own = app
        .ok(&member.token, set, json!({ "id": id, "t": "mine", "v": 0 }))
        .await;
    assert_eq!(own["updateSharedNote"]["text"], "mine");
    let notes = app
        .ok(
            &leader.token,
            "query($id: ID!) { oneOnOne(id: $id) { sharedNotes { text author { id } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        notes["oneOnOne"]["sharedNotes"],
        json!([{ "text": "hello", "author": { "id": leader.id } }, { "text": "mine", "author": { "id": member.id } }])
    );
}

#[tokio::test]
async fn archived_categories_cannot_be_chosen() {
    let app = spawn_app().await;
    let Pair {
        company_admin,
        leader,
        member,
    } = pair(&app).await;
    let category = app
        .ok(
            &company_admin,
            "{ coachingCategories { nodes { id } } }",
            json!({}),
        )
        .await["coachingCategories"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        &company_admin,
        "mutation($id: ID!) { archiveCoachingCategory(id: $id) { id } }",
        json!({ "id": category }),
    )
    .await;
    let id = new_draft(&app, &leader, &member, json!({})).await;
    let refused = app.gql(Some(&leader.token), "mutation($id: ID!, $c: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"x\", categoryId: $c }) { id } }", json!({ "id": id, "c": category })).await;
    assert_eq!(refused["errors"][0]["extensions"]["field"], "categoryId");
}
