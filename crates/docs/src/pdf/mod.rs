//! The three official PDF documents and the page furniture they share: the header with the
//! service and school, the EDS signature stamp, and the footer with the QR code.

mod documents;
mod fonts;
mod layout;
mod paint;

pub use documents::{render_admission_order, render_receipt, render_refusal};

use fonts::{Fonts, Weight};
use layout::{
    Align, BOTTOM, CONTENT_BOTTOM, Flow, INK, LEFT, MUTED, Op, RIGHT, RULE, SMALL, Style,
};

use crate::DocsError;
use crate::i18n::{Translate, bilingual, both};
use crate::model::{EdsSignature, School, Verification};
use crate::qr::{QUIET_ZONE, QrMatrix};
use crate::text::{MAX_FIELD_CHARS, clean, date_time};

/// Translations as printed: cleaned of characters the font cannot show (Fluent's bidi marks).
struct Words<'t> {
    t: &'t dyn Translate,
}

impl Words<'_> {
    /// "Kazakh / Russian" on one line.
    fn bi(&self, key: &str) -> String {
        self.bi_args(key, &[])
    }

    fn bi_args(&self, key: &str, args: &[(&str, String)]) -> String {
        clean(&bilingual(self.t, key, args), MAX_FIELD_CHARS, false)
    }

    /// Kazakh and Russian texts apart, for sentences too long to join with a slash.
    fn each(&self, key: &str, args: &[(&str, String)]) -> [String; 2] {
        both(self.t, key, args).map(|s| clean(&s, MAX_FIELD_CHARS, false))
    }
}

/// User-supplied text as printed: one line, no control characters, capped in length.
fn value(s: &str) -> String {
    clean(s, MAX_FIELD_CHARS, false)
}

/// What the first-page header says about the document.
struct Heading<'a> {
    title_key: &'a str,
    subtitle_key: &'a str,
    number: &'a str,
    /// Date (and time) of issue, formatted.
    issued: String,
    school: &'a School,
}

/// Start a document: the flow with its running head for later pages, and the first-page header.
fn begin<'f>(fonts: &'f Fonts, words: &Words<'_>, heading: &Heading<'_>) -> (Flow<'f>, String) {
    let title = words.bi(heading.title_key);
    let number = value(heading.number);
    let running_head = format!("{title} № {number} · {}", heading.issued);
    let mut flow = Flow::new(fonts, running_head.clone(), words.bi("docs-continued"));

    let service = Style::new(8.0, Weight::Regular, MUTED, 10.5);
    for text in words.each("docs-service-name", &[]) {
        flow.paragraph(&text, service, Align::Center);
    }
    flow.gap(6.0);
    let school = Style::new(11.0, Weight::Bold, INK, 14.0);
    let name_kk = value(&heading.school.name_kk);
    let name_ru = value(&heading.school.name_ru);
    flow.paragraph(&name_kk, school, Align::Center);
    if name_ru != name_kk {
        flow.paragraph(&name_ru, school, Align::Center);
    }
    let bin = format!(
        "{}: {}",
        words.bi("docs-field-bin"),
        value(&heading.school.bin)
    );
    flow.paragraph(&bin, SMALL, Align::Center);
    flow.gap(6.0);
    flow.rule(1.2, INK);
    flow.gap(2.0);
    flow.rule(0.4, INK);
    flow.gap(18.0);

    let title_style = Style::new(17.0, Weight::Bold, INK, 21.0);
    flow.paragraph(&title.to_uppercase(), title_style, Align::Center);
    let subtitle = Style::new(10.0, Weight::Regular, MUTED, 13.0);
    flow.paragraph(&words.bi(heading.subtitle_key), subtitle, Align::Center);
    flow.gap(4.0);
    let line = format!("№ {number}  ·  {}", heading.issued);
    flow.paragraph(
        &line,
        Style::new(10.5, Weight::Bold, INK, 14.0),
        Align::Center,
    );
    flow.gap(14.0);
    (flow, running_head)
}

