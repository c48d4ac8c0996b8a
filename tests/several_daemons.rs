//! Several daemons on one PostgreSQL database and one mailbox (issue 8): three `trekkpost run`
//! processes share 300 messages, and a daemon is killed at three random moments (replaced
//! twice); every message gets exactly one outcome and every reply is delivered exactly once.
mod common;

use common::{crate_dir, files_in, pg::PgDb};
use std::collections::HashSet;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use trekkpost::store::AnyStore;

const MESSAGES: usize = 300;

/// A failing test must not leave daemons behind.
struct Daemons(Vec<Option<Child>>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for child in self.0.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The example mails, copied round-robin with a distinct Message-ID each.
fn fill_mailbox(mailbox: &std::path::Path) {
    let examples = files_in(&crate_dir().join("examples/mailbox"));
    assert!(!examples.is_empty());
    for n in 0..MESSAGES {
        let bytes = std::fs::read(&examples[n % examples.len()]).expect("read example");
        let text = String::from_utf8_lossy(&bytes);
        let id = format!("Message-ID: <copy-{n:03}@several-daemons.test>");
        let mut replaced = false;
        let lines: Vec<String> = text
            .split_inclusive('\n')
            .map(|line| {
                if !replaced && line.to_ascii_lowercase().starts_with("message-id:") {
                    replaced = true;
                    format!("{id}\r\n")
                } else {
                    line.to_string()
                }
            })
            .collect();
        let mut out = lines.concat();
        if !replaced {
            out = format!("{id}\r\n{out}");
        }
        std::fs::write(mailbox.join(format!("{n:03}.eml")), out).expect("write copy");
    }
}

fn scalar(rt: &tokio::runtime::Runtime, url: &str, sql: &str) -> Vec<(String, i64)> {
    rt.block_on(async {
        let AnyStore::Postgres(store) = AnyStore::open(url).await.expect("open") else {
            panic!("not PostgreSQL")
        };
        sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(store.pool())
            .await
            .expect("query")
    })
}

#[test]
fn three_daemons_killed_at_random_every_message_one_outcome_every_reply_once() {
    let Some(db) = PgDb::create() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (mailbox, outbox) = (dir.path().join("mailbox"), dir.path().join("outbox"));
    std::fs::create_dir_all(&mailbox).expect("mkdir");
    fill_mailbox(&mailbox);

    let start = || {
        Command::new(env!("CARGO_BIN_EXE_trekkpost"))
            .arg("run")
            .current_dir(dir.path())
            .env("TREKKPOST_DATABASE_URL", &db.url)
            .env("TREKKPOST_SOURCE", &mailbox)
            .env("TREKKPOST_SINK", &outbox)
            .env("TREKKPOST_IMPORT_DIR", crate_dir().join("examples/world"))
            .env("TREKKPOST__DAEMON__POLL_INTERVAL_SECS", "1")
            .env("TREKKPOST__DAEMON__LEASE_SECS", "3")
            // Each daemon serves the staff UI on a port of its own.
            .env("TREKKPOST__WEB__BIND", "127.0.0.1:0")
            // Copies of one mail come from one sender: let every one be answered.
            .env(
                "TREKKPOST__RULES__MAX_REPLIES_PER_ADDRESS_PER_DAY",
                "100000",
            )
            .spawn()
            .expect("start daemon")
    };
    let mut daemons = Daemons((0..3).map(|_| Some(start())).collect());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let done = || {
        scalar(
            &rt,
            &db.url,
            "SELECT state, COUNT(*) FROM messages GROUP BY state",
        )
        .iter()
        .find(|(s, _)| s == "done")
        .map_or(0, |(_, n)| *n)
    };

    // Kill a daemon (SIGKILL: no chance to finish) at random moments of the run; the first
    // two are replaced by a fresh daemon, the last is not.
    let mut moments: Vec<i64> = (0..3)
        .map(|_| 10 + (rand::random::<u64>() % 200) as i64)
        .collect();
    moments.sort_unstable();
    let deadline = Instant::now() + Duration::from_secs(300);
    for (round, kill_at) in moments.iter().enumerate() {
        while done() < *kill_at {
            assert!(Instant::now() < deadline, "daemons made no progress");
            std::thread::sleep(Duration::from_millis(10));
        }
        for child in daemons.0.iter_mut().flatten() {
            assert!(
                child.try_wait().expect("wait").is_none(),
                "a daemon died early"
            );
        }
        let slot = (rand::random::<u64>() % 3) as usize;
        if let Some(mut victim) = daemons.0[slot].take() {
            victim.kill().expect("kill daemon");
            victim.wait().expect("reap daemon");
        }
        if round < 2 {
            daemons.0[slot] = Some(start());
        }
    }

    // The others finish the mailbox, taking over the dead daemon's leases, and send every reply.
    loop {
        let states = scalar(
            &rt,
            &db.url,
            "SELECT state, COUNT(*) FROM messages GROUP BY state",
        );
        let pending = scalar(
            &rt,
            &db.url,
            "SELECT state, COUNT(*) FROM outbox WHERE state = 'pending' GROUP BY state",
        );
        if states == vec![("done".to_string(), MESSAGES as i64)] && pending.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not finished: {states:?}, outbox {pending:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for child in daemons.0.iter_mut().flatten() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().expect("wait");
        assert!(
            status.success(),
            "a surviving daemon exits cleanly: {status}"
        );
    }

    // Every message exactly one outcome.
    let outcomes = scalar(
        &rt,
        &db.url,
        "SELECT COALESCE(outcome, 'none'), COUNT(*) FROM messages GROUP BY outcome",
    );
    assert!(outcomes.iter().all(|(o, _)| o != "none"), "{outcomes:?}");
    assert_eq!(
        outcomes.iter().map(|(_, n)| n).sum::<i64>(),
        MESSAGES as i64
    );
    let per_message = scalar(
        &rt,
        &db.url,
        "SELECT CAST(message AS TEXT), COUNT(*) FROM outbox WHERE message IS NOT NULL
         GROUP BY message, template, to_address HAVING COUNT(*) > 1",
    );
    assert!(
        per_message.is_empty(),
        "a reply queued twice: {per_message:?}"
    );
    // Several daemons shared the work.
    let owners = scalar(
        &rt,
        &db.url,
        "SELECT lease_owner, COUNT(*) FROM messages GROUP BY lease_owner",
    );
    assert!(owners.len() >= 2, "one daemon did everything: {owners:?}");

    // Every reply exactly once in the sink folder.
    let sent = scalar(
        &rt,
        &db.url,
        "SELECT state, COUNT(*) FROM outbox GROUP BY state",
    );
    let sent_rows = sent
        .iter()
        .find(|(s, _)| s == "sent")
        .map_or(0, |(_, n)| *n);
    let files: Vec<_> = files_in(&outbox)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert!(sent_rows > 0, "{sent:?}");
    assert_eq!(files.len() as i64, sent_rows, "{sent:?}");
    let ids: HashSet<String> = files
        .iter()
        .map(|f| {
            let text = String::from_utf8_lossy(&std::fs::read(f).expect("read reply")).to_string();
            text.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(str::to_string)
                .unwrap_or_else(|| panic!("{} has no Message-ID", f.display()))
        })
        .collect();
    assert_eq!(ids.len(), files.len(), "a reply delivered twice");
}
