//! Reply language: Norwegian bokmål unless the sender wrote English (SPEC §7).
use super::Lang;

/// Frequent Norwegian words (bokmål and nynorsk) that are not English words.
const NB_WORDS: &[&str] = &[
    "og",
    "jeg",
    "eg",
    "det",
    "er",
    "som",
    "på",
    "med",
    "av",
    "ikke",
    "ikkje",
    "der",
    "så",
    "var",
    "meg",
    "seg",
    "men",
    "har",
    "om",
    "vi",
    "kan",
    "vil",
    "fra",
    "frå",
    "oss",
    "dere",
    "hei",
    "hilsen",
    "helsing",
    "mvh",
    "takk",
    "vennlig",
    "vennleg",
    "vedlagt",
    "ønsker",
    "ønskjer",
    "trenger",
    "nå",
    "også",
    "eller",
    "når",
    "hva",
    "kva",
    "hvordan",
    "korleis",
    "hvilken",
    "hvilke",
    "skal",
    "må",
    "får",
    "få",
    "vår",
    "våre",
    "denne",
    "dette",
    "hvis",
    "bare",
    "berre",
    "til",
    "den",
    "en",
    "et",
    "ei",
    "ble",
    "blir",
    "være",
    "vært",
    "etter",
    "følger",
    "gjerne",
    "hos",
    "fått",
    "ny",
    "nye",
    "listen",
    "lista",
    "trekkliste",
    "trekklisten",
    "faktura",
    "fakturaen",
    "tilgang",
    "beløp",
    "endre",
    "kopi",
    "navn",
    "sendt",
    "sende",
    "mottatt",
    "herved",
    "ifm",
    "ift",
    "angående",
    "vedrørende",
    "hilsener",
];

/// Frequent English words that are not Norwegian words.
const EN_WORDS: &[&str] = &[
    "the",
    "and",
    "to",
    "of",
    "a",
    "is",
    "we",
    "our",
    "you",
    "your",
    "please",
    "would",
    "like",
    "could",
    "can",
    "this",
    "that",
    "with",
    "on",
    "it",
    "be",
    "have",
    "are",
    "from",
    "regards",
    "dear",
    "hello",
    "hi",
    "thanks",
    "thank",
    "attached",
    "find",
    "kind",
    "best",
    "will",
    "not",
    "should",
    "what",
    "how",
    "which",
    "may",
    "list",
    "invoice",
    "access",
    "request",
    "change",
    "copy",
    "sincerely",
    "yours",
    "been",
    "has",
    "was",
    "were",
    "there",
    "these",
    "those",
    "into",
    "about",
    "an",
    "as",
    "at",
    "by",
    "or",
    "if",
    "do",
    "does",
    "need",
    "want",
    "send",
    "sent",
    "received",
    "company",
    "number",
    "name",
    "mobile",
];

/// Decide the language from stop-word counts in `text`; `content_language` (the header)
/// only breaks a tie.
pub fn detect(text: &str, content_language: Option<&str>) -> Lang {
    let mut nb = 0usize;
    let mut en = 0usize;
    for word in text
        .split(|c: char| !c.is_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .take(5000)
    {
        let w = word.to_lowercase();
        if NB_WORDS.contains(&w.as_str()) {
            nb += 1;
        }
        if EN_WORDS.contains(&w.as_str()) {
            en += 1;
        }
        // Norwegian letters in ordinary words; names (capitalised) prove nothing.
        if w.contains(['æ', 'ø', 'å']) && word.chars().next().is_some_and(char::is_lowercase) {
            nb += 1;
        }
    }
    if en > nb {
        return Lang::En;
    }
    if nb > en {
        return Lang::Nb;
    }
    match content_language.map(|l| l.trim().to_ascii_lowercase()) {
        Some(l) if l.starts_with("en") => Lang::En,
        _ => Lang::Nb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian() {
        assert_eq!(
            detect(
                "Hei, vedlagt trekkliste for november. Mvh Kari",
                Some("en-US")
            ),
            Lang::Nb
        );
    }

    #[test]
    fn english() {
        assert_eq!(
            detect(
                "Hello, please find attached our list for November. Best regards",
                None
            ),
            Lang::En
        );
    }

    #[test]
    fn english_with_norwegian_names() {
        assert_eq!(
            detect("Dear Sir, we at Grønli Barnehager and Bjørkedal Sjømat would like access. Kind regards, Åse Ødegård", None),
            Lang::En
        );
    }

    #[test]
    fn header_breaks_tie() {
        assert_eq!(detect("OK", Some("en-GB")), Lang::En);
        assert_eq!(detect("OK", Some("nb-NO")), Lang::Nb);
        assert_eq!(detect("", None), Lang::Nb);
    }
}
