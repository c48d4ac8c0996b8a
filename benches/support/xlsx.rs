//! A minimal xlsx writer (zip + SpreadsheetML parts, inline strings), shared by the
//! benchmark and the spreadsheet fuzz target, so neither needs a spreadsheet-writing crate.
#![allow(dead_code)]
use std::io::{Cursor, Write};

/// One cell to write.
#[derive(Debug, Clone)]
pub enum XCell {
    Empty,
    Text(String),
    Number(f64),
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 forbids most control characters; a writer drops them.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// "A", "B", … "Z", "AA" for a 0-based column.
pub fn column_name(mut col: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8_lossy(&name).into_owned()
}

fn sheet_xml(rows: &[Vec<XCell>]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, row) in rows.iter().enumerate() {
        xml.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            let at = format!("{}{}", column_name(c), r + 1);
            match cell {
                XCell::Empty => {}
                XCell::Text(t) => xml.push_str(&format!(
                    "<c r=\"{at}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                    escape(t)
                )),
                XCell::Number(n) if n.is_finite() => {
                    xml.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>"))
                }
                XCell::Number(_) => {}
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// An xlsx with the given sheets and extra stored (uncompressed) parts, such as a picture.
pub fn write_xlsx(sheets: &[(&str, Vec<Vec<XCell>>)], extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut types = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types \
         xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Default Extension=\"png\" ContentType=\"image/png\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
    );
    let mut wb = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>",
    );
    let mut rels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships \
         xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        ));
        wb.push_str(&format!(
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            escape(name)
        ));
        rels.push_str(&format!(
            "<Relationship Id=\"rId{n}\" \
             Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" \
             Target=\"worksheets/sheet{n}.xml\"/>"
        ));
    }
    types.push_str("</Types>");
    wb.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    let root_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships \
         xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" \
         Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" \
         Target=\"xl/workbook.xml\"/></Relationships>";

    let mut buf = Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let deflate = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        let mut put = |name: &str, body: &[u8], opts| {
            // Writing to a Vec cannot fail short of running out of memory.
            let _ = z.start_file(name, opts);
            let _ = z.write_all(body);
        };
        put("[Content_Types].xml", types.as_bytes(), deflate);
        put("_rels/.rels", root_rels.as_bytes(), deflate);
        put("xl/workbook.xml", wb.as_bytes(), deflate);
        put("xl/_rels/workbook.xml.rels", rels.as_bytes(), deflate);
        for (i, (_, rows)) in sheets.iter().enumerate() {
            put(
                &format!("xl/worksheets/sheet{}.xml", i + 1),
                sheet_xml(rows).as_bytes(),
                deflate,
            );
        }
        for (name, body) in extra {
            put(name, body, stored);
        }
        let _ = z.finish();
    }
    buf.into_inner()
}
