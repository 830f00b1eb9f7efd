//! `analytics` (SPEC §7) over HTTP: exact figures for a small company with known data, counted
//! only over what each viewer may see (SPEC §5), in the company's time zone.

use serde_json::{Value, json};

use crate::helpers::{Person, TestApp, error_code, spawn_app};

const ANALYTICS: &str = "query($f: AnalyticsFilter) { analytics(filter: $f) {
    from to timeZone
    categoryUsage { category { name archived } sessions discussionItems actionItems }
    coachingActivity {
        byLeader { leaderId counts { coachedSessions sharedOneOnOnes } }
        byTeam { team { id } counts { coachedSessions sharedOneOnOnes } }
        byWeek { week { startsOn isoWeek } counts { coachedSessions sharedOneOnOnes } }
    }
    actionItems { total done completionRate medianSecondsToComplete }
    kpiVarianceTrend { agentId metricName weeks { week { startsOn } rows averageVariance averageVariancePercent } }
    oneOnOneCadence { leaderId memberId sessions lastSessionOn averageDaysBetween latestDaysBetween }
} }";

const MARCH: (&str, &str) = ("2026-03-01", "2026-03-31");

fn range(from: &str, to: &str) -> Value {
    json!({ "f": { "from": from, "to": to } })
}

async fn analytics(app: &TestApp, viewer: &Person, variables: Value) -> Value {
    app.ok(&viewer.token, ANALYTICS, variables).await["analytics"].clone()
}

