//! Invoice copy requests: answer with the invoice's details when the invoice is known.
use super::{base_context, list_context, Context, HandleError, Handled, ReplyPlan};
use crate::classify::Kind;
use crate::store::{IssuedList, Store};
use chrono::Datelike;

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
    let Some(period) = named_period(&text, today) else {
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

/// The one month a mail's own words name, as `YYYY-MM`: "oktober 2026", "November 2026",
/// or a month alone ("fakturaen for oktober"), then the latest such month not after the
/// mail. Quoted lines are left out; two different months named give none.
fn named_period(text: &str, today: chrono::NaiveDate) -> Option<String> {
    let mut found: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('>')) {
        let words: Vec<&str> = line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let lower = w.to_lowercase();
            // Whole month names only, and not the English verb "may" without a year.
            let Some(month) = crate::norwegian::month_from_name(&lower)
                .filter(|_| crate::norwegian::is_month_name(&lower))
            else {
                continue;
            };
            let year = words
                .get(i + 1)
                .and_then(|y| y.parse::<i32>().ok())
                .filter(|y| (2000..=2099).contains(y));
            let year = match year {
                Some(y) => y,
                None if lower == "may" || lower == "march" => continue,
                None if month > today.month() => today.year() - 1,
                None => today.year(),
            };
            let period = format!("{year:04}-{month:02}");
            if !found.contains(&period) {
                found.push(period);
            }
        }
    }
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::named_period;
    use chrono::NaiveDate;

    fn on(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_named_month_with_or_without_its_year() {
        let today = on(2026, 11, 27);
        assert_eq!(
            named_period("Kan vi få kopi av fakturaen for oktober 2026?", today).as_deref(),
            Some("2026-10")
        );
        assert_eq!(
            named_period(
                "Could you send a copy of the invoice for November 2026?",
                today
            )
            .as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            named_period("Fakturaen for oktober har ikke kommet", today).as_deref(),
            Some("2026-10")
        );
        // Asked in January about December: last year's.
        assert_eq!(
            named_period("Kopi av fakturaen for desember", on(2027, 1, 5)).as_deref(),
            Some("2026-12")
        );
    }

    #[test]
    fn no_month_two_months_or_a_modal_verb_give_none() {
        let today = on(2026, 11, 27);
        assert_eq!(named_period("Kan vi få kopi av fakturaen?", today), None);
        assert_eq!(
            named_period("Fakturaene for oktober og november", today),
            None
        );
        assert_eq!(
            named_period("May we have a copy of the invoice?", today),
            None
        );
        assert_eq!(
            named_period("Kopi av faktura, takk\n> Fakturaen for september", today),
            None
        );
    }
}
