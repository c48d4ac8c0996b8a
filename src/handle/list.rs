//! A list submission (SPEC §3–§5): parse the attachments, identify the list, match the lines,
//! reconcile, reply.
use super::{base_context, list_context, Context, HandleError, Handled, ReplyPlan};
use crate::classify::Kind;
use crate::decide::comments::is_commented;
use crate::decide::identify::{self, Evidence, ListCandidate};
use crate::decide::matching::{match_lines, IssuedLine, LineStatus};
use crate::decide::names::name_key;
use crate::decide::reconcile::{self, ListFacts, PaymentFact, Submission};
use crate::parse::{ParsedLine, ParsedList};
use crate::store::{AttachmentWrite, IssuedList, Store};
use std::collections::{BTreeSet, HashMap};

pub async fn handle(store: &impl Store, cx: &Context<'_>) -> Result<Handled, HandleError> {
    let mut handled = Handled::new(Kind::ListSubmission, "");
    let (combined, attachments, copies) = parse_attachments(cx).await;
    handled.attachments = attachments;
    let Some(parsed) = combined else {
        return Ok(finish(
            handled,
            &reconcile::decide(&Submission::Unreadable),
            None,
            cx,
            None,
        ));
    };
    handled.warnings.extend(parsed.warnings.iter().cloned());

    let evidence = gather_evidence(store, cx, &parsed).await?;
    let Some((list_number, by)) = identify::identify(&evidence) else {
        return Ok(finish(
            handled,
            &reconcile::decide(&Submission::Unidentified),
            None,
            cx,
            None,
        ));
    };
    let Some(list) = store.list(&list_number).await? else {
        return Ok(finish(
            handled,
            &reconcile::decide(&Submission::Unidentified),
            None,
            cx,
            None,
        ));
    };
    handled.warnings.push(format!("identified by {by:?}"));

    let issued: Vec<IssuedLine> = store
        .issued_lines(&list.list_number)
        .await?
        .iter()
        .map(issued_line)
        .collect();
    let matched = match_lines(&issued, &parsed.lines);
    // The HTML alternative too: a table of changes keeps a person's name and reason on
    // one row there, where the plain alternative may put each cell on its own line.
    let commented = |line: &ParsedLine| {
        [&cx.mail.text, &cx.mail.html_text]
            .iter()
            .any(|body| is_commented(line.comment.as_deref(), line.name.as_deref(), body))
    };
    let mut uncommented = Vec::new();
    for (line, (status, _)) in parsed.lines.iter().zip(&matched.submitted) {
        if status.is_change() && !commented(line) {
            uncommented.push(serde_json::json!({
                "name": line.name.clone().unwrap_or_default(),
                "national_id": line.national_id.as_deref().map(crate::norwegian::mask_national_id),
                "change": change_label(*status, cx.class.lang),
            }));
        }
    }
    // Line status per attachment line, for staff. A copy of another attachment was not
    // joined: its lines show the status of the same person in the one that was.
    let mut offset = 0;
    for (att, copy_of) in handled.attachments.iter_mut().zip(&copies) {
        if let (Some(p), None) = (&att.parsed, copy_of) {
            att.line_status = matched.submitted[offset..offset + p.lines.len()]
                .iter()
                .map(|(s, i)| {
                    (
                        Some(s.as_str().to_string()),
                        i.map(|i| issued[i].member_number.clone()),
                    )
                })
                .collect();
            offset += p.lines.len();
        }
    }
    let status_by_person: HashMap<String, (Option<String>, Option<String>)> = handled
        .attachments
        .iter()
        .zip(&copies)
        .filter(|(_, c)| c.is_none())
        .filter_map(|(a, _)| Some(a.parsed.as_ref()?.lines.iter().zip(a.line_status.clone())))
        .flatten()
        .map(|(l, s)| (person_key(l), s))
        .collect();
    for (att, copy_of) in handled.attachments.iter_mut().zip(&copies) {
        if let (Some(p), Some(_)) = (&att.parsed, copy_of) {
            att.line_status = p
                .lines
                .iter()
                .map(|l| {
                    status_by_person
                        .get(&person_key(l))
                        .cloned()
                        .unwrap_or((None, None))
                })
                .collect();
        }
    }
    let payments = store.payments_for_list(&list.list_number).await?;
    let arrival = cx
        .mail
        .date
        .map(|d| d.date_naive())
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let facts = ListFacts {
        already_submitted: list.submitted_message.is_some_and(|m| m != cx.message),
        invoiced_ore: list.invoice_amount_ore,
        payments: payments
            .iter()
            .map(|p| PaymentFact {
                date: p.payment_date,
                amount_ore: p.amount_ore,
            })
            .collect(),
        arrival,
        too_late_days: cx.settings.rules.too_late_days,
        counts: matched.counts,
        uncommented_change: !uncommented.is_empty(),
    };
    let decision = reconcile::decide(&Submission::Identified(facts));
    let new_total: i64 = parsed.lines.iter().filter_map(|l| l.amount_ore).sum();
    if let Some(declared) = parsed.declared_total_ore {
        if declared != new_total {
            handled.warnings.push(format!(
                "declared total {declared} øre differs from the lines' sum {new_total} øre"
            ));
        }
    }
    if decision.outcome == reconcile::ListOutcome::Confirmed {
        handled.mark_submitted = Some((list.list_number.clone(), new_total));
    }
    handled.line_status = Some(matched.counts);
    handled.list_number = Some(list.list_number.clone());
    let employer = store.employer(&list.employer_id).await?;
    let missing: Vec<serde_json::Value> = matched
        .missing
        .iter()
        .map(|i| {
            serde_json::json!({
                "name": issued[*i].name,
                "national_id": issued[*i].national_id.as_deref().map(crate::norwegian::mask_national_id),
            })
        })
        .collect();
    let mut context = base_context(cx.settings);
    context.insert("list".into(), list_context(&list));
    context.insert(
        "employer_name".into(),
        employer
            .as_ref()
            .map(|e| e.name.clone())
            .unwrap_or_default()
            .into(),
    );
    context.insert(
        "counts".into(),
        serde_json::to_value(matched.counts).unwrap_or_default(),
    );
    context.insert("new_total".into(), new_total.into());
    context.insert(
        "ask_comment".into(),
        decision.queries.contains(&"comment").into(),
    );
    context.insert(
        "ask_missing".into(),
        decision.queries.contains(&"missing").into(),
    );
    context.insert("uncommented".into(), uncommented.into());
    context.insert("missing".into(), missing.into());
    context.insert(
        "winorg".into(),
        (cx.settings.rules.remind_winorg_users && employer.as_ref().is_some_and(|e| e.uses_winorg))
            .into(),
    );
    Ok(finish(handled, &decision, Some(&list), cx, Some(context)))
}

