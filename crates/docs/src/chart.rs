//! Server-side SVG charts for reports: no JavaScript, readable by screen readers.
//!
//! Each chart is one `<svg role="img">` with `<title>` and `<desc>` wired through
//! `aria-labelledby`, and a `<title>` on every bar or point so the exact value shows on hover and
//! is read out. All caller text is escaped. Colours are attributes that the page's CSS can override
//! through the `chart-*` classes.

use std::fmt::Write as _;

use crate::text::escape_xml;

/// Size and the words around a chart, all already translated by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// Width in SVG user units (pixels at 100 %); clamped to 200–4000.
    pub width: u32,
    /// Height; clamped to 150–3000.
    pub height: u32,
    /// Longer description for assistive technology (`<desc>`), e.g. a one-sentence summary.
    pub description: String,
    /// Caption under the horizontal axis (may be empty).
    pub x_label: String,
    /// Caption beside the vertical axis (may be empty).
    pub y_label: String,
    /// Shown instead of a plot when the series is empty.
    pub no_data_text: String,
}

impl Default for ChartOptions {
    fn default() -> Self {
        Self {
            width: 640,
            height: 320,
            description: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            no_data_text: String::new(),
        }
    }
}

/// Labels longer than this are shortened under the axis; the full text stays in the tooltip.
const MAX_AXIS_LABEL_CHARS: usize = 14;
/// Beyond this many points the line chart draws no dots (they would merge into a smear).
const MAX_DOTS: usize = 62;

