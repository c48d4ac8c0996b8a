//! Change requests, questions, auto-replies and bounces.
use super::{base_context, list_context, Context, HandleError, Handled, ReplyPlan};
use crate::classify::Kind;
use crate::store::Store;

/// Flag for staff and acknowledge. A change request carries the list it names or whose
/// thread it is in.
pub async fn flag_and_acknowledge(
    store: &impl Store,
    cx: &Context<'_>,
    kind: Kind,
) -> Result<Handled, HandleError> {
    let mut handled = Handled::new(kind, "flagged");
    handled.flags.push(kind.as_str().to_string());
    let mut context = base_context(cx.settings);
    let mut token = format!("TP-{}", cx.message);
    if kind == Kind::ChangeRequest {
        let mut list = None;
        let token_list = cx
            .class
            .references
            .thread_token
            .as_deref()
            .and_then(|t| t.strip_prefix("TL-"))
            .map(str::to_string);
        let thread_list = cx.thread.iter().rev().find_map(|m| m.list_number.clone());
        let candidates = token_list
            .into_iter()
            .chain(cx.class.references.numbers.iter().cloned())
            .chain(thread_list);
        for n in candidates {
            if let Some(l) = store.list(&n).await? {
                list = Some(l);
                break;
            }
        }
        if let Some(l) = list {
            token = format!("TL-{}", l.list_number);
            context.insert("list".into(), list_context(&l));
            handled.list_number = Some(l.list_number);
        }
    }
    handled.reply = Some(ReplyPlan {
        template: "received_under_review",
        token,
        context: serde_json::Value::Object(context),
        to: None,
    });
    Ok(handled)
}

/// Recorded, never answered.
pub fn auto_reply() -> Handled {
    Handled::new(Kind::AutoReply, "recorded")
}

/// A delivery failure for one of our replies: mark it bounced and the address undeliverable.
pub fn bounce(cx: &Context<'_>) -> Handled {
    let mut handled = Handled::new(Kind::Bounce, "flagged");
    handled.flags.push("bounce".into());
    if let Some(info) = &cx.class.bounce {
        handled.bounced_outbox_message_id = info.original_message_id.clone();
        if info.permanent {
            handled.undeliverable = info.failed_recipients.clone();
        }
    }
    handled
}
