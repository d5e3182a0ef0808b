//! Reading the CSV files administrators import: Excel in Kazakhstan writes `;`-separated UTF-8
//! (often with a byte-order mark); other tools write `,`. Quoted fields may hold separators,
//! doubled quotes and line breaks.

/// The rows of a CSV text, the separator taken from the first line.
pub fn rows(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let first_line = text.lines().next().unwrap_or_default();
    let sep = if first_line.matches(';').count() >= first_line.matches(',').count() {
        ';'
    } else {
        ','
    };
    let mut out = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (c, false) if c == sep => row.push(std::mem::take(&mut field).trim().to_owned()),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field).trim().to_owned());
                if row.iter().any(|f| !f.is_empty()) {
                    out.push(std::mem::take(&mut row));
                } else {
                    row.clear();
                }
            }
            (c, _) => field.push(c),
        }
    }
    row.push(field.trim().to_owned());
    if row.iter().any(|f| !f.is_empty()) {
        out.push(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_excel_and_others_write() {
        let excel = "\u{feff}bin;name_kk\r\n950140001002;\"№1 мектеп; гимназия\"\r\n\r\n";
        assert_eq!(
            rows(excel),
            vec![
                vec!["bin", "name_kk"],
                vec!["950140001002", "№1 мектеп; гимназия"]
            ]
        );
        let commas = "a,b\n\"say \"\"hi\"\"\",2";
        assert_eq!(rows(commas), vec![vec!["a", "b"], vec!["say \"hi\"", "2"]]);
        assert_eq!(rows("x;\"two\nlines\""), vec![vec!["x", "two\nlines"]]);
        assert!(rows("").is_empty());
    }
}
