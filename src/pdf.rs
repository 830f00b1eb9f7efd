//! A small document renderer for server-made PDFs (the 1:1 export): headings, paragraphs and
//! list items of formatted text laid out on A4 pages, wrapped to the page width and flowing
//! onto new pages.
//!
//! krilla writes the PDF (it embeds and subsets the fonts and writes a `ToUnicode` map, so the
//! text can be searched and copied); it does not lay out text, so lines are broken here with
//! the fonts' advance widths (read with ttf-parser, which krilla's shaper already depends on).
//! The 14 builtin PDF fonts only cover WinAnsi, and names and notes come in any script, so
//! DejaVu Sans and Sans Mono (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`) are
//! embedded: regular, bold, oblique and bold oblique for text, mono for inline code.
//! Underline and strike-through are drawn as thin bars; links are blue and clickable (a link
//! annotation over each piece of linked text).

use std::sync::LazyLock;

use krilla::{
    Document,
    action::LinkAction,
    annotation::{LinkAnnotation, Target},
    color::rgb,
    geom::{PathBuilder, Point, Rect},
    metadata::Metadata,
    page::PageSettings,
    paint::Fill,
    surface::Surface,
    text::{Font, TextDirection},
};

use crate::notes::{Inline, Span};

static REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");
static OBLIQUE_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Oblique.ttf");
static BOLD_OBLIQUE_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-BoldOblique.ttf");
static MONO_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");

/// A4 in points, with 2 cm margins.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 57.0;
const LINE_SPACING: f32 = 1.35;
const LIST_INDENT: f32 = 18.0;
/// Underline and strike-through bars, as fractions of the font size.
const BAR_THICKNESS: f32 = 0.06;
const UNDERLINE_DROP: f32 = 0.12;
const STRIKE_RISE: f32 = 0.3;

/// How a block of text looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Title,
    Heading,
    Subheading,
    Body,
    /// A body line in bold (a heading inside a note).
    Strong,
    /// A list entry: a bullet, then the text indented.
    Bullet,
    /// An entry of a numbered list: its number, then the text indented.
    Numbered(u32),
}

impl Style {
    /// What stands before a list entry's first line.
    fn marker(self) -> Option<String> {
        match self {
            Self::Bullet => Some("•".into()),
            Self::Numbered(n) => Some(format!("{n}.")),
            _ => None,
        }
    }

    fn size(self) -> f32 {
        match self {
            Self::Title => 20.0,
            Self::Heading => 14.0,
            Self::Subheading => 11.5,
            Self::Body | Self::Strong | Self::Bullet | Self::Numbered(_) => 10.5,
        }
    }

    fn bold(self) -> bool {
        matches!(
            self,
            Self::Title | Self::Heading | Self::Subheading | Self::Strong
        )
    }

    /// Extra space above the block.
    fn space_before(self) -> f32 {
        match self {
            Self::Title => 0.0,
            Self::Heading => 14.0,
            Self::Subheading => 8.0,
            Self::Body | Self::Strong => 3.0,
            Self::Bullet | Self::Numbered(_) => 1.0,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub style: Style,
    pub spans: Vec<Span>,
}

impl Block {
    /// A block of unformatted text.
    pub(crate) fn new(style: Style, text: impl Into<String>) -> Self {
        Self::formatted(
            style,
            vec![Span {
                text: text.into(),
                format: Inline::default(),
            }],
        )
    }

    pub(crate) fn formatted(style: Style, spans: Vec<Span>) -> Self {
        Self { style, spans }
    }
}

/// One face: the bytes krilla embeds and the parsed tables lines are measured with.
struct Face {
    font: Font,
    parsed: ttf_parser::Face<'static>,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Self {
        Self {
            font: Font::new(bytes.into(), 0).expect("the bundled font loads"),
            parsed: ttf_parser::Face::parse(bytes, 0).expect("the bundled font parses"),
        }
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text
            .chars()
            .map(|c| {
                let glyph = self.parsed.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                f32::from(self.parsed.glyph_hor_advance(glyph).unwrap_or(0))
            })
            .sum();
        units * size / f32::from(self.parsed.units_per_em())
    }
}

/// Parsed once per process: parsing the tables is the costly part of loading a font.
/// Indexed by `face_index`.
static FACES: LazyLock<[Face; 5]> = LazyLock::new(|| {
    [
        REGULAR_TTF,
        BOLD_TTF,
        OBLIQUE_TTF,
        BOLD_OBLIQUE_TTF,
        MONO_TTF,
    ]
    .map(Face::load)
});

fn face(style: Style, format: &Inline) -> &'static Face {
    let index = if format.code {
        4
    } else {
        usize::from(style.bold() || format.bold) + 2 * usize::from(format.italic)
    };
    &FACES[index]
}

/// Text of one format on a line.
#[derive(Clone, Debug, PartialEq)]
struct Piece {
    text: String,
    format: Inline,
}

