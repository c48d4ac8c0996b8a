//! Hostile and malformed spreadsheets and PDFs go through the sandbox: the parent always
//! gets an answer, within the wall-clock limit (SPEC §3, robustness).
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use trekkpost::parse::{parse_sandboxed, ParseLimits, ParseOptions};

fn hostile_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/hostile");
    let mut files = Vec::new();
    for sub in ["sheet", "pdf"] {
        if let Ok(entries) = std::fs::read_dir(root.join(sub)) {
            files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    files.sort();
    files
}

#[test]
fn hostile_files_never_take_the_parent_down() {
    let files = hostile_files();
    if files.is_empty() {
        eprintln!("no hostile files found; skipping");
        return;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_trekkpost"));
    // Tighter than production so the suite stays quick; the mechanism is the same.
    let limits = ParseLimits {
        max_wall_seconds: 15,
        max_cpu_seconds: 10,
        ..ParseLimits::default()
    };
    let opts = ParseOptions {
        accept_synthetic_ids: true,
    };
    let queue = Mutex::new(files.clone());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                while let Some(file) = queue.lock().ok().and_then(|mut q| q.pop()) {
                    let bytes = std::fs::read(&file).unwrap_or_default();
                    let name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let start = Instant::now();
                    let list = parse_sandboxed(exe, &name, &bytes, &opts, &limits);
                    let took = start.elapsed();
                    if let Ok(mut r) = results.lock() {
                        r.push((name, took, list.readable, list.reason.clone()));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    assert_eq!(results.len(), files.len(), "every file got an answer");
    results.sort_by_key(|r| std::cmp::Reverse(r.1));
    let limit = Duration::from_secs(limits.max_wall_seconds + 5);
    for (name, took, readable, reason) in results.iter().take(5) {
        eprintln!(
            "slowest: {name} {took:?} readable={readable} {}",
            reason.as_deref().unwrap_or("")
        );
    }
    let unreadable = results.iter().filter(|r| !r.2).count();
    eprintln!("{} files, {} unreadable", results.len(), unreadable);
    for (name, took, _, _) in &results {
        assert!(*took < limit, "{name} took {took:?}");
    }
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let exe = Path::new(env!("CARGO_BIN_EXE_trekkpost"));
    let limits = ParseLimits {
        max_input_bytes: 10,
        ..ParseLimits::default()
    };
    let list = parse_sandboxed(
        exe,
        "big.csv",
        b"Navn;Belop\nKari Nordmann;450\n",
        &ParseOptions::default(),
        &limits,
    );
    assert!(!list.readable);
    assert!(list.reason.unwrap_or_default().contains("too large"));
}

#[test]
fn a_csv_goes_through_the_sandbox() {
    let exe = Path::new(env!("CARGO_BIN_EXE_trekkpost"));
    let csv = "Navn;Fødselsnummer;Beløp\nKari Nordmann;03816900505;450,00\nSum;;450,00\n";
    let list = parse_sandboxed(
        exe,
        "x.csv",
        csv.as_bytes(),
        &ParseOptions {
            accept_synthetic_ids: true,
        },
        &ParseLimits::default(),
    );
    assert!(list.readable, "{:?}", list.reason);
    assert_eq!(list.lines.len(), 1);
    assert_eq!(list.lines[0].amount_ore, Some(45000));
    assert_eq!(list.declared_total_ore, Some(45000));
}
