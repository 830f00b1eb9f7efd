//! The email a coached session sends its agent: who coached them on which form, their
//! commitments and a link. Queued in the completing transaction.

use entity::coaching_session;
use sea_orm::ConnectionTrait;

use super::steps::{Content, Step, StepKind};
use crate::{
    config::Config,
    email::{self, OutgoingEmail},
    error::AppResult,
    one_on_ones::emails::{escape, person},
};

pub async fn enqueue_coached<C: ConnectionTrait>(
    db: &C,
    config: &Config,
    session: &coaching_session::Model,
    content: &Content,
    steps: &[Step],
) -> AppResult<()> {
    let coach = person(db, session.coach_id).await?;
    let agent = person(db, session.agent_id).await?;
    let url = format!(
        "{}/coaching-sessions/{}",
        config.public_base_url, session.id
    );
    let subject = format!("{} coached you: {}", coach.name, session.form_name);
    let mut text = format!(
        "Hi {},\n\n{} completed your coaching session \"{}\".\n",
        agent.name, coach.name, session.form_name
    );
    let mut html = format!(
        "<p>Hi {},</p><p>{} completed your coaching session <strong>{}</strong>.</p>",
        escape(&agent.name),
        escape(&coach.name),
        escape(&session.form_name),
    );
    let commitments: Vec<_> = steps
        .iter()
        .filter(|s| s.kind == StepKind::Commitment)
        .filter_map(|s| content.answer(s.id))
        .flat_map(|a| a.commitments.iter())
        .collect();
    if !commitments.is_empty() {
        text.push_str("\nYour commitments\n");
        html.push_str("<h2>Your commitments</h2><ul>");
        for c in commitments {
            let due = c.due_on.map(|d| format!(" (due {d})")).unwrap_or_default();
            let what = c.text.as_deref().unwrap_or_default();
            text.push_str(&format!("* {what}{due}\n"));
            html.push_str(&format!("<li>{}{}</li>", escape(what), escape(&due)));
        }
        html.push_str("</ul>");
    }
    text.push_str(&format!("\nOpen it: {url}\n"));
    html.push_str(&format!(
        "<p><a href=\"{}\">Open the coaching session</a></p>",
        escape(&url)
    ));
    email::enqueue(
        db,
        OutgoingEmail {
            company_id: Some(session.company_id),
            to: agent.email,
            subject,
            text,
            html,
        },
    )
    .await?;
    Ok(())
}
