//! List number, employer ID, org number and period from text around a table, and from
//! an attachment's file name.
use crate::norwegian;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Identifiers a list states about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListIdentifiers {
    pub list_number: Option<String>,
    pub employer_id: Option<String>,
    pub org_number: Option<String>,
    /// `YYYY-MM`
    pub period: Option<String>,
    /// Every standalone 5–10 digit number, for matching against known list numbers when no
    /// labelled one is found (file names rarely label theirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<String>,
}

// The patterns are literals checked by the tests; a failure to compile is a programming error.
// Digits and word boundaries are ASCII: identifiers are written in ASCII digits, and
// Unicode classes would cost every parse child milliseconds to compile.
#[allow(clippy::expect_used)]
fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

static LIST_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:trekk)?list(?:e|en)?\s*-?\s*(?:nummer|nr|no|number|num|id)?\.?\s*[:#.]?\s*([0-9]{3}[ \u{a0}][0-9]{3}|[0-9]{5,10})(?:[^0-9]|$)",
    )
});
static ORG_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:org(?:anisasjons)?\.?\s*-?\s*(?:nr|nummer|no|number)\.?|orgnr\.?|organi[sz]ation\s*(?:number|no\.?)|foretaksnr\.?|foretaksnummer|(?:company\s*)?reg(?:istration)?\.?\s*(?:no|number|nr)\.?|org\.?\s*id)\s*[:.]?\s*((?:[0-9][ \u{a0}.]?){8}[0-9])(?:[^0-9]|$)",
    )
});
/// A sub-unit's number (virksomhetsnummer, bedriftsnummer): the employer's own only when
/// no organisation number is written.
static SUBUNIT_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:virksomhetsn(?:r|ummer)|bedriftsn(?:r|ummer)|underenhet)\.?\s*[:.]?\s*((?:[0-9][ \u{a0}.]?){8}[0-9])(?:[^0-9]|$)",
    )
});
static MVA_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)NO\s*((?:[0-9][ \u{a0}]?){8}[0-9])\s*MVA(?-u:\b)"));
static EMPLOYER_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[\s(\[:])([A-Z][0-9]{4})(?:$|[\s)\],.;])"));
static NINE_DIGITS_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[^0-9])([0-9]{3}[ \u{a0}]?[0-9]{3}[ \u{a0}]?[0-9]{3})(?:[^0-9]|$)"));
static NUMBER_RE: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|[^0-9])([0-9]{5,10})(?:[^0-9]|$)"));

/// A line labelled as giving the period: "Periode", "Lønnsperiode", "Måned", "Period",
/// "Termin", "Month", "Mnd" (the last four as whole words).
fn has_period_label(line: &str) -> bool {
    let lower = line.to_lowercase();
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let whole_word = |w: &str| {
        lower.match_indices(w).any(|(i, _)| {
            !word_char(lower[..i].chars().next_back())
                && !word_char(lower[i + w.len()..].chars().next())
        })
    };
    ["periode", "måned", "maned"]
        .iter()
        .any(|w| lower.contains(w))
        || ["period", "termin", "month", "mnd"]
            .iter()
            .any(|w| whole_word(w))
}

/// ASCII digits in a line. Each pattern needs a number of them, so most lines (names,
/// footers) are passed over before a pattern is compiled or run.
fn digit_count(line: &str) -> usize {
    line.bytes().filter(u8::is_ascii_digit).count()
}

/// Identifiers from lines of text (title rows first), first match of each kind wins.
pub fn from_text(lines: &[String]) -> ListIdentifiers {
    let mut ids = ListIdentifiers::default();
    for line in lines {
        if ids.list_number.is_none() {
            ids.list_number = list_number_in(line);
        }
        if ids.org_number.is_none() {
            ids.org_number = org_number_in(line);
        }
        if ids.employer_id.is_none() {
            ids.employer_id = employer_id_in(line);
        }
    }
    if ids.org_number.is_none() {
        ids.org_number = lines.iter().filter(|l| digit_count(l) >= 9).find_map(|l| {
            let c = SUBUNIT_RE.captures(l)?;
            let digits: String = c[1].chars().filter(|ch| ch.is_ascii_digit()).collect();
            (digits.len() == 9).then_some(digits)
        });
    }
    // Unlabelled: a nine-digit number with a valid org-number check digit.
    if ids.org_number.is_none() {
        ids.org_number = lines.iter().filter(|l| digit_count(l) >= 9).find_map(|l| {
            NINE_DIGITS_RE.captures_iter(l).find_map(|c| {
                let digits: String = c[1].chars().filter(|ch| ch.is_ascii_digit()).collect();
                norwegian::is_valid_org_number(&digits).then_some(digits)
            })
        });
    }
    // Labelled periods first, then any month name with a year, then a month and a year
    // written on lines of their own ("Måned: 11", "År: 2026").
    ids.period = lines
        .iter()
        .filter(|l| has_period_label(l))
        .find_map(|l| period_in(l, true))
        .or_else(|| lines.iter().find_map(|l| period_in(l, false)))
        .or_else(|| month_and_year_lines(lines));
    ids
}

