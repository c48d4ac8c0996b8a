//! Raw message bytes → the plain [`Mail`] the rest of the product reads (mail-parser underneath).
use chrono::{DateTime, NaiveDate, Utc};
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::parsers::MessageStream;
use mail_parser::{
    Address, Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

/// Larger messages are refused outright: nothing an employer sends is this big, and decoding
/// it would cost memory out of proportion.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Forwarded messages deeper than this are not opened (a message nested in itself thousands
/// of times must not cost stack or time).
const MAX_NESTING: usize = 8;
/// Attachments beyond this count are dropped; no real mail has more.
const MAX_ATTACHMENTS: usize = 200;
/// The readable text is cut here; the classifier needs far less.
const MAX_TEXT_BYTES: usize = 1 << 20;
/// Decoding runs on its own thread with a generous stack, so deep structures cannot overflow
/// the caller's stack.
const DECODE_STACK_BYTES: usize = 64 << 20;

/// One message, decoded. Everything the classifier, the handlers and the report need.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub subject: String,
    /// Lower-case address of `From`.
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    /// `Reply-To` address when present (lower-case).
    pub reply_to: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// Message-IDs without angle brackets.
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Every header, name lower-cased, value decoded, in order.
    pub headers: Vec<(String, String)>,
    /// The readable text: the plain part, or the HTML part turned into text; forwarded
    /// messages' text appended.
    pub text: String,
    /// Every attachment, including those of forwarded (message/rfc822) messages.
    pub attachments: Vec<Attachment>,
    pub content_type: String,
    /// This message's own readable text, without the forwarded messages' text.
    pub own_text: String,
    /// This message's HTML alternative turned into text (empty when it has none). Tables
    /// survive here as `cell | cell` rows, which the plain alternative often loses.
    pub html_text: String,
    /// Messages attached to this one (message/rfc822, and the header block of a bounce's
    /// text/rfc822-headers part), outermost first.
    pub embedded: Vec<EmbeddedMessage>,
}

/// A message found inside another: a forwarded mail, or the returned message in a bounce.
#[derive(Debug, Clone, Default)]
pub struct EmbeddedMessage {
    pub headers: Vec<(String, String)>,
    pub message_id: Option<String>,
    pub subject: String,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    /// Its readable text (empty for a header-only block).
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Attachment {
    pub file_name: Option<String>,
    /// e.g. `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`
    pub content_type: String,
    pub inline: bool,
    pub bytes: Vec<u8>,
}

impl Mail {
    /// First value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// File extensions of the formats a list arrives in (SPEC §2).
const LIST_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods", "csv", "txt", "pdf"];

/// Content types of those formats, for attachments that come without a usable file name.
const LIST_CONTENT_TYPES: &[&str] = &[
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12",
    "application/vnd.ms-excel",
    "application/excel",
    "application/x-excel",
    "application/x-msexcel",
    "application/vnd.oasis.opendocument.spreadsheet",
    "text/csv",
    "application/csv",
    "text/comma-separated-values",
    "application/pdf",
    "application/x-pdf",
];

impl Attachment {
    /// Lower-case file extension, if the name has one.
    pub fn extension(&self) -> Option<String> {
        let name = self.file_name.as_deref()?.trim();
        let (_, ext) = name.rsplit_once('.')?;
        let ext = ext
            .trim()
            .trim_end_matches(['"', '\''])
            .to_ascii_lowercase();
        (!ext.is_empty()).then_some(ext)
    }

