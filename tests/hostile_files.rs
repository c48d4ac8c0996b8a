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
    assert!(
        exe.with_file_name(trekkpost::parse::sandbox::CHILD_BINARY)
            .is_file(),
        "the parse child's own binary is built beside trekkpost"
    );
    // Without `trekkpost-parse` beside it, `trekkpost` itself is the child.
    let alone = tempfile::tempdir().expect("tempdir");
    let lone_exe = alone.path().join("trekkpost");
    std::os::unix::fs::symlink(exe, &lone_exe).expect("symlink");
    let csv = "Navn;Fødselsnummer;Beløp\nKari Nordmann;03816900505;450,00\nSum;;450,00\n";
    // A `trekkpost-parse` built from other sources says so (exit code 4, as a stale one
    // does): the program then parses in a child of its own.
    let stale = tempfile::tempdir().expect("tempdir");
    let stale_exe = stale.path().join("trekkpost");
    std::os::unix::fs::symlink(exe, &stale_exe).expect("symlink");
    let fake = fake_child(stale.path(), "trekkpost-parse", "exit 4");
    // Until another test thread's fork has let go of the new script (ETXTBSY, see
    // `run_fake`), it cannot run; wait for it here, not inside the sandbox.
    for _ in 0..40 {
        if std::process::Command::new(&fake).status().is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for exe in [exe, lone_exe.as_path(), stale_exe.as_path()] {
        let list = parse_sandboxed(
            exe,
            "x.csv",
            csv.as_bytes(),
            &ParseOptions {
                accept_synthetic_ids: true,
            },
            &ParseLimits::default(),
        );
        assert!(list.readable, "{}: {:?}", exe.display(), list.reason);
        assert_eq!(list.lines.len(), 1);
        assert_eq!(list.lines[0].amount_ore, Some(45000));
        assert_eq!(list.declared_total_ore, Some(45000));
    }
}

/// A stand-in child (a shell script) shows how the parent treats a child that hangs,
/// crashes or talks nonsense.
fn fake_child(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Run a fake child. Another test thread forking while a script is still open for writing
/// makes its exec fail with "Text file busy" (ETXTBSY): a property of this test harness,
/// not of the sandbox, so such a start is retried.
fn run_fake(exe: &Path, limits: &ParseLimits) -> trekkpost::parse::ParsedList {
    let mut list = parse_sandboxed(exe, "x.xlsx", b"data", &ParseOptions::default(), limits);
    for _ in 0..20 {
        let busy = list.reason.as_deref().is_some_and(|r| r.contains("busy"));
        if !busy {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        list = parse_sandboxed(exe, "x.xlsx", b"data", &ParseOptions::default(), limits);
    }
    list
}

#[test]
fn a_hanging_child_is_killed_at_the_wall_clock_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = fake_child(dir.path(), "hang.sh", "exec sleep 30");
    let limits = ParseLimits {
        max_wall_seconds: 1,
        ..ParseLimits::default()
    };
    let start = Instant::now();
    let list = run_fake(&exe, &limits);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(!list.readable);
    assert!(list.reason.unwrap_or_default().contains("longer than"));
}

#[test]
fn a_crashing_child_is_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = fake_child(dir.path(), "crash.sh", "kill -SEGV $$");
    let list = run_fake(&exe, &ParseLimits::default());
    assert!(!list.readable);
    let reason = list.reason.unwrap_or_default();
    assert!(reason.contains("crashed"), "{reason}");
    let exe = fake_child(dir.path(), "garbage.sh", "cat >/dev/null; echo not-json");
    let list = run_fake(&exe, &ParseLimits::default());
    assert!(!list.readable);
    assert!(list.reason.unwrap_or_default().contains("no usable result"));
}

#[test]
fn the_memory_limit_applies_to_the_real_child() {
    let exe = Path::new(env!("CARGO_BIN_EXE_trekkpost"));
    // Far too little for anything: the child's first allocation fails, and the parent
    // says so.
    let limits = ParseLimits {
        max_memory_bytes: 1024 * 1024,
        ..ParseLimits::default()
    };
    let list = parse_sandboxed(
        exe,
        "x.csv",
        b"Navn;Belop\n",
        &ParseOptions::default(),
        &limits,
    );
    assert!(!list.readable);
}
