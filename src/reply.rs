//! Replies: rendered from `templates/` (nb and en, text and HTML) and built into a complete
//! RFC 5322 message, with the headers SPEC §7 requires. National IDs are masked here, last,
//! whatever a template or its data contains.
use crate::classify::Lang;
use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use minijinja::Environment;
use regex::Regex;
use std::sync::OnceLock;

/// Every template in both languages and both formats, embedded so the binary needs no
/// source tree; the files in `templates/` are the source.
macro_rules! embedded_templates {
    ($($name:literal),* $(,)?) => {
        &[
            ("base.html", include_str!("../templates/base.html")),
            $(
                (concat!("nb/", $name, ".txt"), include_str!(concat!("../templates/nb/", $name, ".txt"))),
                (concat!("nb/", $name, ".html"), include_str!(concat!("../templates/nb/", $name, ".html"))),
                (concat!("en/", $name, ".txt"), include_str!(concat!("../templates/en/", $name, ".txt"))),
                (concat!("en/", $name, ".html"), include_str!(concat!("../templates/en/", $name, ".html"))),
            )*
        ]
    };
}

/// The reply and reminder templates (SPEC §7, §9, §11).
pub const TEMPLATE_NAMES: &[&str] = &[
    "confirmation",
    "query_unreadable",
    "too_late",
    "already_submitted",
    "received_under_review",
    "access_query",
    "access_confirmed",
    "access_rejected",
    "invoice_copy",
    "reminder_overdue",
    "reminder_needs_info",
    "staff_digest",
    "too_large",
];

const TEMPLATES: &[(&str, &str)] = embedded_templates!(
    "confirmation",
    "query_unreadable",
    "too_late",
    "already_submitted",
    "received_under_review",
    "access_query",
    "access_confirmed",
    "access_rejected",
    "invoice_copy",
    "reminder_overdue",
    "reminder_needs_info",
    "staff_digest",
    "too_large",
);

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("cannot render template {name}: {source}")]
    Render {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("template {0} has no `Subject:` first line")]
    NoSubject(String),
    #[error("cannot build the reply message: {0}")]
    Build(String),
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The embedded set is fixed at compile time and checked by a test.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "template does not compile");
            }
        }
        env.add_filter("kr", format_kr);
        env.add_filter("period", format_period);
        env.add_filter("mb", format_mb);
        env
    })
}

/// `123450` øre → `1 234,50`.
pub fn format_kr(ore: i64) -> String {
    let sign = if ore < 0 { "-" } else { "" };
    let abs = ore.unsigned_abs();
    let kroner = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in kroner.chars().enumerate() {
        if i > 0 && (kroner.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}", abs % 100)
}

/// A size in bytes as megabytes (MiB, as mail programs count them), with one decimal when
/// it is not whole and more when under 0.1 MB: `26214400` → `25 MB`, `27787264` → `26,5 MB`
/// (nb, decimal comma) or `26.5 MB` (en); `4000` → `0,004 MB`.
pub fn format_mb(bytes: i64, lang: Option<&str>) -> String {
    const MIB: u128 = 1_048_576;
    let bytes = u128::from(bytes.max(0).unsigned_abs());
    let (point, group) = if lang == Some("en") {
        ('.', ',')
    } else {
        (',', '\u{a0}')
    };
    let rounded = |scale: u128| (bytes * scale + MIB / 2) / MIB;
    let (value, scale, digits) = match rounded(10) {
        0 if bytes == 0 => (0, 1, 0),
        0 => (rounded(1000).max(1), 1000, 3),
        tenths => (tenths, 10, 1),
    };
    let whole = (value / scale).to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    let fraction = if digits == 0 {
        String::new()
    } else {
        format!("{:0digits$}", value % scale)
    };
    let fraction = fraction.trim_end_matches('0');
    if !fraction.is_empty() {
        out.push(point);
        out.push_str(fraction);
    }
    out.push_str(" MB");
    out
}

/// `2026-11` → `november 2026` (nb) or `November 2026` (en); anything else as it is.
pub fn format_period(period: &str, lang: Option<&str>) -> String {
    const NB: [&str; 12] = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let Some((year, month)) = period.split_once('-') else {
        return period.to_string();
    };
    let names = if lang == Some("en") { &EN } else { &NB };
    match month
        .parse::<usize>()
        .ok()
        .and_then(|m| names.get(m.wrapping_sub(1)))
    {
        Some(name) if year.len() == 4 => format!("{name} {year}"),
        _ => period.to_string(),
    }
}

/// A rendered reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn lang_dir(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => "nb",
        Lang::En => "en",
    }
}

