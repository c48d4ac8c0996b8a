//! Spreadsheets through calamine (xlsx, xlsm, xlsb, xls, ods), after checks that keep a
//! hostile zip or a far-away cell from exhausting memory.
use super::grid::{Cell, Grid, Row};
use super::{ParseError, ParseLimits};
use calamine::{
    open_workbook_from_rs, Data, Ods, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx,
};
use std::io::{Cursor, Read};

/// Which spreadsheet reader a file needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Xlsx,
    Xlsb,
    Ods,
    Xls,
}

/// Entry names of a zip, after checking its declared sizes against the limits.
pub fn zip_entries(bytes: &[u8], limits: &ParseLimits) -> Result<Vec<String>, ParseError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?;
    if zip.len() > limits.max_zip_entries {
        return Err(ParseError::TooLarge(format!("{} zip entries", zip.len())));
    }
    let mut total: u64 = 0;
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?;
        total = total.saturating_add(f.size());
        names.push(
            f.name()
                .map(|n| n.into_owned())
                .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?,
        );
    }
    if total > limits.max_zip_uncompressed_bytes {
        return Err(ParseError::TooLarge(format!(
            "zip expands to {total} bytes"
        )));
    }
    Ok(names)
}

/// Bounding box of the cells a worksheet XML really uses: scans `<c r="..">` and
/// `<row r="..">` (the `<dimension>` element may lie or be missing), and reads no more
/// than the zip size limit.
fn xlsx_sheet_cells(bytes: &[u8], entry: &str, limits: &ParseLimits) -> Result<u64, ParseError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?;
    let f = zip
        .by_name(entry)
        .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?;
    let mut xml = Vec::new();
    f.take(limits.max_zip_uncompressed_bytes)
        .read_to_end(&mut xml)
        .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?;
    // Only cells with content count: calamine keeps nothing of an empty, styled
    // `<c r="XFD1048576" s="0"/>`, and rows alone allocate nothing.
    let (mut max_row, mut max_col) = (0u64, 0u64);
    let mut i = 0;
    while let Some(pos) = find(&xml[i..], b"<c ") {
        let tag_start = i + pos;
        let Some(tag_len) = xml[tag_start..].iter().position(|&b| b == b'>') else {
            break;
        };
        let tag = &xml[tag_start..tag_start + tag_len];
        i = tag_start + tag_len + 1;
        if tag.ends_with(b"/") {
            continue;
        }
        if let Some(r) = find(tag, b" r=\"") {
            let value = &tag[r + 4..];
            let end = value.iter().position(|&b| b == b'"').unwrap_or(value.len());
            let (col, row) = cell_ref(&value[..end]);
            max_row = max_row.max(row);
            max_col = max_col.max(col);
        }
        if i >= xml.len() {
            break;
        }
    }
    Ok(max_row.saturating_mul(max_col.max(1)))
}

/// calamine reserves room for the shared-string count the file declares: a made-up
/// `uniqueCount` would allocate before a single string is read.
fn check_shared_strings(bytes: &[u8], limits: &ParseLimits) -> Result<(), ParseError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?;
    let Ok(f) = zip.by_name("xl/sharedStrings.xml") else {
        return Ok(());
    };
    let mut head = Vec::new();
    f.take(4096)
        .read_to_end(&mut head)
        .map_err(|e| ParseError::Corrupt(format!("zip: {e}")))?;
    for attr in [&b" uniqueCount=\""[..], &b" count=\""[..]] {
        if let Some(p) = find(&head, attr) {
            let digits: Vec<u8> = head[p + attr.len()..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .copied()
                .collect();
            if digits.is_empty() {
                continue;
            }
            // Too many digits to parse is too large too.
            let n = std::str::from_utf8(&digits)
                .ok()
                .and_then(|d| d.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            if n > limits.max_sheet_cells {
                return Err(ParseError::TooLarge(format!("{n} shared strings declared")));
            }
        }
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// "XFD1048576" → (16384, 1048576); "12" (a row number) → (0, 12).
fn cell_ref(r: &[u8]) -> (u64, u64) {
    let mut col = 0u64;
    let mut row = 0u64;
    for &b in r {
        match b {
            b'A'..=b'Z' => {
                col = col
                    .saturating_mul(26)
                    .saturating_add(u64::from(b - b'A' + 1))
            }
            b'0'..=b'9' => row = row.saturating_mul(10).saturating_add(u64::from(b - b'0')),
            _ => {}
        }
    }
    (col, row)
}

fn convert(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(b.to_string()),
        // Dates first: as_datetime() would also turn plain numbers into dates.
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(x) if dt.is_datetime() => Cell::Date(x.date()),
            _ => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => match crate::norwegian::parse_date(s) {
            Some(d) => Cell::Date(d),
            None => Cell::Text(s.clone()),
        },
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(_) => Cell::Empty,
    }
}

fn to_grid(name: &str, range: &calamine::Range<Data>) -> Grid {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![Cell::Empty; col0 as usize];
            cells.extend(r.iter().map(convert));
            while cells.last().is_some_and(Cell::is_empty) {
                cells.pop();
            }
            Row {
                sheet: name.to_string(),
                row: row0 + i as u32 + 1,
                cells,
                free_text: false,
            }
        })
        .collect();
    Grid {
        name: name.to_string(),
        rows,
    }
}

