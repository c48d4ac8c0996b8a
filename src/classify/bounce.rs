//! Delivery status notifications (RFC 3464) and mailer-daemon bounces.
use super::auto::sender_is_mail_system;
use super::BounceInfo;
use crate::mime::Mail;
use regex::Regex;
use std::sync::LazyLock;

/// Wording of a failed or delayed delivery, several languages and mail servers.
static FAILURE_WORDING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)undeliver|undelivered|could not be delivered|couldn'?t be delivered|delivery (status notification|has failed|failed|failure|incomplete|delayed)|returned mail|mail delivery (failed|failure)|failure notice|permanent error|address rejected|user unknown|recipient address rejected|mailbox (unavailable|not found|full)|no such user|kunne ikke leveres|ikke levert|levering mislyktes|leveringsfeil|kan ikke leveres|returnert e-?post|unzustellbar|nicht zustellbar|non remis|non distribuable|message not delivered|delivery to the following recipients? (failed|has been delayed)",
    )
    .expect("static regex")
});

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").expect("static regex")
});

/// An SMTP enhanced status code: 5.1.1, 4.4.7 …
static STATUS_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b").expect("static regex"));

/// Is this message a bounce?
pub fn is_bounce(mail: &Mail) -> bool {
    let ct = mail
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if mail.content_type == "multipart/report" && ct.contains("delivery-status") {
        return true;
    }
    // A status report among the parts counts only from a mail system: a person forwarding a
    // bounce to ask about it is writing a question.
    let has_status_part = mail
        .attachments
        .iter()
        .any(|a| a.content_type.ends_with("delivery-status"));
    if has_status_part && sender_is_mail_system(mail) {
        return true;
    }
    if mail.header("x-failed-recipients").is_some() {
        return true;
    }
    let wording =
        FAILURE_WORDING.is_match(&mail.subject) || FAILURE_WORDING.is_match(head(&mail.text, 4000));
    if sender_is_mail_system(mail) && wording {
        return true;
    }
    // An empty Return-Path plus a failure subject: a bounce from a server that names itself
    // differently.
    let empty_return_path = mail
        .headers
        .iter()
        .any(|(n, v)| n == "return-path" && v.trim() == "<>");
    empty_return_path && FAILURE_WORDING.is_match(&mail.subject)
}

fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// What the bounce says: failed recipients, the original Message-ID, permanent or not.
pub fn bounce_info(mail: &Mail) -> BounceInfo {
    let mut failed: Vec<String> = Vec::new();
    let mut delayed: Vec<String> = Vec::new();
    let mut saw_permanent = false;
    let mut saw_temporary = false;

    // RFC 3464 per-recipient blocks.
    for att in mail
        .attachments
        .iter()
        .filter(|a| a.content_type.ends_with("delivery-status"))
    {
        let text = String::from_utf8_lossy(&att.bytes);
        for block in recipient_blocks(&text) {
            let recipient = block.recipient.clone();
            let status_perm = block.status.as_deref().map(|s| s.starts_with('5'));
            let action = block.action.as_deref().unwrap_or("");
            let permanent = action == "failed" || status_perm == Some(true);
            let temporary = action == "delayed" || status_perm == Some(false);
            if permanent {
                saw_permanent = true;
            } else if temporary {
                saw_temporary = true;
            }
            if let Some(r) = recipient {
                if permanent {
                    push_unique(&mut failed, r);
                } else if temporary {
                    push_unique(&mut delayed, r);
                }
            }
        }
    }

    for (name, value) in &mail.headers {
        if name == "x-failed-recipients" {
            for m in ADDRESS.find_iter(value) {
                push_unique(&mut failed, m.as_str().to_lowercase());
            }
            saw_permanent = true;
        }
    }

    // Without a machine-readable report, read the human one: the addresses it names before
    // the returned copy of the message, and the status codes it quotes.
    if failed.is_empty() && delayed.is_empty() {
        let body = report_part(head(&mail.own_text, 20_000));
        let five = STATUS_CODE.captures_iter(body).any(|c| &c[1] == "5")
            || [" 550", " 551", " 552", " 553", " 554"]
                .iter()
                .any(|c| body.contains(c));
        let four = STATUS_CODE.captures_iter(body).any(|c| &c[1] == "4");
        let lower = body.to_lowercase();
        let temporary_words = lower.contains("delayed")
            || lower.contains("will retry")
            || lower.contains("will be retried")
            || lower.contains("forsinket");
        let permanent = five || !(four || temporary_words);
        let own: Vec<String> = own_addresses(mail);
        for m in ADDRESS.find_iter(body) {
            let addr = m.as_str().to_lowercase();
            let local = addr.split('@').next().unwrap_or("");
            if own.contains(&addr)
                || local.starts_with("postmaster")
                || local.starts_with("mailer-daemon")
            {
                continue;
            }
            if permanent {
                push_unique(&mut failed, addr);
            } else {
                push_unique(&mut delayed, addr);
            }
        }
        saw_permanent |= permanent;
        saw_temporary |= !permanent;
    }

    let permanent = saw_permanent || (!saw_temporary && !failed.is_empty());
    let failed_recipients = if failed.is_empty() { delayed } else { failed };

    let original_message_id = mail
        .embedded
        .iter()
        .find_map(|e| e.message_id.clone())
        .or_else(|| original_id_from_text(&mail.text));

    BounceInfo {
        failed_recipients,
        original_message_id,
        permanent,
    }
}