    /// Could this attachment be a deduction list? Decided by file name or content type alone,
    /// so a list that later proves unreadable still counts (SPEC §2).
    pub fn looks_like_list(&self) -> bool {
        let ct = self.content_type.to_ascii_lowercase();
        // Pictures (logos, signatures, pasted screenshots) are never lists.
        if ct.starts_with("image/") || ct.starts_with("message/") {
            return false;
        }
        let name = self
            .file_name
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        // Exchange splits a body around a disclaimer into ATT00001.txt/.htm parts.
        if name.starts_with("att0") && (name.ends_with(".txt") || name.ends_with(".htm")) {
            return false;
        }
        if let Some(ext) = self.extension() {
            // A PDF named as an invoice, receipt or form is that document, not a list
            // (unless the name also says list/deduction).
            if ext == "pdf" && names_other_document(&name) && !names_list(&name) {
                return false;
            }
            if LIST_EXTENSIONS.contains(&ext.as_str()) {
                // A plain-text part is only a list when it carries a file name that says so;
                // inline text without a name is a body fragment (checked by the caller).
                return true;
            }
            // A named file of another kind (.png, .docx, .ics…) is not a list even when a
            // sloppy mailer labelled it application/octet-stream.
            if !matches!(ext.as_str(), "bin" | "dat" | "tmp") {
                return LIST_CONTENT_TYPES.contains(&ct.as_str()) && !self.inline;
            }
        }
        LIST_CONTENT_TYPES.contains(&ct.as_str())
    }
}

fn names_other_document(name: &str) -> bool {
    [
        "faktura",
        "invoice",
        "kvittering",
        "receipt",
        "skjema",
        "fullmakt",
        "avtale",
        "contract",
        "kontrakt",
        "signatur",
        "signature",
        "purring",
        "kreditnota",
    ]
    .iter()
    .any(|w| name.contains(w))
}

fn names_list(name: &str) -> bool {
    [
        "trekk",
        "liste",
        "list",
        "kontingent",
        "fagforening",
        "union",
        "dues",
    ]
    .iter()
    .any(|w| name.contains(w))
}

#[derive(Debug, thiserror::Error)]
pub enum MimeError {
    #[error("cannot parse message: {0}")]
    Unparseable(String),
    #[error("message too large: {0} bytes")]
    TooLarge(usize),
    #[error("the MIME decoder failed on this message")]
    DecoderPanicked,
}

/// Decode a message. Panics inside mail-parser are contained and reported as errors.
pub fn parse_mail(raw: &[u8]) -> Result<Mail, MimeError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(MimeError::TooLarge(raw.len()));
    }
    let owned = raw.to_vec();
    // mail-parser builds nested messages as nested values; decoding and dropping them happens
    // on a thread with a big stack, and any panic stays inside it.
    let worker = std::thread::Builder::new()
        .name("mime-decode".into())
        .stack_size(DECODE_STACK_BYTES)
        .spawn(move || std::panic::catch_unwind(move || decode(&owned)));
    match worker {
        Ok(handle) => match handle.join() {
            Ok(Ok(result)) => result,
            Ok(Err(_)) | Err(_) => Err(MimeError::DecoderPanicked),
        },
        // No thread available: decode here, still containing panics.
        Err(_) => {
            std::panic::catch_unwind(|| decode(raw)).unwrap_or(Err(MimeError::DecoderPanicked))
        }
    }
}

/// Message-ID and Date from the header block alone: what storing a message needs, without
/// decoding its attachments (that happens once, when it is processed).
pub fn parse_head(raw: &[u8]) -> (Option<String>, Option<DateTime<Utc>>) {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(raw.len()),
    };
    match parse_mail(&raw[..end]) {
        Ok(m) => (m.message_id, m.date),
        Err(_) => (None, None),
    }
}

fn decode(raw: &[u8]) -> Result<Mail, MimeError> {
    let parser = MessageParser::new().default_header_text();
    let msg = parser
        .parse(raw)
        .ok_or_else(|| MimeError::Unparseable("no header found".into()))?;

    let headers = decoded_headers(&msg);
    let (from_address, from_name) = first_address(msg.from());
    let (reply_to, _) = first_address(msg.reply_to());
    let own_text = cap(body_text(&msg));
    let html_text = cap(html_alternative_text(&msg));

    let mut mail = Mail {
        message_id: msg.message_id().map(clean_id).filter(|s| !s.is_empty()),
        subject: msg.subject().map(collapse_ws).unwrap_or_default(),
        from_address,
        from_name,
        reply_to,
        date: msg.date().and_then(to_utc),
        in_reply_to: id_list(msg.in_reply_to()),
        references: id_list(msg.references()),
        headers,
        text: String::new(),
        attachments: Vec::new(),
        content_type: content_type_of(msg.root_part()),
        own_text,
        html_text,
        embedded: Vec::new(),
    };

    let mut forwarded_text = String::new();
    collect_parts(&msg, 0, &mut mail, &mut forwarded_text);
    mail.text = mail.own_text.clone();
    if !forwarded_text.is_empty() {
        mail.text.push_str(&forwarded_text);
    }
    mail.text = cap(std::mem::take(&mut mail.text));
    Ok(mail)
}

