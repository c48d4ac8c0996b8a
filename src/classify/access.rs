//! The five fields of an access request (SPEC §6): company name, org number, requester name,
//! e-mail and mobile — from labelled lines, tables, free text and signatures, in Norwegian or
//! English — validated and normalised, with what is missing or invalid named.
use super::numbers::{is_valid_org_number, normalise_phone};
use super::text::{head, split_body, READ_LIMIT};
use super::AccessFields;
use crate::mime::Mail;
use regex::Regex;
use std::sync::LazyLock;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

/// Where a value was found; lower is more trustworthy.
const LABELLED: u8 = 0;
const FREE_TEXT: u8 = 1;
const SIGNATURE: u8 = 2;
const FALLBACK: u8 = 3;
const HEADER: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Company,
    Org,
    Name,
    Email,
    /// `true` when the label says mobile (not just telephone).
    Phone(bool),
}

#[derive(Debug, Clone)]
struct Cand {
    value: String,
    prio: u8,
    pos: usize,
    /// For phones: the label said mobile.
    mobile_label: bool,
}

#[derive(Debug, Default)]
struct Found {
    company: Vec<Cand>,
    org: Vec<Cand>,
    name: Vec<Cand>,
    email: Vec<Cand>,
    phone: Vec<Cand>,
}

impl Found {
    fn push(&mut self, field: Field, value: String, prio: u8, pos: usize) {
        let value = value.trim().to_string();
        if value.is_empty() {
            return;
        }
        let (list, mobile_label) = match field {
            Field::Company => (&mut self.company, false),
            Field::Org => (&mut self.org, false),
            Field::Name => (&mut self.name, false),
            Field::Email => (&mut self.email, false),
            Field::Phone(m) => (&mut self.phone, m),
        };
        list.push(Cand {
            value,
            prio,
            pos,
            mobile_label,
        });
    }
}

// --- patterns -------------------------------------------------------------------------------

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"));

/// A phone number as written: optional +47/0047, digits with spaces, dots, dashes.
const PHONE_NUM: &str = r"(?:\+|00)?\d[\d \u{a0}.\-()]{5,18}\d";

static PHONE_ANY: LazyLock<Regex> = LazyLock::new(|| re(PHONE_NUM));

/// An org number with its label anywhere in a line ("org.nr. 968250620", "Org.nr: 936 048 048").
static ORG_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\borg(?:anisasjons)?\.?\s*-?\s*(?:nr|nummer|no|number)\b\.?|organisasjonsnummer(?:et)?|organisasjonsnr\.?|organi[sz]ation(?:al)?\s+(?:number|no\.?|nr\.?)|\borgnr\.?|foretaksnummer|company\s+(?:registration\s+)?(?:number|no\.?))(?:\s*\([^)]*\))?[^\d\n]{0,25}?(?:no\s*)?(?P<num>\d[\d \u{a0}.]{5,14}\d)",
    )
});

/// A phone number with a label or a "call me on" phrase before it.
static PHONE_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)(?P<label>\bmobil\w*|\bmob\b\.?|\bmobile(?:\s+(?:phone|number|no\.?))?|\bcell(?:\s*phone)?|\btlf\b\.?|\btelefon\w*|\btel\b\.?|\bphone(?:\s+number)?|\btelephone|\bsentralbord|\bswitchboard|\bdirekte\b|\bdirect\b|\b(?:nå|treffe|ringe|ring|kontakte|reach|call|contact|text)\s+(?:meg|oss|me|us)\b|\bm\s*:|\bt\s*:)[^\d+\n]{{0,30}}?(?P<num>{PHONE_NUM})"
    ))
});

/// An e-mail address with an e-mail label or phrase before it.
static EMAIL_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:e-?post(?:adresse)?\w*|e-?mail(?:\s+address)?|\bmail\b)[^@\n]{0,40}?(?P<em>[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    )
});

/// "Jeg heter Per-Erik Sandvik", "My name is Emma Clarke".
static NAME_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:(?i:jeg heter|eg heiter|mitt namn er|mitt navn er|navnet mitt er|my name is|undertegnede|this is|dette er|i am|i'm|jeg er))\s+(?P<name>\p{Lu}[\p{L}'’.-]*(?:\s+(?:(?:van|von|de|der|da|af|la|le)\s+)?\p{Lu}[\p{L}'’.-]*){0,3})",
    )
});

/// A company name: capitalised words ending in a legal form, "Stiftelsen X", "X kommune".
static COMPANY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?P<co>(?:\p{Lu}[\p{L}\d'’.&-]*|\d+)(?:[ \u{a0}]+(?:\p{Lu}[\p{L}\d'’.&-]*|&|og|and|of|i|for|av|på|\d+)){0,6}[ \u{a0}]+(?:AS|ASA|SA|ANS|DA|BA|IKS|KF|HF|NUF|SF|BBL|Ltd\.?|Limited|Inc\.?|GmbH|AB|A/S|Oy|LLC|PLC)|Stiftelsen(?:[ \u{a0}]+\p{Lu}[\p{L}'’-]*){1,4}|(?:\p{Lu}[\p{L}'’-]*[ \u{a0}]+){1,3}(?:fylkes)?kommune|(?:\p{Lu}[\p{L}'’-]*[ \u{a0}]+){0,3}\p{Lu}[\p{L}'’-]*(?:sykehus|helseforetak|borettslag|boligbyggelag|sameie|menighet|sokn|forening|foreningen|universitet|høgskole|høyskole))(?:$|[^\p{L}\d])",
    )
});

/// Words before a company name that make it the sender's employer.
static COMPANY_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(jobber|arbeider|ansatt|ansvar\w* for lønn\w*|lønnsansvarlig|på vegne av|on behalf of|work(?:ing)?|employed|representing|representerer|vi i|we at|here at|kontakt(?:person)? (?:i|for|hos))\s+(?:(?:i|hos|for|på|ved|at|in|by|with)\s+)?$",
    )
});

/// A cue and the capitalised words after it.
static COMPANY_AFTER_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:(?i:jobber|arbeider|ansatt|ansvar|ansvarlig)\s+(?:(?i:for lønn(?:en|sarbeidet)?)\s+)?(?i:i|hos|for|på|ved)|(?i:lønnsansvarlig|lønnsmedarbeider|regnskapsansvarlig|daglig leder)\s+(?i:i|hos|for|ved)|(?i:på vegne av|vi i|vi hos|on behalf of|we at|here at)|(?i:work|working|employed)\s+(?i:at|for|by|in))\s+(?P<co>\p{Lu}[\p{L}\d'’.&-]*(?:[ \u{a0}]+(?:\p{Lu}[\p{L}\d'’.&-]*|&|og|and|of)){0,5})",
    )
});

