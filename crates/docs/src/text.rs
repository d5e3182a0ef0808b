//! Small text helpers shared by the renderers.

use chrono::{NaiveDate, NaiveDateTime};

/// Longest value printed from one field. Beyond this a value is not a name or grounds any more
/// but a way to make the server render thousands of pages.
pub(crate) const MAX_FIELD_CHARS: usize = 4000;

/// Escape text for XML/SVG/HTML content and attribute values.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Make user text printable: control characters become spaces (a tab or stray CR must not
/// reach the PDF as an invisible glyph), runs of spaces collapse, and the whole is capped at
/// `max_chars` with an ellipsis. Line feeds are kept when `keep_newlines`.
pub(crate) fn clean(s: &str, max_chars: usize, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut count = 0usize;
    let mut last_space = false;
    for c in s.chars() {
        // Fluent wraps arguments in bidi isolation marks by default; the font has no glyphs
        // for them and left-to-right documents do not need them.
        if is_invisible_format(c) {
            continue;
        }
        let c = match c {
            '\n' if keep_newlines => '\n',
            c if c.is_control() || c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && last_space {
            continue;
        }
        if count == max_chars {
            out.push('…');
            break;
        }
        last_space = c == ' ';
        out.push(c);
        count += 1;
    }
    out.trim().to_string()
}

fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Date as Kazakh and Russian official papers write it: 01.09.2026.
pub(crate) fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Date and time: 01.09.2026 14:05.
pub(crate) fn date_time(d: NaiveDateTime) -> String {
    d.format("%d.%m.%Y %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_xml_escapes_markup_and_drops_controls() {
        let cases = [
            ("a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&#39;"),
            ("Қ\u{0}Ә", "ҚӘ"),
            ("line\nnext", "line\nnext"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_xml(input), want, "input {input:?}");
        }
    }

    #[test]
    fn clean_collapses_space_caps_length_and_handles_newlines() {
        let cases = [
            ("  Әлия \t\r Серік  ", 100, false, "Әлия Серік"),
            ("a\nb", 100, false, "a b"),
            ("a\nb", 100, true, "a\nb"),
            ("ӘӘӘӘӘ", 3, false, "ӘӘӘ…"),
            ("", 3, false, ""),
            ("\u{2068}Әлия\u{2069} \u{200B}", 100, false, "Әлия"),
        ];
        for (input, max, keep, want) in cases {
            assert_eq!(clean(input, max, keep), want, "input {input:?}");
        }
    }
}
