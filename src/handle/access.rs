//! Winorg trekksentral access requests (SPEC §6): register, merge repeats and follow-ups,
//! ask for what is missing, put complete ones before staff.
use super::{base_context, Context, HandleError, Handled, ReplyPlan};
use crate::classify::{extract_access, merge_access, AccessFields, Kind, Lang};
use crate::decide::access::{may_update, status_of, AccessStatus};
use crate::store::{AccessRequestRow, AccessWrite, Store};

pub async fn handle(store: &impl Store, cx: &Context<'_>) -> Result<Handled, HandleError> {
    let extracted = cx
        .class
        .access
        .clone()
        .unwrap_or_else(|| extract_access(cx.mail));
    let earlier = earlier_request(store, cx, &extracted).await?;
    let (id, fields, first_message) = match &earlier {
        Some(row) => (
            Some(row.id),
            merge_access(&row.fields, &extracted),
            row.first_message,
        ),
        None => (None, extracted, None),
    };
    let status = status_of(&fields);
    let employer = match fields.org_number.as_deref() {
        Some(org) if !fields.missing.iter().any(|m| m == "org_number") => {
            store.employer_by_org(org).await?
        }
        _ => None,
    };
    let mut handled = Handled::new(Kind::AccessRequest, status.as_str());
    handled.access_request = Some(fields.clone());
    let token = format!("AR-{}", first_message.unwrap_or(cx.message));
    let mut context = base_context(cx.settings);
    context.insert(
        "access".into(),
        serde_json::to_value(&fields).unwrap_or_default(),
    );
    let template = if status == AccessStatus::NeedsInfo {
        let labels: Vec<&str> = fields
            .missing
            .iter()
            .map(|m| field_label(m, cx.class.lang))
            .collect();
        context.insert("missing_fields".into(), labels.into());
        "access_query"
    } else {
        handled.flags.push("access_request".into());
        "received_under_review"
    };
    handled.reply = Some(ReplyPlan {
        template,
        token,
        context: serde_json::Value::Object(context),
        to: None,
    });
    handled.access_write = Some(AccessWrite {
        id,
        fields,
        status,
        employer_id: employer.map(|e| e.employer_id),
    });
    Ok(handled)
}

/// The request this mail continues: one in its conversation, else one for the same org
/// number and e-mail. Requests staff already decided are not reopened.
async fn earlier_request(
    store: &impl Store,
    cx: &Context<'_>,
    fields: &AccessFields,
) -> Result<Option<AccessRequestRow>, HandleError> {
    for m in cx.thread.iter().rev() {
        if let Some(id) = m.access_request {
            if let Some(row) = store.access_request(id).await? {
                if may_update(row.status) {
                    return Ok(Some(row));
                }
            }
        }
    }
    if let (Some(org), Some(email)) = (&fields.org_number, &fields.email) {
        if let Some(row) = store.access_request_by_key(org, email).await? {
            if may_update(row.status) {
                return Ok(Some(row));
            }
        }
    }
    Ok(None)
}

/// Whether a mail in a conversation continues an access request still waiting for details.
pub async fn continues_request(
    store: &impl Store,
    thread: &[crate::store::ThreadMessage],
) -> Result<bool, HandleError> {
    for m in thread.iter().rev() {
        if let Some(id) = m.access_request {
            if let Some(row) = store.access_request(id).await? {
                return Ok(row.status == AccessStatus::NeedsInfo);
            }
        }
    }
    Ok(false)
}

pub fn field_label(field: &str, lang: Lang) -> &'static str {
    match (field, lang) {
        ("company_name", Lang::Nb) => "firmanavn",
        ("org_number", Lang::Nb) => "gyldig organisasjonsnummer (9 siffer)",
        ("requester_name", Lang::Nb) => "navnet ditt",
        ("email", Lang::Nb) => "e-postadresse",
        ("mobile", Lang::Nb) => "mobilnummer (norsk, 8 siffer)",
        ("company_name", Lang::En) => "company name",
        ("org_number", Lang::En) => "a valid organisation number (9 digits)",
        ("requester_name", Lang::En) => "your name",
        ("email", Lang::En) => "e-mail address",
        ("mobile", Lang::En) => "mobile number (Norwegian, 8 digits)",
        _ => "?",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StaffDecisionError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("no access request {0}")]
    Unknown(i64),
    #[error("access request {0} is {1} and cannot be decided now")]
    NotPending(i64, &'static str),
    #[error("a rejection needs a reason")]
    NoReason,
    #[error(transparent)]
    Reply(#[from] crate::reply::ReplyError),
}

/// Staff approve or reject a complete request (SPEC §6): the reply is queued in the same
/// transaction as the decision, and the decision is audited.
pub async fn decide_by_staff(
    store: &impl Store,
    settings: &crate::config::Settings,
    id: i64,
    approve: bool,
    actor: &str,
    reason: Option<&str>,
) -> Result<(), StaffDecisionError> {
    let row = store
        .access_request(id)
        .await?
        .ok_or(StaffDecisionError::Unknown(id))?;
    if row.status != AccessStatus::PendingApproval {
        return Err(StaffDecisionError::NotPending(id, row.status.as_str()));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if !approve && reason.is_none() {
        return Err(StaffDecisionError::NoReason);
    }
    let (status, template) = if approve {
        (AccessStatus::Approved, "access_confirmed")
    } else {
        (AccessStatus::Rejected, "access_rejected")
    };
    let answered = match row.last_message {
        Some(m) => store.message(m).await?,
        None => None,
    };
    let lang = answered
        .as_ref()
        .and_then(|m| m.report_json.as_deref())
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|v| {
            v["lang"]
                .as_str()
                .map(|l| if l == "en" { Lang::En } else { Lang::Nb })
        })
        .unwrap_or_default();
    let mut context = base_context(settings);
    let token = format!("AR-{}", row.first_message.unwrap_or(id));
    context.insert("token".into(), token.into());
    context.insert(
        "access".into(),
        serde_json::to_value(&row.fields).unwrap_or_default(),
    );
    context.insert("reason".into(), reason.unwrap_or_default().into());
    let rendered = crate::reply::render(template, lang, &serde_json::Value::Object(context))?;
    let Some(to) = row.fields.email.clone() else {
        return Err(StaffDecisionError::NotPending(
            id,
            "without an e-mail address",
        ));
    };
    let message_id = format!(
        "tp.ar{id}.{:016x}@{}",
        rand::random::<u64>(),
        settings.mail.domain
    );
    let parent = answered.and_then(|m| m.message_id);
    let envelope = crate::reply::Envelope {
        from_address: &settings.mail.address,
        from_name: &settings.mail.display_name,
        to: &to,
        in_reply_to: parent.as_deref(),
        references: parent.iter().cloned().collect(),
        message_id: &message_id,
        date: chrono::Utc::now(),
    };
    let eml = crate::reply::build_eml(&envelope, &rendered)?;
    let held = store.is_undeliverable(&to).await?;
    let reply = crate::store::OutboxWrite {
        template: template.to_string(),
        to_address: to,
        subject: rendered.subject,
        message_id,
        eml,
        held,
    };
    store
        .decide_access_request(id, status, actor, reason, Some(&reply))
        .await?;
    Ok(())
}
