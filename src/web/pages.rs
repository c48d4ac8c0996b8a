//! What staff read: the queue, an item, employers, the audit log, health. Read-only, except
//! that opening an attachment is audited (it holds national IDs).
use super::auth::Staff;
use super::{mail_view, render, AppState, WebError};
use crate::decide::access::AccessStatus;
use crate::store::{
    AccessRequestRow, Employer, IssuedList, MessageDetail, QueueFilter, QueueItem, Store,
};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Flag kinds, in the order the queue lists them, with their Norwegian names.
pub const FLAG_KINDS: &[(&str, &str)] = &[
    ("access_request", "Tilgangsforespørsel"),
    ("unidentified_list", "Ukjent liste"),
    ("already_submitted", "Allerede innsendt"),
    ("payment_mismatch", "Betaling stemmer ikke"),
    ("new_person", "Ny person"),
    ("invoice_unknown", "Ukjent faktura"),
    ("change_request", "Endringsønske"),
    ("question", "Spørsmål"),
    ("bounce", "Returnert e-post"),
    ("dead_letter", "Svar som ikke kunne sendes"),
    ("undeliverable", "Svar holdt tilbake"),
    ("reply_limit", "Svargrense nådd"),
    ("reply_failed", "Svar kunne ikke lages"),
    ("unreadable_message", "Uleselig e-post"),
    ("message_too_large", "For stor e-post"),
];

pub fn kind_label(kind: &str) -> String {
    FLAG_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| kind.to_string())
}

/// Why the pipeline put an item before staff, in words a new staff member understands.
pub fn kind_reason(kind: &str) -> &'static str {
    match kind {
        "access_request" => "En arbeidsgiver ber om tilgang til Winorg trekksentral, og alle opplysningene er på plass. Godkjenn eller avvis forespørselen.",
        "unidentified_list" => "Vedlegget ble lest som en trekkliste, men det gikk ikke å finne hvilken utsendt liste den hører til. Flytt meldingen til riktig liste.",
        "already_submitted" => "Lista er allerede innsendt og bekreftet tidligere. Arbeidsgiveren har fått beskjed om at en saksbehandler følger opp.",
        "payment_mismatch" => "Det er kommet inn en betaling som ikke stemmer med fakturert eller innsendt beløp. Se avstemmingen under.",
        "new_person" => "Lista har personer som ikke sto på den utsendte lista. De må legges inn i medlemssystemet eller avklares.",
        "invoice_unknown" => "Avsenderen ber om en fakturakopi, men fakturaen ble ikke funnet.",
        "change_request" => "Avsenderen vil endre noe etter innsending (liste eller fakturaadresse).",
        "question" => "En henvendelse som ikke passer noen automatisk behandling. Les e-posten og svar.",
        "bounce" => "Et svar fra oss kom i retur. Adressen er merket som ikke leverbar.",
        "dead_letter" => "Et svar kunne ikke sendes etter flere forsøk. Send det på nytt eller forkast det.",
        "undeliverable" => "Svaret ble holdt tilbake fordi adressen har gitt retur før.",
        "reply_limit" => "Avsenderen har fått mange automatiske svar i dag; dette ble ikke besvart automatisk.",
        "reply_failed" => "Svaret kunne ikke lages automatisk.",
        "unreadable_message" => "E-posten kunne ikke leses. Se råteksten under.",
        "message_too_large" => "E-posten var større enn grensen og ble ikke lest; bare toppfeltene er lagret, og selve e-posten ligger i mappen for feilede e-poster. Avsenderen er bedt om å sende den mindre eller delt opp.",
        _ => "Denne saken trenger en saksbehandler.",
    }
}

/// What an action did, shown once after its redirect. Codes, not text: nothing a link
/// carries is echoed into the page.
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "lukket" => "Saken er lukket.",
        "godkjent" => "Tilgangen er godkjent, og svaret access_confirmed ligger i utboksen.",
        "avvist" => "Forespørselen er avvist, og svaret access_rejected ligger i utboksen.",
        "kjort" => "Meldingen er behandlet på nytt. Nye svar er holdt tilbake.",
        "flyttet" => "Meldingen er flyttet til en annen liste.",
        "sendt" => "Svaret ligger i utboksen og sendes straks.",
        "prov" => "Svaret sendes på nytt.",
        "forkastet" => "Svaret er forkastet.",
        _ => return None,
    })
}

