//! The daemon against real servers: the private Dovecot + Postfix of `scripts/mail-rig`,
//! found through the `TREKKPOST_RIG_*` variables that `scripts/mail-rig env` prints (and
//! `scripts/test` exports). Without them the tests are skipped, unless
//! `TREKKPOST_RIG_REQUIRED=1` or `CI=true`: then a missing rig fails them.
//!
//! Every test has its own mailbox user and database; replies are recognised by their
//! Message-ID (unique per outbox row), so tests sharing recipients do not disturb each other.
//! Tests that stop or restart a server hold the rig exclusively.
mod common;
#[path = "common/rig.rs"]
mod rig;
use rig::*;
use std::time::{Duration, Instant};
use trekkpost::store::Store;

#[test]
fn corpus_through_imaps_and_starttls_smtp_gets_one_outcome_each_and_replies_once() {
    let Some(rig) = rig() else { return };
    let install = Install::new(&rig, "corpus", ImapMode::Tls, SmtpMode::Starttls);
    install.world(&common::shared_dir().join("corpus/world"));
    let mails = corpus_mails();
    assert!(!mails.is_empty(), "the corpus mails are missing");
    for m in &mails {
        rig.save(&install.user, "INBOX", &std::fs::read(m).expect("read"));
    }
    install.run_ok(&["run", "--once"]);
    let snap = snapshot(&install.db_url());
    assert_eq!(snap.messages, mails.len(), "one message row per mail");
    assert_eq!(snap.done, mails.len(), "every mail has its outcome");
    assert_eq!(
        rig.count(&install.user, "INBOX"),
        0,
        "nothing left in INBOX"
    );
    assert_eq!(rig.count(&install.user, "Processed"), mails.len());
    // A second run changes nothing and sends nothing.
    install.run_ok(&["run", "--once"]);
    let again = snapshot(&install.db_url());
    assert_eq!(again.messages, mails.len());
    assert_eq!(again.outbox.len(), snap.outbox.len());
    let replies = assert_replies_exactly_once(&rig, &again);
    // The copies to our own mailbox were filed, never processed.
    assert_eq!(rig.count(&install.user, "Sent"), replies);
    let status = install.run_ok(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    assert_eq!(status["source"]["connected"], true, "{status}");
    assert_eq!(status["outbox_backlog"], 0, "{status}");
    eprintln!(
        "corpus: {} mails, {replies} replies delivered once each",
        mails.len()
    );
}

#[test]
fn starttls_imap_implicit_tls_smtp_and_plain_loopback_imap_work() {
    let Some(rig) = rig() else { return };
    for (name, imap, smtp, auth) in [
        ("starttls", ImapMode::Starttls, SmtpMode::Tls, "login"),
        ("plain", ImapMode::Plain, SmtpMode::Starttls, "plain"),
    ] {
        let mut install = Install::new(&rig, name, imap, smtp);
        install.set("TREKKPOST__IMAP__AUTH", auth);
        for i in 0..3 {
            rig.save(&install.user, "INBOX", &question_eml(name, i));
        }
        let seeded = seed_replies(&install.db_url(), 3, name);
        install.run_ok(&["run", "--once"]);
        let snap = snapshot(&install.db_url());
        assert_eq!(
            snap.done, 6,
            "{name}: 3 mails + 3 seeded, all with outcomes"
        );
        assert_eq!(rig.count(&install.user, "INBOX"), 0, "{name}");
        assert!(snap.outbox.iter().all(|r| r.3 == "sent"), "{name}");
        assert!(seeded.iter().all(|m| snap.outbox.iter().any(|r| &r.2 == m)));
        assert_replies_exactly_once(&rig, &snap);
    }
}

#[test]
fn an_unknown_ca_is_refused_and_nothing_is_taken() {
    let Some(rig) = rig() else { return };
    let mut install = Install::new(&rig, "badca", ImapMode::Tls, SmtpMode::Starttls);
    rig.save(&install.user, "INBOX", &question_eml("badca", 0));
    install.set("TREKKPOST__IMAP__CA_FILE", "");
    let out = install.run(&["run", "--once"]);
    assert!(
        !out.status.success(),
        "a server with an unknown CA must be refused"
    );
    assert_eq!(rig.count(&install.user, "INBOX"), 1);
    let status = install.run_ok(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    assert_eq!(status["source"]["connected"], false, "{status}");
}

#[test]
fn idle_picks_up_a_new_mail_within_two_seconds() {
    let Some(rig) = rig() else { return };
    let mut install = Install::new(&rig, "idle", ImapMode::Tls, SmtpMode::Starttls);
    // Only IDLE can bring a mail in within 2 s: the loop and the polling wait a minute.
    install.set("TREKKPOST__DAEMON__POLL_INTERVAL_SECS", "60");
    install.set("TREKKPOST__IMAP__POLL_INTERVAL_SECS", "60");
    let mut daemon = install.spawn("idle.log");
    let url = install.db_url();
    let connected = wait_until(Duration::from_secs(20), || {
        let out = install.run(&["status", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .map(|v| v["source"]["connected"] == true)
            .unwrap_or(false)
    });
    assert!(connected, "the daemon did not connect");
    // Let it settle into IDLE.
    std::thread::sleep(Duration::from_millis(700));
    let mut worst = Duration::ZERO;
    for i in 0..3 {
        let start = Instant::now();
        rig.save(&install.user, "INBOX", &question_eml("idle", i));
        let seen = wait_until(Duration::from_secs(10), || snapshot(&url).done == i + 1);
        let took = start.elapsed();
        if !seen {
            stop(&mut daemon);
            panic!("mail {i} was not processed\n{}", install.logs());
        }
        worst = worst.max(took);
        std::thread::sleep(Duration::from_millis(500));
    }
    let idle_status = wait_until(Duration::from_secs(5), || {
        let out = install.run(&["status", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .map(|v| v["source"]["connected"] == true && v["source"]["mails_waiting"] == 0)
            .unwrap_or(false)
    });
    stop(&mut daemon);
    assert!(idle_status, "status: connected, nothing waiting");
    assert!(
        worst < Duration::from_secs(2),
        "IDLE took {worst:?} to bring a new mail in"
    );
    eprintln!("IDLE: slowest pick-up {worst:?}");
}

#[test]
fn without_idle_the_mailbox_is_polled() {
    let Some(rig) = rig() else { return };
    let mut install = Install::new(&rig, "poll", ImapMode::Tls, SmtpMode::Starttls);
    install.set("TREKKPOST__IMAP__IDLE", "false");
    install.set("TREKKPOST__IMAP__POLL_INTERVAL_SECS", "1");
    let url = install.db_url();
    let mut daemon = install.spawn("poll.log");
    std::thread::sleep(Duration::from_millis(1500));
    rig.save(&install.user, "INBOX", &question_eml("poll", 0));
    let seen = wait_until(Duration::from_secs(10), || snapshot(&url).done == 1);
    // The copy of our reply (smtp.copy_to_self) lands in INBOX too and is filed in Sent
    // at the next poll.
    let emptied = wait_until(Duration::from_secs(10), || {
        rig.count(&install.user, "INBOX") == 0
    });
    stop(&mut daemon);
    assert!(seen, "the polled mailbox was not read:\n{}", install.logs());
    assert!(
        emptied,
        "INBOX left with {} mails",
        rig.count(&install.user, "INBOX")
    );
}

#[test]
fn postfix_down_then_up_drains_the_backlog_once() {
    let Some(rig) = rig() else { return };
    let install = Install::new(&rig, "postfix", ImapMode::Tls, SmtpMode::Starttls);
    let url = install.db_url();
    for i in 0..5 {
        rig.save(&install.user, "INBOX", &question_eml("postfix", i));
    }
    let seeded = seed_replies(&url, 10, "postfix");
    rig.script_ok("postfix-stop");
    let run = install.run(&["run", "--once"]);
    let snap = snapshot(&url);
    rig.script_ok("postfix-start");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(snap.done, 15, "mail is processed while SMTP is down");
    assert_eq!(rig.count(&install.user, "INBOX"), 0);
    assert!(
        snap.outbox.iter().all(|r| r.3 == "pending"),
        "nothing can be sent while Postfix is down: {:?}",
        snap.outbox
    );
    // The retry is due after the back-off (1–2 s here); the daemon drains the backlog.
    let mut daemon = install.spawn("postfix.log");
    let drained = wait_until(Duration::from_secs(30), || {
        snapshot(&url).outbox.iter().all(|r| r.3 == "sent")
    });
    stop(&mut daemon);
    assert!(drained, "the backlog was not drained:\n{}", install.logs());
    let snap = snapshot(&url);
    assert_eq!(snap.outbox.len(), seeded.len().max(snap.outbox.len()));
    let n = assert_replies_exactly_once(&rig, &snap);
    eprintln!("postfix down/up: {n} replies delivered once each");
}

#[test]
fn a_refused_reply_becomes_a_dead_letter_for_staff() {
    let Some(rig) = rig() else { return };
    let install = Install::new(&rig, "dead", ImapMode::Tls, SmtpMode::Starttls);
    let url = install.db_url();
    seed_replies_to(&url, 1, "dead", |_| "lonn@rejected.example".into());
    seed_replies(&url, 2, "alive");
    install.run_ok(&["run", "--once"]);
    let snap = snapshot(&url);
    let states: Vec<&str> = snap.outbox.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(states, ["dead", "sent", "sent"]);
    let status = install.run_ok(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    assert_eq!(status["dead_letters"], 1, "{status}");
    assert_eq!(status["sink"]["connected"], true, "{status}");
    let flags = block(async {
        let store = open_store(&url).await;
        number(
            &store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM flags WHERE status = 'open'",
        )
        .await
    });
    assert!(flags >= 1, "the dead letter is flagged for staff");
}

#[test]
fn dovecot_restarted_mid_run_loses_nothing() {
    let Some(rig) = rig() else { return };
    let install = Install::new(&rig, "dovecot", ImapMode::Tls, SmtpMode::Starttls);
    let url = install.db_url();
    for i in 0..30 {
        rig.save(&install.user, "INBOX", &question_eml("dovecot", i));
    }
    let mut daemon = install.spawn("dovecot.log");
    wait_until(Duration::from_secs(20), || snapshot(&url).done >= 5);
    rig.script_ok("dovecot-restart");
    for i in 30..40 {
        rig.save(&install.user, "INBOX", &question_eml("dovecot", i));
    }
    let done = wait_until(Duration::from_secs(60), || {
        snapshot(&url).done == 40 && rig.count(&install.user, "INBOX") == 0
    });
    stop(&mut daemon);
    assert!(
        done,
        "not every mail was processed after the restart:\n{}",
        install.logs()
    );
    let snap = snapshot(&url);
    assert_eq!(snap.messages, 40);
    assert_eq!(rig.count(&install.user, "Processed"), 40);
    assert_replies_exactly_once(&rig, &snap);
}

#[test]
fn a_uidvalidity_change_reprocesses_nothing() {
    let Some(rig) = rig() else { return };
    let install = Install::new(&rig, "uidvalidity", ImapMode::Tls, SmtpMode::Starttls);
    let url = install.db_url();
    for i in 0..5 {
        rig.save(&install.user, "INBOX", &question_eml("uv", i));
    }
    install.run_ok(&["run", "--once"]);
    let before = snapshot(&url);
    assert_eq!(before.done, 5);
    // The mails come back (as after a crash between commit and move) under a new UIDVALIDITY.
    rig.doveadm(&[
        "copy",
        "-u",
        &install.user,
        "INBOX",
        "mailbox",
        "Processed",
        "all",
    ]);
    let old = rig.status_field(&install.user, "INBOX", "uidvalidity");
    rig.doveadm(&[
        "mailbox",
        "update",
        "-u",
        &install.user,
        "--uid-validity",
        &(old + 1000).to_string(),
        "INBOX",
    ]);
    install.run_ok(&["run", "--once"]);
    let after = snapshot(&url);
    assert_eq!(after.messages, 5, "nothing stored twice");
    assert_eq!(
        after.outbox.len(),
        before.outbox.len(),
        "nothing answered twice"
    );
    assert_eq!(rig.count(&install.user, "INBOX"), 0, "filed again");
    let state = block(async {
        let store = open_store(&url).await;
        store.imap_state("INBOX").await.expect("state")
    });
    assert_eq!(state.map(|s| u64::from(s.0)), Some(old + 1000));
}

#[test]
fn a_mail_over_the_size_limit_is_not_read_but_quarantined_with_a_reply_and_goes_to_failed() {
    let Some(rig) = rig() else { return };
    let mut install = Install::new(&rig, "big", ImapMode::Tls, SmtpMode::Starttls);
    const LIMIT: usize = 1_048_576;
    install.set("TREKKPOST__IMAP__MAX_MESSAGE_BYTES", &LIMIT.to_string());
    let url = install.db_url();
    // A question of 1.5 MB, an out-of-office of 1.2 MB (never answered), a small question.
    let big = padded(question_eml("big", 0), LIMIT * 3 / 2);
    let auto = padded(
        format!(
            "From: Kari Lønn <lonn1@employer1.example>\r\nTo: {}\r\n\
             Subject: Automatisk svar: Spørsmål\r\nMessage-ID: <oof-big@employer.example>\r\n\
             Auto-Submitted: auto-replied\r\nDate: Fri, 27 Nov 2026 08:00:00 +0100\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nJeg er på ferie.\r\n",
            install.user
        )
        .into_bytes(),
        LIMIT + LIMIT / 5,
    );
    rig.save(&install.user, "INBOX", &big);
    rig.save(&install.user, "INBOX", &auto);
    rig.save(&install.user, "INBOX", &question_eml("big", 1));
    install.run_ok(&["run", "--once"]);
    let snap = snapshot(&url);
    assert_eq!(snap.messages, 3);
    assert_eq!(snap.done, 3, "the big mails have their outcome too");
    assert_eq!(rig.count(&install.user, "INBOX"), 0);
    let failed = rig.message_ids(&install.user, "Failed");
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed.contains_key("q-big-0@employer.example")
            && failed.contains_key("oof-big@employer.example")
    );
    assert_eq!(
        rig.message_ids(&install.user, "Processed").len(),
        1,
        "the small mail is processed as usual"
    );
    // Only the header of a big mail was read and kept.
    let kept = block(async {
        let store = open_store(&url).await;
        let mut kept = Vec::new();
        for m in store.messages().await.expect("messages") {
            if let Some(o) = store.oversize(m.id).await.expect("oversize") {
                let raw = store
                    .raw_message(m.id)
                    .await
                    .expect("raw")
                    .unwrap_or_default();
                assert!(
                    raw.len() < 10_000,
                    "the big body was not read: {} bytes",
                    raw.len()
                );
                assert_eq!(o.limit, LIMIT as i64);
                assert!(o.size > o.limit);
                kept.push((m.message_id.clone().unwrap_or_default(), o.size));
            }
        }
        kept
    });
    assert_eq!(kept.len(), 2, "{kept:?}");

    // What staff see: flagged, message_too_large, the kind the header gives.
    let report: Vec<serde_json::Value> =
        serde_json::from_str(&install.run_ok(&["report", "--json"])).expect("report JSON");
    let row = |mid: &str| {
        report
            .iter()
            .find(|r| r["message_id"] == mid)
            .unwrap_or_else(|| panic!("no report row for {mid}: {report:?}"))
    };
    let q = row("q-big-0@employer.example");
    assert_eq!(q["outcome"], "flagged", "{q}");
    assert_eq!(q["flags"], serde_json::json!(["message_too_large"]), "{q}");
    assert_eq!(q["kind"], "question", "{q}");
    assert_eq!(q["reply_template"], "too_large", "{q}");
    let oof = row("oof-big@employer.example");
    assert_eq!(oof["outcome"], "flagged", "{oof}");
    assert_eq!(
        oof["flags"],
        serde_json::json!(["message_too_large"]),
        "{oof}"
    );
    assert_eq!(oof["kind"], "auto_reply", "{oof}");
    assert_eq!(
        oof["reply_template"],
        serde_json::Value::Null,
        "an auto-reply is never answered"
    );
    let small = row("q-big-1@employer.example");
    assert_eq!(small["flags"], serde_json::json!(["question"]), "{small}");

    // The sender is told, once, in their own mailbox.
    assert_replies_exactly_once(&rig, &snap);
    let too_large: Vec<(String, String)> = block(async {
        let store = open_store(&url).await;
        rows(
            &store,
            "SELECT to_address, message_id FROM outbox WHERE template = 'too_large'",
        )
        .await
    });
    assert_eq!(too_large.len(), 1, "one too_large reply: {too_large:?}");
    let (to, mid) = &too_large[0];
    assert_eq!(to, "lonn0@employer0.example");
    let eml = rig
        .message_text(to, "INBOX", mid)
        .expect("the reply in the sender's mailbox");
    let reply = mail_parser::MessageParser::default()
        .parse(&eml)
        .expect("the reply parses");
    let text = reply.body_text(0).expect("a text part").into_owned();
    let size = kept
        .iter()
        .find(|(m, _)| m == "q-big-0@employer.example")
        .map(|(_, s)| *s)
        .expect("the big question's size");
    for needle in [
        trekkpost::reply::format_mb(size, Some("nb")),
        "1 MB".to_string(),
        "ikke lest".to_string(),
        "mindre fil".to_string(),
        "flere e-poster".to_string(),
    ] {
        assert!(
            text.contains(&needle),
            "{needle:?} missing from the reply:\n{text}"
        );
    }
    assert!(
        reply.subject().is_some_and(|s| s.contains("for stor")),
        "{:?}",
        reply.subject()
    );
    assert_eq!(
        reply.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );
    assert_eq!(
        reply.in_reply_to().as_text(),
        Some("q-big-0@employer.example"),
        "threaded on the big mail"
    );
}

#[test]
fn sigkill_at_random_moments_over_200_mails_gives_one_outcome_each_and_replies_once() {
    let Some(rig) = rig() else { return };
    let mut install = Install::new(&rig, "kill", ImapMode::Tls, SmtpMode::Starttls);
    // A killed daemon's claims on messages and replies are taken over once their lease
    // runs out; short here so the restarts are not kept waiting.
    install.set("TREKKPOST__DAEMON__LEASE_SECS", "3");
    let url = install.db_url();
    const MAILS: usize = 200;
    for i in 0..MAILS {
        rig.save(&install.user, "INBOX", &question_eml("kill", i));
    }
    // Replies made before the run, so sending is interrupted too whatever the classifier says.
    let seeded = seed_replies(&url, 100, "kill");
    let total = MAILS + seeded.len();
    let finished = |url: &str| {
        let s = snapshot(url);
        s.done == total && s.outbox.iter().all(|r| r.3 == "sent")
    };
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut daemon = install.spawn("kill-0.log");
    while Instant::now() < deadline && kills < 25 {
        let pause = 50 + rand::random::<u64>() % 700;
        std::thread::sleep(Duration::from_millis(pause));
        if finished(&url) && rig.count(&install.user, "INBOX") == 0 {
            break;
        }
        let _ = daemon.kill(); // SIGKILL
        let _ = daemon.wait();
        kills += 1;
        daemon = install.spawn(&format!("kill-{kills}.log"));
    }
    let done = wait_until(Duration::from_secs(120), || {
        finished(&url) && rig.count(&install.user, "INBOX") == 0
    });
    stop(&mut daemon);
    let snap = snapshot(&url);
    assert!(
        done,
        "not finished after {kills} kills: {} of {total} done, {} in INBOX, outbox {:?}\n{}",
        snap.done,
        rig.count(&install.user, "INBOX"),
        snap.outbox
            .iter()
            .filter(|r| r.3 != "sent")
            .collect::<Vec<_>>(),
        install.logs()
    );
    assert_eq!(snap.messages, total, "every mail stored once");
    let processed = rig.message_ids(&install.user, "Processed");
    let dup: Vec<_> = processed.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(processed.len(), MAILS, "every mail filed in Processed");
    assert!(dup.is_empty(), "filed twice: {dup:?}");
    let replies = assert_replies_exactly_once(&rig, &snap);
    let logs = install.all_logs();
    eprintln!(
        "SIGKILL: {kills} kills, {MAILS} mails one outcome each, {replies} replies delivered \
         once each; sends found in doubt after a kill: {}, shown accepted by their copy: {}, \
         resent after no copy came: {}",
        logs.matches("in doubt: waiting for its copy").count(),
        logs.matches("the copy shows an interrupted send was accepted")
            .count(),
        logs.matches("no copy of an interrupted send").count()
    );
}
