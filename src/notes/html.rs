//! Quill-delta → HTML for queries, emails and PDFs.
//!
//! The note's formatting is whatever collaborators typed, so nothing here is trusted: text is
//! escaped while building, links are only emitted for an explicit scheme allow-list, and the
//! finished markup still goes through ammonia with an allow-list of exactly the tags this module
//! can produce. The first two steps keep the output tidy; ammonia is the guarantee.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use yrs::Any;
use yrs::types::Attrs;

/// One run of text with the same attributes, as `Text::diff` yields it (embeds never reach a
/// note: `wire::check_update` refuses them).
pub(super) struct Run<'a> {
    pub text: &'a str,
    pub attrs: Option<&'a Attrs>,
}

const TAGS: [&str; 16] = [
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "u", "s", "a",
    "code",
];
const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Built once: the builder holds several hash sets and is immutable after construction.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from(TAGS))
        .generic_attributes(HashSet::new())
        .generic_attribute_prefixes(HashSet::new())
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .tag_attribute_values(HashMap::new())
        .allowed_classes(HashMap::new())
        .url_schemes(HashSet::from(URL_SCHEMES))
        // Relative URLs have no scheme to check and would resolve against our own origin.
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    builder
});

#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Bullet,
    Ordered,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Paragraph,
    Header(u8),
    List(ListKind),
}

/// One line of a note with the block formatting its closing "\n" carries, and its runs.
struct Line<'a> {
    block: Block,
    runs: Vec<Run<'a>>,
}

/// Splits runs into lines: in Quill every "\n" ends a line and carries that line's block
/// attributes (header, list).
fn lines<'a>(runs: &[Run<'a>]) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let mut current: Vec<Run<'a>> = Vec::new();
    let mut has_content = false;
    for run in runs {
        let mut pieces = run.text.split('\n');
        // `split` always yields at least one piece; every further piece starts after a "\n".
        if let Some(first) = pieces.next()
            && !first.is_empty()
        {
            current.push(Run {
                text: first,
                attrs: run.attrs,
            });
            has_content = true;
        }
        for piece in pieces {
            lines.push(Line {
                block: block_of(run.attrs),
                runs: std::mem::take(&mut current),
            });
            has_content = !piece.is_empty();
            if has_content {
                current.push(Run {
                    text: piece,
                    attrs: run.attrs,
                });
            }
        }
    }
    // Quill documents end with "\n"; ours may not (plain-text clients), so keep the tail.
    if has_content {
        lines.push(Line {
            block: Block::Paragraph,
            runs: current,
        });
    }
    lines
}

/// Renders runs of a Quill-convention Y.Text as sanitized HTML.
pub(super) fn render(runs: &[Run<'_>]) -> String {
    let mut out = String::new();
    let mut open_list: Option<ListKind> = None;
    for line in lines(runs) {
        let mut inner = String::new();
        for run in &line.runs {
            push_inline(&mut inner, run.text, run.attrs);
        }
        finish_line(&mut out, &mut open_list, line.block, &inner);
    }
    close_list(&mut out, &mut open_list);
    SANITIZER.clean(&out).to_string()
}

/// How a line of a note is laid out where only its structure can be kept (the PDF export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineStyle {
    Paragraph,
    Heading,
    Bullet,
    /// The entry's number in its list, from 1.
    Numbered(u32),
}

/// A run's inline formatting (Quill's inline attributes), read the same way for every output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inline {
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    pub code: bool,
    /// The link target, when its scheme is allowed; another link keeps only its text.
    pub link: Option<String>,
}

impl Inline {
    fn of(attrs: Option<&Attrs>) -> Self {
        let flag = |key: &str| attrs.is_some_and(|a| matches!(a.get(key), Some(Any::Bool(true))));
        let link = attrs
            .and_then(|a| match a.get("link") {
                Some(Any::String(href)) => Some(href.as_ref()),
                _ => None,
            })
            .filter(|href| allowed_href(href))
            .map(str::to_owned);
        Self {
            bold: flag("bold"),
            italic: flag("italic"),
            underline: flag("underline"),
            strike: flag("strike"),
            code: flag("code"),
            link,
        }
    }
}

/// Text of one inline formatting within a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub format: Inline,
}

