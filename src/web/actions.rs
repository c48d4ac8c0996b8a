//! What staff do. Each action checks what it acts on, writes its effect and its audit entry
//! in one store transaction, and redirects back (POST → 303 → GET). The CSRF token was
//! already checked by `auth::require_staff`.
use super::auth::Staff;
use super::{render, AppState, WebError};
use crate::classify::Lang;
use crate::decide::access::AccessStatus;
use crate::decide::matching::{match_lines, IssuedLine};
use crate::handle::access::{decide_by_staff, StaffDecisionError};
use crate::parse::ParsedLine;
use crate::pipeline::Pipeline;
use crate::store::{MessageDetail, OutboxWrite, Store};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use serde_json::json;

fn back_to(message: Option<i64>, code: &str) -> Response {
    let to = match message {
        Some(m) => format!("/melding/{m}?ok={code}"),
        None => format!("/?ok={code}"),
    };
    Redirect::to(&to).into_response()
}

fn required(text: &str, what: &str) -> Result<String, WebError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(WebError::BadRequest(format!("{what} må fylles ut.")));
    }
    if t.chars().count() > 4000 {
        return Err(WebError::BadRequest(format!("{what} er for lang.")));
    }
    Ok(t.to_string())
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub note: String,
}

pub async fn resolve_flag(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(flag): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, WebError> {
    let note = required(&form.note, "Notatet")?;
    let item = state
        .store
        .queue_item(flag)
        .await?
        .ok_or(WebError::NotFound)?;
    if !state.store.resolve_flag(flag, &staff.email, &note).await? {
        return Err(WebError::BadRequest("Saken er allerede lukket.".into()));
    }
    Ok(back_to(item.message, "lukket"))
}

fn decision_error(e: StaffDecisionError) -> WebError {
    match e {
        StaffDecisionError::Store(s) => WebError::Store(s),
        StaffDecisionError::Unknown(_) => WebError::NotFound,
        StaffDecisionError::NotPending(_, status) => WebError::BadRequest(format!(
            "Forespørselen kan ikke avgjøres nå (status: {status})."
        )),
        StaffDecisionError::NoReason => {
            WebError::BadRequest("En avvisning må ha en begrunnelse.".into())
        }
        StaffDecisionError::Reply(r) => WebError::Internal(r.to_string()),
    }
}

pub async fn approve_access(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    decide_by_staff(&state.store, &state.settings, id, true, &staff.email, None)
        .await
        .map_err(decision_error)?;
    let message = state
        .store
        .access_request(id)
        .await?
        .and_then(|a| a.last_message);
    Ok(back_to(message, "godkjent"))
}

#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    pub reason: String,
}

