//! What a person's mail asks for, read from its words: access to Winorg trekksentral, an
//! invoice copy, a change, or anything else (a question). Each intent gets a score from
//! phrase patterns; the sender's new text counts fully, forwarded text a little less and
//! quoted text only a little, so an old mail quoted below a reply cannot decide it.
use super::text::normalise;
use regex::Regex;
use std::sync::LazyLock;

/// Intent scores of one text.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub access: f32,
    pub invoice: f32,
    pub change: f32,
}

impl Scores {
    pub fn add(&mut self, other: Scores, weight: f32) {
        self.access += other.access * weight;
        self.invoice += other.invoice * weight;
        self.change += other.change * weight;
    }
}

/// Minimum score for an intent to be taken over `question`.
pub const THRESHOLD: f32 = 3.0;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

// --- access -------------------------------------------------------------------------------

/// The self-service portal itself.
static PLATFORM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"trekksentral|winorg|selvbetjening|self[- ]?service|\bportal|nettportal|webportal|nettløsning|web solution|online solution|levere (trekk)?list\w* (digitalt|elektronisk|på nett|online)|submit\w* (our |the )?(\w+ )?(lists?|deduction lists?) online|deliver\w* (our |the )?(\w+ )?lists? online",
    )
});

/// Wanting to get in: access, a user, a login.
static ACCESS_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"tilgang|\baccess\b|innlogg|pålogg|\blog ?in\b|\blog-in\b|\blogg(e)? (inn|på)\b|\bsign[- ]?(in|on|up)\b|brukernavn|brukerkonto|bruker-?id\b|brukerprofil|\b(en|egen|ny|nye|opprette|oppretta|registrere) brukere?\b|\bbrukere? (i|til|for|på) (winorg|trekksentral|portal)|\baccount\b|\busers?\b|\busername|passord|password|credentials|\bta i bruk\b|\btatt i bruk\b|begynne å bruke|\bstart using\b|\bbegin using\b|\b(levere|sende|rapportere|submit|deliver|send)\w* .{0,40}\b(via|i|gjennom|through|in|using|på) (winorg|trekksentral|portal)|(ønsker|ønskjer|vil( gjerne)?|kan vi|would like|want|wish|can we|could we|may we)( å| to)?( begynne å| start)? (bruke|use|using)\b|komme?r? (vi |jeg )?i gang|get started|getting started|bli bruker|become a user|\bregister (for|with|us)|registration for|\bregistrere (oss|virksomheten|bedriften|firmaet)|\bregister (us|our company)|\bonboard|\bkobles? (på|til)",
    )
});

/// Access to a document, not to the portal ("vi har ikke tilgang til fakturaen").
static DOCUMENT_ACCESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"tilgang til (den |denne |selve |siste |forrige )?(listen|lista|trekklisten|trekklista|fakturaen|faktura|filen|fila|vedlegg\w*|dokument\w*|excel\w*|pdf\w*|e-?posten)|access to (the |this |that |your )?(list|invoice|file|attachment|document|spreadsheet|e-?mail)",
    )
});

/// Lacking the means to look something up ("vi har ikke tilgang til å sjekke det selv"):
/// a reason given in a question, not a wish for the portal.
static ACCESS_TO_CHECK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(ikke|ingen|uten) tilgang til å|tilgang til å (sjekke|se|kontrollere|verifisere|finne|undersøke|bekrefte|slå opp)|(no|not have|n't have|without) access to (check|see|verify|look|find|confirm)",
    )
});

/// Asking for something.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"ønsker|ønskjer|vil gjerne|ber om|\bsøke?r?\b|søknad|kan (vi|jeg|eg) få|kan dere|trenger|treng\b|would like|\brequest|\bcould (we|you|i)\b|\bcan (we|you|i)\b|please|\bneed\b|\bapply|application|set up|\bcreate\b|\bgive us\b|\bgrant\b|\bgi oss\b|hvordan får|how do (we|i) get|how can (we|i) get",
    )
});

/// Already having access (then the mail is usually a question about using it).
static HAS_ACCESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(har|hadde) (allerede |nå |jo )?(fått )?tilgang|already (have|got|has) (access|an? (user|account|login))|we have (access|an? (user|account|login))|har (allerede )?(en )?bruker(konto)?\b|(har )?logget (inn|på)|logged in|(fikk|got|received) (et |en |ei |a |an |my |our |vårt |mitt )?(brukernavn|brukarnamn|passord|innlogging|user ?name|login|password)",
    )
});

