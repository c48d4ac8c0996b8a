//! The README's first command, on the shipped examples: every message gets the outcome
//! examples/expected says, a reply for each that expects one, none for the rest.
mod common;
use common::*;
use std::collections::HashMap;

const FIELDS: [&str; 8] = [
    "kind",
    "outcome",
    "queries",
    "flags",
    "list_number",
    "reply_template",
    "line_status",
    "access_request",
];

fn normalise(field: &str, v: &serde_json::Value) -> serde_json::Value {
    match (field, v) {
        ("queries" | "flags", serde_json::Value::Array(a)) => {
            let mut a: Vec<String> = a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            a.sort();
            serde_json::json!(a)
        }
        ("access_request", serde_json::Value::Object(o)) => {
            let mut o = o.clone();
            if let Some(serde_json::Value::Array(m)) = o.get_mut("missing") {
                m.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
            serde_json::Value::Object(o)
        }
        _ => v.clone(),
    }
}

#[test]
fn run_once_on_the_examples_gives_the_expected_outcomes_and_replies() {
    let s = Scratch::new();
    let examples = crate_dir().join("examples");
    let out = s.run_with(
        &["run", "--once"],
        &[
            ("TREKKPOST_SOURCE", &examples.join("mailbox")),
            ("TREKKPOST_IMPORT_DIR", &examples.join("world")),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "run --once failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = s.report();
    let by_source: HashMap<String, &serde_json::Value> = report
        .iter()
        .map(|r| (r["source"].as_str().unwrap_or("").to_string(), r))
        .collect();
    let outbox = files_in(&s.path("outbox"));
    let mut problems = Vec::new();
    for expected_file in files_in(&examples.join("expected")) {
        let case = expected_file
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&expected_file).expect("read")).expect("json");
        let Some(row) = by_source.get(&format!("{case}.eml")) else {
            problems.push(format!("{case}: no report row"));
            continue;
        };
        assert!(
            stdout.contains(&format!("{case}.eml")),
            "the table lacks {case}"
        );
        for f in FIELDS {
            let (e, g) = (normalise(f, &expected[f]), normalise(f, &row[f]));
            if e != g {
                problems.push(format!("{case}: {f}: got {g}, expected {e}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let expected_replies = report
        .iter()
        .filter(|r| !r["reply_template"].is_null())
        .count();
    assert_eq!(
        outbox.len(),
        expected_replies,
        "one reply file per answered message"
    );
    assert!(
        expected_replies < report.len(),
        "the auto-reply must not be answered"
    );
    let full_id = regex::Regex::new(r"\b\d{6} ?\d{5}\b").expect("regex");
    for file in &outbox {
        let bytes = std::fs::read(file).expect("read");
        let eml = String::from_utf8_lossy(&bytes);
        assert!(
            eml.contains("Auto-Submitted: auto-replied"),
            "{}",
            file.display()
        );
        assert!(eml.contains("In-Reply-To: <"), "{}", file.display());
        let parsed = mail_parser::MessageParser::default()
            .parse(&bytes)
            .expect("reply parses");
        let text = parsed
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default();
        let html = parsed
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default();
        assert!(
            !text.is_empty() && !html.is_empty(),
            "{}: text and HTML parts",
            file.display()
        );
        for part in [&text, &html, &eml.to_string()] {
            assert!(
                !full_id.is_match(part),
                "{} contains an 11-digit number",
                file.display()
            );
        }
    }
}

#[test]
fn a_second_run_answers_nothing_twice() {
    let s = Scratch::new();
    let examples = crate_dir().join("examples");
    let env = [
        ("TREKKPOST_SOURCE", examples.join("mailbox")),
        ("TREKKPOST_IMPORT_DIR", examples.join("world")),
    ];
    let env: Vec<(&str, &std::path::Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    assert!(s.run_with(&["run", "--once"], &env).status.success());
    let first = files_in(&s.path("outbox")).len();
    let rows = s.report().len();
    assert!(s.run_with(&["run", "--once"], &env).status.success());
    assert_eq!(files_in(&s.path("outbox")).len(), first);
    assert_eq!(s.report().len(), rows);
}