/// Context every page has: who is logged in and the form token.
fn base(staff: &Staff, active: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("staff".into(), staff.email.clone().into());
    m.insert("csrf".into(), staff.csrf.clone().into());
    m.insert("active".into(), active.into());
    m
}

fn html(name: &str, context: serde_json::Map<String, Value>) -> Html<String> {
    Html(render::page(name, Value::Object(context)))
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Only items at least this many days old.
    pub age: Option<String>,
    pub employer: Option<String>,
    pub ok: Option<String>,
    /// 1-based page of the queue.
    pub side: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn item_json(i: &QueueItem) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("kind_label".into(), kind_label(&i.kind).into());
        o.insert("why".into(), kind_reason(&i.kind).into());
        o.insert(
            "age_days".into(),
            i.since
                .map(|c| (Utc::now() - c).num_days())
                .unwrap_or(0)
                .into(),
        );
        o.insert(
            "href".into(),
            match i.message {
                Some(m) => format!("/melding/{m}#sak-{}", i.flag_id),
                None => format!("/sak/{}", i.flag_id),
            }
            .into(),
        );
    }
    v
}

pub async fn queue(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Query(q): Query<QueueQuery>,
) -> Result<Html<String>, WebError> {
    let status = match non_empty(&q.status).as_deref() {
        None => Some("open".to_string()),
        Some("alle") => None,
        Some(s) => Some(s.to_string()),
    };
    let age: Option<i64> = non_empty(&q.age).and_then(|a| a.parse().ok());
    let filter = QueueFilter {
        kind: non_empty(&q.kind),
        status: status.clone(),
        created_before: age.map(|d| Utc::now() - chrono::Duration::days(d)),
        employer_id: non_empty(&q.employer),
    };
    let items = state.store.queue(&filter).await?;
    let total = items.len();
    // Enough to scan at a glance, few enough to render fast when "all" holds years of
    // resolved items.
    let per_page = state.settings.web.queue_page_size.max(1);
    let pages = total.div_ceil(per_page).max(1);
    let page = non_empty(&q.side)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown = &items[(page - 1) * per_page..(page * per_page).min(total)];
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for c in state.store.open_flag_counts().await? {
        counts.insert(c.kind, c.count);
    }
    let counts: Vec<Value> = counts
        .iter()
        .map(|(k, n)| json!({"kind": k, "label": kind_label(k), "count": n}))
        .collect();
    let employers: Vec<Value> = state
        .store
        .employers()
        .await?
        .iter()
        .map(|e| json!({"id": e.employer_id, "name": e.name}))
        .collect();
    let kinds: Vec<Value> = FLAG_KINDS
        .iter()
        .map(|(k, l)| json!({"kind": k, "label": l}))
        .collect();
    let mut c = base(&staff, "queue");
    c.insert(
        "items".into(),
        shown.iter().map(item_json).collect::<Vec<_>>().into(),
    );
    // Paging links keep the filters.
    let link = |p: usize| {
        let mut query: Vec<(&str, String)> = vec![("side", p.to_string())];
        for (k, v) in [
            ("kind", &q.kind),
            ("status", &q.status),
            ("age", &q.age),
            ("employer", &q.employer),
        ] {
            if let Some(v) = non_empty(v) {
                query.push((k, v));
            }
        }
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        format!("/?{encoded}")
    };
    c.insert(
        "paging".into(),
        json!({
            "total": total, "page": page, "pages": pages,
            "first": if total == 0 { 0 } else { (page - 1) * per_page + 1 },
            "last": (page * per_page).min(total),
            "prev": (page > 1).then(|| link(page - 1)),
            "next": (page < pages).then(|| link(page + 1)),
        }),
    );
    c.insert("counts".into(), counts.into());
    c.insert("kinds".into(), kinds.into());
    c.insert("employers".into(), employers.into());
    c.insert(
        "filter".into(),
        json!({
            "kind": filter.kind, "status": status.unwrap_or_else(|| "alle".into()),
            "age": age, "employer": filter.employer_id,
        }),
    );
    c.insert("notice".into(), notice(q.ok.as_deref()).into());
    Ok(html("queue.html", c))
}

