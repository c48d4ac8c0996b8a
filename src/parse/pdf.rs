//! PDF lists: text with positions from pdf-extract, rebuilt into lines and columns.
//! Columns come from the header line (kept across pages until a new header appears), so
//! repeated page headers and page footers fall out as non-person rows.
use super::fields::{classify_header, Field};
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
    /// Baseline from the top of the page, and the font size, of the line's first glyph.
    pub y: f64,
    pub size: f64,
}

struct Collector {
    pages: Vec<Vec<Glyph>>,
    current: Vec<Glyph>,
    height: f64,
    glyphs: usize,
    max_glyphs: usize,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _n: u32,
        media_box: &MediaBox,
        _art: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.current.clear();
        self.height = media_box.ury - media_box.lly;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.pages.push(std::mem::take(&mut self.current));
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        self.glyphs += 1;
        if self.glyphs > self.max_glyphs {
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        // Scale of the text matrix: the side of a square of the same area.
        let det = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs();
        let size = font_size * det.sqrt();
        let size = if size.is_finite() && size > 0.1 {
            size
        } else {
            10.0
        };
        let x = trm.m31;
        let y = self.height - trm.m32;
        if !x.is_finite() || !y.is_finite() {
            return Ok(());
        }
        // Some fonts report no advance width: assume half an em so words still hold together.
        let advance = width * size;
        let advance = if advance.is_finite() && advance > 0.05 * size {
            advance
        } else {
            0.5 * size
        };
        self.current.push(Glyph {
            x,
            y,
            end: x + advance,
            size,
            ch: ch.to_string(),
        });
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

/// Glyphs of one page → lines of words, top to bottom. A word ends at a space glyph or
/// at a gap wider than a sixth of the font size (some PDFs draw no space glyphs).
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
            let (y, size) = (r[0].y, r[0].size);
            r.sort_by(|a, b| a.x.total_cmp(&b.x));
            let mut words: Vec<Chunk> = Vec::new();
            let mut last_end: Option<f64> = None;
            let mut pending_space = false;
            for g in r {
                if g.ch.trim().is_empty() {
                    pending_space = true;
                    continue;
                }
                let joined = match (words.last_mut(), last_end) {
                    (Some(w), Some(e)) if !pending_space && g.x - e < 0.17 * g.size => {
                        w.text.push_str(&g.ch);
                        w.x1 = w.x1.max(g.end);
                        true
                    }
                    _ => false,
                };
                if !joined {
                    words.push(Chunk {
                        text: g.ch.clone(),
                        x0: g.x,
                        x1: g.end.max(g.x),
                    });
                }
                pending_space = false;
                last_end = Some(g.end.max(g.x));
            }
            words.retain(|c| !c.text.trim().is_empty());
            // "34 801,33": digit groups split by a thousands space are one word.
            let mut merged: Vec<Chunk> = Vec::with_capacity(words.len());
            for w in words {
                match merged.last_mut() {
                    Some(prev)
                        if thousands_continuation(prev, &w) || currency_continuation(prev, &w) =>
                    {
                        prev.text.push(' ');
                        prev.text.push_str(&w.text);
                        prev.x1 = w.x1;
                    }
                    _ => merged.push(w),
                }
            }
            let words = merged;
            (!words.is_empty()).then_some(Line {
                page,
                chunks: words,
                y,
                size,
            })
        })
        .collect()
}

/// "kr" printed apart from its number ("kr 365,38") belongs to it.
fn currency_continuation(prev: &Chunk, next: &Chunk) -> bool {
    let p = prev.text.to_lowercase();
    let currency = matches!(p.as_str(), "kr" | "kr." | "nok" | "-kr" | "kr-");
    let number = next
        .text
        .starts_with(|c: char| c.is_ascii_digit() || c == '-');
    let char_width = (next.x1 - next.x0) / next.text.chars().count().max(1) as f64;
    currency && number && next.x0 - prev.x1 < 1.5 * char_width
}

fn thousands_continuation(prev: &Chunk, next: &Chunk) -> bool {
    let p = prev.text.trim_start_matches(['-', '−']);
    let p = p.strip_prefix("kr").unwrap_or(p).trim();
    let lead = !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit());
    let n: Vec<char> = next.text.chars().collect();
    let group = n.len() >= 3
        && n[..3].iter().all(char::is_ascii_digit)
        && (n.len() == 3 || matches!(n[3], ',' | '.' | ' '));
    let char_width = (next.x1 - next.x0) / n.len().max(1) as f64;
    lead && group && next.x0 - prev.x1 < 1.2 * char_width
}