/// The union's employer ID (`A1043`): in brackets, or after a label naming the employer.
fn employer_id_in(line: &str) -> Option<String> {
    const LABELS: [&str; 8] = [
        "arbeidsgiver",
        "employer",
        "kunde",
        "customer",
        "arb.giver",
        "arb.g",
        "ag-nr",
        "id",
    ];
    let id_like = line
        .as_bytes()
        .windows(5)
        .any(|w| w[0].is_ascii_uppercase() && w[1..].iter().all(u8::is_ascii_digit));
    if !id_like {
        return None;
    }
    EMPLOYER_RE.captures_iter(line).find_map(|c| {
        let m = c.get(1)?;
        let before = line[..m.start()].to_lowercase();
        let bracketed = before.trim_end().ends_with(['(', '[']);
        let labelled = LABELS.iter().any(|l| before.contains(l));
        (bracketed || labelled).then(|| m.as_str().to_string())
    })
}

fn list_number_in(line: &str) -> Option<String> {
    if digit_count(line) < 5 {
        return None;
    }
    for c in LIST_RE.captures_iter(line) {
        let whole = c.get(0)?;
        let num = &c[1];
        // "Trekkliste 2026-11": a period, not a number (regex needs 5+ digits, but a
        // date like 20261101 could follow).
        let after = &line[whole.end().min(line.len())..];
        if after.starts_with(['-', '/']) && after[1..].starts_with(|ch: char| ch.is_ascii_digit()) {
            continue;
        }
        return Some(num.chars().filter(char::is_ascii_digit).collect());
    }
    None
}

fn org_number_in(line: &str) -> Option<String> {
    if digit_count(line) < 9 {
        return None;
    }
    let c = ORG_RE.captures(line).or_else(|| MVA_RE.captures(line))?;
    let digits: String = c[1].chars().filter(|ch| ch.is_ascii_digit()).collect();
    (digits.len() == 9).then_some(digits)
}

/// "Måned: 11" (or "Måned: november") and "År: 2026" as separate labelled lines.
fn month_and_year_lines(lines: &[String]) -> Option<String> {
    let value_after = |line: &str, labels: &[&str]| -> Option<String> {
        let (label, value) = line.split_once([':', '\t'])?;
        let label = label.trim().to_lowercase();
        labels.contains(&label.as_str()).then(|| {
            value
                .trim_matches(|c: char| c == ':' || c.is_whitespace())
                .to_string()
        })
    };
    let month = lines.iter().find_map(|l| {
        let v = value_after(l, &["måned", "maned", "mnd", "month"])?;
        v.parse::<u32>()
            .ok()
            .or_else(|| norwegian::month_from_name(&v))
    })?;
    let year = lines.iter().find_map(|l| {
        value_after(l, &["år", "ar", "year", "årstall"])?
            .parse::<i32>()
            .ok()
    })?;
    fmt_period(year, month)
}

fn fmt_period(y: i32, m: u32) -> Option<String> {
    ((2000..=2099).contains(&y) && (1..=12).contains(&m)).then(|| format!("{y:04}-{m:02}"))
}

