//! HTML pages from `templates/web/` (embedded, auto-escaped). National IDs are masked by
//! the `mask` filter and, as a last guard, in every rendered page except the one audited
//! page that shows a full number on request.
use axum::http::StatusCode;
use axum::response::Html;
use chrono::{DateTime, Utc};
use minijinja::Environment;
use std::sync::OnceLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/web/base.html")),
    ("login.html", include_str!("../../templates/web/login.html")),
    ("error.html", include_str!("../../templates/web/error.html")),
    ("queue.html", include_str!("../../templates/web/queue.html")),
    ("item.html", include_str!("../../templates/web/item.html")),
    ("reply.html", include_str!("../../templates/web/reply.html")),
    (
        "national_id.html",
        include_str!("../../templates/web/national_id.html"),
    ),
    (
        "employers.html",
        include_str!("../../templates/web/employers.html"),
    ),
    (
        "employer.html",
        include_str!("../../templates/web/employer.html"),
    ),
    ("audit.html", include_str!("../../templates/web/audit.html")),
    (
        "health.html",
        include_str!("../../templates/web/health.html"),
    ),
    (
        "access.html",
        include_str!("../../templates/web/access.html"),
    ),
    (
        "outbox.html",
        include_str!("../../templates/web/outbox.html"),
    ),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // Fixed at compile time; a test renders every page.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "web template does not compile");
            }
        }
        env.add_filter("kr", |ore: i64| crate::reply::format_kr(ore));
        env.add_filter("dt", format_time);
        env.add_filter("mask", |s: String| mask_id(&s));
        env.add_filter("size", |n: i64| format_size(n));
        env.add_filter("nb", |code: String| status_nb(&code).to_string());
        env
    })
}

/// `2026-11-27T07:35:42+00:00` → `27.11.2026 08:35` (Norwegian time); anything else unchanged.
fn format_time(value: String) -> String {
    match DateTime::parse_from_rfc3339(&value) {
        Ok(t) => {
            let utc = t.with_timezone(&Utc);
            (utc + chrono::Duration::hours(oslo_offset_hours(utc)))
                .format("%d.%m.%Y %H:%M")
                .to_string()
        }
        Err(_) => value,
    }
}

/// Norway's offset from UTC: +2 in summer time (EU rule: from the last Sunday of March to
/// the last Sunday of October, 01:00 UTC), else +1. Staff read times as their clocks show.
pub fn oslo_offset_hours(t: DateTime<Utc>) -> i64 {
    use chrono::{Datelike, NaiveDate, TimeZone};
    let last_sunday_0100 = |month: u32| {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(t.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(t.year(), month + 1, 1)
        };
        first_next
            .and_then(|d| d.pred_opt())
            .map(|last| {
                let back = last.weekday().num_days_from_sunday() as i64;
                last - chrono::Duration::days(back)
            })
            .and_then(|d| d.and_hms_opt(1, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d))
    };
    match (last_sunday_0100(3), last_sunday_0100(10)) {
        (Some(start), Some(end)) if t >= start && t < end => 2,
        _ => 1,
    }
}