/// Header words grouped into column titles: a word that names a field on its own starts
/// a new title, unless it continues an open phrase ("Navn (etternavn, fornavn)").
fn header_phrases(line: &Line) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    for w in &line.chunks {
        let starts_new = match out.last() {
            None => true,
            Some(prev) => {
                let size_gap = w.x0 - prev.x1;
                let open = prev.text.ends_with(',')
                    || prev.text.ends_with('(')
                    || prev.text.ends_with('/')
                    || prev.text.ends_with('-')
                    || prev.text.matches('(').count() > prev.text.matches(')').count();
                let own = classify_header(&w.text)
                    .is_some_and(|f| !matches!(f.0, Field::Ignore | Field::Number));
                let prev_own = classify_header(&prev.text)
                    .is_some_and(|f| !matches!(f.0, Field::Ignore | Field::Number));
                let continues = w.text.starts_with('(') || open;
                // A wide gap always separates columns.
                let char_width = (w.x1 - w.x0) / w.text.chars().count().max(1) as f64;
                size_gap > 1.5 * char_width || (!continues && own && prev_own)
            }
        };
        if starts_new {
            out.push(w.clone());
        } else if let Some(prev) = out.last_mut() {
            prev.text.push(' ');
            prev.text.push_str(&w.text);
            prev.x1 = prev.x1.max(w.x1);
        }
    }
    out
}

fn is_header_line(line: &Line) -> bool {
    let phrases = header_phrases(line);
    let distinct: std::collections::HashSet<Field> = phrases
        .iter()
        .filter_map(|c| classify_header(&c.text))
        .map(|f| f.0)
        .filter(|f| *f != Field::Ignore)
        .collect();
    distinct.len() >= 2 && distinct.iter().any(|f| f.identifies())
}

/// Boundaries between the columns a header names, placed where the data lines below it
/// have a gap: in the space between two titles, the rightmost point that cuts the fewest
/// words (text is left-aligned under its title; numbers end just before the next one).
fn boundaries(titles: &[Chunk], data: &[&Line]) -> Vec<f64> {
    let words: Vec<&Chunk> = data.iter().flat_map(|l| l.chunks.iter()).collect();
    titles
        .windows(2)
        .map(|pair| {
            let (a, b) = (pair[0].x1, pair[1].x0);
            if b <= a {
                return (pair[0].x1 + pair[1].x0) / 2.0;
            }
            let mut candidates = vec![a, b];
            for w in &words {
                for x in [w.x0, w.x1] {
                    if x > a && x < b {
                        candidates.push(x);
                    }
                }
            }
            let cuts = |p: f64| {
                words
                    .iter()
                    .filter(|w| w.x0 < p - 0.01 && w.x1 > p + 0.01)
                    .count()
            };
            let mut best = (usize::MAX, a);
            for p in candidates {
                let c = cuts(p);
                if c < best.0 || c == best.0 && p > best.1 {
                    best = (c, p);
                }
            }
            best.1
        })
        .collect()
}

fn append_cells(prev: &mut Row, cells: &[Cell]) {
    for (i, c) in cells.iter().enumerate() {
        let Cell::Text(more) = c else { continue };
        if prev.cells.len() <= i {
            prev.cells.resize(i + 1, Cell::Empty);
        }
        prev.cells[i] = match &prev.cells[i] {
            Cell::Text(t) => Cell::Text(format!("{t} {more}")),
            _ => Cell::Text(more.clone()),
        };
    }
}

