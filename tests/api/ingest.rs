//! Ingested records: idempotent by external id, visible per the person-records rule.

use serde_json::json;

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn ingesting_an_external_id_twice_updates_one_record() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    let agent = app.create_user(admin, "TEAM_MEMBER").await;

    let metric = "mutation($n: String!) { createMetric(input: { name: $n, unit: \"s\", higherIsBetter: false, externalId: \"wfm-aht\" }) { id name } }";
    let first = app.ok(admin, metric, json!({ "n": "AHT" })).await;
    let second = app
        .ok(admin, metric, json!({ "n": "Average Handle Time" }))
        .await;
    assert_eq!(first["createMetric"]["id"], second["createMetric"]["id"]);
    let metric_id = second["createMetric"]["id"].as_str().unwrap();
    let metrics = app
        .ok(
            admin,
            "{ metrics { totalCount nodes { name higherIsBetter inKeySet } } }",
            json!({}),
        )
        .await;
    assert_eq!(metrics["metrics"]["totalCount"], 1);
    assert_eq!(
        metrics["metrics"]["nodes"][0]["name"],
        "Average Handle Time"
    );

    let values = "mutation($m: ID!, $u: ID!, $v: Float!) { recordMetricValues(values: [{ metricId: $m, userId: $u, periodStart: \"2026-01-05\", periodEnd: \"2026-01-11\", value: $v, externalId: \"v-1\" }]) { id value } }";
    let a = app
        .ok(
            admin,
            values,
            json!({ "m": metric_id, "u": agent.id, "v": 300.5 }),
        )
        .await;
    let b = app
        .ok(
            admin,
            values,
            json!({ "m": metric_id, "u": agent.id, "v": 280.25 }),
        )
        .await;
    assert_eq!(
        a["recordMetricValues"][0]["id"],
        b["recordMetricValues"][0]["id"]
    );
    let stored = app
        .ok(
            admin,
            "{ metricValues { totalCount nodes { value user { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(stored["metricValues"]["totalCount"], 1);
    assert_eq!(stored["metricValues"]["nodes"][0]["value"], 280.25);
    assert_eq!(
        stored["metricValues"]["nodes"][0]["user"]["id"],
        agent.id.as_str()
    );

    let feedback = "mutation($u: ID!, $s: Float!) { recordFeedback(input: { userId: $u, score: $s, comment: \"ok\", receivedOn: \"2026-02-01\", channel: \"chat\", externalId: \"fb-9\" }) { id score } }";
    app.ok(admin, feedback, json!({ "u": agent.id, "s": 3.0 }))
        .await;
    app.ok(admin, feedback, json!({ "u": agent.id, "s": 5.0 }))
        .await;
    let qa = "mutation($u: ID!, $s: Float!) { recordQaReview(input: { userId: $u, reviewerName: \"Rita\", score: $s, formName: \"Calls\", reviewedOn: \"2026-02-01\", externalId: \"qa-9\" }) { id } }";
    app.ok(admin, qa, json!({ "u": agent.id, "s": 70.0 })).await;
    app.ok(admin, qa, json!({ "u": agent.id, "s": 95.0 })).await;
    let lesson = "mutation($t: String!) { upsertLesson(input: { title: $t, url: \"https://lessons.example/42\", providerId: \"lessonly\", externalId: \"lesson-42\" }) { id } }";
    app.ok(admin, lesson, json!({ "t": "De-escalation basics" }))
        .await;
    app.ok(admin, lesson, json!({ "t": "De-escalation in depth" }))
        .await;

    let data = app
        .ok(admin, "{ feedbackRecords { totalCount nodes { score } } qaReviews { totalCount nodes { score } } lessons { totalCount nodes { title } } }", json!({}))
        .await;
    assert_eq!(
        data["feedbackRecords"],
        json!({ "totalCount": 1, "nodes": [{ "score": 5.0 }] })
    );
    assert_eq!(
        data["qaReviews"],
        json!({ "totalCount": 1, "nodes": [{ "score": 95.0 }] })
    );
    assert_eq!(
        data["lessons"],
        json!({ "totalCount": 1, "nodes": [{ "title": "De-escalation in depth" }] })
    );
}

