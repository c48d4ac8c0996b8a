//! Numbers a message mentions that may point at something in the store: list numbers
//! (6 digits), invoice numbers (8), org numbers (9), KIDs (up to 25), employer IDs (`A1043`),
//! and the thread token of the subject. The handlers check them, so this over-collects.
use super::numbers::looks_like_national_id;
use super::References;
use chrono::Datelike;
use regex::Regex;
use std::sync::LazyLock;

static THREAD_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[\s*([A-Za-z]{2,4})\s*-\s*(\d{1,12})\s*\]").expect("static regex")
});

/// Employer IDs: one or two capital letters and 3–6 digits, standing alone.
static EMPLOYER_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\p{L}\p{N}])([A-Z]{1,2}\d{3,6})(?:$|[^\p{L}\p{N}])").expect("static regex")
});

/// Collect references from subject, text and attachment names.
pub fn collect(subject: &str, text: &str, file_names: &[&str]) -> References {
    let mut refs = References {
        thread_token: thread_token(subject),
        ..Default::default()
    };
    let mut sources: Vec<&str> = vec![subject];
    sources.extend(file_names.iter().copied());
    sources.push(text);
    for source in sources {
        for n in numbers_in(source) {
            if !refs.numbers.contains(&n) {
                refs.numbers.push(n);
            }
        }
        for id in employer_ids_in(source) {
            if !refs.employer_ids.contains(&id) {
                refs.employer_ids.push(id);
            }
        }
    }
    refs
}

/// `TL-245965` from `… [TL-245965]` (upper-cased).
pub fn thread_token(subject: &str) -> Option<String> {
    let caps = THREAD_TOKEN.captures(subject)?;
    Some(format!("{}-{}", caps[1].to_ascii_uppercase(), &caps[2]))
}

fn employer_ids_in(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Overlapping matches share a separator; scan from each match's ID end.
    let mut pos = 0;
    while pos < s.len() {
        let Some(caps) = EMPLOYER_ID.captures_at(s, pos) else {
            break;
        };
        let Some(m) = caps.get(1) else { break };
        out.push(m.as_str().to_string());
        pos = m.end();
    }
    out
}

/// Candidate numbers in a text: each digit group of 6–25 digits, and each run of groups
/// separated by single spaces (`936 048 048`, `0110 7245 9651`) joined, when 6–25 digits.
pub fn numbers_in(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A run of digit groups separated by one space (or no-break space).
        let mut groups: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                current.push(c);
                j += 1;
            } else if (c == ' ' || c == '\u{a0}')
                && !current.is_empty()
                && chars.get(j + 1).is_some_and(|n| n.is_ascii_digit())
            {
                groups.push(std::mem::take(&mut current));
                j += 1;
            } else {
                break;
            }
        }
        if !current.is_empty() {
            groups.push(current);
        }
        // A group glued to letters on the left (e.g. "A1043") is an ID, not a number; the
        // digits still count (file names like "liste245965.xlsx").
        // A national ID written in parts ("018190 10001") gives away nothing, not even parts.
        if groups.len() > 1 && looks_like_national_id(&groups.concat()) {
            i = j.max(i + 1);
            continue;
        }
        for g in &groups {
            push_candidate(&mut out, g);
        }
        // "2026 08:00" is a year and a time, not one number.
        let year_then_small = groups.len() == 2
            && groups[0].len() == 4
            && (groups[0].starts_with("19") || groups[0].starts_with("20"))
            && groups[1].len() <= 2;
        if groups.len() > 1 && !year_then_small {
            push_candidate(&mut out, &groups.concat());
            // Sub-runs matter too: "faktura 2026 8782" is rare, but "org.nr 936 048 048 mobil"
            // is joined correctly by the whole run; also try 3-group windows for org numbers.
            for w in groups.windows(3) {
                push_candidate(&mut out, &w.concat());
            }
        }
        i = j.max(i + 1);
    }
    out
}

fn push_candidate(out: &mut Vec<String>, digits: &str) {
    let len = digits.len();
    if !(6..=25).contains(&len) {
        return;
    }
    if len == 11 && looks_like_national_id(digits) {
        return;
    }
    if !out.iter().any(|d| d == digits) {
        out.push(digits.to_string());
    }
}

