//! SPEC §5: is a change commented? On its line, or by the mail body naming the person and
//! giving a reason. A cover note or a greeting is not a comment.
use super::names::name_tokens;

/// Words beyond the person's name a sentence needs before it counts as a reason.
const MIN_REASON_WORDS: usize = 3;

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
    own_text(body)
        .split(['.', '!', '?', '\n'])
        .map(name_tokens)
        .any(|words| {
            words.contains(first)
                && words.contains(last)
                && words.iter().filter(|w| !person.contains(w)).count() >= MIN_REASON_WORDS
        })
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
    }
}