/// Appends `text` in `format`, joining the last piece when it has the same format.
fn push_text(line: &mut Vec<Piece>, text: &str, format: &Inline) {
    match line.last_mut() {
        Some(last) if &last.format == format => last.text.push_str(text),
        _ => line.push(Piece {
            text: text.to_owned(),
            format: format.clone(),
        }),
    }
}

/// What stands between spaces: its pieces may differ in format ("**bold**ly").
struct Word {
    /// The format of the space before the word, so that an underline or a link ends where
    /// its text does.
    space_before: Inline,
    pieces: Vec<Piece>,
}

/// The words of each paragraph (text between newlines).
fn paragraphs(spans: &[Span]) -> Vec<Vec<Word>> {
    let mut paragraphs: Vec<Vec<Word>> = vec![Vec::new()];
    let mut word = Word {
        space_before: Inline::default(),
        pieces: Vec::new(),
    };
    let mut in_space = false;
    for span in spans {
        for c in span.text.chars() {
            if c.is_whitespace() {
                let paragraph = paragraphs.last_mut().expect("there is always a paragraph");
                if !word.pieces.is_empty() {
                    paragraph.push(std::mem::replace(
                        &mut word,
                        Word {
                            space_before: Inline::default(),
                            pieces: Vec::new(),
                        },
                    ));
                }
                if !in_space {
                    word.space_before = span.format.clone();
                    in_space = true;
                }
                if c == '\n' {
                    paragraphs.push(Vec::new());
                }
            } else {
                in_space = false;
                let mut utf8 = [0; 4];
                push_text(&mut word.pieces, c.encode_utf8(&mut utf8), &span.format);
            }
        }
    }
    if !word.pieces.is_empty() {
        paragraphs
            .last_mut()
            .expect("there is always a paragraph")
            .push(word);
    }
    paragraphs
}