/// Status codes of the store in words; unknown codes are shown as they are.
fn status_nb(code: &str) -> &str {
    match code {
        "open" => "åpen",
        "resolved" => "lukket",
        "superseded" => "erstattet (kjørt på nytt)",
        "pending" => "venter på sending",
        "sent" => "sendt",
        "held" => "holdt tilbake",
        "dead" => "kunne ikke sendes",
        "discarded" => "forkastet",
        "bounced" => "kom i retur",
        "needs_info" => "venter på opplysninger",
        "pending_approval" => "venter på godkjenning",
        "approved" => "godkjent",
        "rejected" => "avvist",
        "unchanged" => "uendret",
        "amount_changed" => "endret beløp",
        "ended" => "sluttet",
        "new_person" => "ny person",
        "missing" => "mangler",
        // kinds of mail
        "list_submission" => "trekkliste",
        "access_request" => "tilgangsforespørsel",
        "invoice_copy_request" => "forespørsel om fakturakopi",
        "change_request" => "endringsønske",
        "question" => "spørsmål",
        "auto_reply" => "automatisk svar",
        "bounce" => "returnert e-post",
        // outcomes
        "confirmed" => "bekreftet",
        "too_late" => "for sent – registrert som fakturert",
        "query_unreadable" => "vedlegget kunne ikke leses",
        "flagged" => "lagt fram for saksbehandler",
        "answered" => "besvart",
        "recorded" => "registrert",
        // reply templates and what a reply asks
        "confirmation" => "bekreftelse",
        "received_under_review" => "mottatt, til behandling",
        "already_submitted" => "allerede innsendt",
        "access_query" => "spør etter manglende opplysninger",
        "access_confirmed" => "tilgang bekreftet",
        "access_rejected" => "tilgang avvist",
        "invoice_copy" => "fakturakopi",
        "too_large" => "e-posten var for stor",
        "comment" => "kommentar til endringer",
        other => other,
    }
}

fn format_size(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{} kB", n / 1024)
    } else {
        format!("{n} B")
    }
}

/// A national ID as staff see it by default: birth date, then stars (`010190*****`).
pub fn mask_id(id: &str) -> String {
    let digits: String = id.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() >= 6 {
        format!("{}*****", &digits[..6])
    } else if digits.is_empty() {
        String::new()
    } else {
        "*****".to_string()
    }
}

/// Render a page; `revealed` pages are the only ones not passed through the ID mask.
fn render_inner(name: &str, context: &serde_json::Value, revealed: bool) -> String {
    let env = environment();
    let result = env
        .get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(context)));
    match result {
        Ok(html) if revealed => html,
        Ok(html) => crate::reply::mask_national_ids(&html),
        Err(e) => {
            tracing::error!(template = name, error = %e, "web page not rendered");
            error_html("Siden kunne ikke vises. Feilen er logget.")
        }
    }
}

pub fn page(name: &str, context: serde_json::Value) -> String {
    render_inner(name, &context, false)
}

/// The page that shows one full national ID after an audited request.
pub fn revealed_page(name: &str, context: serde_json::Value) -> String {
    render_inner(name, &context, true)
}

fn error_html(text: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"nb\"><head><meta charset=\"utf-8\"><title>Feil</title></head><body><p>{}</p><p><a href=\"/\">Til køen</a></p></body></html>",
        escape(text)
    )
}

pub fn error_page(status: StatusCode, text: &str) -> Html<String> {
    Html(page(
        "error.html",
        serde_json::json!({ "status": status.as_u16(), "text": text }),
    ))
}

/// Minimal HTML escaping for text put into HTML outside templates.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_formats() {
        assert_eq!(mask_id("01019012345"), "010190*****");
        assert_eq!(mask_id("010190 12345"), "010190*****");
        assert_eq!(mask_id(""), "");
        assert_eq!(
            format_time("2026-11-27T07:35:42+00:00".into()),
            "27.11.2026 08:35"
        );
        assert_eq!(
            format_time("2026-07-01T10:00:00+00:00".into()),
            "01.07.2026 12:00"
        );
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            format_time("2026-03-29T00:59:00+00:00".into()),
            "29.03.2026 01:59"
        );
        assert_eq!(
            format_time("2026-03-29T01:00:00+00:00".into()),
            "29.03.2026 03:00"
        );
        assert_eq!(
            format_time("2026-10-25T00:59:00+00:00".into()),
            "25.10.2026 02:59"
        );
        assert_eq!(
            format_time("2026-10-25T01:00:00+00:00".into()),
            "25.10.2026 02:00"
        );
        assert_eq!(format_time("ikke en tid".into()), "ikke en tid");
        assert_eq!(escape("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    }

    #[test]
    fn every_template_compiles_and_every_file_is_embedded() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/web");
        for entry in std::fs::read_dir(dir).expect("templates/web") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            assert!(
                TEMPLATES.iter().any(|(n, _)| *n == name),
                "templates/web/{name} is not embedded"
            );
        }
    }
}