/// Render `template` in `lang` with `context` (a serde value); the text template's first
/// line is the subject.
pub fn render(
    template: &str,
    lang: Lang,
    context: &serde_json::Value,
) -> Result<Rendered, ReplyError> {
    let env = environment();
    let dir = lang_dir(lang);
    let mut context = context.clone();
    if let Some(map) = context.as_object_mut() {
        map.insert("lang".into(), dir.into());
    }
    let context = &context;
    let render_one = |name: String, ctx: &serde_json::Value| -> Result<String, ReplyError> {
        env.get_template(&name)
            .and_then(|t| t.render(minijinja::value::Serde(ctx)))
            .map_err(|source| ReplyError::Render { name, source })
    };
    let text = render_one(format!("{dir}/{template}.txt"), context)?;
    let (first, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject = first
        .strip_prefix("Subject:")
        .map(|s| s.trim().to_string())
        .ok_or_else(|| ReplyError::NoSubject(template.to_string()))?;
    let mut html_ctx = context.clone();
    if let Some(map) = html_ctx.as_object_mut() {
        map.insert("subject".into(), subject.clone().into());
        map.insert("lang".into(), dir.into());
    }
    let html = render_one(format!("{dir}/{template}.html"), &html_ctx)?;
    Ok(Rendered {
        subject: mask_national_ids(&subject),
        text: mask_national_ids(body.trim_start_matches('\n')),
        html: mask_national_ids(&html),
    })
}

/// Any 11-digit run that could be a national ID becomes `DDMMYY*****`.
pub fn mask_national_ids(text: &str) -> String {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\b(\d{6})[ \u{a0}]?(\d{5})\b").ok());
    match re {
        Some(re) => re.replace_all(text, "${1}*****").into_owned(),
        None => text.to_string(),
    }
}

/// `Auto-Submitted: auto-replied` (RFC 3834).
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".to_string())
    }
}

/// Addressing of one reply.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub from_address: &'a str,
    pub from_name: &'a str,
    pub to: &'a str,
    /// The message answered (without `<>`), for In-Reply-To.
    pub in_reply_to: Option<&'a str>,
    /// Its References plus its own Message-ID.
    pub references: Vec<String>,
    /// Our Message-ID (without `<>`), fixed per outbox row.
    pub message_id: &'a str,
    pub date: DateTime<Utc>,
}