/// Words after a company name that make it the requester ("X AS ønsker tilgang").
static COMPANY_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(\([^)]*\)\s*)?(,\s*)?(ønsker|ønskjer|ber om|vil gjerne|søker|would like|requests?|wishes|is requesting|needs?|trenger)\b",
    )
});

/// Greeting or closing lines that end the body and open the signature.
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(med vennlig hilsen|med vennleg helsing|vennlig hilsen|vennleg helsing|venlig hilsen|med venlig hilsen|beste hilsen|varm hilsen|hilsen|hilsener|helsing|mvh\.?|m\.v\.h\.?|vh|kind regards|best regards|warm regards|warmest regards|kindest regards|regards|best wishes|sincerely|yours sincerely|yours faithfully|yours truly|best|cheers|many thanks|thanks|thank you|takk|tusen takk|takk på forhånd|på forhånd takk|br|rgds)\s*[,.!]*\s*(?P<rest>.*)$",
    )
});

/// Job titles and departments: lines in a signature that are neither name nor company.
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)leder|sjef|direktør|konsulent|rådgiver|ansvarlig|medarbeider|assistent|sekretær|controller|regnskapsfører|økonom|daglig|manager|director|officer|assistant|accountant|consultant|advisor|adviser|specialist|spesialist|coordinator|koordinator|administrator|head of|\bceo\b|\bcfo\b|\bcoo\b|\bhr\b|lønn|payroll|avdeling|seksjon|department|\bteam\b|partner|\beier\b|owner|innehaver|saksbehandler|executive|president|chief|senior|junior|supervisor|kontoret|finance|økonomi|administrasjon|personal|regnskap|accounting|clerk|merkantil|fagarbeider|styreleder|bookkeeper",
    )
});

/// Street addresses and post codes in a signature.
static ADDRESS_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b\d{4}\s+\p{L}|\b(gate|gata|veien|vei|vegen|veg|plass|postboks|pb\.|boks|street|road|avenue|allé)\b|^\p{L}+(gate|gata|veien|vegen|vei|veg)\s+\d",
    )
});

static URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)https?://|www\.|\.(no|com|net|org|example)\b/?\s*$"));

/// Words a person's name never consists of (greetings, pronouns, common sentence starts).
const NOT_NAME_WORDS: &[&str] = &[
    "hei",
    "hallo",
    "hello",
    "hi",
    "dear",
    "kjære",
    "takk",
    "thanks",
    "mvh",
    "hilsen",
    "vi",
    "jeg",
    "we",
    "i",
    "the",
    "our",
    "vår",
    "vårt",
    "med",
    "vennlig",
    "best",
    "kind",
    "regards",
    "sendt",
    "sent",
    "fra",
    "from",
    "til",
    "to",
    "org",
    "tlf",
    "mobil",
    "e-post",
    "epost",
    "email",
    "e-mail",
    "telefon",
    "phone",
    "mobile",
    "firma",
    "bedrift",
    "company",
    "navn",
    "name",
    "ok",
    "god",
    "good",
    "morgen",
    "morning",
    "dag",
    "ettermiddag",
    "vedlagt",
    "attached",
    "se",
    "see",
    "please",
    "vennligst",
    "forbundet",
    "medlemsservice",
];

/// Leading words dropped from a company match ("Vi i Acme AS" → "Acme AS").
const COMPANY_LEADING_NOISE: &[&str] = &[
    "i",
    "vi",
    "fra",
    "hos",
    "for",
    "hei",
    "dear",
    "the",
    "we",
    "our",
    "at",
    "til",
    "på",
    "og",
    "jeg",
    "mvh",
    "hilsen",
    "med",
    "både",
    "and",
    "of",
    "av",
    "in",
    "on",
    "by",
    "to",
    "from",
    "with",
    "hello",
    "hi",
    "kjære",
    "firma",
    "firmanavn",
    "bedrift",
    "company",
    "virksomhet",
    "arbeidsgiver",
    "employer",
];

// --- labels ---------------------------------------------------------------------------------

static LABEL_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^(.{0,20}\b)?(e-?post|epost|e-?mail|email|mail)(adresse|address)?\b")
});
static LABEL_ORG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\borg\.?\s*-?\s*(nr|nummer|no|number)\b|organisasjonsn|\borgnr|foretaksn|organi[sz]ation(al)?\s+(number|no|nr|id)|registration\s+(number|no)|company\s+(number|no|reg|registration|id)|business\s+(number|id)|^org$|vat\s+(number|no)|mva-?nr",
    )
});
static LABEL_PHONE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(mobil\w*|mob|mobile|cell\w*|tlf|telefon\w*|tel|phone|telephone|direkte|direct|kontakttelefon|sentralbord|switchboard|m|t)\b",
    )
});
static LABEL_COMPANY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)firma|bedrift|virksomhet|arbeidsgiver|selskap|foretak|organisasjon|company|employer|organi[sz]ation|business|kundenavn|juridisk navn|legal name|registered name|^kunde$|^arbeidsstad$|^arbeidssted$",
    )
});
static LABEL_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bnavn\b|\bnavnet\b|\bnamn\b|\bname\b|fornavn|etternavn|kontaktperson|contact person|^kontakt$|^contact$|^requester|^requested by|^applicant|^søker$|^bestiller$|^innsender$|^ansvarlig$|^bruker$|^user$|^person$|^sender$",
    )
});

/// What a label names, if anything.
fn label_kind(label: &str) -> Option<Field> {
    let l: String = label
        .trim()
        .trim_matches(['*', '_', '-', '•', ' '])
        .trim_end_matches([':', '.', ' '])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if l.is_empty() || l.chars().count() > 40 {
        return None;
    }
    if l.contains("faks") || l.contains("fax") {
        return None;
    }
    if LABEL_ORG.is_match(&l) {
        return Some(Field::Org);
    }
    if LABEL_EMAIL.is_match(&l) {
        return Some(Field::Email);
    }
    if LABEL_PHONE.is_match(&l) {
        let mobile = l.contains("mob") || l.contains("cell") || l == "m";
        return Some(Field::Phone(mobile));
    }
    if LABEL_COMPANY.is_match(&l) && !l.contains("kontakt") && !l.contains("contact") {
        return Some(Field::Company);
    }
    if LABEL_NAME.is_match(&l) {
        return Some(Field::Name);
    }
    None
}

// --- extraction -----------------------------------------------------------------------------

