//! The embedded font: shaping, measuring and line breaking.
//!
//! Text is shaped once with rustybuzz (the shaper krilla itself uses), which gives both the widths
//! for line breaking and the positioned glyphs that krilla writes; krilla then subsets the font to
//! the glyphs a document uses and maps them back to Unicode, so the PDF's text can be copied and
//! searched.

use krilla::text::{Font, GlyphId, KrillaGlyph};

use crate::DocsError;

const REGULAR: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");

/// Height of a capital letter relative to the font size (Noto Sans: 714/1000 em); used to centre
/// a line of text vertically in its leading.
pub(crate) const CAP_HEIGHT: f32 = 0.714;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

struct Face {
    pdf: Font,
    shaper: rustybuzz::Face<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Self, DocsError> {
        let pdf = Font::new(data.into(), 0).ok_or(DocsError::Font { name })?;
        let shaper = rustybuzz::Face::from_slice(data, 0).ok_or(DocsError::Font { name })?;
        let units_per_em = shaper.units_per_em() as f32;
        Ok(Self {
            pdf,
            shaper,
            units_per_em,
        })
    }
}

/// The two weights documents use.
pub(crate) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, DocsError> {
        Ok(Self {
            regular: Face::load(REGULAR, "NotoSans-Regular.ttf")?,
            bold: Face::load(BOLD, "NotoSans-Bold.ttf")?,
        })
    }

    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub(crate) fn pdf_font(&self, weight: Weight) -> Font {
        self.face(weight).pdf.clone()
    }

    /// Positioned glyphs for one line of left-to-right text, advances in em units.
    pub(crate) fn shape(&self, weight: Weight, text: &str) -> Vec<KrillaGlyph> {
        let face = self.face(weight);
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        let output = rustybuzz::shape(&face.shaper, &[], buffer);
        let infos = output.glyph_infos();
        let upem = face.units_per_em;
        output
            .glyph_positions()
            .iter()
            .zip(infos)
            .enumerate()
            .map(|(i, (pos, info))| {
                // A cluster runs to the start of the next different cluster (left to right, so
                // cluster offsets never decrease).
                let start = info.cluster as usize;
                let end = infos
                    .iter()
                    .skip(i + 1)
                    .map(|next| next.cluster as usize)
                    .find(|c| *c != start)
                    .unwrap_or(text.len());
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    pos.x_advance as f32 / upem,
                    pos.x_offset as f32 / upem,
                    pos.y_offset as f32 / upem,
                    pos.y_advance as f32 / upem,
                    start..end.max(start),
                    None,
                )
            })
            .collect()
    }

    /// Width of `text` on one line at `size` points.
    pub(crate) fn width(&self, weight: Weight, size: f32, text: &str) -> f32 {
        self.shape(weight, text)
            .iter()
            .map(|g| g.x_advance)
            .sum::<f32>()
            * size
    }

    /// Break `text` into lines no wider than `max_width`: at spaces, at line feeds, and inside a
    /// word only when the word alone is wider than a line (a long URL or a name typed without
    /// spaces). An empty paragraph gives an empty line, so blank lines survive.
    pub(crate) fn wrap(
        &self,
        weight: Weight,
        size: f32,
        text: &str,
        max_width: f32,
    ) -> Vec<String> {
        let space = self.width(weight, size, " ");
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            let mut line_width = 0.0;
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let word_width = self.width(weight, size, word);
                let gap = if line.is_empty() { 0.0 } else { space };
                if line_width + gap + word_width <= max_width {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                    line_width += gap + word_width;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                if word_width <= max_width {
                    line.push_str(word);
                    line_width = word_width;
                    continue;
                }
                for c in word.chars() {
                    let mut buf = [0u8; 4];
                    let char_width = self.width(weight, size, c.encode_utf8(&mut buf));
                    if line_width + char_width > max_width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_width = 0.0;
                    }
                    line.push(c);
                    line_width += char_width;
                }
            }
            lines.push(line);
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_covers_kazakh_and_russian() {
        let fonts = Fonts::load().unwrap();
        let letters = "ӘҒҚҢӨҰҮҺІәғқңөұүһі АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ \
                       абвгдеёжзийклмнопрстуфхцчшщъыьэюя № « » — – ₸ ABC xyz 0123456789";
        for weight in [Weight::Regular, Weight::Bold] {
            for c in letters.chars().filter(|c| *c != ' ') {
                let glyphs = fonts.shape(weight, &c.to_string());
                assert_eq!(glyphs.len(), 1, "{c:?}");
                assert_ne!(
                    glyphs[0].glyph_id.to_u32(),
                    0,
                    "{c:?} has no glyph in {weight:?}"
                );
            }
        }
    }

    #[test]
    fn bold_is_wider_and_width_scales_with_size() {
        let fonts = Fonts::load().unwrap();
        let text = "Қолхат / Расписка";
        let regular = fonts.width(Weight::Regular, 10.0, text);
        assert!(regular > 50.0 && regular < 120.0, "{regular}");
        assert!(fonts.width(Weight::Bold, 10.0, text) > regular);
        let double = fonts.width(Weight::Regular, 20.0, text);
        assert!((double - 2.0 * regular).abs() < 0.01);
    }

    #[test]
    fn glyph_ranges_cover_the_text() {
        let fonts = Fonts::load().unwrap();
        let text = "Әлия ffi";
        let glyphs = fonts.shape(Weight::Regular, text);
        assert_eq!(glyphs.first().unwrap().text_range.start, 0);
        assert_eq!(glyphs.last().unwrap().text_range.end, text.len());
    }

    #[test]
    fn wrap_keeps_every_line_within_width_and_loses_no_text() {
        let fonts = Fonts::load().unwrap();
        let cases = [
            "Жақсыбекова Әйгерім Нұрланқызы".to_string(),
            "https://mektep.example.kz/verify/0123456789abcdef0123456789abcdef0123456789".into(),
            "Қ".repeat(300),
            "бірінші жол\n\nүшінші жол".into(),
            String::new(),
            "   ".into(),
        ];
        for text in &cases {
            for width in [40.0, 120.0, 400.0] {
                let lines = fonts.wrap(Weight::Regular, 10.0, text, width);
                for line in &lines {
                    let w = fonts.width(Weight::Regular, 10.0, line);
                    // A single character wider than the line is allowed to overflow.
                    assert!(
                        w <= width || line.chars().count() == 1,
                        "{line:?} is {w} > {width}"
                    );
                }
                let joined: String = lines
                    .concat()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                let want: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                assert_eq!(joined, want, "text lost wrapping {text:?} at {width}");
            }
        }
        let lines = fonts.wrap(Weight::Regular, 10.0, "бірінші жол\n\nүшінші жол", 400.0);
        assert_eq!(lines, ["бірінші жол", "", "үшінші жол"]);
    }
}