/// Wanting something, said without a request word ("we want to start using …").
static WISH: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bwants?\b|\bwish|\bvil\b|\bhåper|\bhope|\bhoping|gjerne"));

/// The subject or sentences of a text, each normalised; a sentence ends at a line break,
/// `?`, `!`, or `. ` (the flag says whether it ended in `?`).
fn sentences(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let end = match c {
            '\n' | '!' | '?' => true,
            '.' => chars.peek().is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if end {
            let t = normalise(&current);
            if !t.is_empty() {
                out.push((t, c == '?'));
            }
            current.clear();
        } else {
            current.push(c);
        }
    }
    let t = normalise(&current);
    if !t.is_empty() {
        out.push((t, false));
    }
    out
}

/// Whether the text asks for access: a subject naming access ("Tilgang til Winorg"), or a
/// sentence that mentions access or the portal and asks or wishes for something — in the
/// same sentence, or as a request in the next ("Vi har ikke tilgang ennå. Kan dere ordne
/// det?"). Mentioning the portal in passing ("we already deliver through Winorg; when is
/// the deadline?") is not asking for it.
fn asks_for_access(text: &str) -> bool {
    let parts = sentences(text);
    let subject_asks = text
        .lines()
        .next()
        .is_some_and(|first| ACCESS_WORD.is_match(&normalise(first)) && !first.contains('?'));
    subject_asks
        || parts.iter().enumerate().any(|(i, (t, question))| {
            let about_access = ACCESS_WORD.is_match(t) || PLATFORM.is_match(t);
            let asks_here = *question || REQUEST.is_match(t) || WISH.is_match(t);
            let asks_next = parts.get(i + 1).is_some_and(|(n, _)| REQUEST.is_match(n));
            about_access && (asks_here || asks_next)
        })
}

/// Labelled org number or mobile: the data an access request brings.
static FIELD_LABELS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(org\.? ?-?n(umme)?r|organisasjonsnummer|organi[sz]ation (number|no))\W{0,3}\d|(mobil\w*|mobile|tlf|telefon|phone)\W{0,3}(\+|\d)",
    )
});

// --- invoice copy ---------------------------------------------------------------------------

static INVOICE_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"faktura|invoice|\bregning|\bbill\b"));

static INVOICE_COPY_STRONG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"fakturakopi|kopi av (den |siste |forrige )?(\w+ )?faktura|kopi av fakturaen|invoice copy|cop(y|ies) of (the |our |your |this |that |last |latest )?(\w+ )?invoice|duplicate invoice|duplikat av faktura|fakturaduplikat|re-?send (the |our |this |that )?invoice|send (the |our )?invoice again|sende (oss |meg )?(den |denne )?fakturaen (på nytt|igjen)|sende (oss |meg )?faktura(en)? (på nytt|igjen)",
    )
});

static COPY_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\bkopi|\bcop(y|ies)\b|duplikat|duplicate|på nytt|\bigjen\b|\bagain\b|\bre-?send|tilsendt|sendt over|send(e)? (oss|meg)|send (us|me)\b|ikke (har )?(mottatt|fått)|aldri (mottatt|fått)|not (received|got)|haven'?t (received|got)|never (received|got)|did not (receive|get)|didn'?t (receive|get)|finner (den |fakturaen |ikke )?(ikke|den)\b|can'?t find|cannot find|could not find|couldn'?t find|mistet|forlagt|\blost\b|slettet|deleted|\bpdf\b|forsvunnet|ikke vedlagt|not attached|en gang til|once more|one more time|kommet bort|gått tapt|misplaced|\bmangler\b|\bmissing\b|kan (dere|du) sende|(could|can|would) you (please )?send|please send",
    )
});

// --- change ---------------------------------------------------------------------------------

/// A new invoice address or invoice mailbox.
static ADDRESS_CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"fakturaadresse|faktureringsadresse|fakturerings-?adresse|ny(e|tt)? (faktura)?(adresse|fakturamottak|e-?postadresse|mottaksadresse)|(nytt|ny|endret|endre|oppdater\w*) fakturamottak|ehf-?adresse|invoic(e|ing) (e-?mail )?address|billing (e-?mail )?address|(invoices?|fakturaer|fakturaene|faktura|fakturaen)\b.{0,80}(sendes|send|sent|skal sendes|skal gå|goes|go|should go) (heretter |fra nå av |fremover |from now on )?(til|to) (vår|vårt|våre|ny|nytt|nye|denne|this|our|the new|a new)|adresseendring|change of address|address change|new address|endret adresse|ny adresse",
    )
});