/// The EDS stamp: who signed, with which certificate, when — or a plain "not signed" note.
fn signature_stamp(flow: &mut Flow<'_>, words: &Words<'_>, signature: Option<&EdsSignature>) {
    let heading = Style::new(9.0, Weight::Bold, INK, 12.5);
    let body = Style::new(9.0, Weight::Regular, INK, 12.5);
    let mut paragraphs = vec![(words.bi("docs-signature-heading"), heading)];
    match signature {
        Some(sig) => {
            let args = [
                ("signer", value(&sig.signer)),
                ("serial", value(&sig.certificate_serial)),
                ("at", date_time(sig.signed_at)),
            ];
            for text in words.each("docs-signature", &args) {
                paragraphs.push((text, body));
            }
        }
        None => paragraphs.push((words.bi("docs-not-signed"), body)),
    }
    flow.framed(&paragraphs);
}

/// Side of the QR code in points, quiet zone included: about 30 mm, which phone cameras read
/// from a printed page without zooming.
const QR_SIZE: f32 = 84.0;

/// The footer of every page: QR code, verification link and code, page number.
fn footer(
    fonts: &Fonts,
    words: &Words<'_>,
    verification: &Verification,
    qr: &QrMatrix,
    page: usize,
    total: usize,
) -> Vec<Op> {
    let mut ops = Vec::new();
    let top = CONTENT_BOTTOM + 8.0;
    ops.push(Op::Line {
        x1: LEFT,
        y1: top,
        x2: RIGHT,
        y2: top,
        width: 0.5,
        gray: RULE,
    });
    // Shift the code left by its quiet zone so the visible squares line up with the text margin.
    let module = QR_SIZE / (qr.width() + 2 * QUIET_ZONE) as f32;
    let quiet = QUIET_ZONE as f32 * module;
    ops.push(Op::Qr {
        x: LEFT - quiet,
        y: top + 6.0 - quiet + 2.0,
        size: QR_SIZE,
    });
    let text_x = LEFT + qr.width() as f32 * module + 14.0;
    let width = RIGHT - text_x;
    let mut y = top + 8.0;
    let mut put = |ops: &mut Vec<Op>, text: &str, style: Style, max_lines: usize| {
        let lines = fonts.wrap(style.weight, style.size, text, width);
        for line in lines.iter().take(max_lines) {
            y += style.leading;
            ops.push(Op::Text {
                x: text_x,
                baseline: y - (style.leading - style.size) / 2.0,
                size: style.size,
                weight: style.weight,
                gray: style.gray,
                text: line.clone(),
            });
        }
    };
    put(
        &mut ops,
        &words.bi("docs-verify-heading"),
        Style::new(8.5, Weight::Bold, INK, 11.5),
        2,
    );
    put(
        &mut ops,
        &words.bi("docs-verify-hint"),
        Style::new(8.0, Weight::Regular, MUTED, 11.0),
        2,
    );
    put(
        &mut ops,
        &value(&verification.url),
        Style::new(8.5, Weight::Regular, INK, 11.5),
        2,
    );
    let code = format!(
        "{}: {}",
        words.bi("docs-verify-code"),
        value(&verification.code)
    );
    put(&mut ops, &code, Style::new(9.5, Weight::Bold, INK, 13.0), 1);
    put(
        &mut ops,
        &words.bi("docs-footer-note"),
        Style::new(7.5, Weight::Regular, MUTED, 10.0),
        2,
    );

    let page_style = Style::new(7.5, Weight::Regular, MUTED, 10.0);
    let page_text = words.bi_args(
        "docs-page",
        &[("page", page.to_string()), ("total", total.to_string())],
    );
    let w = fonts.width(page_style.weight, page_style.size, &page_text);
    ops.push(Op::Text {
        x: (RIGHT - w).max(LEFT),
        baseline: BOTTOM,
        size: page_style.size,
        weight: page_style.weight,
        gray: page_style.gray,
        text: page_text,
    });
    ops
}

/// Add footers now that the page count is known, and write the PDF.
fn finish(
    flow: Flow<'_>,
    words: &Words<'_>,
    verification: &Verification,
    qr: &QrMatrix,
    info: paint::Info,
) -> Result<Vec<u8>, DocsError> {
    let fonts = flow.fonts;
    let mut pages = flow.finish();
    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.extend(footer(fonts, words, verification, qr, i + 1, total));
    }
    paint::render(fonts, &pages, qr, &info)
}