/// A period in one line. `labelled`: the line names a period, so numeric forms
/// (`11/2026`, `2026-11`, `01.11.2026–30.11.2026`) count too.
pub fn period_in(line: &str, labelled: bool) -> Option<String> {
    let tokens: Vec<&str> = line
        .split(|c: char| {
            c.is_whitespace() || matches!(c, ',' | ':' | '(' | ')' | '–' | '—' | ';' | '_')
        })
        .filter(|t| !t.is_empty())
        .collect();
    let year_at = |i: usize| {
        tokens
            .get(i)
            .and_then(|n| n.trim_end_matches('.').parse::<i32>().ok())
    };
    for (i, t) in tokens.iter().enumerate() {
        if let Some(m) = norwegian::month_from_name(t) {
            // "november 2026", or with a word between ("november måned 2026").
            let filler = tokens.get(i + 1).is_some_and(|w| {
                matches!(
                    w.to_lowercase().as_str(),
                    "måned" | "maned" | "month" | "år" | "of"
                )
            });
            let y = year_at(i + 1).or_else(|| if filler { year_at(i + 2) } else { None });
            if let Some(p) = y.and_then(|y| fmt_period(y, m)) {
                return Some(p);
            }
        }
        // "Lønnsperiode 11 2026": a month number and a year as two words.
        if labelled && t.len() <= 2 {
            if let (Ok(m), Some(y)) = (t.parse::<u32>(), year_at(i + 1)) {
                if let Some(p) = fmt_period(y, m) {
                    return Some(p);
                }
            }
        }
    }
    // A date range written without spaces ("01.11.2026-30.11.2026"): its first date.
    let tokens: Vec<&str> = tokens
        .iter()
        .map(|t| match t.split_once('-') {
            Some((a, b)) if a.matches('.').count() == 2 && b.matches('.').count() >= 2 => a,
            _ => t,
        })
        .collect();
    for t in &tokens {
        let t = t.trim_end_matches('.');
        let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
        let nums: Option<Vec<i32>> = parts.iter().map(|p| p.parse::<i32>().ok()).collect();
        let Some(nums) = nums else { continue };
        match (parts.as_slice(), nums.as_slice()) {
            ([a, _], [y, m]) if a.len() == 4 => {
                if let Some(p) = fmt_period(*y, *m as u32) {
                    return Some(p);
                }
            }
            ([_, b], [m, y]) if b.len() == 4 => {
                if let Some(p) = fmt_period(*y, *m as u32) {
                    return Some(p);
                }
            }
            (_, [_, _, _]) if labelled => {
                if let Some(d) = norwegian::parse_date(t) {
                    use chrono::Datelike;
                    return fmt_period(d.year(), d.month());
                }
            }
            ([a], [v]) if labelled && a.len() == 6 => {
                if let Some(p) = fmt_period(v / 100, (v % 100) as u32) {
                    return Some(p);
                }
            }
            _ => {}
        }
    }
    None
}

