//! Splitting a body into what the sender wrote now, what they quoted, and what they forwarded,
//! so that an old mail quoted below a reply cannot decide what the reply is.
use regex::Regex;
use std::sync::LazyLock;

/// A body, cut into its sources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sections {
    /// Written by the sender in this message (signature included).
    pub fresh: String,
    /// Quoted from earlier mails (`>` lines, "Fra: … Sendt: …" blocks, "… skrev:" tails).
    pub quoted: String,
    /// Forwarded content (inline forwards and attached message/rfc822 text).
    pub forwarded: String,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Fresh,
    Quoted,
    /// After an "… skrev:" attribution: `>` lines are quoted; once they have been seen, an
    /// unquoted line is the sender writing below the quote (bottom- or inline-posting).
    QuotedAttribution {
        seen_gt: bool,
    },
    Forwarded,
}

/// `Re:`, `SV:`, `Fwd:`, `VS:` … prefixes, repeated.
static SUBJECT_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*((re|sv|svar|aw|antw|ref|fw|fwd|vs|vb|wg|tr|rv|videresend|videresendt)\s*(\[\d+\])?\s*:\s*)+")
        .expect("static regex")
});

static FORWARD_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*((re|sv|aw)\s*:\s*)*(fw|fwd|vs|vb|wg|tr|rv|videresend|videresendt)\s*:")
        .expect("static regex")
});

/// Subject without reply/forward prefixes.
pub fn strip_subject_prefixes(subject: &str) -> &str {
    match SUBJECT_PREFIX.find(subject) {
        Some(m) => subject[m.end()..].trim(),
        None => subject.trim(),
    }
}

/// Is this subject a forward (`VS:`, `Fwd:`, `WG:` …)?
pub fn is_forward_subject(subject: &str) -> bool {
    FORWARD_PREFIX.is_match(subject)
}

/// Lines that open a forwarded message.
static FORWARD_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[-=_ ]*(forwarded message|videresendt (melding|e-?post|epost)|begin forwarded message|start på videresendt|begynnelse på videresendt|weitergeleitete nachricht|message transféré|vidarebefordrat meddelande)\b.*$",
    )
    .expect("static regex")
});

/// Lines that open an earlier message below a reply.
static ORIGINAL_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(-{2,}\s*(original message|opprinnelig melding|opprinneleg melding|ursprüngliche nachricht|ursprungligt meddelande|message d'origine)\s*-{2,}|_{10,}|-{20,})\s*$",
    )
    .expect("static regex")
});

/// "On …, X wrote:" / "Den … skrev X:" attribution lines (possibly the second half of one).
static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\bwrote|\bskrev|\bskreiv|\bschrieb|a écrit)\b[^\n]{0,120}:\s*$")
        .expect("static regex")
});

/// The first half of an attribution that a mail client wrapped onto two lines.
static ATTRIBUTION_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(on|den|am|le|(man|tir|tirs|ons|tor|tors|fre|lør|søn|mon|tue|wed|thu|fri|sat|sun)[a-zø]*\.?)\s")
        .expect("static regex")
});

/// Header lines of an Outlook-style quoted/forwarded header block.
static HEADER_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\*?\s*(from|fra|von|de|från|lähettäjä)\s*:\*?\s*\S").expect("static regex")
});
/// Lines that only a header block has (a body may well say "Fra: … Til: …" about dates).
static HEADER_OTHER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*?\s*(sent|sendt|date|dato|gesendet|datum|skickat|subject|emne|betreff|ämne|objet|envoyé)\s*:",
    )
    .expect("static regex")
});