/// The complete message bytes.
pub fn build_eml(envelope: &Envelope<'_>, rendered: &Rendered) -> Result<Vec<u8>, ReplyError> {
    let build = |e: String| ReplyError::Build(e);
    let from: Mailbox = format!("{} <{}>", envelope.from_name, envelope.from_address)
        .parse()
        .or_else(|_| envelope.from_address.parse())
        .map_err(|e: lettre::address::AddressError| build(e.to_string()))?;
    let to: Mailbox = envelope
        .to
        .parse()
        .map_err(|e: lettre::address::AddressError| build(e.to_string()))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject.clone())
        .date(envelope.date.into())
        .message_id(Some(format!("<{}>", envelope.message_id)))
        .header(AutoSubmitted);
    if let Some(parent) = envelope.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !envelope.references.is_empty() {
        let refs: Vec<String> = envelope
            .references
            .iter()
            .map(|r| format!("<{r}>"))
            .collect();
        builder = builder.references(refs.join(" "));
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|e| build(e.to_string()))?;
    let _ = ContentType::TEXT_PLAIN;
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_context() -> serde_json::Value {
        serde_json::json!({
            "token": "TL-240117", "signature": "Forbundet", "footer": "",
            "employer_name": "Fjellvik kommune",
            "list": {"number": "240117", "period": "2026-11", "kid": "0123", "due_date": "2026-11-30",
                     "invoice_number": "20261234", "invoice_amount": 123450},
            "counts": {"unchanged": 1, "amount_changed": 1, "ended": 0, "missing": 1, "new_person": 0},
            "new_total": 123450, "ask_comment": true, "ask_missing": true, "winorg": true,
            "uncommented": [{"name": "Kari Nordmann", "national_id": "01019012345", "change": "beløp"}],
            "missing": [{"name": "Ola Hansen", "national_id": "020290 12345"}],
            "paid": 0, "reason": "r", "missing_fields": ["mobil"],
            "date": "2026-12-01", "open_total": 2, "dead_letters": 0, "overdue_lists": 1,
            "flags": [{"kind": "question", "count": 2, "oldest": "2026-11-20"}],
            "access": {"company_name": "X AS", "org_number": "1", "requester_name": "A", "email": "a@b", "mobile": null},
            "size": 31_457_280, "limit": 26_214_400,
        })
    }

    #[test]
    fn every_template_renders_in_both_languages_without_full_ids() {
        assert_eq!(TEMPLATES.len(), 1 + 4 * TEMPLATE_NAMES.len());
        let names = TEMPLATE_NAMES;
        for lang in [Lang::Nb, Lang::En] {
            for name in names.iter().copied() {
                let r =
                    render(name, lang, &sample_context()).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(r.subject.contains("[TL-240117]"), "{name}: {}", r.subject);
                for part in [&r.text, &r.html] {
                    assert!(
                        !part.contains("01019012345") && !part.contains("12345\n"),
                        "{name} leaks an ID"
                    );
                }
            }
        }
        let r = render("confirmation", Lang::Nb, &sample_context()).expect("render");
        assert!(r.text.contains("010190*****"));
        assert!(r.text.contains("1\u{a0}234,50"));
    }

    #[test]
    fn kroner_are_grouped_with_decimal_comma() {
        assert_eq!(format_kr(0), "0,00");
        assert_eq!(format_kr(45000), "450,00");
        assert_eq!(format_kr(123456789), "1\u{a0}234\u{a0}567,89");
        assert_eq!(format_kr(-5050), "-50,50");
        assert_eq!(format_period("2026-11", Some("nb")), "november 2026");
        assert_eq!(format_period("2026-01", Some("en")), "January 2026");
        assert_eq!(format_period("2026-13", Some("en")), "2026-13");
    }

    #[test]
    fn sizes_in_megabytes_norwegian_and_english() {
        assert_eq!(format_mb(26_214_400, Some("nb")), "25 MB");
        assert_eq!(format_mb(27_787_264, Some("nb")), "26,5 MB");
        assert_eq!(format_mb(27_787_264, Some("en")), "26.5 MB");
        assert_eq!(format_mb(1_294_336_000, Some("nb")), "1\u{a0}234,4 MB");
        assert_eq!(format_mb(1_294_336_000, Some("en")), "1,234.4 MB");
        assert_eq!(format_mb(4000, Some("nb")), "0,004 MB");
        assert_eq!(format_mb(1, None), "0,001 MB");
        assert_eq!(format_mb(0, None), "0 MB");
    }

    #[test]
    fn the_too_large_reply_states_size_limit_and_what_to_do() {
        let r = render("too_large", Lang::Nb, &sample_context()).expect("render");
        assert!(
            r.text.contains("30 MB") && r.text.contains("25 MB"),
            "{}",
            r.text
        );
        assert!(r.text.contains("ikke lest"), "{}", r.text);
        assert!(r.html.contains("30 MB") && r.html.contains("25 MB"));
        let r = render("too_large", Lang::En, &sample_context()).expect("render");
        assert!(
            r.text.contains("30 MB") && r.text.contains("not read"),
            "{}",
            r.text
        );
    }

    #[test]
    fn built_reply_has_threading_and_auto_submitted_headers() {
        let r = render("received_under_review", Lang::Nb, &sample_context()).expect("render");
        let env = Envelope {
            from_address: "trekklister@union.example",
            from_name: "Forbundet",
            to: "kari@firma.example",
            in_reply_to: Some("abc@firma.example"),
            references: vec!["root@firma.example".into(), "abc@firma.example".into()],
            message_id: "tp.1.x@union.example",
            date: Utc::now(),
        };
        let eml = String::from_utf8(build_eml(&env, &r).expect("eml")).expect("utf8");
        assert!(eml.contains("In-Reply-To: <abc@firma.example>"));
        assert!(eml.contains("References: <root@firma.example> <abc@firma.example>"));
        assert!(eml.contains("Auto-Submitted: auto-replied"));
        assert!(eml.contains("Message-ID: <tp.1.x@union.example>"));
    }
}
