//! Invoice copy requests: answer with the invoice's details when the invoice is known.
use super::{base_context, list_context, Context, HandleError, Handled, ReplyPlan};
use crate::classify::Kind;
use crate::store::{IssuedList, Store};

pub async fn handle(store: &impl Store, cx: &Context<'_>) -> Result<Handled, HandleError> {
    let list = find_invoice(store, cx).await?;
    let mut context = base_context(cx.settings);
    let Some(list) = list else {
        let mut handled = Handled::new(Kind::InvoiceCopyRequest, "flagged");
        handled.flags.push("invoice_unknown".into());
        handled.reply = Some(ReplyPlan {
            template: "received_under_review",
            token: format!("TP-{}", cx.message),
            context: serde_json::Value::Object(context),
            to: None,
        });
        return Ok(handled);
    };
    let paid: i64 = store
        .payments_for_list(&list.list_number)
        .await?
        .iter()
        .map(|p| p.amount_ore)
        .sum();
    let mut handled = Handled::new(Kind::InvoiceCopyRequest, "answered");
    handled.list_number = Some(list.list_number.clone());
    context.insert("list".into(), list_context(&list));
    context.insert("paid".into(), paid.into());
    handled.reply = Some(ReplyPlan {
        template: "invoice_copy",
        token: format!("TL-{}", list.list_number),
        context: serde_json::Value::Object(context),
        to: None,
    });
    Ok(handled)
}

/// The invoice asked for: by an invoice number, KID or list number in the mail; else the
/// conversation's list; else the sender's employer's invoice for the month the mail
/// names ("kopi av fakturaen for oktober"), when exactly one fits.
async fn find_invoice(
    store: &impl Store,
    cx: &Context<'_>,
) -> Result<Option<IssuedList>, HandleError> {
    let numbers = &cx.class.references.numbers;
    for n in numbers {
        if let Some(l) = store.list_by_invoice_or_kid(n).await? {
            return Ok(Some(l));
        }
    }
    for n in numbers {
        if let Some(l) = store.list(n).await? {
            return Ok(Some(l));
        }
    }
    if let Some(n) = cx.thread.iter().rev().find_map(|m| m.list_number.clone()) {
        if let Some(l) = store.list(&n).await? {
            return Ok(Some(l));
        }
    }
    let mut employer = None;
    for id in &cx.class.references.employer_ids {
        if employer.is_none() {
            employer = store.employer(id).await?;
        }
    }
    if employer.is_none() {
        employer = super::sender_employer(store, cx).await?;
    }
    let Some(employer) = employer else {
        return Ok(None);
    };
    let today = cx.mail.date.unwrap_or_else(chrono::Utc::now).date_naive();
    let text = format!("{}\n{}", cx.mail.subject, cx.mail.own_text);
    // An invoice named by a number we do not know is unknown, whatever month is named.
    if NAMED_INVOICE_NUMBER.is_match(&text) {
        return Ok(None);
    }
    let Some(period) = crate::classify::refs::named_period(&text, today) else {
        return Ok(None);
    };
    let mut fitting: Vec<IssuedList> = store
        .lists_of_employer(&employer.employer_id)
        .await?
        .into_iter()
        .filter(|l| l.period == period)
        .collect();
    Ok(if fitting.len() == 1 {
        fitting.pop()
    } else {
        None
    })
}

static NAMED_INVOICE_NUMBER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)\b(faktura|invoice)\s*(nr|nummer|no|number|#)?\.?\s*[:#]?\s*\d{4,}")
        .expect("static regex")
});
