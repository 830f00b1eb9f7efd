//! Incremental sync (SPEC §7): deletions reach syncing clients as tombstones, seen by exactly
//! those who saw the record; pages stay stable while rows are added.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::{
    helpers::{Person, TestApp, spawn_app},
    live::shared_session,
    one_on_ones::{new_draft, pair},
    tokens::create_token,
};

const TOMBSTONES: &str = "query($since: DateTime!) { tombstones(since: $since) { totalCount nodes { kind recordId oneOnOneId } } }";

async fn tombstones(app: &TestApp, token: &str, since: &str) -> Vec<(String, String)> {
    let data = app.ok(token, TOMBSTONES, json!({ "since": since })).await;
    data["tombstones"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_owned(),
                t["recordId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn created_id(data: &Value, field: &str) -> String {
    data[field]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn deletions_become_tombstones_for_exactly_those_who_saw_the_record() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let since = chrono::Utc::now().to_rfc3339();
    let outsider_leader = app.create_user(&p.company_admin, "TEAM_LEADER").await;
    let other_company = app.create_company("Elsewhere").await;

    // A draft deleted by its leader: only the leader ever saw it.
    let draft = new_draft(&app, &p.leader, &p.member, json!({})).await;
    app.ok(
        &p.leader.token,
        "mutation($id: ID!) { deleteOneOnOne(id: $id) { id } }",
        json!({ "id": draft }),
    )
    .await;

    // Items removed from a shared session: everyone who sees the session.
    let session = shared_session(&app, &p.leader, &p.member).await;
    let kudo = created_id(
        &app.ok(
            &p.leader.token,
            "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"Calm on a hard call\") { id } }",
            json!({ "id": session }),
        )
        .await,
        "addKudo",
    );
    let item = created_id(
        &app.ok(&p.member.token, "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Try the new macro\" }) { id } }", json!({ "id": session })).await,
        "addActionItem",
    );
    app.ok(
        &p.leader.token,
        "mutation($id: ID!) { removeKudo(id: $id) { id } }",
        json!({ "id": kudo }),
    )
    .await;
    app.ok(
        &p.member.token,
        "mutation($id: ID!) { removeActionItem(id: $id) { id } }",
        json!({ "id": item }),
    )
    .await;

    let draft_gone = ("ONE_ON_ONE".to_owned(), draft.clone());
    let kudo_gone = ("KUDO".to_owned(), kudo.clone());
    let item_gone = ("ACTION_ITEM".to_owned(), item.clone());
    assert_eq!(
        tombstones(&app, &p.leader.token, &since).await,
        vec![draft_gone.clone(), kudo_gone.clone(), item_gone.clone()]
    );
    assert_eq!(
        tombstones(&app, &p.member.token, &since).await,
        vec![kudo_gone.clone(), item_gone.clone()],
        "the member never saw the draft"
    );
    assert_eq!(
        tombstones(&app, &p.company_admin, &since).await,
        vec![kudo_gone.clone(), item_gone.clone()]
    );
    // A Team Leader who does not lead the member sees neither the session nor its tombstones
    // while sessions are private by default, and both once the default is off.
    assert!(
        tombstones(&app, &outsider_leader.token, &since)
            .await
            .is_empty()
    );
    app.ok(
        &p.company_admin,
        "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: false }) { timeZone } }",
        json!({}),
    )
    .await;
    assert_eq!(
        tombstones(&app, &outsider_leader.token, &since).await,
        vec![kudo_gone.clone(), item_gone.clone()]
    );
    assert!(
        tombstones(&app, &other_company.admin.token, &since)
            .await
            .is_empty()
    );

    // Made private: only the participants keep seeing what happened in it; for everyone
    // else the session itself is gone.
    make_private(&app, &p.leader, &session, true).await;
    let session_gone = vec![("ONE_ON_ONE".to_owned(), session.clone())];
    assert_eq!(
        tombstones(&app, &p.company_admin, &since).await,
        session_gone
    );
    assert_eq!(
        tombstones(&app, &outsider_leader.token, &since).await,
        session_gone
    );
    assert_eq!(tombstones(&app, &p.member.token, &since).await.len(), 2);

    // `since` and `kinds` narrow the list.
    let later = chrono::Utc::now().to_rfc3339();
    assert!(tombstones(&app, &p.leader.token, &later).await.is_empty());
    let kudos_only = app
        .ok(
            &p.leader.token,
            "query($since: DateTime!) { tombstones(since: $since, kinds: [KUDO]) { nodes { recordId } } }",
            json!({ "since": since }),
        )
        .await;
    assert_eq!(
        kudos_only["tombstones"]["nodes"],
        json!([{ "recordId": kudo }])
    );
}

async fn make_private(app: &TestApp, leader: &Person, session: &str, private: bool) {
    app.ok(
        &leader.token,
        "mutation($id: ID!, $p: Boolean!) { updateOneOnOne(id: $id, input: { private: $p }) { id } }",
        json!({ "id": session, "p": private }),
    )
    .await;
}

/// The viewer's tombstones since `since` as (kind, reason, record id, deleted at), and
/// whether they must resync.
async fn sync_changes(app: &TestApp, token: &str, since: &str) -> (Vec<[String; 4]>, bool) {
    let data = app
        .ok(
            token,
            "query($since: DateTime!) { tombstones(since: $since) { resyncRequired nodes { kind reason recordId deletedAt } } }",
            json!({ "since": since }),
        )
        .await;
    let field = |t: &Value, name: &str| t[name].as_str().unwrap().to_owned();
    let nodes = data["tombstones"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| ["kind", "reason", "recordId", "deletedAt"].map(|name| field(t, name)))
        .collect();
    (
        nodes,
        data["tombstones"]["resyncRequired"].as_bool().unwrap(),
    )
}

#[tokio::test]
async fn a_session_made_private_is_gone_for_exactly_those_who_saw_it() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    // Another leader of the member's team (LoM), a leader who does not lead them (LnotM,
    // blind to the session while sessions are private by default), another member, tokens.
    let co_leader = app.create_user(&p.company_admin, "TEAM_LEADER").await;
    app.create_team(&p.company_admin, &co_leader, &[&p.member])
        .await;
    let outsider_leader = app.create_user(&p.company_admin, "TEAM_LEADER").await;
    let other_member = app.create_user(&p.company_admin, "TEAM_MEMBER").await;
    let (_, records_token) = create_token(&app, &p.company_admin, &["READ_RECORDS"]).await;
    let session = shared_session(&app, &p.leader, &p.member).await;
    let since = chrono::Utc::now().to_rfc3339();

    make_private(&app, &p.leader, &session, true).await;

    for (viewer, token, hidden) in [
        ("admin", &p.company_admin, true),
        ("co-leader", &co_leader.token, true),
        ("READ_RECORDS token", &records_token, true),
        ("leader", &p.leader.token, false),
        ("member", &p.member.token, false),
        ("outsider leader", &outsider_leader.token, false),
        ("other member", &other_member.token, false),
    ] {
        let (tombstones, resync) = sync_changes(&app, token, &since).await;
        let kinds: Vec<[&str; 3]> = tombstones
            .iter()
            .map(|[kind, reason, record, _]| [kind.as_str(), reason.as_str(), record.as_str()])
            .collect();
        let expected = if hidden {
            vec![["ONE_ON_ONE", "HIDDEN", session.as_str()]]
        } else {
            Vec::new()
        };
        assert_eq!(kinds, expected, "{viewer}");
        assert!(!resync, "{viewer}: no team, role or setting changed");
    }

    // Opened again: the session is back in the co-leader's sync, updated after it was hidden.
    make_private(&app, &p.leader, &session, false).await;
    let (tombstones, _) = sync_changes(&app, &co_leader.token, &since).await;
    let hidden_at = chrono::DateTime::parse_from_rfc3339(&tombstones[0][3]).unwrap();
    let listed = app
        .ok(
            &co_leader.token,
            "query($since: DateTime!) { oneOnOnes(updatedSince: $since) { nodes { id updatedAt } } }",
            json!({ "since": since }),
        )
        .await;
    let node = &listed["oneOnOnes"]["nodes"][0];
    assert_eq!(node["id"], session.as_str());
    let updated_at = chrono::DateTime::parse_from_rfc3339(node["updatedAt"].as_str().unwrap());
    assert!(updated_at.unwrap() > hidden_at);
}

#[tokio::test]
async fn team_role_and_setting_changes_ask_exactly_the_affected_to_resync() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    let leader = app.create_user(admin, "TEAM_LEADER").await;
    let other_leader = app.create_user(admin, "TEAM_LEADER").await;
    let member = app.create_user(admin, "TEAM_MEMBER").await;
    let newcomer = app.create_user(admin, "TEAM_MEMBER").await;
    let team = app.create_team(admin, &leader, &[&member]).await;
    let (_, records_token) = create_token(&app, admin, &["READ_RECORDS"]).await;
    let resync = |token: String, since: String| {
        let app = &app;
        async move { sync_changes(app, &token, &since).await.1 }
    };

    // A member joins the team: its leader now sees the member's sessions with others.
    let since = chrono::Utc::now().to_rfc3339();
    app.change_team(admin, "addTeamMember", &team, &newcomer.id)
        .await;
    assert!(resync(leader.token.clone(), since.clone()).await);
    for token in [admin, &other_leader.token, &member.token, &records_token] {
        assert!(!resync(token.clone(), since.clone()).await);
    }

    // A leader leaves the team (another joins first: a team keeps a leader).
    let since = chrono::Utc::now().to_rfc3339();
    app.change_team(admin, "addTeamLeader", &team, &other_leader.id)
        .await;
    app.change_team(admin, "removeTeamLeader", &team, &leader.id)
        .await;
    assert!(resync(leader.token.clone(), since.clone()).await);
    assert!(resync(other_leader.token.clone(), since.clone()).await);
    assert!(!resync(member.token.clone(), since.clone()).await);

    // The visibility default changes what every leader (and, to be safe, admin) sees.
    let since = chrono::Utc::now().to_rfc3339();
    app.ok(
        admin,
        "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: false }) { timeZone } }",
        json!({}),
    )
    .await;
    for token in [&leader.token, &other_leader.token, admin] {
        assert!(resync(token.clone(), since.clone()).await);
    }
    for token in [&member.token, &newcomer.token, &records_token] {
        assert!(!resync(token.clone(), since.clone()).await);
    }

    // With the default off every leader sees every open 1:1, in their teams or not: a team
    // change alters nobody's sight, so nobody starts over.
    let since = chrono::Utc::now().to_rfc3339();
    app.change_team(admin, "removeTeamMember", &team, &newcomer.id)
        .await;
    app.change_team(admin, "addTeamLeader", &team, &leader.id)
        .await;
    for token in [&leader.token, &other_leader.token, admin, &newcomer.token] {
        assert!(!resync(token.clone(), since.clone()).await);
    }
    app.change_team(admin, "removeTeamLeader", &team, &leader.id)
        .await;

    // A role change (the leader has no team left), for that person alone.
    let since = chrono::Utc::now().to_rfc3339();
    app.ok(
        admin,
        "mutation($u: ID!) { updateUser(id: $u, input: { role: TEAM_MEMBER }) { id } }",
        json!({ "u": leader.id }),
    )
    .await;
    assert!(resync(leader.token.clone(), since.clone()).await);
    assert!(!resync(other_leader.token.clone(), since.clone()).await);
}

