//! Finding the table of people in grids: header rows anywhere (one or two rows, repeated),
//! column mapping by header words with a content fallback, total rows, and the
//! identifiers written around the table.
use super::fields::{self, classify_header, Field};
use super::grid::{Cell, Grid, Row};
use super::{ParseOptions, ParsedLine, ParsedList};
use crate::norwegian;
use std::collections::HashMap;

/// The column of each field: a slot per field, as it is looked up a dozen times a row.
#[derive(Debug, Clone, Default)]
struct FieldCols([Option<usize>; Field::ALL.len()]);

impl FieldCols {
    fn get(&self, f: &Field) -> Option<&usize> {
        self.0[*f as usize].as_ref()
    }

    fn insert(&mut self, f: Field, col: usize) {
        self.0[f as usize] = Some(col);
    }

    fn remove(&mut self, f: &Field) -> Option<usize> {
        self.0[*f as usize].take()
    }

    fn iter(&self) -> impl Iterator<Item = (Field, usize)> + '_ {
        Field::ALL
            .iter()
            .zip(&self.0)
            .filter_map(|(f, c)| c.map(|c| (*f, c)))
    }

    fn keys(&self) -> impl Iterator<Item = Field> + '_ {
        self.iter().map(|(f, _)| f)
    }

    fn values(&self) -> impl Iterator<Item = usize> + '_ {
        self.iter().map(|(_, c)| c)
    }
}

impl FromIterator<(Field, usize)> for FieldCols {
    fn from_iter<I: IntoIterator<Item = (Field, usize)>>(iter: I) -> Self {
        let mut cols = FieldCols::default();
        for (f, c) in iter {
            cols.insert(f, c);
        }
        cols
    }
}

/// Column kinds of one table.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    cols: FieldCols,
    comments: Vec<usize>,
    /// Folded header text by column, for content checks that need the word.
    titles: HashMap<usize, String>,
}

impl Mapping {
    fn get(&self, f: Field) -> Option<usize> {
        self.cols.get(&f).copied()
    }

    fn real_fields(&self) -> usize {
        self.cols.keys().filter(|f| *f != Field::Number).count()
            + usize::from(!self.comments.is_empty())
    }

    fn is_table(&self) -> bool {
        self.real_fields() >= 2 && self.cols.keys().any(|f| f.identifies())
    }
}

fn mapping_from(classified: &[(usize, Field, u8)]) -> Mapping {
    let mut best: HashMap<Field, (usize, u8)> = HashMap::new();
    let mut comments = Vec::new();
    for &(col, field, score) in classified {
        match field {
            Field::Ignore => {}
            Field::Comment => comments.push(col),
            _ => match best.get(&field) {
                Some(&(_, s)) if s >= score => {}
                _ => {
                    best.insert(field, (col, score));
                }
            },
        }
    }
    Mapping {
        cols: best.into_iter().map(|(f, (c, _))| (f, c)).collect(),
        comments,
        titles: HashMap::new(),
    }
}

fn classify_row(row: &Row) -> Vec<(usize, Field, u8)> {
    row.cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Cell::Text(t) => classify_header(t).map(|(f, s)| (i, f, s)),
            _ => None,
        })
        .collect()
}

/// A row that carries data rather than words: an ID-like value or a number.
fn is_data_row(row: &Row) -> bool {
    row.cells
        .iter()
        .any(|c| matches!(c, Cell::Number(_) | Cell::Date(_)) || fields::looks_like_national_id(c))
}

/// A header at `i` (possibly two rows). Returns the mapping and how many rows it spans.
fn detect_header(rows: &[Row], i: usize) -> Option<(Mapping, usize)> {
    let row = &rows[i];
    if is_data_row(row) {
        return None;
    }
    let single = mapping_from(&classify_row(row));
    let next = rows
        .get(i + 1)
        .filter(|r| r.non_empty() > 0 && !is_data_row(r));
    if let Some(next) = next {
        let top = classify_row(row);
        let bottom = classify_row(next);
        if !bottom.is_empty() {
            let width = row.cells.len().max(next.cells.len());
            let mut combined = Vec::new();
            // A merged title cell spans the columns to its right until the next title.
            let mut carried = String::new();
            for col in 0..width {
                if let Some(t) = fields::cell_text(row.cell(col)) {
                    carried = t;
                }
                let b = bottom.iter().find(|x| x.0 == col).copied();
                let t = top.iter().find(|x| x.0 == col).copied();
                if let Some(b) = b.filter(|b| !matches!(b.1, Field::Ignore | Field::Number)) {
                    combined.push(b);
                    continue;
                }
                let joined = format!(
                    "{carried} {}",
                    fields::cell_text(next.cell(col)).unwrap_or_default()
                );
                match classify_header(joined.trim()) {
                    Some((f, s)) if f != Field::Ignore && (b.is_some() || t.is_none()) => {
                        combined.push((col, f, s))
                    }
                    _ => {
                        if let Some(t) = t {
                            combined.push(t);
                        } else if let Some(b) = b {
                            combined.push(b);
                        }
                    }
                }
            }
            let combined = mapping_from(&combined);
            // The top row must add something: a title just above a header is not part of it.
            let bottom_only = mapping_from(&bottom).real_fields();
            if combined.is_table() && combined.real_fields() > single.real_fields().max(bottom_only)
            {
                return Some((combined, 2));
            }
        }
    }
    if single.is_table() {
        Some((single, 1))
    } else {
        None
    }
}