/// Walk the attachments of `msg`: files become [`Attachment`]s, forwarded messages are opened
/// (to `MAX_NESTING`) for their text, headers and own attachments.
fn collect_parts(msg: &Message<'_>, depth: usize, mail: &mut Mail, forwarded: &mut String) {
    let raw = msg.raw_message();
    for &id in &msg.attachments {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Multipart(_) => {}
            PartType::Message(nested) => {
                if depth + 1 >= MAX_NESTING {
                    continue;
                }
                let embedded = embedded_from(nested);
                if !embedded.text.trim().is_empty() && forwarded.len() < MAX_TEXT_BYTES {
                    forwarded.push_str("\n\n---------- Forwarded message ----------\n");
                    if let Some(from) = &embedded.from_address {
                        forwarded.push_str("From: ");
                        forwarded.push_str(from);
                        forwarded.push('\n');
                    }
                    forwarded.push_str("Subject: ");
                    forwarded.push_str(&embedded.subject);
                    forwarded.push_str("\n\n");
                    forwarded.push_str(&embedded.text);
                }
                mail.embedded.push(embedded);
                collect_parts(nested, depth + 1, mail, forwarded);
            }
            _ => {
                let content_type = content_type_of(part);
                if content_type == "text/rfc822-headers" {
                    if let Some(embedded) = header_block(part.contents()) {
                        mail.embedded.push(embedded);
                    }
                }
                if mail.attachments.len() >= MAX_ATTACHMENTS {
                    continue;
                }
                mail.attachments.push(Attachment {
                    file_name: part
                        .attachment_name()
                        .map(|n| n.trim().to_string())
                        .filter(|n| !n.is_empty()),
                    inline: is_inline(part),
                    bytes: attachment_bytes(part, raw),
                    content_type,
                });
            }
        }
    }
}

fn embedded_from(nested: &Message<'_>) -> EmbeddedMessage {
    let (from_address, from_name) = first_address(nested.from());
    EmbeddedMessage {
        headers: decoded_headers(nested),
        message_id: nested.message_id().map(clean_id).filter(|s| !s.is_empty()),
        subject: nested.subject().map(collapse_ws).unwrap_or_default(),
        from_address,
        from_name,
        text: cap(body_text(nested)),
    }
}

/// A bounce's text/rfc822-headers part: the returned message's header block.
fn header_block(bytes: &[u8]) -> Option<EmbeddedMessage> {
    let mut block = bytes.to_vec();
    // A header block without a body: give the parser the blank line that ends it.
    block.extend_from_slice(b"\r\n\r\n");
    let msg = MessageParser::new()
        .default_header_text()
        .parse_headers(&block)?;
    let mut embedded = embedded_from(&msg);
    embedded.text.clear();
    Some(embedded)
}

/// The transfer-decoded bytes of an attachment. Text attachments are read again from the raw
/// part: bytes that are valid UTF-8 are kept as they are (also when mislabelled us-ascii);
/// others are decoded from a declared, known charset to UTF-8; without one they keep their
/// own bytes, since decoding them as UTF-8 would lose Latin-1/Windows-1252 letters (the list
/// parser detects that encoding itself).
fn attachment_bytes(part: &MessagePart<'_>, raw: &[u8]) -> Vec<u8> {
    let (PartType::Text(_) | PartType::Html(_)) = &part.body else {
        return part.contents().to_vec();
    };
    let (start, end) = (part.offset_body as usize, part.offset_end as usize);
    let own_bytes = raw.get(start..end).and_then(|slice| match part.encoding {
        Encoding::Base64 => {
            let (end, bytes) = MessageStream::new(slice).decode_base64_mime(b"");
            (end != usize::MAX).then(|| bytes.into_owned())
        }
        Encoding::QuotedPrintable => {
            let (end, bytes) = MessageStream::new(slice).decode_quoted_printable_mime(b"");
            (end != usize::MAX).then(|| bytes.into_owned())
        }
        Encoding::None => Some(strip_trailing_newline(slice).to_vec()),
    });
    let Some(bytes) = own_bytes.filter(|b| !b.is_empty() || part.contents().is_empty()) else {
        return part.contents().to_vec();
    };
    if std::str::from_utf8(&bytes).is_ok() {
        return bytes;
    }
    let declared_charset = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .is_some_and(|cs| charset_decoder(cs.as_bytes()).is_some());
    if declared_charset {
        part.contents().to_vec()
    } else {
        bytes
    }
}

fn strip_trailing_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

