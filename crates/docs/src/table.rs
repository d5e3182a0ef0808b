//! Report tables for download: CSV that Excel opens correctly in a Kazakh or Russian locale,
//! and XLSX.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::DocsError;

/// One value in a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as text (never as a formula).
    Text(String),
    /// A number; non-finite values are written as empty cells.
    Number(f64),
    /// A calendar date.
    Date(NaiveDate),
}

/// A report table: one header row, then data rows (rows may be shorter or longer than the header).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column titles, already translated.
    pub headers: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<Cell>>,
}

/// Excel's limit on one cell's text.
const XLSX_MAX_CELL_CHARS: usize = 32_767;
/// Excel's limits on sheet size; larger tables are cut rather than producing a broken file.
const XLSX_MAX_ROWS: usize = 1_048_575;
const XLSX_MAX_COLS: usize = 16_384;

/// The table as CSV for Excel in a Kazakh/Russian locale: UTF-8 with a byte-order mark (without
/// it Excel reads UTF-8 as the ANSI code page and Cyrillic turns into mojibake), `;` as the
/// separator (the list separator of those locales, since `,` is their decimal mark), decimal
/// commas, dates as `dd.mm.yyyy`, CRLF line ends.
///
/// Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is
/// prefixed with an apostrophe, so a child named `=HYPERLINK(…)` stays a name.
pub fn to_csv(table: &Table) -> Vec<u8> {
    let mut out = String::from("\u{FEFF}");
    let header: Vec<String> = table.headers.iter().map(|h| csv_text(h)).collect();
    push_csv_line(&mut out, &header);
    for row in &table.rows {
        let fields: Vec<String> = row.iter().map(csv_cell).collect();
        push_csv_line(&mut out, &fields);
    }
    out.into_bytes()
}

fn push_csv_line(out: &mut String, fields: &[String]) {
    out.push_str(&fields.join(";"));
    out.push_str("\r\n");
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => csv_text(s),
        // Numbers are ours, not user text: a leading minus is a sign, not a formula.
        Cell::Number(n) => format_number(*n).replace('.', ","),
        Cell::Date(d) => d.format("%d.%m.%Y").to_string(),
    }
}

