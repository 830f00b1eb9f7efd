//! The emails a 1:1 sends: the share notice and the recap. They are composed from what both
//! participants may see — never a personal note — and queued in the caller's transaction.

use entity::{one_on_one, user};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::{
    items::{kudos_of, shown_action_items},
    notes::load_shared,
};
use crate::{
    config::Config,
    email::{self, OutgoingEmail},
    error::{AppError, AppResult},
};

pub fn escape(text: &str) -> String {
    ammonia::clean_text(text)
}

fn link(config: &Config, session: &one_on_one::Model) -> String {
    format!("{}/one-on-ones/{}", config.public_base_url, session.id)
}

pub async fn person<C: ConnectionTrait>(db: &C, id: uuid::Uuid) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("participant {id} missing")))
}

pub async fn enqueue_share<C: ConnectionTrait>(
    db: &C,
    config: &Config,
    session: &one_on_one::Model,
) -> AppResult<()> {
    let leader = person(db, session.leader_id).await?;
    let member = person(db, session.member_id).await?;
    let url = link(config, session);
    let subject = format!("{} shared a 1:1 with you: {}", leader.name, session.title);
    let text = format!(
        "Hi {},\n\n{} shared the 1:1 \"{}\" with you.\n\nOpen it: {url}\n",
        member.name, leader.name, session.title
    );
    let html = format!(
        "<p>Hi {},</p><p>{} shared the 1:1 <strong>{}</strong> with you.</p><p><a href=\"{}\">Open the 1:1</a></p>",
        escape(&member.name),
        escape(&leader.name),
        escape(&session.title),
        escape(&url),
    );
    email::enqueue(
        db,
        OutgoingEmail {
            company_id: Some(session.company_id),
            to: member.email,
            subject,
            text,
            html,
        },
    )
    .await?;
    Ok(())
}

/// The recap goes to both participants.
pub async fn enqueue_recap<C: ConnectionTrait>(
    db: &C,
    config: &Config,
    session: &one_on_one::Model,
) -> AppResult<()> {
    let leader = person(db, session.leader_id).await?;
    let member = person(db, session.member_id).await?;
    let mut text = format!("1:1 recap: {}\n{}\n", session.title, link(config, session));
    let mut html = format!(
        "<h1>1:1 recap: {}</h1><p><a href=\"{}\">Open the 1:1</a></p>",
        escape(&session.title),
        escape(&link(config, session))
    );
    for author in [&leader, &member] {
        let note = load_shared(db, session.id, author.id).await?;
        let rendered = note.document()?.html();
        text.push_str(&format!("\n{}'s notes\n{}\n", author.name, note.text));
        html.push_str(&format!(
            "<h2>{}'s notes</h2>{rendered}",
            escape(&author.name)
        ));
    }
    let items = shown_action_items(db, session).await?;
    text.push_str("\nAction items\n");
    html.push_str("<h2>Action items</h2><ul>");
    for item in &items {
        let mark = if item.done { "[x]" } else { "[ ]" };
        let due = item
            .due_on
            .map(|d| format!(" (due {d})"))
            .unwrap_or_default();
        text.push_str(&format!("{mark} {}{due}\n", item.text));
        html.push_str(&format!(
            "<li>{mark} {}{}</li>",
            escape(&item.text),
            escape(&due)
        ));
    }
    html.push_str("</ul>");
    let kudos = kudos_of(db, session).await?;
    text.push_str("\nKudos\n");
    html.push_str("<h2>Kudos</h2><ul>");
    for kudo in &kudos {
        text.push_str(&format!("* {}\n", kudo.text));
        html.push_str(&format!("<li>{}</li>", escape(&kudo.text)));
    }
    html.push_str("</ul>");
    for recipient in [&leader, &member] {
        email::enqueue(
            db,
            OutgoingEmail {
                company_id: Some(session.company_id),
                to: recipient.email.clone(),
                subject: format!("1:1 recap: {}", session.title),
                text: text.clone(),
                html: html.clone(),
            },
        )
        .await?;
    }
    Ok(())
}