#[derive(Debug, Default, Deserialize)]
pub struct ItemQuery {
    pub ok: Option<String>,
}

/// A flag without a message (e.g. a scheduled mail that could not be sent).
pub async fn flag_item(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(flag): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, WebError> {
    let item = state
        .store
        .queue_item(flag)
        .await?
        .ok_or(WebError::NotFound)?;
    if let Some(m) = item.message {
        let to = format!("/melding/{m}#sak-{flag}");
        return Ok(axum::response::Redirect::to(&to).into_response());
    }
    let mut c = base(&staff, "queue");
    // A payment that does not match names its list: show the list's figures.
    if let Some(n) = &item.list_number {
        if let Some(l) = state.store.list(n).await? {
            let paid: i64 = state
                .store
                .payments_for_list(n)
                .await?
                .iter()
                .map(|p| p.amount_ore)
                .sum();
            c.insert(
                "reconciliation".into(),
                reconciliation_json(&l, l.submitted_total_ore, paid),
            );
            if let Some(e) = state.store.employer(&l.employer_id).await? {
                c.insert("employer".into(), employer_json(&e));
            }
            c.insert("list".into(), list_json(&l));
        }
    }
    c.insert("flags".into(), vec![item_json(&item)].into());
    c.insert(
        "dead_letters".into(),
        dead_letter_json(&state).await?.into(),
    );
    c.insert("notice".into(), notice(q.ok.as_deref()).into());
    Ok(html("item.html", c).into_response())
}

async fn dead_letter_json(state: &AppState) -> Result<Vec<Value>, WebError> {
    Ok(state
        .store
        .dead_letters()
        .await?
        .iter()
        .map(|o| serde_json::to_value(o).unwrap_or_default())
        .collect())
}

fn list_json(l: &IssuedList) -> Value {
    json!({
        "list_number": l.list_number, "employer_id": l.employer_id, "period": l.period,
        "issued_date": l.issued_date.format("%d.%m.%Y").to_string(),
        "due_date": l.due_date.format("%d.%m.%Y").to_string(),
        "invoice_number": l.invoice_number, "kid": l.kid,
        "invoice_amount_ore": l.invoice_amount_ore,
        "submitted_message": l.submitted_message, "submitted_total_ore": l.submitted_total_ore,
    })
}

/// SPEC §5's three figures, with the differences staff look for.
fn reconciliation_json(l: &IssuedList, submitted: Option<i64>, paid: i64) -> Value {
    json!({
        "invoiced": l.invoice_amount_ore, "submitted": submitted, "paid": paid,
        "submitted_minus_invoiced": submitted.map(|s| s - l.invoice_amount_ore),
        "paid_minus_expected": paid - submitted.unwrap_or(l.invoice_amount_ore),
    })
}

fn employer_json(e: &Employer) -> Value {
    json!({
        "employer_id": e.employer_id, "org_number": e.org_number, "name": e.name,
        "contact_emails": e.contact_emails, "invoice_email": e.invoice_email,
        "uses_winorg": e.uses_winorg,
    })
}

fn access_json(a: &AccessRequestRow) -> Value {
    json!({
        "id": a.id, "status": a.status.as_str(), "fields": a.fields,
        "employer_id": a.employer_id, "reason": a.reason,
        "pending": a.status == AccessStatus::PendingApproval,
    })
}

fn message_json(m: &MessageDetail) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    let report: Value = m
        .report_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("report_json");
        o.insert("report".into(), report);
    }
    v
}