fn is_inline(part: &MessagePart<'_>) -> bool {
    match part.content_disposition() {
        Some(cd) => cd.ctype().eq_ignore_ascii_case("inline"),
        None => matches!(part.body, PartType::InlineBinary(_)),
    }
}

/// `type/subtype`, lower-case; `text/plain` when absent (RFC 2045 default).
fn content_type_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => "text/plain".to_string(),
    }
}

/// The text bodies of a message, HTML-only bodies converted to text.
fn body_text(msg: &Message<'_>) -> String {
    let mut out = String::new();
    for &id in &msg.text_body {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        let piece = match &part.body {
            PartType::Text(t) => {
                let flowed = part
                    .content_type()
                    .and_then(|ct| ct.attribute("format"))
                    .is_some_and(|f| f.eq_ignore_ascii_case("flowed"));
                let delsp = part
                    .content_type()
                    .and_then(|ct| ct.attribute("delsp"))
                    .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
                if flowed {
                    unflow(&normalise_newlines(t), delsp)
                } else {
                    t.to_string()
                }
            }
            PartType::Html(h) => html_to_text(h),
            _ => continue,
        };
        if piece.trim().is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&normalise_newlines(&piece));
        if out.len() > MAX_TEXT_BYTES {
            break;
        }
    }
    if out.trim().is_empty() {
        // Some mailers send only HTML and mail-parser lists it as an HTML body alone.
        out = html_alternative_text(msg);
    }
    out
}

fn html_alternative_text(msg: &Message<'_>) -> String {
    let mut out = String::new();
    for &id in &msg.html_body {
        if let Some(PartType::Html(h)) = msg.parts.get(id as usize).map(|p| &p.body) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&html_to_text(h));
            if out.len() > MAX_TEXT_BYTES {
                break;
            }
        }
    }
    out
}

/// RFC 3676 `format=flowed`: a line ending in a space continues on the next one (with the
/// same quote depth); space-stuffing is undone. Mailers like Thunderbird break lines this
/// way, often in the middle of a name.
fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<usize> = None;
    for raw in text.split('\n') {
        let depth = raw.chars().take_while(|&c| c == '>').count();
        let mut line = &raw[depth..];
        if let Some(rest) = line.strip_prefix(' ') {
            line = rest;
        }
        // The signature separator is never flowed.
        let soft = line.ends_with(' ') && line != "-- ";
        match open {
            Some(d) if d == depth => {}
            Some(_) => {
                out.push('\n');
                out.push_str(&">".repeat(depth));
            }
            None => out.push_str(&">".repeat(depth)),
        }
        if soft {
            out.push_str(if delsp { &line[..line.len() - 1] } else { line });
            open = Some(depth);
        } else {
            out.push_str(line);
            out.push('\n');
            open = None;
        }
    }
    if open.is_none() && out.ends_with('\n') {
        out.pop();
    }
    out
}

