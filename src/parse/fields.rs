//! Field-level reading: header words → column kinds, and cell values → names, IDs,
//! amounts and dates.
use super::grid::Cell;
use crate::norwegian;
use chrono::NaiveDate;
use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    NationalId,
    BirthDate,
    /// Full name, first name first (or order unknown: a comma decides).
    Name,
    /// Full name written "Etternavn, Fornavn" / "Etternavn Fornavn".
    NameLastFirst,
    LastName,
    FirstName,
    MiddleName,
    MemberNumber,
    EmployeeNumber,
    Amount,
    /// A corrected amount that replaces `Amount` when filled.
    NewAmount,
    EndDate,
    Comment,
    /// A bare number column ("Nr"): employee number unless it just counts rows.
    Number,
    /// A known column that is none of the above (department, percentage, salary …):
    /// named so content fallback leaves it alone.
    Ignore,
}

impl Field {
    /// Every field, in declaration order (`field as usize` is its index).
    pub const ALL: [Field; 15] = [
        Field::NationalId,
        Field::BirthDate,
        Field::Name,
        Field::NameLastFirst,
        Field::LastName,
        Field::FirstName,
        Field::MiddleName,
        Field::MemberNumber,
        Field::EmployeeNumber,
        Field::Amount,
        Field::NewAmount,
        Field::EndDate,
        Field::Comment,
        Field::Number,
        Field::Ignore,
    ];

    /// Fields that identify a person: a header row must name at least one.
    pub fn identifies(self) -> bool {
        matches!(
            self,
            Field::NationalId
                | Field::BirthDate
                | Field::Name
                | Field::NameLastFirst
                | Field::LastName
                | Field::FirstName
                | Field::MemberNumber
                | Field::EmployeeNumber
        )
    }
}

/// Lower-case, Norwegian letters folded (æ→ae, ø→o, å→a), accents dropped, punctuation
/// turned into single spaces.
pub fn fold(s: &str) -> String {
    // Plain ASCII (most cells): lower case, separators collapsed, in one pass.
    if s.is_ascii() {
        return fold_ascii(s);
    }
    // Nearly every other cell is ASCII plus æ/ø/å: fold those without the (costly) NFD
    // pass, which would change nothing else in them.
    if s.chars()
        .all(|c| c.is_ascii() || matches!(c, 'æ' | 'Æ' | 'ø' | 'Ø' | 'å' | 'Å'))
    {
        return fold_chars(s.chars().map(|c| match c {
            'å' | 'Å' => 'a',
            c => c,
        }));
    }
    fold_chars(s.nfd())
}

/// [`fold_chars`] for ASCII text, without per-character Unicode tables.
fn fold_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            if std::mem::take(&mut gap) && !out.is_empty() {
                out.push(' ');
            }
            out.push(char::from(b.to_ascii_lowercase()));
        } else if b == b'%' {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push('%');
            gap = true;
        } else {
            gap = true;
        }
    }
    out
}

fn fold_chars(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    // Separators collapse to one space between words, none at either end.
    let mut gap = false;
    let word = |out: &mut String, gap: &mut bool| {
        if std::mem::take(gap) && !out.is_empty() {
            out.push(' ');
        }
    };
    for c in chars {
        match c {
            // ASCII first: no Unicode tables for the common letters.
            c if c.is_ascii_alphanumeric() => {
                word(&mut out, &mut gap);
                out.push(c.to_ascii_lowercase())
            }
            'æ' | 'Æ' => {
                word(&mut out, &mut gap);
                out.push_str("ae")
            }
            'ø' | 'Ø' => {
                word(&mut out, &mut gap);
                out.push('o')
            }
            c if unicode_normalization::char::is_combining_mark(c) => {}
            c if c.is_alphanumeric() => {
                word(&mut out, &mut gap);
                out.extend(c.to_lowercase())
            }
            '%' => {
                gap = true;
                word(&mut out, &mut gap);
                out.push('%');
                gap = true;
            }
            _ => gap = true,
        }
    }
    out
}

