//! The PDF export of a session (SPEC §3): what the viewer may see of it — title, participants,
//! dates, both shared notes, discussion items, kudos, action items — and their own personal
//! note, never anyone else's. It goes through `authorize` like every other 1:1 read, so the
//! export obeys the same visibility table as the queries.

use chrono::{DateTime, Utc};
use entity::{
    attachment, discussion_item, discussion_item::DiscussionKind, feedback_record, lesson, metric,
    one_on_one, qa_review,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    emails::person,
    items::{kudos_of, shown_action_items},
    notes::{load_shared, own_personal_note},
    service::{Authorized, authorize},
};
use crate::{
    attachments::formats::sanitize_file_name,
    error::{AppError, AppResult},
    notes::{LineStyle, Span},
    pdf::{self, Block, Style},
    policy::Viewer,
    state::AppState,
};

/// A rendered export and the name it is downloaded under.
pub struct ExportedPdf {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The session `id` as a PDF, for a viewer who may see it (`NOT_FOUND` otherwise).
pub async fn export_pdf(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<ExportedPdf> {
    let Authorized { company, session } = authorize(&state.db, viewer, id, None).await?;
    let time_zone: chrono_tz::Tz = company.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let at = |time: DateTime<Utc>| {
        time.with_timezone(&time_zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    let db = &state.db;
    let leader = person(db, session.leader_id).await?;
    let member = person(db, session.member_id).await?;

    let mut blocks = vec![
        Block::new(Style::Title, session.title.clone()),
        Block::new(
            Style::Body,
            format!(
                "Team Leader: {} · Team Member: {}",
                leader.name, member.name
            ),
        ),
        Block::new(
            Style::Body,
            format!(
                "Scheduled: {} · Shared: {} · Created: {}",
                session.scheduled_at.map(at).unwrap_or_else(|| "—".into()),
                session
                    .shared_at
                    .map(at)
                    .unwrap_or_else(|| "not shared".into()),
                at(session.created_at),
            ),
        ),
    ];

    blocks.push(Block::new(Style::Heading, "Shared notes"));
    for author in [&leader, &member] {
        let note = load_shared(db, session.id, author.id).await?;
        blocks.push(Block::new(
            Style::Subheading,
            format!("{}'s notes", author.name),
        ));
        note_blocks(&mut blocks, note.document()?.outline());
    }

    if let Some(note) = own_personal_note(state, viewer, &session).await? {
        blocks.push(Block::new(
            Style::Heading,
            "My personal note (only you see it)",
        ));
        paragraphs(&mut blocks, &note.text, "(empty)");
    }

    blocks.push(Block::new(Style::Heading, "Discussion items"));
    list(&mut blocks, discussion_lines(db, &session).await?);

    blocks.push(Block::new(Style::Heading, "Kudos"));
    list(
        &mut blocks,
        kudos_of(db, &session)
            .await?
            .into_iter()
            .map(|kudo| kudo.text)
            .collect(),
    );

    blocks.push(Block::new(Style::Heading, "Action items"));
    list(
        &mut blocks,
        shown_action_items(db, &session)
            .await?
            .into_iter()
            .map(|item| {
                let mark = if item.done { "[x]" } else { "[ ]" };
                match item.due_on {
                    Some(due) => format!("{mark} {} (due {due})", item.text),
                    None => format!("{mark} {}", item.text),
                }
            })
            .collect(),
    );

    let title = session.title.clone();
    // Laying out and subsetting fonts is CPU work; keep it off the async workers.
    let bytes = tokio::task::spawn_blocking(move || pdf::render(&title, &blocks))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok(ExportedPdf {
        file_name: sanitize_file_name(&format!("{}.pdf", session.title)),
        bytes,
    })
}

/// A text as paragraphs, one per line; `empty` when it has none.
fn paragraphs(blocks: &mut Vec<Block>, text: &str, empty: &str) {
    let before = blocks.len();
    blocks.extend(
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| Block::new(Style::Body, line)),
    );
    if blocks.len() == before {
        blocks.push(Block::new(Style::Body, empty));
    }
}

/// A shared note's lines with their headings, lists and inline formatting.
fn note_blocks(blocks: &mut Vec<Block>, lines: Vec<(LineStyle, Vec<Span>)>) {
    let before = blocks.len();
    blocks.extend(
        lines
            .into_iter()
            .filter(|(_, spans)| spans.iter().any(|span| !span.text.trim().is_empty()))
            .map(|(style, spans)| {
                let style = match style {
                    LineStyle::Paragraph => Style::Body,
                    LineStyle::Heading => Style::Strong,
                    LineStyle::Bullet => Style::Bullet,
                    LineStyle::Numbered(n) => Style::Numbered(n),
                };
                Block::formatted(style, spans)
            }),
    );
    if blocks.len() == before {
        blocks.push(Block::new(Style::Body, "(empty)"));
    }
}

fn list(blocks: &mut Vec<Block>, entries: Vec<String>) {
    if entries.is_empty() {
        blocks.push(Block::new(Style::Body, "None"));
    }
    blocks.extend(entries.into_iter().map(|e| Block::new(Style::Bullet, e)));
}

/// One line per discussion item: what it refers to, then the coaching text.
async fn discussion_lines<C: ConnectionTrait>(
    db: &C,
    session: &one_on_one::Model,
) -> AppResult<Vec<String>> {
    let items = discussion_item::Entity::find()
        .filter(discussion_item::Column::OneOnOneId.eq(session.id))
        .order_by_asc(discussion_item::Column::Id)
        .all(db)
        .await?;
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let subject = match item.kind {
            DiscussionKind::Metric => {
                let value = item
                    .metric_value
                    .map(|v| format!(" = {v}"))
                    .unwrap_or_default();
                let metric =
                    describe::<metric::Entity, _>(db, item.metric_id, "Metric", |m| m.name);
                format!("{}{value}", metric.await?)
            }
            DiscussionKind::Feedback => {
                describe::<feedback_record::Entity, _>(
                    db,
                    item.feedback_record_id,
                    "Feedback",
                    |r| format!("({}, score {}): {}", r.channel, r.score, r.comment),
                )
                .await?
            }
            DiscussionKind::QaReview => {
                describe::<qa_review::Entity, _>(db, item.qa_review_id, "QA review", |r| {
                    format!("{} (score {}): {}", r.form_name, r.score, r.comments)
                })
                .await?
            }
            DiscussionKind::Lesson => {
                describe::<lesson::Entity, _>(db, item.lesson_id, "Lesson", |l| {
                    format!("{} ({})", l.title, l.url)
                })
                .await?
            }
            DiscussionKind::Attachment => {
                describe::<attachment::Entity, _>(db, item.attachment_id, "Attachment", |a| {
                    a.file_name
                })
                .await?
            }
        };
        lines.push(if item.coaching_text.trim().is_empty() {
            subject
        } else {
            format!("{subject} — {}", item.coaching_text)
        });
    }
    Ok(lines)
}

/// `label` and what `detail` says of the record `id` refers to (just `label` when it is gone).
async fn describe<E, C>(
    db: &C,
    id: Option<Uuid>,
    label: &str,
    detail: impl FnOnce(E::Model) -> String,
) -> AppResult<String>
where
    E: EntityTrait,
    C: ConnectionTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let found = match id {
        Some(id) => E::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(match found {
        Some(record) => format!("{label} {}", detail(record)),
        None => label.to_owned(),
    })
}