#[tokio::test]
async fn a_bad_row_refuses_the_whole_batch_and_names_itself() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    let agent = app.create_user(admin, "TEAM_MEMBER").await;
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
    let response = app
        .gql(
            Some(admin),
            "mutation($m: ID!, $u: ID!) { recordMetricValues(values: [
                { metricId: $m, userId: $u, periodStart: \"2026-01-05\", periodEnd: \"2026-01-11\", value: 1 },
                { metricId: $m, userId: $u, periodStart: \"2026-01-12\", periodEnd: \"2026-01-01\", value: 2 }
            ]) { id } }",
            json!({ "m": metric, "u": agent.id }),
        )
        .await;
    assert_eq!(error_code(&response).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(
        response["errors"][0]["extensions"]["field"],
        "values[1].periodEnd"
    );
    let stored = app
        .ok(admin, "{ metricValues { totalCount } }", json!({}))
        .await;
    assert_eq!(
        stored["metricValues"]["totalCount"], 0,
        "nothing of the batch was kept"
    );
}

#[tokio::test]
async fn records_about_a_person_are_seen_by_them_their_leaders_and_admins() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    let leader = app.create_user(admin, "TEAM_LEADER").await;
    let other_leader = app.create_user(admin, "TEAM_LEADER").await;
    let agent = app.create_user(admin, "TEAM_MEMBER").await;
    let colleague = app.create_user(admin, "TEAM_MEMBER").await;
    app.create_team(admin, &leader, &[&agent, &colleague]).await;
    app.create_team(admin, &other_leader, &[]).await;
    for person in [&agent, &colleague] {
        app.ok(admin, "mutation($u: ID!) { recordFeedback(input: { userId: $u, score: 4, receivedOn: \"2026-02-01\" }) { id } }", json!({ "u": person.id })).await;
        app.ok(admin, "mutation($u: ID!) { recordQaReview(input: { userId: $u, reviewerName: \"R\", score: 4, reviewedOn: \"2026-02-01\" }) { id } }", json!({ "u": person.id })).await;
    }
    // (viewer, how many feedback records and QA reviews they see)
    let table = [
        ("admin", admin, 2),
        ("leader", &leader.token, 2),
        ("other leader", &other_leader.token, 0),
        ("agent", &agent.token, 1),
    ];
    for (who, token, expected) in table {
        let data = app
            .ok(
                token,
                "{ feedbackRecords { totalCount nodes { user { id } } } qaReviews { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(data["feedbackRecords"]["totalCount"], expected, "{who}");
        assert_eq!(data["qaReviews"]["totalCount"], expected, "{who}");
    }
    let own = app
        .ok(
            &agent.token,
            "{ feedbackRecords { nodes { user { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own["feedbackRecords"]["nodes"][0]["user"]["id"],
        agent.id.as_str()
    );
}

#[tokio::test]
async fn lessons_are_filtered_by_title() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = &company.admin.token;
    for (title, n) in [
        ("Handling Angry Callers", 1),
        ("Upselling 101", 2),
        ("100% first call resolution", 3),
    ] {
        app.ok(admin, "mutation($t: String!, $u: String!) { upsertLesson(input: { title: $t, url: $u }) { id } }", json!({ "t": title, "u": format!("https://lessons.example/{n}") })).await;
    }
    let search = |title: &'static str| {
        let app = &app;
        async move {
            app.ok(
                admin,
                "query($t: String) { lessons(title: $t) { nodes { title } } }",
                json!({ "t": title }),
            )
            .await["lessons"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("angry").await, ["Handling Angry Callers"]);
    assert_eq!(
        search("100%").await,
        ["100% first call resolution"],
        "% is literal"
    );
    assert_eq!(search("").await.len(), 3);
    let bad = app.gql(Some(admin), "mutation { upsertLesson(input: { title: \"X\", url: \"javascript:alert(1)\" }) { id } }", json!({})).await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "url");
}
