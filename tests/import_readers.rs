//! The import readers against the shared sample world and against broken fixtures.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use trekkpost::import::{
    read_import_bytes, read_import_file, ImportBatch, PaymentFormat, PaymentRow,
};

fn world() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/world")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn read_ok(path: &Path) -> ImportBatch {
    match read_import_file(path) {
        Ok(b) => b,
        Err(e) => panic!("{} was rejected: {e}", path.display()),
    }
}

fn payments(path: &Path) -> Vec<PaymentRow> {
    match read_ok(path) {
        ImportBatch::Payments(p) => p,
        other => panic!("{} read as {}", path.display(), other.kind()),
    }
}

fn payment_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(world().join("payments"))
        .expect("sample payments directory")
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn reference_files_read_with_plausible_content() {
    let ImportBatch::Employers(employers) = read_ok(&world().join("employers.csv")) else {
        panic!("employers.csv not recognised as employers");
    };
    assert_eq!(employers.len(), 26);
    assert!(employers
        .iter()
        .all(|e| e.org_number.len() == 9 && !e.contact_emails.is_empty()));
    assert!(employers.iter().any(|e| e.uses_winorg) && employers.iter().any(|e| !e.uses_winorg));
    assert!(employers
        .iter()
        .flat_map(|e| &e.contact_emails)
        .all(|m| *m == m.to_lowercase()));
    let sjobris = employers
        .iter()
        .find(|e| e.employer_id == "A1186")
        .expect("A1186");
    assert_eq!(sjobris.name, "Sjøbris Fiskeindustri AS");
    assert_eq!(sjobris.line, 8);

    let ImportBatch::Lists(lists) = read_ok(&world().join("lists.csv")) else {
        panic!("lists.csv not recognised as lists");
    };
    assert_eq!(lists.len(), 34);
    let employer_ids: HashSet<&str> = employers.iter().map(|e| e.employer_id.as_str()).collect();
    assert!(lists
        .iter()
        .all(|l| employer_ids.contains(l.employer_id.as_str())));
    assert!(
        lists.iter().all(|l| l.kid.starts_with('0')),
        "leading zeros of KIDs kept"
    );
    let first = &lists[0];
    assert_eq!(
        (first.list_number.as_str(), first.invoice_amount_ore),
        ("240398", 528084)
    );
    assert_eq!(first.period, "2026-11");
    assert!(lists.iter().all(|l| l.issued_date < l.due_date));

    let ImportBatch::ListLines(lines) = read_ok(&world().join("list_lines.csv")) else {
        panic!("list_lines.csv not recognised as list lines");
    };
    assert_eq!(lines.len(), 2823);
    assert!(lines
        .iter()
        .all(|l| l.national_id.as_ref().is_some_and(|n| n.len() == 11)));
    // The lines of each list add up to its invoice, to the øre: amounts are exact.
    let mut per_list: BTreeMap<&str, i64> = BTreeMap::new();
    for l in &lines {
        *per_list.entry(l.list_number.as_str()).or_default() += l.amount_ore;
    }
    for list in &lists {
        assert_eq!(
            per_list.get(list.list_number.as_str()),
            Some(&list.invoice_amount_ore),
            "list {}",
            list.list_number
        );
    }
    assert_eq!(per_list.len(), lists.len());
}

#[test]
fn every_payment_file_reads() {
    let files = payment_files();
    assert!(files.len() >= 13);
    let mut all_refs = HashSet::new();
    for f in &files {
        let rows = payments(f);
        assert!(!rows.is_empty(), "{} gave no payments", f.display());
        for r in &rows {
            assert!(r.amount_ore > 0, "{}: {r:?}", f.display());
            assert!(
                all_refs.insert(r.source_ref.clone()),
                "{} repeats {}",
                f.display(),
                r.source_ref
            );
        }
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let format = rows[0].format;
        match format {
            PaymentFormat::Camt054 => assert!(name.starts_with("camt054_")),
            PaymentFormat::Ocr => assert!(name.starts_with("ocr_")),
            PaymentFormat::Csv => assert_eq!(name, "payments.csv"),
        }
    }
}

/// Counts and sum from the 89 record, read independently of the reader.
fn ocr_trailer(path: &Path) -> (usize, i64) {
    let text = std::fs::read_to_string(path).expect("OCR sample is ASCII");
    let last = text
        .lines()
        .rfind(|l| l.starts_with("NY") && &l[6..8] == "89")
        .expect("89 record");
    (
        last[8..16].parse().expect("count"),
        last[24..41].parse().expect("sum"),
    )
}

#[test]
fn ocr_items_add_up_to_the_trailer() {
    for f in payment_files()
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "txt"))
    {
        let rows = payments(f);
        let (count, sum) = ocr_trailer(f);
        assert_eq!(rows.len(), count, "{}", f.display());
        assert_eq!(
            rows.iter().map(|r| r.amount_ore).sum::<i64>(),
            sum,
            "{}",
            f.display()
        );
        assert!(rows
            .iter()
            .all(|r| r.kid.is_some() && r.payer_account.is_some()));
        assert!(rows.iter().all(|r| r.source_ref.starts_with("ocr:")));
    }
    let rows = payments(&world().join("payments/ocr_20261026.txt"));
    assert_eq!(rows[0].source_ref, "ocr:2610001:2610001:0000001");
    assert_eq!(rows[0].payment_date.to_string(), "2026-10-20");
    assert_eq!(rows[0].amount_ore, 2_584_649);
    assert_eq!(rows[0].kid.as_deref(), Some("011862412209"));
    assert_eq!(rows[0].payer_account.as_deref(), Some("97105831793"));
    assert_eq!(rows[0].line, 3);
}

