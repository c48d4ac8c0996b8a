//! Norwegian identifiers and number formats: fødselsnummer, org number, KID, amounts, dates.
//!
//! Pure functions without I/O, used by the parser, the importers and the access-request
//! extraction alike. Rules: NOTES.md §4.
use chrono::NaiveDate;

/// Weights of the first national-ID check digit (over digits 1–9).
const FNR_K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
/// Weights of the second national-ID check digit (over digits 1–10).
const FNR_K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
/// Weights of the org-number check digit (over digits 1–8).
const ORG_W: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

fn digits_of(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

/// Standard mod-11 check digit: `None` when the remainder makes it 10 (no valid number).
fn mod11_check(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// Which kind of national number the date fields reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FnrDate {
    day: u32,
    month: u32,
    yy: u32,
}

/// Decode day and month of an 11-digit number, undoing D-number (+40 on the day),
/// H-number (+40 on the month) and, when accepted, synthetic (+65 / +80 on the month) offsets.
fn fnr_date_parts(d: &[u32], accept_synthetic: bool) -> Option<FnrDate> {
    let mut day = d[0] * 10 + d[1];
    let mut month = d[2] * 10 + d[3];
    let yy = d[4] * 10 + d[5];
    if day > 40 {
        day -= 40; // D-number
    }
    month = match month {
        1..=12 => month,
        // H-number (real) and NAV's synthetic numbers both add 40.
        41..=52 => month - 40,
        66..=77 if accept_synthetic => month - 65,
        81..=92 if accept_synthetic => month - 80,
        _ => return None,
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    Some(FnrDate { day, month, yy })
}

/// Century from the individual number (digits 7–9), as the population register assigns it.
fn fnr_year(individual: u32, yy: u32) -> Option<i32> {
    let yy = yy as i32;
    match individual {
        0..=499 => Some(1900 + yy),
        500..=749 if yy >= 54 => Some(1800 + yy),
        900..=999 if yy >= 40 => Some(1900 + yy),
        500..=999 if yy < 40 => Some(2000 + yy),
        _ => None,
    }
}

/// Whether `s` (11 digits, no spaces) is a valid fødselsnummer, D-number or H-number;
/// synthetic test numbers (month + 40/65/80) only when `accept_synthetic`.
///
/// Check digits follow both the classic rule and the 2032 rule (first check digit may
/// leave a remainder 0–3), since both are in use in parallel from 2032.
pub fn is_valid_national_id(s: &str, accept_synthetic: bool) -> bool {
    // Eleven ASCII digits, read onto the stack: this runs for every line of every list.
    let Ok(bytes) = <[u8; 11]>::try_from(s.as_bytes()) else {
        return false;
    };
    if !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d = bytes.map(|b| u32::from(b - b'0'));
    let Some(parts) = fnr_date_parts(&d, accept_synthetic) else {
        return false;
    };
    // The date must exist; when the century is ambiguous, accept any year it exists in.
    let individual = d[6] * 100 + d[7] * 10 + d[8];
    let date_ok = match fnr_year(individual, parts.yy) {
        Some(y) => NaiveDate::from_ymd_opt(y, parts.month, parts.day).is_some(),
        None => NaiveDate::from_ymd_opt(2000, parts.month, parts.day).is_some(),
    };
    if !date_ok {
        return false;
    }
    // k1: with weight 1 on digit 10, the weighted sum mod 11 is 0 (old rule) or 0–3 (2032 rule).
    let s1: u32 = d[..9].iter().zip(FNR_K1).map(|(a, w)| a * w).sum::<u32>() + d[9];
    if s1 % 11 > 3 {
        return false;
    }
    mod11_check(&d[..10], &FNR_K2) == Some(d[10])
}

/// Birth date encoded in a national ID (D/H-numbers and synthetic offsets undone),
/// `None` when the number is malformed or its century cannot be told.
pub fn national_id_birth_date(s: &str) -> Option<NaiveDate> {
    let d = digits_of(s)?;
    if d.len() != 11 {
        return None;
    }
    let parts = fnr_date_parts(&d, true)?;
    let individual = d[6] * 100 + d[7] * 10 + d[8];
    let year = fnr_year(individual, parts.yy)?;
    NaiveDate::from_ymd_opt(year, parts.month, parts.day)
}

/// A national ID as written → 11 digits: spaces, dots and dashes removed, and a leading
/// zero that a spreadsheet dropped (10 digits) put back. `None` when it is not 10–11 digits.
pub fn normalize_national_id(s: &str) -> Option<String> {
    // 10 or 11 digits kept, plus perhaps the 0 of a ".0" dropped below.
    if !(10..=12).contains(&s.bytes().filter(u8::is_ascii_digit).count()) {
        return None;
    }
    if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.to_string());
    }
    // A number cell may come through as "5826510058.0".
    // Spreadsheet text markers: a leading apostrophe, ="…" from CSV exports.
    let t = s
        .trim()
        .trim_start_matches(['\'', '='])
        .trim_matches('"')
        .trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    let cleaned: String = t
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '\u{2010}'..='\u{2015}'))
        .collect();
    if !cleaned.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match cleaned.len() {
        11 => Some(cleaned),
        10 => Some(format!("0{cleaned}")),
        _ => None,
    }
}