/// Invoices to go to another recipient from now on ("send fakturaen til x@y i stedet for til
/// oss", "send all invoices to x@y from January"): a change, not a copy request.
static REDIRECT_INVOICES: LazyLock<Regex> =
    LazyLock::new(|| re(r"(faktura\w*|invoic\w*)\b.{0,60}?\b(til|to)\b[^@\n]{0,40}@"));

static FROM_NOW_ON: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"i stedet for|istedenfor|isteden|instead of|rather than|fra og med|f\.o\.m\.?|heretter|fremover|framover|fra nå av|from now on|going forward|in future|from (\d|january|february|march|april|may|june|july|august|september|october|november|december|next)|fra (\d|januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember|neste)|\b(ny|nytt|nye|new)\b",
    )
});

/// Someone left out of (or wrongly on) a list already sent.
static LEFT_OUT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"gl(em|øym)(te|de|t|me)? å (ta med|føre opp|føra opp|legge (inn|til)|leggje (inn|til)|få med|melde|melda)|forgot to (include|add|list|put)|(forgotten|left out|missing) (from|on|in) (the |our )?(list|deduction list)|mangler (på|i) (listen|lista|trekklisten|trekklista)|(kom|ble|var) ikke med (på|i) (listen|lista|trekklisten)|falt ut av (listen|lista)",
    )
});

/// Asking to modify something.
static MODIFY_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"kan (dere|du|de) (\w+ )?(endre|endra|korrigere|korrigera|rette|retta|oppdatere|oppdatera|justere|justera|fjerne|fjerna|slette|sletta|legge til|leggje til|leggje (\w+ )?til|legge (\w+ )?til|føre opp|føra opp|ta ut|ta bort|trekke fra|registrere|registrera)|vennligst (endre|korriger|rett|oppdater|juster|fjern|slett)|(ønsker|vil|må|trenger|ønskjer) (å )?(\w+ )?(endre|korrigere|rette|justere|oppdatere|endra)|please (\w+ )?(change|correct|update|amend|adjust|remove|delete|add|fix)|(could|can|would) you (please |kindly )?(change|correct|update|amend|adjust|remove|delete|add|fix)|(need|want|would like|wish) to (change|correct|update|amend|adjust|fix)|(skal|må|bør) (\w+ )?(endres|korrigeres|rettes|oppdateres|justeres|fjernes|slettes)|kan (dette|det|den|listen|lista|beløpet|trekket|fakturaen) (\w+ )?(endres|rettes|korrigeres|oppdateres|justeres|fjernes)|should (be )?(changed|corrected|updated|amended|removed)|needs? to be (changed|corrected|updated|amended|removed)",
    )
});

/// Referring to something already sent, or to an error in it.
static SUBMITTED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(vi|jeg|eg) (har |hadde )?(sendte|sendt|sende|leverte|levert|returnerte)\b|lista (vi|eg) sende|sendt inn|innsendt|allerede (sendt|levert|registrert|innsendt|betalt)|listen (som )?(vi|jeg) (sendte|har sendt|leverte)|\bsent (in|you|over)\b|\bsubmitted\b|\bwe sent\b|\bglemt|\bglemte|\bforgot|feil (i|på) (listen|lista|trekklisten|trekklista|beløpet|trekket|fakturaen)|feil beløp|feil trekk|\bwrong\b|mistake|\berror in\b|rettelse|korreksjon|correction|endring(er)? (i|på|til) (listen|lista|trekklisten|trekket|beløpet)|lønnsendring",
    )
});

/// An error in what was sent.
static ERROR_IN_LIST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"feil (i|på) (listen|lista|trekklisten|trekklista|beløpet|trekket|fakturaen)|feil (beløp|trekk|sum)|(wrong|incorrect) (amount|list|sum|deduction)|(error|mistake)s? (in|on) (the|our|my) (list|deduction|amount)|stemmer ikke|\ber feil\b|\bvar feil\b|ikke (riktig|korrekt)|(is|was) (wrong|incorrect)|(does not|doesn't) match",
    )
});