/// A shared 1:1 of `leader` with `member` scheduled at `at` (UTC); returns its id.
async fn shared_one_on_one(
    app: &TestApp,
    leader: &Person,
    member: &Person,
    at: &str,
    private: bool,
) -> String {
    let id = draft_one_on_one(app, leader, member, at).await;
    if private {
        app.ok(
            &leader.token,
            "mutation($id: ID!) { updateOneOnOne(id: $id, input: { private: true }) { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    app.ok(
        &leader.token,
        "mutation($id: ID!) { shareOneOnOne(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    id
}

async fn draft_one_on_one(app: &TestApp, leader: &Person, member: &Person, at: &str) -> String {
    app.ok(
        &leader.token,
        "mutation($i: CreateOneOnOneInput!) { createOneOnOne(input: $i) { id } }",
        json!({ "i": { "memberId": member.id, "scheduledAt": at } }),
    )
    .await["createOneOnOne"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Adds an action item (in `category` if given), marked done when `done`.
async fn action_item(
    app: &TestApp,
    by: &Person,
    session: &str,
    category: Option<&str>,
    done: bool,
) {
    let item = app
        .ok(
            &by.token,
            "mutation($id: ID!, $c: ID) { addActionItem(oneOnOneId: $id, input: { text: \"Do it\", categoryId: $c }) { id } }",
            json!({ "id": session, "c": category }),
        )
        .await["addActionItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    if done {
        app.ok(
            &by.token,
            "mutation($a: ID!) { setActionItemDone(id: $a, done: true) { done } }",
            json!({ "a": item }),
        )
        .await;
    }
}

/// The company's categories by name.
async fn categories(app: &TestApp, admin: &Person) -> std::collections::HashMap<String, String> {
    app.ok(
        &admin.token,
        "{ coachingCategories { nodes { id name } } }",
        json!({}),
    )
    .await["coachingCategories"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `(name, sessions, discussionItems, actionItems, archived)` per listed category.
fn usage(analytics: &Value) -> Vec<(String, i64, i64, i64, bool)> {
    analytics["categoryUsage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["category"]["name"].as_str().unwrap().to_owned(),
                u["sessions"].as_i64().unwrap(),
                u["discussionItems"].as_i64().unwrap(),
                u["actionItems"].as_i64().unwrap(),
                u["category"]["archived"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// `(leaderId, memberId, sessions, averageDaysBetween, latestDaysBetween)` per pair.
fn cadence(analytics: &Value) -> Vec<(String, String, i64, Value, Value)> {
    let mut pairs: Vec<_> = analytics["oneOnOneCadence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["leaderId"].as_str().unwrap().to_owned(),
                c["memberId"].as_str().unwrap().to_owned(),
                c["sessions"].as_i64().unwrap(),
                c["averageDaysBetween"].clone(),
                c["latestDaysBetween"].clone(),
            )
        })
        .collect();
    pairs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    pairs
}

/// `(leaderId, sharedOneOnOnes)` per leader, sorted.
fn shared_by_leader(analytics: &Value) -> Vec<(String, Value)> {
    let mut rows: Vec<_> = analytics["coachingActivity"]["byLeader"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["leaderId"].as_str().unwrap().to_owned(),
                r["counts"]["sharedOneOnOnes"].clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

struct World {
    admin: Person,
    /// Leads `team_one` (`member_one`, `member_two`).
    leader_one: Person,
    /// Leads `team_two` (`member_three`).
    leader_two: Person,
    member_one: Person,
    member_two: Person,
    member_three: Person,
    team_one: String,
    team_two: String,
    category: std::collections::HashMap<String, String>,
}

async fn world(app: &TestApp) -> World {
    let company = app.create_company("Acme").await;
    let admin = company.admin;
    let leader_one = app.create_user(&admin.token, "TEAM_LEADER").await;
    let leader_two = app.create_user(&admin.token, "TEAM_LEADER").await;
    let member_one = app.create_user(&admin.token, "TEAM_MEMBER").await;
    let member_two = app.create_user(&admin.token, "TEAM_MEMBER").await;
    let member_three = app.create_user(&admin.token, "TEAM_MEMBER").await;
    let team_one = app
        .create_team(&admin.token, &leader_one, &[&member_one, &member_two])
        .await;
    let team_two = app
        .create_team(&admin.token, &leader_two, &[&member_three])
        .await;
    let category = categories(app, &admin).await;
    World {
        admin,
        leader_one,
        leader_two,
        member_one,
        member_two,
        member_three,
        team_one,
        team_two,
        category,
    }
}

/// Known 1:1 data in March 2026 (Europe/Berlin), visibility default on ("private by
/// default": Team Leaders see only their members' sessions):
///
/// - leader one – member one, shared on the 2nd, 9th and 23rd: the 2nd has a lesson discussed
///   under Quality, an action item under Quality and an uncategorized one that is done; the
///   9th an action item under Productivity (archived afterwards).
/// - the same pair, private and shared on the 16th, with an action item under Quality.
/// - leader one – member two, a draft on the 4th with an action item under Quality.
/// - leader two – member three, shared on the 5th, with a done action item under Other.
/// - another company's pair, shared on the 3rd, with an action item under its Quality.
async fn one_on_one_data(app: &TestApp, w: &World) {
    let quality = w.category["Quality"].as_str();
    let lesson = app
        .ok(
            &w.admin.token,
            "mutation { upsertLesson(input: { title: \"Empathy\", url: \"https://lessons.example/e\" }) { id } }",
            json!({}),
        )
        .await["upsertLesson"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (l1, m1) = (&w.leader_one, &w.member_one);
    let second = shared_one_on_one(app, l1, m1, "2026-03-02T10:00:00Z", false).await;
    app.ok(
        &m1.token,
        "mutation($id: ID!, $l: ID!, $c: ID!) { addDiscussionItem(oneOnOneId: $id, input: { lessonId: $l, categoryId: $c }) { id } }",
        json!({ "id": second, "l": lesson, "c": quality }),
    )
    .await;
    action_item(app, l1, &second, Some(quality), false).await;
    action_item(app, m1, &second, None, true).await;
    let ninth = shared_one_on_one(app, l1, m1, "2026-03-09T10:00:00Z", false).await;
    action_item(app, l1, &ninth, Some(&w.category["Productivity"]), false).await;
    let private = shared_one_on_one(app, l1, m1, "2026-03-16T10:00:00Z", true).await;
    action_item(app, l1, &private, Some(quality), false).await;
    shared_one_on_one(app, l1, m1, "2026-03-23T10:00:00Z", false).await;

    let draft = draft_one_on_one(app, l1, &w.member_two, "2026-03-04T10:00:00Z").await;
    action_item(app, l1, &draft, Some(quality), false).await;

    let fifth = shared_one_on_one(
        app,
        &w.leader_two,
        &w.member_three,
        "2026-03-05T10:00:00Z",
        false,
    )
    .await;
    action_item(
        app,
        &w.member_three,
        &fifth,
        Some(&w.category["Other"]),
        true,
    )
    .await;

    // Archived after use: still listed. Stella, archived unused, is not.
    for name in ["Productivity", "Stella"] {
        app.ok(
            &w.admin.token,
            "mutation($id: ID!) { archiveCoachingCategory(id: $id) { id } }",
            json!({ "id": w.category[name] }),
        )
        .await;
    }

    let elsewhere = app.create_company("Elsewhere").await.admin;
    let their_leader = app.create_user(&elsewhere.token, "TEAM_LEADER").await;
    let their_member = app.create_user(&elsewhere.token, "TEAM_MEMBER").await;
    app.create_team(&elsewhere.token, &their_leader, &[&their_member])
        .await;
    let theirs = shared_one_on_one(
        app,
        &their_leader,
        &their_member,
        "2026-03-03T10:00:00Z",
        false,
    )
    .await;
    let their_quality = categories(app, &elsewhere).await["Quality"].clone();
    action_item(app, &their_leader, &theirs, Some(&their_quality), true).await;
}

#[tokio::test]
async fn figures_are_exact_and_count_only_what_the_viewer_sees() {
    let app = spawn_app().await;
    let w = world(&app).await;
    one_on_one_data(&app, &w).await;
    let (from, to) = MARCH;
    let (l1, l2, m1, m3) = (
        w.leader_one.id.clone(),
        w.leader_two.id.clone(),
        w.member_one.id.clone(),
        w.member_three.id.clone(),
    );
    let row = |name: &str, sessions, discussed, actions, archived| {
        (name.to_owned(), sessions, discussed, actions, archived)
    };

    // The admin sees every shared, non-private 1:1 of the company: not the private one, not
    // the draft, nothing of the other company.
    let seen = analytics(&app, &w.admin, range(from, to)).await;
    assert_eq!(seen["from"], from);
    assert_eq!(seen["to"], to);
    assert_eq!(seen["timeZone"], "Europe/Berlin");
    assert_eq!(
        usage(&seen),
        [
            row("Other", 1, 0, 1, false),
            row("Productivity", 1, 0, 1, true),
            row("Quality", 1, 1, 1, false),
        ]
    );
    assert_eq!(seen["actionItems"]["total"], 4);
    assert_eq!(seen["actionItems"]["done"], 2);
    assert_eq!(seen["actionItems"]["completionRate"], 0.5);
    let median = seen["actionItems"]["medianSecondsToComplete"]
        .as_i64()
        .expect("two items are done");
    assert!((0..600).contains(&median), "{median}");
    assert_eq!(cadence(&seen), {
        let mut expected = vec![
            (l1.clone(), m1.clone(), 3, json!(10.5), json!(14)),
            (l2.clone(), m3.clone(), 1, Value::Null, Value::Null),
        ];
        expected.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        expected
    });
    assert_eq!(shared_by_leader(&seen), {
        let mut expected = vec![(l1.clone(), json!(3)), (l2.clone(), json!(1))];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        expected
    });

    // Leader one sees their own sessions, the private one too, but not leader two's (the
    // company keeps 1:1s private by default) and not their own draft (not held yet).
    let own_figures = [
        row("Other", 0, 0, 0, false),
        row("Productivity", 1, 0, 1, true),
        row("Quality", 2, 1, 2, false),
    ];
    for participant in [&w.leader_one, &w.member_one] {
        let seen = analytics(&app, participant, range(from, to)).await;
        assert_eq!(usage(&seen), own_figures);
        assert_eq!(
            seen["actionItems"],
            json!({ "total": 4, "done": 1, "completionRate": 0.25,
                    "medianSecondsToComplete": seen["actionItems"]["medianSecondsToComplete"] })
        );
        assert_eq!(
            cadence(&seen),
            [(l1.clone(), m1.clone(), 4, json!(7.0), json!(7))]
        );
        assert_eq!(shared_by_leader(&seen), [(l1.clone(), json!(4))]);
    }

    // Leader two sees only their own pair.
    let seen = analytics(&app, &w.leader_two, range(from, to)).await;
    assert_eq!(usage(&seen)[0], row("Other", 1, 0, 1, false));
    assert_eq!(seen["actionItems"]["total"], 1);
    assert_eq!(seen["actionItems"]["completionRate"], 1.0);
    assert_eq!(cadence(&seen).len(), 1);

    // Member two's only session is a draft: nothing at all.
    let seen = analytics(&app, &w.member_two, range(from, to)).await;
    assert_eq!(
        seen["actionItems"],
        json!({ "total": 0, "done": 0, "completionRate": null, "medianSecondsToComplete": null })
    );
    assert_eq!(seen["oneOnOneCadence"], json!([]));
    assert!(usage(&seen).iter().all(|(_, s, d, a, _)| s + d + a == 0));
    assert_eq!(seen["coachingActivity"]["byLeader"], json!([]));
}

#[tokio::test]
async fn weeks_and_dates_are_the_company_time_zone() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // Berlin is UTC+1 in early March: 22:30Z on Sunday the 8th is still Sunday there, 23:30Z
    // is already Monday the 9th — the next ISO week.
    for at in ["2026-03-08T22:30:00Z", "2026-03-08T23:30:00Z"] {
        shared_one_on_one(&app, &w.leader_one, &w.member_one, at, false).await;
    }

    let seen = analytics(&app, &w.admin, range("2026-03-02", "2026-03-15")).await;
    let weeks: Vec<(Value, Value, Value)> = seen["coachingActivity"]["byWeek"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["week"]["startsOn"].clone(),
                w["week"]["isoWeek"].clone(),
                w["counts"]["sharedOneOnOnes"].clone(),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        [
            (json!("2026-03-02"), json!("2026-W10"), json!(1)),
            (json!("2026-03-09"), json!("2026-W11"), json!(1)),
        ]
    );
    // A day apart in local dates, though an hour apart in time.
    assert_eq!(
        cadence(&seen),
        [(
            w.leader_one.id.clone(),
            w.member_one.id.clone(),
            2,
            json!(1.0),
            json!(1)
        )]
    );

    // The range is of local dates, both ends included.
    for (from, to, expected) in [
        ("2026-03-02", "2026-03-08", 1),
        ("2026-03-09", "2026-03-09", 1),
        ("2026-03-08", "2026-03-09", 2),
        ("2026-03-10", "2026-03-31", 0),
    ] {
        let seen = analytics(&app, &w.admin, range(from, to)).await;
        let counted: i64 = seen["oneOnOneCadence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sessions"].as_i64().unwrap())
            .sum();
        assert_eq!(counted, expected, "{from}..{to}");
    }
}

#[tokio::test]
async fn the_team_filter_keeps_that_team_members_sessions() {
    let app = spawn_app().await;
    let w = world(&app).await;
    one_on_one_data(&app, &w).await;
    let (from, to) = MARCH;

    let for_team = |team: &str| json!({ "f": { "from": from, "to": to, "teamId": team } });
    let seen = analytics(&app, &w.admin, for_team(&w.team_two)).await;
    assert_eq!(seen["actionItems"]["total"], 1);
    assert_eq!(
        seen["coachingActivity"]["byTeam"],
        json!([{ "team": { "id": w.team_two }, "counts": { "coachedSessions": 0, "sharedOneOnOnes": 1 } }])
    );
    assert_eq!(cadence(&seen).len(), 1);
    assert_eq!(cadence(&seen)[0].1, w.member_three.id);

    let seen = analytics(&app, &w.admin, for_team(&w.team_one)).await;
    assert_eq!(seen["actionItems"]["total"], 3);
    assert_eq!(
        seen["coachingActivity"]["byTeam"],
        json!([{ "team": { "id": w.team_one }, "counts": { "coachedSessions": 0, "sharedOneOnOnes": 3 } }])
    );

    // Unfiltered, each team has its own row, most active first.
    let seen = analytics(&app, &w.admin, range(from, to)).await;
    let teams: Vec<&Value> = seen["coachingActivity"]["byTeam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["team"]["id"])
        .collect();
    assert_eq!(teams, [&json!(w.team_one), &json!(w.team_two)]);
}

#[tokio::test]
async fn a_bad_filter_names_its_field() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let foreign_team = {
        let elsewhere = app.create_company("Elsewhere").await.admin;
        let leader = app.create_user(&elsewhere.token, "TEAM_LEADER").await;
        app.create_team(&elsewhere.token, &leader, &[]).await
    };
    for (filter, field) in [
        (json!({ "from": "2026-03-02", "to": "2026-03-01" }), "to"),
        (json!({ "from": "2024-01-01", "to": "2026-01-01" }), "from"),
        (json!({ "teamId": foreign_team }), "teamId"),
        (json!({ "teamId": "not-an-id" }), "teamId"),
    ] {
        let response = app
            .gql(Some(&w.admin.token), ANALYTICS, json!({ "f": filter }))
            .await;
        assert_eq!(
            error_code(&response).as_deref(),
            Some("BAD_USER_INPUT"),
            "{filter}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{filter}"
        );
    }
    // Exactly two years (with a leap day) is allowed.
    analytics(&app, &w.admin, range("2024-01-01", "2025-12-31")).await;

    let response = app.gql(None, ANALYTICS, json!({})).await;
    assert_eq!(error_code(&response).as_deref(), Some("UNAUTHENTICATED"));
}

/// Who asks which 1:1 part, by the company's switches: 1:1s off → `FEATURE_DISABLED` for
/// everyone; permissions off → `FORBIDDEN` but for admins. Coaching activity stays, with
/// `sharedOneOnOnes` null when 1:1s are not the viewer's.
#[tokio::test]
async fn one_on_one_parts_follow_the_company_switches() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (from, to) = MARCH;
    let settings = "mutation($i: UpdateCompanySettingsInput!) { updateCompanySettings(input: $i) { oneOnOnesEnabled } }";

    app.ok(
        &w.admin.token,
        settings,
        json!({ "i": { "oneOnOnePermissionsEnabled": false } }),
    )
    .await;
    let cases: [(&Person, Option<&str>); 2] =
        [(&w.admin, None), (&w.leader_one, Some("FORBIDDEN"))];
    for (viewer, refused) in cases {
        check_switches(&app, viewer, range(from, to), refused).await;
    }

    app.ok(
        &w.admin.token,
        settings,
        json!({ "i": { "oneOnOnePermissionsEnabled": true, "oneOnOnesEnabled": false } }),
    )
    .await;
    for viewer in [&w.admin, &w.leader_one] {
        check_switches(&app, viewer, range(from, to), Some("FEATURE_DISABLED")).await;
    }
}

async fn check_switches(app: &TestApp, viewer: &Person, variables: Value, refused: Option<&str>) {
    for part in [
        "categoryUsage { sessions }",
        "actionItems { total }",
        "oneOnOneCadence { sessions }",
    ] {
        let response = app
            .gql(
                Some(&viewer.token),
                &format!("query($f: AnalyticsFilter) {{ analytics(filter: $f) {{ {part} }} }}"),
                variables.clone(),
            )
            .await;
        assert_eq!(
            error_code(&response).as_deref(),
            refused,
            "{part}: {response}"
        );
    }
    let weeks = app
        .ok(
            &viewer.token,
            "query($f: AnalyticsFilter) { analytics(filter: $f) { coachingActivity { byWeek { counts { coachedSessions sharedOneOnOnes } } } } }",
            variables,
        )
        .await;
    let first = &weeks["analytics"]["coachingActivity"]["byWeek"][0]["counts"];
    assert_eq!(first["coachedSessions"], 0);
    assert_eq!(
        first["sharedOneOnOnes"],
        if refused.is_some() {
            Value::Null
        } else {
            json!(0)
        }
    );
}

/// A form with one required KPI step; returns the form and its step.
async fn kpi_form(app: &TestApp, coach: &Person) -> (String, String) {
    let form = app
        .ok(
            &coach.token,
            "mutation { createCoachingForm(input: { name: \"Weekly KPIs\", steps: [{ kind: KPI, title: \"KPIs\", required: true }] }) { id steps { id } } }",
            json!({}),
        )
        .await["createCoachingForm"]
        .clone();
    (
        form["id"].as_str().unwrap().to_owned(),
        form["steps"][0]["id"].as_str().unwrap().to_owned(),
    )
}

/// Starts a session with `rows` as its KPI rows; completes it when `coached`.
async fn kpi_session(
    app: &TestApp,
    coach: &Person,
    agent: &Person,
    (form, step): &(String, String),
    rows: Value,
    coached: bool,
) {
    let id = app
        .ok(
            &coach.token,
            "mutation($a: ID!, $f: ID!) { startCoachingSession(agentId: $a, formId: $f) { id } }",
            json!({ "a": agent.id, "f": form }),
        )
        .await["startCoachingSession"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let input = json!({ "steps": [{ "stepId": step, "kpiRows": rows }] });
    if coached {
        app.ok(
            &coach.token,
            "mutation($id: ID!, $i: CoachingSessionInput!) { completeCoachingSession(id: $id, input: $i, confirm: true) { id } }",
            json!({ "id": id, "i": input }),
        )
        .await;
    } else {
        app.ok(
            &coach.token,
            "mutation($id: ID!, $i: CoachingSessionInput!) { saveCoachingSession(id: $id, input: $i) { id } }",
            json!({ "id": id, "i": input }),
        )
        .await;
    }
}

#[tokio::test]
async fn kpi_variance_trend_and_coaching_activity_follow_coaching_visibility() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let form = kpi_form(&app, &w.leader_one).await;
    kpi_session(
        &app,
        &w.leader_one,
        &w.member_one,
        &form,
        json!([
            { "metricName": "CSAT", "goal": "0.1", "actual": "0.3" },
            { "metricName": "AHT", "goal": "90", "actual": "80" },
            { "metricName": "New", "goal": "0", "actual": "5" },
        ]),
        true,
    )
    .await;
    kpi_session(
        &app,
        &w.leader_one,
        &w.member_one,
        &form,
        json!([{ "metricName": "CSAT", "goal": "0.2", "actual": "0.3" }]),
        true,
    )
    .await;
    // A draft counts for no one, not even its coach.
    kpi_session(
        &app,
        &w.leader_one,
        &w.member_one,
        &form,
        json!([{ "metricName": "CSAT", "goal": "1", "actual": "100" }]),
        false,
    )
    .await;

    // Coached today: the default range (the last 90 days) holds them.
    let expected_trend = |week: &Value| {
        json!([
            { "agentId": w.member_one.id, "metricName": "AHT", "weeks": [
                { "week": week, "rows": 1, "averageVariance": "-10", "averageVariancePercent": "-11.11" } ] },
            { "agentId": w.member_one.id, "metricName": "CSAT", "weeks": [
                { "week": week, "rows": 2, "averageVariance": "0.15", "averageVariancePercent": "125" } ] },
            { "agentId": w.member_one.id, "metricName": "New", "weeks": [
                { "week": week, "rows": 1, "averageVariance": "5", "averageVariancePercent": null } ] },
        ])
    };
    for viewer in [&w.admin, &w.leader_one, &w.member_one] {
        let seen = analytics(&app, viewer, json!({})).await;
        let trend = &seen["kpiVarianceTrend"];
        assert_eq!(*trend, expected_trend(&trend[0]["weeks"][0]["week"]));
        let this_week = seen["coachingActivity"]["byWeek"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(
            this_week["week"]["startsOn"],
            trend[0]["weeks"][0]["week"]["startsOn"]
        );
        assert_eq!(this_week["counts"]["coachedSessions"], 2);
        assert_eq!(
            seen["coachingActivity"]["byLeader"],
            json!([{ "leaderId": w.leader_one.id, "counts": { "coachedSessions": 2, "sharedOneOnOnes": 0 } }])
        );
        assert_eq!(
            seen["coachingActivity"]["byTeam"],
            json!([{ "team": { "id": w.team_one }, "counts": { "coachedSessions": 2, "sharedOneOnOnes": 0 } }])
        );
    }

    // Leader two does not lead member one's team; member two is someone else.
    for viewer in [&w.leader_two, &w.member_two] {
        let seen = analytics(&app, viewer, json!({})).await;
        assert_eq!(seen["kpiVarianceTrend"], json!([]));
        assert_eq!(seen["coachingActivity"]["byLeader"], json!([]));
    }

    // The team filter keeps the agent's team only.
    let other_team = json!({ "f": { "teamId": w.team_two } });
    let seen = analytics(&app, &w.admin, other_team).await;
    assert_eq!(seen["kpiVarianceTrend"], json!([]));
}