/// Whether `s` is a valid 9-digit organisasjonsnummer (spaces allowed, as often written).
pub fn is_valid_org_number(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(d) = digits_of(&compact) else {
        return false;
    };
    d.len() == 9 && mod11_check(&d[..8], &ORG_W) == Some(d[8])
}

/// Whether `s` is a KID (2–25 digits) whose last digit is a MOD10 (Luhn) or MOD11
/// check digit; MOD11 may end in `-` when its check value is 10.
pub fn is_valid_kid(s: &str) -> bool {
    let s = s.trim();
    if !(2..=25).contains(&s.len()) {
        return false;
    }
    // The last character, whatever its width (a byte index could split a letter).
    let Some(last) = s.chars().last() else {
        return false;
    };
    let Some(body) = digits_of(&s[..s.len() - last.len_utf8()]) else {
        return false;
    };
    if last == '-' {
        return kid_mod11(&body) == Some(10);
    }
    let Some(check) = last.to_digit(10) else {
        return false;
    };
    kid_mod10(&body) == check || kid_mod11(&body) == Some(check)
}

fn kid_mod10(body: &[u32]) -> u32 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// MOD11 with weights 2..7 repeating from the right; 10 stands for `-`.
fn kid_mod11(body: &[u32]) -> Option<u32> {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| d * (2 + (i as u32 % 6)))
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        k => Some(k),
    }
}

/// Spaces inside a number may only separate thousands ("1 234 567,50"): digits on both
/// sides of a space mean groups of three after the first. "18 9403,87" is two numbers
/// (a count and an amount run together), not one.
fn spaces_group_thousands(s: &str) -> bool {
    let tokens: Vec<&str> = s.split_whitespace().collect();
    tokens.windows(2).all(|w| {
        let before = w[0].chars().rev().take_while(char::is_ascii_digit).count();
        let after = w[1].chars().take_while(char::is_ascii_digit).count();
        before == 0 || after == 0 || (before <= 3 && after == 3)
    })
}