/// Words that open a total row.
fn total_label(row: &Row, mapping: &Mapping) -> Option<String> {
    // The label is the row's first text, or sits in a column that names people; a
    // "Sum …" further right in some other column is data, not a total row.
    let first_text = row.cells.iter().position(|c| {
        matches!(c, Cell::Text(t) if !t.trim().is_empty())
            && fields::amount_ore(c).is_none()
            && fields::date_value(c).is_none()
    });
    let person_cols: Vec<usize> = mapping
        .cols
        .iter()
        .filter(|(f, _)| f.identifies())
        .map(|(_, c)| c)
        .collect();
    for (i, c) in row.cells.iter().enumerate() {
        let Cell::Text(t) = c else { continue };
        if Some(i) != first_text && !person_cols.contains(&i) {
            continue;
        }
        let f = fields::fold(t);
        // In a comment column only a bare total word counts ("Sum", not "Sum of …").
        if mapping.comments.contains(&i) {
            if matches!(
                f.as_str(),
                "sum" | "totalt" | "total" | "sum totalt" | "i alt" | "totalsum"
            ) {
                return Some(f);
            }
            continue;
        }
        // A page carry-forward ("Overført", "Transport", "Carried forward") alone on its row:
        // a running subtotal. Beside a name or other words it may be a department.
        if is_carry_forward(&f)
            && row.cells.iter().enumerate().all(|(j, other)| {
                j == i
                    || !fields::cell_text(other).is_some_and(|t| {
                        t.chars().any(char::is_alphabetic) && fields::amount_ore(other).is_none()
                    })
            })
        {
            return Some(format!("delsum {f}"));
        }
        let first = f.split(' ').next().unwrap_or("");
        // A page's own sum in one word ("Sidesum", "Sidetotal"): a running subtotal.
        if PAGE_SUMS.contains(&first) {
            return Some(format!("delsum {f}"));
        }
        // Counts ("Totalt antall ansatte: 15") are not money; a count in brackets
        // ("Totalt (13 personer)") only qualifies a money total.
        let unbracketed = if t.contains(['(', ')', '[', ']']) {
            fields::fold(&without_brackets(t)).into()
        } else {
            std::borrow::Cow::Borrowed(f.as_str())
        };
        if unbracketed.split(' ').any(|w| {
            matches!(
                w,
                "antall" | "count" | "ansatte" | "personer" | "medlemmer" | "stk"
            )
        }) {
            continue;
        }
        if matches!(
            first,
            "sum"
                | "summ"
                | "totalt"
                | "total"
                | "totalsum"
                | "delsum"
                | "subtotal"
                | "sumtotal"
                | "grandtotal"
                | "totals"
                | "summer"
                | "samlet"
        ) || f.starts_with("i alt")
            || f.starts_with("sub total")
            || f.starts_with("grand total")
            || PAYABLE_TOTALS.iter().any(|p| {
                f.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
            })
        {
            return Some(f);
        }
        // "Kjøkken totalt", "Avdeling 2 sum": a short label ending in a total word.
        let words: Vec<&str> = f.split(' ').collect();
        if words.len() <= 5
            && words.len() > 1
            && matches!(
                words[words.len() - 1],
                "sum" | "totalt" | "total" | "subtotal" | "delsum"
            )
        {
            return Some(format!("delsum {f}"));
        }
    }
    None
}

/// One-word labels of a page's own sum.
pub(super) const PAGE_SUMS: [&str; 7] = [
    "sidesum",
    "sidesummen",
    "sidetotal",
    "sidetotalt",
    "sidetotalen",
    "pagetotal",
    "pagesum",
];

/// A page carry-forward label: "Overført", "Overført fra forrige side", "Transport",
/// "Mellomsum", "Carried forward", "Brought forward", "Fra forrige side", "Til neste side".
fn is_carry_forward(folded: &str) -> bool {
    const CARRY: [&str; 15] = [
        "overfort",
        "overfores",
        "overforing",
        "transport",
        "transportert",
        "transporteres",
        "mellomsum",
        "fremfort",
        "fremfores",
        "viderefort",
        "carried",
        "brought",
        "carry",
        "forwarded",
        "ubertrag",
    ];
    const FILLER: [&str; 24] = [
        "fra", "til", "forrige", "neste", "side", "siden", "sida", "page", "forward", "fwd",
        "over", "from", "previous", "to", "next", "kr", "nok", "belop", "sum", "saldo", "balance",
        "a", "av", "amount",
    ];
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let known =
        |w: &&str| CARRY.contains(w) || FILLER.contains(w) || w.chars().all(|c| c.is_ascii_digit());
    let page_turn = words
        .iter()
        .any(|w| matches!(*w, "forrige" | "previous" | "neste" | "next"))
        && words
            .iter()
            .any(|w| matches!(*w, "side" | "siden" | "sida" | "page"));
    !words.is_empty()
        && words.iter().all(known)
        && (words.iter().any(|w| CARRY.contains(w)) || page_turn)
}