fn normalise_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Cut a text to `MAX_TEXT_BYTES` on a character boundary.
fn cap(mut s: String) -> String {
    if s.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while end > 0 && !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Every header with its value decoded (RFC 2047) and unfolded, taken from the raw bytes so
/// structured headers read as written.
fn decoded_headers(msg: &Message<'_>) -> Vec<(String, String)> {
    let raw = msg.raw_message();
    let mut out = Vec::new();
    for header in msg.headers() {
        let name = header.name().to_ascii_lowercase();
        let start = header.offset_start() as usize;
        let end = header.offset_end() as usize;
        let value = match raw.get(start..end) {
            Some(slice) => decode_header_value(slice),
            None => String::new(),
        };
        out.push((name, value));
    }
    out
}

fn decode_header_value(slice: &[u8]) -> String {
    let mut bytes = slice.to_vec();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let text = match MessageStream::new(&bytes).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        _ => String::new(),
    };
    // Raw 8-bit headers that are not UTF-8 are most likely Latin-1/Windows-1252 here.
    let text = if text.contains('\u{fffd}') && std::str::from_utf8(slice).is_err() {
        charset_decoder(b"windows-1252")
            .map(|dec| dec(slice))
            .map(|s| collapse_ws(&s))
            .unwrap_or(text)
    } else {
        text
    };
    collapse_ws(&text)
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_address(addr: Option<&Address<'_>>) -> (Option<String>, Option<String>) {
    let Some(first) = addr.and_then(|a| a.iter().find(|a| a.address.is_some())) else {
        let name = addr
            .and_then(|a| a.first())
            .and_then(|a| a.name.as_deref())
            .map(collapse_ws)
            .filter(|n| !n.is_empty());
        return (None, name);
    };
    let address = first
        .address
        .as_deref()
        .map(|a| a.trim().trim_matches(['<', '>']).to_lowercase())
        .filter(|a| !a.is_empty());
    let name = first
        .name
        .as_deref()
        .map(|n| collapse_ws(n.trim_matches(['"', '\''])))
        .filter(|n| !n.is_empty());
    (address, name)
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = match value {
        HeaderValue::Text(t) => t.split_whitespace().map(clean_id).collect(),
        HeaderValue::TextList(list) => list.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    };
    ids.into_iter().filter(|s| !s.is_empty()).collect()
}

fn to_utc(dt: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(dt.year.into(), dt.month.into(), dt.day.into())?;
    let local = date.and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
    let offset = i64::from(dt.tz_hour) * 3600 + i64::from(dt.tz_minute) * 60;
    // `tz_before_gmt` means a negative offset (e.g. -0500): UTC = local + offset.
    let utc = if dt.tz_before_gmt {
        local.checked_add_signed(chrono::Duration::seconds(offset))?
    } else {
        local.checked_sub_signed(chrono::Duration::seconds(offset))?
    };
    Some(DateTime::from_naive_utc_and_offset(utc, Utc))
}

// ---------------------------------------------------------------------------------------------
// HTML → text

/// Turn an HTML body into readable text: block elements become line breaks, table cells are
/// joined with ` | ` (so `Firma | Acme AS` rows survive), blockquotes are prefixed with `> `
/// like a plain-text quote, scripts/styles/head are dropped, entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = HtmlText::default();
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        // Flush the text before this '<'.
        out.text(&html[text_start..i]);
        if html[i..].starts_with("<!--") {
            let end = html[i + 4..]
                .find("-->")
                .map_or(bytes.len(), |e| i + 4 + e + 3);
            i = end;
            text_start = i;
            continue;
        }
        let Some(rel_end) = html[i..].find('>') else {
            // An unterminated '<': the rest is text.
            text_start = i;
            break;
        };
        let tag = &html[i + 1..i + rel_end];
        let looks_like_tag = tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !looks_like_tag {
            // "a < b": not markup.
            out.text("<");
            i += 1;
            text_start = i;
            continue;
        }
        out.tag(tag);
        i += rel_end + 1;
        text_start = i;
    }
    if text_start < bytes.len() {
        out.text(&html[text_start..]);
    }
    out.finish()
}

#[derive(Default)]
struct HtmlText {
    out: String,
    skip_depth: usize,
    pre_depth: usize,
    quote_depth: usize,
    cell_in_row: usize,
    pending_space: bool,
    /// Length of the output when the current paragraph opened: an empty paragraph
    /// (`<p>&nbsp;</p>`, Outlook's blank line) becomes a blank line.
    block_start: Option<usize>,
    /// One entry per open table: is a cell of it open? Inside a cell, paragraphs and breaks
    /// are spaces, so a row stays one line (Outlook wraps every cell in `<p>`).
    tables: Vec<bool>,
    /// Tables nested beyond the tracked depth.
    untracked_tables: usize,
    /// Output length when the current cell opened.
    cell_start: usize,
    /// A break inside a cell after some text: becomes a line break only if more text of the
    /// same cell follows (a signature cell with `<br>` lines), never before the next cell.
    cell_break: bool,
    /// The current row has text (a separator before an empty leading cell is noise).
    row_has_text: bool,
}

/// Table nesting followed; deeper tables are treated as plain content.
const MAX_TABLE_DEPTH: usize = 32;

impl HtmlText {
    fn line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn newline(&mut self) {
        // Trailing spaces before a break carry nothing.
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
        self.pending_space = false;
    }

    fn push_prefix(&mut self) {
        if self.line_start() && self.quote_depth > 0 {
            for _ in 0..self.quote_depth {
                self.out.push_str("> ");
            }
        }
    }