/// Stating the right value ("riktig beløp er", "should be").
static CORRECT_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(skal|burde|skulle) (ha )?(være|vært)|should (be|have been)|riktig (beløp|sum|trekk|sats|dato)|correct (amount|sum|rate|date)",
    )
});

/// A person's situation changed (left, laid off, new rate): what a change is about.
static PERSON_CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"sluttet|slutta|fratrådt|permittert|permittering|gått av|pensjonert|\bleft (the company|us|on|in)\b|resigned|retired|laid off|furloughed|redusert (stilling|sats|trekk)|lavere trekk|høyere trekk|reduced (rate|hours|position)|sluttdato|end date",
    )
});

static CHANGE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\bendr|korriger|\bretting|\brette\b|\brettes\b|\brettelse|juster|\bchang|\bcorrect|\bamend|\badjust|oppdater|\bupdate",
    )
});

/// Score one text.
pub fn score(text: &str) -> Scores {
    let t = normalise(text);
    let mut s = Scores::default();
    if t.is_empty() {
        return s;
    }

    // Access to Winorg trekksentral.
    let platform = PLATFORM.is_match(&t);
    let access_word = ACCESS_WORD.is_match(&t);
    if platform {
        s.access += 2.0;
    }
    if access_word {
        s.access += 2.0;
    }
    if platform && access_word {
        s.access += 2.0;
    }
    if (platform || access_word) && REQUEST.is_match(&t) {
        s.access += 1.0;
    }
    if (platform || access_word) && FIELD_LABELS.is_match(&t) {
        s.access += 1.0;
    }
    if HAS_ACCESS.is_match(&t) && !REQUEST.is_match(&t) {
        s.access -= 4.0;
    }
    if (platform || access_word) && !FIELD_LABELS.is_match(&t) && !asks_for_access(text) {
        s.access -= 4.0;
    }
    if (DOCUMENT_ACCESS.is_match(&t) || ACCESS_TO_CHECK.is_match(&t)) && !platform {
        s.access -= 3.0;
    }

    // Invoice copy.
    let invoice = INVOICE_WORD.is_match(&t);
    if INVOICE_COPY_STRONG.is_match(&t) {
        s.invoice += 5.0;
    } else if invoice && COPY_WORD.is_match(&t) {
        s.invoice += 4.0;
    } else if invoice {
        s.invoice += 1.0;
    }

    // Change after submitting, or a new invoice address.
    let address = ADDRESS_CHANGE.is_match(&t);
    if address {
        s.change += 6.0;
        // "Send the invoices to our new address" is not a copy request.
        s.invoice -= 3.0;
    }
    if !address && REDIRECT_INVOICES.is_match(&t) && FROM_NOW_ON.is_match(&t) {
        s.change += 6.0;
        s.invoice -= 3.0;
    }
    if MODIFY_REQUEST.is_match(&t) || LEFT_OUT.is_match(&t) {
        s.change += 3.0;
    }
    if SUBMITTED.is_match(&t) {
        s.change += 2.0;
    }
    if ERROR_IN_LIST.is_match(&t) {
        s.change += 2.0;
    }
    if PERSON_CHANGE.is_match(&t) {
        s.change += 1.0;
    }
    if CORRECT_VALUE.is_match(&t) {
        s.change += 1.0;
    }
    if CHANGE_WORD.is_match(&t) {
        s.change += 1.0;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn best(text: &str) -> &'static str {
        let s = score(text);
        let mut best = ("question", THRESHOLD - 0.01);
        for (name, v) in [
            ("access", s.access),
            ("invoice", s.invoice),
            ("change", s.change),
        ] {
            if v > best.1 {
                best = (name, v);
            }
        }
        best.0
    }

    #[test]
    fn access_phrasings() {
        for t in [
            "Vi ønsker tilgang til Winorg trekksentral.",
            "Kan vi få brukertilgang til trekksentralen?",
            "Myrvoll Transport AS ønsker å ta i bruk Winorg trekksentral.",
            "We would like to request access to Winorg trekksentral.",
            "Please set up a login for us in your portal.",
            "Hvordan får vi tilgang til å levere trekklister digitalt?",
            "Vi vil gjerne opprette en bruker i Winorg.",
            "Can we get an account for the self-service portal?",
            "We want to start using Winorg trekksentral.",
            "Hvordan kommer vi i gang med Winorg trekksentral?",
            "How do we register for the employer portal?",
            "Tilgang til Winorg\nHei, se opplysningene under.",
            "Vi har ikke tilgang til trekksentralen ennå. Kan dere ordne det?",
        ] {
            assert_eq!(best(t), "access", "{t}");
        }
    }

    #[test]
    fn invoice_copy_phrasings() {
        for t in [
            "Kan vi få tilsendt kopi av faktura 20268782 for oktober?",
            "Vi finner ikke fakturaen for oktober, kan dere sende den på nytt?",
            "Could you send us a copy of invoice 20268782?",
            "We have not received the invoice for October. Please resend it.",
            "Trenger fakturakopi for september.",
            "Hei! Kan dere sende meg fakturaen for oktober en gang til?",
            "We seem to have misplaced the invoice for November. Would you be able to send it again?",
            "Vi har ikke tilgang til fakturaen lenger, kan dere sende en kopi?",
            "Kan dere sende fakturaen for oktober til meg på ola@x.example? Jeg finner den ikke.",
            "Could you send a copy of the October invoice to ola@x.example?",
        ] {
            assert_eq!(best(t), "invoice", "{t}");
        }
    }

    #[test]
    fn change_phrasings() {
        for t in [
            "Fra 1. desember skal alle fakturaer til Grenland Vaskeri AS sendes til vårt nye fakturamottak: faktura@x.example. Kan dere oppdatere dette?",
            "Vi har glemt å melde en lønnsendring i listen vi sendte 3. november. Kan dere endre trekket fra 1. november?",
            "Please change our invoice address to invoices@x.example.",
            "We submitted the wrong amount for Ola Nordmann. Could you correct it?",
            "Det er feil i trekklisten vi sendte, Kari Hansen sluttet i oktober.",
            "Ny fakturaadresse: Postboks 12, 0101 Oslo",
            "Vi har sendt inn trekklisten, men oppdaget at Ola Nordmann skulle hatt redusert sats. Kan dette rettes?",
            "Please note that Kari Hansen left the company on 31 October; the list we sent shows her as active.",
            "Ola har sluttet, kan dere fjerne ham fra listen?",
            "Beløpet for Ola Nordmann er feil, det skal være 450 kr.",
            "The amount for Ola Nordmann is wrong, it should be NOK 450.",
            "From 1 January 2027 please send all invoices to our new invoicing address: invoice@x.example.",
            "Kan dere sende fakturaen til regnskap@x.example i stedet for til oss fra og med desember?",
            "Vi glemte å ta med Jonas Berg på trekkliste 245418 som vi sendte 16. november.",
            "We forgot to include Jonas Berg on the list we sent last week; he should pay NOK 450 too.",
            "Vi gløymde å føre opp Ragna Skei på trekklista vi sende inn 10. november (trekkliste 282114). Kan de leggje ho til på lista?",
        ] {
            assert_eq!(best(t), "change", "{t}");
        }
    }

    #[test]
    fn questions() {
        for t in [
            "Vi har fått to nye lærlinger som ønsker å melde seg inn. Hvilken sats skal vi trekke for lærlinger, og skal de føres opp på trekklisten allerede fra desember?",
            "Når er fristen for å sende trekklisten for desember?",
            "What is the membership fee for part-time employees?",
            "Vi bruker Visma. Kan vi sende listen som CSV?",
            "Vi har ikke tilgang til listen dere sendte. Kan dere sende den på nytt?",
            "Er Winorg trekksentral obligatorisk for oss?",
            "Ola har sluttet. Skal han fortsatt stå på listen?",
            "Hva skal være med i listen når noen er sykmeldt?",
            "Kari sier hun er medlem hos dere. Kan dere bekrefte det? Vi har ikke tilgang til å sjekke det selv.",
            "Is Ola a member? We don't have access to check that ourselves, could you confirm?",
            "Frist for levering i trekksentralen\nVi går over til å levere trekklister via Winorg trekksentral fra desember. Når er fristen for å levere desemberlista der?",
            "Uploading files in Winorg trekksentral\nWe already have a user for Winorg trekksentral. Is it possible to upload a CSV file there, or does it have to be an Excel file?",
            "Jeg fikk brukernavn til Winorg trekksentral i fjor, men finner ikke igjen lenken. Hvilken adresse skal jeg bruke for å logge inn?",
        ] {
            assert_eq!(best(t), "question", "{t}");
        }
    }
}