/// The text with its bracketed asides left out: "Totalt (13 personer)" → "Totalt ".
fn without_brackets(t: &str) -> String {
    let mut depth = 0usize;
    t.chars()
        .filter(|&c| match c {
            '(' | '[' => {
                depth += 1;
                false
            }
            ')' | ']' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

/// Total rows labelled by what is to be paid ("Å betale", "Til betaling", "Amount due").
const PAYABLE_TOTALS: [&str; 8] = [
    "a betale",
    "til betaling",
    "belop a betale",
    "belop til betaling",
    "amount due",
    "amount to pay",
    "total due",
    "to pay",
];

/// A total whose label names nothing but the total itself ("Sum", "Totalt", "Sum trekk").
fn is_grand_total(label: &str) -> bool {
    const GENERIC: [&str; 45] = [
        "betaling",
        "due",
        "pay",
        "to",
        "avdelinger",
        "sum",
        "summ",
        "totalt",
        "total",
        "totalsum",
        "sumtotal",
        "grandtotal",
        "grand",
        "i",
        "alt",
        "trekk",
        "belop",
        "kontingent",
        "fagforeningstrekk",
        "fagforeningskontingent",
        "kr",
        "nok",
        "for",
        "alle",
        "samlet",
        "hele",
        "listen",
        "liste",
        "trekkliste",
        "amount",
        "deduction",
        "deductions",
        "dues",
        "of",
        "the",
        "all",
        "a",
        "betale",
        "til",
        "a",
        "totals",
        "summer",
        "trekket",
        "union",
        "periode",
    ];
    let first = label.split(' ').next().unwrap_or("");
    if matches!(first, "delsum" | "subtotal") || label.starts_with("sub total") {
        return false;
    }
    label.split(' ').all(|w| {
        GENERIC.contains(&w)
            || norwegian::month_from_name(w).is_some()
            || w.chars().all(|c| c.is_ascii_digit())
    })
}

struct TotalRow {
    label: String,
    amount: Option<i64>,
    lines_before: usize,
    /// Which grid (sheet, CSV, the PDF) it closes.
    grid: usize,
}

/// Reads rows of one grid under the current mapping.
struct Extractor<'a> {
    opts: &'a ParseOptions,
    lines: Vec<ParsedLine>,
    totals: Vec<TotalRow>,
    context: Vec<String>,
    warnings: Vec<String>,
    grid: usize,
    /// A grand total closed the current table: what follows (signatures, contact
    /// lines) is no person until a new header starts a table.
    closed: bool,
    /// Lines read before the current table began (a total above its people closes nothing).
    table_start: usize,
}

impl Extractor<'_> {
    fn text(row: &Row, col: Option<usize>) -> Option<String> {
        col.and_then(|c| fields::cell_text(row.cell(c)))
    }

    fn name(row: &Row, m: &Mapping) -> Option<String> {
        let first = Self::text(row, m.get(Field::FirstName));
        let middle = Self::text(row, m.get(Field::MiddleName));
        let last = Self::text(row, m.get(Field::LastName));
        if first.is_some() || last.is_some() {
            let parts: Vec<String> = [first, middle, last].into_iter().flatten().collect();
            return Some(fields::tidy_name(&parts.join(" ")));
        }
        if let Some(t) = Self::text(row, m.get(Field::NameLastFirst)) {
            return fields::full_name(&t, true);
        }
        Self::text(row, m.get(Field::Name)).and_then(|t| fields::full_name(&t, false))
    }

    fn amount(row: &Row, m: &Mapping) -> Option<i64> {
        m.get(Field::NewAmount)
            .and_then(|c| fields::amount_ore(row.cell(c)))
            .or_else(|| {
                m.get(Field::Amount)
                    .and_then(|c| fields::amount_ore(row.cell(c)))
            })
    }

    fn row(&mut self, row: &Row, m: &Mapping) {
        if row.non_empty() == 0 {
            return;
        }
        if self.closed {
            self.context.push(row.joined_text());
            return;
        }
        // A row with a national ID is a person whatever its words say.
        let has_id = m
            .get(Field::NationalId)
            .is_some_and(|c| fields::looks_like_national_id(row.cell(c)));
        if let Some(label) = (!has_id).then(|| total_label(row, m)).flatten() {
            let amount = Self::amount(row, m).or_else(|| {
                row.cells
                    .iter()
                    .rev()
                    .filter(|c| !matches!(c, Cell::Text(t) if total_label_text(t)))
                    .find_map(fields::amount_ore)
            });
            self.closed = is_grand_total(&label) && self.lines.len() > self.table_start;
            self.totals.push(TotalRow {
                label,
                amount,
                lines_before: self.lines.len(),
                grid: self.grid,
            });
            return;
        }
        let id = m
            .get(Field::NationalId)
            .and_then(|c| fields::national_id(row.cell(c), self.opts.accept_synthetic_ids));
        // "Fødselsdato" (DDMMYY) beside "Personnr" (the five individual digits): one ID.
        let id = match (&id, m.get(Field::BirthDate)) {
            (Some((five, _)), Some(b))
                if five.len() == 5 && five.chars().all(|c| c.is_ascii_digit()) =>
            {
                match fields::ddmmyy_digits(row.cell(b)) {
                    Some(six) => {
                        let full = format!("{six}{five}");
                        let valid =
                            norwegian::is_valid_national_id(&full, self.opts.accept_synthetic_ids);
                        Some((full, valid))
                    }
                    None => id,
                }
            }
            _ => id,
        };
        // An ID-like value (9–12 digits, not a date) makes a row a person by itself.
        let id_digits = id.as_ref().is_some_and(|(s, _)| {
            let n = s.chars().filter(|c| c.is_ascii_digit()).count();
            let visible = s.chars().filter(|c| !c.is_whitespace()).count();
            (9..=12).contains(&n) && n * 5 >= visible * 4 && norwegian::parse_date(s).is_none()
        });
        let name = Self::name(row, m);
        let amount = Self::amount(row, m);
        let member = m
            .get(Field::MemberNumber)
            .and_then(|c| fields::id_text(row.cell(c)));
        let employee = m
            .get(Field::EmployeeNumber)
            .and_then(|c| fields::id_text(row.cell(c)));
        let birth_col = m.get(Field::BirthDate);
        let birth = match (&id, birth_col) {
            // The birth-date column held the ID's first six digits: read them as DDMMYY,
            // with the century the individual number gives.
            (Some((full, _)), Some(b))
                if fields::ddmmyy_digits(row.cell(b)).is_some_and(|d| full.starts_with(&d)) =>
            {
                norwegian::national_id_birth_date(full)
                    .or_else(|| fields::birth_date_value(row.cell(b)))
            }
            _ => birth_col.and_then(|c| fields::birth_date_value(row.cell(c))),
        };
        let has_name = name
            .as_ref()
            .is_some_and(|n| n.chars().any(char::is_alphabetic));
        let end_cell = m.get(Field::EndDate).map(|c| row.cell(c));
        let end_date = end_cell.and_then(fields::date_value);
        // A comment explains in words; a bare figure (a difference column headed
        // "Endring") is not one.
        let comments: Vec<String> = m
            .comments
            .iter()
            .filter_map(|&c| fields::cell_text(row.cell(c)))
            .filter(|t| t.chars().any(char::is_alphabetic))
            .collect();
        let person_like = name.as_deref().is_some_and(looks_like_person_name);
        let person = id_digits
            || person_like && (end_date.is_some() || !comments.is_empty())
            || has_name
                && (amount.is_some() || member.is_some() || employee.is_some() || birth.is_some())
            || (member.is_some() || employee.is_some())
                && amount.is_some()
                && m.get(Field::Name).is_none()
                && m.get(Field::LastName).is_none();
        let count_row = name.as_deref().is_some_and(|n| {
            let first = |f: &str| {
                matches!(
                    f,
                    "antall" | "count" | "number" | "totalt" | "sum" | "total"
                )
            };
            // fold's first word without building the folded text, when it is plain ASCII
            // and ends at plain ASCII.
            let start = n.trim_start_matches(|c: char| {
                c.is_ascii() && !c.is_ascii_alphanumeric() && c != '%'
            });
            let len = start
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(start.len());
            let (word, rest) = start.split_at(len);
            if !word.is_empty() && rest.chars().next().is_none_or(|c| c.is_ascii() && c != '%') {
                word.len() <= 6 && first(&word.to_ascii_lowercase())
            } else {
                first(fields::fold(n).split(' ').next().unwrap_or(""))
            }
        });
        if !person || count_row || may_be_page_footer(row) && is_page_footer(&row.joined_text()) {
            self.context.push(row.joined_text());
            return;
        }
        if let Some(c) = end_cell {
            if end_date.is_none() && !c.is_empty() {
                self.warnings.push(format!(
                    "{} row {}: end date not understood",
                    row.sheet, row.row
                ));
            }
        }
        let comment = if comments.is_empty() {
            None
        } else {
            Some(comments.join("; "))
        };
        let (national_id, valid) = match id {
            Some((s, v)) => (Some(s), v),
            None => (None, true),
        };
        if !valid {
            self.warnings.push(format!(
                "{} row {}: national ID {} is not valid",
                row.sheet,
                row.row,
                national_id
                    .as_deref()
                    .map(norwegian::mask_national_id)
                    .unwrap_or_default()
            ));
        }
        self.lines.push(ParsedLine {
            national_id,
            birth_date: birth,
            name: name.filter(|n| n.chars().any(char::is_alphabetic)),
            member_number: member,
            employee_number: employee,
            amount_ore: amount,
            end_date,
            comment,
            sheet: String::from(&*row.sheet),
            row: row.row,
            national_id_valid: valid,
        });
    }
}

/// Two to six words of letters (hyphens, apostrophes, dots, a comma): a person's name,
/// not a note or a heading with numbers in it.
fn looks_like_person_name(name: &str) -> bool {
    let mut words = 0;
    for w in name.split_whitespace() {
        words += 1;
        if words > 6
            || !w
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.' | ','))
        {
            return false;
        }
    }
    // Letters only (a colon is no letter), two to six words.
    words >= 2
}

/// Whether [`is_page_footer`] can hold for the row: one of its words ("side", "page",
/// "s", "sida") must be a word of a text cell (numbers and dates have none).
fn may_be_page_footer(row: &Row) -> bool {
    row.cells.iter().any(|c| match c {
        Cell::Text(t) if t.is_ascii() => t.split(|ch: char| !ch.is_ascii_alphanumeric()).any(|w| {
            ["side", "page", "s", "sida"]
                .iter()
                .any(|f| w.eq_ignore_ascii_case(f))
        }),
        // A word folding into one of them has at most four letters.
        Cell::Text(t) => t
            .split(|ch: char| {
                !ch.is_alphanumeric() && !unicode_normalization::char::is_combining_mark(ch)
            })
            .any(|w| {
                (1..=4).contains(&w.chars().filter(|c| c.is_alphanumeric()).count())
                    && matches!(fields::fold(w).as_str(), "side" | "page" | "s" | "sida")
            }),
        _ => false,
    })
}

/// "Side 2 av 3", "Page 2 of 3", "Utskrevet 27.11.2026 side 1".
fn is_page_footer(text: &str) -> bool {
    let f = fields::fold(text);
    let words: Vec<&str> = f.split(' ').collect();
    words.windows(2).any(|w| {
        matches!(w[0], "side" | "page" | "s" | "sida") && w[1].chars().all(|c| c.is_ascii_digit())
    }) && words.len() <= 8
}

fn total_label_text(t: &str) -> bool {
    let f = fields::fold(t);
    let first = f.split(' ').next().unwrap_or("");
    matches!(
        first,
        "sum" | "totalt" | "total" | "totalsum" | "delsum" | "subtotal"
    ) || PAGE_SUMS.contains(&first)
}

/// Column kinds guessed from content when no header row names them.
fn content_mapping(rows: &[Row]) -> Option<Mapping> {
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut cols = FieldCols::default();
    let mut best_id: Option<(usize, usize)> = None;
    let mut best_name: Option<(usize, usize)> = None;
    let mut amount_col = None;
    for col in 0..width {
        let cells: Vec<&Cell> = rows
            .iter()
            .map(|r| r.cell(col))
            .filter(|c| !c.is_empty())
            .collect();
        if cells.len() < 2 {
            continue;
        }
        let n = cells.len();
        let ids = cells
            .iter()
            .filter(|c| fields::looks_like_national_id(c))
            .count();
        if ids * 2 >= n && best_id.is_none_or(|(_, k)| ids > k) {
            best_id = Some((col, ids));
            continue;
        }
        let names = cells
            .iter()
            .filter(|c| match c {
                Cell::Text(t) => {
                    t.chars().filter(|ch| ch.is_alphabetic()).count() >= 3
                        && (t.trim().contains(' ') || t.contains(','))
                        && norwegian::parse_amount_ore(t).is_none()
                }
                _ => false,
            })
            .count();
        if names * 2 >= n && best_name.is_none_or(|(_, k)| names > k) {
            best_name = Some((col, names));
            continue;
        }
        let amounts = cells
            .iter()
            .filter(|c| match c {
                Cell::Number(x) => x.fract() != 0.0 || x.abs() < 10_000.0,
                Cell::Text(t) => norwegian::parse_amount_ore(t).is_some(),
                _ => false,
            })
            .count();
        if amounts * 2 >= n {
            amount_col = Some(col);
        }
    }
    if let Some((c, _)) = best_id {
        cols.insert(Field::NationalId, c);
    }
    if let Some((c, _)) = best_name {
        cols.insert(Field::Name, c);
    }
    if let Some(c) = amount_col {
        cols.insert(Field::Amount, c);
    }
    let m = Mapping {
        cols,
        comments: Vec::new(),
        titles: HashMap::new(),
    };
    (m.get(Field::NationalId).is_some()
        || m.get(Field::Name).is_some() && m.get(Field::Amount).is_some())
    .then_some(m)
}

/// A header named a birth-date column that holds national IDs (or the reverse), or an
/// ID column that holds short staff numbers (SAP's "Pers.nr."): believe the content.
fn correct_by_content(m: &mut Mapping, rows: &[Row]) {
    let sample = |col: usize| sample_column(rows, col);
    if let Some(n) = m.cols.remove(&Field::Number) {
        // Counting: 1, 2, 3 … (restarting at 1 after a repeated header); words around
        // the table (titles, footers) in that column are left out.
        let values: Vec<i64> = sample(n)
            .iter()
            .filter_map(|c| fields::id_text(c).and_then(|t| t.parse::<i64>().ok()))
            .collect();
        // (A table continued under a repeated header counts on from where it was.)
        let steps_by_one = values.windows(2).all(|w| w[1] == w[0] + 1 || w[1] == 1);
        let counting = steps_by_one && (values.first() == Some(&1) || values.len() >= 3);
        if !counting && m.get(Field::EmployeeNumber).is_none() {
            m.cols.insert(Field::EmployeeNumber, n);
        }
    }
    if let (Some(b), None) = (m.get(Field::BirthDate), m.get(Field::NationalId)) {
        let cells = sample(b);
        let ids = cells
            .iter()
            .filter(|c| fields::looks_like_national_id(c))
            .count();
        if !cells.is_empty() && ids * 2 > cells.len() {
            m.cols.remove(&Field::BirthDate);
            m.cols.insert(Field::NationalId, b);
        }
    }
    if let (Some(n), None) = (m.get(Field::NationalId), m.get(Field::BirthDate)) {
        let cells = sample(n);
        let ids = cells
            .iter()
            .filter(|c| fields::looks_like_national_id(c))
            .count();
        let dates = cells
            .iter()
            .filter(|c| fields::birth_date_value(c).is_some())
            .count();
        if !cells.is_empty() && ids == 0 && dates * 2 > cells.len() {
            m.cols.remove(&Field::NationalId);
            m.cols.insert(Field::BirthDate, n);
        }
    }
    if let Some(n) = m.get(Field::NationalId) {
        let cells = sample(n);
        let ids = cells
            .iter()
            .filter(|c| fields::looks_like_national_id(c))
            .count();
        let short_numbers = cells
            .iter()
            .filter(|c| {
                fields::id_text(c)
                    .is_some_and(|t| t.len() <= 9 && t.chars().all(|ch| ch.is_ascii_digit()))
            })
            .count();
        let five_digits = cells
            .iter()
            .filter(|c| fields::id_text(c).is_some_and(|t| t.len() == 5))
            .count();
        let split_id = m.get(Field::BirthDate).is_some() && five_digits * 5 >= cells.len() * 4;
        if cells.len() >= 2 && ids == 0 && !split_id && short_numbers * 5 >= cells.len() * 4 {
            m.cols.remove(&Field::NationalId);
            if m.get(Field::EmployeeNumber).is_none() {
                m.cols.insert(Field::EmployeeNumber, n);
            }
        }
    }
    // A vague "Medlem"/"Ansatt" column that holds numbers is a number column.
    if let Some(n) = m.get(Field::Name) {
        let cells = sample(n);
        let numbers = cells
            .iter()
            .filter(|c| fields::id_text(c).is_some_and(|t| t.chars().all(|ch| ch.is_ascii_digit())))
            .count();
        if cells.len() >= 2 && numbers * 5 >= cells.len() * 4 {
            let title = m.titles.get(&n).cloned().unwrap_or_default();
            m.cols.remove(&Field::Name);
            let field = if title.starts_with("medl") || title.starts_with("member") {
                Field::MemberNumber
            } else {
                Field::EmployeeNumber
            };
            if m.get(field).is_none() {
                m.cols.insert(field, n);
            }
        }
    }
    // An unnamed column of people's names.
    let named = [
        Field::Name,
        Field::NameLastFirst,
        Field::LastName,
        Field::FirstName,
    ]
    .iter()
    .any(|f| m.get(*f).is_some());
    if !named {
        if let Some(col) = unnamed_column(
            m,
            rows,
            |c| matches!(c, Cell::Text(t) if looks_like_person_name(t)),
        ) {
            m.cols.insert(Field::Name, col);
        }
    }
    // An unnamed column full of national IDs.
    if m.get(Field::NationalId).is_none() {
        let valid_id = |c: &Cell| fields::national_id(c, true).is_some_and(|(_, v)| v);
        if let Some(col) = unnamed_column(m, rows, valid_id) {
            m.cols.insert(Field::NationalId, col);
        }
    }
}

/// The (year, month) an amount column's title names: "Trekk november 2026" → (2026, 11).
fn title_month(title: &str) -> Option<(Option<i32>, u32)> {
    let words: Vec<&str> = title.split(' ').collect();
    let month = words.iter().find_map(|w| norwegian::month_from_name(w))?;
    let year = words
        .iter()
        .filter(|w| w.len() == 4)
        .find_map(|w| w.parse::<i32>().ok().filter(|y| (1900..=2100).contains(y)));
    Some((year, month))
}

/// Amount columns for several months ("Trekk oktober 2026", "Trekk november 2026"): the
/// deduction is the one for the list's period, else the latest month.
fn prefer_period_amount(m: &mut Mapping, period: impl FnOnce() -> Option<String>) {
    let Some(current) = m.get(Field::Amount) else {
        return;
    };
    let mut dated: Vec<(usize, Option<i32>, u32)> = m
        .titles
        .iter()
        .filter(|(_, t)| classify_header(t).is_some_and(|f| f.0 == Field::Amount))
        .filter_map(|(c, t)| title_month(t).map(|(y, mo)| (*c, y, mo)))
        .collect();
    if dated.len() < 2 || !dated.iter().any(|d| d.0 == current) {
        return;
    }
    dated.sort_by_key(|d| d.0);
    let wanted = period().and_then(|p| {
        let (y, mo) = p.split_once('-')?;
        Some((y.parse::<i32>().ok()?, mo.parse::<u32>().ok()?))
    });
    let pick = wanted
        .and_then(|(y, mo)| {
            dated
                .iter()
                .find(|d| d.2 == mo && d.1.is_none_or(|dy| dy == y))
        })
        .or_else(|| dated.iter().max_by_key(|d| (d.1, d.2)));
    if let Some(d) = pick {
        m.cols.insert(Field::Amount, d.0);
    }
}

/// Up to 30 non-empty cells of a column, from table rows only.
fn sample_column(rows: &[Row], col: usize) -> Vec<&Cell> {
    rows.iter()
        .filter(|r| !r.free_text)
        .map(|r| r.cell(col))
        .filter(|c| !c.is_empty())
        .take(30)
        .collect()
}

/// The first column no header claimed where at least four in five of the sampled cells
/// pass `test`.
fn unnamed_column(m: &Mapping, rows: &[Row], test: impl Fn(&Cell) -> bool) -> Option<usize> {
    let used: Vec<usize> = m.cols.values().chain(m.comments.iter().copied()).collect();
    let width = rows
        .iter()
        .take(200)
        .map(|r| r.cells.len())
        .max()
        .unwrap_or(0);
    (0..width).filter(|c| !used.contains(c)).find(|&col| {
        let cells = sample_column(rows, col);
        let hits = cells.iter().filter(|c| test(c)).count();
        cells.len() >= 2 && hits * 5 >= cells.len() * 4
    })
}

/// Extract the people, totals and surrounding text from all grids.
pub fn extract(grids: &[Grid], opts: &ParseOptions) -> ParsedList {
    let mut ex = Extractor {
        opts,
        lines: Vec::new(),
        totals: Vec::new(),
        context: Vec::new(),
        warnings: Vec::new(),
        grid: 0,
        closed: false,
        table_start: 0,
    };
    let mut any_table = false;
    // Text above tables first: identifiers written there win over footers.
    let mut titles: Vec<String> = Vec::new();
    for (gi, grid) in grids.iter().enumerate() {
        ex.grid = gi;
        ex.closed = false;
        ex.table_start = ex.lines.len();
        let rows = &grid.rows;
        let mut mapping: Option<Mapping> = None;
        let mut grid_context = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let row = &rows[i];
            if row.non_empty() == 0 {
                i += 1;
                continue;
            }
            if row.free_text {
                grid_context.push(row.joined_text());
                i += 1;
                continue;
            }
            if let Some((mut m, span)) = detect_header(rows, i) {
                // Text beside the header that names no column ("Periode: 2026-11" in a
                // far cell) still says something about the list.
                for r in &rows[i..i + span] {
                    grid_context.extend(r.cells.iter().filter_map(|c| match c {
                        Cell::Text(t)
                            if classify_header(t).is_none()
                                && t.chars().any(|ch| ch.is_ascii_digit()) =>
                        {
                            Some(t.clone())
                        }
                        _ => None,
                    }));
                }
                for r in &rows[i..i + span] {
                    for (c, cell) in r.cells.iter().enumerate() {
                        if let Some(t) = fields::cell_text(cell) {
                            m.titles
                                .entry(c)
                                .or_default()
                                .push_str(&format!("{} ", fields::fold(&t)));
                        }
                    }
                }
                // A repeated header (same titles) continues the same table: keep what the
                // content said about its columns the first time.
                let repeated = mapping.as_ref().filter(|p| p.titles == m.titles).cloned();
                let m = match repeated {
                    Some(prev) => prev,
                    None => {
                        correct_by_content(&mut m, &rows[i + span..]);
                        prefer_period_amount(&mut m, || {
                            let above: Vec<String> =
                                titles.iter().chain(&grid_context).cloned().collect();
                            super::ids::from_text(&above).period
                        });
                        m
                    }
                };
                ex.closed = false;
                ex.table_start = ex.lines.len();
                mapping = Some(m);
                any_table = true;
                i += span;
                continue;
            }
            match &mapping {
                Some(m) => ex.row(row, m),
                None => grid_context.push(row.joined_text()),
            }
            i += 1;
        }
        titles.extend(grid_context);
    }
    // No header anywhere: guess columns from content, grid by grid.
    if !any_table {
        for (gi, grid) in grids.iter().enumerate() {
            ex.grid = gi;
            ex.closed = false;
            ex.table_start = ex.lines.len();
            if let Some(m) = content_mapping(&grid.rows) {
                any_table = true;
                titles.clear();
                for row in &grid.rows {
                    ex.row(row, &m);
                }
            }
        }
    }
    let mut list = ParsedList {
        readable: true,
        ..Default::default()
    };
    if !any_table || ex.lines.is_empty() {
        list.warnings.push("no table of people found".into());
    }
    titles.append(&mut ex.context);
    let ids = super::ids::from_text(&titles);
    list.list_number = ids.list_number;
    list.employer_id = ids.employer_id;
    list.org_number = ids.org_number;
    list.period = ids.period;
    list.declared_total_ore =
        declared_total(&ex.totals, ex.lines.len()).or_else(|| total_in_text(&titles));
    // Payroll reports print deductions as negative numbers; every amount negative is that
    // convention, not a list of refunds.
    let amounts: Vec<i64> = ex
        .lines
        .iter()
        .filter_map(|l| l.amount_ore)
        .filter(|a| *a != 0)
        .collect();
    if amounts.len() >= 2 && amounts.iter().all(|a| *a < 0) {
        for l in &mut ex.lines {
            l.amount_ore = l.amount_ore.map(|a| -a);
        }
        list.declared_total_ore = list.declared_total_ore.map(|t| -t);
        ex.warnings
            .push("all amounts were negative (payroll sign); read as deductions".into());
    }
    let sum: i64 = ex.lines.iter().filter_map(|l| l.amount_ore).sum();
    if let Some(total) = list.declared_total_ore {
        if total != sum {
            ex.warnings.push(format!(
                "declared total {} differs from the sum of the lines {}",
                norwegian::format_amount_ore(total),
                norwegian::format_amount_ore(sum)
            ));
        }
    }
    list.lines = ex.lines;
    list.warnings.extend(ex.warnings);
    list
}

