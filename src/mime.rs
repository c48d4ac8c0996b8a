//! Raw message bytes → the plain [`Mail`] the rest of the product reads (mail-parser underneath).
use chrono::{DateTime, Utc};

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

#[derive(Debug, thiserror::Error)]
pub enum MimeError {
    #[error("cannot parse message: {0}")]
    Unparseable(String),
}

/// Decode a message. Panics inside mail-parser are contained and reported as errors.
pub fn parse_mail(_raw: &[u8]) -> Result<Mail, MimeError> {
    Err(MimeError::Unparseable("not built yet".into()))
}

impl Attachment {
    /// TEMPORARY stand-in until the classify branch lands.
    pub fn looks_like_list(&self) -> bool {
        false
    }
}
