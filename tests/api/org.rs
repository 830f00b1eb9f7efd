//! Organization administration and who may do it (SPEC §2).

use serde_json::{Value, json};

use crate::helpers::{Person, TestApp, error_code, spawn_app};

#[tokio::test]
async fn admin_manages_users_teams_categories_and_settings() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    let leader = app.create_user(admin, "TEAM_LEADER").await;
    let leader2 = app.create_user(admin, "TEAM_LEADER").await;
    let member = app.create_user(admin, "TEAM_MEMBER").await;
    let member2 = app.create_user(admin, "TEAM_MEMBER").await;

    // Update a user.
    let data = app
        .ok(
            admin,
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Renamed\", email: \"RENAMED@example.test\" }) { name email } }",
            json!({ "id": member2.id }),
        )
        .await;
    assert_eq!(
        data["updateUser"],
        json!({ "name": "Renamed", "email": "renamed@example.test" })
    );

    // Teams: create, add and remove leaders and members.
    let team = app.create_team(admin, &leader, &[&member]).await;
    let team_query = "query($id: ID!) { team(id: $id) { leaders { id } members { id } } }";
    app.change_team(admin, "addTeamMember", &team, &member2.id)
        .await;
    app.change_team(admin, "addTeamLeader", &team, &leader2.id)
        .await;
    let data = app.ok(admin, team_query, json!({ "id": team })).await;
    assert_eq!(data["team"]["leaders"].as_array().unwrap().len(), 2);
    assert_eq!(data["team"]["members"].as_array().unwrap().len(), 2);
    app.change_team(admin, "removeTeamMember", &team, &member.id)
        .await;
    app.change_team(admin, "removeTeamLeader", &team, &leader.id)
        .await;
    let data = app.ok(admin, team_query, json!({ "id": team })).await;
    assert_eq!(
        data["team"],
        json!({ "leaders": [{ "id": leader2.id }], "members": [{ "id": member2.id }] })
    );

    // The last leader stays; a member cannot lead; a leader is no member.
    let last = app
        .gql(
            Some(admin),
            "mutation($t: ID!, $u: ID!) { removeTeamLeader(teamId: $t, userId: $u) { id } }",
            json!({ "t": team, "u": leader2.id }),
        )
        .await;
    assert_eq!(error_code(&last).as_deref(), Some("BAD_USER_INPUT"));
    let wrong_role = app
        .gql(
            Some(admin),
            "mutation($t: ID!, $u: ID!) { addTeamLeader(teamId: $t, userId: $u) { id } }",
            json!({ "t": team, "u": member.id }),
        )
        .await;
    assert_eq!(wrong_role["errors"][0]["extensions"]["field"], "userId");

    // The user's side of the same relation.
    let data = app
        .ok(
            admin,
            "query($id: ID!) { user(id: $id) { teams { role team { id } } } }",
            json!({ "id": member2.id }),
        )
        .await;
    assert_eq!(
        data["user"]["teams"],
        json!([{ "role": "MEMBER", "team": { "id": team } }])
    );

    // Categories: the four defaults, add, archive (hidden unless asked for).
    let names = |data: &Value| -> Vec<String> {
        data["coachingCategories"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = "query($a: Boolean!) { coachingCategories(includeArchived: $a) { nodes { name archived } } }";
    assert_eq!(
        names(&app.ok(admin, list, json!({ "a": false })).await),
        ["Other", "Productivity", "Quality", "Stella"]
    );
    let created = app
        .ok(
            admin,
            "mutation { createCoachingCategory(name: \"Empathy\") { id name archived } }",
            json!({}),
        )
        .await;
    let duplicate = app
        .gql(
            Some(admin),
            "mutation { createCoachingCategory(name: \"empathy\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&duplicate).as_deref(), Some("BAD_USER_INPUT"));
    let category = created["createCoachingCategory"]["id"].as_str().unwrap();
    let archived = app
        .ok(
            admin,
            "mutation($id: ID!) { archiveCoachingCategory(id: $id) { archived } }",
            json!({ "id": category }),
        )
        .await;
    assert_eq!(archived["archiveCoachingCategory"]["archived"], true);
    assert_eq!(
        names(&app.ok(admin, list, json!({ "a": false })).await).len(),
        4
    );
    assert_eq!(
        names(&app.ok(admin, list, json!({ "a": true })).await).len(),
        5
    );

    // Every company setting.
    let data = app
        .ok(
            admin,
            "mutation { updateCompanySettings(input: { timeZone: \"America/Chicago\", oneOnOnesEnabled: false, oneOnOnePermissionsEnabled: false, privateOneOnOnesByDefault: false, emailNotificationsEnabled: false }) { timeZone oneOnOnesEnabled oneOnOnePermissionsEnabled privateOneOnOnesByDefault emailNotificationsEnabled } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["updateCompanySettings"],
        json!({ "timeZone": "America/Chicago", "oneOnOnesEnabled": false, "oneOnOnePermissionsEnabled": false, "privateOneOnOnesByDefault": false, "emailNotificationsEnabled": false })
    );
    let bad_zone = app.gql(Some(admin), "mutation { updateCompanySettings(input: { timeZone: \"Mars/Olympus\" }) { timeZone } }", json!({})).await;
    assert_eq!(bad_zone["errors"][0]["extensions"]["field"], "timeZone");
}

/// Each mutation an admin may make, with variables for it.
fn admin_mutations(
    subject: &Person,
    team: &str,
    category: &str,
    metric: &str,
) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "createUser",
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "name": "X", "email": crate::helpers::unique_email("x"), "password": "long-enough-pw", "role": "TEAM_MEMBER" } }),
        ),
        (
            "updateUser",
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Y\" }) { id } }",
            json!({ "id": subject.id }),
        ),
        (
            "deactivate",
            "mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { id } }",
            json!({ "id": subject.id }),
        ),
        (
            "createTeam",
            "mutation($l: ID!) { createTeam(input: { name: \"T\", leaderIds: [$l] }) { id } }",
            json!({ "l": subject.id }),
        ),
        (
            "addTeamMember",
            "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
            json!({ "t": team, "u": subject.id }),
        ),
        (
            "removeTeamMember",
            "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) { id } }",
            json!({ "t": team, "u": subject.id }),
        ),
        (
            "addTeamLeader",
            "mutation($t: ID!, $u: ID!) { addTeamLeader(teamId: $t, userId: $u) { id } }",
            json!({ "t": team, "u": subject.id }),
        ),
        (
            "removeTeamLeader",
            "mutation($t: ID!, $u: ID!) { removeTeamLeader(teamId: $t, userId: $u) { id } }",
            json!({ "t": team, "u": subject.id }),
        ),
        (
            "timeZone",
            "mutation { updateCompanySettings(input: { timeZone: \"UTC\" }) { timeZone } }",
            json!({}),
        ),
        (
            "oneOnOnesEnabled",
            "mutation { updateCompanySettings(input: { oneOnOnesEnabled: false }) { timeZone } }",
            json!({}),
        ),
        (
            "oneOnOnePermissionsEnabled",
            "mutation { updateCompanySettings(input: { oneOnOnePermissionsEnabled: false }) { timeZone } }",
            json!({}),
        ),
        (
            "emailNotificationsEnabled",
            "mutation { updateCompanySettings(input: { emailNotificationsEnabled: false }) { timeZone } }",
            json!({}),
        ),
        (
            "createMetric",
            "mutation { createMetric(input: { name: \"AHT\" }) { id } }",
            json!({}),
        ),
        (
            "updateMetric",
            "mutation($id: ID!) { updateMetric(id: $id, input: { name: \"Z\" }) { id } }",
            json!({ "id": metric }),
        ),
        (
            "recordMetricValues",
            "mutation($m: ID!, $u: ID!) { recordMetricValues(values: [{ metricId: $m, userId: $u, periodStart: \"2026-01-05\", periodEnd: \"2026-01-11\", value: 1.5 }]) { id } }",
            json!({ "m": metric, "u": subject.id }),
        ),
        (
            "recordFeedback",
            "mutation($u: ID!) { recordFeedback(input: { userId: $u, score: 4, receivedOn: \"2026-01-05\" }) { id } }",
            json!({ "u": subject.id }),
        ),
        (
            "recordQaReview",
            "mutation($u: ID!) { recordQaReview(input: { userId: $u, reviewerName: \"Q\", score: 90, reviewedOn: \"2026-01-05\" }) { id } }",
            json!({ "u": subject.id }),
        ),
        (
            "upsertLesson",
            "mutation { upsertLesson(input: { title: \"L\", url: \"https://lessons.example/1\" }) { id } }",
            json!({}),
        ),
        (
            "archiveCoachingCategory",
            "mutation($id: ID!) { archiveCoachingCategory(id: $id) { id } }",
            json!({ "id": category }),
        ),
        (
            "createCoachingCategory",
            "mutation { createCoachingCategory(name: \"New one\") { id } }",
            json!({}),
        ),
        (
            "privateOneOnOnesByDefault",
            "mutation { updateCompanySettings(input: { privateOneOnOnesByDefault: false }) { timeZone } }",
            json!({}),
        ),
    ]
}