/// "Totalt å betale: 12 345,67" written above or below the table.
fn total_in_text(lines: &[String]) -> Option<i64> {
    lines.iter().find_map(|l| {
        let idx = l.find(|c: char| c.is_ascii_digit() || c == '-')?;
        let (label, value) = l.split_at(idx);
        let f = fields::fold(label);
        let first = f.split(' ').next().unwrap_or("");
        let total_word = matches!(first, "sum" | "totalt" | "total" | "totalsum")
            || f.starts_with("i alt")
            || PAYABLE_TOTALS.iter().any(|p| f.starts_with(p));
        if total_word && !f.is_empty() && is_grand_total(&f) {
            // A summary's "Totalt | 18 | 9 403,87" (count, then amount): the last cell
            // that is an amount; in one cell of text, the longest tail that reads as one.
            value.rsplit('\t').find_map(|cell| {
                let tokens: Vec<&str> = cell.split_whitespace().collect();
                (0..tokens.len()).find_map(|i| norwegian::parse_amount_ore(&tokens[i..].join(" ")))
            })
        } else {
            None
        }
    })
}

/// The grand total: the last total row that is not a subtotal; with only section sums,
/// none.
fn declared_total(totals: &[TotalRow], n_lines: usize) -> Option<i64> {
    let grand: Vec<&TotalRow> = totals
        .iter()
        .filter(|t| is_grand_total(&t.label) && t.amount.is_some())
        .collect();
    // One grand total per sheet; sheets with their own totals add up.
    let mut per_grid: Vec<(usize, i64)> = Vec::new();
    for t in &grand {
        let amount = t.amount.unwrap_or_default();
        match per_grid.iter_mut().find(|(g, _)| *g == t.grid) {
            Some(entry) => entry.1 = amount,
            None => per_grid.push((t.grid, amount)),
        }
    }
    if !per_grid.is_empty() {
        return Some(per_grid.iter().map(|(_, a)| a).sum());
    }
    // A single labelled sum after all lines ("Sum avdeling" with one section) is the total.
    if totals.len() == 1 && totals[0].lines_before == n_lines {
        return totals[0].amount;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells from text: "" empty, "#123.5" a number, "@2026-11-15" a date.
    fn grid(rows: &[&[&str]]) -> Vec<Grid> {
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, r)| Row {
                sheet: "Ark1".into(),
                row: i as u32 + 1,
                cells: r
                    .iter()
                    .map(|c| {
                        if c.is_empty() {
                            Cell::Empty
                        } else if let Some(n) = c.strip_prefix('#') {
                            Cell::Number(n.parse().unwrap_or(0.0))
                        } else if let Some(d) = c.strip_prefix('@') {
                            norwegian::parse_date(d)
                                .map(Cell::Date)
                                .unwrap_or(Cell::Empty)
                        } else {
                            Cell::Text(c.to_string())
                        }
                    })
                    .collect(),
                free_text: false,
            })
            .collect();
        vec![Grid {
            name: "Ark1".into(),
            rows,
        }]
    }

    fn parse(rows: &[&[&str]]) -> ParsedList {
        parse_grids(&grid(rows))
    }

    fn parse_grids(grids: &[Grid]) -> ParsedList {
        extract(
            grids,
            &ParseOptions {
                accept_synthetic_ids: true,
            },
        )
    }

    #[test]
    fn grand_totals() {
        assert!(is_grand_total("sum"));
        assert!(is_grand_total("totalt"));
        assert!(is_grand_total("sum trekk november 2026"));
        assert!(!is_grand_total("sum kjokken"));
        assert!(!is_grand_total("delsum"));
    }

    #[test]
    fn merged_two_row_header_and_caps_names() {
        let l = parse(&[
            &["Ansatt", "", "Fødsels-", "Trekk"],
            &["Nr", "Navn", "nummer", ""],
            &["#12", "NORDMANN, KARI", "03816900505", "450,00"],
            &["#13", "OLA VAN DER BERG", "3827614121", "#500"],
            &["Totalt å betale", "", "", "950,00"],
        ]);
        assert_eq!(l.lines.len(), 2, "{l:?}");
        assert_eq!(l.lines[0].employee_number.as_deref(), Some("12"));
        assert_eq!(l.lines[0].name.as_deref(), Some("Kari Nordmann"));
        assert_eq!(l.lines[1].name.as_deref(), Some("Ola van der Berg"));
        assert_eq!(l.lines[1].national_id.as_deref(), Some("03827614121"));
        assert_eq!(l.declared_total_ore, Some(95000));
    }

    #[test]
    fn english_headers_end_dates_and_new_amount() {
        let l = parse(&[
            &["Deduction list 245669", ""],
            &["Company reg. no. 907 873 951"],
            &["Period: 11/2026"],
            &[],
            &[
                "Surname",
                "Given name",
                "SSN",
                "Amount (NOK)",
                "New amount",
                "Termination date",
                "Remarks",
            ],
            &["Nordmann", "Kari", "03816900505", "450", "", "", ""],
            &[
                "Hansen",
                "Per",
                "03827614121",
                "450",
                "300",
                "#46341",
                "Reduced",
            ],
            &["Total", "", "", "", "750", "", ""],
        ]);
        assert_eq!(l.list_number.as_deref(), Some("245669"));
        assert_eq!(l.org_number.as_deref(), Some("907873951"));
        assert_eq!(l.period.as_deref(), Some("2026-11"));
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.lines[1].amount_ore, Some(30000));
        assert_eq!(
            l.lines[1].end_date,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 15)
        );
        assert_eq!(l.lines[1].comment.as_deref(), Some("Reduced"));
        assert_eq!(l.declared_total_ore, Some(75000));
    }

    #[test]
    fn headerless_content_fallback() {
        let l = parse(&[
            &["03816900505", "Kari Nordmann", "#450.5"],
            &["03827614121", "Per Hansen", "#300"],
            &["19879626369", "Emma Ellingsen", "#518.47"],
        ]);
        assert_eq!(l.lines.len(), 3);
        assert_eq!(l.lines[0].amount_ore, Some(45050));
        assert_eq!(l.lines[2].name.as_deref(), Some("Emma Ellingsen"));
    }

    #[test]
    fn counts_and_footers_are_not_people_or_totals() {
        let l = parse(&[
            &["Navn", "Fnr", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Antall ansatte", "", "1"],
            &["Side 1 av 1", "", "1"],
        ]);
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.declared_total_ore, None);
    }

    #[test]
    fn a_total_row_qualified_by_a_bracketed_count_is_the_total() {
        let l = parse(&[
            &["Nr", "Navn", "Fnr", "Beløp"],
            &["#1", "Kari Nordmann", "03816900505", "450"],
            &["#2", "Per Hansen", "03827614121", "300"],
            &["#2", "Totalt (2 personer)", "", "750"],
        ]);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.declared_total_ore, Some(75000));
    }

    #[test]
    fn a_summary_sheet_before_the_departments_gives_its_total_not_its_count() {
        let mut grids = grid(&[
            &["Oppsummering"],
            &["Avdeling", "Antall", "Beløp"],
            &["Drift", "#2", "#750"],
            &["Totalt", "#2", "#750"],
        ]);
        grids.extend(grid(&[
            &["Navn", "Fnr", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Per Hansen", "03827614121", "300"],
        ]));
        let l = parse_grids(&grids);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.declared_total_ore, Some(75000));
    }

    #[test]
    fn an_amount_due_written_above_the_table_is_the_declared_total() {
        let l = parse(&[
            &["Å betale: kr 750,00"],
            &["Navn", "Fnr", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Per Hansen", "03827614121", "300"],
        ]);
        assert_eq!(l.declared_total_ore, Some(75000));
    }

    #[test]
    fn invalid_ids_are_kept_with_a_warning() {
        let l = parse(&[
            &["Navn", "Fødselsnummer", "Beløp"],
            &["Kari Nordmann", "03816900506", "450"],
        ]);
        assert_eq!(l.lines[0].national_id.as_deref(), Some("03816900506"));
        assert!(!l.lines[0].national_id_valid);
        assert!(l.warnings.iter().any(|w| w.contains("not valid")));
    }

    #[test]
    fn person_leaving_without_amount_is_kept() {
        let l = parse(&[
            &["Navn", "Beløp", "Sluttdato", "Kommentar"],
            &["Kari Nordmann", "450", "", ""],
            &["Per Hansen", "", "@2026-10-31", "Sluttet"],
        ]);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.lines[1].amount_ore, None);
    }

    #[test]
    fn bare_nr_column_is_an_employee_number_unless_it_counts() {
        let counting = parse(&[
            &["Nr", "Navn", "Fnr", "Beløp"],
            &["#1", "Kari Nordmann", "03816900505", "450"],
            &["#2", "Per Hansen", "03827614121", "450"],
        ]);
        assert_eq!(counting.lines[0].employee_number, None);
        let staff = parse(&[
            &["Nr", "Navn", "Fnr", "Beløp"],
            &["#331", "Kari Nordmann", "03816900505", "450"],
            &["#333", "Per Hansen", "03827614121", "450"],
        ]);
        assert_eq!(staff.lines[1].employee_number.as_deref(), Some("333"));
    }

    #[test]
    fn sap_personnel_number_is_not_a_national_id() {
        let l = parse(&[
            &["Pers.nr.", "Navn", "Fødselsnummer", "Beløp"],
            &["#10004711", "Kari Nordmann", "03816900505", "450,00-"],
            &["#10004712", "Per Hansen", "03827614121", "300,00-"],
        ]);
        assert_eq!(l.lines[0].national_id.as_deref(), Some("03816900505"));
        assert_eq!(l.lines[0].employee_number.as_deref(), Some("10004711"));
        assert_eq!(l.lines[0].amount_ore, Some(45000));
    }

    #[test]
    fn birth_date_and_five_digit_personnummer_make_one_id() {
        let l = parse(&[
            &["Navn", "Fødselsdato", "Personnr", "Beløp"],
            &["Kari Nordmann", "038169", "00505", "450"],
            &["Per Hansen", "#38276", "14121", "450"],
        ]);
        assert_eq!(l.lines[1].national_id.as_deref(), Some("03827614121"));
        assert_eq!(
            l.lines[1].birth_date,
            chrono::NaiveDate::from_ymd_opt(1976, 2, 3)
        );
        assert_eq!(l.lines[0].national_id.as_deref(), Some("03816900505"));
        assert!(l.lines[0].national_id_valid);
    }

    #[test]
    fn a_printed_date_in_the_id_column_is_no_person() {
        let l = parse(&[
            &["Navn", "Fødselsnummer", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Utskrevet", "27.11.2026", ""],
        ]);
        assert_eq!(l.lines.len(), 1);
    }

    #[test]
    fn section_totals_written_after_the_name() {
        let l = parse(&[
            &["Navn", "Fnr", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Kjøkken totalt", "", "450"],
            &["Per Hansen", "03827614121", "300"],
            &["Renhold totalt", "", "300"],
            &["Sum totalt", "", "750"],
        ]);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.declared_total_ore, Some(75000));
    }

    #[test]
    fn carry_forward_rows_are_neither_people_nor_the_total() {
        let l = parse(&[
            &["Medlemsnr", "Navn", "Fødselsnr", "Beløp"],
            &["1001", "Kari Nordmann", "03816900505", "#450"],
            &["", "Sum side 1", "", "#450"],
            &["Medlemsnr", "Navn", "Fødselsnr", "Beløp"],
            &["", "Overført", "", "#450"],
            &["1002", "Per Hansen", "03827614121", "#300"],
            &["", "Overført fra forrige side", "", "#750"],
            &["", "Carried forward", "", "#750"],
            &["", "Transport", "", "#750"],
            &["1003", "Ola Berg", "19879626369", "#100"],
            &["", "Totalsum", "", "#850"],
        ]);
        assert_eq!(l.lines.len(), 3, "{:?}", l.lines);
        assert_eq!(l.declared_total_ore, Some(85000));
    }

    #[test]
    fn a_page_sum_in_one_word_is_a_subtotal() {
        for label in ["Sidesum", "SIDETOTAL", "Sidetotalt:", "Page-total"] {
            let l = parse(&[
                &["Medlemsnr", "Navn", "Beløp"],
                &["1001", "Kari Nordmann", "#450"],
                &["", label, "#450"],
                &["1002", "Per Hansen", "#300"],
                &["", "Sum", "#750"],
            ]);
            assert_eq!(l.lines.len(), 2, "{label}: {:?}", l.lines);
            assert_eq!(l.declared_total_ore, Some(75000), "{label}");
        }
    }

    #[test]
    fn a_carry_word_beside_a_name_is_a_department() {
        let l = parse(&[
            &["Avdeling", "Navn", "Beløp"],
            &["Transport", "Kari Nordmann", "450"],
            &["Lager", "Per Hansen", "300"],
        ]);
        assert_eq!(l.lines.len(), 2);
    }

    #[test]
    fn the_amount_column_of_the_lists_month() {
        let l = parse(&[
            &["Trekkliste 280371"],
            &["Periode: november 2026"],
            &[
                "Navn",
                "Fødselsnummer",
                "Trekk oktober 2026",
                "Trekk november 2026",
                "Trekk desember 2026",
            ],
            &["Kari Nordmann", "03816900505", "#500", "#450", "#460"],
        ]);
        assert_eq!(l.lines[0].amount_ore, Some(45000));
        // Without a period: the latest month.
        let l = parse(&[
            &[
                "Navn",
                "Fødselsnummer",
                "Trekk oktober 2026",
                "Trekk november 2026",
            ],
            &["Kari Nordmann", "03816900505", "#500", "#450"],
        ]);
        assert_eq!(l.lines[0].amount_ore, Some(45000));
    }

    #[test]
    fn a_last_name_first_column_without_commas() {
        let l = parse(&[
            &["Etternavn Fornavn", "Fødselsnummer", "Beløp"],
            &["Eide Yngve Elisabeth", "03816900505", "450"],
            &["van der Berg Kari", "03827614121", "300"],
        ]);
        assert_eq!(l.lines[0].name.as_deref(), Some("Yngve Elisabeth Eide"));
        assert_eq!(l.lines[1].name.as_deref(), Some("Kari van der Berg"));
    }

    #[test]
    fn sheets_with_their_own_totals_add_up() {
        let mut grids = grid(&[
            &["Navn", "Fnr", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Sum", "", "450"],
        ]);
        grids.extend(grid(&[
            &["Navn", "Fnr", "Beløp"],
            &["Per Hansen", "03827614121", "300"],
            &["Sum", "", "300"],
        ]));
        let l = parse_grids(&grids);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.declared_total_ore, Some(75000));
    }

    #[test]
    fn an_unlabelled_name_column_is_found() {
        let l = parse(&[
            &["", "Fødselsnummer", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Per Hansen", "03827614121", "300"],
        ]);
        assert_eq!(l.lines[1].name.as_deref(), Some("Per Hansen"));
    }

    #[test]
    fn sum_words_in_a_data_column_do_not_make_totals() {
        let l = parse(&[
            &["Navn", "Lønnsart", "Beløp"],
            &["Kari Nordmann", "Sum trekk", "450"],
            &["Per Hansen", "Sum trekk", "300"],
            &["Sum", "", "750"],
        ]);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.declared_total_ore, Some(75000));
    }

    #[test]
    fn identifiers_beside_the_header_row() {
        let l = parse(&[
            &["Navn", "Fnr", "Beløp", "", "Periode: 2026-11"],
            &["Kari Nordmann", "03816900505", "450"],
        ]);
        assert_eq!(l.period.as_deref(), Some("2026-11"));
    }

    #[test]
    fn nothing_after_the_grand_total_is_a_person() {
        let l = parse(&[
            &["Navn", "Fnr", "Beløp"],
            &["Kari Nordmann", "03816900505", "450"],
            &["Sum", "", "450"],
            &["Kontakt Ola Hansen", "tlf 912 34 567", "567"],
        ]);
        assert_eq!(l.lines.len(), 1);
    }

    #[test]
    fn a_vague_person_column_of_numbers_is_a_number_column() {
        let l = parse(&[
            &["Medlem", "Navn", "Beløp"],
            &["#1781867", "Kari Nordmann", "450"],
            &["#1922640", "Per Hansen", "300"],
        ]);
        assert_eq!(l.lines[0].name.as_deref(), Some("Kari Nordmann"));
        let l = parse(&[
            &["Medlem", "Fødselsnummer", "Beløp"],
            &["#1781867", "03816900505", "450"],
            &["#1922640", "03827614121", "300"],
        ]);
        assert_eq!(l.lines[0].member_number.as_deref(), Some("1781867"));
        assert_eq!(l.lines[0].name, None);
    }
}
