//! Spreadsheets through calamine (xlsx, xlsm, xlsb, xls, ods), after checks that keep a
//! hostile zip or a far-away cell from exhausting memory.
use super::grid::{Cell, Grid, Row};
use super::{ParseError, ParseLimits};
use calamine::{
    open_workbook_from_rs, Data, DataRef, Ods, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx,
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

/// First occurrence of `needle`: a scan for its first byte, then a compare (a worksheet
/// is scanned whole, so this runs over megabytes).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut at = 0;
    while let Some(p) = hay.get(at..)?.iter().position(|&b| b == first) {
        let start = at + p;
        if hay.get(start + 1..start + needle.len()) == Some(rest) {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// Serials Excel can show as dates (1900-01-00 to 9999-12-31), in either epoch.
const EXCEL_SERIALS: std::ops::RangeInclusive<f64> = -1462.0..=2_958_466.0;

/// [`convert`] for a value the caller owns: its text is moved, not copied.
fn convert_owned(d: Data) -> Cell {
    match d {
        Data::String(s) => Cell::Text(s),
        other => convert(&other),
    }
}

fn convert(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(b.to_string()),
        // Dates first: as_datetime() would also turn plain numbers into dates. It panics
        // (in chrono) on serials far outside Excel's calendar, so only those are asked.
        Data::DateTime(dt) if dt.is_datetime() && EXCEL_SERIALS.contains(&dt.as_f64()) => {
            match dt.as_datetime() {
                Some(x) => Cell::Date(x.date()),
                None => Cell::Number(dt.as_f64()),
            }
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
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
    let sheet: std::sync::Arc<str> = name.into();
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
                sheet: sheet.clone(),
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

/// One sheet read cell by cell from calamine's streaming reader, so nothing is allocated
/// for the area a cell claims: the used area (last row × last column that holds a value,
/// whatever `<dimension>` says) is checked against the limit at every cell, before it is
/// kept. Rows keep their numbers, and the empty rows inside the table stay (a blank row
/// parts a title from a header).
fn stream_grid<'a, E: std::fmt::Display>(
    name: &str,
    mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, E>,
    limits: &ParseLimits,
) -> Result<Grid, ParseError> {
    let mut cells: Vec<(u32, u32, Cell)> = Vec::new();
    let (mut max_row, mut max_col) = (0u64, 0u64);
    let mut in_order = true;
    loop {
        let cell = match next() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(ParseError::Corrupt(format!("sheet {name}: {e}"))),
        };
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (r, c) = cell.get_position();
        let value = convert_owned(Data::from(cell.get_value().clone()));
        max_row = max_row.max(u64::from(r) + 1);
        max_col = max_col.max(u64::from(c) + 1);
        if max_row > limits.max_rows {
            return Err(too_many_rows(name, limits));
        }
        if max_row.saturating_mul(max_col) > limits.max_sheet_cells {
            return Err(ParseError::TooLarge(format!(
                "sheet {name} spans {max_row}×{max_col} cells"
            )));
        }
        if let Some(&(pr, pc, _)) = cells.last() {
            in_order &= (pr, pc) < (r, c);
        }
        cells.push((r, c, value));
    }
    if !in_order {
        // Stable: of two values for one cell the later wins, as calamine's range does.
        cells.sort_by_key(|&(r, c, _)| (r, c));
    }
    let sheet: std::sync::Arc<str> = name.into();
    let (Some(&(first_row, ..)), Some(&(last_row, ..))) = (cells.first(), cells.last()) else {
        return Ok(Grid {
            name: name.to_string(),
            rows: Vec::new(),
        });
    };
    let mut rows: Vec<Row> = (first_row..=last_row)
        .map(|r| Row {
            sheet: sheet.clone(),
            row: r + 1,
            cells: Vec::new(),
            free_text: false,
        })
        .collect();
    for (r, c, value) in cells {
        let Some(row) = rows.get_mut((r - first_row) as usize) else {
            continue;
        };
        let c = c as usize;
        if row.cells.len() <= c {
            row.cells.resize(c + 1, Cell::Empty);
        }
        row.cells[c] = value;
    }
    for row in &mut rows {
        while row.cells.last().is_some_and(Cell::is_empty) {
            row.cells.pop();
        }
    }
    Ok(Grid {
        name: name.to_string(),
        rows,
    })
}

fn too_many_rows(name: &str, limits: &ParseLimits) -> ParseError {
    ParseError::TooLarge(format!(
        "sheet {name} has more than {} rows (the limit max_rows)",
        limits.max_rows
    ))
}

fn check_range(
    name: &str,
    range: &calamine::Range<Data>,
    limits: &ParseLimits,
) -> Result<(), ParseError> {
    let (h, w) = range.get_size();
    if h as u64 > limits.max_rows {
        return Err(too_many_rows(name, limits));
    }
    if (h as u64).saturating_mul(w as u64) > limits.max_sheet_cells {
        return Err(ParseError::TooLarge(format!(
            "sheet {name} has {h}×{w} cells"
        )));
    }
    Ok(())
}

/// Worksheets of an open workbook → grids. Hidden sheets are left out when a visible one
/// exists (they hold rates or old copies, not the list sent); a sheet that fails to load
/// is skipped as long as another one loads. A sheet over a limit fails the file.
fn read_sheets<RS, R>(
    wb: &mut R,
    mut load: impl FnMut(&mut R, &str) -> Result<Grid, ParseError>,
) -> Result<Vec<Grid>, ParseError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
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
        match load(wb, &sheet.name) {
            Ok(grid) => grids.push(grid),
            Err(e @ ParseError::TooLarge(_)) => return Err(e),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (grids.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(grids),
    }
}

/// A whole sheet through calamine's range (xls and ods have no streaming reader).
fn load_range<RS, R>(wb: &mut R, name: &str, limits: &ParseLimits) -> Result<Grid, ParseError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let range = wb
        .worksheet_range(name)
        .map_err(|e| ParseError::Corrupt(format!("sheet {name}: {e}")))?;
    check_range(name, &range, limits)?;
    Ok(to_grid(name, &range))
}

/// Read every sheet of a workbook into grids.
pub fn read(kind: SheetKind, bytes: &[u8], limits: &ParseLimits) -> Result<Vec<Grid>, ParseError> {
    let cursor = Cursor::new(bytes);
    let open_err = |e: &dyn std::fmt::Display| ParseError::Corrupt(format!("{e}"));
    match kind {
        SheetKind::Xlsx => {
            // calamine reads the shared strings when it opens the file.
            check_shared_strings(bytes, limits)?;
            let mut wb: Xlsx<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, |wb: &mut Xlsx<_>, name| {
                match wb.worksheet_cells_reader(name) {
                    Ok(mut cells) => stream_grid(name, || cells.next_cell(), limits),
                    // What calamine's own range makes of a part that is no worksheet.
                    Err(calamine::XlsxError::NotAWorksheet(_)) => Ok(Grid {
                        name: name.to_string(),
                        rows: Vec::new(),
                    }),
                    Err(e) => Err(ParseError::Corrupt(format!("sheet {name}: {e}"))),
                }
            })
        }
        SheetKind::Xlsb => {
            let mut wb: Xlsb<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, |wb: &mut Xlsb<_>, name| {
                let mut cells = wb
                    .worksheet_cells_reader(name)
                    .map_err(|e| ParseError::Corrupt(format!("sheet {name}: {e}")))?;
                stream_grid(name, || cells.next_cell(), limits)
            })
        }
        SheetKind::Ods => {
            let mut wb: Ods<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, |wb: &mut Ods<_>, name| {
                load_range(wb, name, limits)
            })
        }
        SheetKind::Xls => {
            let mut wb: Xls<_> = open_workbook_from_rs(cursor).map_err(|e| open_err(&e))?;
            read_sheets(&mut wb, |wb: &mut Xls<_>, name| {
                load_range(wb, name, limits)
            })
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

    /// The parts calamine needs to open a workbook of one sheet with this sheet XML.
    fn workbook_of(sheet_xml: &str) -> Vec<u8> {
        const NS: &str = "http://schemas.openxmlformats.org";
        zip_of(&[
            (
                "_rels/.rels",
                &format!(
                    r#"<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
                ),
            ),
            (
                "xl/workbook.xml",
                &format!(
                    r#"<workbook xmlns="{NS}/spreadsheetml/2006/main" xmlns:r="{NS}/officeDocument/2006/relationships"><sheets><sheet name="Trekk" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                ),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                &format!(
                    r#"<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
                ),
            ),
            ("xl/worksheets/sheet1.xml", sheet_xml),
        ])
    }

    fn sheet_xml(cells: &str) -> String {
        format!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
        )
    }

    #[test]
    fn a_far_away_cell_is_refused_before_loading() {
        let bytes = workbook_of(&sheet_xml(
            r#"<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>2</v></c></row>"#,
        ));
        let err = read(SheetKind::Xlsx, &bytes, &ParseLimits::default());
        assert!(matches!(err, Err(ParseError::TooLarge(_))), "{err:?}");
    }

    #[test]
    fn cells_out_of_order_and_blank_rows_keep_their_places() {
        // Row 3 before row 1, a blank row 2, a styled empty cell far away.
        let bytes = workbook_of(&sheet_xml(
            r#"<row r="3"><c r="B3" t="inlineStr"><is><t>Kari</t></is></c><c r="A3"><v>7</v></c></row><row r="1"><c r="A1" t="inlineStr"><is><t>Liste</t></is></c></row><row r="9"><c r="XFD9" s="1"/></row>"#,
        ));
        let grids = read(SheetKind::Xlsx, &bytes, &ParseLimits::default()).unwrap();
        let rows: Vec<(u32, Vec<Cell>)> = grids[0]
            .rows
            .iter()
            .map(|r| (r.row, r.cells.clone()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (1, vec![Cell::Text("Liste".into())]),
                (2, vec![]),
                (3, vec![Cell::Number(7.0), Cell::Text("Kari".into())]),
            ]
        );
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
    fn a_date_serial_outside_the_calendar_is_a_number_not_a_panic() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        for v in [1e300, -1e300, f64::NAN, 3e6, -5000.0] {
            let d = Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false));
            assert!(matches!(convert(&d), Cell::Number(_)), "{v}");
        }
        let d = Data::DateTime(ExcelDateTime::new(
            46_341.0,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(
            convert(&d),
            Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap())
        );
    }

    #[test]
    fn find_locates_needles_at_either_end_and_repeated_first_bytes() {
        assert_eq!(find(b"<c r=", b"<c "), Some(0));
        assert_eq!(find(b"<<<c ", b"<c "), Some(2));
        assert_eq!(find(b"xx<c", b"<c "), None);
        assert_eq!(find(b"", b"<c "), None);
        assert_eq!(find(b"abc", b""), None);
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