/// The one month a mail's own words name, as `YYYY-MM`: "oktober 2026", "November 2026",
/// or a month alone ("fakturaen for oktober"), then the latest such month not after the
/// mail. Quoted lines are left out; two different months named give none.
pub fn named_period(text: &str, today: chrono::NaiveDate) -> Option<String> {
    let mut found: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('>')) {
        let words: Vec<&str> = line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let lower = w.to_lowercase();
            // Whole month names only, and not the English verb "may" without a year.
            let Some(month) = crate::norwegian::month_from_name(&lower)
                .filter(|_| crate::norwegian::is_month_name(&lower))
            else {
                continue;
            };
            let year = words
                .get(i + 1)
                .and_then(|y| y.parse::<i32>().ok())
                .filter(|y| (2000..=2099).contains(y));
            let year = match year {
                Some(y) => y,
                None if lower == "may" || lower == "march" => continue,
                None if month > today.month() => today.year() - 1,
                None => today.year(),
            };
            let period = format!("{year:04}-{month:02}");
            if !found.contains(&period) {
                found.push(period);
            }
        }
    }
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_tokens() {
        assert_eq!(
            thread_token("SV: Trekkliste 245965 [TL-245965]").as_deref(),
            Some("TL-245965")
        );
        assert_eq!(
            thread_token("Re: Tilgang [ar-42]").as_deref(),
            Some("AR-42")
        );
        assert_eq!(thread_token("Trekkliste"), None);
    }

    #[test]
    fn numbers_and_groups() {
        let n = numbers_in("Kopi av faktura 20268782, org.nr. 936 048 048, KID 011072459651.");
        assert!(n.contains(&"20268782".to_string()));
        assert!(n.contains(&"936048048".to_string()));
        assert!(n.contains(&"011072459651".to_string()));
        let n = numbers_in("Trekkliste_2026-11_245175.csv");
        assert_eq!(n, vec!["245175".to_string()]);
        // Dates and amounts are not references.
        assert!(numbers_in("30.11.2026 kr 11 044,81").is_empty());
        assert!(numbers_in("28. oktober 2026 08:00").is_empty());
    }

    #[test]
    fn national_ids_are_dropped() {
        // Synthetic test numbers (valid check digits, month + 80) from the corpus world.
        for id in ["01819010001", "05857746513", "10926935300"] {
            assert!(looks_like_national_id(id), "{id}");
            assert!(numbers_in(&format!("fnr {id} beløp")).is_empty(), "{id}");
            let spaced = format!("fnr {} {}", &id[..6], &id[6..]);
            assert!(numbers_in(&spaced).is_empty(), "{spaced}");
        }
        // A 12-digit KID stays.
        assert_eq!(numbers_in("KID 011072459651"), vec!["011072459651"]);
    }

    #[test]
    fn employer_ids() {
        let r = collect(
            "Trekkliste A1043",
            "arbeidsgiver B20771 og A4",
            &["A1107_nov.xlsx"],
        );
        assert_eq!(r.employer_ids, vec!["A1043", "A1107", "B20771"]);
    }
}

#[cfg(test)]
mod named_period_tests {
    use super::named_period;
    use chrono::NaiveDate;

    fn on(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_named_month_with_or_without_its_year() {
        let today = on(2026, 11, 27);
        assert_eq!(
            named_period("Kan vi få kopi av fakturaen for oktober 2026?", today).as_deref(),
            Some("2026-10")
        );
        assert_eq!(
            named_period(
                "Could you send a copy of the invoice for November 2026?",
                today
            )
            .as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            named_period("Fakturaen for oktober har ikke kommet", today).as_deref(),
            Some("2026-10")
        );
        // Asked in January about December: last year's.
        assert_eq!(
            named_period("Kopi av fakturaen for desember", on(2027, 1, 5)).as_deref(),
            Some("2026-12")
        );
    }

    #[test]
    fn no_month_two_months_or_a_modal_verb_give_none() {
        let today = on(2026, 11, 27);
        assert_eq!(named_period("Kan vi få kopi av fakturaen?", today), None);
        assert_eq!(
            named_period("Fakturaene for oktober og november", today),
            None
        );
        assert_eq!(
            named_period("May we have a copy of the invoice?", today),
            None
        );
        assert_eq!(
            named_period("Kopi av faktura, takk\n> Fakturaen for september", today),
            None
        );
    }
}