fn change_label(status: LineStatus, lang: crate::classify::Lang) -> &'static str {
    use crate::classify::Lang;
    match (status, lang) {
        (LineStatus::AmountChanged, Lang::Nb) => "endret beløp",
        (LineStatus::Ended, Lang::Nb) => "sluttdato",
        (LineStatus::NewPerson, Lang::Nb) => "ny på listen",
        (LineStatus::AmountChanged, Lang::En) => "amount changed",
        (LineStatus::Ended, Lang::En) => "end date",
        (LineStatus::NewPerson, Lang::En) => "new on the list",
        _ => "",
    }
}

fn finish(
    mut handled: Handled,
    decision: &reconcile::ListDecision,
    list: Option<&IssuedList>,
    cx: &Context<'_>,
    context: Option<serde_json::Map<String, serde_json::Value>>,
) -> Handled {
    handled.outcome = decision.outcome.as_str().to_string();
    handled.flags = decision.flags.iter().map(|s| s.to_string()).collect();
    handled.queries = decision.queries.iter().map(|s| s.to_string()).collect();
    let mut context = context.unwrap_or_else(|| base_context(cx.settings));
    if let Some(list) = list {
        context.entry("list").or_insert_with(|| list_context(list));
    }
    if decision.outcome == reconcile::ListOutcome::QueryUnreadable {
        let reason = handled
            .attachments
            .iter()
            .filter_map(|a| a.parsed.as_ref().and_then(|p| p.reason.clone()))
            .next();
        context.insert("reason".into(), reason.into());
    }
    let token = match list {
        Some(l) => format!("TL-{}", l.list_number),
        None => format!("TP-{}", cx.message),
    };
    handled.reply = Some(ReplyPlan {
        template: decision.template,
        token,
        context: serde_json::Value::Object(context),
        to: None,
    });
    handled
}

