//! What a message is (SPEC §2): kind, language, and what was extracted.
//!
//! Order of decision: a delivery status notification is a bounce; a read receipt, a mailing
//! list or a vacation notice is an auto-reply; a list attachment makes a list submission (also
//! when a payroll system marked the mail as machine-sent: processed, never answered); other
//! bulk or machine mail is an auto-reply; otherwise the words of the sender's new text decide
//! between access request, invoice copy request, change request and question, with quoted
//! and forwarded text weighing less.
pub mod access;
pub mod auto;
pub mod bounce;
pub mod kind;
pub mod lang;
pub mod numbers;
pub mod refs;
pub mod text;

pub use access::{extract_access, merge_access};

use crate::mime::Mail;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ListSubmission,
    AccessRequest,
    InvoiceCopyRequest,
    ChangeRequest,
    Question,
    AutoReply,
    Bounce,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ListSubmission => "list_submission",
            Kind::AccessRequest => "access_request",
            Kind::InvoiceCopyRequest => "invoice_copy_request",
            Kind::ChangeRequest => "change_request",
            Kind::Question => "question",
            Kind::AutoReply => "auto_reply",
            Kind::Bounce => "bounce",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Nb,
    En,
}

/// The fields of a Winorg trekksentral access request (SPEC §6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessFields {
    pub company_name: Option<String>,
    /// Digits only; kept even when invalid (then named in `missing`).
    pub org_number: Option<String>,
    pub requester_name: Option<String>,
    /// Lower-case; defaults to the sender.
    pub email: Option<String>,
    /// `+47XXXXXXXX`; kept even when invalid (then named in `missing`).
    pub mobile: Option<String>,
    /// Missing or invalid, in the order company_name, org_number, requester_name, email, mobile.
    pub missing: Vec<String>,
}

/// A delivery status notification's content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BounceInfo {
    /// Lower-case addresses that failed permanently.
    pub failed_recipients: Vec<String>,
    /// Message-ID of the message that bounced, when the report includes it.
    pub original_message_id: Option<String>,
    /// `true` for a 5.x.x failure, `false` for a delay/temporary failure.
    pub permanent: bool,
}

/// What the classifier found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub kind: Kind,
    pub lang: Lang,
    /// Mailing-list or bulk mail (never answered).
    pub bulk: bool,
    /// Sender must never be answered (`noreply`, `mailer-daemon`, empty Return-Path…).
    pub never_answer: bool,
    pub access: Option<AccessFields>,
    pub bounce: Option<BounceInfo>,
    /// What the words alone ask for (`Question` when nothing in particular), whatever the
    /// attachments: a spreadsheet that holds no people decides nothing.
    pub words_kind: Kind,
    /// Numbers mentioned in subject/body/file names that may be list numbers, invoice
    /// numbers, KIDs, org numbers or employer IDs; the handlers check them against the store.
    pub references: References,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct References {
    pub numbers: Vec<String>,
    pub employer_ids: Vec<String>,
    /// e.g. `TL-245965` or `AR-42` from the subject.
    pub thread_token: Option<String>,
}

/// Weight of forwarded text against the sender's own words.
const FORWARDED_WEIGHT: f32 = 0.75;
/// Weight of quoted text: it may tip a tie, never decide alone.
const QUOTED_WEIGHT: f32 = 0.25;
/// A reply in an access-request thread (`[AR-…]`) is about that request.
const ACCESS_THREAD_BONUS: f32 = 4.0;

/// Classify a decoded message.
pub fn classify(mail: &Mail) -> Classification {
    let body = text::head(&mail.text, text::READ_LIMIT);
    let sections = text::split_body(body, &mail.subject);
    let signals = auto::signals(mail);
    let sender_never = auto::sender_never_answered(mail);
    let has_list = mail.attachments.iter().any(|a| a.looks_like_list());
    let subject = text::strip_subject_prefixes(&mail.subject);
    let token = refs::thread_token(&mail.subject);

    let words_kind = decide(intent_scores(subject, &sections, token.as_deref()));
    let mut bounce_info = None;
    let mut bulk = false;
    let kind = if bounce::is_bounce(mail) {
        bounce_info = Some(bounce::bounce_info(mail));
        Kind::Bounce
    } else if signals.receipt {
        Kind::AutoReply
    } else if has_list && (signals.generated_only || !(signals.auto_reply || signals.bulk)) {
        bulk = signals.bulk;
        Kind::ListSubmission
    } else if signals.bulk {
        bulk = true;
        Kind::AutoReply
    } else if signals.auto_reply
        || (words_kind == Kind::Question && auto::body_says_out_of_office(&sections.fresh))
    {
        Kind::AutoReply
    } else {
        words_kind
    };

    let lang_text = if sections.fresh.trim().is_empty() {
        format!("{}\n{}", mail.subject, body)
    } else {
        format!("{subject}\n{}", sections.fresh)
    };
    let lang = lang::detect(&lang_text, mail.header("content-language"));

    let file_names: Vec<&str> = mail
        .attachments
        .iter()
        .filter_map(|a| a.file_name.as_deref())
        .collect();
    let references = refs::collect(&mail.subject, body, &file_names);

    // RFC 3834: nothing marked as automatic is answered, whatever its kind.
    let never_answer = sender_never
        || matches!(kind, Kind::AutoReply | Kind::Bounce)
        || bulk
        || signals.auto_reply;
    let access = (kind == Kind::AccessRequest).then(|| extract_access(mail));

    Classification {
        kind,
        lang,
        bulk,
        never_answer,
        access,
        bounce: bounce_info,
        words_kind,
        references,
    }
}

/// Intent scores of the whole message: new text fully, forwarded and quoted text less.
fn intent_scores(subject: &str, sections: &text::Sections, token: Option<&str>) -> kind::Scores {
    let mut scores = kind::Scores::default();
    let fresh = format!("{subject}\n{}", sections.fresh);
    scores.add(kind::score(&fresh), 1.0);
    let fwd_weight = if sections.fresh.trim().is_empty() {
        1.0
    } else {
        FORWARDED_WEIGHT
    };
    if !sections.forwarded.is_empty() {
        scores.add(kind::score(&sections.forwarded), fwd_weight);
    }
    if !sections.quoted.is_empty() {
        scores.add(kind::score(&text::unquote(&sections.quoted)), QUOTED_WEIGHT);
    }
    if token.is_some_and(|t| t.starts_with("AR-")) {
        scores.access += ACCESS_THREAD_BONUS;
    }
    scores
}

/// The intent with the highest score, when it reaches the threshold; ties go to the more
/// specific request (access, then invoice copy, then change).
fn decide(s: kind::Scores) -> Kind {
    let mut best: Option<(Kind, f32)> = None;
    for (k, v) in [
        (Kind::AccessRequest, s.access),
        (Kind::InvoiceCopyRequest, s.invoice),
        (Kind::ChangeRequest, s.change),
    ] {
        if v >= kind::THRESHOLD && best.is_none_or(|(_, b)| v > b) {
            best = Some((k, v));
        }
    }
    best.map_or(Kind::Question, |(k, _)| k)
}

#[cfg(test)]
mod tests;