pub async fn message_item(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
    Query(q): Query<ItemQuery>,
) -> Result<Html<String>, WebError> {
    let store = &state.store;
    let message = store.message_detail(id).await?.ok_or(WebError::NotFound)?;
    let raw = store.raw_message(id).await?.unwrap_or_default();
    let view = mail_view::view(&raw);
    let flags = store.flags_of_message(id).await?;
    let stored_atts = store.attachments_of(id).await?;
    let lines = store.parsed_lines_of(id).await?;

    let list = match &message.list_number {
        Some(n) => store.list(n).await?,
        None => None,
    };
    let mut reconciliation = Value::Null;
    let mut missing = Vec::new();
    let mut employer = Value::Null;
    if let Some(l) = &list {
        let paid: i64 = store
            .payments_for_list(&l.list_number)
            .await?
            .iter()
            .map(|p| p.amount_ore)
            .sum();
        let submitted: Option<i64> = if lines.is_empty() {
            l.submitted_total_ore
        } else {
            Some(lines.iter().filter_map(|x| x.amount_ore).sum())
        };
        reconciliation = reconciliation_json(l, submitted, paid);
        if !lines.is_empty() {
            let matched: Vec<&str> = lines
                .iter()
                .filter_map(|x| x.matched_member.as_deref())
                .collect();
            for p in store.issued_lines(&l.list_number).await? {
                if !matched.contains(&p.member_number.as_str()) {
                    missing.push(json!({
                        "member_number": p.member_number, "name": p.name,
                        "national_id": p.national_id.as_deref().map(render::mask_id),
                        "amount_ore": p.amount_ore,
                    }));
                }
            }
        }
        if let Some(e) = store.employer(&l.employer_id).await? {
            employer = employer_json(&e);
        }
    }
    let access = match message.access_request_id {
        Some(a) => store.access_request(a).await?,
        None => None,
    };
    if employer.is_null() {
        if let Some(e) = access.as_ref().and_then(|a| a.employer_id.clone()) {
            if let Some(e) = store.employer(&e).await? {
                employer = employer_json(&e);
            }
        }
    }
    if employer.is_null() {
        if let Some(from) = &message.from_address {
            if let Some(e) = store.employer_by_contact(from).await? {
                employer = employer_json(&e);
            }
        }
    }
    let conversation = match message.conversation_id {
        Some(c) => store.conversation_messages(c).await?,
        None => vec![message.clone()],
    };
    let ids: Vec<i64> = conversation.iter().map(|m| m.id).collect();
    let outbox = store.outbox_of_messages(&ids).await?;
    // One time line: mails in and replies out.
    let mut timeline: Vec<(String, Value)> = Vec::new();
    for m in &conversation {
        let at = m.arrival.or(m.stored_at).map(|t| t.to_rfc3339());
        timeline.push((
            at.clone().unwrap_or_default(),
            json!({"dir": "inn", "at": at, "id": m.id, "from": m.from_address, "subject": m.subject,
                   "kind": m.kind, "outcome": m.outcome, "current": m.id == id}),
        ));
    }
    for o in &outbox {
        let at = o.created_at.map(|t| t.to_rfc3339());
        timeline.push((
            at.clone().unwrap_or_default(),
            json!({"dir": "ut", "at": at, "id": o.id, "to": o.to_address, "subject": o.subject,
                   "template": o.template, "state": o.state, "attempts": o.attempts,
                   "last_error": o.last_error}),
        ));
    }
    timeline.sort_by(|a, b| a.0.cmp(&b.0));

    let attachments: Vec<Value> = view
        .attachments
        .iter()
        .map(|a| {
            let stored = stored_atts.iter().find(|s| s.sha256 == a.sha256);
            let parsed: Value = stored
                .and_then(|s| s.parsed_json.as_deref())
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            json!({
                "index": a.index, "file_name": a.file_name, "content_type": a.content_type,
                "size": a.size, "read": stored.is_some(),
                "readable": stored.and_then(|s| s.readable), "reason": stored.and_then(|s| s.reason.clone()),
                "parsed": parsed,
            })
        })
        .collect();
    let lines_json: Vec<Value> = lines
        .iter()
        .map(|l| {
            let mut v = serde_json::to_value(l).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "national_id".into(),
                    l.national_id.as_deref().map(render::mask_id).into(),
                );
                o.insert("has_national_id".into(), l.national_id.is_some().into());
            }
            v
        })
        .collect();
    let dead = dead_letter_json(&state)
        .await?
        .into_iter()
        .filter(|o| o["message"].as_i64() == Some(id))
        .collect::<Vec<_>>();
    let may_rerun = access.as_ref().is_none_or(|a| {
        matches!(
            a.status,
            AccessStatus::NeedsInfo | AccessStatus::PendingApproval
        )
    });
    let lists: Vec<Value> = match &employer["employer_id"] {
        Value::String(e) => store
            .lists_of_employer(e)
            .await?
            .iter()
            .map(list_json)
            .collect(),
        _ => Vec::new(),
    };

    let mut c = base(&staff, "queue");
    c.insert("message".into(), message_json(&message));
    c.insert(
        "flags".into(),
        flags.iter().map(item_json).collect::<Vec<_>>().into(),
    );
    c.insert(
        "mail".into(),
        serde_json::to_value(&view).unwrap_or_default(),
    );
    c.insert("attachments".into(), attachments.into());
    c.insert("lines".into(), lines_json.into());
    c.insert("missing".into(), missing.into());
    c.insert("list".into(), list.as_ref().map(list_json).into());
    c.insert("employer_lists".into(), lists.into());
    c.insert("reconciliation".into(), reconciliation);
    c.insert("employer".into(), employer);
    c.insert("access".into(), access.as_ref().map(access_json).into());
    c.insert(
        "timeline".into(),
        timeline
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>()
            .into(),
    );
    c.insert("dead_letters".into(), dead.into());
    c.insert("may_rerun".into(), may_rerun.into());
    c.insert("notice".into(), notice(q.ok.as_deref()).into());
    Ok(html("item.html", c))
}