#[tokio::test]
async fn paging_with_concurrent_inserts_returns_every_existing_row_exactly_once() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let mut existing = HashSet::new();
    for _ in 0..12 {
        existing.insert(new_draft(&app, &p.leader, &p.member, json!({})).await);
    }

    // A second writer keeps adding sessions while the first client pages through the list.
    let writer = {
        let (address, leader, member) = (app.address.clone(), p.leader.clone(), p.member.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for _ in 0..12 {
                client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(&leader.token)
                    .json(&json!({
                        "query": "mutation($i: CreateOneOnOneInput!) { createOneOnOne(input: $i) { id } }",
                        "variables": { "i": { "memberId": member.id } },
                    }))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .ok(
                &p.leader.token,
                "query($after: String) { oneOnOnes(first: 3, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } }",
                json!({ "after": after }),
            )
            .await;
        let connection = &page["oneOnOnes"];
        seen.extend(
            connection["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned()),
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    writer.await.unwrap();

    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no session was listed twice");
    assert!(
        existing.is_subset(&unique),
        "no session that existed was skipped"
    );
}

#[tokio::test]
async fn a_changed_note_brings_its_session_back_in_updated_since() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let quiet = shared_session(&app, &p.leader, &p.member).await;
    let edited = shared_session(&app, &p.leader, &p.member).await;
    let since = chrono::Utc::now().to_rfc3339();
    app.ok(
        &p.member.token,
        "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"Ready for the review\", baseVersion: 0) { version } }",
        json!({ "id": edited }),
    )
    .await;
    let changed = app
        .ok(
            &p.leader.token,
            "query($since: DateTime!) { oneOnOnes(updatedSince: $since) { nodes { id } } }",
            json!({ "since": since }),
        )
        .await;
    assert_eq!(changed["oneOnOnes"]["nodes"], json!([{ "id": edited }]));
    assert_ne!(quiet, edited);
}