/// Classify one header cell. The score orders competing columns of the same kind
/// (higher wins).
pub fn classify_header(text: &str) -> Option<(Field, u8)> {
    // Pure and asked again and again about the same texts (a PDF's words are tried alone,
    // in pairs and as phrases): remembered per thread, the memory bounded.
    const REMEMBERED: usize = 4096;
    type Seen = std::collections::HashMap<Box<str>, Option<(Field, u8)>>;
    thread_local! {
        static SEEN: std::cell::RefCell<Seen> = std::cell::RefCell::default();
    }
    if too_many_digits(text) {
        return None;
    }
    SEEN.with(|seen| {
        if let Some(hit) = seen.borrow().get(text) {
            return *hit;
        }
        let result = classify_header_text(text);
        let mut seen = seen.borrow_mut();
        if seen.len() >= REMEMBERED {
            seen.clear();
        }
        seen.insert(text.into(), result);
        result
    })
}

/// Header cells carry no long numbers (a title like "Trekkliste 240974" is not a header,
/// nor is a data cell); a year ("Trekk 2026") is allowed. Three digits outside years
/// are too many.
pub fn too_many_digits(text: &str) -> bool {
    text.split_whitespace()
        .filter(|w| {
            let w = w.trim_matches(|c: char| !c.is_ascii_digit());
            !(w.len() == 4 && (w.starts_with("19") || w.starts_with("20")))
        })
        .map(|w| w.bytes().filter(u8::is_ascii_digit).count())
        .sum::<usize>()
        >= 3
}