/// Extract the access-request fields of a mail (SPEC §6).
pub fn extract_access(mail: &Mail) -> AccessFields {
    let own = own_side_addresses(mail);
    let sections = split_body(head(&mail.text, READ_LIMIT), &mail.subject);
    let mut lines: Vec<String> = sections.fresh.lines().map(str::to_string).collect();
    // A forwarded request carries its data in the forwarded part.
    if super::text::is_forward_subject(&mail.subject) || sections.fresh.trim().len() < 40 {
        lines.extend(sections.forwarded.lines().map(str::to_string));
    }
    let subject_pos = lines.len();
    lines.push(mail.subject.clone());

    let mut found = Found::default();
    scan_lines(&lines, &mut found, &own, subject_pos);
    header_fallbacks(mail, &mut found);
    let mut fields = choose(&found, mail);

    // The HTML alternative can hold what the plain one lost (tables).
    if !fields.missing.is_empty() && !mail.html_text.trim().is_empty() {
        let html_sections = split_body(head(&mail.html_text, READ_LIMIT), &mail.subject);
        let html_lines: Vec<String> = html_sections.fresh.lines().map(str::to_string).collect();
        let mut html_found = Found::default();
        scan_lines(&html_lines, &mut html_found, &own, usize::MAX);
        header_fallbacks(mail, &mut html_found);
        let from_html = choose(&html_found, mail);
        fields = merge_access(&fields, &from_html);
    }
    fields
}

/// Addresses on the union's side (the recipients): never the e-mail to register.
fn own_side_addresses(mail: &Mail) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in &mail.headers {
        if matches!(
            name.as_str(),
            "to" | "cc" | "delivered-to" | "x-original-to" | "envelope-to"
        ) {
            out.extend(EMAIL.find_iter(value).map(|m| m.as_str().to_lowercase()));
        }
    }
    if let Some(from) = &mail.from_address {
        out.retain(|a| a != from);
    }
    out
}

fn clean_line(line: &str) -> String {
    // Tabs separate table cells in plain renderings of tables.
    let l = line
        .replace('\t', " | ")
        .replace('\u{a0}', " ")
        .replace("**", "")
        .replace('\u{200b}', "");
    let l = l.trim().trim_matches(['|', ' ']);
    // The signature delimiter "-- " stays recognisable.
    if l == "--" {
        return l.to_string();
    }
    let l = l.trim_start_matches(['-', '*', '•', '·', '–', '>']).trim();
    l.to_string()
}

/// Scan the lines for labelled values, inline phrases, company names and a signature.
fn scan_lines(lines: &[String], found: &mut Found, own: &[String], subject_pos: usize) {
    let cleaned: Vec<String> = lines.iter().map(|l| clean_line(l)).collect();
    let body_end = subject_pos.min(cleaned.len());
    // The closing line ("Mvh") and what follows it.
    let sig_from =
        signature_start(&cleaned[..body_end]).map_or(usize::MAX, |(s, _)| s.saturating_sub(1));
    let mut pending_label: Option<Field> = None;

    for (pos, line) in cleaned.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let is_subject = pos == subject_pos;

        // A label alone on its line; its value is on the next one.
        if let Some(field) = pending_label.take() {
            if label_kind(line.trim_end_matches(':')).is_none() || field == Field::Company {
                take_labelled(found, field, line, pos, own);
                continue;
            }
        }
        if !is_subject && line.len() <= 42 && line.ends_with(':') {
            if let Some(field) = label_kind(line.trim_end_matches(':')) {
                pending_label = Some(field);
                continue;
            }
        }
        if !is_subject
            && !line.contains([':', '|', '@'])
            && !line.chars().any(|c| c.is_ascii_digit())
            && line.split_whitespace().count() <= 4
            && line.len() <= 42
        {
            // A table cell turned into a line of its own: "Firma" then "Acme AS".
            if let Some(field) = label_kind(line) {
                pending_label = Some(field);
                continue;
            }
        }

        // Labelled pairs: "Label: value", "Label | value", "Label<TAB>value".
        if !is_subject {
            labelled_pairs(line, pos, found, own);
        }

        // Inline phrases anywhere in the line.
        for caps in ORG_INLINE.captures_iter(line) {
            if let Some(num) = caps.name("num") {
                found.push(Field::Org, org_digits(num.as_str()), FREE_TEXT, pos);
            }
        }
        for caps in PHONE_INLINE.captures_iter(line) {
            let label = caps.name("label").map_or("", |m| m.as_str()).to_lowercase();
            if let Some(num) = caps.name("num") {
                if looks_like_org_number_context(line, num.start()) {
                    continue;
                }
                let mobile =
                    label.starts_with("mob") || label.starts_with("cell") || label.starts_with('m');
                let prio = if label.contains("sentralbord") || label.contains("switchboard") {
                    FALLBACK
                } else {
                    FREE_TEXT
                };
                found.push(Field::Phone(mobile), num.as_str().to_string(), prio, pos);
            }
        }
        for caps in EMAIL_INLINE.captures_iter(line) {
            if let Some(em) = caps.name("em") {
                let e = em.as_str().to_lowercase();
                if !own.contains(&e) {
                    found.push(Field::Email, e, FREE_TEXT, pos);
                }
            }
        }
        for caps in NAME_INLINE.captures_iter(line) {
            let Some(m) = caps.name("name") else { continue };
            // "Jeg er Lønnsansvarlig", "Dette er Acme AS": a title or a company, no name.
            if TITLE.is_match(m.as_str()) || COMPANY.is_match(m.as_str()) {
                continue;
            }
            if let Some(name) = clean_name(m.as_str()) {
                found.push(Field::Name, name, FREE_TEXT, pos);
            }
        }
        company_mentions(line, pos, found, is_subject);
        // Bare e-mail addresses in the message itself are given explicitly, though without a
        // label; one in a signature is the company's contact address, not a request.
        if pos < sig_from || pos == subject_pos {
            for m in EMAIL.find_iter(line) {
                let e = m.as_str().to_lowercase();
                if !own.contains(&e) {
                    found.push(Field::Email, e, SIGNATURE, pos);
                }
            }
        }
        bare_numbers(line, pos, found);
    }

    // A labelled e-mail inside the signature counts less than one in the message.
    for c in found.email.iter_mut() {
        if c.pos >= sig_from && c.pos != subject_pos && c.prio < SIGNATURE {
            c.prio = SIGNATURE;
        }
    }
    signature(&cleaned, found, subject_pos);
}

/// "Label: value" and table rows "Label | value | Label | value".
fn labelled_pairs(line: &str, pos: usize, found: &mut Found, own: &[String]) {
    if line.contains('|') {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let mut i = 0;
        while i + 1 < cells.len() {
            let label = cells[i].trim_end_matches(':');
            if let Some(field) = label_kind(label) {
                if label_kind(cells[i + 1].trim_end_matches(':')).is_none() {
                    take_labelled(found, field, cells[i + 1], pos, own);
                    i += 2;
                    continue;
                }
            }
            i += 1;
        }
        // A cell may itself be "Label: value".
        for cell in &cells {
            if let Some((label, value)) = split_label(cell) {
                if let Some(field) = label_kind(label) {
                    take_labelled(found, field, value, pos, own);
                }
            }
        }
        return;
    }
    if let Some((label, value)) = split_label(line) {
        if let Some(field) = label_kind(label) {
            take_labelled(found, field, value, pos, own);
            return;
        }
    }
    // "Firma      Acme AS": a table row laid out with spaces.
    if let Some((label, value)) = line.split_once("  ") {
        if let Some(field) = label_kind(label) {
            take_labelled(found, field, value.trim(), pos, own);
        }
    }
}