fn csv_text(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    let needs_quotes = defused.contains([';', '"', '\n', '\r'])
        || defused.starts_with(' ')
        || defused.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Shortest faithful text of a number: integers without a fraction, others as Rust prints them.
fn format_number(n: f64) -> String {
    if !n.is_finite() {
        String::new()
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// The table as an XLSX workbook with one sheet: bold header row frozen at the top, columns
/// sized to their content, dates as real Excel dates (`dd.mm.yyyy`), numbers as numbers.
///
/// `sheet_name` is made acceptable to Excel (at most 31 characters, none of `[]:*?/\`).
pub fn to_xlsx(table: &Table, sheet_name: &str) -> Result<Vec<u8>, DocsError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("dd.mm.yyyy");
    let sheet = workbook.add_worksheet();
    sheet.set_name(excel_sheet_name(sheet_name))?;

    for (col, header) in table.headers.iter().take(XLSX_MAX_COLS).enumerate() {
        sheet.write_string_with_format(0, col_index(col), xlsx_text(header), &bold)?;
    }
    for (r, row) in table.rows.iter().take(XLSX_MAX_ROWS).enumerate() {
        let excel_row = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (col, cell) in row.iter().take(XLSX_MAX_COLS).enumerate() {
            let col = col_index(col);
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(excel_row, col, xlsx_text(s))?;
                }
                Cell::Number(n) if n.is_finite() => {
                    sheet.write_number(excel_row, col, *n)?;
                }
                Cell::Number(_) => {}
                Cell::Date(d) => match excel_date(*d) {
                    Some(date) => {
                        sheet.write_datetime_with_format(excel_row, col, &date, &date_format)?;
                    }
                    // Excel has no dates before 1900 or after 9999: keep the value readable.
                    None => {
                        sheet.write_string(excel_row, col, d.format("%d.%m.%Y").to_string())?;
                    }
                },
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    Ok(workbook.save_to_buffer()?)
}

fn col_index(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

fn xlsx_text(s: &str) -> String {
    s.chars().take(XLSX_MAX_CELL_CHARS).collect()
}

fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year())
        .ok()
        .filter(|y| (1900..=9999).contains(y))?;
    // Month and day come from a valid NaiveDate, so they are in range.
    let month = u8::try_from(d.month()).ok()?;
    let day = u8::try_from(d.day()).ok()?;
    ExcelDateTime::from_ymd(year, month, day).ok()
}

/// Excel rejects sheet names that are empty, longer than 31 characters, contain `[]:*?/\`, or
/// start or end with an apostrophe; a report title must not make the export fail.
fn excel_sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .take(31)
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    if cleaned.is_empty() {
        "Sheet1".to_string()
    } else if cleaned.eq_ignore_ascii_case("history") {
        // Reserved by Excel.
        format!("{cleaned}_")
    } else {
        cleaned.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn csv_starts_with_bom_and_uses_semicolons_and_crlf() {
        let table = Table {
            headers: vec!["Мектеп".into(), "Өтініштер".into()],
            rows: vec![vec![text("№ 12"), Cell::Number(25.0)]],
        };
        let csv = to_csv(&table);
        assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
        let body = std::str::from_utf8(&csv[3..]).unwrap();
        assert_eq!(body, "Мектеп;Өтініштер\r\n№ 12;25\r\n");
    }

    #[test]
    fn csv_cells_are_escaped() {
        let cases = [
            (text("plain"), "plain"),
            (text("a;b"), "\"a;b\""),
            (text("say \"hi\""), "\"say \"\"hi\"\"\""),
            (text("two\nlines"), "\"two\nlines\""),
            (text(" padded "), "\" padded \""),
            (text(""), ""),
            (Cell::Number(3.5), "3,5"),
            (Cell::Number(-2.0), "-2"),
            (Cell::Number(f64::NAN), ""),
            (Cell::Number(f64::INFINITY), ""),
            (
                Cell::Date(NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()),
                "01.09.2026",
            ),
        ];
        for (cell, want) in cases {
            assert_eq!(csv_cell(&cell), want, "cell {cell:?}");
        }
    }

    #[test]
    fn csv_defuses_formula_injection() {
        let cases = [
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("+7 701 000 00 00", "'+7 701 000 00 00"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("=1;2", "\"'=1;2\""),
            ("a=b", "a=b"),
        ];
        for (input, want) in cases {
            assert_eq!(csv_cell(&text(input)), want, "input {input:?}");
        }
        // Headers are text from translators, but go through the same guard.
        let csv = to_csv(&Table {
            headers: vec!["=cmd".into()],
            rows: vec![],
        });
        assert_eq!(&csv[3..], b"'=cmd\r\n");
    }

    #[test]
    fn sheet_names_are_made_acceptable() {
        let cases = [
            ("Өтініштер", "Өтініштер"),
            ("a/b:c*d?[e]\\f", "a_b_c_d__e__f"),
            ("", "Sheet1"),
            ("'quoted'", "quoted"),
            ("History", "History_"),
            (
                "Бірінші сыныпқа қабылдау үшін құжаттар",
                "Бірінші сыныпқа қабылдау үшін қ",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(excel_sheet_name(input), want, "input {input:?}");
        }
    }

    #[test]
    fn xlsx_is_a_zip_with_the_sheet_and_shared_strings() {
        let table = Table {
            headers: vec!["Аты-жөні".into(), "Саны".into(), "Күні".into()],
            rows: vec![
                vec![
                    text("=Әлиев Нұрсұлтан"),
                    Cell::Number(1.5),
                    Cell::Date(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()),
                ],
                vec![text("Ұлы"), Cell::Number(f64::NAN)],
                vec![Cell::Date(NaiveDate::from_ymd_opt(1800, 1, 1).unwrap())],
            ],
        };
        let bytes = to_xlsx(&table, "Есеп: 2026").unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        // The zip's central directory names the parts Excel needs.
        for part in [
            "xl/workbook.xml",
            "xl/worksheets/sheet1.xml",
            "xl/sharedStrings.xml",
            "[Content_Types].xml",
        ] {
            assert!(
                bytes.windows(part.len()).any(|w| w == part.as_bytes()),
                "missing {part}"
            );
        }
    }

    #[test]
    fn xlsx_round_trip_keeps_text_numbers_dates_and_frozen_header() {
        use std::io::Read;
        let day = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        let table = Table {
            headers: vec!["Аты-жөні / ФИО".into(), "Саны".into(), "Күні".into()],
            rows: vec![vec![
                text("=Әлиев Нұрсұлтан <Ғ&Қ>"),
                Cell::Number(1.5),
                Cell::Date(day),
            ]],
        };
        let bytes = to_xlsx(&table, "Есеп: 2026").unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut part = |name: &str| {
            let mut s = String::new();
            zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        let strings = part("xl/sharedStrings.xml");
        // Stored as a plain string (a formula would live in the sheet as <f>), XML-escaped.
        assert!(
            strings.contains("=Әлиев Нұрсұлтан &lt;Ғ&amp;Қ&gt;"),
            "{strings}"
        );
        assert!(strings.contains("Аты-жөні / ФИО"));
        let sheet = part("xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>"), "no formulas: {sheet}");
        assert!(sheet.contains("<v>1.5</v>"), "{sheet}");
        let serial = (day - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
        assert!(
            sheet.contains(&format!("<v>{serial}</v>")),
            "date serial {serial}: {sheet}"
        );
        assert!(sheet.contains("ySplit=\"1\""), "frozen header: {sheet}");
        assert!(sheet.contains("<col "), "column widths: {sheet}");
        let workbook = part("xl/workbook.xml");
        assert!(workbook.contains("name=\"Есеп_ 2026\""), "{workbook}");
        let styles = part("xl/styles.xml");
        assert!(styles.contains("<b/>"), "bold header font: {styles}");
    }
}