/// Every list-like attachment was read, and none holds a table of people: not a list
/// that could not be read, but no list at all (a form, a letter in a spreadsheet).
pub fn readable_without_people(handled: &Handled) -> bool {
    !handled.attachments.is_empty()
        && handled.attachments.iter().all(|a| {
            a.parsed.as_ref().is_some_and(|p| {
                p.lines.is_empty()
                    && (p.readable || p.reason.as_deref() == Some(crate::parse::NO_PEOPLE))
            })
        })
}

/// Parse every attachment that looks like a list, in the sandbox; the readable ones with
/// lines are joined into one submission. An attachment listing exactly the people of one
/// already joined (the same list sent as Excel and as a PDF copy) is a copy: it is kept and
/// shown, but its lines are not counted twice. The third value names, per attachment, the
/// one it copies.
async fn parse_attachments(
    cx: &Context<'_>,
) -> (Option<ParsedList>, Vec<AttachmentWrite>, Vec<Option<usize>>) {
    let opts = crate::parse::ParseOptions {
        accept_synthetic_ids: cx.settings.rules.accept_synthetic_ids,
    };
    let mut writes = Vec::new();
    let mut copies = Vec::new();
    let mut combined: Option<ParsedList> = None;
    // The people of each joined attachment, by its index in `writes`.
    let mut joined: Vec<(usize, BTreeSet<String>)> = Vec::new();
    for att in cx.mail.attachments.iter().filter(|a| a.looks_like_list()) {
        let name = att
            .file_name
            .clone()
            .unwrap_or_else(|| "attachment".to_string());
        let parsed = parse_one(cx, &name, &att.bytes, &opts).await;
        let mut copy_of = None;
        if parsed.readable && !parsed.lines.is_empty() {
            let people: BTreeSet<String> = parsed.lines.iter().map(person_key).collect();
            copy_of = joined
                .iter()
                .find(|(_, earlier)| *earlier == people)
                .map(|(i, _)| *i);
            match (combined.as_mut(), copy_of) {
                (_, Some(original)) => {
                    let first = writes
                        .get(original)
                        .and_then(|w: &AttachmentWrite| w.file_name.clone())
                        .unwrap_or_default();
                    let same_amounts =
                        sorted_amounts(&parsed) == sorted_amounts_of(&writes, original);
                    let mut warning = format!(
                        "{name} lists the same people as {first}: read as a copy, not counted twice"
                    );
                    if !same_amounts {
                        warning.push_str(" (its amounts differ; those of the first were used)");
                    }
                    if let Some(c) = combined.as_mut() {
                        c.warnings.push(warning);
                    }
                }
                (None, None) => combined = Some(parsed.clone()),
                (Some(c), None) => {
                    c.lines.extend(parsed.lines.iter().cloned());
                    c.list_number = c.list_number.take().or(parsed.list_number.clone());
                    c.employer_id = c.employer_id.take().or(parsed.employer_id.clone());
                    c.org_number = c.org_number.take().or(parsed.org_number.clone());
                    c.period = c.period.take().or(parsed.period.clone());
                    c.declared_total_ore = None;
                    c.warnings.extend(parsed.warnings.iter().cloned());
                }
            }
            if copy_of.is_none() {
                joined.push((writes.len(), people));
            }
        }
        copies.push(copy_of);
        writes.push(AttachmentWrite {
            file_name: att.file_name.clone(),
            content_type: att.content_type.clone(),
            sha256: crate::store::sqlite::sha256_hex(&att.bytes),
            size: att.bytes.len() as i64,
            parsed: Some(parsed),
            line_status: Vec::new(),
        });
    }
    (combined, writes, copies)
}

