//! `trekkpost import`: idempotent, and all-or-nothing with `file:line` on malformed data.
mod common;
use common::*;

fn world_files() -> Vec<String> {
    let world = shared_dir().join("corpus/world");
    let mut files: Vec<_> = files_in(&world);
    files.extend(files_in(&world.join("payments")));
    files.retain(|p| !p.to_string_lossy().ends_with(".md"));
    files.iter().map(|p| p.display().to_string()).collect()
}

#[test]
fn importing_the_corpus_world_twice_changes_no_row_count() {
    let s = Scratch::new();
    let files = world_files();
    let args: Vec<&str> = std::iter::once("import")
        .chain(files.iter().map(String::as_str))
        .collect();
    let first = s.run(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let after_first = counts(&s.db());
    let second = s.run(&args);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(after_first, counts(&s.db()));
    let get = |name: &str| {
        after_first
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    assert!(
        get("employers") > 0 && get("lists") > 0 && get("list_lines") > 0 && get("payments") > 0
    );
}

fn assert_rejected(bad: &str, expect_line: &str) {
    let s = Scratch::new();
    let fixtures = crate_dir().join("tests/fixtures/rejected");
    let employers = fixtures.join("employers.csv").display().to_string();
    let bad_path = fixtures.join(bad).display().to_string();
    let out = s.run(&["import", &employers, &bad_path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{bad} was accepted");
    assert!(
        stderr.contains(&format!("{bad}:{expect_line}")),
        "{bad}: stderr lacks `file:{expect_line}`: {stderr}"
    );
    assert!(
        counts(&s.db()).iter().all(|(_, n)| *n == 0),
        "{bad}: something was written: {:?}",
        counts(&s.db())
    );
}

#[test]
fn a_bad_amount_is_rejected_whole() {
    assert_rejected("lists_bad_amount.csv", "3");
}

#[test]
fn a_bad_date_is_rejected_whole() {
    assert_rejected("lists_bad_date.csv", "3");
}

#[test]
fn an_unknown_employer_is_rejected_whole() {
    assert_rejected("lists_unknown_employer.csv", "3");
}

#[test]
fn a_malformed_camt054_is_rejected_whole() {
    let s = Scratch::new();
    let bad = crate_dir().join("tests/fixtures/rejected/camt054_malformed.xml");
    let out = s.run(&["import", &bad.display().to_string()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("camt054_malformed.xml:"), "{stderr}");
    assert!(counts(&s.db()).iter().all(|(_, n)| *n == 0));
}
