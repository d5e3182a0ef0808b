//! Page flow: places text blocks top to bottom on A4 pages and starts a new page when one is
//! full, so a list of any length paginates and nothing is drawn over the footer.
//!
//! Layout only produces drawing operations; [`super::paint`] turns them into PDF once the page
//! count is known (the footer says "page 2 of 9").

use super::fonts::{CAP_HEIGHT, Fonts, Weight};

/// A4 in PDF points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
/// 20 mm binding margin on the left, 15 mm elsewhere, as office paperwork uses.
pub(crate) const LEFT: f32 = 56.7;
pub(crate) const RIGHT: f32 = PAGE_W - 42.5;
pub(crate) const TOP: f32 = 42.5;
pub(crate) const BOTTOM: f32 = PAGE_H - 36.0;
/// Space reserved at the bottom of every page for the verification footer.
pub(crate) const FOOTER_H: f32 = 96.0;
pub(crate) const CONTENT_BOTTOM: f32 = BOTTOM - FOOTER_H;
pub(crate) const CONTENT_W: f32 = RIGHT - LEFT;

/// Label column of field rows.
const LABEL_W: f32 = 168.0;
const VALUE_X: f32 = LEFT + LABEL_W + 12.0;
const VALUE_W: f32 = RIGHT - VALUE_X;

/// Text colours as grey levels: the document stays legible on any printer and photocopy.
pub(crate) const INK: u8 = 0;
pub(crate) const MUTED: u8 = 80;
pub(crate) const RULE: u8 = 170;
pub(crate) const BAND: u8 = 236;

/// One drawing operation on a page; coordinates from the top-left corner, in points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        weight: Weight,
        gray: u8,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        gray: u8,
    },
    FillRect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: u8,
    },
    StrokeRect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        width: f32,
        gray: u8,
    },
    /// The verification QR code, `size` points square including its quiet zone.
    Qr { x: f32, y: f32, size: f32 },
}

/// Style of a run of text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub size: f32,
    pub weight: Weight,
    pub gray: u8,
    /// Distance between baselines.
    pub leading: f32,
}

impl Style {
    pub(crate) const fn new(size: f32, weight: Weight, gray: u8, leading: f32) -> Self {
        Self {
            size,
            weight,
            gray,
            leading,
        }
    }
}

pub(crate) const BODY: Style = Style::new(10.5, Weight::Regular, INK, 14.0);
pub(crate) const BODY_BOLD: Style = Style::new(10.5, Weight::Bold, INK, 14.0);
pub(crate) const LABEL: Style = Style::new(8.5, Weight::Regular, MUTED, 14.0);
pub(crate) const SMALL: Style = Style::new(8.5, Weight::Regular, MUTED, 11.0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
}

/// Pages being filled, top to bottom.
pub(crate) struct Flow<'f> {
    pub(crate) fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Printed at the top of every page after the first: which document this page belongs to.
    running_head: String,
    /// The section in progress, repeated on the next page when a list breaks across pages.
    section: Option<String>,
    /// Appended to a repeated section title, e.g. "(жалғасы / продолжение)".
    continued: String,
}

