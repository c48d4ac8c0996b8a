//! Invoice copy requests: answer with the invoice's details when the invoice is known.
use super::{base_context, list_context, Context, HandleError, Handled, ReplyPlan};
use crate::classify::Kind;
use crate::store::Store;

pub async fn handle(store: &impl Store, cx: &Context<'_>) -> Result<Handled, HandleError> {
    let mut list = None;
    for n in &cx.class.references.numbers {
        if let Some(l) = store.list_by_invoice_or_kid(n).await? {
            list = Some(l);
            break;
        }
    }
    if list.is_none() {
        if let Some(n) = cx.thread.iter().rev().find_map(|m| m.list_number.clone()) {
            list = store.list(&n).await?;
        }
    }
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
