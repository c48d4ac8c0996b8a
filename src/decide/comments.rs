//! SPEC §5: is a change commented? On its line, or by the mail body naming the person and
//! giving a reason. A cover note or a greeting is not a comment.
use super::names::name_tokens;

/// Words beyond the person's name (and beyond words that only point at a change) a
/// sentence needs before it counts as a reason.
const MIN_REASON_WORDS: usize = 3;

/// Words that refer to a change or the list without saying why: "Se endring for Kari
/// Nordmann" names a person and explains nothing. (ASCII-folded, as `name_tokens` gives.)
const POINTING_WORDS: &[&str] = &[
    "se",
    "endring",
    "endringer",
    "endringen",
    "endret",
    "for",
    "til",
    "av",
    "pa",
    "i",
    "og",
    "er",
    "har",
    "ha",
    "om",
    "med",
    "den",
    "det",
    "denne",
    "dette",
    "vedlagt",
    "liste",
    "listen",
    "lista",
    "trekkliste",
    "trekklisten",
    "merk",
    "note",
    "see",
    "change",
    "changes",
    "changed",
    "the",
    "of",
    "on",
    "in",
    "and",
    "is",
    "has",
    "attached",
    "list",
    "please",
    "vennligst",
    "gjelder",
    "regarding",
    "re",
];

/// Words that are a reason on their own ("Kari Nordmann har sluttet").
const REASON_WORDS: &[&str] = &[
    "sluttet",
    "slutta",
    "slutter",
    "fratradt",
    "oppsagt",
    "permittert",
    "permisjon",
    "foreldrepermisjon",
    "sykmeldt",
    "pensjonert",
    "pensjonist",
    "dod",
    "avdod",
    "utmeldt",
    "innmeldt",
    "nyansatt",
    "larling",
    "stilling",
    "redusert",
    "left",
    "resigned",
    "retired",
    "leave",
    "deceased",
    "apprentice",
    "position",
];

/// True when the line's own comment or the body explains the change for `name`.
pub fn is_commented(line_comment: Option<&str>, name: Option<&str>, body: &str) -> bool {
    if line_comment.is_some_and(|c| c.chars().any(char::is_alphanumeric)) {
        return true;
    }
    name.is_some_and(|n| body_explains(n, body))
}

/// A sentence of the body that names the person (first and last name) and says more.
pub fn body_explains(name: &str, body: &str) -> bool {
    let person = name_tokens(name);
    let (Some(first), Some(last)) = (person.first(), person.last()) else {
        return false;
    };
    let own = own_text(body);
    sentences(&own)
        .into_iter()
        .chain(labelled_blocks(&own))
        .map(|s| name_tokens(&s))
        .any(|words| {
            if !(words.contains(first) && words.contains(last)) {
                return false;
            }
            let said: Vec<&String> = words
                .iter()
                .filter(|w| !person.contains(w) && !POINTING_WORDS.contains(&w.as_str()))
                .collect();
            said.len() >= MIN_REASON_WORDS
                || said.iter().any(|w| REASON_WORDS.contains(&w.as_str()))
        })
}

/// Paragraphs that describe one person in labelled lines ("Navn: Bakkevig, Oddny" /
/// "Endring: …" / "Årsak: …"), each joined into one text.
fn labelled_blocks(text: &str) -> Vec<String> {
    const NAME_LABELS: &[&str] = &[
        "navn", "namn", "name", "ansatt", "employee", "person", "medlem",
    ];
    text.split("\n\n")
        .filter(|block| {
            let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
            (2..=6).contains(&lines.len())
                && lines.iter().any(|l| {
                    l.split_once(':').is_some_and(|(label, _)| {
                        NAME_LABELS.contains(
                            &label
                                .trim()
                                .trim_start_matches('-')
                                .trim()
                                .to_lowercase()
                                .as_str(),
                        )
                    })
                })
        })
        .map(|block| block.replace('\n', " "))
        .collect()
}

/// Sentences: text up to a line break, `!`, `?`, or a full stop before a space. A full
/// stop after a digit is a date's ("sluttet 31. oktober"), not a sentence's end.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        let end = match c {
            '\n' | '!' | '?' => true,
            '.' => !previous.is_ascii_digit() && chars.peek().is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if end {
            out.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
        previous = c;
    }
    out.push(current);
    out
}

/// The sender's own words: quoted lines (`>`) and everything from a quoted header block on
/// are left out, so text the union wrote earlier never counts as the employer's comment.
fn own_text(body: &str) -> String {
    let mut out = String::new();
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with('>') {
            continue;
        }
        let lower = t.to_lowercase();
        if lower.starts_with("-----original message")
            || lower.starts_with("-----opprinnelig melding")
            || ((lower.starts_with("fra:") || lower.starts_with("from:"))
                && !out.is_empty()
                && (lower.contains('@') || lower.contains('<')))
        {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_comment_counts() {
        assert!(is_commented(
            Some("Redusert stilling"),
            Some("Kari Nordmann"),
            ""
        ));
        assert!(!is_commented(Some("  - "), Some("Kari Nordmann"), ""));
    }

    #[test]
    fn the_body_naming_the_person_with_a_reason_counts() {
        let body = "Hei\n\nSender over listen. Thi Lan Nilsen Haugen har gått ned til 80 % stilling, derfor lavere trekk.\n\nHilsen\nLinda";
        assert!(is_commented(None, Some("Thi Lan Nilsen Haugen"), body));
        assert!(!is_commented(None, Some("Kari Nordmann"), body));
    }

    #[test]
    fn a_cover_note_or_a_bare_name_is_not_a_comment() {
        assert!(!is_commented(
            None,
            Some("Kari Nordmann"),
            "Vedlagt trekkliste for november.\nMvh\nKari Nordmann"
        ));
        assert!(!body_explains(
            "Kari Nordmann",
            "> Kari Nordmann har sluttet i bedriften i oktober"
        ));
        assert!(!body_explains(
            "Gro Larsen",
            "Vedlagt trekkliste for november. Se endring for Gro Larsen.\nMvh"
        ));
    }

    #[test]
    fn a_labelled_block_about_one_person_counts() {
        let body = "Hei,\n\nNavn: Bakkevig, Oddny\nEndring: nytt beløp kr 312,50\nÅrsak: redusert stilling (50 %) fra 01.11.2026\n\nMvh\nLønn";
        assert!(body_explains("Oddny Bakkevig", body));
        // A signature block names a person but is no labelled block.
        assert!(!body_explains(
            "Kari Nordmann",
            "Hei\nVedlagt trekkliste for november\n\nMed vennlig hilsen\nKari Nordmann\nLønnsansvarlig"
        ));
    }

    #[test]
    fn dates_inside_a_reason_do_not_cut_it_short() {
        let body = "Endringer:\n- Heidi Pettersen sluttet 31. oktober, vedkommende har fått ny jobb.\n- Ola Berg | Sluttdato 20.11.2026 | Har sagt opp og slutter 20. november";
        assert!(body_explains("Heidi Pettersen", body));
        assert!(body_explains("Ola Berg", body));
        assert!(body_explains("Kari Nordmann", "Kari Nordmann har sluttet."));
    }
}
