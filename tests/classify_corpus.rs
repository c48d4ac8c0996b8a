//! Every mail of the development corpus: its kind, and for access requests the extracted
//! fields, against `expected.json`. A follow-up that references an earlier access request
//! (In-Reply-To/References) is checked as the merge of the two, as the pipeline does it.
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use trekkpost::classify::{classify, extract_access, merge_access, AccessFields};
use trekkpost::mime::parse_mail;

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/mail");
    dir.is_dir().then_some(dir)
}

fn expected_access(v: &Value) -> AccessFields {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    AccessFields {
        company_name: s("company_name"),
        org_number: s("org_number"),
        requester_name: s("requester_name"),
        email: s("email"),
        mobile: s("mobile"),
        missing: v
            .get("missing")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[test]
fn corpus_kinds_and_access_fields() {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found beside the project; skipped");
        return;
    };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("message.eml").is_file())
        .collect();
    cases.sort();

    let mut kinds_right = 0;
    let mut access_total = 0;
    let mut access_right = 0;
    let mut failures = Vec::new();
    // Message-ID → extracted access fields of earlier access requests.
    let mut earlier_requests: HashMap<String, AccessFields> = HashMap::new();

    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let raw = std::fs::read(case.join("message.eml")).expect("message readable");
        let expected: Value = serde_json::from_slice(
            &std::fs::read(case.join("expected.json")).expect("expected.json readable"),
        )
        .expect("expected.json parses");
        let mail = parse_mail(&raw).expect("corpus mail parses");
        let c = classify(&mail);
        let want_kind = expected["kind"].as_str().unwrap_or("");
        if c.kind.as_str() == want_kind {
            kinds_right += 1;
        } else {
            failures.push(format!(
                "{name}: kind {} (expected {want_kind})",
                c.kind.as_str()
            ));
        }

        if want_kind == "access_request" {
            access_total += 1;
            let mut got = c.access.clone().unwrap_or_else(|| extract_access(&mail));
            let earlier = mail
                .in_reply_to
                .iter()
                .chain(&mail.references)
                .find_map(|id| earlier_requests.get(id));
            if let Some(earlier) = earlier {
                got = merge_access(earlier, &got);
            }
            let want = expected_access(&expected["access_request"]);
            if got == want {
                access_right += 1;
            } else {
                failures.push(format!("{name}: access\n   got  {got:?}\n   want {want:?}"));
            }
            if let Some(id) = &mail.message_id {
                earlier_requests.insert(id.clone(), got);
            }
        }
    }

    println!(
        "kinds right {kinds_right}/{}; access fields right {access_right}/{access_total}",
        cases.len()
    );
    for f in &failures {
        println!("  {f}");
    }
    assert!(failures.is_empty(), "{} corpus mismatches", failures.len());
}

/// The follow-up alone (without the earlier request) still yields the mobile it supplies.
#[test]
fn follow_up_alone_supplies_its_value() {
    let Some(dir) = corpus_dir() else { return };
    for entry in std::fs::read_dir(&dir)
        .expect("corpus dir readable")
        .flatten()
    {
        let path = entry.path();
        let Ok(raw) = std::fs::read(path.join("message.eml")) else {
            continue;
        };
        let Ok(mail) = parse_mail(&raw) else { continue };
        let c = classify(&mail);
        if let Some(access) = &c.access {
            // Whatever it says, the values present are normalised.
            if let Some(m) = &access.mobile {
                assert!(m.starts_with('+'), "{}: {m}", path.display());
            }
            if let Some(o) = &access.org_number {
                assert!(
                    o.chars().all(|c| c.is_ascii_digit()),
                    "{}: {o}",
                    path.display()
                );
            }
            if let Some(e) = &access.email {
                assert_eq!(e, &e.to_lowercase());
            }
        }
    }
}
