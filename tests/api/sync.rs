//! Incremental sync (SPEC §7): deletions reach syncing clients as tombstones, seen by exactly
//! those who saw the record; pages stay stable while rows are added.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app},
    live::shared_session,
    one_on_ones::{new_draft, pair},
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

    // Made private: only the participants keep seeing what happened in it.
    app.ok(
        &p.leader.token,
        "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: true }) { id } }",
        json!({ "id": session }),
    )
    .await;
    assert!(tombstones(&app, &p.company_admin, &since).await.is_empty());
    assert!(
        tombstones(&app, &outsider_leader.token, &since)
            .await
            .is_empty()
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
