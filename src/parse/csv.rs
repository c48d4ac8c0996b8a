//! CSV / text lists: encoding detection (UTF-8 ± BOM, UTF-16 with BOM, Windows-1252),
//! delimiter detection and quoted fields.
use super::grid::{Cell, Grid, Row};
use super::ParseError;
use std::borrow::Cow;

/// Bytes → text. UTF-8 when it decodes cleanly, else Windows-1252 (a superset of
/// ISO-8859-1 for the letters Norwegian payroll exports use).
pub fn decode(bytes: &[u8]) -> String {
    decode_borrowed(bytes).into_owned()
}

/// [`decode`] without a copy of text that is UTF-8 already (a large CSV is held once).
pub fn decode_borrowed(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return encoding_rs::UTF_16LE.decode(bytes).0;
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return encoding_rs::UTF_16BE.decode(bytes).0;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0,
    }
}

/// Split one logical record set into fields, honouring double quotes (`""` inside quotes).
fn split_records(text: &str, delim: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    for_each_record(text, delim, |r| {
        records.push(r);
        true
    });
    records
}

/// [`split_records`] handing each record over as it is complete, so a large file is never
/// held as fields and as rows at the same time. Stops when `emit` says no more.
fn for_each_record(text: &str, delim: char, mut emit: impl FnMut(Vec<String>) -> bool) {
    let mut field = String::new();
    let mut record = Vec::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
            }
            c if c == delim => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if !emit(std::mem::take(&mut record)) {
                    return;
                }
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        emit(record);
    }
}

/// How well a split fits: lines sharing the most common field count (when above 1).
fn consistency(records: &[Vec<String>]) -> usize {
    let mut freq = std::collections::HashMap::new();
    for r in records.iter().filter(|r| r.len() > 1) {
        *freq.entry(r.len()).or_insert(0usize) += 1;
    }
    freq.values().copied().max().unwrap_or(0)
}

/// The delimiter that splits most lines into the same number (> 1) of fields.
fn detect_delimiter(text: &str) -> (char, usize) {
    let sample: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    let mut best = (';', 0usize);
    for d in [';', '\t', ',', '|'] {
        let score = consistency(&split_records(&sample, d));
        if score > best.1 {
            best = (d, score);
        }
    }
    best
}

/// Fixed-width text (columns padded with spaces): fields split at runs of 2+ spaces.
fn spaced_records(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines().map(|l| {
        l.split("  ")
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect()
    })
}

fn split_spaced(text: &str) -> Vec<Vec<String>> {
    spaced_records(text).collect()
}

fn cell_of(field: String) -> Cell {
    let t = field.trim();
    if t.is_empty() {
        Cell::Empty
    } else if t.len() == field.len() {
        Cell::Text(field)
    } else {
        Cell::Text(t.to_string())
    }
}

/// CSV text → one grid; every field is text (the table reader parses values).
pub fn read(name: &str, bytes: &[u8]) -> Grid {
    let (grid, _) = read_rows(name, bytes, u64::MAX);
    grid
}

/// [`read`] of at most `max_rows` rows: a longer file is refused, and reading stops there
/// rather than holding all of it.
pub fn read_limited(name: &str, bytes: &[u8], max_rows: u64) -> Result<Grid, ParseError> {
    match read_rows(name, bytes, max_rows) {
        (grid, false) => Ok(grid),
        (_, true) => Err(ParseError::TooLarge(format!(
            "more than {max_rows} rows (the limit max_rows)"
        ))),
    }
}

/// The grid, and whether rows were left unread at the limit.
fn read_rows(name: &str, bytes: &[u8], max_rows: u64) -> (Grid, bool) {
    let mut text = decode_borrowed(bytes);
    // Old Mac line endings (a bare CR).
    if text.contains('\r') && !text.contains('\n') {
        text = text.replace('\r', "\n").into();
    }
    let (delim, score) = detect_delimiter(&text);
    let sample: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    let sheet: std::sync::Arc<str> = name.into();
    let mut rows = Vec::new();
    let mut cut = false;
    let push = |rec: Vec<String>| {
        if rows.len() as u64 >= max_rows {
            cut = true;
            return false;
        }
        rows.push(Row {
            sheet: sheet.clone(),
            row: rows.len() as u32 + 1,
            cells: rec.into_iter().map(cell_of).collect(),
            free_text: false,
        });
        true
    };
    if consistency(&split_spaced(&sample)) > score {
        spaced_records(&text).all(push);
    } else {
        for_each_record(&text, delim, push);
    }
    let grid = Grid {
        name: name.to_string(),
        rows,
    };
    (grid, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1252_and_semicolons() {
        let bytes = b"Navn;Bel\xf8p\nKari;450,50\n";
        let g = read("x.csv", bytes);
        assert_eq!(g.rows[0].cells[1], Cell::Text("Beløp".into()));
        assert_eq!(g.rows[1].cells[1], Cell::Text("450,50".into()));
    }

    #[test]
    fn quoted_commas() {
        let g = read(
            "x.csv",
            "Navn,Beløp\n\"Nordmann, Kari\",\"1 234,50\"\n".as_bytes(),
        );
        assert_eq!(g.rows[1].cells[0], Cell::Text("Nordmann, Kari".into()));
        assert_eq!(g.rows[1].cells[1], Cell::Text("1 234,50".into()));
    }

    #[test]
    fn mac_line_endings() {
        let g = read("x.csv", b"Navn;Belop\rKari;450\r");
        assert_eq!(g.rows.len(), 2);
    }

    #[test]
    fn bom_and_tabs() {
        let g = read("x.csv", "\u{feff}Navn\tFnr\nKari\t01019012345\n".as_bytes());
        assert_eq!(g.rows[0].cells[0], Cell::Text("Navn".into()));
        assert_eq!(g.rows[1].cells[1], Cell::Text("01019012345".into()));
    }
}