fn distinct_fields(titles: &[Chunk]) -> usize {
    titles
        .iter()
        .filter_map(|t| classify_header(&t.text))
        .map(|f| f.0)
        .filter(|f| *f != Field::Ignore)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// A header printed on two lines ("Fødsels-" over "nummer"): the second line's words,
/// all without digits and each under a title, are appended to those titles when that
/// names at least as many fields.
fn continue_titles(titles: &[Chunk], next: &Line) -> Option<Vec<Chunk>> {
    if next
        .chunks
        .iter()
        .any(|w| w.text.chars().any(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let mut merged = titles.to_vec();
    for w in &next.chunks {
        let centre = (w.x0 + w.x1) / 2.0;
        let char_width = (w.x1 - w.x0) / w.text.chars().count().max(1) as f64;
        let t = merged
            .iter_mut()
            .find(|t| centre >= t.x0 - 2.0 * char_width && centre <= t.x1 + 2.0 * char_width)?;
        t.text.push(' ');
        t.text.push_str(&w.text);
        t.x0 = t.x0.min(w.x0);
        t.x1 = t.x1.max(w.x1);
    }
    (distinct_fields(&merged) >= distinct_fields(titles)).then_some(merged)
}

/// Lines → one grid, columns taken from the latest header line.
fn lines_to_grid(lines: &[Line]) -> Grid {
    let mut bounds: Option<Vec<f64>> = None;
    let mut rows = Vec::new();
    let mut line_no = 0u32;
    let mut page = 0u32;
    let headers: Vec<bool> = lines.iter().map(is_header_line).collect();
    // Pages whose table header comes after some lines: those lines are the page's title block.
    let mut first_header: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for (i, (l, h)) in lines.iter().zip(&headers).enumerate() {
        if *h {
            first_header.entry(l.page).or_insert(i);
        }
    }
    let first_header_on_page = |p: u32| first_header.get(&p).copied();
    let mut skip_next = false;
    let mut comment_cols: Vec<bool> = Vec::new();
    let mut last_was_data = false;
    for (i, line) in lines.iter().enumerate() {
        if line.page != page {
            page = line.page;
            line_no = 0;
        }
        line_no += 1;
        if std::mem::take(&mut skip_next) {
            continue;
        }
        let title = first_header_on_page(line.page).is_some_and(|h| i < h);
        let cells: Vec<Cell> = if title {
            vec![Cell::Text(
                line.chunks
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            )]
        } else if headers[i] {
            let mut titles = header_phrases(line);
            let mut data_start = i + 1;
            if let Some(next) = lines
                .get(i + 1)
                .filter(|n| n.page == line.page && !headers[i + 1])
            {
                if let Some(merged) = continue_titles(&titles, next) {
                    titles = merged;
                    data_start = i + 2;
                    skip_next = true;
                }
            }
            let data: Vec<&Line> = lines[data_start.min(lines.len())..]
                .iter()
                .zip(&headers[data_start.min(lines.len())..])
                .take_while(|(_, h)| !**h)
                .map(|(l, _)| l)
                .take(300)
                .collect();
            bounds = Some(boundaries(&titles, &data));
            comment_cols = titles
                .iter()
                .map(|t| classify_header(&t.text).is_some_and(|f| f.0 == Field::Comment))
                .collect();
            last_was_data = false;
            titles.iter().map(|c| Cell::Text(c.text.clone())).collect()
        } else if let Some(b) = &bounds {
            let mut cells = vec![Cell::Empty; b.len() + 1];
            for w in &line.chunks {
                let centre = (w.x0 + w.x1) / 2.0;
                let col = b.iter().take_while(|&&x| centre >= x).count();
                cells[col] = match &cells[col] {
                    Cell::Text(t) => Cell::Text(format!("{t} {}", w.text)),
                    _ => Cell::Text(w.text.clone()),
                };
            }
            // A comment wrapped onto the next line: only comment columns filled, right
            // under a data row. It belongs to that row.
            let only_comments = cells
                .iter()
                .enumerate()
                .all(|(i, c)| c.is_empty() || comment_cols.get(i).copied().unwrap_or(false));
            let close = i > 0
                && lines[i - 1].page == line.page
                && (line.y - lines[i - 1].y).abs() < 1.8 * line.size;
            if only_comments && last_was_data && close {
                if let Some(prev) = rows.last_mut() {
                    append_cells(prev, &cells);
                    continue;
                }
            }
            last_was_data = cells.iter().filter(|c| !c.is_empty()).count() >= 2;
            cells
        } else {
            vec![Cell::Text(
                line.chunks
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            )]
        };
        rows.push(Row {
            sheet: format!("page {}", line.page),
            row: line_no,
            cells,
            free_text: title,
        });
    }
    Grid {
        name: "pdf".into(),
        rows,
    }
}

/// Text lines of a PDF with positions (for the grid and for debugging).
pub fn lines(bytes: &[u8], limits: &ParseLimits) -> Result<Vec<Line>, ParseError> {
    let doc =
        lopdf::Document::load_mem(bytes).map_err(|e| ParseError::Corrupt(format!("pdf: {e}")))?;
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
    pdf_extract::output_doc(&doc, &mut out)
        .map_err(|e| ParseError::Corrupt(format!("pdf text: {e}")))?;
    let mut lines = Vec::new();
    for (i, glyphs) in out.pages.into_iter().enumerate() {
        lines.extend(page_lines(i as u32 + 1, glyphs));
    }
    Ok(lines)
}

/// A PDF → one grid of its pages.
pub fn read(bytes: &[u8], limits: &ParseLimits) -> Result<Vec<Grid>, ParseError> {
    let lines = lines(bytes, limits)?;
    let has_text = lines.iter().any(|l| {
        l.chunks
            .iter()
            .any(|c| c.text.chars().any(char::is_alphanumeric))
    });
    if !has_text {
        return Err(ParseError::NoText);
    }
    Ok(vec![lines_to_grid(&lines)])
}