fn classify_header_text(text: &str) -> Option<(Field, u8)> {
    let raw = text.trim();
    // Too many digits was ruled out by `classify_header`, before the lookup.
    if raw.is_empty() || raw.chars().count() > 60 {
        return None;
    }
    let f = fold(raw);
    let words: Vec<&str> = f.split(' ').collect();
    if words.len() > 7 {
        return None;
    }
    let compact: String = f.chars().filter(|c| *c != ' ').collect();
    let has = |w: &str| words.contains(&w);
    let c = compact.as_str();

    // Percentages, bases and salaries are never the deduction itself.
    let percent =
        has("%") || has("prosent") || c.contains("prosent") || has("pct") || c.contains("percent");
    if percent
        || c.contains("grunnlag")
        || c.starts_with("lonn") && !c.contains("nr") && !c.contains("nummer")
        || c.contains("salary")
        || c.contains("stilling")
        || c.contains("avdeling")
        || c.contains("department")
        || c == "kategori"
        || c == "category"
        || c == "kostnadssted"
        || c == "costcenter"
    {
        return Some((Field::Ignore, 1));
    }
    if c.contains("fodselsdato")
        || c.contains("birth")
        || c == "dob"
        || c == "fodt"
        || c == "fodd"
        || c == "fdato"
        || c == "fodtdato"
    {
        return Some((Field::BirthDate, 9));
    }
    if c.contains("fodselsn")
        || c.contains("personn")
        || c.starts_with("fodsels")
        || c == "fnr"
        || c == "pnr"
        || c == "fnummer"
        || c.starts_with("fnr")
        || has("fnr")
        || c.contains("nationalid")
        || c.contains("personalid")
        || c.contains("identitynumber")
        || c == "idnumber"
        || c == "ssn"
        || c.contains("socialsecurity")
        || c == "nin"
        || c == "dnr"
        || c.contains("dnummer")
        || c.contains("personalnumber")
        || c == "idnr"
        || c == "identifikasjonsnummer"
        || c == "persnr"
        || c == "idnummer"
        || c.contains("identitetsn")
        || c.contains("fodselsog")
    {
        return Some((Field::NationalId, 9));
    }
    let last = c.contains("etternavn")
        || c.contains("lastname")
        || c.contains("surname")
        || c.contains("familyname");
    let first = c.contains("fornavn") || c.contains("firstname") || c.contains("givenname");
    if last && first {
        let last_pos = ["etternavn", "lastname", "surname", "familyname"]
            .iter()
            .filter_map(|w| c.find(w))
            .min()
            .unwrap_or(0);
        let first_pos = ["fornavn", "firstname", "givenname"]
            .iter()
            .filter_map(|w| c.find(w))
            .min()
            .unwrap_or(0);
        return Some((
            if last_pos < first_pos {
                Field::NameLastFirst
            } else {
                Field::Name
            },
            9,
        ));
    }
    if last {
        return Some((Field::LastName, 9));
    }
    if first {
        return Some((Field::FirstName, 9));
    }
    if c.contains("mellomnavn") || c.contains("middlename") {
        return Some((Field::MiddleName, 9));
    }
    let number_word = |c: &str| {
        c.ends_with("nr")
            || c.ends_with("nummer")
            || c.ends_with("no")
            || c.ends_with("number")
            || c.ends_with("id")
            || c.ends_with("num")
            || c.ends_with("nbr")
    };
    if (c.starts_with("medl") || c.starts_with("member")) && number_word(c)
        || c.contains("medlemsn") && !c.contains("navn")
        || c.contains("medlnr")
        || c.contains("membershipn")
    {
        return Some((Field::MemberNumber, 9));
    }
    if (c.starts_with("ansatt")
        || c.starts_with("ans") && c.len() <= 6
        || c.starts_with("lonn")
        || c.starts_with("personal")
        || c.starts_with("employee")
        || c.starts_with("emp")
        || c.starts_with("staff")
        || c.starts_with("payroll")
        || c.starts_with("ressurs")
        || c.starts_with("arbeidstaker")
        || c.starts_with("tjeneste"))
        && number_word(c)
    {
        return Some((Field::EmployeeNumber, 9));
    }
    const NAME_WORDS: [&str; 18] = [
        "navn",
        "ansatt",
        "ansattnavn",
        "name",
        "fullname",
        "fulltnavn",
        "employee",
        "employeename",
        "medlem",
        "medlemsnavn",
        "member",
        "membername",
        "arbeidstaker",
        "person",
        "personnavn",
        "navnpaansatt",
        "ansatte",
        "medlemmer",
    ];
    if NAME_WORDS.contains(&c) || has("navn") || has("name") {
        // "Ansatt", "Medlem", "Employee" name a person less surely than "Navn": they
        // can head a number column too.
        let vague = matches!(
            c,
            "ansatt"
                | "employee"
                | "medlem"
                | "member"
                | "person"
                | "arbeidstaker"
                | "ansatte"
                | "medlemmer"
        );
        return Some((Field::Name, if vague { 7 } else { 8 }));
    }
    if c.contains("slutt")
        || c.contains("fratr")
        || c.contains("permit")
        || c.contains("enddate")
        || c == "left"
        || c.contains("dateleft")
        || c.contains("leavingdate")
        || c.contains("termination")
        || c.contains("utmeld")
        || c.starts_with("opphor")
        || c.contains("sistearbeidsdag")
        || c.contains("lastday")
        || c.contains("lastworking")
        || c == "tildato"
        || c == "todate"
        || c.contains("laidoff")
        || c.contains("furlough")
        || c.contains("avgang")
        || c.contains("leaving")
        || c.contains("endofemployment")
        || c.contains("employmentend")
        || c.contains("dateofleaving")
        || c.contains("resign")
        || c == "utdato"
        || c == "datout"
        || c == "utgatt"
        || c.len() > 5 && c.ends_with("end")
    {
        return Some((Field::EndDate, 8));
    }
    let corrected = c.starts_with("nytt")
        || c.starts_with("ny")
        || c.starts_with("korrigert")
        || c.starts_with("endret") && !c.ends_with("endret")
        || c.starts_with("new")
        || c.starts_with("corrected")
        || c.starts_with("revised");
    let money = [
        "belop",
        "trekk",
        "sats",
        "amount",
        "deduction",
        "kontingent",
    ]
    .iter()
    .any(|w| c.contains(w));
    if corrected && money {
        return Some((Field::NewAmount, 9));
    }
    if c.contains("dato") || c.contains("date") {
        return Some((Field::Ignore, 1));
    }
    let amount_score = if c.contains("fagforeningstrekk")
        || c.contains("kontingenttrekk")
        || c == "trekkbelop"
        || c.contains("uniondues")
        || c.contains("fagforeningskontingent")
    {
        Some(9)
    } else if c.contains("trekk") && !c.contains("trekkliste")
        || c.contains("belop")
        || c.contains("kontingent")
        || c.contains("amount")
        || c.contains("deduction")
        || c.contains("dues")
        || c.contains("trukket")
        || c.contains("fee")
        || c == "fagforening"
        || c.contains("medlemsavgift")
        || c.contains("avgift")
        || c == "innbetalt"
        || c == "innbetaling"
    {
        Some(8)
    } else if c == "sum"
        || c == "kr"
        || c == "nok"
        || c == "sats"
        || c == "total"
        || c == "totalt"
        || c == "rate"
        || c.starts_with("sumkr")
        || c == "belopnok"
    {
        Some(4)
    } else {
        None
    };
    if let Some(score) = amount_score {
        // Last month's or the invoiced figure next to the one deducted now: lower priority.
        let older = [
            "forrige",
            "previous",
            "tidligere",
            "gammel",
            "opprinnelig",
            "original",
            "fakturert",
            "invoiced",
        ]
        .iter()
        .any(|w| c.contains(w));
        return Some((Field::Amount, if older { 2 } else { score }));
    }
    if c.starts_with("kommentar")
        || c.starts_with("merknad")
        || c.starts_with("anmerk")
        || c.starts_with("endring")
        || c.starts_with("notat")
        || c.starts_with("beskjed")
        || c.starts_with("comment")
        || c.starts_with("note")
        || c.starts_with("remark")
        || c.starts_with("arsak")
        || c.starts_with("reason")
        || c.starts_with("begrunn")
        || c == "grunn"
        || c.starts_with("explanation")
        || c == "info"
        || c == "informasjon"
        || c.starts_with("beskrivelse")
        || c == "description"
        || c.starts_with("forklaring")
        || c.starts_with("melding")
        || c == "status"
        || c == "obs"
        || c.starts_with("tilbakemelding")
        || c.starts_with("bemerk")
        || c.contains("fritekst")
        || c == "tekst"
        || c == "text"
    {
        return Some((Field::Comment, 8));
    }
    if c.contains("navn") {
        return Some((Field::Name, 6));
    }
    if c == "ressurs" || c == "resource" {
        return Some((Field::EmployeeNumber, 6));
    }
    // A bare "Nr": an employee number or a running count, told apart by content.
    if c == "nr" || c == "no" || c == "nummer" || c == "number" || c == "#" {
        return Some((Field::Number, 3));
    }
    if c == "lnr" || c == "lopenr" || c == "rad" || c == "row" {
        return Some((Field::Ignore, 1));
    }
    None
}