fn check_range(
    name: &str,
    range: &calamine::Range<Data>,
    limits: &ParseLimits,
) -> Result<(), ParseError> {
    let (h, w) = range.get_size();
    if (h as u64).saturating_mul(w as u64) > limits.max_sheet_cells {
        return Err(ParseError::TooLarge(format!(
            "sheet {name} has {h}×{w} cells"
        )));
    }
    Ok(())
}

/// Worksheets of an open workbook → grids. Hidden sheets are left out when a visible one
/// exists (they hold rates or old copies, not the list sent); a sheet that fails to load
/// is skipped as long as another one loads.
fn read_sheets<RS, R>(wb: &mut R, limits: &ParseLimits) -> Result<Vec<Grid>, ParseError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let meta: Vec<calamine::Sheet> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .cloned()
        .collect();
    let any_visible = meta.iter().any(|s| s.visible == SheetVisible::Visible);
    let mut grids = Vec::new();
    let mut first_error = None;
    for sheet in meta {
        if any_visible && sheet.visible != SheetVisible::Visible {
            continue;
        }
        match wb.worksheet_range(&sheet.name) {
            Ok(range) => {
                check_range(&sheet.name, &range, limits)?;
                grids.push(to_grid(&sheet.name, &range));
            }
            Err(e) => {
                first_error.get_or_insert_with(|| {
                    ParseError::Corrupt(format!("sheet {}: {e}", sheet.name))
                });
            }
        }
    }
    match (grids.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(grids),
    }
}

/// Read every sheet of a workbook into grids.
pub fn read(kind: SheetKind, bytes: &[u8], limits: &ParseLimits) -> Result<Vec<Grid>, ParseError> {
    let cursor = Cursor::new(bytes);
    let open_err = |e: &dyn std::fmt::Display| ParseError::Corrupt(format!("{e}"));
    match kind {
        SheetKind::Xlsx => {
            // Check every worksheet part before calamine allocates any of them.
            let parts: Vec<String> = zip_entries(bytes, limits)?
                .into_iter()
                .filter(|n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"))
                .collect();
            for part in parts {
                if xlsx_sheet_cells(bytes, &part, limits)? > limits.max_sheet_cells {
                    return Err(ParseError::TooLarge(format!("{part} spans too many cells")));
                }
            }
            check_shared_strings(bytes, limits)?;
            let mut wb: Xlsx<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, limits)
        }
        SheetKind::Xlsb => {
            let mut wb: Xlsb<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, limits)
        }
        SheetKind::Ods => {
            let mut wb: Ods<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, limits)
        }
        SheetKind::Xls => {
            let mut wb: Xls<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, limits)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            for (name, body) in entries {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(body.as_bytes()).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn a_far_away_cell_is_refused_before_loading() {
        let bytes = zip_of(&[
            ("xl/workbook.xml", "<workbook/>"),
            (
                "xl/worksheets/sheet1.xml",
                r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>"#,
            ),
        ]);
        let err = read(SheetKind::Xlsx, &bytes, &ParseLimits::default());
        assert!(matches!(err, Err(ParseError::TooLarge(_))), "{err:?}");
    }

    #[test]
    fn a_made_up_shared_string_count_is_refused() {
        let bytes = zip_of(&[
            ("xl/workbook.xml", "<workbook/>"),
            (
                "xl/sharedStrings.xml",
                r#"<sst count="99999999999999" uniqueCount="99999999999999"></sst>"#,
            ),
        ]);
        let err = read(SheetKind::Xlsx, &bytes, &ParseLimits::default());
        assert!(matches!(err, Err(ParseError::TooLarge(_))), "{err:?}");
    }

    #[test]
    fn declared_zip_size_is_checked() {
        let big = "x".repeat(2_000_000);
        let bytes = zip_of(&[("xl/workbook.xml", "<workbook/>"), ("xl/big.xml", &big)]);
        let limits = ParseLimits {
            max_zip_uncompressed_bytes: 1_000_000,
            ..ParseLimits::default()
        };
        assert!(matches!(
            zip_entries(&bytes, &limits),
            Err(ParseError::TooLarge(_))
        ));
    }
}
