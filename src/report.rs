//! `trekkpost report`: every processed message with the fields of SPEC §11.
use crate::store::{MessageRow, Store, StoreError};
use serde_json::{Map, Value};

/// One JSON object per message: `message_id`, `source`, then the decided fields.
pub async fn rows(store: &impl Store) -> Result<Vec<Value>, StoreError> {
    let messages = store.messages().await?;
    Ok(messages.iter().map(row).collect())
}

fn row(m: &MessageRow) -> Value {
    let mut out = Map::new();
    let decided: Map<String, Value> = m
        .report_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    out.insert(
        "message_id".into(),
        m.message_id.clone().map(Value::from).unwrap_or(Value::Null),
    );
    out.insert("source".into(), m.source.clone().into());
    out.insert(
        "arrival".into(),
        m.arrival
            .map(|a| Value::from(a.to_rfc3339()))
            .unwrap_or(Value::Null),
    );
    out.insert("state".into(), m.state.clone().into());
    out.insert(
        "conversation".into(),
        m.conversation.map(Value::from).unwrap_or(Value::Null),
    );
    for key in [
        "kind",
        "outcome",
        "queries",
        "flags",
        "list_number",
        "reply_template",
        "line_status",
        "access_request",
        "lang",
        "warnings",
    ] {
        let default = match key {
            "queries" | "flags" | "warnings" => Value::Array(Vec::new()),
            _ => Value::Null,
        };
        out.insert(key.into(), decided.get(key).cloned().unwrap_or(default));
    }
    Value::Object(out)
}

/// A readable table, one line per message.
pub fn table(rows: &[Value]) -> String {
    let text = |v: &Value| match v {
        Value::Null => "–".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "–".to_string(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    let status = |v: &Value| match v {
        Value::Object(o) => [
            "unchanged",
            "amount_changed",
            "ended",
            "missing",
            "new_person",
        ]
        .iter()
        .map(|k| o.get(*k).and_then(Value::as_i64).unwrap_or(0).to_string())
        .collect::<Vec<_>>()
        .join("/"),
        _ => "–".to_string(),
    };
    let header = [
        "source",
        "kind",
        "outcome",
        "list",
        "reply",
        "queries",
        "flags",
        "lines u/c/e/m/n",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        cells.push(vec![
            text(&r["source"]),
            text(&r["conversation"]),
            text(&r["kind"]),
            text(&r["outcome"]),
            text(&r["list_number"]),
            text(&r["reply_template"]),
            text(&r["queries"]),
            text(&r["flags"]),
            status(&r["line_status"]),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (n, row) in cells.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if n == 0 {
            out.push_str(
                &widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  "),
            );
            out.push('\n');
        }
    }
    out
}