/// The words of `s` one plain space apart. Most texts already are: then one copy and
/// no word list.
pub fn single_spaced(s: &str) -> String {
    let t = s.trim();
    let tidy = if t.is_ascii() {
        // Bytes are characters here; no Unicode whitespace table needed.
        let mut prev = 0u8;
        t.bytes().all(|c| {
            let ok =
                !(matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r') || c == b' ' && prev == b' ');
            prev = c;
            ok
        })
    } else {
        let mut prev_space = false;
        t.chars().all(|c| {
            let space = c.is_whitespace();
            let ok = !space || (c == ' ' && !prev_space);
            prev_space = space;
            ok
        })
    };
    if tidy {
        t.to_string()
    } else {
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A cell's text as shown (numbers without a trailing ".0").
pub fn cell_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty => None,
        Cell::Text(s) => {
            let t = single_spaced(s);
            if t.is_empty() {
                None
            } else {
                Some(t)
            }
        }
        Cell::Number(n) => Some(number_text(*n)),
        Cell::Date(d) => Some(d.format("%d.%m.%Y").to_string()),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        (n as i64).to_string()
    } else {
        format!("{n}")
    }
}

/// Identifier-like numbers (member/employee numbers) as text: at least one digit, no
/// more than 20 characters; anything else (a stray word) is no number.
pub fn id_text(cell: &Cell) -> Option<String> {
    let t = cell_text(cell)?;
    let t = t.strip_suffix(".0").map(str::to_string).unwrap_or(t);
    (t.chars().any(|c| c.is_ascii_digit()) && t.chars().count() <= 20).then_some(t)
}

/// Amount in øre from a cell: numbers are kroner.
pub fn amount_ore(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Number(n) if n.is_finite() && n.abs() < 1e13 => Some((n * 100.0).round() as i64),
        Cell::Text(s) => norwegian::parse_amount_ore(s).or_else(|| amount_prefix(s)),
        _ => None,
    }
}

/// "450,00 (redusert)", "kr 450,- pr mnd": the amount at the start of a longer text.
fn amount_prefix(s: &str) -> Option<i64> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let first = words.first()?;
    if !first.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '(' | '\u{2212}'))
        && !first.to_lowercase().starts_with("kr")
        && !first.to_lowercase().starts_with("nok")
    {
        return None;
    }
    (1..words.len())
        .rev()
        .find_map(|k| norwegian::parse_amount_ore(&words[..k].join(" ")))
}

