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

#[test]
fn payments_imported_later_are_reconciled_or_flagged() {
    let s = Scratch::new();
    let env = [
        ("TREKKPOST_SOURCE", crate_dir().join("examples/mailbox")),
        ("TREKKPOST_IMPORT_DIR", crate_dir().join("examples/world")),
    ];
    let env: Vec<(&str, &std::path::Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    assert!(s.run_with(&["run", "--once"], &env).status.success());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let query = |q: &str| -> Vec<(String, String, i64)> {
        rt.block_on(async {
            use trekkpost::store::AnyStore;
            let store = AnyStore::open(&s.url()).await.expect("open");
            let q = sqlx::AssertSqlSafe(q.to_string());
            match &store {
                AnyStore::Sqlite(st) => sqlx::query_as(q).fetch_all(st.pool()).await,
                AnyStore::Postgres(st) => sqlx::query_as(q).fetch_all(st.pool()).await,
            }
            .expect("query")
        })
    };
    // Two lists without payments yet, one submitted: pay one exactly what is expected
    // (the submitted total, else the invoice), the other short.
    let lists = query(
        "SELECT list_number, kid, COALESCE(submitted_total_ore, invoice_amount_ore) FROM lists
         WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.list_number = lists.list_number)
         ORDER BY submitted_total_ore IS NULL, list_number LIMIT 2",
    );
    assert_eq!(lists.len(), 2, "examples have unpaid lists");
    let kr = |ore: i64| format!("{},{:02}", ore / 100, ore % 100);
    let csv = format!(
        "payment_date;amount;kid;payer_account;reference\n2026-12-01;{};{};15069200637;KID\n2026-12-01;{};{};15069200637;KID\n",
        kr(lists[0].2),
        lists[0].1,
        kr(lists[1].2 - 100),
        lists[1].1
    );
    let file = s.path("payments_dec.csv");
    std::fs::write(&file, csv).expect("write");
    let out = s.run(&["import", &file.display().to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = query(&format!(
        "SELECT list_number, COALESCE(payment_status, ''), CAST(0 AS BIGINT) FROM lists WHERE list_number IN ('{}', '{}') ORDER BY list_number",
        lists[0].0, lists[1].0
    ));
    assert_eq!(status[0].1, "reconciled");
    assert_eq!(status[1].1, "mismatch");
    let flags = query(&format!(
        "SELECT kind, detail, CAST(0 AS BIGINT) FROM flags WHERE kind = 'payment_mismatch' AND detail LIKE 'list {}:%'",
        lists[1].0
    ));
    assert_eq!(flags.len(), 1);
    // Importing the same file again changes nothing and flags nothing twice.
    assert!(s
        .run(&["import", &file.display().to_string()])
        .status
        .success());
    let again =
        query("SELECT kind, detail, CAST(0 AS BIGINT) FROM flags WHERE kind = 'payment_mismatch'");
    assert_eq!(
        again
            .iter()
            .filter(|f| f.1.starts_with(&format!("list {}:", lists[1].0)))
            .count(),
        1
    );
}