/// Who a line is about: the national ID when given, else the name (order- and
/// case-insensitive) with the birth date.
fn person_key(line: &ParsedLine) -> String {
    if let Some(id) = &line.national_id {
        return format!("id:{id}");
    }
    let name = name_key(line.name.as_deref().unwrap_or(""));
    format!("name:{name}:{:?}", line.birth_date)
}

fn sorted_amounts(p: &ParsedList) -> Vec<Option<i64>> {
    let mut a: Vec<Option<i64>> = p.lines.iter().map(|l| l.amount_ore).collect();
    a.sort();
    a
}

fn sorted_amounts_of(writes: &[AttachmentWrite], i: usize) -> Vec<Option<i64>> {
    writes
        .get(i)
        .and_then(|w| w.parsed.as_ref())
        .map(sorted_amounts)
        .unwrap_or_default()
}

/// In a child process under the configured limits: a hostile file costs one child.
async fn parse_one(
    cx: &Context<'_>,
    name: &str,
    bytes: &[u8],
    opts: &crate::parse::ParseOptions,
) -> ParsedList {
    let (name, bytes, opts) = (name.to_string(), bytes.to_vec(), opts.clone());
    let (exe, limits) = (cx.exe.to_path_buf(), cx.settings.parse.clone());
    let result = tokio::task::spawn_blocking(move || {
        crate::parse::parse_sandboxed(&exe, &name, &bytes, &opts, &limits)
    })
    .await;
    result.unwrap_or_else(|e| crate::parse::unreadable(format!("parser failed: {e}")))
}

async fn gather_evidence(
    store: &impl Store,
    cx: &Context<'_>,
    parsed: &ParsedList,
) -> Result<Evidence, HandleError> {
    let mut evidence = Evidence {
        period_hint: parsed.period.clone(),
        submitted_lines: parsed.lines.len(),
        ..Default::default()
    };
    // A list staff moved this mail to wins over everything the mail says.
    let staff_choice = store
        .message_detail(cx.message)
        .await?
        .and_then(|d| d.list_override)
        .map(|(list, _by)| list);
    // List numbers: the attachment, the thread token, then subject/body/file names.
    let mut numbers: Vec<String> = staff_choice.into_iter().collect();
    numbers.extend(parsed.list_number.iter().cloned());
    if let Some(token) = &cx.class.references.thread_token {
        if let Some(n) = token.strip_prefix("TL-") {
            numbers.push(n.to_string());
        }
    }
    numbers.extend(cx.class.references.numbers.iter().cloned());
    for n in &numbers {
        if !evidence.known_list_numbers.contains(n) && store.list(n).await?.is_some() {
            evidence.known_list_numbers.push(n.clone());
        }
    }
    // An invoice number or KID names its list just as well ("betalt med KID …"); after
    // the list numbers themselves.
    for n in &numbers {
        if let Some(l) = store.list_by_invoice_or_kid(n).await? {
            if !evidence.known_list_numbers.contains(&l.list_number) {
                evidence.known_list_numbers.push(l.list_number);
            }
        }
    }
    // The month the mail names, when the file states none ("trekket for oktober").
    if evidence.period_hint.is_none() {
        let today = cx.mail.date.unwrap_or_else(chrono::Utc::now).date_naive();
        let text = format!("{}\n{}", cx.mail.subject, cx.mail.own_text);
        evidence.period_hint = crate::classify::refs::named_period(&text, today);
    }
    // The employer: content first, then the sender's address, then its domain.
    let mut employer = None;
    for id in parsed
        .employer_id
        .iter()
        .chain(cx.class.references.employer_ids.iter())
    {
        if employer.is_none() {
            employer = store.employer(id).await?;
        }
    }
    let orgs = parsed
        .org_number
        .iter()
        .chain(cx.class.references.numbers.iter().filter(|n| n.len() == 9));
    for org in orgs {
        if employer.is_none() && crate::norwegian::is_valid_org_number(org) {
            employer = store.employer_by_org(org).await?;
        }
    }
    if employer.is_none() {
        employer = super::sender_employer(store, cx).await?;
    }
    if let Some(e) = employer {
        evidence.employer_lists = store
            .lists_of_employer(&e.employer_id)
            .await?
            .iter()
            .map(candidate)
            .collect();
    }
    if evidence.known_list_numbers.is_empty() && evidence.employer_lists.is_empty() {
        evidence.overlaps = overlaps(store, &parsed.lines).await?;
    }
    Ok(evidence)
}

