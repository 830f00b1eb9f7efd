//! Nothing crosses companies: another company's rows are invisible (`NOT_FOUND`), uncounted,
//! and cannot be touched or referenced, on every root query and mutation.

use serde_json::{Value, json};

use crate::helpers::{OPERATOR_TOKEN, error_code, spawn_app};

#[tokio::test]
async fn another_companys_data_cannot_be_seen_counted_or_touched() {
    let app = spawn_app().await;
    let a = app.create_company("Company A").await;
    let b = app.create_company("Company B").await;
    let (a_admin, b_admin) = (&a.admin.token, &b.admin.token);

    // Company A's data.
    let a_leader = app.create_user(a_admin, "TEAM_LEADER").await;
    let a_member = app.create_user(a_admin, "TEAM_MEMBER").await;
    let a_team = app.create_team(a_admin, &a_leader, &[&a_member]).await;
    let a_category = app
        .ok(
            a_admin,
            "{ coachingCategories { nodes { id } } }",
            json!({}),
        )
        .await["coachingCategories"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_metric = app.ok(a_admin, "mutation { createMetric(input: { name: \"AHT\", externalId: \"shared-ext\" }) { id } }", json!({})).await["createMetric"]["id"].as_str().unwrap().to_owned();
    app.ok(a_admin, "mutation($m: ID!, $u: ID!) { recordMetricValues(values: [{ metricId: $m, userId: $u, periodStart: \"2026-01-05\", periodEnd: \"2026-01-11\", value: 1 }]) { id } }", json!({ "m": a_metric, "u": a_member.id })).await;
    app.ok(a_admin, "mutation($u: ID!) { recordFeedback(input: { userId: $u, score: 4, receivedOn: \"2026-02-01\" }) { id } }", json!({ "u": a_member.id })).await;
    app.ok(a_admin, "mutation($u: ID!) { recordQaReview(input: { userId: $u, reviewerName: \"R\", score: 4, reviewedOn: \"2026-02-01\" }) { id } }", json!({ "u": a_member.id })).await;
    app.ok(a_admin, "mutation { upsertLesson(input: { title: \"A's lesson\", url: \"https://a.example/1\", externalId: \"shared-ext\" }) { id } }", json!({})).await;

    // Company B's own people, to reference from B's side.
    let b_leader = app.create_user(b_admin, "TEAM_LEADER").await;
    let b_team = app.create_team(b_admin, &b_leader, &[]).await;

    // Lists and counts hold only B's rows.
    let counts = app
        .ok(b_admin, "{ users { totalCount } teams { totalCount } coachingCategories { totalCount } metrics { totalCount } metricValues { totalCount } feedbackRecords { totalCount } qaReviews { totalCount } lessons { totalCount } companySettings { company { id } } }", json!({}))
        .await;
    assert_eq!(
        counts,
        json!({
            "users": { "totalCount": 2 }, "teams": { "totalCount": 1 }, "coachingCategories": { "totalCount": 4 },
            "metrics": { "totalCount": 0 }, "metricValues": { "totalCount": 0 }, "feedbackRecords": { "totalCount": 0 },
            "qaReviews": { "totalCount": 0 }, "lessons": { "totalCount": 0 }, "companySettings": { "company": { "id": b.id } }
        })
    );
    // Filtering by A's ids finds nothing either.
    let filtered = app
        .ok(b_admin, "query($u: ID!, $m: ID!) { metricValues(userId: $u, metricId: $m) { totalCount } feedbackRecords(userId: $u) { totalCount } qaReviews(userId: $u) { totalCount } }", json!({ "u": a_member.id, "m": a_metric }))
        .await;
    assert_eq!(
        filtered,
        json!({ "metricValues": { "totalCount": 0 }, "feedbackRecords": { "totalCount": 0 }, "qaReviews": { "totalCount": 0 } })
    );

    // (operation, query, variables, expected code) as B's admin against A's ids.
    let table: Vec<(&str, &str, Value, &str)> = vec![
        (
            "user",
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": a_member.id }),
            "NOT_FOUND",
        ),
        (
            "team",
            "query($id: ID!) { team(id: $id) { id } }",
            json!({ "id": a_team }),
            "NOT_FOUND",
        ),
        (
            "updateUser",
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"pwned\", active: false }) { id } }",
            json!({ "id": a_member.id }),
            "NOT_FOUND",
        ),
        (
            "addTeamMember to A's team",
            "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
            json!({ "t": a_team, "u": b_leader.id }),
            "NOT_FOUND",
        ),
        (
            "addTeamMember of A's user",
            "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }",
            json!({ "t": b_team, "u": a_member.id }),
            "BAD_USER_INPUT",
        ),
        (
            "removeTeamMember",
            "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) { id } }",
            json!({ "t": a_team, "u": a_member.id }),
            "NOT_FOUND",
        ),
        (
            "addTeamLeader",
            "mutation($t: ID!, $u: ID!) { addTeamLeader(teamId: $t, userId: $u) { id } }",
            json!({ "t": a_team, "u": b_leader.id }),
            "NOT_FOUND",
        ),
        (
            "removeTeamLeader",
            "mutation($t: ID!, $u: ID!) { removeTeamLeader(teamId: $t, userId: $u) { id } }",
            json!({ "t": a_team, "u": a_leader.id }),
            "NOT_FOUND",
        ),
        (
            "createTeam with A's leader",
            "mutation($l: ID!) { createTeam(input: { name: \"T\", leaderIds: [$l] }) { id } }",
            json!({ "l": a_leader.id }),
            "BAD_USER_INPUT",
        ),
        (
            "archiveCoachingCategory",
            "mutation($id: ID!) { archiveCoachingCategory(id: $id) { id } }",
            json!({ "id": a_category }),
            "NOT_FOUND",
        ),
        (
            "updateMetric",
            "mutation($id: ID!) { updateMetric(id: $id, input: { name: \"pwned\" }) { id } }",
            json!({ "id": a_metric }),
            "NOT_FOUND",
        ),
        (
            "recordMetricValues for A's metric",
            "mutation($m: ID!, $u: ID!) { recordMetricValues(values: [{ metricId: $m, userId: $u, periodStart: \"2026-01-05\", periodEnd: \"2026-01-11\", value: 9 }]) { id } }",
            json!({ "m": a_metric, "u": b_leader.id }),
            "BAD_USER_INPUT",
        ),
        (
            "recordFeedback about A's user",
            "mutation($u: ID!) { recordFeedback(input: { userId: $u, score: 1, receivedOn: \"2026-02-01\" }) { id } }",
            json!({ "u": a_member.id }),
            "BAD_USER_INPUT",
        ),
        (
            "recordQaReview about A's user",
            "mutation($u: ID!) { recordQaReview(input: { userId: $u, reviewerName: \"R\", score: 1, reviewedOn: \"2026-02-01\" }) { id } }",
            json!({ "u": a_member.id }),
            "BAD_USER_INPUT",
        ),
        (
            "createCompany as a user",
            "mutation { createCompany(input: { name: \"X\", timeZone: \"UTC\", admin: { name: \"X\", email: \"x@x.example\", password: \"long-enough-pw\" } }) { company { id } } }",
            json!({}),
            "FORBIDDEN",
        ),
    ];
    for (operation, query, variables, expected) in table {
        let response = app.gql(Some(b_admin), query, variables).await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some(expected),
            "{operation}: {response}"
        );
    }

    // The same external id in B creates B's own record; A's stays as it was.
    app.ok(b_admin, "mutation { createMetric(input: { name: \"B metric\", externalId: \"shared-ext\" }) { id } }", json!({})).await;
    app.ok(b_admin, "mutation { upsertLesson(input: { title: \"B's lesson\", url: \"https://b.example/1\", externalId: \"shared-ext\" }) { id } }", json!({})).await;
    let a_view = app
        .ok(a_admin, "query($u: ID!, $t: ID!) { user(id: $u) { name active } team(id: $t) { leaders { id } members { id } } metrics { nodes { name } } lessons { nodes { title } } coachingCategories { totalCount } metricValues { nodes { value } } }", json!({ "u": a_member.id, "t": a_team }))
        .await;
    assert_eq!(
        a_view["user"],
        json!({ "name": "TEAM_MEMBER person", "active": true })
    );
    assert_eq!(
        a_view["team"],
        json!({ "leaders": [{ "id": a_leader.id }], "members": [{ "id": a_member.id }] })
    );
    assert_eq!(a_view["metrics"]["nodes"], json!([{ "name": "AHT" }]));
    assert_eq!(
        a_view["lessons"]["nodes"],
        json!([{ "title": "A's lesson" }])
    );
    assert_eq!(a_view["coachingCategories"]["totalCount"], 4);
    assert_eq!(a_view["metricValues"]["nodes"], json!([{ "value": 1.0 }]));
}

#[tokio::test]
async fn only_the_operator_token_creates_companies() {
    let app = spawn_app().await;
    let anonymous = app.gql(None, "mutation { createCompany(input: { name: \"X\", timeZone: \"UTC\", admin: { name: \"X\", email: \"x@x.example\", password: \"long-enough-pw\" } }) { company { id } } }", json!({})).await;
    assert_eq!(error_code(&anonymous).as_deref(), Some("UNAUTHENTICATED"));
    let bad_zone = app.gql(Some(OPERATOR_TOKEN), "mutation { createCompany(input: { name: \"X\", timeZone: \"Nowhere/Land\", admin: { name: \"X\", email: \"x@x.example\", password: \"long-enough-pw\" } }) { company { id } } }", json!({})).await;
    assert_eq!(bad_zone["errors"][0]["extensions"]["field"], "timeZone");
    // The operator token is not a user: it reads nothing.
    let viewer = app
        .gql(Some(OPERATOR_TOKEN), "{ viewer { id } }", json!({}))
        .await;
    assert_eq!(error_code(&viewer).as_deref(), Some("UNAUTHENTICATED"));
}