async fn fixtures(app: &TestApp, admin: &str) -> (Person, String, String, String) {
    let leader = app.create_user(admin, "TEAM_LEADER").await;
    let subject = app.create_user(admin, "TEAM_MEMBER").await;
    let team = app.create_team(admin, &leader, &[]).await;
    let category = app
        .ok(admin, "{ coachingCategories { nodes { id } } }", json!({}))
        .await["coachingCategories"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let metric = app
        .ok(
            admin,
            "mutation { createMetric(input: { name: \"CSAT\" }) { id } }",
            json!({}),
        )
        .await["createMetric"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (subject, team, category, metric)
}

/// SPEC §2: a Team Member changes nothing here; a Team Leader only adds and archives
/// categories and changes the 1:1 visibility default.
#[tokio::test]
async fn team_members_and_leaders_may_change_only_what_the_spec_allows() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    let (subject, team, category, metric) = fixtures(&app, admin).await;
    let member = app.create_user(admin, "TEAM_MEMBER").await;
    let leader = app.create_user(admin, "TEAM_LEADER").await;
    let leader_may = [
        "archiveCoachingCategory",
        "createCoachingCategory",
        "privateOneOnOnesByDefault",
    ];
    for (name, query, variables) in admin_mutations(&subject, &team, &category, &metric) {
        let as_member = app.gql(Some(&member.token), query, variables.clone()).await;
        assert_eq!(
            error_code(&as_member).as_deref(),
            Some("FORBIDDEN"),
            "member {name}: {as_member}"
        );
        let as_leader = app.gql(Some(&leader.token), query, variables.clone()).await;
        let expected = if leader_may.contains(&name) {
            None
        } else {
            Some("FORBIDDEN")
        };
        assert_eq!(
            error_code(&as_leader).as_deref(),
            expected,
            "leader {name}: {as_leader}"
        );
    }
}

#[tokio::test]
async fn lists_are_relay_connections() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    for _ in 0..4 {
        app.create_user(admin, "TEAM_MEMBER").await;
    }
    let page = "query($after: String) { users(first: 2, after: $after, role: TEAM_MEMBER) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }";
    let first = app.ok(admin, page, json!({ "after": null })).await;
    assert_eq!(first["users"]["totalCount"], 4);
    assert_eq!(first["users"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["users"]["pageInfo"]["endCursor"].as_str().unwrap();
    let second = app.ok(admin, page, json!({ "after": cursor })).await;
    assert_eq!(second["users"]["pageInfo"]["hasNextPage"], false);
    let ids: Vec<&Value> = first["users"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["users"]["nodes"].as_array().unwrap())
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] != w[1]));

    // updatedSince: only what changed after the mark.
    let mark = chrono::Utc::now().to_rfc3339();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let changed = ids[0]["id"].as_str().unwrap();
    app.ok(
        admin,
        "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Changed\" }) { id } }",
        json!({ "id": changed }),
    )
    .await;
    let since = app
        .ok(
            admin,
            "query($s: DateTime) { users(updatedSince: $s) { totalCount nodes { id } } }",
            json!({ "s": mark }),
        )
        .await;
    assert_eq!(since["users"]["nodes"], json!([{ "id": changed }]));
}

#[tokio::test]
async fn admins_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    let deactivate = app
        .gql(
            Some(admin),
            "mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { id } }",
            json!({ "id": company.admin.id }),
        )
        .await;
    assert_eq!(deactivate["errors"][0]["extensions"]["field"], "active");
    let demote = app
        .gql(
            Some(admin),
            "mutation($id: ID!) { updateUser(id: $id, input: { role: TEAM_MEMBER }) { id } }",
            json!({ "id": company.admin.id }),
        )
        .await;
    assert_eq!(demote["errors"][0]["extensions"]["field"], "role");
    let taken = app.gql(Some(admin), "mutation($e: String!) { createUser(input: { name: \"Dup\", email: $e, password: \"long-enough-pw\", role: ADMIN }) { id } }", json!({ "e": company.admin.email })).await;
    assert_eq!(taken["errors"][0]["extensions"]["field"], "email");
}