/// Cut `text` into fresh, quoted and forwarded sections. `subject` tells whether header blocks
/// introduce forwarded content (a forward) or quoted content (a reply).
pub fn split_body(text: &str, subject: &str) -> Sections {
    let forward = is_forward_subject(subject);
    let below = if forward {
        State::Forwarded
    } else {
        State::Quoted
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut fresh: Vec<&str> = Vec::new();
    let mut quoted: Vec<&str> = Vec::new();
    let mut forwarded: Vec<&str> = Vec::new();
    let mut state = State::Fresh;

    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if let State::QuotedAttribution { seen_gt } = state {
            if trimmed.starts_with('>') {
                state = State::QuotedAttribution { seen_gt: true };
                quoted.push(line);
                continue;
            }
            if seen_gt && !trimmed.is_empty() {
                state = State::Fresh;
            }
        }
        if state != State::Forwarded && FORWARD_MARKER.is_match(trimmed) {
            state = State::Forwarded;
            forwarded.push(line);
            continue;
        }
        if state == State::Fresh {
            if trimmed.starts_with('>') {
                quoted.push(line);
                continue;
            }
            if ORIGINAL_MARKER.is_match(trimmed)
                || (HEADER_FROM.is_match(trimmed) && header_block_follows(&lines, i))
            {
                state = below;
            } else if ATTRIBUTION.is_match(trimmed)
                && trimmed.len() < 300
                && (ATTRIBUTION_START.is_match(trimmed)
                    || trimmed.contains(|c: char| c.is_ascii_digit() || c == '@' || c == '<')
                    || trimmed.to_lowercase().ends_with("wrote:")
                    || fresh
                        .last()
                        .is_some_and(|p| ATTRIBUTION_START.is_match(p.trim())))
            {
                // A wrapped attribution's first half is already in `fresh`.
                if let Some(prev) = fresh.last() {
                    let p = prev.trim();
                    if !p.is_empty()
                        && ATTRIBUTION_START.is_match(p)
                        && !p.ends_with(['.', '!', '?'])
                        && !ATTRIBUTION_START.is_match(trimmed)
                    {
                        let moved = fresh.pop().unwrap_or_default();
                        match below {
                            State::Forwarded => forwarded.push(moved),
                            _ => quoted.push(moved),
                        }
                    }
                }
                state = match below {
                    State::Quoted => State::QuotedAttribution { seen_gt: false },
                    other => other,
                };
            }
        }
        match state {
            State::Fresh => fresh.push(line),
            State::Quoted | State::QuotedAttribution { .. } => quoted.push(line),
            State::Forwarded => forwarded.push(line),
        }
    }

    Sections {
        fresh: fresh.join("\n").trim().to_string(),
        quoted: quoted.join("\n").trim().to_string(),
        forwarded: forwarded.join("\n").trim().to_string(),
    }
}

/// A `From:`/`Fra:` line opens a header block when `Sent:`/`To:`/`Subject:` lines follow.
fn header_block_follows(lines: &[&str], i: usize) -> bool {
    lines
        .iter()
        .skip(i + 1)
        .take(5)
        .filter(|l| HEADER_OTHER.is_match(l.trim()))
        .count()
        >= 1
}

/// What the classifier reads of a body: people's messages are short, and a bounded prefix
/// keeps hostile megabyte bodies cheap.
pub const READ_LIMIT: usize = 64 * 1024;

