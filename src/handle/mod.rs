//! One handler per kind of message (SPEC §2). A handler gathers facts from the store, calls
//! the pure rules in `decide`, and returns a [`Handled`]: the outcome, what to write, and the
//! reply to send (if any). The pipeline commits it.
use crate::classify::{AccessFields, Classification, Kind};
use crate::decide::matching::LineStatusCounts;
use crate::mime::Mail;
use crate::store::{AccessWrite, AttachmentWrite};

pub mod access;
pub mod invoice;
pub mod list;
pub mod other;

/// A reply the handler wants sent; the pipeline applies the sending rules (RFC 3834,
/// daily cap, undeliverable addresses) and renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyPlan {
    pub template: &'static str,
    /// Thread token for the subject, e.g. `TL-245965`.
    pub token: String,
    /// Template data (national IDs already masked).
    pub context: serde_json::Value,
    /// Overrides the default recipient (the sender).
    pub to: Option<String>,
}

/// What handling one message decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    pub kind: Kind,
    pub outcome: String,
    pub flags: Vec<String>,
    pub queries: Vec<String>,
    pub list_number: Option<String>,
    pub line_status: Option<LineStatusCounts>,
    pub access_request: Option<AccessFields>,
    pub reply: Option<ReplyPlan>,
    /// Details for staff and the report that are not §11 flags.
    pub warnings: Vec<String>,
    pub attachments: Vec<AttachmentWrite>,
    pub mark_submitted: Option<(String, i64)>,
    pub access_write: Option<AccessWrite>,
    pub bounced_outbox_message_id: Option<String>,
    pub undeliverable: Vec<String>,
}

impl Handled {
    pub fn new(kind: Kind, outcome: &str) -> Handled {
        Handled {
            kind,
            outcome: outcome.to_string(),
            flags: Vec::new(),
            queries: Vec::new(),
            list_number: None,
            line_status: None,
            access_request: None,
            reply: None,
            warnings: Vec::new(),
            attachments: Vec::new(),
            mark_submitted: None,
            access_write: None,
            bounced_outbox_message_id: None,
            undeliverable: Vec::new(),
        }
    }
}

/// What every handler may read about the message besides the store.
pub struct Context<'a> {
    pub message: i64,
    pub mail: &'a Mail,
    pub class: &'a Classification,
    pub settings: &'a crate::config::Settings,
    /// The conversation the message joined, if any, with its earlier messages.
    pub thread: &'a [crate::store::ThreadMessage],
    /// Path of our own binary: attachments are parsed in a child process of it.
    pub exe: &'a std::path::Path,
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Free-mail domains never identify an employer by the sender's domain.
const SHARED_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "online.no",
    "live.no",
    "hotmail.no",
    "yahoo.no",
    "proton.me",
    "protonmail.com",
];

/// The employer a mail comes from, by its sender: one of the employer's contact addresses,
/// else the sender's domain when exactly one employer uses it (never a free-mail domain or
/// our own).
pub async fn sender_employer(
    store: &impl crate::store::Store,
    cx: &Context<'_>,
) -> Result<Option<crate::store::Employer>, HandleError> {
    let Some(from) = &cx.mail.from_address else {
        return Ok(None);
    };
    if let Some(e) = store.employer_by_contact(from).await? {
        return Ok(Some(e));
    }
    let domain = from.rsplit('@').next().unwrap_or("");
    let ours = cx.settings.mail.address.rsplit('@').next().unwrap_or("");
    if domain.is_empty() || domain == ours || SHARED_DOMAINS.contains(&domain) {
        return Ok(None);
    }
    let found = store.employers_by_domain(domain).await?;
    Ok(if found.len() == 1 {
        found.into_iter().next()
    } else {
        None
    })
}

/// Base template data shared by every reply.
pub fn base_context(
    settings: &crate::config::Settings,
) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert(
        "signature".into(),
        settings.mail.display_name.clone().into(),
    );
    m.insert("footer".into(), settings.mail.address.clone().into());
    m
}

/// A list as templates see it.
pub fn list_context(list: &crate::store::IssuedList) -> serde_json::Value {
    serde_json::json!({
        "number": list.list_number,
        "period": list.period,
        "kid": list.kid,
        "due_date": list.due_date.format("%d.%m.%Y").to_string(),
        "invoice_number": list.invoice_number,
        "invoice_amount": list.invoice_amount_ore,
    })
}