fn issued_line(p: &crate::store::PersonOnList) -> IssuedLine {
    IssuedLine {
        member_number: p.member_number.clone(),
        name: p.name.clone(),
        national_id: p.national_id.clone(),
        amount_ore: p.amount_ore,
    }
}

fn candidate(l: &IssuedList) -> ListCandidate {
    ListCandidate {
        list_number: l.list_number.clone(),
        period: l.period.clone(),
        submitted: l.submitted_message.is_some(),
    }
}

/// People in common with the issued lists of the last few periods.
async fn overlaps(
    store: &impl Store,
    lines: &[ParsedLine],
) -> Result<Vec<(ListCandidate, usize)>, HandleError> {
    let Some(latest) = store.latest_period().await? else {
        return Ok(Vec::new());
    };
    let since = period_minus(&latest, 3);
    let people = store.issued_lines_since(&since).await?;
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut by_list: HashMap<&str, Vec<&crate::store::PersonOnList>> = HashMap::new();
    for p in &people {
        by_list.entry(p.list_number.as_str()).or_default().push(p);
    }
    for (list, persons) in &by_list {
        let issued: Vec<IssuedLine> = persons.iter().map(|p| issued_line(p)).collect();
        // Cheap pre-check before a full match: any name or ID in common at all?
        let keys: std::collections::HashSet<String> =
            persons.iter().map(|p| name_key(&p.name)).collect();
        let ids: std::collections::HashSet<&str> = persons
            .iter()
            .filter_map(|p| p.national_id.as_deref())
            .collect();
        let any = lines.iter().any(|l| {
            l.name
                .as_deref()
                .is_some_and(|n| keys.contains(&name_key(n)))
                || l.national_id.as_deref().is_some_and(|n| ids.contains(n))
        });
        if !any {
            continue;
        }
        let m = match_lines(&issued, lines);
        let shared = m.submitted.iter().filter(|(_, i)| i.is_some()).count();
        counts.insert(list.to_string(), shared);
    }
    let mut out = Vec::new();
    for (list, shared) in counts {
        if let Some(l) = store.list(&list).await? {
            out.push((candidate(&l), shared));
        }
    }
    Ok(out)
}

/// `2026-11` minus 3 months → `2026-08`.
fn period_minus(period: &str, months: i32) -> String {
    let mut parts = period.splitn(2, '-');
    let (Some(y), Some(m)) = (
        parts.next().and_then(|y| y.parse::<i32>().ok()),
        parts.next().and_then(|m| m.parse::<i32>().ok()),
    ) else {
        return period.to_string();
    };
    let total = y * 12 + (m - 1) - months;
    format!("{:04}-{:02}", total / 12, total % 12 + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn period_arithmetic() {
        assert_eq!(super::period_minus("2026-11", 3), "2026-08");
        assert_eq!(super::period_minus("2026-02", 3), "2025-11");
    }
}