    fn text(&mut self, raw: &str) {
        if self.skip_depth > 0 || raw.is_empty() || self.out.len() > MAX_TEXT_BYTES {
            return;
        }
        let decoded = decode_entities(raw);
        if self.pre_depth > 0 {
            for (n, line) in decoded.split('\n').enumerate() {
                if n > 0 {
                    self.newline();
                }
                self.push_prefix();
                self.out.push_str(line);
            }
            return;
        }
        for ch in decoded.chars() {
            if ch.is_whitespace() {
                self.pending_space = true;
                continue;
            }
            if self.cell_break {
                self.cell_break = false;
                self.newline();
            }
            if self.in_cell() {
                self.row_has_text = true;
            }
            if self.pending_space && !self.line_start() && !self.out.ends_with(' ') {
                self.out.push(' ');
            }
            self.pending_space = false;
            self.push_prefix();
            self.out.push(ch);
        }
    }

    fn in_cell(&self) -> bool {
        self.tables.last().copied().unwrap_or(false)
    }

    fn tag(&mut self, tag: &str) {
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
            .collect::<String>()
            .to_ascii_lowercase();
        let self_closing = tag.ends_with('/');
        if self.skip_depth == 0 && self.in_cell() {
            if let "p" | "div" | "br" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol"
            | "li" | "address" | "center" | "dl" | "dt" | "dd" | "hr" = name.as_str()
            {
                if self.out.len() > self.cell_start {
                    self.cell_break = true;
                } else {
                    self.pending_space = true;
                }
                return;
            }
        }
        match name.as_str() {
            "table" if self.skip_depth == 0 => {
                if closing {
                    if self.untracked_tables > 0 {
                        self.untracked_tables -= 1;
                    } else {
                        self.tables.pop();
                    }
                } else if self.tables.len() < MAX_TABLE_DEPTH {
                    self.tables.push(false);
                } else {
                    self.untracked_tables += 1;
                }
                if !self.line_start() {
                    self.newline();
                }
            }
            "head" | "style" | "script" | "title" | "template" | "xml" => {
                if self_closing {
                } else if closing {
                    self.skip_depth = self.skip_depth.saturating_sub(1);
                } else {
                    self.skip_depth += 1;
                }
            }
            "br" if self.skip_depth == 0 => {
                self.push_prefix();
                self.newline();
            }
            "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "li" | "hr"
            | "address" | "section" | "article" | "header" | "footer" | "center" | "dl" | "dt"
            | "dd" | "tbody" | "thead" | "body" => {
                if self.skip_depth == 0 && !self.line_start() {
                    self.newline();
                }
                if matches!(name.as_str(), "p" | "div") && self.skip_depth == 0 {
                    if closing {
                        if self.block_start == Some(self.out.len()) {
                            self.push_prefix();
                            self.newline();
                        }
                        self.block_start = None;
                    } else {
                        self.block_start = Some(self.out.len());
                    }
                }
                if name == "li" && !closing && self.skip_depth == 0 {
                    self.push_prefix();
                    self.out.push_str("- ");
                }
            }
            "tr" => {
                self.cell_in_row = 0;
                self.row_has_text = false;
                self.cell_break = false;
                if let Some(open) = self.tables.last_mut() {
                    *open = false;
                }
                if self.skip_depth == 0 && !self.line_start() {
                    self.newline();
                }
            }
            "td" | "th" if closing && self.skip_depth == 0 => {
                if let Some(open) = self.tables.last_mut() {
                    *open = false;
                }
                self.cell_break = false;
            }
            "td" | "th" if !closing && self.skip_depth == 0 => {
                if let Some(open) = self.tables.last_mut() {
                    *open = true;
                }
                self.cell_break = false;
                if self.cell_in_row > 0 && self.row_has_text {
                    while self.out.ends_with(' ') {
                        self.out.pop();
                    }
                    self.out.push_str(" | ");
                }
                self.cell_in_row += 1;
                self.pending_space = false;
                self.cell_start = self.out.len();
            }
            "pre" => {
                if closing {
                    self.pre_depth = self.pre_depth.saturating_sub(1);
                } else {
                    self.pre_depth += 1;
                }
                if self.skip_depth == 0 && !self.line_start() {
                    self.newline();
                }
            }
            "blockquote" => {
                if self.skip_depth == 0 && !self.line_start() {
                    self.newline();
                }
                if closing {
                    self.quote_depth = self.quote_depth.saturating_sub(1);
                } else if self.quote_depth < 16 {
                    self.quote_depth += 1;
                }
            }
            _ => {}
        }
    }