/// An amount as written → øre. Accepts `1 234,50`, `1.234,50`, `1,234.50`, `1234.5`,
/// `kr 450,-`, `450`, `-450,00`, `450,00-`, `(450)`, `NOK 450`, `450 kr`, NBSP/thin spaces.
/// `None` when the text is not an amount.
pub fn parse_amount_ore(s: &str) -> Option<i64> {
    // No digit, no amount: most text cells (names, notes) leave here cheaply.
    if !s.bytes().any(|b| b.is_ascii_digit()) || !spaces_group_thousands(s) {
        return None;
    }
    let mut t: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '\u{2212}' | '\u{2013}' | '\u{2014}' => '-',
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '\u{2019}')
        .collect();
    let mut negative = false;
    if t.starts_with('(') && t.ends_with(')') && t.len() > 2 {
        negative = true;
        t = t[1..t.len() - 1].to_string();
    }
    // Currency words on either side (case-insensitive).
    let lower = t.to_lowercase();
    let mut core: &str = &lower;
    // Norwegian Excel writes negative kroner as "-kr 120,00": the sign before the currency.
    if let Some(rest) = core.strip_prefix('-') {
        if ["nok", "kr"].iter().any(|c| rest.starts_with(c)) {
            negative = !negative;
            core = rest;
        }
    }
    for prefix in ["nok", "kr.", "kr"] {
        if let Some(rest) = core.strip_prefix(prefix) {
            core = rest;
            break;
        }
    }
    for suffix in ["nok", "kr.", "kr"] {
        if let Some(rest) = core.strip_suffix(suffix) {
            core = rest;
            break;
        }
    }
    let mut core = core.to_string();
    if core.starts_with('(') && core.ends_with(')') && core.len() > 2 {
        negative = !negative;
        core = core[1..core.len() - 1].to_string();
    }
    // Whole-krone marks: "450,-" and "450.-".
    for suffix in [",-", ".-", ",--"] {
        if let Some(rest) = core.strip_suffix(suffix) {
            core = rest.to_string();
            break;
        }
    }
    if let Some(rest) = core.strip_prefix('-') {
        negative = !negative;
        core = rest.to_string();
    } else if let Some(rest) = core.strip_suffix('-') {
        // SAP-style trailing minus.
        negative = !negative;
        core = rest.to_string();
    } else if let Some(rest) = core.strip_prefix('+') {
        core = rest.to_string();
    }
    if core.is_empty()
        || !core
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    if !core.starts_with(|c: char| c.is_ascii_digit()) && !core.starts_with(['.', ',']) {
        return None;
    }
    let (int_part, frac_part) = split_decimal(&core)?;
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let int_val: i64 = if int_part.is_empty() {
        0
    } else {
        if int_part.len() > 15 {
            return None;
        }
        int_part.parse().ok()?
    };
    // Round to whole øre, half away from zero.
    let mut frac = frac_part.to_string();
    while frac.len() < 3 {
        frac.push('0');
    }
    let thousandths: i64 = frac[..3].parse().ok()?;
    let mut ore = int_val * 100 + thousandths / 10;
    if thousandths % 10 >= 5 {
        ore += 1;
    }
    Some(if negative { -ore } else { ore })
}