pub async fn reject_access(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, WebError> {
    let reason = required(&form.reason, "Begrunnelsen")?;
    decide_by_staff(
        &state.store,
        &state.settings,
        id,
        false,
        &staff.email,
        Some(&reason),
    )
    .await
    .map_err(decision_error)?;
    let message = state
        .store
        .access_request(id)
        .await?
        .and_then(|a| a.last_message);
    Ok(back_to(message, "avvist"))
}

/// The full national ID of one parsed line, on an explicit request that is audited first.
pub async fn reveal_national_id(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path((id, line)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let row = state
        .store
        .parsed_line(line)
        .await?
        .filter(|l| l.message == id)
        .ok_or(WebError::NotFound)?;
    let Some(nid) = row.national_id.clone() else {
        return Err(WebError::NotFound);
    };
    state
        .store
        .audit(
            &staff.email,
            "national_id_shown",
            &format!("message:{id}"),
            None,
            Some(&format!(
                "linje {} ({} rad {}): {}",
                row.id,
                row.sheet,
                row.row_number,
                render::mask_id(&nid)
            )),
        )
        .await?;
    let html = render::revealed_page(
        "national_id.html",
        json!({
            "staff": staff.email, "csrf": staff.csrf, "message": id,
            "name": row.name, "national_id": nid, "sheet": row.sheet, "row": row.row_number,
        }),
    );
    Ok(Html(html).into_response())
}

/// Re-run a message through the pipeline (e.g. after the parser or the reference data
/// improved). Staff decisions stay: decided access requests are refused, resolved flags and
/// list reassignments are kept, and replies of the new outcome are held.
pub async fn rerun(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let store = &state.store;
    let message = store.message_detail(id).await?.ok_or(WebError::NotFound)?;
    if let Some(a) = message.access_request_id {
        if let Some(req) = store.access_request(a).await? {
            if matches!(req.status, AccessStatus::Approved | AccessStatus::Rejected) {
                return Err(WebError::BadRequest(
                    "Tilgangsforespørselen er allerede avgjort av saksbehandler; meldingen kjøres ikke på nytt.".into(),
                ));
            }
        }
    }
    if !store.reopen_for_rerun(id, &staff.email).await? {
        return Err(WebError::BadRequest(
            "Meldingen er ikke ferdig behandlet ennå.".into(),
        ));
    }
    let mut pipeline = Pipeline::new(store, &state.settings);
    pipeline.exe = state.exe.clone();
    let result = pipeline.process(id).await;
    // The hold is released and overrides reapplied whatever happened.
    store.finish_rerun(id, &staff.email).await?;
    result.map_err(|e| WebError::Internal(e.to_string()))?;
    // The new lines are matched against the list staff chose, not the one identified.
    if let Some((list, _)) = store
        .message_detail(id)
        .await?
        .and_then(|m| m.list_override)
    {
        rematch(&state, id, &list, &staff.email).await?;
    }
    Ok(back_to(Some(id), "kjort"))
}

#[derive(Debug, Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    pub list_number: String,
    #[serde(default)]
    pub note: String,
}

pub async fn reassign(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
    Form(form): Form<ReassignForm>,
) -> Result<Response, WebError> {
    let list_number = required(&form.list_number, "Listenummeret")?;
    let note = required(&form.note, "Notatet")?;
    state
        .store
        .message_detail(id)
        .await?
        .ok_or(WebError::NotFound)?;
    if state.store.list(&list_number).await?.is_none() {
        return Err(WebError::BadRequest(format!(
            "Fant ingen liste med nummer {list_number}."
        )));
    }
    state
        .store
        .reassign_message(id, &list_number, &staff.email, &note)
        .await?;
    rematch(&state, id, &list_number, &staff.email).await?;
    Ok(back_to(Some(id), "flyttet"))
}

/// Match the mail's parsed lines against the list staff chose, with the pipeline's own
/// matching rules (SPEC §4), so the item page shows them against the right list.
async fn rematch(
    state: &AppState,
    message: i64,
    list_number: &str,
    actor: &str,
) -> Result<(), WebError> {
    let rows = state.store.parsed_lines_of(message).await?;
    if rows.is_empty() {
        return Ok(());
    }
    let issued: Vec<IssuedLine> = state
        .store
        .issued_lines(list_number)
        .await?
        .into_iter()
        .map(|p| IssuedLine {
            member_number: p.member_number,
            name: p.name,
            national_id: p.national_id,
            amount_ore: p.amount_ore,
        })
        .collect();
    let date = |d: &Option<String>| {
        d.as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let parsed: Vec<ParsedLine> = rows
        .iter()
        .map(|r| ParsedLine {
            national_id: r.national_id.clone(),
            birth_date: date(&r.birth_date),
            name: r.name.clone(),
            member_number: r.member_number.clone(),
            employee_number: r.employee_number.clone(),
            amount_ore: r.amount_ore,
            end_date: date(&r.end_date),
            comment: r.comment.clone(),
            sheet: r.sheet.clone(),
            row: u32::try_from(r.row_number).unwrap_or(0),
            national_id_valid: true,
        })
        .collect();
    let matched = match_lines(&issued, &parsed);
    let updates: Vec<(i64, Option<String>, Option<String>)> = rows
        .iter()
        .zip(&matched.submitted)
        .map(|(r, (status, i))| {
            (
                r.id,
                Some(status.as_str().to_string()),
                i.and_then(|i| issued.get(i))
                    .map(|p| p.member_number.clone()),
            )
        })
        .collect();
    state
        .store
        .set_line_matches(message, &updates, actor)
        .await?;
    Ok(())
}

/// A reply as the form shows it before staff edit it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Draft {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The thread token of earlier replies (`[TL-123]`), so the answer joins the conversation.
async fn thread_token(
    state: &AppState,
    message: &MessageDetail,
) -> Result<Option<String>, WebError> {
    let ids = match message.conversation_id {
        Some(c) => state
            .store
            .conversation_messages(c)
            .await?
            .iter()
            .map(|m| m.id)
            .collect(),
        None => vec![message.id],
    };
    let outbox = state.store.outbox_of_messages(&ids).await?;
    Ok(outbox.iter().rev().find_map(|o| {
        let start = o.subject.rfind('[')?;
        let end = o.subject[start..].find(']')? + start;
        let token = &o.subject[start + 1..end];
        token
            .split_once('-')
            .is_some_and(|(a, b)| {
                a.len() == 2
                    && a.chars().all(|c| c.is_ascii_uppercase())
                    && b.chars().all(|c| c.is_ascii_digit())
            })
            .then(|| token.to_string())
    }))
}

pub async fn draft_reply(
    state: &AppState,
    message: &MessageDetail,
    template: &str,
) -> Result<Draft, WebError> {
    let token = thread_token(state, message).await?;
    let to = message.from_address.clone().unwrap_or_default();
    let subject_base = message.subject.clone().unwrap_or_default();
    let re = if subject_base.to_lowercase().starts_with("re:") {
        subject_base.clone()
    } else {
        format!("Re: {subject_base}")
    };
    let subject = match &token {
        Some(t) if !re.contains(&format!("[{t}]")) => format!("{re} [{t}]"),
        _ => re,
    };
    let signature = &state.settings.mail.display_name;
    let blank = format!("Hei,\n\n\n\nVennlig hilsen\n{signature}\n");
    if template == "fritekst"
        || !super::pages::REPLY_TEMPLATES
            .iter()
            .any(|(k, _)| *k == template)
    {
        return Ok(Draft {
            to,
            subject,
            body: blank,
        });
    }
    let mut context = crate::handle::base_context(&state.settings);
    context.insert("token".into(), token.clone().unwrap_or_default().into());
    if let Some(n) = &message.list_number {
        if let Some(l) = state.store.list(n).await? {
            context.insert("list".into(), crate::handle::list_context(&l));
            if let Some(e) = state.store.employer(&l.employer_id).await? {
                context.insert("employer_name".into(), e.name.into());
            }
        }
    }
    let lang = if message.lang.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Nb
    };
    // Templates written for the pipeline may need data this message lacks: then the
    // staff member starts from the blank letter instead of an error.
    let body = match crate::reply::render(template, lang, &serde_json::Value::Object(context)) {
        Ok(r) => r.text,
        Err(e) => {
            tracing::info!(template, error = %e, "reply template not usable as a draft");
            blank
        }
    };
    Ok(Draft { to, subject, body })
}

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
}

