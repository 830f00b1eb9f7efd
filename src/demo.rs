//! The demo company that `cargo run` seeds into an empty development database, so a new
//! developer can log in and click through at once.

use chrono::{Datelike, Duration, Utc};
use entity::{
    company, feedback_record, metric, metric_value, qa_review, team, team_membership, user,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, PaginatorTrait};
use uuid::Uuid;

use crate::{
    auth::password,
    error::AppError,
    org::service::{NewCompany, NewPerson, create_company},
    state::AppState,
};

pub const ADMIN_EMAIL: &str = "admin@demo.example";

const TEAMS: [(&str, &str, [&str; 4]); 2] = [
    (
        "Billing Support",
        "Lena Fischer",
        ["Amir Haddad", "Bea Santos", "Chen Wei", "Dara Okafor"],
    ),
    (
        "Technical Support",
        "Marcus Reyes",
        ["Elif Kaya", "Finn Larsen", "Grace Mbeki", "Hugo Moreau"],
    ),
];

/// (name, unit, higher is better, weekly baseline)
const METRICS: [(&str, &str, bool, f64); 4] = [
    ("Average Handle Time", "seconds", false, 420.0),
    ("Customer Satisfaction", "%", true, 86.0),
    ("First Contact Resolution", "%", true, 72.0),
    ("Quality Score", "points", true, 88.0),
];

fn email_of(name: &str) -> String {
    format!("{}@demo.example", name.to_lowercase().replace(' ', "."))
}

/// Seeds the demo company when the database has no company; `false` when it had one.
pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<bool> {
    if company::Entity::find().count(&state.db).await? > 0 {
        return Ok(false);
    }
    let failed = |e: AppError| anyhow::anyhow!("seeding the demo company failed: {e:?}");
    let (company, _admin) = create_company(
        state,
        NewCompany {
            name: "Demo Contact Center".into(),
            time_zone: "America/New_York".into(),
            admin: NewPerson {
                name: "Ada Admin".into(),
                email: ADMIN_EMAIL.into(),
                password: state.config.demo_password.clone(),
            },
        },
    )
    .await
    .map_err(failed)?;
    // Every demo user shares the demo password, so one hash serves all of them.
    let password_hash = password::hash(&state.config.demo_password)
        .await
        .map_err(failed)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let mut members = Vec::new();
    for (team_name, leader_name, member_names) in TEAMS {
        let team = team::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(company.id),
            name: Set(team_name.into()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let people = std::iter::once((leader_name, user::Role::TeamLeader))
            .chain(member_names.iter().map(|n| (*n, user::Role::TeamMember)));
        for (name, role) in people {
            let person = user::ActiveModel {
                id: Set(Uuid::now_v7()),
                company_id: Set(company.id),
                name: Set(name.into()),
                email: Set(email_of(name)),
                password_hash: Set(password_hash.clone()),
                role: Set(role),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                sight_changed_at: Set(None),
            }
            .insert(&txn)
            .await?;
            team_membership::ActiveModel {
                team_id: Set(team.id),
                user_id: Set(person.id),
                role: Set(match role {
                    user::Role::TeamLeader => team_membership::TeamRole::Leader,
                    _ => team_membership::TeamRole::Member,
                }),
                company_id: Set(company.id),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            if role == user::Role::TeamMember {
                members.push(person);
            }
        }
    }

    let today = now.date_naive();
    let this_monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    for (metric_index, (name, unit, higher_is_better, baseline)) in METRICS.iter().enumerate() {
        let metric = metric::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(company.id),
            name: Set((*name).into()),
            unit: Set((*unit).into()),
            higher_is_better: Set(*higher_is_better),
            in_key_set: Set(true),
            external_id: Set(Some(format!("demo-metric-{metric_index}"))),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        for (member_index, member) in members.iter().enumerate() {
            for week in 1..=6i64 {
                let start = this_monday - Duration::weeks(week);
                // A small deterministic spread so charts have something to show.
                let wiggle =
                    ((member_index as i64 * 7 + week * 3 + metric_index as i64) % 9 - 4) as f64;
                metric_value::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    company_id: Set(company.id),
                    metric_id: Set(metric.id),
                    user_id: Set(member.id),
                    period_start: Set(start),
                    period_end: Set(start + Duration::days(6)),
                    value: Set(baseline + wiggle * baseline / 100.0),
                    external_id: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?;
            }
        }
    }

    let comments = [
        (
            "Resolved my billing issue in one call, very friendly.",
            5.0,
            "phone",
        ),
        ("Had to repeat my account number twice.", 3.0, "chat"),
        ("Quick and clear answer.", 4.0, "email"),
    ];
    for (member_index, member) in members.iter().enumerate() {
        let (comment, score, channel) = comments[member_index % comments.len()];
        feedback_record::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(company.id),
            user_id: Set(member.id),
            score: Set(score),
            comment: Set(comment.into()),
            received_on: Set(today - Duration::days(member_index as i64 + 1)),
            channel: Set(channel.into()),
            external_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        qa_review::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(company.id),
            user_id: Set(member.id),
            reviewer_name: Set("QA Team".into()),
            score: Set(80.0 + (member_index % 5) as f64 * 4.0),
            form_name: Set("Standard Call Review".into()),
            comments: Set("Good empathy; confirm the resolution before closing.".into()),
            reviewed_on: Set(today - Duration::days(member_index as i64 + 2)),
            external_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}