/// The note's lines with their block structure and their runs' inline formatting.
pub(super) fn outline(runs: &[Run<'_>]) -> Vec<(LineStyle, Vec<Span>)> {
    let mut number = 0;
    lines(runs)
        .into_iter()
        .map(|line| {
            let style = match line.block {
                Block::List(ListKind::Ordered) => {
                    number += 1;
                    LineStyle::Numbered(number)
                }
                other => {
                    number = 0;
                    match other {
                        Block::Header(_) => LineStyle::Heading,
                        Block::List(_) => LineStyle::Bullet,
                        Block::Paragraph => LineStyle::Paragraph,
                    }
                }
            };
            let spans = line
                .runs
                .iter()
                .map(|run| Span {
                    text: run.text.to_owned(),
                    format: Inline::of(run.attrs),
                })
                .collect();
            (style, spans)
        })
        .collect()
}

fn finish_line(out: &mut String, open_list: &mut Option<ListKind>, block: Block, inner: &str) {
    match block {
        Block::List(kind) => {
            if *open_list != Some(kind) {
                close_list(out, open_list);
                out.push_str(match kind {
                    ListKind::Bullet => "<ul>",
                    ListKind::Ordered => "<ol>",
                });
                *open_list = Some(kind);
            }
            let _ = write!(out, "<li>{inner}</li>");
        }
        Block::Header(level) => {
            close_list(out, open_list);
            let _ = write!(out, "<h{level}>{inner}</h{level}>");
        }
        Block::Paragraph => {
            close_list(out, open_list);
            let _ = write!(out, "<p>{inner}</p>");
        }
    }
}

fn close_list(out: &mut String, open_list: &mut Option<ListKind>) {
    match open_list.take() {
        Some(ListKind::Bullet) => out.push_str("</ul>"),
        Some(ListKind::Ordered) => out.push_str("</ol>"),
        None => {}
    }
}

fn block_of(attrs: Option<&Attrs>) -> Block {
    let Some(attrs) = attrs else {
        return Block::Paragraph;
    };
    if let Some(level) = attrs.get("header").and_then(header_level) {
        return Block::Header(level);
    }
    match attrs.get("list") {
        Some(Any::String(kind)) => match kind.as_ref() {
            "ordered" => Block::List(ListKind::Ordered),
            // Quill 2 checklists degrade to bullets rather than losing the list.
            "bullet" | "checked" | "unchecked" => Block::List(ListKind::Bullet),
            _ => Block::Paragraph,
        },
        _ => Block::Paragraph,
    }
}

/// Quill sends numbers; other editors sometimes send the digit as a string.
fn header_level(value: &Any) -> Option<u8> {
    let level = match value {
        Any::Number(n) => n.as_i64()?,
        Any::String(s) => s.trim().parse::<i64>().ok()?,
        _ => return None,
    };
    u8::try_from(level).ok().filter(|l| (1..=6).contains(l))
}

fn push_inline(out: &mut String, text: &str, attrs: Option<&Attrs>) {
    if text.is_empty() {
        return;
    }
    let format = Inline::of(attrs);
    // Innermost first, so the closing tags come out in reverse order of the opening ones.
    let wrappers: [(&str, bool); 5] = [
        ("code", format.code),
        ("s", format.strike),
        ("u", format.underline),
        ("em", format.italic),
        ("strong", format.bold),
    ];
    if let Some(href) = &format.link {
        out.push_str("<a href=\"");
        escape_into(out, href);
        out.push_str("\">");
    }
    for (tag, on) in wrappers.iter().rev() {
        if *on {
            let _ = write!(out, "<{tag}>");
        }
    }
    escape_into(out, text);
    for (tag, on) in wrappers.iter() {
        if *on {
            let _ = write!(out, "</{tag}>");
        }
    }
    if format.link.is_some() {
        out.push_str("</a>");
    }
}

/// A link we drop still leaves its text; ammonia re-checks the scheme after URL parsing.
fn allowed_href(href: &str) -> bool {
    let Some((scheme, _)) = href.trim().split_once(':') else {
        return false;
    };
    URL_SCHEMES.iter().any(|s| scheme.eq_ignore_ascii_case(s))
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