/// Breaks `spans` into lines no wider than `width`: at spaces where it can, inside a word
/// that is wider than a line on its own. Newlines always break.
fn wrap(spans: &[Span], style: Style, width: f32) -> Vec<Vec<Piece>> {
    let size = style.size();
    let measure = |text: &str, format: &Inline| face(style, format).width(text, size);
    let mut lines = Vec::new();
    for paragraph in paragraphs(spans) {
        let mut line: Vec<Piece> = Vec::new();
        let mut used = 0.0;
        for word in paragraph {
            let word_width: f32 = word
                .pieces
                .iter()
                .map(|p| measure(&p.text, &p.format))
                .sum();
            let space = measure(" ", &word.space_before);
            if !line.is_empty() && used + space + word_width > width {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            } else if !line.is_empty() {
                push_text(&mut line, " ", &word.space_before);
                used += space;
            }
            if used + word_width <= width {
                for piece in &word.pieces {
                    push_text(&mut line, &piece.text, &piece.format);
                }
                used += word_width;
                continue;
            }
            // The word alone is wider than a line: split it wherever it overflows.
            for piece in &word.pieces {
                for c in piece.text.chars() {
                    let mut utf8 = [0; 4];
                    let c = c.encode_utf8(&mut utf8);
                    let advance = measure(c, &piece.format);
                    if used + advance > width && used > 0.0 {
                        lines.push(std::mem::take(&mut line));
                        used = 0.0;
                    }
                    push_text(&mut line, c, &piece.format);
                    used += advance;
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// A line placed on a page: its baseline start and what to draw.
#[derive(Debug)]
struct Placed {
    x: f32,
    baseline: f32,
    style: Style,
    pieces: Vec<Piece>,
}

/// Places every block's lines on pages, top to bottom, starting a page when one is full.
fn layout(blocks: &[Block]) -> Vec<Vec<Placed>> {
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = MARGIN;
    for block in blocks {
        let size = block.style.size();
        let line_height = size * LINE_SPACING;
        let marker = block.style.marker();
        let indent = if marker.is_some() { LIST_INDENT } else { 0.0 };
        let width = PAGE_WIDTH - 2.0 * MARGIN - indent;
        y += block.style.space_before();
        for (index, pieces) in wrap(&block.spans, block.style, width)
            .into_iter()
            .enumerate()
        {
            if y + line_height > PAGE_HEIGHT - MARGIN {
                pages.push(Vec::new());
                y = MARGIN;
            }
            let page = pages.last_mut().expect("there is always a page");
            let baseline = y + size;
            if index == 0
                && let Some(marker) = &marker
            {
                page.push(Placed {
                    x: MARGIN + 2.0,
                    baseline,
                    style: Style::Body,
                    pieces: vec![Piece {
                        text: marker.clone(),
                        format: Inline::default(),
                    }],
                });
            }
            if !pieces.is_empty() {
                page.push(Placed {
                    x: MARGIN + indent,
                    baseline,
                    style: block.style,
                    pieces,
                });
            }
            y += line_height;
        }
    }
    pages
}

/// A link's clickable area on a page.
struct LinkArea {
    rect: Rect,
    target: String,
}

/// Draws one placed line; returns the areas its links cover.
fn draw_line(surface: &mut Surface<'_>, line: &Placed) -> Vec<LinkArea> {
    let size = line.style.size();
    let mut x = line.x;
    let mut links = Vec::new();
    for piece in &line.pieces {
        let face = face(line.style, &piece.format);
        let advance = face.width(&piece.text, size);
        let color = if piece.format.link.is_some() {
            rgb::Color::new(0x1a, 0x4f, 0xb5)
        } else {
            rgb::Color::black()
        };
        surface.set_fill(Some(Fill {
            paint: color.into(),
            ..Fill::default()
        }));
        surface.draw_text(
            Point::from_xy(x, line.baseline),
            face.font.clone(),
            size,
            &piece.text,
            false,
            TextDirection::Auto,
        );
        let underline = piece.format.underline || piece.format.link.is_some();
        let bars = [
            (underline, line.baseline + size * UNDERLINE_DROP),
            (piece.format.strike, line.baseline - size * STRIKE_RISE),
        ];
        for (drawn, y) in bars {
            if let (true, Some(bar)) = (drawn, Rect::from_xywh(x, y, advance, size * BAR_THICKNESS))
            {
                let mut path = PathBuilder::new();
                path.push_rect(bar);
                if let Some(path) = path.finish() {
                    surface.draw_path(&path);
                }
            }
        }
        if let Some(target) = &piece.format.link
            && let Some(rect) =
                Rect::from_xywh(x, line.baseline - size, advance, size * LINE_SPACING)
        {
            links.push(LinkArea {
                rect,
                target: target.clone(),
            });
        }
        x += advance;
    }
    links
}

/// Renders `blocks` as a PDF titled `title`.
pub(crate) fn render(title: &str, blocks: &[Block]) -> anyhow::Result<Vec<u8>> {
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(title.to_owned()));
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 is a valid page size");
    for lines in layout(blocks) {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let links: Vec<LinkArea> = lines
            .iter()
            .flat_map(|line| draw_line(&mut surface, line))
            .collect();
        surface.finish();
        for link in links {
            let action = LinkAction::new(link.target);
            page.add_annotation(
                LinkAnnotation::new(link.rect, Target::Action(action.into())).into(),
            );
        }
        page.finish();
    }
    document
        .finish()
        .map_err(|err| anyhow::anyhow!("writing the PDF failed: {err:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_within_the_page_and_keeps_every_word() {
        let text = "word ".repeat(400) + &"x".repeat(300);
        let width = PAGE_WIDTH - 2.0 * MARGIN;
        let lines: Vec<String> = wrap(
            &Block::new(Style::Body, text.clone()).spans,
            Style::Body,
            width,
        )
        .into_iter()
        .map(|pieces| pieces.into_iter().map(|p| p.text).collect())
        .collect();
        assert!(lines.len() > 10);
        let regular = face(Style::Body, &Inline::default());
        for line in &lines {
            assert!(regular.width(line, Style::Body.size()) <= width, "{line}");
        }
        let joined: String = lines.concat().split_whitespace().collect();
        let expected: String = text.split_whitespace().collect();
        assert_eq!(joined, expected);
    }

    #[test]
    fn formatting_stays_with_its_text_across_line_breaks() {
        let plain = Inline::default();
        let link = Inline {
            link: Some("https://example.com".into()),
            ..Inline::default()
        };
        let spans = [
            ("see ", &plain),
            ("the long guide", &link),
            (" now", &plain),
        ]
        .map(|(text, format)| Span {
            text: text.into(),
            format: format.clone(),
        });
        let regular = face(Style::Body, &plain);
        // Room for "see the long" but not for "guide": the link breaks across two lines.
        let width = regular.width("see the long gu", Style::Body.size());
        let lines: Vec<Vec<(String, bool)>> = wrap(&spans, Style::Body, width)
            .into_iter()
            .map(|line| {
                line.into_iter()
                    .map(|p| (p.text, p.format.link.is_some()))
                    .collect()
            })
            .collect();
        let piece = |text: &str, linked| (text.to_owned(), linked);
        assert_eq!(
            lines,
            [
                vec![piece("see ", false), piece("the long", true)],
                vec![piece("guide", true), piece(" now", false)],
            ]
        );
    }

    #[test]
    fn many_blocks_flow_onto_more_pages() {
        let blocks: Vec<Block> = (0..200)
            .map(|i| Block::new(Style::Body, format!("paragraph {i}")))
            .collect();
        let pages = layout(&blocks);
        assert!(pages.len() > 2);
        for page in &pages {
            for line in page {
                assert!(line.baseline <= PAGE_HEIGHT - MARGIN);
            }
        }
    }
}