/// Split "Label: value" (or "Label<TAB>value", "Label = value") when the label is short.
fn split_label(line: &str) -> Option<(&str, &str)> {
    for sep in [":", "\t", " = ", " – ", " - "] {
        if let Some((label, value)) = line.split_once(sep) {
            // "http://…" and times are no labels.
            if value.starts_with("//") || label.trim().chars().count() > 40 {
                continue;
            }
            let value = value.trim();
            if !value.is_empty() {
                return Some((label.trim(), value));
            }
        }
    }
    None
}

/// Record a labelled value, re-routing it when it plainly is something else.
fn take_labelled(found: &mut Found, field: Field, value: &str, pos: usize, own: &[String]) {
    let value = value.trim().trim_matches(['*', '_']).trim();
    if value.is_empty() {
        return;
    }
    match field {
        Field::Email => {
            if let Some(m) = EMAIL.find(value) {
                let e = m.as_str().to_lowercase();
                if !own.contains(&e) {
                    found.push(Field::Email, e, LABELLED, pos);
                }
            }
        }
        Field::Org => {
            let digits = org_digits(value);
            if !digits.is_empty() {
                found.push(Field::Org, digits, LABELLED, pos);
            } else if let Some(c) = clean_company(value) {
                // "Org: Acme AS" names the organisation, not its number.
                found.push(Field::Company, c, LABELLED, pos);
            }
        }
        Field::Phone(mobile) => {
            if let Some(m) = PHONE_ANY.find(value) {
                found.push(Field::Phone(mobile), m.as_str().to_string(), LABELLED, pos);
            }
        }
        Field::Company => {
            if let Some(c) = clean_company(value) {
                found.push(Field::Company, c, LABELLED, pos);
            }
        }
        Field::Name => {
            // "Kontakt: 917 23 456" or "Kontaktperson: kari@x.no": route by content.
            if let Some(m) = EMAIL.find(value) {
                let e = m.as_str().to_lowercase();
                if !own.contains(&e) {
                    found.push(Field::Email, e, LABELLED, pos);
                }
            }
            let name_part = value
                .split([',', '(', '/', ';'])
                .next()
                .unwrap_or(value)
                .trim();
            if let Some(n) = clean_name(name_part) {
                found.push(Field::Name, n, LABELLED, pos);
            }
        }
    }
}

/// The digits of an org number as written ("NO 936 048 048 MVA", "936.048.048").
fn org_digits(value: &str) -> String {
    let mut digits = String::new();
    let mut started = false;
    for ch in value.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            started = true;
            if digits.len() == 9 {
                // Stop at nine unless the number visibly goes on without a break.
                continue;
            }
        } else if started && !matches!(ch, ' ' | '.' | '\u{a0}' | '-') {
            break;
        }
        if digits.len() > 9 && !ch.is_ascii_digit() {
            break;
        }
    }
    // "936 048 048 917 23 456" — a run longer than nine whose first nine form a number
    // grouped 3-3-3 is that number followed by something else.
    if digits.len() > 9 {
        let grouped: Vec<&str> = value
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .collect();
        let mut acc = String::new();
        for g in grouped {
            acc.push_str(g);
            if acc.len() >= 9 {
                break;
            }
        }
        if acc.len() == 9 {
            return acc;
        }
    }
    digits
}

fn looks_like_org_number_context(line: &str, num_start: usize) -> bool {
    let before = line[..num_start].to_lowercase();
    let tail: String = before
        .chars()
        .rev()
        .take(25)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    ORG_INLINE.is_match(&format!("{tail}123456789"))
        && !tail.contains("tlf")
        && !tail.contains("mob")
}

/// Company names written in running text or in the subject.
fn company_mentions(line: &str, pos: usize, found: &mut Found, is_subject: bool) {
    // "jobber i Grønli Barnehager": after a cue the name needs no legal form.
    if !is_subject {
        for caps in COMPANY_AFTER_CUE.captures_iter(line) {
            if let Some(c) = caps.name("co").and_then(|m| clean_company(m.as_str())) {
                if !TITLE.is_match(&c) || COMPANY.is_match(&c) {
                    found.push(Field::Company, c, FREE_TEXT, pos);
                }
            }
        }
    }
    for caps in COMPANY.captures_iter(line) {
        let Some(m) = caps.name("co") else { continue };
        let Some(name) = clean_company(m.as_str()) else {
            continue;
        };
        let before = &line[..m.start()];
        let after = &line[m.end()..];
        let cued = COMPANY_CUE.is_match(before) || COMPANY_SUBJECT.is_match(after);
        let prio = if cued && !is_subject {
            FREE_TEXT
        } else {
            FALLBACK
        };
        found.push(Field::Company, name, prio, pos);
    }
}

/// Numbers without labels: a valid org number, a valid mobile.
fn bare_numbers(line: &str, pos: usize, found: &mut Found) {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let plus = start > 0 && chars[start - 1] == '+';
        let mut groups: Vec<String> = Vec::new();
        let mut cur = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                cur.push(c);
                i += 1;
            } else if matches!(c, ' ' | '\u{a0}' | '.' | '-')
                && !cur.is_empty()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
            {
                groups.push(std::mem::take(&mut cur));
                i += 1;
            } else {
                break;
            }
        }
        if !cur.is_empty() {
            groups.push(cur);
        }
        let all: String = groups.concat();
        let glued_to_letters = start > 0 && chars[start - 1].is_alphanumeric();
        if glued_to_letters {
            continue;
        }
        if !plus && all.len() == 9 && is_valid_org_number(&all) {
            found.push(Field::Org, all.clone(), FALLBACK, pos);
            continue;
        }
        let candidate = if plus { format!("+{all}") } else { all.clone() };
        if let Some((_, true)) = normalise_phone(&candidate) {
            if (8..=12).contains(&all.len()) {
                found.push(Field::Phone(false), candidate, FALLBACK, pos);
            }
        }
    }
}

/// Read the signature: the lines after "Mvh"/"Med vennlig hilsen"/"Best regards" (or after a
/// "-- " delimiter): name line, title, company line, phone lines.
/// Where the signature begins: the line after the closing ("Mvh", "Best regards", "-- "),
/// with a name written on the closing line itself; or the last paragraph when it starts
/// with a name.
fn signature_start(body: &[String]) -> Option<(usize, Option<String>)> {
    for (i, line) in body.iter().enumerate().rev() {
        if let Some(caps) = CLOSING.captures(line) {
            let rest = caps.name("rest").map_or("", |m| m.as_str()).trim();
            if rest.is_empty() {
                return Some((i + 1, None));
            }
            if let Some(n) = clean_name(rest) {
                return Some((i + 1, Some(n)));
            }
        }
        if line.trim() == "--" {
            return Some((i + 1, None));
        }
    }
    let mut s = body.len();
    while s > 0 && !body[s - 1].trim().is_empty() {
        s -= 1;
    }
    let para = &body[s..];
    (s > 0 && para.len() >= 2 && para.first().is_some_and(|l| clean_name(l).is_some()))
        .then_some((s, None))
}

