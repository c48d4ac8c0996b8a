//! Every list of the development corpus parses to its `expected.json` (SPEC §3).
use serde_json::Value;
use std::path::{Path, PathBuf};
use trekkpost::parse::{parse_attachment, ParseOptions};

const LINE_FIELDS: [&str; 8] = [
    "national_id",
    "birth_date",
    "name",
    "member_number",
    "employee_number",
    "amount_ore",
    "end_date",
    "comment",
];
const HEAD_FIELDS: [&str; 5] = [
    "list_number",
    "employer_id",
    "org_number",
    "period",
    "declared_total_ore",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/lists")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lists")
}

/// A line as a comparable string of its eight fields (the corpus' order is not significant).
fn line_key(v: &Value) -> String {
    LINE_FIELDS
        .iter()
        .map(|f| match v.get(*f) {
            Some(Value::String(s)) => s.split_whitespace().collect::<Vec<_>>().join(" "),
            Some(Value::Null) | None => "null".to_string(),
            Some(other) => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn corpus_lists_parse_as_expected() {
    check_dir(&corpus());
}

#[test]
fn own_fixture_lists_parse_as_expected() {
    check_dir(&fixtures());
}

fn check_dir(dir: &Path) {
    let dir = dir.to_path_buf();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("corpus not found at {}; skipping", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            !n.ends_with(".json") && !n.ends_with(".md")
        })
        .collect();
    files.sort();
    let opts = ParseOptions {
        accept_synthetic_ids: true,
    };
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let stem = name.split('.').next().unwrap_or_default();
        let expected_path = dir.join(format!("{stem}.expected.json"));
        let Ok(text) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        let expected: Value = serde_json::from_str(&text).expect("expected.json is JSON");
        let bytes = std::fs::read(file).expect("read corpus file");
        let got = serde_json::to_value(parse_attachment(&name, &bytes, &opts)).expect("serialise");
        let mut problems = Vec::new();
        if got["readable"] != expected["readable"] {
            problems.push(format!(
                "readable {} != {}",
                got["readable"], expected["readable"]
            ));
        }
        if expected["readable"] == Value::Bool(true) {
            for f in HEAD_FIELDS {
                if got[f] != expected[f] {
                    problems.push(format!("{f}: {} != {}", got[f], expected[f]));
                }
            }
        }
        let keys = |v: &Value| {
            let mut k: Vec<String> = v
                .as_array()
                .map(|a| a.iter().map(line_key).collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        let (want, have) = (keys(&expected["lines"]), keys(&got["lines"]));
        for w in want.iter().filter(|w| !have.contains(w)) {
            problems.push(format!("missing or different: {w}"));
        }
        for h in have.iter().filter(|h| !want.contains(h)) {
            problems.push(format!("unexpected: {h}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name}:\n    {}",
                problems
                    .into_iter()
                    .take(10)
                    .collect::<Vec<_>>()
                    .join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