/// The report text before the returned copy of the original message.
fn report_part(body: &str) -> &str {
    let lower = body.to_ascii_lowercase();
    let markers = [
        "this is a copy of the message",
        "original message follows",
        "----- original message",
        "------ original message",
        "\nreturn-path:",
        "\nreceived:",
        "\nmessage-id:",
        "\nfrom:",
    ];
    let end = markers
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(body.len());
    // `lower` has the same byte offsets as `body` for ASCII markers.
    body.get(..end).unwrap_or(body)
}

/// Addresses on our side of the bounce (its sender and recipients).
fn own_addresses(mail: &Mail) -> Vec<String> {
    let mut own: Vec<String> = mail.from_address.iter().cloned().collect();
    for (name, value) in &mail.headers {
        if matches!(
            name.as_str(),
            "to" | "cc" | "delivered-to" | "x-original-to"
        ) {
            own.extend(ADDRESS.find_iter(value).map(|m| m.as_str().to_lowercase()));
        }
    }
    own
}

fn push_unique(v: &mut Vec<String>, s: String) {
    let s = s.trim_matches(['<', '>', '.']).to_string();
    if !s.is_empty() && !v.contains(&s) {
        v.push(s);
    }
}

#[derive(Default)]
struct RecipientBlock {
    recipient: Option<String>,
    action: Option<String>,
    status: Option<String>,
}

/// The per-recipient field groups of a message/delivery-status body.
fn recipient_blocks(text: &str) -> Vec<RecipientBlock> {
    let mut blocks = Vec::new();
    let mut cur = RecipientBlock::default();
    let mut has_fields = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if has_fields && (cur.recipient.is_some() || cur.action.is_some()) {
                blocks.push(std::mem::take(&mut cur));
            } else {
                cur = RecipientBlock::default();
            }
            has_fields = false;
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        has_fields = true;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        match name.as_str() {
            "final-recipient" | "original-recipient" => {
                // `rfc822; user@example` — the address after the type.
                let addr = value.split_once(';').map_or(value, |(_, a)| a).trim();
                if let Some(m) = ADDRESS.find(addr) {
                    if name == "final-recipient" || cur.recipient.is_none() {
                        cur.recipient = Some(m.as_str().to_lowercase());
                    }
                }
            }
            "action" => cur.action = Some(value.to_ascii_lowercase()),
            "status" => cur.status = Some(value.to_string()),
            _ => {}
        }
    }
    if has_fields && (cur.recipient.is_some() || cur.action.is_some()) {
        blocks.push(cur);
    }
    blocks
}