    fn finish(self) -> String {
        // Trim line ends and keep at most one blank line in a row.
        let mut result = String::with_capacity(self.out.len());
        let mut blank = 0;
        for line in self.out.lines() {
            let line = line.trim_end();
            let content = line.trim_start_matches(['>', ' ']);
            if content.is_empty() {
                blank += 1;
                if blank > 1 {
                    continue;
                }
                // A cell separator left alone on a line is noise.
                result.push_str(line);
                result.push('\n');
                continue;
            }
            blank = 0;
            result.push_str(line);
            result.push('\n');
        }
        result.trim_matches('\n').to_string()
    }
}

/// Decode HTML character references; unknown ones stay as written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        // Non-breaking space reads as a space.
        if code == 0xa0 {
            return Some(' ');
        }
        return char::from_u32(code).or(Some('\u{fffd}'));
    }
    Some(match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "aring" => 'å',
        "Aring" => 'Å',
        "oslash" => 'ø',
        "Oslash" => 'Ø',
        "aelig" => 'æ',
        "AElig" => 'Æ',
        "eacute" => 'é',
        "Eacute" => 'É',
        "egrave" => 'è',
        "auml" => 'ä',
        "Auml" => 'Ä',
        "ouml" => 'ö',
        "Ouml" => 'Ö',
        "uuml" => 'ü',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "laquo" => '«',
        "raquo" => '»',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "euro" => '€',
        "shy" | "zwnj" | "zwj" => '\u{200b}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_gives_the_same_id_and_date_as_the_whole_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mailbox");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let raw = std::fs::read(entry.path()).unwrap_or_default();
            let full = parse_mail(&raw).ok();
            let head = parse_head(&raw);
            assert_eq!(head.0, full.as_ref().and_then(|m| m.message_id.clone()));
            assert_eq!(head.1, full.as_ref().and_then(|m| m.date));
            assert!(head.0.is_some() && head.1.is_some());
            checked += 1;
        }
        assert!(checked >= 10);
        // LF-only mail and a message without a body.
        let lf = b"Message-ID: <a@b>\nDate: Mon, 16 Nov 2026 10:00:00 +0100\n\nbody\r\n\r\nmore";
        assert_eq!(parse_head(lf).0.as_deref(), Some("a@b"));
        assert_eq!(
            parse_head(b"Message-ID: <c@d>\r\n").0.as_deref(),
            Some("c@d")
        );
    }

    #[test]
    fn html_paragraphs_breaks_and_entities() {
        let html = "<html><head><style>p{}</style></head><body><p>Hei,</p><p>Firma: Gr&oslash;nli AS<br>Mobil:&nbsp;917 23 456</p></body></html>";
        assert_eq!(
            html_to_text(html),
            "Hei,\nFirma: Grønli AS\nMobil: 917 23 456"
        );
    }

    #[test]
    fn flowed_lines_are_joined() {
        let text = "Endringer denne gangen: K\u{e5}re \nBrekke har g\u{e5}tt ned til 50 % \nstilling.\n\n-- \nMvh\n> sitert \n> tekst";
        assert_eq!(
            unflow(text, false),
            "Endringer denne gangen: K\u{e5}re Brekke har g\u{e5}tt ned til 50 % stilling.\n\n-- \nMvh\n>sitert tekst"
        );
        assert_eq!(unflow("a-\nb", true), "a-\nb");
        assert_eq!(unflow("lang- \nord", true), "lang-ord");
    }

    #[test]
    fn html_tables_become_pipe_rows() {
        let html = "<table><tr><td>Firma</td><td> Acme AS </td></tr><tr><th>Org.nr.</th><td>936048048</td></tr></table>";
        assert_eq!(html_to_text(html), "Firma | Acme AS\nOrg.nr. | 936048048");
    }

    #[test]
    fn html_outlook_cells_with_paragraphs() {
        let html = "<table><tr><td><p class=MsoNormal>Firma<o:p></o:p></p></td><td><p class=MsoNormal>Acme AS<o:p></o:p></p></td></tr><tr><td><p>Mobil</p></td><td><p>917 23 456<br>(dagtid)</p></td></tr></table><p>Mvh</p>";
        assert_eq!(
            html_to_text(html),
            "Firma | Acme AS\nMobil | 917 23 456\n(dagtid)\nMvh"
        );
    }

    #[test]
    fn html_signature_cell_keeps_its_lines() {
        let html = "<p>Mvh</p><table><tr><td><img src=cid:x></td><td><p><b>Tone Berg</b><br>Leder<br>Havblikk AS</p></td></tr></table>";
        assert_eq!(html_to_text(html), "Mvh\nTone Berg\nLeder\nHavblikk AS");
    }

    #[test]
    fn html_blockquote_is_quoted() {
        let html = "<div>Svar her</div><blockquote><div>gammel tekst</div></blockquote>";
        assert_eq!(html_to_text(html), "Svar her\n> gammel tekst");
    }

    #[test]
    fn html_comments_and_stray_lt() {
        assert_eq!(html_to_text("a <!-- x --> < b"), "a < b");
        assert_eq!(html_to_text("unterminated <b"), "unterminated <b");
    }

    #[test]
    fn list_detection_by_name_and_type() {
        let a = |name: Option<&str>, ct: &str, inline: bool| Attachment {
            file_name: name.map(str::to_string),
            content_type: ct.into(),
            inline,
            bytes: vec![],
        };
        assert!(a(Some("Trekkliste.XLSX"), "application/octet-stream", false).looks_like_list());
        assert!(a(Some("liste.csv"), "text/csv", false).looks_like_list());
        assert!(a(None, "application/vnd.ms-excel", false).looks_like_list());
        assert!(a(Some("skann.pdf"), "application/pdf", false).looks_like_list());
        assert!(!a(Some("image001.png"), "image/png", true).looks_like_list());
        assert!(!a(Some("logo.pdf"), "image/png", true).looks_like_list());
        assert!(!a(Some("notat.docx"), "application/msword", false).looks_like_list());
        assert!(!a(None, "message/delivery-status", false).looks_like_list());
        assert!(!a(Some("Faktura 20268782.pdf"), "application/pdf", false).looks_like_list());
        assert!(a(Some("Trekkliste og faktura.pdf"), "application/pdf", false).looks_like_list());
        assert!(!a(Some("ATT00001.txt"), "text/plain", false).looks_like_list());
    }

    #[test]
    fn parses_basic_message() {
        let raw = b"From: =?utf-8?Q?Kari_N=C3=B8rdmann?= <Kari@Example.NO>\r\nTo: a@b.no\r\nSubject: =?utf-8?Q?Trekkliste_for_m=C3=A5ned?=\r\nDate: Mon, 02 Nov 2026 09:47:12 +0100\r\nMessage-ID: <abc@x>\r\nReferences: <r1@x> <r2@x>\r\nX-Custom: =?utf-8?Q?bl=C3=A5?=\r\n\r\nHei\r\n";
        let mail = parse_mail(raw).expect("parses");
        assert_eq!(mail.subject, "Trekkliste for måned");
        assert_eq!(mail.from_address.as_deref(), Some("kari@example.no"));
        assert_eq!(mail.from_name.as_deref(), Some("Kari Nørdmann"));
        assert_eq!(mail.message_id.as_deref(), Some("abc@x"));
        assert_eq!(mail.references, vec!["r1@x", "r2@x"]);
        assert_eq!(mail.header("x-custom"), Some("blå"));
        assert_eq!(
            mail.date.map(|d| d.to_rfc3339()),
            Some("2026-11-02T08:47:12+00:00".into())
        );
        assert_eq!(mail.text.trim(), "Hei");
    }

    #[test]
    fn text_attachments_keep_their_letters() {
        let csv_1252 = b"Navn;Bel\xf8p\r\nGr\xf8nli;450\r\n";
        let b64 = |bytes: &[u8]| -> String {
            const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
                for i in 0..4 {
                    if i <= chunk.len() {
                        out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                    } else {
                        out.push('=');
                    }
                }
            }
            out
        };
        for (ctype, expect_utf8) in [
            ("text/csv; charset=windows-1252", true),
            ("text/csv", false),
        ] {
            let raw = format!(
                "From: a@b.no\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nHei\r\n--B\r\nContent-Type: {ctype}; name=l.csv\r\nContent-Disposition: attachment; filename=l.csv\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--B--\r\n",
                b64(csv_1252)
            );
            let mail = parse_mail(raw.as_bytes()).expect("parses");
            let att = mail.attachments.first().expect("attachment");
            if expect_utf8 {
                assert_eq!(
                    String::from_utf8_lossy(&att.bytes),
                    "Navn;Beløp\r\nGrønli;450\r\n"
                );
            } else {
                assert_eq!(att.bytes, csv_1252.to_vec());
            }
        }
    }

    #[test]
    fn rejects_oversized() {
        let big = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        assert!(matches!(parse_mail(&big), Err(MimeError::TooLarge(_))));
    }
}