pub async fn send_reply(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, WebError> {
    let store = &state.store;
    let message = store.message_detail(id).await?.ok_or(WebError::NotFound)?;
    let to = required(&form.to, "Mottaker")?.to_lowercase();
    // Whatever staff typed, a full national ID never leaves in a mail (SPEC §7).
    let subject = crate::reply::mask_national_ids(&required(&form.subject, "Emnet")?);
    let body = crate::reply::mask_national_ids(&required(&form.body, "Teksten")?);
    if subject.contains(['\r', '\n']) {
        return Err(WebError::BadRequest("Emnet kan ikke ha linjeskift.".into()));
    }
    let rendered = crate::reply::Rendered {
        subject: subject.clone(),
        text: body.clone(),
        html: format!(
            "<!DOCTYPE html><html lang=\"nb\"><head><meta charset=\"utf-8\"><title>{}</title></head><body><div style=\"font-family: Arial, Helvetica, sans-serif; font-size: 14px; white-space: pre-wrap\">{}</div></body></html>",
            render::escape(&subject),
            render::escape(&body)
        ),
    };
    let settings = &state.settings;
    let message_id = format!(
        "tp.staff{id}.{:016x}@{}",
        rand::random::<u64>(),
        settings.mail.domain
    );
    let parent = message.message_id.clone();
    let envelope = crate::reply::Envelope {
        from_address: &settings.mail.address,
        from_name: &settings.mail.display_name,
        to: &to,
        in_reply_to: parent.as_deref(),
        references: parent.iter().cloned().collect(),
        message_id: &message_id,
        date: chrono::Utc::now(),
    };
    let eml = crate::reply::build_eml(&envelope, &rendered)
        .map_err(|e| WebError::BadRequest(format!("Svaret kunne ikke lages: {e}")))?;
    let held = store.is_undeliverable(&to).await?;
    let reply = OutboxWrite {
        template: "staff_reply".into(),
        to_address: to,
        subject,
        message_id,
        eml,
        held,
    };
    store.queue_staff_reply(id, &reply, &staff.email).await?;
    Ok(back_to(Some(id), "sendt"))
}

pub async fn retry_dead_letter(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let row = state
        .store
        .outbox_row(id)
        .await?
        .ok_or(WebError::NotFound)?;
    if !state.store.retry_dead_letter(id, &staff.email).await? {
        return Err(WebError::BadRequest(
            "Svaret er ikke et dødt brev (lenger).".into(),
        ));
    }
    Ok(back_to(row.message, "prov"))
}

pub async fn discard_dead_letter(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, WebError> {
    let note = required(&form.note, "Notatet")?;
    let row = state
        .store
        .outbox_row(id)
        .await?
        .ok_or(WebError::NotFound)?;
    if !state
        .store
        .discard_dead_letter(id, &staff.email, &note)
        .await?
    {
        return Err(WebError::BadRequest(
            "Svaret er ikke et dødt brev (lenger).".into(),
        ));
    }
    Ok(back_to(row.message, "forkastet"))
}
