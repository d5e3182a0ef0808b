//! Turns laid-out pages into PDF bytes with krilla.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;

use super::fonts::Fonts;
use super::layout::{Op, PAGE_H, PAGE_W};
use crate::DocsError;
use crate::qr::{QUIET_ZONE, QrMatrix};

/// Document-level facts written into the PDF's metadata.
pub(crate) struct Info {
    pub title: String,
    pub created: chrono::NaiveDateTime,
}

pub(crate) fn render(
    fonts: &Fonts,
    pages: &[Vec<Op>],
    qr: &QrMatrix,
    info: &Info,
) -> Result<Vec<u8>, DocsError> {
    let mut document = Document::new();
    document.set_metadata(metadata(info));
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| DocsError::Pdf("invalid page size".into()))?;
    for ops in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, fonts, qr, op);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| DocsError::Pdf(format!("{e:?}")))
}

fn metadata(info: &Info) -> Metadata {
    use chrono::{Datelike, Timelike};
    let c = info.created;
    let created = DateTime::new(u16::try_from(c.year()).unwrap_or(2000))
        .month(u8::try_from(c.month()).unwrap_or(1))
        .day(u8::try_from(c.day()).unwrap_or(1))
        .hour(u8::try_from(c.hour()).unwrap_or(0))
        .minute(u8::try_from(c.minute()).unwrap_or(0))
        .second(u8::try_from(c.second()).unwrap_or(0));
    Metadata::new()
        .title(info.title.clone())
        .language("kk".to_string())
        .creation_date(created)
}

fn gray(level: u8) -> rgb::Color {
    rgb::Color::new(level, level, level)
}

fn fill(level: u8) -> Fill {
    Fill {
        paint: gray(level).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, qr: &QrMatrix, op: &Op) {
    match op {
        Op::Text {
            x,
            baseline,
            size,
            weight,
            gray: level,
            text,
        } => {
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*level)));
            let glyphs = fonts.shape(*weight, text);
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &glyphs,
                fonts.pdf_font(*weight),
                text,
                *size,
                false,
            );
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            gray: level,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            stroke_path(surface, pb, *width, *level);
        }
        Op::FillRect {
            x,
            y,
            w,
            h,
            gray: level,
        } => {
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                if let Some(path) = pb.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(*level)));
                    surface.draw_path(&path);
                }
            }
        }
        Op::StrokeRect {
            x,
            y,
            w,
            h,
            width,
            gray: level,
        } => {
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                stroke_path(surface, pb, *width, *level);
            }
        }
        Op::Qr { x, y, size } => draw_qr(surface, qr, *x, *y, *size),
    }
}

fn stroke_path(surface: &mut Surface<'_>, pb: PathBuilder, width: f32, level: u8) {
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: gray(level).into(),
            width,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

/// Dark modules as filled squares (merged into horizontal runs): one vector path, sharp at any
/// print resolution. Runs overlap their neighbours by a hair so no white seams show when a
/// viewer anti-aliases edges.
fn draw_qr(surface: &mut Surface<'_>, qr: &QrMatrix, x: f32, y: f32, size: f32) {
    let modules = qr.width() + 2 * QUIET_ZONE;
    let m = size / modules as f32;
    let mut pb = PathBuilder::new();
    for (row, col, len) in qr.dark_runs() {
        let rx = x + (col + QUIET_ZONE) as f32 * m;
        let ry = y + (row + QUIET_ZONE) as f32 * m;
        if let Some(rect) = Rect::from_xywh(rx, ry, len as f32 * m, m + 0.02) {
            pb.push_rect(rect);
        }
    }
    if let Some(path) = pb.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(0)));
        surface.draw_path(&path);
    }
}