/// Excel's day 0 is 1899-12-30 (with the 1900 leap-year bug folded in).
pub fn excel_serial_date(n: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(n.floor() as u64))
}

/// A date cell: real dates, text dates, Excel serial numbers (plausible range only).
pub fn date_value(cell: &Cell) -> Option<NaiveDate> {
    match cell {
        Cell::Date(d) => Some(*d),
        Cell::Text(s) => norwegian::parse_date(s).or_else(|| date_in_text(s)),
        Cell::Number(n) if (20_000.0..80_000.0).contains(n) => excel_serial_date(*n),
        Cell::Number(n) if n.fract() == 0.0 && (10_100.0..=311_299.0).contains(n) => {
            // DDMMYY typed as a number (leading zero lost).
            norwegian::parse_date(&ddmmyy(&format!("{:06}", *n as i64)))
        }
        Cell::Number(n) if n.fract() == 0.0 && (19_000_101.0..=21_001_231.0).contains(n) => {
            norwegian::parse_date(&format!("{}", *n as i64))
        }
        _ => None,
    }
}

fn ddmmyy(s: &str) -> String {
    format!("{}.{}.{}", &s[..2], &s[2..4], &s[4..])
}

/// The six date digits of a birth-date cell (`DDMMYY`), as an ID starts with them.
pub fn ddmmyy_digits(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(s) => {
            let d: String = s
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '.')
                .collect();
            (d.len() == 6 && d.chars().all(|c| c.is_ascii_digit())).then_some(d)
        }
        Cell::Number(n) if n.fract() == 0.0 && (10_100.0..=311_299.0).contains(n) => {
            Some(format!("{:06}", *n as i64))
        }
        Cell::Date(d) => Some(d.format("%d%m%y").to_string()),
        _ => None,
    }
}

/// A birth date from a birth-date column: also `DDMMYY`.
pub fn birth_date_value(cell: &Cell) -> Option<NaiveDate> {
    if let Cell::Text(s) = cell {
        let t = s.trim();
        if t.len() == 6 && t.chars().all(|c| c.is_ascii_digit()) {
            return norwegian::parse_date(&ddmmyy(t));
        }
    }
    date_value(cell)
}

/// First date written inside free text ("Sluttet 31.10.2026").
pub fn date_in_text(s: &str) -> Option<NaiveDate> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')' || c == ';')
        .filter(|w| w.chars().filter(|c| c.is_ascii_digit()).count() >= 6)
        .find_map(|w| norwegian::parse_date(w.trim_end_matches('.')))
}

/// National ID from a cell: (value as written or normalised, valid?).
pub fn national_id(cell: &Cell, accept_synthetic: bool) -> Option<(String, bool)> {
    let text = match cell {
        Cell::Number(n) if n.fract() == 0.0 && *n > 0.0 && *n < 1e12 => format!("{}", *n as i64),
        Cell::Date(_) => return None,
        other => cell_text(other)?,
    };
    // "03816900505 (ny)": the one 11-digit number in a longer text.
    let found = norwegian::normalize_national_id(&text).or_else(|| {
        let runs: Vec<String> = text
            .split(|c: char| !c.is_ascii_digit() && c != ' ')
            .map(|r| r.chars().filter(|c| c.is_ascii_digit()).collect::<String>())
            .filter(|r| r.len() == 11)
            .collect();
        (runs.len() == 1).then(|| runs[0].clone())
    });
    match found {
        Some(id) => {
            let valid = norwegian::is_valid_national_id(&id, accept_synthetic);
            Some((id, valid))
        }
        None => Some((text, false)),
    }
}

/// Whether the cell looks like a national ID (10–11 digits after normalisation).
pub fn looks_like_national_id(cell: &Cell) -> bool {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && *n > 0.0 && *n < 1e12 => {
            norwegian::normalize_national_id(&format!("{}", *n as i64)).is_some()
        }
        Cell::Text(s) => norwegian::normalize_national_id(s).is_some(),
        _ => false,
    }
}

/// Particles kept lower case inside a name written in capitals.
pub const PARTICLES: [&str; 12] = [
    "von", "van", "de", "der", "den", "la", "le", "da", "di", "af", "av", "du",
];