/// The first `max` bytes of `s`, cut on a character boundary.
pub fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Lines of `text` with `>` quote markers removed (for reading quoted content itself).
pub fn unquote(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start().trim_start_matches(['>', ' ']))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lower-case text with dashes, quotes and whitespace made uniform, for pattern matching.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for ch in text.chars() {
        let ch = match ch {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' | '`' | '´' => '\'',
            '\u{00a0}' | '\u{2007}' | '\u{202f}' | '\t' | '\r' | '\n' => ' ',
            '\u{200b}' | '\u{feff}' => continue,
            c => c,
        };
        if ch == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        out.extend(ch.to_lowercase());
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlook_header_block_is_quoted() {
        let t = "Hei,\nNy tekst.\n\n________________________________\nFra: Forbundet <x@y>\nSendt: onsdag\nTil: Kari\nEmne: Trekkliste\n\nGammel tekst";
        let s = split_body(t, "SV: Trekkliste");
        assert_eq!(s.fresh, "Hei,\nNy tekst.");
        assert!(s.quoted.contains("Gammel tekst"));
        assert!(s.forwarded.is_empty());
    }

    #[test]
    fn outlook_header_without_separator() {
        let t = "Takk.\n\nFrom: Union <x@y>\nSent: Monday\nTo: me\nSubject: hi\n\nold";
        let s = split_body(t, "RE: hi");
        assert_eq!(s.fresh, "Takk.");
        assert!(s.quoted.ends_with("old"));
    }

    #[test]
    fn thunderbird_attribution_and_gt_lines() {
        let t = "Hei,\n\nMobilnummeret mitt er 934 56 789.\n\nDen 10.11.2026 09:41, skrev Forbundet Medlemsservice:\n> Hei,\n> gammel";
        let s = split_body(t, "Re: Søknad");
        assert_eq!(s.fresh, "Hei,\n\nMobilnummeret mitt er 934 56 789.");
        assert!(s.quoted.starts_with("Den 10.11.2026"));
    }

    #[test]
    fn bottom_posting_is_fresh() {
        let t = "Den 10.11.2026 09:41, skrev Forbundet:\n> Vi trenger mobilnummer.\n> Mvh\n\nMobil: 934 56 789\n\nJorunn";
        let s = split_body(t, "Re: Tilgang");
        assert_eq!(s.fresh, "Mobil: 934 56 789\n\nJorunn");
        assert!(s.quoted.contains("Vi trenger mobilnummer."));
    }

    #[test]
    fn wrapped_gmail_attribution() {
        let t = "Thanks!\n\nOn Mon, Nov 9, 2026 at 12:10 PM Union Service <\ntrekklister@union.example> wrote:\n> old";
        let s = split_body(t, "Re: x");
        assert_eq!(s.fresh, "Thanks!");
        assert!(s.quoted.contains("On Mon"));
    }

    #[test]
    fn forward_marker_goes_to_forwarded() {
        let t = "Se under.\n\n---------- Forwarded message ---------\nFrom: A <a@b>\nDate: x\nSubject: y\n\nOriginal tekst";
        let s = split_body(t, "Fwd: y");
        assert_eq!(s.fresh, "Se under.");
        assert!(s.forwarded.contains("Original tekst"));
    }

    #[test]
    fn outlook_forward_header_block_is_forwarded() {
        let t = "Kan dere ordne dette?\n\nFra: Ola <o@x>\nSendt: i går\nTil: meg\nEmne: Tilgang\n\nJeg ønsker tilgang";
        let s = split_body(t, "VS: Tilgang");
        assert_eq!(s.fresh, "Kan dere ordne dette?");
        assert!(s.forwarded.contains("Jeg ønsker tilgang"));
    }

    #[test]
    fn a_period_is_not_a_header_block() {
        let t = "Endring for Ola:\nFra: 1. januar\nTil: 31. mars\nBeløp: 450\n\nMvh Kari";
        let s = split_body(t, "Endring");
        assert_eq!(s.fresh, t);
    }

    #[test]
    fn a_fra_line_alone_is_not_a_header_block() {
        let t = "Fra: 1. desember skal fakturaen sendes til ny adresse.\nMvh Bente";
        let s = split_body(t, "Ny adresse");
        assert_eq!(s.fresh, t);
    }

    #[test]
    fn subject_prefixes() {
        assert_eq!(
            strip_subject_prefixes("SV: RE: Fwd: Trekkliste"),
            "Trekkliste"
        );
        assert!(is_forward_subject("VS: Trekkliste"));
        assert!(is_forward_subject("Re: Fwd: x"));
        assert!(!is_forward_subject("SV: Vsnitt"));
    }

    #[test]
    fn normalise_text() {
        assert_eq!(
            normalise("Kopi\u{00a0}av  FAKTURA – nå"),
            "kopi av faktura - nå"
        );
    }
}
