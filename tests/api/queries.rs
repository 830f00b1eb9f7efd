//! No N+1: a page of sessions with everything a list screen shows costs the same small
//! number of SQL statements whether it holds 5 sessions or 50.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// The most statements one page may cost, whoever asks and however long the page is: the
/// token's session and its user, the company's settings, the page (the visibility rule,
/// led members included, inside it), and one per relation shown — users, shared notes,
/// action items with their categories, kudos.
const MAX_STATEMENTS_PER_PAGE: u64 = 7;

const PAGE: &str = "query($n: Int!) { oneOnOnes(first: $n) { nodes { id title
    leader { name } member { name }
    sharedNotes { text }
    actionItems { text done category { name } }
    kudos { text } } } }";

/// Runs the page query for `viewer` and returns its nodes with the statements it cost.
async fn page(app: &TestApp, viewer: &str, n: usize) -> (Vec<Value>, u64) {
    let before = app.sql_statements.for_requests();
    let data = app.ok(viewer, PAGE, json!({ "n": n })).await;
    let cost = app.sql_statements.for_requests() - before;
    let nodes = data["oneOnOnes"]["nodes"].as_array().cloned().unwrap();
    (nodes, cost)
}

/// The longer page compared. Lists of more than 30 items resolve through `FuturesOrdered`,
/// which yields to the executor every 32 polls; when DataLoader's 1 ms batching window closes
/// during that yield (a debug build on a busy machine), a relation's batch splits in two.
/// That is timing, not an N+1, so the comparison stays at 30; the 50-session page may split
/// each relation's batch once, no more.
const LONG_PAGE: usize = 30;

/// Relations the page loads in batches: users, shared notes, action items, kudos.
const RELATIONS: u64 = 4;

#[tokio::test]
async fn a_page_of_sessions_costs_a_constant_number_of_statements() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    app.ok(
        admin,
        "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: true }) { timeZone } }",
        json!({}),
    )
    .await;
    let leader = app.create_user(admin, "TEAM_LEADER").await;
    let members = [
        app.create_user(admin, "TEAM_MEMBER").await,
        app.create_user(admin, "TEAM_MEMBER").await,
    ];
    app.create_team(admin, &leader, &[&members[0], &members[1]])
        .await;
    let category = app
        .ok(admin, "{ coachingCategories { nodes { id } } }", json!({}))
        .await["coachingCategories"]["nodes"][0]["id"]
        .clone();
    for n in 0..50 {
        let member = &members[n % 2];
        let id = app
            .ok(
                &leader.token,
                "mutation($m: ID!) { createOneOnOne(input: { memberId: $m }) { id } }",
                json!({ "m": member.id }),
            )
            .await["createOneOnOne"]["id"]
            .clone();
        let steps: [(&str, &str, Value); 6] = [
            (
                &leader.token,
                "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
                json!({ "id": id }),
            ),
            (
                &leader.token,
                "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"Leader's note\", baseVersion: 0) { version } }",
                json!({ "id": id }),
            ),
            (
                &member.token,
                "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"Member's note\", baseVersion: 0) { version } }",
                json!({ "id": id }),
            ),
            (
                &leader.token,
                "mutation($id: ID!, $c: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Shadow a senior agent\", categoryId: $c }) { id } }",
                json!({ "id": id, "c": category }),
            ),
            (
                &member.token,
                "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Read the guide\" }) { id } }",
                json!({ "id": id }),
            ),
            (
                &leader.token,
                "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"Saved a VIP account\") { id } }",
                json!({ "id": id }),
            ),
        ];
        for (token, mutation, variables) in steps {
            app.ok(token, mutation, variables).await;
        }
    }

    for (viewer, who) in [
        (&leader.token, "the leader"),
        (&members[0].token, "a member"),
        (admin, "an admin"),
    ] {
        let (short, short_cost) = page(&app, viewer, 5).await;
        let (long, long_cost) = page(&app, viewer, LONG_PAGE).await;
        let (all, all_cost) = page(&app, viewer, 50).await;
        let visible = if who == "a member" { 25 } else { 50 };
        assert_eq!(short.len(), 5, "{who}");
        assert_eq!(long.len(), LONG_PAGE.min(visible), "{who}");
        assert_eq!(all.len(), visible, "{who}");
        for node in &all {
            let notes: Vec<&str> = node["sharedNotes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["text"].as_str().unwrap())
                .collect();
            assert_eq!(notes, ["Leader's note", "Member's note"], "{who}: {node}");
            assert!(node["leader"]["name"].is_string() && node["member"]["name"].is_string());
            assert!(node["actionItems"].as_array().unwrap().len() >= 2, "{node}");
            assert_eq!(node["kudos"][0]["text"], "Saved a VIP account", "{node}");
        }
        assert!(
            long_cost <= MAX_STATEMENTS_PER_PAGE,
            "{who}: a page of {LONG_PAGE} cost {long_cost} statements"
        );
        assert_eq!(short_cost, long_cost, "{who}: 5 sessions vs {LONG_PAGE}");
        assert!(
            all_cost <= long_cost + RELATIONS,
            "{who}: a page of 50 cost {all_cost} statements"
        );
    }
}

/// Lists read the notes' Yjs documents only when a field renders them; a selection that asks
/// for one through a fragment or an alias still gets it.
#[tokio::test]
async fn notes_in_lists_render_rich_text_however_the_field_is_asked_for() {
    let app = spawn_app().await;
    let p = crate::one_on_ones::pair(&app).await;
    let id = crate::one_on_ones::new_draft(&app, &p.leader, &p.member, json!({})).await;
    app.ok(
        &p.leader.token,
        "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"Wins <3\", baseVersion: 0) { version } }",
        json!({ "id": id }),
    )
    .await;
    let data = app
        .ok(
            &p.leader.token,
            "{ oneOnOnes { nodes { sharedNotes { text ...Rich } } } }
             fragment Rich on SharedNote { rendered: html sv: stateVector }",
            json!({}),
        )
        .await;
    let note = &data["oneOnOnes"]["nodes"][0]["sharedNotes"][0];
    assert_eq!(note["text"], "Wins <3");
    assert_eq!(note["rendered"], "<p>Wins &lt;3</p>");
    assert!(note["sv"].as_str().is_some_and(|sv| !sv.is_empty()));
}
