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