/// Split digits-with-separators into (integer digits, fraction digits), deciding which of
/// `.` and `,` is the decimal mark. A lone separator followed by exactly three digits is a
/// thousands separator (`1.250`, `1,250`), since amounts never carry three decimals.
fn split_decimal(core: &str) -> Option<(String, String)> {
    let commas = core.matches(',').count();
    let dots = core.matches('.').count();
    let decimal = match (commas, dots) {
        (0, 0) => None,
        (c, d) if c > 0 && d > 0 => {
            let last_comma = core.rfind(',')?;
            let last_dot = core.rfind('.')?;
            let (dec, dec_count) = if last_comma > last_dot {
                (',', c)
            } else {
                ('.', d)
            };
            if dec_count > 1 {
                return None;
            }
            Some(dec)
        }
        (c, 0) if c > 1 => None,
        (0, d) if d > 1 => None,
        (_, 0) => lone_separator_decimal(core, ','),
        _ => lone_separator_decimal(core, '.'),
    };
    let (int_raw, frac) = match decimal {
        Some(sep) => {
            let pos = core.rfind(sep)?;
            (&core[..pos], &core[pos + 1..])
        }
        None => (core, ""),
    };
    // Thousands separators must group by three.
    let groups: Vec<&str> = int_raw.split([',', '.']).collect();
    if groups.len() > 1 {
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    if frac.contains([',', '.']) {
        return None;
    }
    Some((groups.concat(), frac.to_string()))
}

fn lone_separator_decimal(core: &str, sep: char) -> Option<char> {
    let pos = core.find(sep)?;
    let int_part = &core[..pos];
    let frac = &core[pos + 1..];
    let thousands = frac.len() == 3 && !int_part.is_empty() && int_part != "0";
    if thousands {
        None
    } else {
        Some(sep)
    }
}

/// Format øre as a Norwegian amount (`1 234,50`, `-450,00`); the inverse of [`parse_amount_ore`].
pub fn format_amount_ore(ore: i64) -> String {
    let sign = if ore < 0 { "-" } else { "" };
    let abs = ore.unsigned_abs();
    let kr = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in kr.chars().enumerate() {
        if i > 0 && (kr.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}", abs % 100)
}

const MONTHS: [(&str, u32); 24] = [
    ("januar", 1),
    ("februar", 2),
    ("mars", 3),
    ("april", 4),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("august", 8),
    ("september", 9),
    ("oktober", 10),
    ("november", 11),
    ("desember", 12),
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
];

/// Whether a word is a month's full name (Norwegian or English, any case), not an
/// abbreviation: in running text "mar" or "des" are rarely months.
pub fn is_month_name(word: &str) -> bool {
    let w = word.trim().to_lowercase();
    MONTHS.iter().any(|(name, _)| *name == w)
}

/// A month name (Norwegian or English, full or 3-letter abbreviation, any case) → 1–12.
pub fn month_from_name(word: &str) -> Option<u32> {
    let w = word.trim().trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    for (name, m) in MONTHS {
        if w == name {
            return Some(m);
        }
    }
    // Abbreviations: "nov", "okt", "des", "sept"; only prefixes of one month name.
    if w.len() <= 4 {
        let hits: Vec<u32> = MONTHS
            .iter()
            .filter(|(n, _)| n.starts_with(&w))
            .map(|(_, m)| *m)
            .collect();
        if let Some(first) = hits.first() {
            if hits.iter().all(|m| m == first) {
                return Some(*first);
            }
        }
    }
    None
}

/// Two-digit years: below 40 are 20xx, else 19xx (birth dates of working members and
/// recent end dates both fit).
fn expand_year(y: &str) -> Option<i32> {
    let v: i32 = y.parse().ok()?;
    match y.len() {
        4 => Some(v),
        2 if v < 40 => Some(2000 + v),
        2 => Some(1900 + v),
        _ => None,
    }
}

/// A date as written → date. Accepts `YYYY-MM-DD` (optionally with a time), `DD.MM.YYYY`,
/// `DD.MM.YY`, `DD/MM/YYYY`, `DD-MM-YYYY`, `YYYYMMDD`, and `13. november 2026` /
/// `13 November 2026` / `November 13, 2026`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    // Every form read below has a day or a year in digits.
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = s.trim();
    // Only eight bare digits (YYYYMMDD) are a date without separators or words.
    if t.len() != 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Drop a time part ("2026-11-15 00:00:00", "2026-11-15T00:00").
    let t = t
        .split(['T', ' '])
        .next()
        .filter(|d| d.len() >= 8)
        .unwrap_or(t);
    let t = t.trim_end_matches('.');
    if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        let y = t[..4].parse().ok()?;
        let m = t[4..6].parse().ok()?;
        let d = t[6..].parse().ok()?;
        if (1900..=2100).contains(&y) {
            return NaiveDate::from_ymd_opt(y, m, d);
        }
        return None;
    }
    for sep in ['-', '.', '/'] {
        let parts: Vec<&str> = t.split(sep).collect();
        if parts.len() != 3
            || !parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        if parts[0].len() == 4 {
            let y = parts[0].parse().ok()?;
            let m = parts[1].parse().ok()?;
            let d = parts[2].parse().ok()?;
            return NaiveDate::from_ymd_opt(y, m, d);
        }
        if parts[0].len() <= 2 && parts[1].len() <= 2 {
            let d = parts[0].parse().ok()?;
            let m = parts[1].parse().ok()?;
            let y = expand_year(parts[2])?;
            return NaiveDate::from_ymd_opt(y, m, d);
        }
    }
    parse_text_date(s)
}