fn signature(lines: &[String], found: &mut Found, subject_pos: usize) {
    let body_end = subject_pos.min(lines.len());
    let body = &lines[..body_end];
    let Some((start, first_name)) = signature_start(body) else {
        return;
    };

    let sig: Vec<(usize, &String)> = body
        .iter()
        .enumerate()
        .skip(start)
        .filter(|(_, l)| !l.trim().is_empty() && l.trim() != "--")
        .take(10)
        .collect();

    let mut name: Option<(String, usize)> = first_name.map(|n| (n, start.saturating_sub(1)));
    let mut company_done = false;
    let mut weak_company: Option<(String, usize)> = None;
    for (k, (pos, line)) in sig.iter().enumerate() {
        let line = line.trim();
        if line.len() > 120 {
            break;
        }
        if EMAIL.is_match(line) || URL.is_match(line) {
            continue;
        }
        if line.chars().any(|c| c.is_ascii_digit()) {
            // Phones and org numbers are read by the line scanners; addresses are skipped.
            continue;
        }
        // Name line (a first name after "Hilsen" may be completed by the full name below).
        let name_part = line
            .split(['|', ',', '/', '('])
            .next()
            .unwrap_or(line)
            .trim();
        if let Some(n) = clean_name(name_part) {
            if COMPANY.find(name_part).is_none() && !TITLE.is_match(name_part) {
                match &name {
                    None if k <= 1 => {
                        name = Some((n, *pos));
                        continue;
                    }
                    Some((existing, _)) if extends_name(existing, &n) => {
                        name = Some((n, *pos));
                        continue;
                    }
                    _ => {}
                }
            }
        }
        // "Økonomimedarbeider, Fjordtrans Logistikk AS": parts of a line.
        let mut took = false;
        for part in line.split([',', '|', '/']).map(str::trim) {
            if let Some(m) = COMPANY.captures(part).and_then(|c| c.name("co")) {
                if let Some(c) = clean_company(m.as_str()) {
                    if !company_done {
                        found.push(Field::Company, c, SIGNATURE, *pos);
                        company_done = true;
                    }
                    took = true;
                }
            }
        }
        if took {
            continue;
        }
        if TITLE.is_match(line) || ADDRESS_LINE.is_match(line) {
            continue;
        }
        // Any other short capitalised line after the name may be the company.
        if name.is_some()
            && weak_company.is_none()
            && line.split_whitespace().count() <= 6
            && line.chars().next().is_some_and(char::is_uppercase)
        {
            weak_company = Some((line.to_string(), *pos));
        }
    }
    if let Some((n, pos)) = name {
        found.push(Field::Name, n, SIGNATURE, pos);
    }
    if !company_done {
        if let Some((c, pos)) = weak_company {
            if let Some(c) = clean_company(&c) {
                found.push(Field::Company, c, FALLBACK, pos);
            }
        }
    }
}