fn title_word(w: &str) -> String {
    w.split('-')
        .map(|part| {
            let mut cs = part.chars();
            match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.flat_map(|c| c.to_lowercase()))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Tidy a name: NFC, single spaces, ALL CAPS / all lower → Title Case.
pub fn tidy_name(s: &str) -> String {
    // Most names are already NFC; composing them again costs more than the rest.
    let s: std::borrow::Cow<str> =
        if s.is_ascii() || unicode_normalization::is_nfc_quick(s.chars()) == IsNormalized::Yes {
            s.into()
        } else {
            s.nfc().collect::<String>().into()
        };
    let (mut letters, mut has_lower, mut has_upper) = (0usize, false, false);
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        has_lower |= c.is_lowercase();
        has_upper |= c.is_uppercase();
    }
    let all_upper = letters > 1 && !has_lower;
    let all_lower = letters > 0 && !has_upper;
    if !(all_upper || all_lower) {
        return single_spaced(&s);
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let lw = w.to_lowercase();
            if i > 0 && PARTICLES.contains(&lw.as_str()) {
                lw
            } else {
                title_word(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// "Etternavn, Fornavn" → "Fornavn Etternavn"; `last_first` says the column writes the last
/// name first even without a comma (then the first word is the last name).
pub fn full_name(s: &str, last_first: bool) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Some((last, first)) = t.split_once(',') {
        let (last, first) = (last.trim(), first.trim());
        if !last.is_empty() && !first.is_empty() {
            let mut joined = String::with_capacity(first.len() + 1 + last.len());
            joined.push_str(first);
            joined.push(' ');
            joined.push_str(last);
            return Some(tidy_name(&joined));
        }
    }
    // Payroll systems write the surname in capitals ("HANSEN Kari", "Kari VIK BREKKE"):
    // in a name of mixed case, the words in capitals are the surname, wherever they are.
    let is_caps = |w: &&str| {
        let mut letters = w.chars().filter(|c| c.is_alphabetic());
        letters.clone().nth(1).is_some() && letters.all(char::is_uppercase)
    };
    let words: Vec<&str> = t.split_whitespace().collect();
    let (caps, given): (Vec<&str>, Vec<&str>) = words.iter().partition(|w| is_caps(w));
    let given_has_lower = given.iter().any(|w| w.chars().any(char::is_lowercase));
    if !caps.is_empty() && given_has_lower {
        let surname: Vec<String> = caps.iter().map(|w| title_word(w)).collect();
        return Some(tidy_name(&format!(
            "{} {}",
            given.join(" "),
            surname.join(" ")
        )));
    }
    if last_first {
        // The surname is the first word, with any particles before it ("van der Berg").
        let particles = words
            .iter()
            .take_while(|w| PARTICLES.contains(&w.to_lowercase().as_str()))
            .count();
        let surname = particles + 1;
        if words.len() > surname {
            return Some(tidy_name(&format!(
                "{} {}",
                words[surname..].join(" "),
                words[..surname].join(" ")
            )));
        }
    }
    Some(tidy_name(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_listed_at_its_index() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "{f:?}");
        }
        assert_eq!(Field::Ignore as usize + 1, Field::ALL.len());
    }

    /// The NFD-free fast path of `fold` gives what the full path gives.
    #[test]
    fn fold_fast_path_matches_nfd_path() {
        for s in [
            "Fødselsnummer",
            "Beløp pr. mnd (kr)",
            "  ÆRE  Åse--Østby  ",
            "Trekk %",
            "50%trekk",
            "%",
            "Sum, totalt:",
            "",
            "Navn (etternavn, fornavn)",
        ] {
            assert_eq!(fold(s), fold_chars(s.nfd()), "{s:?}");
        }
        assert_eq!(fold("Trekk %"), "trekk %");
        assert_eq!(fold("  Åse--Østby "), "ase ostby");
        assert_eq!(fold("Beløp, kr."), "belop kr");
    }

    #[test]
    fn a_surname_in_capitals_is_the_surname_wherever_it_stands() {
        assert_eq!(
            full_name("HANSEN Kari", false).as_deref(),
            Some("Kari Hansen")
        );
        assert_eq!(
            full_name("VIK BREKKE Ragnhild", true).as_deref(),
            Some("Ragnhild Vik Brekke")
        );
        assert_eq!(
            full_name("Anne-Grethe VIK BREKKE", false).as_deref(),
            Some("Anne-Grethe Vik Brekke")
        );
        assert_eq!(
            full_name("Agnieszka BERG-OLSEN", true).as_deref(),
            Some("Agnieszka Berg-Olsen")
        );
        // Initials are not a surname; all capitals is just a name in capitals.
        assert_eq!(
            full_name("Kari B. Hansen", false).as_deref(),
            Some("Kari B. Hansen")
        );
        assert_eq!(
            full_name("KARI HANSEN", false).as_deref(),
            Some("Kari Hansen")
        );
    }

    #[test]
    fn headers() {
        let f = |s| classify_header(s).map(|x| x.0);
        assert_eq!(f("Fødselsnummer"), Some(Field::NationalId));
        assert_eq!(f("F.nr."), Some(Field::NationalId));
        assert_eq!(f("Fnr"), Some(Field::NationalId));
        assert_eq!(f("Personnr"), Some(Field::NationalId));
        assert_eq!(f("National ID number"), Some(Field::NationalId));
        assert_eq!(f("Fødselsdato"), Some(Field::BirthDate));
        assert_eq!(f("Navn (etternavn, fornavn)"), Some(Field::NameLastFirst));
        assert_eq!(f("Etternavn"), Some(Field::LastName));
        assert_eq!(f("First name"), Some(Field::FirstName));
        assert_eq!(f("Medl.nr"), Some(Field::MemberNumber));
        assert_eq!(f("Medlemsnavn"), Some(Field::Name));
        assert_eq!(f("Member no."), Some(Field::MemberNumber));
        assert_eq!(f("Ansattnr"), Some(Field::EmployeeNumber));
        assert_eq!(f("Lønnsnr"), Some(Field::EmployeeNumber));
        assert_eq!(f("Employee no."), Some(Field::EmployeeNumber));
        assert_eq!(f("Navn"), Some(Field::Name));
        assert_eq!(f("Ansatt"), Some(Field::Name));
        assert_eq!(f("Beløp"), Some(Field::Amount));
        assert_eq!(f("Fagforeningstrekk"), Some(Field::Amount));
        assert_eq!(f("Kontingent"), Some(Field::Amount));
        assert_eq!(f("Amount"), Some(Field::Amount));
        assert_eq!(f("Stilling %"), Some(Field::Ignore));
        assert_eq!(f("Sluttdato"), Some(Field::EndDate));
        assert_eq!(f("Permittert fra"), Some(Field::EndDate));
        assert_eq!(f("End date"), Some(Field::EndDate));
        assert_eq!(f("Utdato"), Some(Field::EndDate));
        assert_eq!(f("Dato ut"), Some(Field::EndDate));
        assert_eq!(f("Innbetalt"), Some(Field::Amount));
        assert_eq!(f("Medlemsavgift"), Some(Field::Amount));
        assert_eq!(f("Merknad"), Some(Field::Comment));
        assert_eq!(f("Remarks"), Some(Field::Comment));
        assert_eq!(f("Årsak til endring"), Some(Field::Comment));
        assert_eq!(f("Begrunnelse"), Some(Field::Comment));
        assert_eq!(f("Reason for change"), Some(Field::Comment));
        assert_eq!(f("End of employment"), Some(Field::EndDate));
        assert_eq!(f("Nytt beløp"), Some(Field::NewAmount));
        assert_eq!(f("Trekkliste 240974 – november 2026"), None);
        assert_eq!(f("Trekk november 2026"), Some(Field::Amount));
    }

    #[test]
    fn names() {
        assert_eq!(
            full_name("Aas-Eng, Halvard", false).as_deref(),
            Some("Halvard Aas-Eng")
        );
        assert_eq!(
            full_name("AAS-ENG, HALVARD", false).as_deref(),
            Some("Halvard Aas-Eng")
        );
        assert_eq!(
            full_name("KARI VAN DER BERG", false).as_deref(),
            Some("Kari van der Berg")
        );
        assert_eq!(
            full_name("Nordmann Kari", true).as_deref(),
            Some("Kari Nordmann")
        );
        assert_eq!(
            full_name("Eide Yngve Elisabeth", true).as_deref(),
            Some("Yngve Elisabeth Eide")
        );
        assert_eq!(
            full_name("van der Berg Kari", true).as_deref(),
            Some("Kari van der Berg")
        );
        assert_eq!(
            full_name("Aasland-Myhre Gro", true).as_deref(),
            Some("Gro Aasland-Myhre")
        );
        assert_eq!(
            full_name("  Kari   Nordmann ", false).as_deref(),
            Some("Kari Nordmann")
        );
    }

    #[test]
    fn values() {
        assert_eq!(amount_ore(&Cell::Number(762.89)), Some(76289));
        assert_eq!(amount_ore(&Cell::Text("kr 583,07".into())), Some(58307));
        assert_eq!(
            amount_ore(&Cell::Text("450,00 (redusert)".into())),
            Some(45000)
        );
        assert_eq!(amount_ore(&Cell::Text("Sluttet".into())), None);
        assert_eq!(
            national_id(&Cell::Number(5826510058.0), true),
            Some(("05826510058".to_string(), true))
        );
        assert_eq!(
            excel_serial_date(46341.0),
            NaiveDate::from_ymd_opt(2026, 11, 15)
        );
        assert_eq!(
            date_in_text("Sluttet 31.10.2026"),
            NaiveDate::from_ymd_opt(2026, 10, 31)
        );
    }
}

#[cfg(test)]
mod header_survey {
    use super::*;

    /// Prints how a broad set of header words is read (run with --nocapture to look).
    #[test]
    fn survey() {
        let words = [
            "Fødselsnummer",
            "Fødselsnr.",
            "F.nr",
            "Fnr.",
            "Personnummer",
            "Pers.nr.",
            "Personnr",
            "Fødsels- og personnummer",
            "Fødselsnr/D-nr",
            "D-nummer",
            "ID-nummer",
            "Identitetsnummer",
            "SSN",
            "National ID",
            "Personal ID number",
            "Fødselsdato",
            "Født",
            "Date of birth",
            "Birth date",
            "DOB",
            "Navn",
            "Ansatt",
            "Ansattnavn",
            "Ansattes navn",
            "Medlem",
            "Medlemsnavn",
            "Name",
            "Full name",
            "Employee",
            "Employee name",
            "Etternavn",
            "Fornavn",
            "Mellomnavn",
            "Last name",
            "First name",
            "Surname",
            "Given name",
            "Etternavn, fornavn",
            "Fornavn Etternavn",
            "Medlemsnr",
            "Medlemsnummer",
            "Medl.nr.",
            "Medlems-nr",
            "Member no",
            "Member number",
            "Membership no.",
            "Member ID",
            "Ansattnr",
            "Ansattnummer",
            "Ans.nr",
            "Lønnsnr",
            "Lønnsnummer",
            "Ansatt-ID",
            "Employee no.",
            "Employee ID",
            "Emp. no",
            "Personalnr",
            "Ressursnr",
            "Beløp",
            "Trekk",
            "Kontingent",
            "Fagforeningstrekk",
            "Trekkbeløp",
            "Sum",
            "Amount",
            "Deduction",
            "Union dues",
            "Dues",
            "Beløp (kr)",
            "Beløp NOK",
            "Trekk kr",
            "Månedstrekk",
            "Kontingenttrekk",
            "Fagforeningskontingent",
            "Trukket",
            "Membership fee",
            "Union fee",
            "Sats",
            "Nytt beløp",
            "Korrigert beløp",
            "Endret trekk",
            "New amount",
            "Sluttdato",
            "Sluttet",
            "Fratrådt",
            "Fratrådt dato",
            "Permittert fra",
            "Permittert",
            "End date",
            "Left",
            "Date left",
            "Leaving date",
            "Termination date",
            "Employment end",
            "Kommentar",
            "Merknad",
            "Merknader",
            "Endring",
            "Anmerkning",
            "Comment",
            "Comments",
            "Note",
            "Notes",
            "Remarks",
            "Årsak",
            "Status",
            "Fritekst",
            "Stilling %",
            "Stillingsprosent",
            "Avdeling",
            "Lønn",
            "Grunnlag",
            "Nr",
            "Løpenr",
            "Periode",
            "Dato",
            "Lønnsart",
            "Antall",
        ];
        for w in words {
            println!("{w:30} {:?}", classify_header(w));
        }
    }
}