/// `13. november 2026`, `13 Nov 2026`, `November 13, 2026`.
fn parse_text_date(s: &str) -> Option<NaiveDate> {
    // "30.nov.2026" and "30-Nov-26" as well as "13. november 2026".
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '-' | '/'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() != 3 {
        return None;
    }
    let num = |w: &str| w.parse::<u32>().ok();
    let year = |w: &str| {
        if w.chars().all(|c| c.is_ascii_digit()) {
            expand_year(w)
        } else {
            None
        }
    };
    if let (Some(d), Some(m), Some(y)) = (num(words[0]), month_from_name(words[1]), year(words[2]))
    {
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    if let (Some(m), Some(d), Some(y)) = (month_from_name(words[0]), num(words[1]), year(words[2]))
    {
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    None
}

/// Mask a national ID for anything shown or sent: birth-date part kept, the rest starred
/// (`010190*****`). Whatever the input, no more than six digits survive.
pub fn mask_national_id(s: &str) -> String {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let keep: String = digits.chars().take(6).collect();
    let hidden = digits.len().saturating_sub(6).max(5);
    format!("{keep}{}", "*".repeat(hidden))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kid_ending_in_a_multibyte_character_is_invalid_not_a_panic() {
        assert!(!is_valid_kid("1234567ø"));
        assert!(!is_valid_kid("S1\0\u{fffd}\u{fffd} 6etlutbop;u\u{fffd}"));
        assert!(!is_valid_kid("ø"));
    }
    use rand::{Rng, SeedableRng};

    /// Build a valid national ID from date digits and an individual number (classic rule).
    fn make_fnr(first9: &str) -> Option<String> {
        let d = digits_of(first9)?;
        let k1 = mod11_check(&d, &FNR_K1)?;
        let mut d10 = d.clone();
        d10.push(k1);
        let k2 = mod11_check(&d10, &FNR_K2)?;
        Some(format!("{first9}{k1}{k2}"))
    }

    #[test]
    fn corpus_style_synthetic_ids() {
        for id in [
            "03816900505",
            "19879626369",
            "24920168538",
            "53866440243",
            "49887538106",
        ] {
            assert!(is_valid_national_id(id, true), "{id}");
            assert!(!is_valid_national_id(id, false), "{id} is synthetic");
        }
    }

    #[test]
    fn real_style_ids_and_variants() {
        let fnr = make_fnr("010190123")
            .or_else(|| make_fnr("010190124"))
            .unwrap();
        assert!(is_valid_national_id(&fnr, false));
        assert_eq!(
            national_id_birth_date(&fnr),
            NaiveDate::from_ymd_opt(1990, 1, 1)
        );
        // D-number
        let d = make_fnr("410190123")
            .or_else(|| make_fnr("410190124"))
            .unwrap();
        assert!(is_valid_national_id(&d, false));
        assert_eq!(
            national_id_birth_date(&d),
            NaiveDate::from_ymd_opt(1990, 1, 1)
        );
        // H-number
        let h = make_fnr("014190123")
            .or_else(|| make_fnr("014190124"))
            .unwrap();
        assert!(is_valid_national_id(&h, false));
        // Synthetic +65
        let s = make_fnr("016690123")
            .or_else(|| make_fnr("016690124"))
            .unwrap();
        assert!(!is_valid_national_id(&s, false));
        assert!(is_valid_national_id(&s, true));
    }

    #[test]
    fn rejects_bad_ids() {
        assert!(!is_valid_national_id("", true));
        assert!(!is_valid_national_id("0381690050", true));
        assert!(!is_valid_national_id("03816900506", true));
        assert!(!is_valid_national_id("0381690050a", true));
        assert!(!is_valid_national_id("32019012345", true));
        // 31 February
        let feb = make_fnr("310290123").or_else(|| make_fnr("310290124"));
        if let Some(f) = feb {
            assert!(!is_valid_national_id(&f, true));
        }
    }

    #[test]
    fn property_single_digit_typos_are_caught() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut tested = 0;
        while tested < 300 {
            let day = rng.random_range(1..=28);
            let month = rng.random_range(1..=12);
            let yy = rng.random_range(0..=99);
            let ind = rng.random_range(0..=499);
            let Some(id) = make_fnr(&format!("{day:02}{month:02}{yy:02}{ind:03}")) else {
                continue;
            };
            tested += 1;
            assert!(is_valid_national_id(&id, false), "{id}");
            let pos = rng.random_range(0..11);
            let mut bytes = id.clone().into_bytes();
            let old = bytes[pos];
            let new = b'0' + ((old - b'0' + rng.random_range(1..=9)) % 10);
            bytes[pos] = new;
            let typo = String::from_utf8(bytes).unwrap();
            assert!(!is_valid_national_id(&typo, true), "{id} -> {typo}");
        }
    }

    #[test]
    fn normalizes_ids() {
        assert_eq!(
            normalize_national_id("049073 28231").as_deref(),
            Some("04907328231")
        );
        assert_eq!(
            normalize_national_id("5826510058").as_deref(),
            Some("05826510058")
        );
        assert_eq!(
            normalize_national_id("5826510058.0").as_deref(),
            Some("05826510058")
        );
        assert_eq!(
            normalize_national_id("'03816900505").as_deref(),
            Some("03816900505")
        );
        assert_eq!(
            normalize_national_id("=\"03816900505\"").as_deref(),
            Some("03816900505")
        );
        assert_eq!(normalize_national_id("123"), None);
        assert_eq!(normalize_national_id("abc"), None);
    }

    #[test]
    fn org_numbers() {
        assert!(is_valid_org_number("907873951"));
        assert!(is_valid_org_number("907 873 951"));
        assert!(is_valid_org_number("944915869"));
        assert!(!is_valid_org_number("907873952"));
        assert!(!is_valid_org_number("90787395"));
    }

    #[test]
    fn kids() {
        assert!(is_valid_kid("12345674")); // Luhn
        assert!(!is_valid_kid("12345675"));
        assert!(is_valid_kid(&format!(
            "1234567{}",
            kid_mod11(&[1, 2, 3, 4, 5, 6, 7]).unwrap() % 10
        )));
        assert!(!is_valid_kid("1"));
        assert!(!is_valid_kid("12a4"));
    }

    #[test]
    fn amounts() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1 234,50", Some(123450)),
            ("1 234 567,50", Some(123456750)),
            ("kr 12 345", Some(1234500)),
            // Spaces separate thousands only: these are two numbers run together.
            ("18 9403,87", None),
            ("18 9 403,87", None),
            ("1234 567", None),
            ("12 34,50", None),
            ("-kr 120,00", Some(-12000)),
            ("-kr120", Some(-12000)),
            ("-NOK 1 234,50", Some(-123450)),
            ("1\u{a0}234,50", Some(123450)),
            ("1\u{202f}234,50", Some(123450)),
            ("1.234,50", Some(123450)),
            ("1,234.50", Some(123450)),
            ("1234.5", Some(123450)),
            ("kr 450,-", Some(45000)),
            ("kr -450,-", Some(-45000)),
            ("450", Some(45000)),
            ("-450,00", Some(-45000)),
            ("450,00-", Some(-45000)),
            ("(450)", Some(-45000)),
            ("NOK 450", Some(45000)),
            ("450,00 kr", Some(45000)),
            ("kr 5 775,73", Some(577573)),
            ("0,5", Some(50)),
            ("1.250", Some(125000)),
            ("1,250", Some(125000)),
            ("0,125", Some(13)),
            ("762.8899999", Some(76289)),
            ("−450,00", Some(-45000)),
            ("", None),
            ("abc", None),
            ("kr", None),
            ("12,34,56", None),
            ("1.2.3", None),
            ("31.10.2026", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_amount_ore(s), *want, "{s:?}");
        }
    }

    #[test]
    fn property_amounts_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..2000 {
            let ore: i64 = rng.random_range(-10_000_000..10_000_000);
            let text = format_amount_ore(ore);
            assert_eq!(parse_amount_ore(&text), Some(ore), "{text}");
            let dotted = text.replace(' ', ".");
            assert_eq!(parse_amount_ore(&dotted), Some(ore), "{dotted}");
            let english = format!("{}.{:02}", ore / 100, (ore % 100).abs());
            let english = if ore < 0 && ore > -100 {
                format!("-{english}")
            } else {
                english
            };
            assert_eq!(parse_amount_ore(&english), Some(ore), "{english}");
            assert_eq!(parse_amount_ore(&format!("kr {text}")), Some(ore));
        }
    }

    #[test]
    fn dates() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("2026-11-15"), d(2026, 11, 15));
        assert_eq!(parse_date("2026-11-15 00:00:00"), d(2026, 11, 15));
        assert_eq!(parse_date("15.11.2026"), d(2026, 11, 15));
        assert_eq!(parse_date("5.1.2026"), d(2026, 1, 5));
        assert_eq!(parse_date("15.11.26"), d(2026, 11, 15));
        assert_eq!(parse_date("30.nov.2026"), d(2026, 11, 30));
        assert_eq!(parse_date("31-Oct-26"), d(2026, 10, 31));
        assert_eq!(parse_date("1. desember 2026"), d(2026, 12, 1));
        assert_eq!(parse_date("22.11.67"), d(1967, 11, 22));
        assert_eq!(parse_date("15/11/2026"), d(2026, 11, 15));
        assert_eq!(parse_date("20261115"), d(2026, 11, 15));
        assert_eq!(parse_date("13. november 2026"), d(2026, 11, 13));
        assert_eq!(parse_date("13 Nov 2026"), d(2026, 11, 13));
        assert_eq!(parse_date("November 13, 2026"), d(2026, 11, 13));
        assert_eq!(parse_date("31.02.2026"), None);
        assert_eq!(parse_date("Sluttet"), None);
        assert_eq!(parse_date("450,00"), None);
    }

    #[test]
    fn property_dates_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for _ in 0..1000 {
            let Some(date) =
                NaiveDate::from_num_days_from_ce_opt(rng.random_range(700_000..750_000))
            else {
                continue;
            };
            for fmt in ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"] {
                let text = date.format(fmt).to_string();
                assert_eq!(parse_date(&text), Some(date), "{text}");
            }
        }
    }

    #[test]
    fn months() {
        assert_eq!(month_from_name("November"), Some(11));
        assert_eq!(month_from_name("okt"), Some(10));
        assert_eq!(month_from_name("des."), Some(12));
        assert_eq!(month_from_name("ma"), None);
        assert_eq!(month_from_name("mai"), Some(5));
        assert_eq!(month_from_name("jun"), Some(6));
    }

    #[test]
    fn masking() {
        assert_eq!(mask_national_id("01019012345"), "010190*****");
        assert_eq!(mask_national_id("010190 12345"), "010190*****");
        assert_eq!(mask_national_id("123"), "123*****");
    }
}