impl<'f> Flow<'f> {
    pub(crate) fn new(fonts: &'f Fonts, running_head: String, continued: String) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
            running_head,
            section: None,
            continued,
        }
    }

    pub(crate) fn finish(self) -> Vec<Vec<Op>> {
        self.pages
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Vertical space left on this page.
    fn room(&self) -> f32 {
        CONTENT_BOTTOM - self.y
    }

    /// Start a new page unless `height` still fits on this one.
    pub(crate) fn ensure(&mut self, height: f32) {
        if height > self.room() {
            self.new_page();
        }
    }

    pub(crate) fn gap(&mut self, height: f32) {
        self.y = (self.y + height).min(CONTENT_BOTTOM);
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        let head = self.running_head.clone();
        for line in self.fonts.wrap(SMALL.weight, SMALL.size, &head, CONTENT_W) {
            self.line_at(LEFT, &line, SMALL);
        }
        self.gap(3.0);
        self.rule(0.5, RULE);
        self.gap(10.0);
        if let Some(section) = self.section.clone() {
            let title = format!("{section} {}", self.continued);
            self.band(&title);
        }
    }

    /// One line of text at `x`, advancing by the style's leading. Does not break pages: callers
    /// decide what must stay together.
    fn line_at(&mut self, x: f32, text: &str, style: Style) {
        let baseline = self.baseline(style);
        self.text_at(x, baseline, text, style);
        self.y += style.leading;
    }

    /// Baseline that centres capitals of `style` in the current line.
    fn baseline(&self, style: Style) -> f32 {
        self.y + style.leading / 2.0 + CAP_HEIGHT * style.size / 2.0
    }

    fn text_at(&mut self, x: f32, baseline: f32, text: &str, style: Style) {
        if !text.is_empty() {
            self.push(Op::Text {
                x,
                baseline,
                size: style.size,
                weight: style.weight,
                gray: style.gray,
                text: text.to_string(),
            });
        }
    }

    /// A paragraph wrapped to `width` starting at `x`; lines flow onto the next page.
    pub(crate) fn paragraph_at(
        &mut self,
        x: f32,
        width: f32,
        text: &str,
        style: Style,
        align: Align,
    ) {
        for line in self.fonts.wrap(style.weight, style.size, text, width) {
            self.ensure(style.leading);
            let x = match align {
                Align::Left => x,
                Align::Center => {
                    let w = self.fonts.width(style.weight, style.size, &line);
                    x + ((width - w) / 2.0).max(0.0)
                }
            };
            self.line_at(x, &line, style);
        }
    }

    pub(crate) fn paragraph(&mut self, text: &str, style: Style, align: Align) {
        self.paragraph_at(LEFT, CONTENT_W, text, style, align);
    }

    /// A horizontal rule across the text column.
    pub(crate) fn rule(&mut self, width: f32, gray: u8) {
        let y = self.y;
        self.push(Op::Line {
            x1: LEFT,
            y1: y,
            x2: RIGHT,
            y2: y,
            width,
            gray,
        });
    }

    /// A label/value row: label (small, grey) on the left, value on the right, both wrapped,
    /// a hairline under the row. Kept on one page when it fits on a page at all.
    pub(crate) fn field(&mut self, label: &str, value: &str, value_style: Style) {
        let label_lines = self.fonts.wrap(LABEL.weight, LABEL.size, label, LABEL_W);
        let value_lines = self
            .fonts
            .wrap(value_style.weight, value_style.size, value, VALUE_W);
        let leading = value_style.leading;
        let rows = label_lines.len().max(value_lines.len());
        let padding = 4.0;
        let height = rows as f32 * leading + 2.0 * padding;
        if height <= CONTENT_BOTTOM - TOP - 60.0 {
            self.ensure(height);
        }
        self.gap(padding);
        for i in 0..rows {
            self.ensure(leading);
            // Label and value share one baseline, so the two columns read as a row.
            let baseline = self.baseline(value_style);
            if let Some(line) = label_lines.get(i) {
                self.text_at(LEFT, baseline, line, LABEL);
            }
            if let Some(line) = value_lines.get(i) {
                self.text_at(VALUE_X, baseline, line, value_style);
            }
            self.y += leading;
        }
        self.gap(padding);
        self.rule(0.3, RULE);
    }

    /// A section heading on a light band; remembered so it repeats after a page break.
    pub(crate) fn section(&mut self, title: &str) {
        // Keep the heading with at least two lines of what follows.
        self.gap(8.0);
        self.ensure(24.0 + 2.0 * BODY.leading);
        self.section = None;
        self.band(title);
        self.section = Some(title.to_string());
    }

    pub(crate) fn end_section(&mut self) {
        self.section = None;
    }

    fn band(&mut self, title: &str) {
        let style = Style::new(10.0, Weight::Bold, INK, 13.0);
        let lines = self
            .fonts
            .wrap(style.weight, style.size, title, CONTENT_W - 12.0);
        let h = lines.len() as f32 * style.leading + 6.0;
        let y = self.y;
        self.push(Op::FillRect {
            x: LEFT,
            y,
            w: CONTENT_W,
            h,
            gray: BAND,
        });
        self.y += 3.0;
        for line in &lines {
            self.line_at(LEFT + 6.0, line, style);
        }
        self.y = y + h + 6.0;
    }

    /// Item `number` of a numbered list; long items wrap under their own text, not the number.
    pub(crate) fn numbered(&mut self, number: usize, text: &str, style: Style) {
        let num = format!("{number}.");
        let num_x_right = LEFT + 26.0;
        let text_x = LEFT + 32.0;
        let lines = self
            .fonts
            .wrap(style.weight, style.size, text, RIGHT - text_x);
        for (i, line) in lines.iter().enumerate() {
            self.ensure(style.leading);
            if i == 0 {
                let w = self.fonts.width(style.weight, style.size, &num);
                let baseline = self.baseline(style);
                self.text_at(
                    num_x_right - w,
                    baseline,
                    &num,
                    Style {
                        gray: MUTED,
                        ..style
                    },
                );
            }
            self.line_at(text_x, line, style);
        }
    }

    /// A framed block of small paragraphs kept together (the EDS signature stamp).
    pub(crate) fn framed(&mut self, paragraphs: &[(String, Style)]) {
        let pad = 8.0;
        let width = CONTENT_W - 2.0 * pad;
        let wrapped: Vec<(Vec<String>, Style)> = paragraphs
            .iter()
            .map(|(text, style)| {
                (
                    self.fonts.wrap(style.weight, style.size, text, width),
                    *style,
                )
            })
            .collect();
        let inner: f32 = wrapped
            .iter()
            .map(|(lines, style)| lines.len() as f32 * style.leading)
            .sum();
        let height = inner + 2.0 * pad;
        self.gap(10.0);
        if height <= CONTENT_BOTTOM - TOP - 60.0 {
            self.ensure(height);
        }
        let top = self.y;
        let first_page = self.pages.len();
        self.y += pad;
        for (lines, style) in &wrapped {
            for line in lines {
                self.ensure(style.leading);
                self.line_at(LEFT + pad, line, *style);
            }
        }
        self.y += pad;
        // Only frame what stayed on one page; a stamp split over pages is left unframed.
        if self.pages.len() == first_page {
            self.push(Op::StrokeRect {
                x: LEFT,
                y: top,
                w: CONTENT_W,
                h: self.y - top,
                width: 0.8,
                gray: 60,
            });
        }
    }

    #[cfg(test)]
    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(page: &[Op]) -> Vec<&str> {
        page.iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn long_lists_paginate_and_stay_above_the_footer() {
        let fonts = Fonts::load().unwrap();
        let mut flow = Flow::new(&fonts, "Бұйрық / Приказ № 7".into(), "(жалғасы)".into());
        flow.section("1 «А»");
        for i in 1..=200 {
            flow.numbered(i, &format!("Оқушы {i}"), BODY);
        }
        let pages = flow.finish();
        assert!(pages.len() >= 4, "{} pages", pages.len());
        for (n, page) in pages.iter().enumerate() {
            for op in page {
                if let Op::Text { baseline, .. } = op {
                    assert!(*baseline <= CONTENT_BOTTOM, "page {n}: text at {baseline}");
                }
            }
            if n > 0 {
                let t = texts(page);
                assert_eq!(t[0], "Бұйрық / Приказ № 7", "running head on page {n}");
                assert_eq!(t[1], "1 «А» (жалғасы)", "section repeated on page {n}");
            }
        }
        let all: Vec<&str> = pages.iter().flat_map(|p| texts(p)).collect();
        for i in 1..=200 {
            assert!(
                all.contains(&format!("Оқушы {i}").as_str()),
                "item {i} missing"
            );
        }
    }

    #[test]
    fn a_frame_is_drawn_only_around_a_block_that_stayed_on_one_page() {
        let fonts = Fonts::load().unwrap();
        let frames = |paragraph: String| {
            let mut flow = Flow::new(&fonts, "head".into(), "(cont.)".into());
            flow.gap(500.0);
            flow.framed(&[(paragraph, BODY)]);
            let pages = flow.finish();
            let count = |page: &Vec<Op>| {
                page.iter()
                    .filter(|op| matches!(op, Op::StrokeRect { .. }))
                    .count()
            };
            pages.iter().map(count).collect::<Vec<_>>()
        };
        // Fits after the gap: framed on page 1.
        assert_eq!(frames("қысқа мәтін".into()), [1]);
        // Too tall for the rest of page 1: moved whole to page 2 and framed there.
        assert_eq!(frames("сөз ".repeat(300)), [0, 1]);
        // Taller than any page: flows over pages, no frame anywhere.
        let frames_of_huge = frames("сөз ".repeat(6000));
        assert!(frames_of_huge.len() > 2 && frames_of_huge.iter().all(|n| *n == 0));
    }

    #[test]
    fn a_field_taller_than_a_page_still_flows() {
        let fonts = Fonts::load().unwrap();
        let mut flow = Flow::new(&fonts, "head".into(), "(cont.)".into());
        let value = "сөз ".repeat(3000);
        flow.field("Негіздеме / Основание", &value, BODY);
        assert!(flow.page_count() > 1);
    }
}
