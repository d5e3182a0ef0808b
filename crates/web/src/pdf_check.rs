//! Uploaded PDFs are stored as they are (a scan of a medical form must stay the parent's own
//! file), so they are checked instead: a PDF that runs something when opened (JavaScript, an
//! automatic action, launching a program), carries other files inside it, is cut off, or is at
//! the same time another kind of file (a ZIP or an HTML page glued to it) is refused.
//!
//! PDF hides names two ways: `#xx` escapes in a name (`/J#61vaScript`) and compressed object
//! streams. Names are read with their escapes decoded, and every Flate stream is inflated (with a
//! bound, so that a "zip bomb" costs no more than the bound) and searched too.

use std::io::Read;

/// Names that make a PDF act on its own or carry files. `/OpenAction` alone may just open a
/// page, and `/JS` holds a script only in an action of type `/JavaScript` (three bytes such as
/// "/JS" also turn up by chance in megabytes of compressed scan), so neither counts alone.
const ACTIVE_NAMES: [&[u8]; 6] = [
    b"JavaScript",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"XFA",
];

/// What inflating all streams of one file may produce at most.
const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Checks a PDF; `Err` is the translation key of what is wrong.
pub fn check(data: &[u8]) -> Result<(), &'static str> {
    if !data.starts_with(b"%PDF-") {
        return Err("app-err-format");
    }
    // A complete file ends with %%EOF (allowing trailing whitespace some writers add).
    let tail = &data[data.len().saturating_sub(1024)..];
    if find(tail, b"%%EOF").is_none() {
        return Err("app-err-pdf-broken");
    }
    let found = scan(data);
    if found.tag || has_zip_end(data) {
        return Err("app-err-pdf-polyglot");
    }
    if found.active_name {
        return Err("app-err-pdf-active");
    }
    let mut budget = MAX_INFLATED_BYTES;
    for stream in object_streams(data) {
        let mut out = Vec::new();
        let read = flate2::read::ZlibDecoder::new(stream)
            .take(budget + 1)
            .read_to_end(&mut out);
        // A stream that does not inflate is left to the reader (some writers pad them); what
        // did inflate is searched.
        let _ = read;
        if out.len() as u64 > budget {
            return Err("app-err-pdf-active");
        }
        budget -= out.len() as u64;
        let found = scan(&out);
        if found.tag || found.active_name {
            return Err("app-err-pdf-active");
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// Where a ZIP reader looks for the archive's end record: the last 64 KiB and its 22 bytes.
const ZIP_END_WINDOW: usize = 65_535 + 22;

/// The end record a ZIP reader finds near the end (only there: four bytes anywhere in megabytes
/// of compressed scan would refuse honest files now and then).
fn has_zip_end(data: &[u8]) -> bool {
    let tail = &data[data.len().saturating_sub(ZIP_END_WINDOW)..];
    find(tail, b"PK\x05\x06").is_some()
}

/// What one pass over a PDF's bytes found.
#[derive(Debug, Default, PartialEq)]
struct Found {
    /// A tag a browser would run as a page: the file is also another kind of file.
    tag: bool,
    /// A `/Name` (with `#xx` escapes decoded) that makes a PDF act on its own or carry files.
    active_name: bool,
}

/// One pass from each `<` or `/` to the next, rather than a pass for the tags and another for
/// the names: this runs over every uploaded PDF, and such passes were the largest single cost of
/// an application in an early rush profile (bench/README.md).
fn scan(data: &[u8]) -> Found {
    const TAGS: [&[u8]; 6] = [
        b"script",
        b"html",
        b"!doctype html",
        b"svg",
        b"iframe",
        b"body",
    ];
    const LONGEST: usize = 13; // "EmbeddedFiles"
    let mut found = Found::default();
    let mut name = Vec::with_capacity(LONGEST + 1);
    let mut i = 0;
    loop {
        // Once an active name is found, only a tag could still change the answer.
        let next = if found.active_name {
            memchr::memchr(b'<', &data[i..])
        } else {
            memchr::memchr2(b'<', b'/', &data[i..])
        };
        let Some(at) = next else {
            return found;
        };
        i += at + 1;
        if data[i - 1] == b'<' {
            let rest = &data[i..];
            if TAGS
                .iter()
                .any(|tag| rest.len() >= tag.len() && rest[..tag.len()].eq_ignore_ascii_case(tag))
            {
                found.tag = true;
                return found;
            }
            continue;
        }
        // A name runs to the next delimiter, `<` and `/` among them, so every one of those is
        // still looked at. A name grown longer than any active one is left at once.
        name.clear();
        i = read_name(data, i, LONGEST, &mut name);
        if name.len() <= LONGEST && ACTIVE_NAMES.contains(&&name[..]) {
            found.active_name = true;
        }
    }
}

/// Reads a name's bytes from `i` with `#xx` escapes decoded, up to a delimiter or until it is
/// longer than `longest`; returns where reading stopped.
fn read_name(data: &[u8], mut i: usize, longest: usize, name: &mut Vec<u8>) -> usize {
    while i < data.len() && !DELIMITER[usize::from(data[i])] && name.len() <= longest {
        if data[i] == b'#'
            && i + 2 < data.len()
            && let (Some(h), Some(l)) = (hex(data[i + 1]), hex(data[i + 2]))
        {
            name.push(h * 16 + l);
            i += 3;
            continue;
        }
        name.push(data[i]);
        i += 1;
    }
    i
}

/// Whether a `/Name` token (with `#xx` escapes decoded) of at most `longest` bytes satisfies
/// `wanted`.
fn has_name(data: &[u8], longest: usize, wanted: impl Fn(&[u8]) -> bool) -> bool {
    let mut i = 0;
    let mut name = Vec::with_capacity(longest + 1);
    // The scans skip to the next interesting byte with memchr: these passes over every
    // uploaded PDF were about 5 % of the server's CPU in the rush, byte by byte. A name grown
    // longer than any wanted one is left at once: what follows it up to the next `/` is no
    // name's start, so the search goes on from there.
    while let Some(slash) = memchr::memchr(b'/', &data[i..]) {
        name.clear();
        i = read_name(data, i + slash + 1, longest, &mut name);
        if name.len() <= longest && wanted(&name) {
            return true;
        }
    }
    false
}

/// PDF's whitespace and delimiters (ISO 32000-1, 7.2.2), by byte.
const DELIMITER: [bool; 256] = {
    let mut table = [false; 256];
    let mut k = 0;
    let list = b"\0\t\n\x0c\r ()<>[]{}/%";
    while k < list.len() {
        table[list[k] as usize] = true;
        k += 1;
    }
    table
};

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The object streams (`/Type/ObjStm`, however spelled): where objects, and so scripts, may
/// hide compressed. Image and page streams are not inflated (their content is no object).
fn object_streams(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut dict_from = 0;
    for (start, end) in stream_bounds(data) {
        let dict = &data[dict_from.max(start.saturating_sub(512))..start];
        if has_name(dict, 6, |n| n == b"ObjStm") {
            out.push(&data[start..end]);
        }
        dict_from = end;
    }
    out
}

/// Where each stream's data begins and ends (after `stream` and its end of line, up to
/// `endstream`).
fn stream_bounds(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find(&data[from..], b"stream") {
        let start = from + at;
        from = start + 6;
        // "endstream" also contains "stream": skip it.
        if start >= 3 && &data[start - 3..start] == b"end" {
            continue;
        }
        let mut body = from;
        if data.get(body) == Some(&b'\r') {
            body += 1;
        }
        if data.get(body) == Some(&b'\n') {
            body += 1;
        }
        let end = find(&data[body..], b"endstream").map_or(data.len(), |e| body + e);
        out.push((body, end));
        from = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PLAIN: &[u8] =
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("deflate");
        e.finish().expect("deflate")
    }

    #[test]
    fn a_plain_pdf_passes() {
        assert_eq!(check(PLAIN), Ok(()));
    }

    #[test]
    fn scripts_actions_and_attachments_are_refused_however_spelled() {
        for body in [
            &b"<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>"[..],
            b"<</AA<</O<</S/Launch/F(cmd.exe)>>>>>>",
            b"<</Names<</EmbeddedFiles 3 0 R>>>>",
            b"<</Type/EmbeddedFile>>",
            b"<</S/J#61vaScript/JS 4 0 R>>",
            b"<</Names<</J#61v#61Script 5 0 R>>>>",
        ] {
            assert_eq!(
                with(body),
                Err("app-err-pdf-active"),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    /// A complete PDF with `body` as its one object, checked.
    fn with(body: &[u8]) -> Result<(), &'static str> {
        let mut pdf = b"%PDF-1.7\n1 0 obj".to_vec();
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"endobj\n%%EOF\n");
        check(&pdf)
    }

    #[test]
    fn a_long_name_is_passed_over_without_missing_the_name_after_it() {
        assert_eq!(
            with(b"<</AVeryLongNameIndeed/JavaScript>>"),
            Err("app-err-pdf-active")
        );
        assert_eq!(
            with(b"<</AVeryLongNameIndeed#2FJavaScript>>"),
            Ok(()),
            "an escaped slash is part of the name"
        );
        assert_eq!(with(b"<</NotJavaScript/EmbeddedFilesX>>"), Ok(()));
    }

    #[test]
    fn a_script_hidden_in_a_compressed_object_stream_is_found() {
        let hidden = deflate(b"<</S/JavaScript/JS(app.alert(1))>>");
        let mut pdf = format!(
            "%PDF-1.7\n1 0 obj<</Type/Obj#53tm/Length {}/Filter/FlateDecode>>stream\n",
            hidden.len()
        )
        .into_bytes();
        pdf.extend_from_slice(&hidden);
        pdf.extend_from_slice(b"\nendstream endobj\n%%EOF\n");
        assert_eq!(check(&pdf), Err("app-err-pdf-active"));
        // The same stream with harmless content passes.
        let harmless = deflate(b"BT /F1 12 Tf (hello) Tj ET");
        let mut pdf = b"%PDF-1.7\n1 0 obj<</Filter/FlateDecode>>stream\n".to_vec();
        pdf.extend_from_slice(&harmless);
        pdf.extend_from_slice(b"\nendstream endobj\n%%EOF\n");
        assert_eq!(check(&pdf), Ok(()));
        // "/JS" alone (as found by chance in an image's data) runs nothing.
        let mut pdf = b"%PDF-1.7\n1 0 obj<</Subtype/Image/Length 9>>stream\n".to_vec();
        pdf.extend_from_slice(b"\x01/JS \x02\xff");
        pdf.extend_from_slice(b"\nendstream endobj\n%%EOF\n");
        assert_eq!(check(&pdf), Ok(()));
    }

    #[test]
    fn one_pass_finds_tags_and_names_wherever_they_touch() {
        // A tag right after a name, and a name right after a tag.
        assert_eq!(
            with(b"<</Length 3/Foo<script>"),
            Err("app-err-pdf-polyglot")
        );
        assert_eq!(with(b"<</Foo<</Launch>>"), Err("app-err-pdf-active"));
        // A tag after an active name still makes the file another kind of file: that answer
        // wins, as when the two were looked for one after the other.
        assert_eq!(
            with(b"<</S/JavaScript>> <html>"),
            Err("app-err-pdf-polyglot")
        );
        assert_eq!(
            scan(b"/XFA</EmbeddedFile"),
            Found {
                tag: false,
                active_name: true
            }
        );
        assert_eq!(scan(b"/Launc/h<bod"), Found::default());
    }

    #[test]
    fn truncated_files_and_polyglots_are_refused() {
        assert_eq!(check(&PLAIN[..PLAIN.len() - 8]), Err("app-err-pdf-broken"));
        let mut zip = PLAIN.to_vec();
        zip.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00payload.exe");
        zip.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        zip.extend_from_slice(b"%%EOF\n");
        assert_eq!(check(&zip), Err("app-err-pdf-polyglot"));
        let mut html = PLAIN.to_vec();
        html.splice(9..9, b"<HTML><Script>alert(1)</script>".iter().copied());
        assert_eq!(check(&html), Err("app-err-pdf-polyglot"));
        for tag in [
            &b"<!DocType HTML>"[..],
            b"<svg onload=x>",
            b"<IFRAME src=x>",
            b"<body>",
        ] {
            let mut page = PLAIN.to_vec();
            page.splice(9..9, tag.iter().copied());
            assert_eq!(check(&page), Err("app-err-pdf-polyglot"), "{tag:?}");
        }
        // A `<` that starts no tag, at the very end too, is harmless.
        let mut text = PLAIN.to_vec();
        text.extend_from_slice(b"% 1 < 2 <sv");
        assert_eq!(check(&text), Ok(()));
    }
}