/// Identifiers from an attachment's file name (`Trekkliste_245965_2026-11.xlsx`,
/// `trekkliste-243128-nov-2026.xlsx`, `fagforeningstrekk_202611.xlsx`). A six-digit
/// `YYYYMM` is read as a period; other standalone 5–10 digit numbers are list-number
/// candidates (in `numbers`; `list_number` is the first of them).
pub fn identifiers_from_file_name(name: &str) -> ListIdentifiers {
    let stem = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = stem.rsplit_once('.').map(|(s, _)| s).unwrap_or(stem);
    let spaced: String = stem
        .chars()
        .map(|c| if c == '_' { ' ' } else { c })
        .collect();
    let mut ids = from_text(std::slice::from_ref(&spaced));
    // File names write months and years with dashes too: "nov-2026".
    if ids.period.is_none() {
        let dashed = spaced.replace('-', " ");
        ids.period = period_in(&dashed, false);
    }
    let mut numbers = Vec::new();
    let mut rest = spaced.as_str();
    while let Some(c) = NUMBER_RE.captures(rest) {
        let Some(m) = c.get(1) else { break };
        let n = m.as_str();
        let as_period = n.len() == 6
            && fmt_period(n[..4].parse().unwrap_or(0), n[4..].parse().unwrap_or(0)).is_some();
        let as_date = n.len() == 8 && norwegian::parse_date(n).is_some();
        if as_period && ids.period.is_none() {
            ids.period = fmt_period(n[..4].parse().unwrap_or(0), n[4..].parse().unwrap_or(0));
        } else if !(as_period || as_date || n.len() == 9 && norwegian::is_valid_org_number(n)) {
            numbers.push(n.to_string());
        } else if n.len() == 9 && ids.org_number.is_none() && norwegian::is_valid_org_number(n) {
            ids.org_number = Some(n.to_string());
        }
        rest = &rest[m.end()..];
    }
    if ids.list_number.is_none() {
        ids.list_number = numbers.first().cloned();
    }
    ids.numbers = numbers;
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn period_labels_are_words() {
        for yes in [
            "Lønnsperiode: november 2026",
            "PERIODE 2026-11",
            "Måned: 11",
            "MÅNED: 11",
            "maned 11",
            "Period: Nov 2026",
            "Termin 6",
            "12 mnd.",
            "Month:",
        ] {
            assert!(has_period_label(yes), "{yes}");
        }
        for no in [
            "Periodisk trekk",
            "Terminal",
            "Monthly",
            "Kari Hansen",
            "amnd",
        ] {
            assert!(!has_period_label(no), "{no}");
        }
    }

    #[test]
    fn from_titles() {
        let ids = from_text(&lines(&[
            "Trekkliste nr. 247595",
            "Arbeidsgiver: Tindeland Hotell AS (A1204)",
            "Org.nr.: 907 873 951",
            "Periode: November 2026",
        ]));
        assert_eq!(ids.list_number.as_deref(), Some("247595"));
        assert_eq!(ids.employer_id.as_deref(), Some("A1204"));
        let e = |s: &str| from_text(&lines(&[s])).employer_id;
        assert_eq!(e("Arbeidsgivernr: A1043").as_deref(), Some("A1043"));
        assert_eq!(e("Ref K2026 side 1"), None);
        assert_eq!(ids.org_number.as_deref(), Some("907873951"));
        assert_eq!(ids.period.as_deref(), Some("2026-11"));
        let p = |s: &str| from_text(&lines(&[s])).period;
        assert_eq!(p("Lønnsperiode: 11/2026").as_deref(), Some("2026-11"));
        assert_eq!(p("Periode 10/2026").as_deref(), Some("2026-10"));
        assert_eq!(p("Periode: 2026-11").as_deref(), Some("2026-11"));
        assert_eq!(
            p("Grenland Vaskeri AS – trekkliste november 2026").as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            p("Periode: 01.11.2026 - 30.11.2026").as_deref(),
            Some("2026-11")
        );
        assert_eq!(p("Utskrevet 27.11.2026"), None);
        assert_eq!(
            p("Lønnsperiode: 01.10.2026-31.10.2026").as_deref(),
            Some("2026-10")
        );
        assert_eq!(
            p("Trekk for november måned 2026 – Fagforbundet").as_deref(),
            Some("2026-11")
        );
        assert_eq!(p("Lønnsperiode 11 2026").as_deref(), Some("2026-11"));
        assert_eq!(
            from_text(&lines(&[
                "Arbeidsgiver:\tGrønli",
                "Måned:\t11",
                "År:\t2026"
            ]))
            .period
            .as_deref(),
            Some("2026-11")
        );
        assert_eq!(p("Ansatte 11 2026"), None, "numbers without a period label");
        let org = from_text(&lines(&["Virksomhetsnr.: 939885587", "Org.nr.: 921438079"]));
        assert_eq!(
            org.org_number.as_deref(),
            Some("921438079"),
            "the legal entity's"
        );
        let sub = from_text(&lines(&["Virksomhetsnr.: 939885587"]));
        assert_eq!(
            sub.org_number.as_deref(),
            Some("939885587"),
            "else the sub-unit's"
        );
        let l = |s: &str| from_text(&lines(&[s])).list_number;
        assert_eq!(l("Trekklistenummer 260 207").as_deref(), Some("260207"));
        assert_eq!(l("Trekklistenummer: 244239").as_deref(), Some("244239"));
        assert_eq!(l("List no.: 246772").as_deref(), Some("246772"));
        assert_eq!(
            l("Trekkliste 240974 – november 2026").as_deref(),
            Some("240974")
        );
        assert_eq!(l("Trekkliste fagforeningskontingent"), None);
        let o = |s: &str| from_text(&lines(&[s])).org_number;
        assert_eq!(
            o("Stiftelsen Fyrlykta Omsorg, org.nr. 922952876").as_deref(),
            Some("922952876")
        );
        assert_eq!(
            o("Lillehagen Vakt og Sikring AS   Org.nr. 938 702 918").as_deref(),
            Some("938702918")
        );
    }

    #[test]
    fn from_file_names() {
        let f = identifiers_from_file_name;
        let a = f("Trekkliste_245965_2026-11.xlsx");
        assert_eq!(a.list_number.as_deref(), Some("245965"));
        assert_eq!(a.period.as_deref(), Some("2026-11"));
        let b = f("trekkliste-243128-nov-2026.xlsx");
        assert_eq!(b.list_number.as_deref(), Some("243128"));
        assert_eq!(b.period.as_deref(), Some("2026-11"));
        let c = f("fagforeningstrekk_202611.xlsx");
        assert_eq!(c.list_number, None);
        assert_eq!(c.period.as_deref(), Some("2026-11"));
        let d = f("Skann_20261111_150112.pdf");
        assert_eq!(d.list_number.as_deref(), Some("150112"));
        let g = f("Trekkliste_2026-11_245175.csv");
        assert_eq!(g.list_number.as_deref(), Some("245175"));
        assert_eq!(g.period.as_deref(), Some("2026-11"));
        let h = f("Trekkliste nov 2026 Havblikk.xlsx");
        assert_eq!(h.period.as_deref(), Some("2026-11"));
        assert_eq!(h.list_number, None);
        let e = f("Trekk fagforening Øvrebø Gartneri 11-2026.csv");
        assert_eq!(e.period.as_deref(), Some("2026-11"));
        assert_eq!(e.list_number, None);
    }
}