/// "Siv" → "Siv Moen": the later line is the same person written in full.
fn extends_name(short: &str, long: &str) -> bool {
    let s: Vec<&str> = short.split_whitespace().collect();
    let l: Vec<&str> = long.split_whitespace().collect();
    l.len() > s.len() && s.iter().zip(&l).all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// From display name as a last resort for the requester's name, and as a company when it is
/// one ("Nordlys Bakeri AS Regnskap").
fn header_fallbacks(mail: &Mail, found: &mut Found) {
    if let Some(display) = &mail.from_name {
        // Directory style "Berg, Hanne" reads "Hanne Berg".
        let swapped = display.split_once(',').and_then(|(last, first)| {
            let (l, f) = (clean_name(last)?, clean_name(first)?);
            Some(format!("{f} {l}"))
        });
        let display = swapped.as_ref().unwrap_or(display);
        if let Some(m) = COMPANY.captures(display).and_then(|c| c.name("co")) {
            if let Some(c) = clean_company(m.as_str()) {
                found.push(Field::Company, c, HEADER, usize::MAX);
            }
        } else if let Some(n) = clean_name(display) {
            if !TITLE.is_match(display) {
                found.push(Field::Name, n, HEADER, usize::MAX);
            }
        }
    }
}

/// A person's name, tidied, or `None` when the text is not one.
fn clean_name(s: &str) -> Option<String> {
    let s = s
        .trim()
        .trim_matches(['"', '\'', ',', '.', ';', ':', '!', '*', '(', ')'])
        .trim();
    // "Kari Holm (lønn)" → "Kari Holm"
    let s = s.split(['(', ',', '|', '/']).next().unwrap_or(s).trim();
    if s.is_empty() || s.chars().count() > 60 {
        return None;
    }
    if s.chars()
        .any(|c| c.is_ascii_digit() || c == '@' || c == ':')
    {
        return None;
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.is_empty() || words.len() > 5 {
        return None;
    }
    let particles = [
        "van", "von", "de", "der", "da", "af", "la", "le", "du", "di", "bin",
    ];
    let mut capitals = 0;
    for w in &words {
        let lw = w.to_lowercase();
        if NOT_NAME_WORDS.contains(&lw.trim_matches(['.', ','])) {
            return None;
        }
        let first = w.chars().next()?;
        if first.is_uppercase() {
            capitals += 1;
            // All-caps words longer than 3 are acronyms or shouting, not names.
            if w.chars().count() > 3 && w.chars().all(|c| !c.is_lowercase()) {
                return None;
            }
        } else if !particles.contains(&lw.as_str()) {
            return None;
        }
        if !w
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'))
        {
            return None;
        }
    }
    if capitals == 0 {
        return None;
    }
    Some(words.join(" "))
}

/// A company name, tidied: no parenthetical org number, no trailing punctuation, no leading
/// function words.
fn clean_company(s: &str) -> Option<String> {
    let mut s = s.trim().to_string();
    // Drop "(org.nr …)" and ", org.nr …" tails.
    if let Some(i) = s.find('(') {
        s.truncate(i);
    }
    for cut in [
        ", org",
        " org.nr",
        " org nr",
        " orgnr",
        " - org",
        ", organisasjonsnummer",
        " organisasjonsnummer",
    ] {
        if let Some(i) = s.to_lowercase().find(cut) {
            if s.is_char_boundary(i) {
                s.truncate(i);
            }
        }
    }
    let s = s
        .trim()
        .trim_end_matches([',', '.', ';', ':', '-', '–'])
        .trim();
    let mut words: Vec<&str> = s.split_whitespace().collect();
    while words
        .last()
        .is_some_and(|w| matches!(*w, "og" | "and" | "of" | "&" | "i" | "for"))
    {
        words.pop();
    }
    while words.len() > 1
        && COMPANY_LEADING_NOISE.contains(&words[0].to_lowercase().trim_matches([',', ':']))
    {
        words.remove(0);
    }
    if words.is_empty() {
        return None;
    }
    let out = words.join(" ");
    if out.chars().count() > 100 || out.chars().count() < 2 || out.contains('@') {
        return None;
    }
    if !out.chars().any(char::is_alphabetic) {
        return None;
    }
    Some(out)
}

// --- choosing and validating -----------------------------------------------------------------

fn best(cands: &[Cand], key: impl Fn(&Cand) -> (u8, u8, usize)) -> Option<&Cand> {
    cands.iter().min_by_key(|c| key(c))
}

fn choose(found: &Found, mail: &Mail) -> AccessFields {
    let company = best(&found.company, |c| (c.prio, 0, c.pos)).map(|c| c.value.clone());

    let org = best(&found.org, |c| {
        (u8::from(!is_valid_org_number(&c.value)), c.prio, c.pos)
    })
    .map(|c| c.value.clone());

    let mut name = best(&found.name, |c| (c.prio, 0, c.pos)).map(|c| c.value.clone());
    // A first name alone is completed by a fuller form of it found elsewhere.
    if let Some(n) = name.as_ref().filter(|n| !n.contains(' ')) {
        if let Some(longer) = found
            .name
            .iter()
            .filter(|c| extends_name(n, &c.value))
            .min_by_key(|c| (c.prio, c.pos))
        {
            name = Some(longer.value.clone());
        }
    }

    let email = best(&found.email, |c| (c.prio, 0, c.pos))
        .map(|c| c.value.clone())
        .or_else(|| mail.from_address.clone().or_else(|| mail.reply_to.clone()))
        .map(|e| e.to_lowercase());

    let mobile = best(&found.phone, |c| {
        let valid = normalise_phone(&c.value).is_some_and(|(_, v)| v);
        (
            u8::from(!valid),
            c.prio * 2 + u8::from(!c.mobile_label),
            c.pos,
        )
    })
    .and_then(|c| normalise_phone(&c.value))
    .map(|(n, _)| n);

    finalise(AccessFields {
        company_name: company,
        org_number: org,
        requester_name: name,
        email,
        mobile,
        missing: Vec::new(),
    })
}

fn is_valid_email(e: &str) -> bool {
    EMAIL.find(e).is_some_and(|m| m.as_str().len() == e.len())
}

fn valid_mobile(m: &str) -> bool {
    normalise_phone(m).is_some_and(|(n, v)| v && n == m)
}

fn present(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// Recompute `missing`: fields absent or invalid, in the order of SPEC §6.
pub fn finalise(mut f: AccessFields) -> AccessFields {
    let mut missing = Vec::new();
    if !present(&f.company_name) {
        missing.push("company_name".to_string());
    }
    if !f.org_number.as_deref().is_some_and(is_valid_org_number) {
        missing.push("org_number".to_string());
    }
    if !present(&f.requester_name) {
        missing.push("requester_name".to_string());
    }
    if !f.email.as_deref().is_some_and(is_valid_email) {
        missing.push("email".to_string());
    }
    if !f.mobile.as_deref().is_some_and(valid_mobile) {
        missing.push("mobile".to_string());
    }
    f.missing = missing;
    f
}

/// Combine a `needs_info` request with the follow-up that completes it: a later valid value
/// fills a missing or invalid one; earlier valid values stay.
pub fn merge_access(earlier: &AccessFields, later: &AccessFields) -> AccessFields {
    fn pick(
        earlier: &Option<String>,
        later: &Option<String>,
        valid: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let e_ok = earlier.as_deref().is_some_and(&valid);
        let l_ok = later.as_deref().is_some_and(&valid);
        match (e_ok, l_ok) {
            (true, _) => earlier.clone(),
            (false, true) => later.clone(),
            // Both invalid or absent: the newer attempt is the one to report.
            (false, false) => later.clone().or_else(|| earlier.clone()),
        }
    }
    let text = |s: &str| !s.trim().is_empty();
    finalise(AccessFields {
        company_name: pick(&earlier.company_name, &later.company_name, text),
        org_number: pick(&earlier.org_number, &later.org_number, is_valid_org_number),
        requester_name: pick(&earlier.requester_name, &later.requester_name, text),
        email: pick(&earlier.email, &later.email, is_valid_email),
        mobile: pick(&earlier.mobile, &later.mobile, valid_mobile),
        missing: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(from: &str, name: &str, subject: &str, text: &str) -> Mail {
        Mail {
            subject: subject.into(),
            from_address: Some(from.into()),
            from_name: Some(name.into()),
            headers: vec![("to".into(), "trekklister@union.example".into())],
            text: text.into(),
            own_text: text.into(),
            ..Default::default()
        }
    }

    fn fields(c: &str, o: &str, n: &str, e: &str, m: &str, missing: &[&str]) -> AccessFields {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        AccessFields {
            company_name: opt(c),
            org_number: opt(o),
            requester_name: opt(n),
            email: opt(e),
            mobile: opt(m),
            missing: missing.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn labelled_norwegian() {
        let m = mail(
            "mette@gronli.example",
            "Mette Grønli",
            "Tilgang til Winorg trekksentral",
            "Hei,\n\nVi ønsker tilgang.\n\nFirmanavn: Grønli Barnehager AS\nOrg.nr.: 936 048 048\nKontaktperson: Mette Grønli\nE-post: Mette@Gronli.example\nMobil: 917 23 456\n\nMed vennlig hilsen\nMette Grønli\nDaglig leder\nGrønli Barnehager AS\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Grønli Barnehager AS",
                "936048048",
                "Mette Grønli",
                "mette@gronli.example",
                "+4791723456",
                &[]
            )
        );
    }

    #[test]
    fn labelled_english_other_email() {
        let m = mail(
            "emma@nordkyst.example",
            "Emma Clarke",
            "Access to Winorg trekksentral",
            "Dear Sir or Madam,\n\nWe would like to request access.\n\nCompany: Nordkyst Shipping ASA\nOrganisation number: 980328465\nContact person: Emma Clarke\nE-mail: payroll@nordkyst.example\nMobile: +47 976 54 321\n\nKind regards,\nEmma Clarke\nHR Manager\nNordkyst Shipping ASA\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Nordkyst Shipping ASA",
                "980328465",
                "Emma Clarke",
                "payroll@nordkyst.example",
                "+4797654321",
                &[]
            )
        );
    }

    #[test]
    fn free_text_norwegian() {
        let m = mail(
            "per-erik@kystmat.example",
            "Per-Erik Sandvik",
            "Winorg trekksentral",
            "Hei!\n\nJeg heter Per-Erik Sandvik og har ansvar for lønn i Kystmat Servering AS (org.nr. 968250620). Vi vil gjerne få tilgang til trekksentralen. Dere kan nå meg på 48 12 34 56 eller på denne e-postadressen.\n\nVennlig hilsen\nPer-Erik\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Kystmat Servering AS",
                "968250620",
                "Per-Erik Sandvik",
                "per-erik@kystmat.example",
                "+4748123456",
                &[]
            )
        );
    }

    #[test]
    fn free_text_english() {
        let m = mail(
            "j.doe@fjord.example",
            "",
            "Login for trekksentral",
            "Hello,\n\nMy name is John Doe and I work at Fjord Fisk AS, organisation number 936 048 048. Please give us a login. My mobile is 0047 912 34 567.\n\nThanks\n",
        );
        let f = extract_access(&m);
        assert_eq!(
            f,
            fields(
                "Fjord Fisk AS",
                "936048048",
                "John Doe",
                "j.doe@fjord.example",
                "+4791234567",
                &[]
            )
        );
    }

    #[test]
    fn signature_only() {
        let m = mail(
            "anne@linde.example",
            "Anne Marit Berg",
            "Ønsker tilgang til trekksentralen",
            "Hei,\n\nVi ønsker tilgang til trekksentralen. Kontaktinformasjonen står nedenfor.\n\nMed vennlig hilsen\n\nAnne Marit Berg\nØkonomikonsulent\nStiftelsen Lindegården\nOrg.nr. 951 084 859\nMobil: +47 412 34 567\nE-post: anne@linde.example\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Stiftelsen Lindegården",
                "951084859",
                "Anne Marit Berg",
                "anne@linde.example",
                "+4741234567",
                &[]
            )
        );
    }

    #[test]
    fn signature_english_with_landline_and_mobile() {
        let m = mail(
            "ola@havet.example",
            "Ola",
            "Access request",
            "Hi,\n\nPlease create a user for us in Winorg trekksentral. Our org. no. is 958680538.\n\nBest regards\nOla Havet\nPayroll Officer | Havet Sjømat AS\nT: +47 22 45 67 80\nM: +47 930 12 345\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Havet Sjømat AS",
                "958680538",
                "Ola Havet",
                "ola@havet.example",
                "+4793012345",
                &[]
            )
        );
    }

    #[test]
    fn table_rows() {
        let m = mail(
            "kari@x.example",
            "Kari",
            "Tilgang",
            "Hei, vi ønsker tilgang til Winorg trekksentral.\n\nBedrift | Solberg Renhold AS\nOrganisasjonsnummer | 937 633 912\nNavn | Kari Holm\nE-post | kari.holm@x.example\nMobil | 452 18 930\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Solberg Renhold AS",
                "937633912",
                "Kari Holm",
                "kari.holm@x.example",
                "+4745218930",
                &[]
            )
        );
    }

    #[test]
    fn label_and_value_on_separate_lines() {
        let m = mail(
            "kari@x.example",
            "",
            "Tilgang",
            "Firma:\nSolberg Renhold AS\nOrg.nr.:\n937633912\nNavn:\nKari Holm\nMobil:\n45218930\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Solberg Renhold AS",
                "937633912",
                "Kari Holm",
                "kari@x.example",
                "+4745218930",
                &[]
            )
        );
    }

    #[test]
    fn invalid_values_are_kept_and_named() {
        let m = mail(
            "t@k.example",
            "Torbjørn Eide",
            "Tilgang trekksentral",
            "Virksomhet: Bjørkedal kommune\nOrg.nr: 933 199 801\nNavn: Torbjørn Eide\nTlf: 22 45 67 80\n",
        );
        let f = extract_access(&m);
        assert_eq!(f.org_number.as_deref(), Some("933199801"));
        assert_eq!(f.mobile.as_deref(), Some("+4722456780"));
        assert_eq!(f.missing, vec!["org_number", "mobile"]);
    }

    #[test]
    fn missing_mobile() {
        let m = mail(
            "jorunn@myrvoll.example",
            "Jorunn Myrvoll",
            "Søknad om tilgang",
            "Firma: Myrvoll Transport AS\nOrganisasjonsnummer: 991330461\nNavn: Jorunn Myrvoll\nE-post: jorunn@myrvoll.example\n\nMvh\nJorunn Myrvoll\nMyrvoll Transport AS\n",
        );
        let f = extract_access(&m);
        assert_eq!(f.mobile, None);
        assert_eq!(f.missing, vec!["mobile"]);
    }

    #[test]
    fn merge_fills_missing() {
        let earlier = fields(
            "Myrvoll Transport AS",
            "991330461",
            "Jorunn Myrvoll",
            "j@m.example",
            "",
            &["mobile"],
        );
        let later = fields("", "", "Jorunn", "j@m.example", "+4793456789", &[]);
        let merged = merge_access(&earlier, &finalise(later));
        assert_eq!(
            merged,
            fields(
                "Myrvoll Transport AS",
                "991330461",
                "Jorunn Myrvoll",
                "j@m.example",
                "+4793456789",
                &[]
            )
        );
    }

    #[test]
    fn merge_replaces_invalid() {
        let earlier = finalise(fields(
            "X AS",
            "933199801",
            "A B",
            "a@b.example",
            "+4722456780",
            &[],
        ));
        let later = finalise(fields(
            "",
            "936048048",
            "",
            "a@b.example",
            "+4791723456",
            &[],
        ));
        let merged = merge_access(&earlier, &later);
        assert_eq!(merged.org_number.as_deref(), Some("936048048"));
        assert_eq!(merged.mobile.as_deref(), Some("+4791723456"));
        assert!(merged.missing.is_empty());
    }

    #[test]
    fn follow_up_with_mobile_only() {
        let m = mail(
            "jorunn@myrvoll.example",
            "Jorunn Myrvoll",
            "Re: Søknad om tilgang – Winorg trekksentral",
            "Hei,\n\nMobilnummeret mitt er 934 56 789.\n\nMvh\nJorunn\n\nDen 10.11.2026 09:41, skrev Forbundet Medlemsservice:\n> Takk for forespørselen om tilgang for Myrvoll Transport AS.\n> Tlf. 23 06 10 00\n",
        );
        let f = extract_access(&m);
        assert_eq!(f.mobile.as_deref(), Some("+4793456789"));
        assert_eq!(f.company_name, None);
        assert_eq!(f.requester_name.as_deref(), Some("Jorunn Myrvoll"));
    }

    #[test]
    fn signature_with_pipes_and_two_phones() {
        let m = mail(
            "ola@fjordkraft.example",
            "Ola Nordmann",
            "Tilgang til trekksentralen",
            "Hei,\n\nVi ønsker tilgang til Winorg trekksentral. Organisasjonsnummeret vårt er 958 680 538.\n\nMed vennlig hilsen\n\nOla Nordmann | Lønnsansvarlig\nFjordkraft Bygg AS\nTlf: 22 33 44 55 | Mob: 934 56 789\nola@fjordkraft.example | www.fjordkraft.example\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Fjordkraft Bygg AS",
                "958680538",
                "Ola Nordmann",
                "ola@fjordkraft.example",
                "+4793456789",
                &[]
            )
        );
    }

    #[test]
    fn tab_separated_plain_table() {
        let m = mail(
            "kari@x.example",
            "",
            "Tilgang",
            "Opplysninger:\n\nFirma\tSolberg Renhold AS\nOrg.nr.\t937 633 912\nNavn\tKari Holm\nE-post\tkari.holm@x.example\nMobil\t452 18 930\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Solberg Renhold AS",
                "937633912",
                "Kari Holm",
                "kari.holm@x.example",
                "+4745218930",
                &[]
            )
        );
    }

    #[test]
    fn company_in_running_text_and_bare_mobile_in_signature() {
        let m = mail(
            "lise@bakeri.example",
            "Lise",
            "Winorg",
            "Hei!\nVi i Solstrand Bakeri AS ønsker å ta i bruk Winorg trekksentral. Org nr 958680538.\n\nHilsen\nLise Solstrand\nDaglig leder\n+47 934 56 789\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Solstrand Bakeri AS",
                "958680538",
                "Lise Solstrand",
                "lise@bakeri.example",
                "+4793456789",
                &[]
            )
        );
    }

    #[test]
    fn contact_line_with_everything() {
        let m = mail(
            "post@firma.example",
            "Firma Post",
            "Tilgang",
            "Firma: Nordvik Rør AS\nOrg.nr.: 958 680 538\nKontaktperson: Ola Nordvik, tlf. 934 56 789, ola@nordvik.example\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Nordvik Rør AS",
                "958680538",
                "Ola Nordvik",
                "ola@nordvik.example",
                "+4793456789",
                &[]
            )
        );
    }

    #[test]
    fn english_labels_and_phone_with_parenthesis() {
        let m = mail(
            "emma@x.example",
            "Emma Clarke",
            "Access",
            "Company name: Nordkyst Shipping ASA\nOrg. no.: NO 980 328 465 MVA\nFull name: Emma Clarke\nEmail address: payroll@x.example\nPhone (mobile): (+47) 976 54 321\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Nordkyst Shipping ASA",
                "980328465",
                "Emma Clarke",
                "payroll@x.example",
                "+4797654321",
                &[]
            )
        );
    }

    #[test]
    fn nothing_given_names_everything_but_email() {
        let m = mail(
            "x@y.example",
            "",
            "Tilgang",
            "Hei, vi vil ha tilgang til trekksentralen.",
        );
        let f = extract_access(&m);
        assert_eq!(f.email.as_deref(), Some("x@y.example"));
        assert_eq!(
            f.missing,
            vec!["company_name", "org_number", "requester_name", "mobile"]
        );
    }

    #[test]
    fn wrong_length_mobile_is_kept_and_named() {
        let m = mail(
            "a@b.example",
            "Ann Berg",
            "Tilgang",
            "Firma: Berg AS\nOrg.nr: 958680538\nNavn: Ann Berg\nMobil: 934 56 78\n",
        );
        let f = extract_access(&m);
        assert_eq!(f.mobile.as_deref(), Some("+479345678"));
        assert_eq!(f.missing, vec!["mobile"]);
    }

    #[test]
    fn company_mailbox_in_signature_is_not_the_login() {
        let m = mail(
            "kari.holm@solberg.example",
            "Kari Holm",
            "Tilgang",
            "Hei, vi ønsker tilgang til trekksentralen. Org.nr. 937 633 912, mobil 452 18 930.\n\nMvh\nKari Holm\nSolberg Renhold AS\npost@solberg.example\n",
        );
        let f = extract_access(&m);
        assert_eq!(f.email.as_deref(), Some("kari.holm@solberg.example"));
        assert_eq!(f.company_name.as_deref(), Some("Solberg Renhold AS"));
        assert!(f.missing.is_empty(), "{:?}", f.missing);
    }

    #[test]
    fn email_named_in_the_message_wins() {
        let m = mail(
            "kari.holm@solberg.example",
            "Kari Holm",
            "Tilgang",
            "Hei, vi ønsker tilgang til trekksentralen for lonn@solberg.example.\n\nMvh\nKari Holm\n",
        );
        assert_eq!(
            extract_access(&m).email.as_deref(),
            Some("lonn@solberg.example")
        );
    }

    #[test]
    fn dash_dash_signature() {
        let m = mail(
            "siv@bakeri.example",
            "Siv",
            "Tilgang til Winorg",
            "Hei! Vi vil ha tilgang.\n\nHilsen Siv\n\n-- \nSiv Moen\nNordlys Bakeri AS\nMob 934 56 789\n",
        );
        let f = extract_access(&m);
        assert_eq!(f.requester_name.as_deref(), Some("Siv Moen"));
        assert_eq!(f.company_name.as_deref(), Some("Nordlys Bakeri AS"));
        assert_eq!(f.mobile.as_deref(), Some("+4793456789"));
    }

    #[test]
    fn company_after_cue_without_legal_form() {
        let m = mail(
            "kari@gronli.example",
            "Kari Li",
            "Tilgang",
            "Hei, jeg jobber i Grønli Barnehager og vil gjerne ha tilgang til trekksentralen. Jeg er lønnsansvarlig. Org.nr. 936048048, mobil 917 23 456.\n\nHilsen Kari Li\n",
        );
        assert_eq!(
            extract_access(&m),
            fields(
                "Grønli Barnehager",
                "936048048",
                "Kari Li",
                "kari@gronli.example",
                "+4791723456",
                &[]
            )
        );
    }

    #[test]
    fn directory_style_display_name() {
        let m = mail(
            "hanne@x.example",
            "Berg, Hanne",
            "Tilgang til trekksentral",
            "Hei, vi ønsker tilgang.",
        );
        assert_eq!(
            extract_access(&m).requester_name.as_deref(),
            Some("Hanne Berg")
        );
    }

    #[test]
    fn org_digits_forms() {
        assert_eq!(org_digits("NO 936 048 048 MVA"), "936048048");
        assert_eq!(org_digits("936.048.048"), "936048048");
        assert_eq!(org_digits("93604804"), "93604804");
    }

    #[test]
    fn names() {
        assert_eq!(
            clean_name("Anne Marit Berg").as_deref(),
            Some("Anne Marit Berg")
        );
        assert_eq!(clean_name("Per-Erik"), Some("Per-Erik".into()));
        assert_eq!(clean_name("Daglig leder"), None);
        assert_eq!(clean_name("Mvh Kari"), None);
        assert_eq!(clean_name("Tlf. 22 45 67 80"), None);
    }
}