/// An attachment as a download (never shown inline: it may be anything). Audited.
pub async fn attachment(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path((id, n)): Path<(i64, usize)>,
) -> Result<Response, WebError> {
    let raw = state
        .store
        .raw_message(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (name, bytes) = mail_view::attachment(&raw, n).ok_or(WebError::NotFound)?;
    let safe = mail_view::safe_file_name(&name);
    state
        .store
        .audit(
            &staff.email,
            "attachment_download",
            &format!("message:{id}"),
            None,
            Some(&format!("vedlegg {n}: {safe}")),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ReplyQuery {
    pub mal: Option<String>,
}

/// Templates staff can start a reply from; `fritekst` is an empty letter.
pub const REPLY_TEMPLATES: &[(&str, &str)] = &[
    ("fritekst", "Fritekst"),
    ("received_under_review", "Mottatt, under behandling"),
    ("query_unreadable", "Be om lista som Excel"),
    ("already_submitted", "Lista er allerede innsendt"),
    ("too_late", "For sent til å endre"),
    ("invoice_copy", "Fakturakopi"),
];

pub async fn reply_form(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
    Query(q): Query<ReplyQuery>,
) -> Result<Html<String>, WebError> {
    let message = state
        .store
        .message_detail(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let template = q.mal.unwrap_or_else(|| "fritekst".into());
    let draft = super::actions::draft_reply(&state, &message, &template).await?;
    let mut c = base(&staff, "queue");
    c.insert("message".into(), message_json(&message));
    c.insert(
        "draft".into(),
        serde_json::to_value(&draft).unwrap_or_default(),
    );
    c.insert(
        "templates".into(),
        REPLY_TEMPLATES
            .iter()
            .map(|(k, l)| json!({"name": k, "label": l, "selected": *k == template}))
            .collect::<Vec<_>>()
            .into(),
    );
    Ok(html("reply.html", c))
}

pub async fn employers(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
) -> Result<Html<String>, WebError> {
    let mut c = base(&staff, "employers");
    c.insert(
        "employers".into(),
        state
            .store
            .employers()
            .await?
            .iter()
            .map(employer_json)
            .collect::<Vec<_>>()
            .into(),
    );
    Ok(html("employers.html", c))
}

pub async fn employer(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let store = &state.store;
    let e = store.employer(&id).await?.ok_or(WebError::NotFound)?;
    let mut lists = Vec::new();
    let mut payments = Vec::new();
    for l in store.lists_of_employer(&id).await? {
        let paid = store.payments_for_list(&l.list_number).await?;
        let paid_sum: i64 = paid.iter().map(|p| p.amount_ore).sum();
        for p in &paid {
            payments.push(json!({
                "list_number": l.list_number, "date": p.payment_date.format("%d.%m.%Y").to_string(),
                "amount_ore": p.amount_ore, "kid": p.kid, "source_ref": p.source_ref,
            }));
        }
        let mut v = list_json(&l);
        if let Some(o) = v.as_object_mut() {
            o.insert("paid_ore".into(), paid_sum.into());
        }
        lists.push(v);
    }
    let messages: Vec<Value> = store
        .messages_of_employer(&id)
        .await?
        .iter()
        .map(message_json)
        .collect();
    let access: Vec<Value> = store
        .access_requests()
        .await?
        .iter()
        .filter(|a| {
            a.employer_id.as_deref() == Some(id.as_str())
                || a.fields.org_number.as_deref() == Some(e.org_number.as_str())
        })
        .map(access_json)
        .collect();
    let open: Vec<Value> = store
        .queue(&QueueFilter {
            employer_id: Some(id.clone()),
            status: Some("open".into()),
            ..Default::default()
        })
        .await?
        .iter()
        .map(item_json)
        .collect();
    let mut c = base(&staff, "employers");
    c.insert("employer".into(), employer_json(&e));
    c.insert("lists".into(), lists.into());
    c.insert("payments".into(), payments.into());
    c.insert("messages".into(), messages.into());
    c.insert("access_requests".into(), access.into());
    c.insert("open_flags".into(), open.into());
    Ok(html("employer.html", c))
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub subject: Option<String>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, WebError> {
    let actor = non_empty(&q.actor);
    let subject = non_empty(&q.subject);
    let entries = state
        .store
        .audit_entries(actor.as_deref(), subject.as_deref(), 500)
        .await?;
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            // `message:12` links to its page.
            let link = e.subject.as_deref().and_then(|s| {
                let (kind, id) = s.split_once(':')?;
                let id: i64 = id.parse().ok()?;
                match kind {
                    "message" => Some(format!("/melding/{id}")),
                    "flag" => Some(format!("/sak/{id}")),
                    _ => None,
                }
            });
            if let Some(o) = v.as_object_mut() {
                o.insert("href".into(), link.into());
            }
            v
        })
        .collect();
    let mut c = base(&staff, "audit");
    c.insert("entries".into(), entries.into());
    c.insert("filter".into(), json!({"actor": actor, "subject": subject}));
    Ok(html("audit.html", c))
}

pub async fn health(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
) -> Result<Html<String>, WebError> {
    let facts = state.store.health_facts().await?;
    let settings = &state.settings;
    let poll = settings.daemon.poll_interval_secs as i64;
    // The daemon stores what it finds at every poll; with no mail for a while that says
    // nothing, so the backlog is only called stale when mail waits and nothing moves.
    let stale = facts
        .last_processed
        .is_some_and(|t| Utc::now() - t > chrono::Duration::seconds(poll * 10))
        && facts.unprocessed > 0;
    let source = if settings.source.kind == "imap" {
        let imap = &settings.imap;
        connection_json(
            format!("IMAP {}:{} ({})", imap.host, imap.port, imap.mailbox),
            state.store.transport_status("source").await?,
            // IDLE reports at least at each renewal; polling at each poll.
            if imap.idle {
                imap.idle_renew_secs as i64
            } else {
                imap.poll_interval_secs as i64
            },
        )
    } else {
        // A local folder has no connection: it can be read or not.
        let path = settings.source.path.display().to_string();
        json!({
            "label": format!("mappe {path}"), "local": true,
            "connected": settings.source.path.is_dir(), "known": true,
        })
    };
    let sink = if settings.sink.kind == "smtp" {
        let smtp = &settings.smtp;
        connection_json(
            format!("SMTP {}:{}", smtp.host, smtp.port),
            state.store.transport_status("sink").await?,
            i64::MAX,
        )
    } else {
        let path = settings.sink.path.display().to_string();
        json!({"label": format!("mappe {path}"), "local": true, "connected": true, "known": true})
    };
    let mut c = base(&staff, "health");
    c.insert(
        "facts".into(),
        serde_json::to_value(&facts).unwrap_or_default(),
    );
    c.insert("source".into(), source);
    c.insert("sink".into(), sink);
    c.insert("stale".into(), stale.into());
    c.insert(
        "dead_letters".into(),
        dead_letter_json(&state).await?.into(),
    );
    Ok(html("health.html", c))
}

/// What the daemon last recorded of a connection, for the health page. A record older than
/// twice `report_secs` (plus a margin) means the daemon itself may have stopped.
fn connection_json(
    label: String,
    status: Option<crate::store::TransportStatus>,
    report_secs: i64,
) -> Value {
    let Some(s) = status else {
        return json!({"label": label, "known": false});
    };
    let silent = s.updated_at.is_some_and(|t| {
        (Utc::now() - t).num_seconds() > report_secs.saturating_mul(2).saturating_add(120)
    });
    json!({
        "label": label,
        "known": true,
        "connected": s.connected,
        "updated_at": s.updated_at.map(|t| t.to_rfc3339()),
        "last_poll": s.last_poll.map(|t| t.to_rfc3339()),
        "waiting": s.waiting,
        "last_error": s.last_error,
        "silent": silent,
    })
}

/// One of our replies as the employer gets it (text part), with its sending state.
pub async fn outbox_item(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let row = state
        .store
        .outbox_row(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let eml = state.store.outbox_eml(id).await?.unwrap_or_default();
    let view = mail_view::view(&eml);
    let mut c = base(&staff, "queue");
    c.insert("row".into(), serde_json::to_value(&row).unwrap_or_default());
    c.insert(
        "mail".into(),
        serde_json::to_value(&view).unwrap_or_default(),
    );
    Ok(html("outbox.html", c))
}

/// Every Winorg access request, newest first, with a link to the mail it came from.
pub async fn access_requests(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
) -> Result<Html<String>, WebError> {
    let mut rows: Vec<Value> = state
        .store
        .access_requests()
        .await?
        .iter()
        .map(|a| {
            let mut v = access_json(a);
            if let Some(o) = v.as_object_mut() {
                o.insert("message".into(), a.last_message.into());
            }
            v
        })
        .collect();
    rows.reverse();
    let mut c = base(&staff, "access");
    c.insert("requests".into(), rows.into());
    Ok(html("access.html", c))
}

/// Approved requests for registration in Winorg (SPEC §6), as `trekkpost access export`
/// writes them. Audited: it holds names, addresses and phone numbers.
pub async fn access_export(
    State(state): State<AppState>,
    Extension(staff): Extension<Staff>,
) -> Result<Response, WebError> {
    let mut csv = String::from("org_number;company_name;requester_name;email;mobile;employer_id\n");
    let mut n = 0;
    for r in state.store.access_requests().await? {
        if r.status != AccessStatus::Approved {
            continue;
        }
        let f = &r.fields;
        let cell = |v: &Option<String>| {
            v.clone()
                .unwrap_or_default()
                .replace([';', '\n', '\r'], " ")
        };
        csv.push_str(&format!(
            "{};{};{};{};{};{}\n",
            cell(&f.org_number),
            cell(&f.company_name),
            cell(&f.requester_name),
            cell(&f.email),
            cell(&f.mobile),
            cell(&r.employer_id)
        ));
        n += 1;
    }
    state
        .store
        .audit(
            &staff.email,
            "access_export",
            "access_requests",
            None,
            Some(&format!("{n} approved requests")),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"winorg-tilganger.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}
