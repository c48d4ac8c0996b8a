//! PDF lists: text with positions from pdf-extract, rebuilt into lines and columns.
//! Columns come from the header line (kept across pages until a new header appears), so
//! repeated page headers and page footers fall out as non-person rows.
use super::fields::classify_header;
use super::grid::{Cell, Grid, Row};
use super::{ParseError, ParseLimits};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    /// Baseline, measured from the top of the page.
    y: f64,
    end: f64,
    size: f64,
    ch: String,
}

/// One stretch of text on a line without a column-sized gap in it.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub text: String,
    pub x0: f64,
    pub x1: f64,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub page: u32,
    pub chunks: Vec<Chunk>,
}

struct Collector {
    pages: Vec<Vec<Glyph>>,
    current: Vec<Glyph>,
    height: f64,
    glyphs: usize,
    max_glyphs: usize,
}

impl OutputDev for Collector {
    fn begin_page(&mut self, _n: u32, media_box: &MediaBox, _art: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> {
        self.current.clear();
        self.height = media_box.ury - media_box.lly;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.pages.push(std::mem::take(&mut self.current));
        Ok(())
    }

    fn output_character(&mut self, trm: &Transform, width: f64, _spacing: f64, font_size: f64, ch: &str) -> Result<(), OutputError> {
        self.glyphs += 1;
        if self.glyphs > self.max_glyphs {
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        // Scale of the text matrix: the side of a square of the same area.
        let det = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs();
        let size = font_size * det.sqrt();
        let size = if size.is_finite() && size > 0.1 { size } else { 10.0 };
        let x = trm.m31;
        let y = self.height - trm.m32;
        if !x.is_finite() || !y.is_finite() {
            return Ok(());
        }
        self.current.push(Glyph { x, y, end: x + width * size, size, ch: ch.to_string() });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Glyphs of one page → lines of chunks, top to bottom.
fn page_lines(page: u32, mut glyphs: Vec<Glyph>) -> Vec<Line> {
    glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut rows: Vec<Vec<Glyph>> = Vec::new();
    for g in glyphs {
        match rows.last_mut() {
            Some(r) if (g.y - r[0].y).abs() < 0.4 * r[0].size.max(g.size) => r.push(g),
            _ => rows.push(vec![g]),
        }
    }
    rows.into_iter()
        .filter_map(|mut r| {
            r.sort_by(|a, b| a.x.total_cmp(&b.x));
            let mut chunks: Vec<Chunk> = Vec::new();
            let mut last_end: Option<f64> = None;
            let mut pending_space = false;
            for g in r {
                if g.ch.trim().is_empty() {
                    pending_space = true;
                    continue;
                }
                let gap = last_end.map(|e| g.x - e);
                match (chunks.last_mut(), gap) {
                    (Some(c), Some(gap)) if gap < 1.0 * g.size => {
                        if pending_space || gap > 0.15 * g.size {
                            c.text.push(' ');
                        }
                        c.text.push_str(&g.ch);
                        c.x1 = c.x1.max(g.end);
                    }
                    _ => chunks.push(Chunk { text: g.ch.clone(), x0: g.x, x1: g.end }),
                }
                pending_space = false;
                last_end = Some(g.end.max(g.x));
            }
            for c in &mut chunks {
                c.text = c.text.split_whitespace().collect::<Vec<_>>().join(" ");
            }
            chunks.retain(|c| !c.text.is_empty());
            (!chunks.is_empty()).then_some(Line { page, chunks })
        })
        .collect()
}

fn is_header_line(line: &Line) -> bool {
    let fields: Vec<_> = line.chunks.iter().filter_map(|c| classify_header(&c.text)).collect();
    let distinct: std::collections::HashSet<_> =
        fields.iter().map(|f| f.0).filter(|f| *f != super::fields::Field::Ignore).collect();
    distinct.len() >= 2 && distinct.iter().any(|f| f.identifies())
}

/// Column regions from a header line: each header's span widened to halfway to its neighbours.
fn regions(header: &Line) -> Vec<(f64, f64)> {
    let n = header.chunks.len();
    (0..n)
        .map(|i| {
            let c = &header.chunks[i];
            let left = if i == 0 { f64::MIN } else { (header.chunks[i - 1].x1 + c.x0) / 2.0 };
            let right = if i + 1 == n { f64::MAX } else { (c.x1 + header.chunks[i + 1].x0) / 2.0 };
            (left, right)
        })
        .collect()
}

fn column_of(chunk: &Chunk, regions: &[(f64, f64)]) -> usize {
    let mut best = (0usize, f64::MIN);
    for (i, &(l, r)) in regions.iter().enumerate() {
        let overlap = chunk.x1.min(r) - chunk.x0.max(l);
        if overlap > best.1 {
            best = (i, overlap);
        }
    }
    best.0
}

/// Lines → one grid, columns taken from the latest header line.
fn lines_to_grid(lines: &[Line]) -> Grid {
    let mut cols: Option<Vec<(f64, f64)>> = None;
    let mut rows = Vec::new();
    let mut line_no = 0u32;
    let mut page = 0u32;
    for line in lines {
        if line.page != page {
            page = line.page;
            line_no = 0;
        }
        line_no += 1;
        let cells: Vec<Cell> = if is_header_line(line) {
            cols = Some(regions(line));
            line.chunks.iter().map(|c| Cell::Text(c.text.clone())).collect()
        } else if let Some(regs) = &cols {
            let mut cells = vec![Cell::Empty; regs.len()];
            for c in &line.chunks {
                let i = column_of(c, regs);
                cells[i] = match &cells[i] {
                    Cell::Text(t) => Cell::Text(format!("{t} {}", c.text)),
                    _ => Cell::Text(c.text.clone()),
                };
            }
            cells
        } else {
            line.chunks.iter().map(|c| Cell::Text(c.text.clone())).collect()
        };
        rows.push(Row { sheet: format!("page {}", line.page), row: line_no, cells });
    }
    Grid { name: "pdf".into(), rows }
}

/// Text lines of a PDF with positions (for the grid and for debugging).
pub fn lines(bytes: &[u8], limits: &ParseLimits) -> Result<Vec<Line>, ParseError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| ParseError::Corrupt(format!("pdf: {e}")))?;
    if doc.is_encrypted() {
        return Err(ParseError::Encrypted("the PDF is encrypted".into()));
    }
    let pages = doc.get_pages();
    if pages.len() > limits.max_pdf_pages {
        return Err(ParseError::TooLarge(format!("{} pages", pages.len())));
    }
    let mut out = Collector {
        pages: Vec::new(),
        current: Vec::new(),
        height: 0.0,
        glyphs: 0,
        max_glyphs: limits.max_pdf_chars,
    };
    pdf_extract::output_doc(&doc, &mut out).map_err(|e| ParseError::Corrupt(format!("pdf text: {e}")))?;
    let mut lines = Vec::new();
    for (i, glyphs) in out.pages.into_iter().enumerate() {
        lines.extend(page_lines(i as u32 + 1, glyphs));
    }
    Ok(lines)
}

/// A PDF → one grid of its pages.
pub fn read(bytes: &[u8], limits: &ParseLimits) -> Result<Vec<Grid>, ParseError> {
    let lines = lines(bytes, limits)?;
    let has_text = lines.iter().any(|l| l.chunks.iter().any(|c| c.text.chars().any(char::is_alphanumeric)));
    if !has_text {
        return Err(ParseError::NoText);
    }
    Ok(vec![lines_to_grid(&lines)])
}
