//! What a message is (SPEC §2): kind, language, and what was extracted.
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

/// Classify a decoded message.
pub fn classify(_mail: &Mail) -> Classification {
    Classification {
        kind: Kind::Question,
        lang: Lang::Nb,
        bulk: false,
        never_answer: false,
        access: None,
        bounce: None,
        references: References::default(),
    }
}

/// TEMPORARY stand-ins until the classify branch lands.
pub fn extract_access(_mail: &Mail) -> AccessFields {
    AccessFields::default()
}
pub fn merge_access(_earlier: &AccessFields, later: &AccessFields) -> AccessFields {
    later.clone()
}
