//! CSV / text lists: encoding detection (UTF-8 ± BOM, UTF-16 with BOM, Windows-1252),
//! delimiter detection and quoted fields.
use super::grid::{Cell, Grid, Row};

/// Bytes → text. UTF-8 when it decodes cleanly, else Windows-1252 (a superset of
/// ISO-8859-1 for the letters Norwegian payroll exports use).
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return encoding_rs::UTF_16LE.decode(bytes).0.into_owned();
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return encoding_rs::UTF_16BE.decode(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Split one logical record set into fields, honouring double quotes (`""` inside quotes).
fn split_records(text: &str, delim: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
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
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
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
fn split_spaced(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// CSV text → one grid; every field is text (the table reader parses values).
pub fn read(name: &str, bytes: &[u8]) -> Grid {
    let mut text = decode(bytes);
    // Old Mac line endings (a bare CR).
    if text.contains('\r') && !text.contains('\n') {
        text = text.replace('\r', "\n");
    }
    let (delim, score) = detect_delimiter(&text);
    let sample: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    let records = if consistency(&split_spaced(&sample)) > score {
        split_spaced(&text)
    } else {
        split_records(&text, delim)
    };
    let rows = records
        .into_iter()
        .enumerate()
        .map(|(i, rec)| Row {
            sheet: name.to_string(),
            row: i as u32 + 1,
            cells: rec
                .into_iter()
                .map(|f| {
                    let t = f.trim().to_string();
                    if t.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(t)
                    }
                })
                .collect(),
            free_text: false,
        })
        .collect();
    Grid {
        name: name.to_string(),
        rows,
    }
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
