//! PDF lists: text with positions from pdf-extract, rebuilt into lines and columns.
//! Columns come from the header line (kept across pages until a new header appears), so
//! repeated page headers and page footers fall out as non-person rows.
//! Glyphs come from our own reader on lopdf ([`super::pdf_text`]); a document it does not
//! handle goes through pdf-extract, which yields the same glyphs, only slower.
use super::fields::{self, classify_header, Field};
use super::grid::{Cell, Grid, Row};
use super::pdf_text::{self, GlyphSink};
use super::{ParseError, ParseLimits};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

/// A glyph's text: a range of the page's text buffer (no String per glyph).
#[derive(Debug, Clone, Copy)]
struct TextRange {
    start: u32,
    len: u32,
}

impl TextRange {
    fn of<'t>(&self, text: &'t str) -> &'t str {
        let start = self.start as usize;
        text.get(start..start + self.len as usize).unwrap_or("")
    }
}

#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    /// Baseline, measured from the top of the page.
    y: f64,
    end: f64,
    size: f64,
    ch: TextRange,
}

/// One page's glyphs and the text they point into.
#[derive(Debug, Default)]
struct Page {
    glyphs: Vec<Glyph>,
    text: String,
}

/// A glyph as drawn, before the page is turned upright: origin in PDF user space (y up),
/// and the quarter turn its baseline runs in (0 → right, 1 → up, 2 → left, 3 → down).
#[derive(Debug, Clone)]
struct RawGlyph {
    px: f64,
    py: f64,
    dir: u8,
    advance: f64,
    size: f64,
    ch: TextRange,
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
    pages: Vec<Page>,
    current: Vec<RawGlyph>,
    text: String,
    width: f64,
    height: f64,
    glyphs: usize,
    max_glyphs: usize,
}

/// The quarter turn of a text matrix's baseline direction.
fn quarter_turn(m11: f64, m12: f64) -> u8 {
    let angle = m12.atan2(m11);
    if !angle.is_finite() {
        return 0;
    }
    ((angle / std::f64::consts::FRAC_PI_2).round() as i64).rem_euclid(4) as u8
}

/// A point in PDF user space → reading coordinates (x along the text, y down the page
/// from the top) for a page whose text runs in quarter turn `dir`. A landscape list
/// printed onto a portrait page (`/Rotate 90`, drawn turned) reads like any other.
fn upright(px: f64, py: f64, dir: u8, width: f64, height: f64) -> (f64, f64) {
    match dir {
        1 => (py, px),
        2 => (width - px, py),
        3 => (height - py, width - px),
        _ => (px, height - py),
    }
}

/// Turn a page's glyphs so its main text direction reads left to right.
fn upright_page(raw: &[RawGlyph], width: f64, height: f64) -> Vec<Glyph> {
    let mut count = [0usize; 4];
    for g in raw {
        count[usize::from(g.dir & 3)] += 1;
    }
    // Ties go to ordinary horizontal text.
    let dir = (0..4u8)
        .max_by_key(|&d| (count[usize::from(d)], std::cmp::Reverse(d)))
        .unwrap_or(0);
    raw.iter()
        .filter_map(|g| {
            let (x, y) = upright(g.px, g.py, dir, width, height);
            (x.is_finite() && y.is_finite()).then_some(Glyph {
                x,
                y,
                end: x + g.advance,
                size: g.size,
                ch: g.ch,
            })
        })
        .collect()
}

impl Collector {
    fn new(max_glyphs: usize) -> Self {
        Collector {
            pages: Vec::new(),
            current: Vec::new(),
            text: String::new(),
            width: 0.0,
            height: 0.0,
            glyphs: 0,
            max_glyphs,
        }
    }

    fn start_page(&mut self, width: f64, height: f64) {
        self.current.clear();
        self.text.clear();
        self.width = width;
        self.height = height;
    }

    fn finish_page(&mut self) {
        let glyphs = upright_page(&self.current, self.width, self.height);
        self.current.clear();
        self.pages.push(Page {
            glyphs,
            text: std::mem::take(&mut self.text),
        });
    }

    /// Returns false once over the glyph limit.
    fn add(&mut self, trm: &Transform, width: f64, font_size: f64, ch: &str) -> bool {
        self.glyphs += 1;
        if self.glyphs > self.max_glyphs {
            return false;
        }
        // Scale of the text matrix: the side of a square of the same area.
        let det = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs();
        let size = font_size * det.sqrt();
        let size = if size.is_finite() && size > 0.1 {
            size
        } else {
            10.0
        };
        if !trm.m31.is_finite() || !trm.m32.is_finite() {
            return true;
        }
        // Some fonts report no advance width: assume half an em so words still hold together.
        let advance = width * size;
        let advance = if advance.is_finite() && advance > 0.05 * size {
            advance
        } else {
            0.5 * size
        };
        // The glyph limit keeps the buffer far below 4 GiB.
        let start = self.text.len() as u32;
        self.text.push_str(ch);
        self.current.push(RawGlyph {
            px: trm.m31,
            py: trm.m32,
            dir: quarter_turn(trm.m11, trm.m12),
            advance,
            size,
            ch: TextRange {
                start,
                len: ch.len() as u32,
            },
        });
        true
    }
}

impl GlyphSink for Collector {
    fn begin_page(&mut self, width: f64, height: f64) {
        self.start_page(width, height);
    }

    fn glyph(
        &mut self,
        trm: &Transform,
        width: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), pdf_text::Error> {
        if self.add(trm, width, font_size, text) {
            Ok(())
        } else {
            Err(pdf_text::Error::Stopped)
        }
    }

