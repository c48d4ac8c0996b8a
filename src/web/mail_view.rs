//! An incoming mail as staff see it: headers, text, the HTML part sanitised (ammonia: no
//! scripts, styles, images, forms or remote content), and its attachments. National IDs in
//! any of it are masked when the page is rendered.
use crate::mime;
use mail_parser::MessageParser;
use std::collections::HashSet;

/// What the item page shows of one mail.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MailView {
    pub from: Option<String>,
    pub to: Option<String>,
    pub date: Option<String>,
    pub subject: String,
    pub text: String,
    /// Sanitised HTML of the HTML part, safe to insert as is.
    pub html: Option<String>,
    pub attachments: Vec<AttachmentView>,
    /// Why the mail could not be decoded, when it could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AttachmentView {
    /// Position in the mail: the download link's number.
    pub index: usize,
    pub file_name: String,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
}

/// Bigger HTML parts are not shown (the text is).
const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

pub fn view(raw: &[u8]) -> MailView {
    let mail = match mime::parse_mail(raw) {
        Ok(m) => m,
        Err(e) => {
            return MailView {
                error: Some(e.to_string()),
                text: String::from_utf8_lossy(&raw[..raw.len().min(64 * 1024)]).into_owned(),
                ..Default::default()
            }
        }
    };
    let header = |name: &str| mail.header(name).map(str::to_string);
    MailView {
        from: header("from"),
        to: header("to"),
        date: header("date"),
        subject: mail.subject.clone(),
        text: mail.text.clone(),
        html: html_part(raw).map(|h| sanitise(&h)),
        attachments: attachments(&mail),
        error: None,
    }
}

fn attachments(mail: &mime::Mail) -> Vec<AttachmentView> {
    mail.attachments
        .iter()
        .enumerate()
        .map(|(index, a)| AttachmentView {
            index,
            file_name: a
                .file_name
                .clone()
                .unwrap_or_else(|| format!("vedlegg-{}", index + 1)),
            content_type: a.content_type.clone(),
            size: a.bytes.len(),
            sha256: crate::store::sqlite::sha256_hex(&a.bytes),
        })
        .collect()
}

/// One attachment's name and bytes, by its position.
pub fn attachment(raw: &[u8], index: usize) -> Option<(String, Vec<u8>)> {
    let mail = mime::parse_mail(raw).ok()?;
    let a = mail.attachments.into_iter().nth(index)?;
    let name = a
        .file_name
        .unwrap_or_else(|| format!("vedlegg-{}", index + 1));
    Some((name, a.bytes))
}

/// The first HTML body part. mail-parser has panicked on hostile input before: the decode
/// runs on its own thread and a panic only loses the HTML view.
fn html_part(raw: &[u8]) -> Option<String> {
    let owned = raw.to_vec();
    let worker = std::thread::Builder::new()
        .name("mail-view".into())
        .stack_size(16 * 1024 * 1024)
        .spawn(move || {
            std::panic::catch_unwind(move || {
                let msg = MessageParser::default().parse(&owned)?;
                msg.body_html(0).map(|h| h.into_owned())
            })
        })
        .ok()?;
    let html = worker.join().ok()?.ok()??;
    (html.len() <= MAX_HTML_BYTES && !html.trim().is_empty()).then_some(html)
}

/// Keep text structure (paragraphs, lists, tables, emphasis, links without a target); drop
/// everything that could run, load or pose as our own UI.
pub fn sanitise(html: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "span",
        "strong",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

/// A file name safe for a Content-Disposition header.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii: String = cleaned
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let trimmed = ascii.trim_matches(|c| c == '.' || c == ' ').to_string();
    if trimmed.is_empty() {
        "vedlegg".to_string()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitiser_removes_what_could_run_or_load() {
        let dirty = r#"<p onclick="x()">Hei <b>der</b></p><script>alert(1)</script><img src="http://evil/x.png"><a href="javascript:alert(1)">lenke</a><style>p{}</style><form action="/x"><input name="a"></form><iframe src="http://evil"></iframe>"#;
        let clean = sanitise(dirty);
        for bad in [
            "script",
            "onclick",
            "img",
            "javascript",
            "style",
            "form",
            "input",
            "iframe",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains("<b>der</b>"), "{clean}");
    }

    #[test]
    fn file_names_are_made_safe_for_headers() {
        assert_eq!(safe_file_name("liste nov.xlsx"), "liste nov.xlsx");
        let evil = safe_file_name("../../\"evil\r\n.xlsx");
        assert!(
            !evil.contains(['/', '"', '\r', '\n']) && !evil.starts_with('.'),
            "{evil}"
        );
        assert_eq!(
            safe_file_name("Trekkliste_Fjellvik_æøå.csv"),
            "Trekkliste_Fjellvik____.csv"
        );
        assert_eq!(safe_file_name(""), "vedlegg");
    }
}