static MESSAGE_ID_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*>?\s*message-id:\s*<([^>\s]+)>").expect("static regex"));

fn original_id_from_text(text: &str) -> Option<String> {
    MESSAGE_ID_LINE.captures(text).map(|c| c[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::{Attachment, EmbeddedMessage};

    fn dsn(action: &str, status: &str) -> Mail {
        let report = format!(
            "Reporting-MTA: dns; smtp.union.example\n\nFinal-Recipient: rfc822; Per.Olsen@lillehagen-vakt.example\nOriginal-Recipient: rfc822;per.olsen@lillehagen-vakt.example\nAction: {action}\nStatus: {status}\n"
        );
        Mail {
            content_type: "multipart/report".into(),
            headers: vec![(
                "content-type".into(),
                "multipart/report; report-type=\"delivery-status\"; boundary=x".into(),
            )],
            from_address: Some("mailer-daemon@smtp.union.example".into()),
            attachments: vec![Attachment {
                content_type: "message/delivery-status".into(),
                bytes: report.into_bytes(),
                ..Default::default()
            }],
            embedded: vec![EmbeddedMessage {
                message_id: Some("tl-241493-rem1@union.example".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn rfc3464_failed() {
        let m = dsn("failed", "5.1.1");
        assert!(is_bounce(&m));
        let info = bounce_info(&m);
        assert_eq!(
            info.failed_recipients,
            vec!["per.olsen@lillehagen-vakt.example"]
        );
        assert_eq!(
            info.original_message_id.as_deref(),
            Some("tl-241493-rem1@union.example")
        );
        assert!(info.permanent);
    }

    #[test]
    fn rfc3464_delayed() {
        let info = bounce_info(&dsn("delayed", "4.4.7"));
        assert!(!info.permanent);
        assert_eq!(
            info.failed_recipients,
            vec!["per.olsen@lillehagen-vakt.example"]
        );
    }

    #[test]
    fn mailer_daemon_text_only() {
        let m = Mail {
            subject: "Mail delivery failed: returning message to sender".into(),
            from_address: Some("mailer-daemon@mx.example".into()),
            own_text: "This message was created automatically by mail delivery software.\n\n  kari@firma.example\n    SMTP error from remote mail server after RCPT TO:<kari@firma.example>:\n    550 5.1.1 User unknown\n\n------ This is a copy of the message\nMessage-ID: <abc@union.example>\n".into(),
            ..Default::default()
        };
        let m = Mail {
            text: m.own_text.clone(),
            ..m
        };
        assert!(is_bounce(&m));
        let info = bounce_info(&m);
        assert_eq!(info.failed_recipients, vec!["kari@firma.example"]);
        assert!(info.permanent);
        assert_eq!(
            info.original_message_id.as_deref(),
            Some("abc@union.example")
        );
    }

    #[test]
    fn x_failed_recipients() {
        let m = Mail {
            headers: vec![("x-failed-recipients".into(), "Ola@X.no".into())],
            from_address: Some("mailer-daemon@x".into()),
            ..Default::default()
        };
        assert!(is_bounce(&m));
        assert_eq!(bounce_info(&m).failed_recipients, vec!["ola@x.no"]);
    }

    #[test]
    fn person_forwarding_a_bounce_is_no_bounce() {
        let mut m = dsn("failed", "5.1.1");
        m.content_type = "multipart/mixed".into();
        m.headers.clear();
        m.from_address = Some("kari@firma.example".into());
        m.subject = "VS: Undeliverable: Trekkliste".into();
        assert!(!is_bounce(&m));
    }

    #[test]
    fn person_mentioning_failure_is_no_bounce() {
        let m = Mail {
            subject: "Fikk melding om at e-posten ikke ble levert".into(),
            from_address: Some("kari@firma.example".into()),
            ..Default::default()
        };
        assert!(!is_bounce(&m));
    }
}
