//! A small document renderer for server-made PDFs (the 1:1 export): headings, paragraphs and
//! list items laid out on A4 pages, wrapped to the page width and flowing onto new pages.
//!
//! krilla writes the PDF (it embeds and subsets the fonts and writes a `ToUnicode` map, so the
//! text can be searched and copied); it does not lay out text, so lines are broken here with
//! the font's advance widths (read with ttf-parser, which krilla's shaper already depends on).
//! The 14 builtin PDF fonts only cover WinAnsi, and names and notes come in any script, so
//! DejaVu Sans (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`) is embedded.

use std::sync::LazyLock;

use krilla::{
    Document,
    geom::Point,
    metadata::Metadata,
    page::PageSettings,
    text::{Font, TextDirection},
};

static REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points, with 2 cm margins.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 57.0;
const LINE_SPACING: f32 = 1.35;
const LIST_INDENT: f32 = 18.0;

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
    pub text: String,
}

impl Block {
    pub(crate) fn new(style: Style, text: impl Into<String>) -> Self {
        Self {
            style,
            text: text.into(),
        }
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
static FACES: LazyLock<[Face; 2]> =
    LazyLock::new(|| [Face::load(REGULAR_TTF), Face::load(BOLD_TTF)]);

fn face(style: Style) -> &'static Face {
    &FACES[usize::from(style.bold())]
}

/// A line placed on a page: its baseline start and what to draw.
#[derive(Debug)]
struct Placed {
    x: f32,
    baseline: f32,
    style: Style,
    text: String,
}

/// Breaks `text` into lines no wider than `width`: at spaces where it can, inside a word
/// that is wider than a line on its own. Newlines in `text` always break.
fn wrap(text: &str, style: Style, width: f32) -> Vec<String> {
    let face = face(style);
    let size = style.size();
    let fits = |candidate: &str| face.width(candidate, size) <= width;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if fits(&candidate) {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: split it wherever it overflows.
            for c in word.chars() {
                line.push(c);
                if !fits(&line) && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    lines
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
        for (index, line) in wrap(&block.text, block.style, width)
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
                    text: marker.clone(),
                });
            }
            if !line.is_empty() {
                page.push(Placed {
                    x: MARGIN + indent,
                    baseline,
                    style: block.style,
                    text: line,
                });
            }
            y += line_height;
        }
    }
    pages
}

/// Renders `blocks` as a PDF titled `title`.
pub(crate) fn render(title: &str, blocks: &[Block]) -> anyhow::Result<Vec<u8>> {
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(title.to_owned()));
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 is a valid page size");
    for lines in layout(blocks) {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for line in lines {
            surface.draw_text(
                Point::from_xy(line.x, line.baseline),
                face(line.style).font.clone(),
                line.style.size(),
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
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
        let lines = wrap(&text, Style::Body, width);
        assert!(lines.len() > 10);
        for line in &lines {
            assert!(
                face(Style::Body).width(line, Style::Body.size()) <= width,
                "{line}"
            );
        }
        let joined: String = lines.concat().split_whitespace().collect();
        let expected: String = text.split_whitespace().collect();
        assert_eq!(joined, expected);
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
