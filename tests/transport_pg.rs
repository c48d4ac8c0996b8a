//! Issue 8's check of the transport promises: three `trekkpost run` daemons share one
//! PostgreSQL database (fresh per test) and one mailbox of the rig (see `tests/transport.rs`
//! and `tests/common/rig.rs`); one of them is killed with SIGKILL at random moments and
//! restarted, many times. Nothing may be lost or done twice: every mail one outcome, filed in
//! Processed or Failed exactly once, INBOX empty, every reply delivered exactly once.
//!
//! Needs the rig (`TREKKPOST_RIG_*`) and PostgreSQL (`TREKKPOST_TEST_POSTGRES_URL`); skipped
//! without them unless required (`TREKKPOST_RIG_REQUIRED=1` / `CI=true`, or the URL set).
mod common;
#[path = "common/rig.rs"]
mod rig;
use rig::*;
use std::collections::HashMap;
use std::process::Child;
use std::time::{Duration, Instant};

/// A failing test leaves no daemon behind.
struct Daemons(Vec<Option<Child>>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for child in self.0.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

const MAILS: usize = 200;
const SEEDED: usize = 60;
/// imap.max_message_bytes here: every 50th mail is over it (the corpus mails are not).
const LIMIT: usize = 300_000;

#[test]
fn three_daemons_on_postgres_one_mailbox_one_killed_at_random_moments_lose_nothing_send_nothing_twice(
) {
    let Some(rig) = rig() else { return };
    let Some(mut install) = Install::on_postgres(&rig, "three", ImapMode::Tls, SmtpMode::Starttls)
    else {
        return;
    };
    // A killed daemon's claims are taken over when their lease runs out; the living renew
    // theirs every second.
    install.set("TREKKPOST__DAEMON__LEASE_SECS", "3");
    install.set("TREKKPOST__IMAP__MAX_MESSAGE_BYTES", &LIMIT.to_string());
    install.world(&common::shared_dir().join("corpus/world"));
    let url = install.db_url();
    let corpus = corpus_mails();
    assert!(!corpus.is_empty(), "the corpus mails are missing");

    // The corpus mails round-robin, each copy with a Message-ID of its own, and a few too big.
    let mut mail_ids = Vec::new();
    let mut big_ids = Vec::new();
    for i in 0..MAILS {
        let id = format!("three-{i:03}-{:08x}@test.example", rand::random::<u32>());
        let eml = if i % 50 == 49 {
            big_ids.push(id.clone());
            padded(question_eml("three-big", i), LIMIT * 3 / 2)
        } else {
            std::fs::read(&corpus[i % corpus.len()]).expect("read corpus mail")
        };
        rig.save(&install.user, "INBOX", &with_message_id(&eml, &id));
        mail_ids.push(id);
    }
    // Replies waiting before the start, so sending is cut short by the kills too.
    let seeded = seed_replies(&url, SEEDED, "three");
    let total = MAILS + seeded.len();

    let finished = |url: &str| {
        let s = snapshot(url);
        s.done >= total && s.done == s.messages && s.outbox.iter().all(|r| r.3 == "sent")
    };
    let mut daemons = Daemons(
        (0..3)
            .map(|k| Some(install.spawn(&format!("daemon{k}-0.log"))))
            .collect(),
    );
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline && kills < 12 {
        std::thread::sleep(Duration::from_millis(300 + rand::random::<u64>() % 2500));
        if finished(&url) && rig.count(&install.user, "INBOX") == 0 {
            break;
        }
        let slot = (rand::random::<u64>() % 3) as usize;
        if let Some(mut victim) = daemons.0[slot].take() {
            let _ = victim.kill(); // SIGKILL: no chance to finish anything
            let _ = victim.wait();
        }
        kills += 1;
        daemons.0[slot] = Some(install.spawn(&format!("daemon{slot}-{kills}.log")));
    }
    let done = wait_until(Duration::from_secs(180), || {
        finished(&url) && rig.count(&install.user, "INBOX") == 0
    });
    for child in daemons.0.iter_mut().flatten() {
        stop(child);
    }
    let snap = snapshot(&url);
    assert!(
        done,
        "not finished after {kills} kills: {} of {total} done, {} in INBOX, outbox not sent: {:?}\n{}",
        snap.done,
        rig.count(&install.user, "INBOX"),
        snap.outbox
            .iter()
            .filter(|r| r.3 != "sent")
            .collect::<Vec<_>>(),
        install.logs()
    );
    assert!(kills >= 3, "the run ended before three kills ({kills})");

    // Every mail stored once, with exactly one outcome.
    let report: Vec<serde_json::Value> =
        serde_json::from_str(&install.run_ok(&["report", "--json"])).expect("report JSON");
    let extra: Vec<&serde_json::Value> = report
        .iter()
        .filter(|r| {
            let mid = r["message_id"].as_str().unwrap_or("");
            !mail_ids.iter().any(|m| m == mid)
                && !r["source"].as_str().is_some_and(|s| s.starts_with("seed-"))
        })
        .collect();
    assert!(extra.is_empty(), "messages nobody sent: {extra:#?}");
    assert_eq!(snap.messages, total, "every mail stored once");
    let (outcomes, per_message, replies_per_message) = block(async {
        let store = open_store(&url).await;
        let outcomes: Vec<(String, i64)> = rows(
            &store,
            "SELECT subject, CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'outcome' \
             GROUP BY subject",
        )
        .await;
        let per_message: Vec<(i64, Option<String>)> = rows(
            &store,
            "SELECT id, outcome FROM messages WHERE source LIKE 'imap:%' ORDER BY id",
        )
        .await;
        let replies: Vec<(i64, i64)> = rows(
            &store,
            "SELECT message, CAST(COUNT(*) AS BIGINT) FROM outbox WHERE message IS NOT NULL \
             GROUP BY message",
        )
        .await;
        (outcomes, per_message, replies)
    });
    assert_eq!(per_message.len(), MAILS, "one message row per mail");
    assert!(
        per_message.iter().all(|(_, o)| o.is_some()),
        "every mail has its outcome"
    );
    let twice: Vec<_> = outcomes.iter().filter(|(_, n)| *n != 1).collect();
    assert!(
        twice.is_empty(),
        "outcomes committed more than once: {twice:?}"
    );
    assert_eq!(outcomes.len(), MAILS, "one committed outcome per mail");
    let many: Vec<_> = replies_per_message.iter().filter(|(_, n)| *n > 1).collect();
    assert!(many.is_empty(), "a mail answered more than once: {many:?}");

    // What staff see: the big ones quarantined, the rest decided as usual.
    for id in &big_ids {
        let row = report
            .iter()
            .find(|r| r["message_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no report row for {id}"));
        assert_eq!(row["outcome"], "flagged", "{row}");
        assert_eq!(
            row["flags"],
            serde_json::json!(["message_too_large"]),
            "{row}"
        );
        assert_eq!(row["reply_template"], "too_large", "{row}");
    }
    let mails: Vec<&serde_json::Value> = report
        .iter()
        .filter(|r| r["source"].as_str().is_some_and(|s| s.starts_with("imap:")))
        .collect();
    assert_eq!(mails.len(), MAILS, "one report row per mail");
    assert!(
        mails
            .iter()
            .all(|r| r["outcome"].is_string() && r["kind"].is_string()),
        "every mail's row has its kind and outcome"
    );

    // The mailbox: nothing left, every mail filed once, the big ones in Failed.
    assert_eq!(rig.count(&install.user, "INBOX"), 0);
    let processed = rig.message_ids(&install.user, "Processed");
    let failed = rig.message_ids(&install.user, "Failed");
    let mut filed: HashMap<&str, usize> = HashMap::new();
    for (id, n) in processed.iter().chain(failed.iter()) {
        *filed.entry(id.as_str()).or_insert(0) += n;
    }
    let wrong: Vec<_> = mail_ids
        .iter()
        .filter(|id| filed.get(id.as_str()).copied() != Some(1))
        .map(|id| (id, filed.get(id.as_str()).copied().unwrap_or(0)))
        .collect();
    assert!(wrong.is_empty(), "not filed exactly once: {wrong:?}");
    assert_eq!(filed.len(), MAILS, "nothing else filed");
    let mut in_failed: Vec<&String> = failed.keys().collect();
    in_failed.sort();
    let mut expected_failed: Vec<&String> = big_ids.iter().collect();
    expected_failed.sort();
    assert_eq!(
        in_failed, expected_failed,
        "exactly the big mails in Failed"
    );

    // Every reply delivered exactly once, and its copy filed once in Sent.
    let replies = assert_replies_exactly_once(&rig, &snap);
    assert!(
        seeded.iter().all(|m| snap.outbox.iter().any(|r| &r.2 == m)),
        "the seeded replies are among them"
    );
    let sent_copies = rig.message_ids(&install.user, "Sent");
    let copies_twice: Vec<_> = sent_copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        copies_twice.is_empty(),
        "copies filed twice: {copies_twice:?}"
    );
    let logs = install.all_logs();
    eprintln!(
        "three daemons on PostgreSQL: {kills} kills, {MAILS} mails one outcome each ({} in \
         Failed), {replies} replies delivered once each; leases lost: {}, sends in doubt: {}, \
         shown accepted by their copy: {}, resent after no copy came: {}",
        big_ids.len(),
        logs.matches("lease lost").count(),
        logs.matches("in doubt: waiting for its copy").count(),
        logs.matches("the copy shows an interrupted send was accepted")
            .count(),
        logs.matches("no copy of an interrupted send").count()
    );
    let status = install.run_ok(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    assert_eq!(status["outbox_backlog"], 0, "{status}");
    assert_eq!(status["stored_unprocessed"], 0, "{status}");
}
