//! Spreadsheets that are really markup: HTML tables saved as `.xls` (web portals and
//! older payroll exports) and Excel 2003 XML (SpreadsheetML).
use super::grid::{Cell, Grid, Row};
use super::ParseError;

/// Whether decoded text is an HTML page with a table.
pub fn is_html_table(text: &str) -> bool {
    let head: String = text.chars().take(65_536).collect::<String>().to_lowercase();
    head.contains("<table") && (head.contains("<tr") || head.contains("<td"))
}

/// Whether decoded text is SpreadsheetML.
pub fn is_spreadsheet_ml(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect();
    head.contains("urn:schemas-microsoft-com:office:spreadsheet")
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let Some(end) = tail.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            "oslash" => Some('ø'),
            "Oslash" => Some('Ø'),
            "aelig" => Some('æ'),
            "AElig" => Some('Æ'),
            "aring" => Some('å'),
            "Aring" => Some('Å'),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text of an HTML fragment: tags dropped (`<br>` as a space), entities decoded.
fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// HTML tables → one grid: each `<tr>` a row, each `<td>`/`<th>` a cell (text only).
pub fn read_html(name: &str, text: &str) -> Grid {
    // ASCII-only lowering keeps byte offsets equal to the original text's.
    let lower = text.to_ascii_lowercase();
    let mut rows = Vec::new();
    let mut pos = 0;
    while let Some(start) = lower[pos..].find("<tr").map(|p| p + pos) {
        let end = lower[start + 3..]
            .find("<tr")
            .map(|p| p + start + 3)
            .unwrap_or(lower.len());
        let row_html = &text[start..end];
        let row_lower = &lower[start..end];
        let mut cells = Vec::new();
        let mut cpos = 0;
        while let Some(cs) = next_tag(row_lower, cpos, &["<td", "<th"]) {
            let Some(open_end) = row_lower[cs..].find('>').map(|p| p + cs + 1) else {
                break;
            };
            let ce =
                next_tag(row_lower, open_end, &["<td", "<th", "</tr"]).unwrap_or(row_lower.len());
            let t = strip_tags(&row_html[open_end..ce]);
            // colspan: the cell covers several columns.
            let span = attr_number(&row_lower[cs..open_end], "colspan")
                .unwrap_or(1)
                .clamp(1, 100);
            cells.push(if t.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(t)
            });
            for _ in 1..span {
                cells.push(Cell::Empty);
            }
            cpos = ce;
        }
        rows.push(Row {
            sheet: name.to_string(),
            row: rows.len() as u32 + 1,
            cells,
            free_text: false,
        });
        pos = end;
    }
    Grid {
        name: name.to_string(),
        rows,
    }
}

/// Position of the first of `tags` at or after `from`, in one pass (linear on hostile input).
fn next_tag(text: &str, from: usize, tags: &[&str]) -> Option<usize> {
    text[from..]
        .match_indices('<')
        .map(|(p, _)| p + from)
        .find(|&p| tags.iter().any(|t| text[p..].starts_with(t)))
}

fn attr_number(tag: &str, attr: &str) -> Option<usize> {
    let p = tag.find(attr)? + attr.len();
    let v: String = tag[p..]
        .chars()
        .skip_while(|c| matches!(c, '=' | '"' | '\'' | ' '))
        .take_while(char::is_ascii_digit)
        .collect();
    v.parse().ok()
}

/// SpreadsheetML (Excel 2003 XML) → one grid per worksheet.
pub fn read_spreadsheet_ml(text: &str) -> Result<Vec<Grid>, ParseError> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 5_000_000,
    };
    let doc = roxmltree::Document::parse_with_options(text, opts)
        .map_err(|e| ParseError::Corrupt(format!("xml: {e}")))?;
    let mut grids = Vec::new();
    for ws in doc.descendants().filter(|n| n.has_tag_name("Worksheet")) {
        let name = ws
            .attributes()
            .find(|a| a.name() == "Name")
            .map(|a| a.value().to_string())
            .unwrap_or_else(|| format!("Sheet{}", grids.len() + 1));
        let mut rows = Vec::new();
        let mut row_no = 0u32;
        for r in ws.descendants().filter(|n| n.has_tag_name("Row")) {
            row_no = attr_index(&r).map(|i| i as u32).unwrap_or(row_no + 1);
            let mut cells = Vec::new();
            for c in r.children().filter(|n| n.has_tag_name("Cell")) {
                if let Some(i) = attr_index(&c) {
                    while cells.len() + 1 < i.min(16_384) {
                        cells.push(Cell::Empty);
                    }
                }
                let data = c.children().find(|n| n.has_tag_name("Data"));
                let value: String = data
                    .map(|d| {
                        d.descendants()
                            .filter(|t| t.is_text())
                            .filter_map(|t| t.text())
                            .collect()
                    })
                    .unwrap_or_default();
                let typ = data.and_then(|d| {
                    d.attributes()
                        .find(|a| a.name() == "Type")
                        .map(|a| a.value())
                });
                cells.push(match typ {
                    _ if value.trim().is_empty() => Cell::Empty,
                    Some("Number") => value
                        .trim()
                        .parse()
                        .map(Cell::Number)
                        .unwrap_or(Cell::Text(value)),
                    Some("DateTime") => crate::norwegian::parse_date(&value)
                        .map(Cell::Date)
                        .unwrap_or(Cell::Text(value)),
                    _ => Cell::Text(value),
                });
            }
            rows.push(Row {
                sheet: name.clone(),
                row: row_no,
                cells,
                free_text: false,
            });
        }
        grids.push(Grid { name, rows });
    }
    Ok(grids)
}

fn attr_index(n: &roxmltree::Node) -> Option<usize> {
    n.attributes()
        .find(|a| a.name() == "Index")
        .and_then(|a| a.value().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_table() {
        let html = "<html><body><table><tr><th>Navn</th><th>Bel&oslash;p</th></tr>\
                    <tr><td>Kari <b>Nordmann</b></td><td>450,00</td></tr></table></body></html>";
        assert!(is_html_table(html));
        let g = read_html("x.xls", html);
        assert_eq!(g.rows.len(), 2);
        assert_eq!(g.rows[0].cells[1], Cell::Text("Beløp".into()));
        assert_eq!(g.rows[1].cells[0], Cell::Text("Kari Nordmann".into()));
    }

    #[test]
    fn spreadsheet_ml() {
        let xml = r#"<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Ark1"><Table><Row><Cell><Data ss:Type="String">Navn</Data></Cell><Cell ss:Index="3"><Data ss:Type="String">Beløp</Data></Cell></Row><Row><Cell><Data ss:Type="String">Kari Nordmann</Data></Cell><Cell ss:Index="3"><Data ss:Type="Number">450.5</Data></Cell></Row></Table></Worksheet></Workbook>"#;
        assert!(is_spreadsheet_ml(xml));
        let g = read_spreadsheet_ml(xml).unwrap_or_default();
        assert_eq!(g[0].rows[1].cells[2], Cell::Number(450.5));
    }
}