    fn end_page(&mut self) {
        self.finish_page();
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _n: u32,
        media_box: &MediaBox,
        _art: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.start_page(media_box.urx - media_box.llx, media_box.ury - media_box.lly);
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.finish_page();
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
        if self.add(trm, width, font_size, ch) {
            Ok(())
        } else {
            Err(OutputError::FormatError(std::fmt::Error))
        }
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
fn page_lines(page: u32, Page { mut glyphs, text }: Page) -> Vec<Line> {
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
                let ch = g.ch.of(&text);
                if ch.trim().is_empty() {
                    pending_space = true;
                    continue;
                }
                let joined = match (words.last_mut(), last_end) {
                    (Some(w), Some(e)) if !pending_space && g.x - e < 0.17 * g.size => {
                        w.text.push_str(ch);
                        w.x1 = w.x1.max(g.end);
                        true
                    }
                    _ => false,
                };
                if !joined {
                    words.push(Chunk {
                        text: ch.to_string(),
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
/// a new title, unless it continues an open phrase ("Navn (etternavn, fornavn)") or is
/// the second word of one title ("Employee name", "Etternavn Fornavn"): a single space
/// from the word before, or (in a typewriter font, whose space is a full character) with
/// the values of the lines `below` running across the gap between the two words, which
/// two columns' values never do.
fn header_phrases(line: &Line, below: &[Line]) -> Vec<Chunk> {
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
                let field = |t: &str| {
                    classify_header(t)
                        .map(|f| f.0)
                        .filter(|f| !matches!(f, Field::Ignore | Field::Number))
                };
                let (own, prev_own) = (field(&w.text), field(&prev.text));
                let continues = w.text.starts_with('(') || open;
                // A space is about a quarter em in proportional fonts; the narrowest
                // column gaps seen are well over half an em.
                let one_space = size_gap < 0.45 * line.size;
                let run_across = || {
                    below
                        .iter()
                        .flat_map(|l| l.chunks.iter())
                        .filter(|c| c.x0 < prev.x1 && c.x1 > w.x0)
                        .take(2)
                        .count()
                        >= 2
                };
                // Two titles of their own a space apart are one when together they name
                // the same ("Employee name", "Deduction amount") or a whole name
                // ("Etternavn Fornavn"); "Medlemsnr Navn" set tight stays two.
                // Both must name a column on their own: only then is the pair asked about.
                let one_title = prev_own.is_some()
                    && own.is_some()
                    && (one_space || run_across())
                    && match (prev_own, own, field(&format!("{} {}", prev.text, w.text))) {
                        (Some(a), Some(b), Some(j)) if a == b && b == j => true,
                        (
                            Some(Field::LastName | Field::FirstName),
                            Some(Field::LastName | Field::FirstName),
                            Some(Field::Name | Field::NameLastFirst),
                        ) => true,
                        _ => false,
                    };
                let both_own = own.is_some() && prev_own.is_some();
                // A wide gap always separates columns.
                let char_width = (w.x1 - w.x0) / w.text.chars().count().max(1) as f64;
                (!one_space && size_gap > 1.5 * char_width)
                    || (!continues && both_own && !one_title)
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
    // A phrase holds the digits of its words, so one that names a column is made of
    // chunks that each could: with fewer than two such chunks no two columns are named
    // (most data lines end here).
    if line
        .chunks
        .iter()
        .filter(|c| !fields::too_many_digits(&c.text))
        .count()
        < 2
    {
        return false;
    }
    let phrases = header_phrases(line, &[]);
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

/// How much a header says: the distinct kinds of column it names (a bare "Nr" or a
/// column to ignore says nothing about the people).
fn header_quality(titles: &[Chunk]) -> usize {
    titles
        .iter()
        .filter_map(|t| classify_header(&t.text))
        .map(|f| f.0)
        .filter(|f| !matches!(f, Field::Ignore | Field::Number))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// A title's upper and lower part: "Fødsels-" + "nummer" → "Fødselsnummer".
fn join_title(upper: &str, lower: &str) -> String {
    match upper.strip_suffix('-') {
        Some(stem)
            if stem.ends_with(char::is_alphabetic) && lower.starts_with(char::is_lowercase) =>
        {
            format!("{stem}{lower}")
        }
        _ => format!("{upper} {lower}"),
    }
}

/// Two header lines stacked into one set of titles. A title wrapped in its cell has its
/// lines aligned (left, right or centred) over each other; titles that overlap nothing
/// on the other line are one-line titles of their own. A title overlapping another
/// without that alignment, or several, is a group title over several columns and names
/// none. Also says whether every title of each line found a partner.
fn stack_titles(upper: &[Chunk], lower: &[Chunk], size: f64) -> (Vec<Chunk>, bool, bool) {
    let overlaps = |a: &Chunk, b: &Chunk| a.x0 < b.x1 && b.x0 < a.x1;
    let tol = 0.5 * size;
    let aligned = |a: &Chunk, b: &Chunk| {
        (a.x0 - b.x0).abs() < tol
            || (a.x1 - b.x1).abs() < tol
            || ((a.x0 + a.x1) - (b.x0 + b.x1)).abs() < 2.0 * tol
    };
    let mut out = Vec::new();
    let mut lower_used = vec![false; lower.len()];
    let mut all_upper = true;
    for u in upper {
        let under: Vec<usize> = (0..lower.len())
            .filter(|&j| overlaps(u, &lower[j]))
            .collect();
        match under[..] {
            [] => {
                all_upper = false;
                out.push(u.clone());
            }
            [j] if aligned(u, &lower[j])
                && upper.iter().filter(|v| overlaps(v, &lower[j])).count() == 1 =>
            {
                lower_used[j] = true;
                out.push(Chunk {
                    text: join_title(&u.text, &lower[j].text),
                    x0: u.x0.min(lower[j].x0),
                    x1: u.x1.max(lower[j].x1),
                });
            }
            _ => all_upper = false,
        }
    }
    let mut all_lower = true;
    for (j, l) in lower.iter().enumerate() {
        if lower_used[j] {
            continue;
        }
        all_lower = false;
        // Under a group title it is still a column of its own.
        if !out.iter().any(|t| overlaps(t, l)) {
            out.push(l.clone());
        }
    }
    out.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    (out, all_upper, all_lower)
}

/// Lines close enough to be one header printed over two lines.
fn stacked(upper: &Line, lower: &Line) -> bool {
    upper.page == lower.page
        && lower.y > upper.y
        && lower.y - upper.y < 1.6 * upper.size.max(lower.size)
}

fn has_digits(line: &Line) -> bool {
    line.chunks
        .iter()
        .any(|w| w.text.chars().any(|c| c.is_ascii_digit()))
}

/// A table header: the lines it spans and its column titles.
#[derive(Debug)]
struct HeaderBlock {
    start: usize,
    end: usize,
    titles: Vec<Chunk>,
}

/// Header lines with their wrapped title parts on the lines above or below them
/// ("Ansatt-/nr.", "Fødsels-/nummer"; with one-line titles on the upper line when cells
/// are top-aligned, on the lower line when they are bottom-aligned, as Excel prints).
fn header_blocks(lines: &[Line], headers: &[bool]) -> Vec<HeaderBlock> {
    let mut out: Vec<HeaderBlock> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !headers[i] {
            i += 1;
            continue;
        }
        // The lines under a header line, for telling its titles apart.
        let below = |k: usize| &lines[(k + 1).min(lines.len())..(k + 41).min(lines.len())];
        let mut titles = header_phrases(&lines[i], below(i));
        let (mut start, mut end) = (i, i);
        while let Some(next) = lines.get(end + 1) {
            if end + 1 - i >= 3 || !stacked(&lines[end], next) || has_digits(next) {
                break;
            }
            let lower = header_phrases(next, below(end + 1));
            let (merged, _, all_lower) = stack_titles(&titles, &lower, next.size);
            let q = header_quality(&merged);
            // A lower line that is a header by itself must add to both lines; one of
            // title endings only ("nummer") must continue titles and lose nothing.
            let better = if headers[end + 1] {
                q > header_quality(&titles).max(header_quality(&lower))
            } else {
                all_lower && q >= header_quality(&titles)
            };
            if !better {
                break;
            }
            titles = merged;
            end += 1;
        }
        let free_above = i > 0 && out.last().is_none_or(|b| b.end + 1 < i) && !headers[i - 1];
        if free_above && stacked(&lines[i - 1], &lines[i]) && !has_digits(&lines[i - 1]) {
            let upper = header_phrases(&lines[i - 1], below(i));
            let (merged, all_upper, _) = stack_titles(&upper, &titles, lines[i].size);
            if all_upper && header_quality(&merged) > header_quality(&titles) {
                titles = merged;
                start = i - 1;
            }
        }
        out.push(HeaderBlock { start, end, titles });
        i = end + 1;
    }
    out
}

/// What a built row is, for joining wrapped cells.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Title block, header, or a line outside any table.
    Other,
    /// Values outside the text columns: a person (or a total).
    Data,
    /// Text in text columns only: part of a wrapped name or comment.
    Fragment,
}

struct Placed {
    row: Row,
    kind: Kind,
    page: u32,
    y: f64,
    size: f64,
    /// The header block whose columns the row was cut by.
    block: usize,
    /// Per column: the extent of the line's text in it, and the width of its first word.
    spans: Vec<Option<Span>>,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    x0: f64,
    x1: f64,
    first_word: f64,
}

fn is_name_field(f: Field) -> bool {
    matches!(
        f,
        Field::Name | Field::NameLastFirst | Field::LastName | Field::FirstName | Field::MiddleName
    )
}

/// A text that opens a total or carry-forward row: never someone's wrapped name.
fn total_like(t: &str) -> bool {
    let f = fields::fold(t);
    let first = f.split(' ').next().unwrap_or("");
    matches!(
        first,
        "sum"
            | "summ"
            | "totalt"
            | "total"
            | "totalsum"
            | "delsum"
            | "subtotal"
            | "overfort"
            | "transport"
            | "mellomsum"
            | "carried"
            | "brought"
    ) || super::table::PAGE_SUMS.contains(&first)
        || f.starts_with("i alt")
}

/// Data rows and wrapped-cell fragments told apart by which columns they fill.
fn row_kind(cells: &[Cell], cols: &[Option<Field>]) -> Kind {
    let filled: Vec<usize> = (0..cells.len()).filter(|&c| !cells[c].is_empty()).collect();
    let field = |c: usize| cols.get(c).copied().flatten();
    let text_col = |c: usize| field(c).is_some_and(|f| is_name_field(f) || f == Field::Comment);
    if filled.is_empty() {
        return Kind::Other;
    }
    if filled.iter().all(|&c| text_col(c)) {
        // Names are capitalised words of letters; a count, a label ("Utskrevet av:") or
        // a heading ("Administrasjon og ledelse", "Avdeling 100") is not part of one.
        // A drawn rule ("-----", "=====") is no text at all, in any column.
        let name_like = filled.iter().all(|&c| {
            let text = fields::cell_text(&cells[c]);
            text.as_deref()
                .is_some_and(|t| t.chars().any(char::is_alphanumeric))
                && (!field(c).is_some_and(is_name_field)
                    || text.is_some_and(|t| {
                        t.chars().all(|ch| {
                            ch.is_alphabetic() || matches!(ch, ' ' | '-' | '\'' | '.' | ',')
                        }) && t.split_whitespace().all(|w| {
                            w.starts_with(char::is_uppercase)
                                || fields::PARTICLES.contains(&w.to_lowercase().as_str())
                        }) && !total_like(&t)
                    }))
        });
        return if name_like {
            Kind::Fragment
        } else {
            Kind::Other
        };
    }
    // Values (IDs, numbers, amounts, dates) carry digits; a page footer spread over the
    // columns puts words in them.
    let value_col = |c: usize| {
        field(c).is_some_and(|f| !is_name_field(f) && f != Field::Comment && f != Field::Ignore)
    };
    let values: Vec<usize> = filled.iter().copied().filter(|&c| value_col(c)).collect();
    let all_values = values.iter().all(|&c| {
        fields::cell_text(&cells[c]).is_some_and(|t| t.chars().any(|ch| ch.is_ascii_digit()))
    });
    if filled.len() >= 2 && !values.is_empty() && all_values {
        Kind::Data
    } else {
        Kind::Other
    }
}

/// Join two parts of a wrapped cell; a word broken at its hyphen ("Aasland-" / "Myhre")
/// closes up again.
fn join_wrapped(first: &str, second: &str) -> String {
    if first.ends_with('-')
        && first[..first.len() - 1].ends_with(char::is_alphabetic)
        && second.starts_with(char::is_alphabetic)
    {
        format!("{first}{second}")
    } else {
        format!("{first} {second}")
    }
}

/// Lines of a wrapped cell (a long name or comment) printed apart from their row's other
/// values belong to that row. Which row is read from the geometry: cells printed top-aligned
/// continue below their row, bottom-aligned ones (Excel's default) start above it, so a
/// run of fragments joins the neighbouring data row it is closer to, and only a row that
/// has text of its own in each of those columns (its line of the cell), and only where
/// the break between the row's line and the run's is one a greedy wrap makes: the line
/// before it plus the next word would be wider than any line of the column (a heading or
/// a footer in a name column is no such break). Runs at equal distance follow the
/// alignment the clear cases of the same document show (else top).
fn join_wrapped_cells(placed: Vec<Placed>) -> Vec<Row> {
    #[derive(Clone, Copy, PartialEq)]
    enum Dir {
        Up,
        Down,
        Tie,
    }
    // Runs of fragments: (first, last) indices.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < placed.len() {
        if placed[i].kind != Kind::Fragment {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < placed.len()
            && placed[j + 1].kind == Kind::Fragment
            && placed[j + 1].page == placed[j].page
            && placed[j + 1].block == placed[j].block
            && placed[j + 1].y - placed[j].y < 1.6 * placed[j].size
        {
            j += 1;
        }
        runs.push((i, j));
        i = j + 1;
    }
    let label_total = |p: &Placed| {
        p.row
            .cells
            .iter()
            .find_map(fields::cell_text)
            .is_some_and(|t| total_like(&t))
    };
    // The widest line of text in each column of each header's table (a total's label may
    // run on into empty cells beside it: not a measure of the column).
    let mut widest: std::collections::HashMap<(usize, usize), f64> = Default::default();
    for p in placed
        .iter()
        .filter(|p| p.kind != Kind::Other && !label_total(p))
    {
        for (c, span) in p.spans.iter().enumerate() {
            if let Some(sp) = span {
                let w = widest.entry((p.block, c)).or_insert(0.0);
                *w = w.max(sp.x1 - sp.x0);
            }
        }
    }
    // Each table's row pitch: the usual distance between two data rows in a row.
    let mut pitches: std::collections::HashMap<usize, Vec<f64>> = Default::default();
    for pair in placed.windows(2) {
        let (p, q) = (&pair[0], &pair[1]);
        if p.kind == Kind::Data && q.kind == Kind::Data && p.page == q.page && p.block == q.block {
            pitches.entry(p.block).or_default().push(q.y - p.y);
        }
    }
    let pitch: std::collections::HashMap<usize, f64> = pitches
        .into_iter()
        .map(|(b, mut d)| {
            d.sort_by(f64::total_cmp);
            (b, d[d.len() / 2])
        })
        .collect();
    let candidate = |run: (usize, usize), other: usize| -> Option<f64> {
        let (a, b) = run;
        let o = placed.get(other)?;
        let near = if other < a { &placed[a] } else { &placed[b] };
        let distance = (near.y - o.y).abs();
        // The upper line of the break and the lower one whose first word did not fit.
        let (upper, lower) = if other < a { (o, near) } else { (near, o) };
        let wrapped = (0..lower.spans.len()).all(|c| {
            match (upper.spans.get(c).copied().flatten(), lower.spans[c]) {
                (Some(u), Some(l)) => {
                    let width = widest.get(&(near.block, c)).copied().unwrap_or(0.0);
                    u.x1 - u.x0 + 0.3 * near.size + l.first_word > width
                }
                _ => true,
            }
        });
        let holds_all = (a..=b).all(|k| {
            placed[k]
                .row
                .cells
                .iter()
                .enumerate()
                .all(|(c, cell)| cell.is_empty() || !o.row.cell(c).is_empty())
        });
        (o.kind == Kind::Data
            && o.page == near.page
            && o.block == near.block
            && distance < 2.0 * near.size.max(o.size)
            && holds_all
            && wrapped
            // Lines of one cell sit no further apart than rows do, and those of a
            // bottom-aligned cell (a row of its own height) closer; a line set apart
            // further is a row of its own (a section heading).
            && pitch.get(&near.block).is_none_or(|p| {
                distance < if other < a { 1.02 * p } else { 0.95 * p }
            })
            && !label_total(o))
        .then_some(distance)
    };
    let decisions: Vec<Option<Dir>> = runs
        .iter()
        .map(|&(a, b)| {
            let up = a.checked_sub(1).and_then(|p| candidate((a, b), p));
            let down = candidate((a, b), b + 1);
            match (up, down) {
                (Some(u), Some(d)) if u < 0.85 * d => Some(Dir::Up),
                (Some(u), Some(d)) if d < 0.85 * u => Some(Dir::Down),
                (Some(_), Some(_)) => Some(Dir::Tie),
                (Some(_), None) => Some(Dir::Up),
                (None, Some(_)) => Some(Dir::Down),
                (None, None) => None,
            }
        })
        .collect();
    // Clear choices between two candidates show how the document aligns its cells.
    let votes = |want: Dir| {
        runs.iter()
            .zip(&decisions)
            .filter(|(&(a, b), d)| {
                **d == Some(want)
                    && a > 0
                    && candidate((a, b), a - 1).is_some()
                    && candidate((a, b), b + 1).is_some()
            })
            .count()
    };
    let tie = if votes(Dir::Down) > votes(Dir::Up) {
        Dir::Down
    } else {
        Dir::Up
    };
    // target row index → fragments to put before / after its own text
    let mut before: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    let mut after: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    let mut absorbed = vec![false; placed.len()];
    for (&(a, b), d) in runs.iter().zip(&decisions) {
        let dir = match d {
            Some(Dir::Tie) => tie,
            Some(d) => *d,
            None => continue,
        };
        if dir == Dir::Up {
            after.entry(a - 1).or_default().extend(a..=b);
        } else {
            before.entry(b + 1).or_default().extend(a..=b);
        }
        for flag in &mut absorbed[a..=b] {
            *flag = true;
        }
    }
    let mut rows = Vec::with_capacity(placed.len());
    for (k, p) in placed.iter().enumerate() {
        if absorbed[k] {
            continue;
        }
        let mut row = p.row.clone();
        let width = row.cells.len();
        for c in 0..width {
            let part = |idx: &usize| fields::cell_text(placed[*idx].row.cell(c));
            let mut text = String::new();
            let pieces = before
                .get(&k)
                .into_iter()
                .flatten()
                .filter_map(part)
                .chain(fields::cell_text(&row.cells[c]))
                .chain(after.get(&k).into_iter().flatten().filter_map(part));
            for piece in pieces {
                text = if text.is_empty() {
                    piece
                } else {
                    join_wrapped(&text, &piece)
                };
            }
            if !text.is_empty() && Some(&text) != fields::cell_text(&row.cells[c]).as_ref() {
                row.cells[c] = Cell::Text(text);
            }
        }
        rows.push(row);
    }
    rows
}

/// Lines → one grid, columns taken from the latest header.
fn lines_to_grid(lines: &[Line]) -> Grid {
    let headers: Vec<bool> = lines.iter().map(is_header_line).collect();
    let blocks = header_blocks(lines, &headers);
    // Pages whose table header comes after some lines: those lines are the page's title block.
    let mut first_header: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for b in &blocks {
        first_header.entry(lines[b.start].page).or_insert(b.start);
    }
    let mut block_at: Vec<Option<usize>> = vec![None; lines.len()];
    for (k, b) in blocks.iter().enumerate() {
        for slot in &mut block_at[b.start..=b.end] {
            *slot = Some(k);
        }
    }
    let mut bounds: Option<Vec<f64>> = None;
    let mut cols: Vec<Option<Field>> = Vec::new();
    let mut current = usize::MAX;
    let mut placed = Vec::with_capacity(lines.len());
    let mut line_no = 0u32;
    let mut page = 0u32;
    let whole_line = |line: &Line| {
        vec![Cell::Text(
            line.chunks
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )]
    };
    for (i, line) in lines.iter().enumerate() {
        if line.page != page {
            page = line.page;
            line_no = 0;
        }
        line_no += 1;
        let title = first_header.get(&line.page).is_some_and(|&h| i < h);
        let mut kind = Kind::Other;
        let mut spans: Vec<Option<Span>> = Vec::new();
        let cells: Vec<Cell> = if title {
            whole_line(line)
        } else if let Some(k) = block_at[i] {
            let b = &blocks[k];
            if i != b.start {
                continue;
            }
            let data_end = blocks.get(k + 1).map_or(lines.len(), |n| n.start);
            let data: Vec<&Line> = lines[(b.end + 1).min(data_end)..data_end]
                .iter()
                .take(300)
                .collect();
            bounds = Some(boundaries(&b.titles, &data));
            cols = b
                .titles
                .iter()
                .map(|t| classify_header(&t.text).map(|f| f.0))
                .collect();
            current = k;
            b.titles
                .iter()
                .map(|c| Cell::Text(c.text.clone()))
                .collect()
        } else if let Some(bd) = &bounds {
            let mut cells = vec![Cell::Empty; bd.len() + 1];
            spans = vec![None; bd.len() + 1];
            for w in &line.chunks {
                let centre = (w.x0 + w.x1) / 2.0;
                let col = bd.iter().take_while(|&&x| centre >= x).count();
                cells[col] = match &cells[col] {
                    Cell::Text(t) => Cell::Text(format!("{t} {}", w.text)),
                    _ => Cell::Text(w.text.clone()),
                };
                spans[col] = Some(match spans[col] {
                    Some(sp) => Span {
                        x0: sp.x0.min(w.x0),
                        x1: sp.x1.max(w.x1),
                        first_word: sp.first_word,
                    },
                    None => Span {
                        x0: w.x0,
                        x1: w.x1,
                        first_word: w.x1 - w.x0,
                    },
                });
            }
            kind = row_kind(&cells, &cols);
            cells
        } else {
            whole_line(line)
        };
        placed.push(Placed {
            row: Row {
                sheet: format!("page {}", line.page).into(),
                row: line_no,
                cells,
                free_text: title,
            },
            kind,
            page: line.page,
            y: line.y,
            size: line.size,
            block: current,
            spans,
        });
    }
    Grid {
        name: "pdf".into(),
        rows: join_wrapped_cells(placed),
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
    let pages = glyphs(&doc, limits.max_pdf_chars, Reader::Auto)?;
    let mut lines = Vec::new();
    for (i, page) in pages.into_iter().enumerate() {
        lines.extend(page_lines(i as u32 + 1, page));
    }
    Ok(lines)
}

/// Which glyph reader to use (tests compare them).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reader {
    /// Ours, or pdf-extract for what ours does not handle.
    Auto,
    #[cfg_attr(not(test), allow(dead_code))]
    PdfExtract,
}

fn glyphs(
    doc: &lopdf::Document,
    max_glyphs: usize,
    reader: Reader,
) -> Result<Vec<Page>, ParseError> {
    if reader == Reader::Auto {
        let mut out = Collector::new(max_glyphs);
        match pdf_text::read(doc, &mut out) {
            Ok(_) => return Ok(out.pages),
            Err(pdf_text::Error::Unsupported(w)) => {
                tracing::debug!("pdf: {w}; reading with pdf-extract");
            }
            Err(e) => return Err(ParseError::Corrupt(format!("pdf text: {e}"))),
        }
    }
    let mut out = Collector::new(max_glyphs);
    pdf_extract::output_doc(doc, &mut out)
        .map_err(|e| ParseError::Corrupt(format!("pdf text: {e}")))?;
    Ok(out.pages)
}

/// What the comparison tests see of one document.
#[cfg(test)]
pub(super) enum Compared {
    /// lopdf cannot load it, or it is encrypted or too long.
    Unloadable,
    /// Our reader handed it to pdf-extract, for this reason.
    FellBack(String),
    /// Our reader stopped with an error of its own (glyph limit, nesting).
    Failed(String),
    /// Our reader's lines, pdf-extract's (`None` when it fails or panics), and whether ours
    /// read text pdf-extract ignores.
    Read(Vec<Line>, Option<Vec<Line>>, pdf_text::Stats),
}

#[cfg(test)]
pub(super) fn compare_readers(bytes: &[u8]) -> Compared {
    let Ok(doc) = lopdf::Document::load_mem(bytes) else {
        return Compared::Unloadable;
    };
    if doc.is_encrypted() || doc.get_pages().len() > ParseLimits::default().max_pdf_pages {
        return Compared::Unloadable;
    }
    let max = ParseLimits::default().max_pdf_chars;
    let to_lines = |pages: Vec<Page>| -> Vec<Line> {
        let mut lines = Vec::new();
        for (i, page) in pages.into_iter().enumerate() {
            lines.extend(page_lines(i as u32 + 1, page));
        }
        lines
    };
    // Ours alone, so a panic of ours fails the test while pdf-extract's are caught.
    let mut out = Collector::new(max);
    let stats = match pdf_text::read(&doc, &mut out) {
        Ok(stats) => stats,
        Err(pdf_text::Error::Unsupported(why)) => return Compared::FellBack(why.to_string()),
        Err(e) => return Compared::Failed(e.to_string()),
    };
    let ours = out.pages;
    let theirs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        glyphs(&doc, max, Reader::PdfExtract).ok().map(to_lines)
    }))
    .ok()
    .flatten();
    Compared::Read(to_lines(ours), theirs, stats)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{table, ParseOptions, ParsedList};

    const SIZE: f64 = 8.0;
    /// Helvetica-like metrics: a character about 0.55 em, a space 0.28 em.
    const CHAR: f64 = 0.55 * SIZE;
    const SPACE: f64 = 0.28 * SIZE;

    /// A text line: cells as (left x, text); the words of a cell one space apart.
    fn line(y: f64, cells: &[(f64, &str)]) -> Line {
        let mut chunks = Vec::new();
        for (x, text) in cells {
            let mut x = *x;
            for w in text.split(' ') {
                let x1 = x + CHAR * w.chars().count() as f64;
                chunks.push(Chunk {
                    text: w.to_string(),
                    x0: x,
                    x1,
                });
                x = x1 + SPACE;
            }
        }
        Line {
            page: 1,
            chunks,
            y,
            size: SIZE,
        }
    }

    fn parse(lines: &[Line]) -> ParsedList {
        table::extract(
            &[lines_to_grid(lines)],
            &ParseOptions {
                accept_synthetic_ids: true,
            },
        )
    }

    fn names(l: &ParsedList) -> Vec<&str> {
        l.lines.iter().filter_map(|x| x.name.as_deref()).collect()
    }

    #[test]
    fn words_one_space_apart_form_one_title() {
        let l = parse(&[
            line(
                100.0,
                &[
                    (30.0, "Personnel No."),
                    (110.0, "Employee name"),
                    (250.0, "Deduction amount"),
                ],
            ),
            line(
                112.0,
                &[
                    (30.0, "00000680"),
                    (110.0, "Amundsen, Ellen"),
                    (250.0, "530.00"),
                ],
            ),
            line(
                124.0,
                &[
                    (30.0, "00000665"),
                    (110.0, "Bakken, Aud"),
                    (250.0, "615.93"),
                ],
            ),
        ]);
        assert_eq!(names(&l), ["Ellen Amundsen", "Aud Bakken"]);
        assert_eq!(l.lines[0].amount_ore, Some(53000));
        assert_eq!(l.lines[1].employee_number.as_deref(), Some("00000665"));
    }

    #[test]
    fn tight_titles_of_different_kinds_stay_apart() {
        let l = parse(&[
            line(
                100.0,
                &[
                    (30.0, "Medlemsnr Navn"),
                    (150.0, "Fødselsnummer"),
                    (250.0, "Beløp"),
                ],
            ),
            line(
                112.0,
                &[
                    (30.0, "1329826"),
                    (76.0, "Kari Nordmann"),
                    (150.0, "03816900505"),
                    (250.0, "450,00"),
                ],
            ),
        ]);
        assert_eq!(names(&l), ["Kari Nordmann"]);
        assert_eq!(l.lines[0].member_number.as_deref(), Some("1329826"));
    }

    #[test]
    fn a_section_heading_in_the_name_column_is_no_wrapped_name() {
        // Headings sit a row's distance (or more) from the rows around them.
        let l = parse(&[
            line(
                85.0,
                &[(30.0, "Navn"), (150.0, "Fødselsnummer"), (250.0, "Beløp")],
            ),
            line(100.0, &[(30.0, "Kjøkken")]),
            line(
                112.0,
                &[
                    (30.0, "Kari Nordmann"),
                    (150.0, "03816900505"),
                    (250.0, "450,00"),
                ],
            ),
            line(
                124.0,
                &[
                    (30.0, "Per Hansen"),
                    (150.0, "03827614121"),
                    (250.0, "300,00"),
                ],
            ),
            line(138.0, &[(30.0, "Renhold")]),
            line(
                150.0,
                &[
                    (30.0, "Ola Berg"),
                    (150.0, "19879626369"),
                    (250.0, "100,00"),
                ],
            ),
            line(
                162.0,
                &[(30.0, "Eva Lie"), (150.0, "03816900505"), (250.0, "100,00")],
            ),
            // Set at the row pitch, but in words no name has.
            line(174.0, &[(30.0, "Vedlikeholdsavdelingen og drift")]),
            line(
                186.0,
                &[(30.0, "Siv Moe"), (150.0, "03827614121"), (250.0, "100,00")],
            ),
        ]);
        assert_eq!(
            names(&l),
            [
                "Kari Nordmann",
                "Per Hansen",
                "Ola Berg",
                "Eva Lie",
                "Siv Moe"
            ]
        );
    }

    #[test]
    fn typewriter_titles_with_values_running_across_are_one_title() {
        // A space as wide as a character: only the values below show "Employee name"
        // is one column.
        let name_x = 110.0 + 8.0 * CHAR + 0.6 * SIZE;
        let l = parse(&[
            line(
                100.0,
                &[
                    (30.0, "Employee"),
                    (70.0, "no."),
                    (110.0, "Employee"),
                    (name_x, "name"),
                    (250.0, "Amount"),
                ],
            ),
            line(
                112.0,
                &[
                    (30.0, "680"),
                    (110.0, "Vegard Kristiansen"),
                    (250.0, "530,00"),
                ],
            ),
            line(
                124.0,
                &[
                    (30.0, "665"),
                    (110.0, "Anne Margrethe Lie"),
                    (250.0, "615,93"),
                ],
            ),
        ]);
        assert_eq!(names(&l), ["Vegard Kristiansen", "Anne Margrethe Lie"]);
        assert_eq!(l.lines[1].amount_ore, Some(61593));
    }

    #[test]
    fn a_last_name_first_title_is_one_column() {
        let l = parse(&[
            line(
                100.0,
                &[
                    (30.0, "Etternavn Fornavn"),
                    (150.0, "Fødselsnummer"),
                    (250.0, "Beløp"),
                ],
            ),
            line(
                112.0,
                &[
                    (30.0, "Eide Yngve Elisabeth"),
                    (150.0, "03816900505"),
                    (250.0, "450,00"),
                ],
            ),
        ]);
        assert_eq!(names(&l), ["Yngve Elisabeth Eide"]);
    }

    #[test]
    fn two_line_titles_with_one_line_titles_on_the_lower_line() {
        // Bottom-aligned header cells, as Excel prints them.
        let l = parse(&[
            line(
                100.0,
                &[(30.0, "Ansatt-"), (150.0, "Fødsels-"), (250.0, "Trekk")],
            ),
            line(
                109.0,
                &[
                    (30.0, "nr."),
                    (70.0, "Navn"),
                    (150.0, "nummer"),
                    (250.0, "fagforening"),
                    (320.0, "Kommentar"),
                ],
            ),
            line(
                124.0,
                &[
                    (30.0, "214"),
                    (70.0, "Kari Nordmann"),
                    (150.0, "03816900505"),
                    (250.0, "450,00"),
                ],
            ),
        ]);
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.lines[0].employee_number.as_deref(), Some("214"));
        assert_eq!(l.lines[0].national_id.as_deref(), Some("03816900505"));
        assert_eq!(l.lines[0].amount_ore, Some(45000));
    }

    #[test]
    fn hyphen_wrapped_titles_whose_lower_line_is_a_header_by_itself() {
        let l = parse(&[
            line(
                100.0,
                &[
                    (30.0, "Ansatt-"),
                    (70.0, "Etter-"),
                    (130.0, "For-"),
                    (190.0, "Fødsels-"),
                    (280.0, "Trekk"),
                    (330.0, "Merknad"),
                ],
            ),
            line(
                109.0,
                &[
                    (30.0, "nr."),
                    (70.0, "navn"),
                    (130.0, "navn"),
                    (190.0, "nummer"),
                    (280.0, "fagforening"),
                ],
            ),
            line(
                124.0,
                &[
                    (30.0, "313"),
                    (70.0, "Aasland-Myhre"),
                    (130.0, "Gro"),
                    (190.0, "03816900505"),
                    (280.0, "848,97"),
                    (330.0, "Redusert sats"),
                ],
            ),
        ]);
        assert_eq!(names(&l), ["Gro Aasland-Myhre"]);
        assert_eq!(l.lines[0].comment.as_deref(), Some("Redusert sats"));
        assert_eq!(l.lines[0].employee_number.as_deref(), Some("313"));
    }

    #[test]
    fn first_title_parts_above_a_header_line() {
        // The upper line names too little to be a header on its own.
        let l = parse(&[
            line(100.0, &[(30.0, "Medlems-"), (150.0, "Fødsels-")]),
            line(
                109.0,
                &[
                    (30.0, "nummer"),
                    (80.0, "Navn"),
                    (150.0, "nummer"),
                    (250.0, "Beløp"),
                ],
            ),
            line(
                124.0,
                &[
                    (30.0, "1329826"),
                    (80.0, "Kari Nordmann"),
                    (150.0, "03816900505"),
                    (250.0, "450,00"),
                ],
            ),
        ]);
        assert_eq!(l.lines[0].member_number.as_deref(), Some("1329826"));
        assert_eq!(l.lines[0].national_id.as_deref(), Some("03816900505"));
    }

    #[test]
    fn a_group_title_over_two_columns_names_neither() {
        let l = parse(&[
            line(96.0, &[(86.0, "Ansatt"), (330.0, "Fagforeningstrekk")]),
            line(
                110.0,
                &[
                    (30.0, "Nr."),
                    (70.0, "Navn"),
                    (200.0, "Fødselsnummer"),
                    (280.0, "Beløp"),
                    (320.0, "Merknad"),
                ],
            ),
            line(
                124.0,
                &[
                    (30.0, "578"),
                    (70.0, "Kari Nordmann"),
                    (200.0, "03816900505"),
                    (280.0, "450"),
                    (320.0, "Ny"),
                ],
            ),
        ]);
        assert_eq!(l.lines[0].amount_ore, Some(45000));
        assert_eq!(l.lines[0].comment.as_deref(), Some("Ny"));
    }

    #[test]
    fn a_drawn_rule_in_the_name_column_is_no_wrapped_name() {
        let cols = [Some(Field::Name), Some(Field::Amount)];
        let rule = [Cell::Text("-----------------".into()), Cell::Empty];
        assert!(row_kind(&rule, &cols) == Kind::Other);
        let wrapped = [Cell::Text("Elisabeth".into()), Cell::Empty];
        assert!(row_kind(&wrapped, &cols) == Kind::Fragment);
    }

    #[test]
    fn a_name_wrapped_below_its_row_when_cells_are_top_aligned() {
        let l = parse(&[
            line(
                85.0,
                &[
                    (30.0, "Lønnsnr"),
                    (80.0, "Navn"),
                    (200.0, "Fødselsnr"),
                    (280.0, "Beløp"),
                ],
            ),
            line(
                102.0,
                &[
                    (30.0, "129"),
                    (80.0, "Andreassen, Gro"),
                    (200.0, "03816900505"),
                    (280.0, "581,58"),
                ],
            ),
            line(112.0, &[(80.0, "Andrea")]),
            line(
                125.3,
                &[
                    (30.0, "174"),
                    (80.0, "Bakken, Janne"),
                    (200.0, "03827614121"),
                    (280.0, "762,64"),
                ],
            ),
        ]);
        assert_eq!(names(&l), ["Gro Andrea Andreassen", "Janne Bakken"]);
    }

    #[test]
    fn a_name_wrapped_above_its_row_when_cells_are_bottom_aligned() {
        let l = parse(&[
            line(
                85.0,
                &[
                    (30.0, "Medlemsnr"),
                    (80.0, "Navn"),
                    (200.0, "Fødselsnummer"),
                    (280.0, "Beløp"),
                ],
            ),
            line(
                100.6,
                &[
                    (30.0, "1729972"),
                    (80.0, "Knut Bakken"),
                    (200.0, "03816900505"),
                    (280.0, "679,53"),
                ],
            ),
            line(116.1, &[(80.0, "Jan-Ove Astrid")]),
            line(
                127.2,
                &[
                    (30.0, "1916579"),
                    (80.0, "Jakobsen"),
                    (200.0, "03827614121"),
                    (280.0, "299,82"),
                ],
            ),
        ]);
        assert_eq!(names(&l), ["Knut Bakken", "Jan-Ove Astrid Jakobsen"]);
    }

    #[test]
    fn a_wrapped_comment_joins_the_row_that_has_a_comment() {
        // Evenly spaced lines: only the row with a comment of its own can own the rest.
        let l = parse(&[
            line(
                85.0,
                &[
                    (30.0, "Navn"),
                    (150.0, "Fødselsnummer"),
                    (250.0, "Beløp"),
                    (300.0, "Kommentar"),
                ],
            ),
            line(
                96.0,
                &[
                    (30.0, "Kari Nordmann"),
                    (150.0, "03816900505"),
                    (250.0, "450,00"),
                ],
            ),
            line(107.0, &[(300.0, "Ny ansatt fra")]),
            line(118.0, &[(300.0, "01.11.2026 – avklart")]),
            line(
                129.0,
                &[
                    (30.0, "Per Hansen"),
                    (150.0, "03827614121"),
                    (250.0, "300,00"),
                    (300.0, "med tillitsvalgt"),
                ],
            ),
        ]);
        assert_eq!(l.lines[0].comment, None);
        assert_eq!(
            l.lines[1].comment.as_deref(),
            Some("Ny ansatt fra 01.11.2026 – avklart med tillitsvalgt")
        );
    }

    #[test]
    fn a_word_broken_at_its_hyphen_closes_up() {
        assert_eq!(join_wrapped("Aasland-", "Myhre"), "Aasland-Myhre");
        assert_eq!(
            join_wrapped("fra 01.11.2026 –", "avklart"),
            "fra 01.11.2026 – avklart"
        );
        assert_eq!(join_title("Fødsels-", "nummer"), "Fødselsnummer");
        assert_eq!(join_title("Trekk", "fagforening"), "Trekk fagforening");
    }

    #[test]
    fn text_run_upwards_is_turned_upright() {
        assert_eq!(quarter_turn(1.0, 0.0), 0);
        assert_eq!(quarter_turn(0.0, 1.0), 1);
        assert_eq!(quarter_turn(-1.0, 0.0), 2);
        assert_eq!(quarter_turn(0.0, -1.0), 3);
        // "Navn Beløp" drawn bottom to top on a portrait page (landscape shown with /Rotate 90),
        // and a second line to the right of it (lower on the landscape page).
        let mut raw = Vec::new();
        let mut buf = String::new();
        for (px, text) in [(100.0, "Navn Beløp"), (112.0, "Kari 450")] {
            for (k, ch) in text.chars().enumerate() {
                let start = buf.len() as u32;
                buf.push(ch);
                raw.push(RawGlyph {
                    px,
                    py: 50.0 + 5.0 * k as f64,
                    dir: 1,
                    advance: 4.5,
                    size: 9.0,
                    ch: TextRange {
                        start,
                        len: ch.len_utf8() as u32,
                    },
                });
            }
        }
        let page = Page {
            glyphs: upright_page(&raw, 595.0, 842.0),
            text: buf,
        };
        let lines = page_lines(1, page);
        let texts: Vec<Vec<&str>> = lines
            .iter()
            .map(|l| l.chunks.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(texts, [vec!["Navn", "Beløp"], vec!["Kari", "450"]]);
    }
}