/// A vertical bar chart, one bar per `(label, value)` in the given order.
pub fn bar_chart_svg(title: &str, series: &[(String, f64)], opts: &ChartOptions) -> String {
    let frame = Frame::new(title, series, opts);
    let mut svg = frame.open();
    if series.is_empty() {
        frame.no_data(&mut svg);
        return frame.close(svg);
    }
    frame.axes(&mut svg);
    let band = frame.plot_w / series.len() as f64;
    // Capped so one or two bars do not turn into slabs.
    let bar_w = (band * 0.7).clamp(1.0, 64.0);
    let show_values = series.len() <= 24;
    let label_every = frame.label_step(series.len());
    let zero_y = frame.y_of(0.0);
    svg.push_str(r##"<g class="chart-bars" fill="#1d70b8">"##);
    for (i, (label, value)) in series.iter().enumerate() {
        let v = finite(*value);
        let x = frame.left + band * i as f64 + (band - bar_w) / 2.0;
        let y = frame.y_of(v);
        let (top, h) = if y <= zero_y {
            (y, zero_y - y)
        } else {
            (zero_y, y - zero_y)
        };
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{top:.1}" width="{bar_w:.1}" height="{h:.1}"><title>{}: {}</title></rect>"#,
            escape_xml(label),
            format_value(*value)
        );
    }
    svg.push_str("</g>");
    svg.push_str(r##"<g class="chart-labels" font-size="11" fill="#0b0c0c">"##);
    for (i, (label, value)) in series.iter().enumerate() {
        let cx = frame.left + band * (i as f64 + 0.5);
        if show_values {
            let y = frame.y_of(finite(*value)).min(zero_y) - 4.0;
            let _ = write!(
                svg,
                r#"<text x="{cx:.1}" y="{y:.1}" text-anchor="middle">{}</text>"#,
                format_value(*value)
            );
        }
        if i % label_every == 0 {
            frame.x_tick_label(&mut svg, cx, label);
        }
    }
    svg.push_str("</g>");
    frame.close(svg)
}

/// A line chart over points in the given order (e.g. applications per day: `("01.04", 1250.0)`).
pub fn line_chart_svg(title: &str, series: &[(String, f64)], opts: &ChartOptions) -> String {
    let frame = Frame::new(title, series, opts);
    let mut svg = frame.open();
    if series.is_empty() {
        frame.no_data(&mut svg);
        return frame.close(svg);
    }
    frame.axes(&mut svg);
    let step = if series.len() > 1 {
        frame.plot_w / (series.len() - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| {
        if series.len() > 1 {
            frame.left + step * i as f64
        } else {
            frame.left + frame.plot_w / 2.0
        }
    };
    let mut d = String::new();
    for (i, (_, value)) in series.iter().enumerate() {
        let cmd = if i == 0 { 'M' } else { 'L' };
        let _ = write!(d, "{cmd}{:.1} {:.1}", x_of(i), frame.y_of(finite(*value)));
    }
    let _ = write!(
        svg,
        r##"<path class="chart-line" d="{d}" fill="none" stroke="#1d70b8" stroke-width="2" stroke-linejoin="round"/>"##
    );
    let dots = series.len() <= MAX_DOTS;
    let label_every = frame.label_step(series.len());
    svg.push_str(r##"<g class="chart-points" fill="#1d70b8">"##);
    for (i, (label, value)) in series.iter().enumerate() {
        // Without visible dots the tooltip still needs a target: a transparent, wider circle.
        let (r, opacity) = if dots {
            (3.0, "")
        } else {
            (2.0, r#" fill-opacity="0""#)
        };
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{r}"{opacity}><title>{}: {}</title></circle>"#,
            x_of(i),
            frame.y_of(finite(*value)),
            escape_xml(label),
            format_value(*value)
        );
    }
    svg.push_str("</g>");
    svg.push_str(r##"<g class="chart-labels" font-size="11" fill="#0b0c0c">"##);
    for (i, (label, _)) in series.iter().enumerate() {
        if i % label_every == 0 {
            frame.x_tick_label(&mut svg, x_of(i), label);
        }
    }
    svg.push_str("</g>");
    frame.close(svg)
}

/// Geometry and text shared by both chart kinds.
struct Frame<'a> {
    title: &'a str,
    opts: &'a ChartOptions,
    id: String,
    width: f64,
    height: f64,
    left: f64,
    top: f64,
    plot_w: f64,
    plot_h: f64,
    y_min: f64,
    y_max: f64,
    y_step: f64,
}

impl<'a> Frame<'a> {
    fn new(title: &'a str, series: &[(String, f64)], opts: &'a ChartOptions) -> Self {
        let width = f64::from(opts.width.clamp(200, 4000));
        let height = f64::from(opts.height.clamp(150, 3000));
        let (left, right, top, bottom) = (64.0, 16.0, 40.0, 56.0);
        let lo = series.iter().map(|(_, v)| finite(*v)).fold(0.0, f64::min);
        let hi = series.iter().map(|(_, v)| finite(*v)).fold(0.0, f64::max);
        let (y_min, y_max, y_step) = nice_scale(lo, hi);
        Self {
            title,
            opts,
            id: chart_id(title, series),
            width,
            height,
            left,
            top,
            plot_w: width - left - right,
            plot_h: height - top - bottom,
            y_min,
            y_max,
            y_step,
        }
    }

    fn y_of(&self, v: f64) -> f64 {
        let span = self.y_max - self.y_min;
        self.top + self.plot_h * (1.0 - (v - self.y_min) / span)
    }

    fn bottom(&self) -> f64 {
        self.top + self.plot_h
    }

    /// Show every n-th x label so they never overlap (about 70 units per label).
    fn label_step(&self, n: usize) -> usize {
        let fits = (self.plot_w / 70.0).floor().max(1.0) as usize;
        n.div_ceil(fits).max(1)
    }

    fn open(&self) -> String {
        let (w, h, id) = (self.width, self.height, &self.id);
        let mut svg = String::with_capacity(4096);
        let _ = write!(
            svg,
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" "#,
                r#"width="{w}" height="{h}" role="img" aria-labelledby="{id}-title {id}-desc" "#,
                r#"font-family="system-ui, sans-serif">"#,
                r#"<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
                r##"<rect width="{w}" height="{h}" fill="#fff"/>"##,
                r##"<text x="{tx}" y="24" font-size="15" font-weight="bold" fill="#0b0c0c">{title}</text>"##
            ),
            w = w,
            h = h,
            id = id,
            title = escape_xml(self.title),
            desc = escape_xml(&self.opts.description),
            tx = self.left,
        );
        svg
    }

    fn close(&self, mut svg: String) -> String {
        svg.push_str("</svg>");
        svg
    }

    fn no_data(&self, svg: &mut String) {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="14" fill="#505a5f">{}</text>"##,
            self.width / 2.0,
            self.height / 2.0,
            escape_xml(&self.opts.no_data_text)
        );
    }

    /// Grid lines with value labels, the baseline, and the axis captions.
    fn axes(&self, svg: &mut String) {
        let right = self.left + self.plot_w;
        svg.push_str(r##"<g class="chart-grid" stroke="#d8dde0" stroke-width="1">"##);
        let ticks = self.ticks();
        for v in &ticks {
            let y = self.y_of(*v);
            let _ = write!(
                svg,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}"/>"#,
                self.left
            );
        }
        svg.push_str("</g>");
        svg.push_str(r##"<g class="chart-axis" font-size="11" fill="#505a5f" text-anchor="end">"##);
        for v in &ticks {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                self.left - 6.0,
                self.y_of(*v) + 4.0,
                format_tick(*v, self.y_step)
            );
        }
        svg.push_str("</g>");
        let zero = self.y_of(0.0);
        let _ = write!(
            svg,
            r##"<line class="chart-baseline" x1="{:.1}" y1="{zero:.1}" x2="{right:.1}" y2="{zero:.1}" stroke="#0b0c0c" stroke-width="1"/>"##,
            self.left
        );
        if !self.opts.x_label.is_empty() {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="#0b0c0c">{}</text>"##,
                self.left + self.plot_w / 2.0,
                self.height - 8.0,
                escape_xml(&self.opts.x_label)
            );
        }
        if !self.opts.y_label.is_empty() {
            let (x, y) = (14.0, self.top + self.plot_h / 2.0);
            let _ = write!(
                svg,
                r##"<text x="{x}" y="{y:.1}" transform="rotate(-90 {x} {y:.1})" text-anchor="middle" font-size="12" fill="#0b0c0c">{}</text>"##,
                escape_xml(&self.opts.y_label)
            );
        }
    }

    fn ticks(&self) -> Vec<f64> {
        let count = ((self.y_max - self.y_min) / self.y_step).round() as i64;
        (0..=count.clamp(0, 20))
            .map(|k| self.y_min + self.y_step * k as f64)
            .collect()
    }

    fn x_tick_label(&self, svg: &mut String, x: f64, label: &str) {
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            self.bottom() + 16.0,
            escape_xml(&shorten(label, MAX_AXIS_LABEL_CHARS))
        );
    }
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// An axis from `lo` to `hi` (which include zero) in round steps of 1, 2 or 5 × 10ⁿ, about five
/// of them, so the grid reads 0, 50, 100… rather than 0, 47.3, 94.6….
fn nice_scale(lo: f64, hi: f64) -> (f64, f64, f64) {
    let span = hi - lo;
    if span <= 0.0 || !span.is_finite() {
        return (0.0, 1.0, 0.2);
    }
    let rough = span / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    let y_min = (lo / step).floor() * step;
    let y_max = (hi / step).ceil() * step;
    if y_max <= y_min || !step.is_finite() || step <= 0.0 {
        return (0.0, 1.0, 0.2);
    }
    (y_min, y_max, step)
}

fn format_value(v: f64) -> String {
    if !v.is_finite() {
        "—".to_string()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn format_tick(v: f64, step: f64) -> String {
    if step >= 1.0 || v == 0.0 {
        format_value(v)
    } else {
        let decimals = (-step.log10()).ceil().clamp(0.0, 10.0) as usize;
        format!("{v:.decimals$}")
    }
}

fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A stable id for `aria-labelledby`, different for different charts on one page.
fn chart_id(title: &str, series: &[(String, f64)]) -> String {
    // FNV-1a: tiny, deterministic, good enough to tell charts on one page apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(title.as_bytes());
    for (label, value) in series {
        eat(label.as_bytes());
        eat(&value.to_bits().to_le_bytes());
    }
    format!("chart-{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that every tag is closed in order and that no raw `<`/`&` sits in text: a cheap
    /// stand-in for an XML parser.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "bare & in {text:?}"
                );
            }
            let close = rest[open..].find('>').expect("unclosed tag") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "< inside tag {tag:?}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or_default();
                stack.push(name.to_string());
            }
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert!(rest.trim().is_empty());
    }

    fn series(values: &[f64]) -> Vec<(String, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{:02}.04", i + 1), *v))
            .collect()
    }

    fn opts() -> ChartOptions {
        ChartOptions {
            description: "Өтініштер саны / Количество заявлений".into(),
            x_label: "Күн / День".into(),
            y_label: "Өтініш / Заявления".into(),
            no_data_text: "Деректер жоқ / Нет данных".into(),
            ..ChartOptions::default()
        }
    }

    #[test]
    fn charts_are_well_formed_for_many_shapes_of_data() {
        let long: Vec<f64> = (0..200).map(|i| f64::from(i * 37 % 101)).collect();
        let cases: Vec<Vec<(String, f64)>> = vec![
            vec![],
            series(&[5.0]),
            series(&[0.0, 0.0]),
            series(&[3.0, -2.5, 7.25]),
            series(&[f64::NAN, f64::INFINITY, 1.0]),
            series(&[1e300, 2.0]),
            series(&[0.001, 0.004]),
            series(&long),
        ];
        for data in &cases {
            for svg in [
                bar_chart_svg("Өтініштер", data, &opts()),
                line_chart_svg("Өтініштер", data, &opts()),
            ] {
                assert_well_formed(&svg);
                assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            }
        }
    }

    #[test]
    fn charts_are_accessible() {
        let data = series(&[10.0, 20.0]);
        for svg in [
            bar_chart_svg("Өтініштер", &data, &opts()),
            line_chart_svg("Өтініштер", &data, &opts()),
        ] {
            assert!(svg.contains(r#"role="img""#));
            let id = chart_id("Өтініштер", &data);
            assert!(svg.contains(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)));
            assert!(svg.contains(&format!(r#"<title id="{id}-title">Өтініштер</title>"#)));
            assert!(svg.contains("<desc id=\""));
            assert!(svg.contains("<title>02.04: 20</title>"), "{svg}");
        }
        assert_ne!(chart_id("a", &data), chart_id("b", &data));
    }

    #[test]
    fn all_caller_text_is_escaped() {
        let evil = "<script>alert('x')</script> & \"q\"";
        let data = vec![(evil.to_string(), 1.0)];
        let o = ChartOptions {
            description: evil.into(),
            x_label: evil.into(),
            y_label: evil.into(),
            no_data_text: evil.into(),
            ..ChartOptions::default()
        };
        for svg in [
            bar_chart_svg(evil, &data, &o),
            line_chart_svg(evil, &data, &o),
            bar_chart_svg(evil, &[], &o),
        ] {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)"), "{svg}");
            assert_well_formed(&svg);
        }
    }

    #[test]
    fn empty_series_shows_the_no_data_text() {
        let svg = bar_chart_svg("T", &[], &opts());
        assert!(svg.contains("Деректер жоқ / Нет данных"));
        assert!(!svg.contains("<rect x="));
    }

    #[test]
    fn scale_uses_round_steps_and_covers_the_data() {
        let cases = [
            (0.0, 97.0, (0.0, 100.0, 20.0)),
            (0.0, 1250.0, (0.0, 1500.0, 500.0)),
            (-3.0, 7.0, (-4.0, 8.0, 2.0)),
            (0.0, 0.0, (0.0, 1.0, 0.2)),
            (0.0, 1.0, (0.0, 1.0, 0.2)),
        ];
        for (lo, hi, want) in cases {
            let got = nice_scale(lo, hi);
            assert!(
                (got.0 - want.0).abs() < 1e-9
                    && (got.1 - want.1).abs() < 1e-9
                    && (got.2 - want.2).abs() < 1e-9,
                "nice_scale({lo}, {hi}) = {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn long_labels_are_shortened_on_the_axis_but_kept_in_tooltips() {
        let label = "Ақтөбе қаласының №12 мектеп-гимназиясы";
        let svg = bar_chart_svg("T", &[(label.to_string(), 3.0)], &opts());
        assert!(svg.contains(&format!("<title>{label}: 3</title>")));
        assert!(svg.contains(">Ақтөбе қаласы…</text>"), "{svg}");
    }

    #[test]
    fn bars_of_many_days_thin_out_their_labels() {
        let data = series(&(0..60).map(f64::from).collect::<Vec<_>>());
        let svg = bar_chart_svg("T", &data, &opts());
        let labels = svg.matches("text-anchor=\"middle\">").count();
        assert!(labels < 20, "{labels} x labels");
        assert_eq!(svg.matches("<rect x=").count(), 60);
    }
}