#[test]
fn camt_entries_and_split_transactions() {
    let rows = payments(&world().join("payments/camt054_20261021.xml"));
    assert_eq!(rows.len(), 1);
    let p = &rows[0];
    assert_eq!(p.source_ref, "camt:2610216844720148");
    assert_eq!(p.amount_ore, 1_384_500);
    assert_eq!(p.payment_date.to_string(), "2026-10-21");
    assert_eq!(p.kid.as_deref(), Some("011712422952"));
    assert_eq!(p.payer_name.as_deref(), Some("Vestheim Sykehjem AS"));
    assert_eq!(p.payer_account.as_deref(), Some("15064751872"));
    assert_eq!(p.line, 38);

    // One entry, two transactions: two payments with their own amounts and KIDs.
    let rows = payments(&world().join("payments/camt054_20261127.xml"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().map(|r| r.amount_ore).sum::<i64>(), 3_486_096);
    assert_eq!(rows[0].kid.as_deref(), Some("012322414934"));
    assert_eq!(rows[1].kid.as_deref(), Some("013482469312"));
}

#[test]
fn payments_csv() {
    let rows = payments(&world().join("payments/payments.csv"));
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].amount_ore, 1_017_823);
    assert_eq!(rows[1].kid, None, "empty KID is None");
    assert!(rows[1]
        .reference
        .as_deref()
        .is_some_and(|r| r.contains("Borgund")));
    assert!(rows.iter().all(|r| r.source_ref.starts_with("csv:")));
}

#[test]
fn reading_twice_gives_the_same_refs() {
    for f in payment_files() {
        let a: Vec<String> = payments(&f).into_iter().map(|p| p.source_ref).collect();
        let b: Vec<String> = payments(&f).into_iter().map(|p| p.source_ref).collect();
        assert_eq!(a, b, "{}", f.display());
    }
}

#[test]
fn kind_comes_from_content_not_name() {
    let bytes = std::fs::read(world().join("payments/ocr_20261125.txt")).expect("sample");
    let renamed = read_import_bytes("innbetalinger.csv", &bytes).expect("reads");
    assert!(matches!(renamed, ImportBatch::Payments(ref p) if p[0].format == PaymentFormat::Ocr));
    let bytes = std::fs::read(world().join("lists.csv")).expect("sample");
    assert!(matches!(
        read_import_bytes("data.xml", &bytes),
        Ok(ImportBatch::Lists(_))
    ));
}

/// Each broken fixture is rejected, naming the file, the line and the problem.
#[test]
fn malformed_fixtures_are_rejected_with_their_line() {
    let cases: [(&str, usize, &str); 9] = [
        ("camt054_malformed.xml", 28, "malformed XML"),
        ("camt054_entry_without_amount.xml", 21, "without <Amt>"),
        ("lists_bad_amount.csv", 5, "invoice_amount"),
        ("lists_bad_date.csv", 7, "issued_date"),
        ("payments_bad_date.csv", 3, "payment_date"),
        (
            "employers_wrong_column_count.csv",
            5,
            "7 columns, the header has 6",
        ),
        ("employers_bad_winorg.csv", 2, "uses_winorg"),
        ("ocr_bad_total.txt", 11, "sum"),
        ("unknown_content.txt", 1, "unrecognised"),
    ];
    for (name, line, reason) in cases {
        let path = fixture(name);
        let err = match read_import_file(&path) {
            Ok(b) => panic!("{name} was accepted as {} with {} rows", b.kind(), b.len()),
            Err(e) => e,
        };
        assert_eq!(err.line, line, "{name}: {err}");
        assert!(err.reason.contains(reason), "{name}: {err}");
        assert!(err.file.ends_with(name));
        assert!(err
            .to_string()
            .starts_with(&format!("{}:{line}: ", path.display())));
    }
}

#[test]
fn unreadable_file_is_line_zero() {
    let err = read_import_file(&fixture("does_not_exist.csv")).expect_err("missing file");
    assert_eq!(err.line, 0);
}

/// Truncated and byte-mutated samples must give a result or an error, never a panic.
#[test]
fn damaged_samples_never_panic() {
    let mut files = payment_files();
    for f in ["employers.csv", "lists.csv", "list_lines.csv"] {
        files.push(world().join(f));
    }
    // A fixed linear congruential sequence: reproducible without a seed file.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let nasty = [
        0u8, b'\n', b';', b'"', b'<', b'>', b',', b'.', b'-', b' ', 0xc3, 0xff, b'9',
    ];
    for f in files {
        let bytes = std::fs::read(&f).expect("sample");
        let step = (bytes.len() / 200).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = read_import_bytes("cut", &bytes[..cut]);
        }
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 3 {
                let i = next() % b.len();
                b[i] = nasty[next() % nasty.len()];
            }
            let _ = read_import_bytes("mutated", &b);
        }
    }
}
