//! SPEC §5 as tables: who sees a 1:1, who may change what, and the order of refusals — for
//! people and for `READ_RECORDS` API tokens (TOK).

use serde_json::{Value, json};

use crate::helpers::{Person, TestApp, error_code, spawn_app};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    L,
    M,
    LoM,
    LnotM,
    Adm,
    Om,
    X,
    Tok,
}
use Kind::*;

/// Who sees S — the spec's table, column for column:
/// (viewer, draft, shared & default on, shared & default off, private & shared)
const SEES: [(Kind, bool, bool, bool, bool); 8] = [
    (L, true, true, true, true),
    (M, false, true, true, true),
    (LoM, false, true, true, false),
    (LnotM, false, false, true, false),
    (Adm, false, true, true, false),
    (Om, false, false, false, false),
    (X, false, false, false, false),
    (Tok, false, true, true, false),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Allowed {
    Leader,
    Participants,
}

/// Who changes what, for those who see S: (mutation, who may).
fn mutations(session: &str, lesson: &str) -> Vec<(&'static str, Allowed, &'static str, Value)> {
    vec![
        (
            "updateOneOnOne",
            Allowed::Leader,
            "mutation($id: ID!) { updateOneOnOne(id: $id, input: { scheduledAt: \"2026-05-04T10:00:00Z\" }) { id } }",
            json!({ "id": session }),
        ),
        (
            "addKudo",
            Allowed::Leader,
            "mutation($id: ID!) { addKudo(oneOnOneId: $id, text: \"Great week\") { id } }",
            json!({ "id": session }),
        ),
        (
            "celebrateKudos",
            Allowed::Leader,
            "mutation($id: ID!) { celebrateKudos(oneOnOneId: $id) { id } }",
            json!({ "id": session }),
        ),
        (
            "updateSharedNote",
            Allowed::Participants,
            "mutation($id: ID!) { updateSharedNote(oneOnOneId: $id, text: \"my shared words\", baseVersion: 0) { version } }",
            json!({ "id": session }),
        ),
        (
            "updatePersonalNote",
            Allowed::Participants,
            "mutation($id: ID!) { updatePersonalNote(oneOnOneId: $id, text: \"PRIVATE-THOUGHTS\") { text } }",
            json!({ "id": session }),
        ),
        (
            "addActionItem",
            Allowed::Participants,
            "mutation($id: ID!) { addActionItem(oneOnOneId: $id, input: { text: \"Follow up\" }) { id } }",
            json!({ "id": session }),
        ),
        (
            "addDiscussionItem",
            Allowed::Participants,
            "mutation($id: ID!, $l: ID!) { addDiscussionItem(oneOnOneId: $id, input: { lessonId: $l }) { id } }",
            json!({ "id": session, "l": lesson }),
        ),
    ]
}

struct World {
    admin: String,
    people: Vec<(Kind, Person)>,
    leader: Person,
    team: String,
    lesson: String,
}

async fn world(app: &TestApp) -> World {
    let company = app.create_company("Acme").await;
    let admin = company.admin.token.clone();
    let leader = app.create_user(&admin, "TEAM_LEADER").await;
    let co_leader = app.create_user(&admin, "TEAM_LEADER").await;
    let other_leader = app.create_user(&admin, "TEAM_LEADER").await;
    let colleague = app.create_user(&admin, "TEAM_MEMBER").await;
    let team = app.create_team(&admin, &leader, &[&colleague]).await;
    app.change_team(&admin, "addTeamLeader", &team, &co_leader.id)
        .await;
    app.create_team(&admin, &other_leader, &[]).await;
    let outsider = app.create_company("Elsewhere").await;
    let (_, records_token) = crate::tokens::create_token(app, &admin, &["READ_RECORDS"]).await;
    let lesson = app
        .ok(
            &admin,
            "mutation { upsertLesson(input: { title: \"L\", url: \"https://l.example\" }) { id } }",
            json!({}),
        )
        .await["upsertLesson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    World {
        admin,
        people: vec![
            (LoM, co_leader),
            (LnotM, other_leader),
            (
                Adm,
                Person {
                    id: company.admin.id.clone(),
                    email: company.admin.email.clone(),
                    token: company.admin.token.clone(),
                },
            ),
            (Om, colleague),
            (X, outsider.admin),
            (
                Tok,
                Person {
                    id: String::new(),
                    email: String::new(),
                    token: records_token,
                },
            ),
        ],
        leader,
        team,
        lesson,
    }
}

#[tokio::test]
async fn who_sees_a_one_on_one_and_who_may_change_it() {
    let app = spawn_app().await;
    let world = world(&app).await;
    for default_private in [true, false] {
        app.ok(&world.admin, "mutation($p: Boolean!) { updateCompanySettings(input: { privateOneOnOnesByDefault: $p }) { id: timeZone } }", json!({ "p": default_private })).await;
        for private in [false, true] {
            for shared in [false, true] {
                // A fresh member of the leaders' team for each case keeps counts independent.
                let member = app.create_user(&world.admin, "TEAM_MEMBER").await;
                app.change_team(&world.admin, "addTeamMember", &world.team, &member.id)
                    .await;
                let session = crate::one_on_ones::new_draft(
                    &app,
                    &world.leader,
                    &member,
                    json!({ "private": private }),
                )
                .await;
                if shared {
                    app.ok(
                        &world.leader.token,
                        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
                        json!({ "id": session }),
                    )
                    .await;
                }
                let case = format!(
                    "default private {default_private}, private {private}, shared {shared}"
                );
                let mut viewers: Vec<(Kind, &Person)> = vec![(L, &world.leader), (M, &member)];
                viewers.extend(world.people.iter().map(|(k, p)| (*k, p)));
                for (kind, person) in viewers {
                    let row = SEES.iter().find(|r| r.0 == kind).unwrap();
                    let sees = match (shared, private, default_private) {
                        (false, _, _) => row.1,
                        (true, true, _) => row.4,
                        (true, false, true) => row.2,
                        (true, false, false) => row.3,
                    };
                    let who = format!("{kind:?} ({case})");
                    let one = app
                        .gql(
                            Some(&person.token),
                            "query($id: ID!) { oneOnOne(id: $id) { id sharedNotes { text } } }",
                            json!({ "id": session }),
                        )
                        .await;
                    if sees {
                        assert!(one["errors"].is_null(), "{who} should see: {one}");
                    } else {
                        assert_eq!(
                            error_code(&one).as_deref(),
                            Some("NOT_FOUND"),
                            "{who} must not see: {one}"
                        );
                    }
                    let list = app.ok(&person.token, "query($m: ID!) { oneOnOnes(memberId: $m) { totalCount nodes { id } } }", json!({ "m": member.id })).await;
                    assert_eq!(
                        list["oneOnOnes"]["totalCount"],
                        u64::from(sees),
                        "{who}: totalCount"
                    );
                    assert_eq!(
                        list["oneOnOnes"]["nodes"].as_array().unwrap().len(),
                        usize::from(sees),
                        "{who}: nodes"
                    );

                    for (name, allowed, query, variables) in mutations(&session, &world.lesson) {
                        let may = match allowed {
                            Allowed::Leader => kind == L,
                            Allowed::Participants => kind == L || kind == M,
                        };
                        let expected = match (sees, may) {
                            // A token is refused every 1:1 mutation before any session is
                            // looked at.
                            _ if kind == Tok => Some("FORBIDDEN"),
                            (false, _) => Some("NOT_FOUND"),
                            (true, false) => Some("FORBIDDEN"),
                            (true, true) => None,
                        };
                        let response = app.gql(Some(&person.token), query, variables).await;
                        assert_eq!(
                            error_code(&response).as_deref(),
                            expected,
                            "{who} {name}: {response}"
                        );
                    }
                }
                // Personal notes: each participant reads their own, nobody else reads any.
                let mut viewers: Vec<(Kind, &Person)> = vec![(L, &world.leader), (M, &member)];
                viewers.extend(world.people.iter().map(|(k, p)| (*k, p)));
                for (kind, person) in viewers {
                    let response = app.gql(Some(&person.token), "query($id: ID!, $m: ID!) { oneOnOne(id: $id) { personalNote { text } } oneOnOnes(memberId: $m) { nodes { personalNote { text } } } }", json!({ "id": session, "m": member.id })).await;
                    let own = matches!(kind, L) || (kind == M && shared);
                    let seen = serde_json::to_string(&response).unwrap();
                    if own {
                        assert_eq!(
                            response["data"]["oneOnOne"]["personalNote"]["text"],
                            "PRIVATE-THOUGHTS",
                            "{kind:?} ({case})"
                        );
                        assert_eq!(
                            seen.matches("PRIVATE-THOUGHTS").count(),
                            2,
                            "only their own note, in both paths ({kind:?}, {case})"
                        );
                    } else {
                        assert!(
                            !seen.contains("PRIVATE-THOUGHTS"),
                            "{kind:?} read a personal note ({case}): {seen}"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn switched_off_one_on_ones_and_permissions_answer_in_order() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let member = app.create_user(&world.admin, "TEAM_MEMBER").await;
    let session = crate::one_on_ones::new_draft(&app, &world.leader, &member, json!({})).await;
    app.ok(
        &world.leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": session }),
    )
    .await;
    let read = "query($id: ID!) { oneOnOne(id: $id) { id } }";
    let list = "{ oneOnOnes { totalCount } }";
    let (_, records_token) =
        crate::tokens::create_token(&app, &world.admin, &["READ_RECORDS"]).await;

    app.ok(
        &world.admin,
        "mutation { updateCompanySettings(input: { oneOnOnesEnabled: false }) { timeZone } }",
        json!({}),
    )
    .await;
    for token in [
        &world.leader.token,
        &member.token,
        &world.admin,
        &records_token,
    ] {
        for query in [read, list] {
            let response = app.gql(Some(token), query, json!({ "id": session })).await;
            assert_eq!(
                error_code(&response).as_deref(),
                Some("FEATURE_DISABLED"),
                "{response}"
            );
        }
        // Even for a session that does not exist: the switch is answered first.
        let missing = app
            .gql(Some(token), read, json!({ "id": uuid::Uuid::now_v7() }))
            .await;
        assert_eq!(error_code(&missing).as_deref(), Some("FEATURE_DISABLED"));
    }
    let anonymous = app.gql(None, read, json!({ "id": session })).await;
    assert_eq!(
        error_code(&anonymous).as_deref(),
        Some("UNAUTHENTICATED"),
        "credentials come first"
    );

    app.ok(&world.admin, "mutation { updateCompanySettings(input: { oneOnOnesEnabled: true, oneOnOnePermissionsEnabled: false }) { timeZone } }", json!({})).await;
    // "Only admins may use 1:1s", and a token is no admin.
    for token in [&world.leader.token, &member.token, &records_token] {
        let response = app.gql(Some(token), read, json!({ "id": session })).await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some("FORBIDDEN"),
            "{response}"
        );
        let missing = app
            .gql(Some(token), read, json!({ "id": uuid::Uuid::now_v7() }))
            .await;
        assert_eq!(
            error_code(&missing).as_deref(),
            Some("FORBIDDEN"),
            "permissions before existence"
        );
    }
    app.ok(&world.admin, read, json!({ "id": session })).await;
}
