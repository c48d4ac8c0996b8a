//! The daemon's promises on the local edges: one outcome per message, however often it
//! arrives; hostile mail never stops it; SIGTERM ends it cleanly; failed sends become dead
//! letters for staff instead of being lost or repeated.
mod common;
use common::*;
use std::time::{Duration, Instant};

fn copy_example(s: &Scratch, name: &str, as_name: &str) {
    let from = crate_dir().join("examples/mailbox").join(name);
    std::fs::copy(from, s.path("mailbox").join(as_name)).expect("copy");
}

fn with_world<'a>(
    env: &'a mut Vec<(&'static str, std::path::PathBuf)>,
) -> Vec<(&'static str, &'a std::path::Path)> {
    env.push(("TREKKPOST_IMPORT_DIR", crate_dir().join("examples/world")));
    env.iter().map(|(k, v)| (*k, v.as_path())).collect()
}

#[test]
fn the_same_message_twice_gets_one_outcome_and_one_reply() {
    let s = Scratch::new();
    copy_example(&s, "11-question.eml", "a.eml");
    copy_example(&s, "11-question.eml", "b.eml");
    let mut env = Vec::new();
    let env = with_world(&mut env);
    assert!(s.run_with(&["run", "--once"], &env).status.success());
    copy_example(&s, "11-question.eml", "c.eml");
    assert!(s.run_with(&["run", "--once"], &env).status.success());
    assert_eq!(s.report().len(), 1);
    assert_eq!(files_in(&s.path("outbox")).len(), 1);
}

#[test]
fn hostile_mail_gets_an_outcome_each_and_never_stops_the_daemon() {
    let s = Scratch::new();
    let hostile = shared_dir().join("hostile/mail");
    let files = files_in(&hostile);
    assert!(!files.is_empty(), "hostile mail at {}", hostile.display());
    let out = s.run_with(&["run", "--once"], &[("TREKKPOST_SOURCE", &hostile)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = s.report();
    // Identical files are one message; every distinct one has exactly one outcome.
    let distinct: std::collections::HashSet<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    assert_eq!(rows.len(), distinct.len());
    assert!(rows
        .iter()
        .all(|r| r["state"] == "done" && r["outcome"].is_string()));
}

#[test]
fn sigterm_finishes_and_exits_cleanly() {
    let s = Scratch::new();
    for name in ["01-list-unchanged.eml", "11-question.eml"] {
        copy_example(&s, name, name);
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trekkpost"))
        .arg("run")
        .current_dir(s.dir.path())
        .env("TREKKPOST_DATABASE_URL", s.url())
        .env("TREKKPOST_SOURCE", s.path("mailbox"))
        .env("TREKKPOST_SINK", s.path("outbox"))
        .env("TREKKPOST_IMPORT_DIR", crate_dir().join("examples/world"))
        .env("TREKKPOST__DAEMON__POLL_INTERVAL_SECS", "1")
        .spawn()
        .expect("start daemon");
    let mut child = KillOnDrop(child);
    let replies = || {
        files_in(&s.path("outbox"))
            .iter()
            .filter(|p| !p.to_string_lossy().contains("staff_digest"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while replies() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(replies(), 2, "daemon processed the mailbox");
    let child = &mut child.0;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let stop_deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        assert!(
            Instant::now() < stop_deadline,
            "daemon did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    assert_eq!(s.report().len(), 2);
}

/// A failing test must not leave a daemon behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_reply_that_cannot_be_delivered_becomes_a_dead_letter() {
    let s = Scratch::new();
    copy_example(&s, "11-question.eml", "q.eml");
    // The sink is a file, not a folder: every delivery fails.
    let blocked = s.path("blocked");
    std::fs::write(&blocked, b"not a folder").expect("write");
    let mut env = vec![("TREKKPOST_SINK", blocked.clone())];
    env.push(("TREKKPOST__OUTBOX__MAX_ATTEMPTS", "1".into()));
    let env = with_world(&mut env);
    assert!(s.run_with(&["run", "--once"], &env).status.success());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (outbox, flags) = rt.block_on(async {
        use trekkpost::store::Store;
        let store = trekkpost::store::AnyStore::open(&s.url())
            .await
            .expect("open");
        let outbox = store.outbox_counts().await.expect("counts");
        let flags = store.open_flag_counts().await.expect("flags");
        (outbox, flags)
    });
    assert_eq!(outbox, vec![("dead".to_string(), 1)]);
    assert!(
        flags
            .iter()
            .any(|f| f.kind == "dead_letter" && f.count == 1),
        "{flags:?}"
    );
}
