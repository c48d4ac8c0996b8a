//! One store test suite, run against SQLite and against a real PostgreSQL: both backends must
//! answer every `Store` call the same way.
mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{crate_dir, pg::PgDb};
use trekkpost::store::{AnyStore, OutboxWrite, OutcomeWrite, ReminderWrite, Store};

fn world() -> Vec<std::path::PathBuf> {
    [
        "employers.csv",
        "lists.csv",
        "list_lines.csv",
        "payments.csv",
    ]
    .iter()
    .map(|f| crate_dir().join("examples/world").join(f))
    .collect()
}

fn reply(n: usize, to: &str) -> OutboxWrite {
    OutboxWrite {
        template: "list_confirmed".into(),
        to_address: to.into(),
        subject: format!("reply {n}"),
        message_id: format!("reply-{n}@union.example"),
        eml: format!("Subject: reply {n}\r\n\r\nøre\r\n").into_bytes(),
        held: false,
    }
}

async fn reference_data(store: &impl Store) {
    let summary = trekkpost::pipeline::import_files(store, &world(), false)
        .await
        .expect("import");
    assert_eq!(summary.files, 4);
    let again = trekkpost::pipeline::import_files(store, &world(), true)
        .await
        .expect("import again");
    assert_eq!(again.files, 0, "known files are skipped");

    let e = store
        .employer("A3012")
        .await
        .expect("employer")
        .expect("A3012");
    assert_eq!(e.org_number, "991621601");
    assert_eq!(e.name, "Havørn Sjømat AS");
    assert!(!e.uses_winorg);
    assert_eq!(
        store.employer_by_org("991621601").await.expect("by org"),
        Some(e.clone())
    );
    assert_eq!(
        store
            .employer_by_contact("Lonn@Havorn-Sjomat.example")
            .await
            .expect("by contact"),
        Some(e.clone())
    );
    assert!(
        store
            .employer("A3045")
            .await
            .expect("A3045")
            .expect("A3045")
            .uses_winorg
    );

    let list = store.list("251204").await.expect("list").expect("251204");
    assert_eq!(list.period, "2026-11");
    assert_eq!(list.invoice_amount_ore, 613_103);
    assert_eq!(list.due_date.to_string(), "2026-11-30");
    assert_eq!(
        store
            .list_by_invoice_or_kid("030122512046")
            .await
            .expect("by kid")
            .map(|l| l.list_number),
        Some("251204".to_string())
    );
    let lines = store.issued_lines("251204").await.expect("lines");
    let members: Vec<&str> = lines.iter().map(|l| l.member_number.as_str()).collect();
    let mut sorted = members.clone();
    sorted.sort();
    assert_eq!(members, sorted, "issued lines in member-number order");
    assert!(lines.iter().any(|l| l.amount_ore == 72_078));
    assert_eq!(
        store.latest_period().await.expect("period").as_deref(),
        Some("2026-11")
    );
    assert!(!store
        .issued_lines_since("2026-11")
        .await
        .expect("since")
        .is_empty());
    let paid = store.payments_for_list("251219").await.expect("payments");
    assert!(paid.iter().any(|p| p.amount_ore == 981_477));
}

async fn messages_and_outcomes(store: &impl Store) {
    let arrival = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).single();
    let a = store
        .store_raw("a.eml", b"Message-ID: <a@x>\r\n\r\nA", Some("a@x"), arrival)
        .await
        .expect("store a");
    assert!(!a.done);
    let again = store
        .store_raw(
            "a-copy.eml",
            b"Message-ID: <a@x>\r\n\r\nA",
            Some("a@x"),
            None,
        )
        .await
        .expect("store a again");
    assert_eq!(
        again, a,
        "content-addressed: the same bytes are one message"
    );
    let b = store
        .store_raw("b.eml", b"B", None, None)
        .await
        .expect("store b");
    assert_eq!(
        store.unprocessed_messages().await.expect("unprocessed"),
        vec![a.id, b.id]
    );
    assert_eq!(
        store.raw_message(a.id).await.expect("raw").as_deref(),
        Some(&b"Message-ID: <a@x>\r\n\r\nA"[..])
    );
    let row = store.message(a.id).await.expect("message").expect("row");
    assert_eq!(row.arrival, arrival);
    assert_eq!(row.state, "stored");

    let write = OutcomeWrite {
        kind: "list_submission".into(),
        lang: "nb".into(),
        outcome: "confirmed".into(),
        list_number: Some("251204".into()),
        reply_template: Some("list_confirmed".into()),
        from_address: Some("lonn@havorn-sjomat.example".into()),
        subject: "Trekkliste".into(),
        report_json: "{}".into(),
        conversation_token: Some("TL-251204".into()),
        conversation_ids: vec!["a@x".into(), "reply-1@union.example".into()],
        flags: vec![("new_person".into(), Some("detail".into()))],
        mark_submitted: Some(("251204".into(), 613_103)),
        outbox: vec![reply(1, "Lonn@Havorn-Sjomat.example")],
        audit: vec![("outcome".into(), "confirmed".into())],
        ..Default::default()
    };
    store.commit_outcome(a.id, &write).await.expect("commit");
    // Another message decided to confirm the same list meanwhile: it must decide again.
    let mut rival = write.clone();
    rival.outbox = vec![reply(7, "x@example.com")];
    rival.conversation_ids = vec![];
    let conflict = store.commit_outcome(b.id, &rival).await;
    assert!(
        matches!(conflict, Err(trekkpost::store::StoreError::Conflict(_))),
        "{conflict:?}"
    );
    // A second outcome for the same message writes nothing.
    let mut other = write.clone();
    other.outbox = vec![reply(2, "x@example.com")];
    store
        .commit_outcome(a.id, &other)
        .await
        .expect("commit again");
    assert_eq!(
        store.outbox_counts().await.expect("outbox"),
        vec![("pending".to_string(), 1)]
    );
    let done = store
        .store_raw("a.eml", b"Message-ID: <a@x>\r\n\r\nA", Some("a@x"), None)
        .await
        .expect("store a once more");
    assert!(done.done);
    let conversation = store
        .conversation_by_token("TL-251204")
        .await
        .expect("token")
        .expect("conversation");
    assert_eq!(
        store
            .conversation_of_message_ids(&["unknown".into(), "reply-1@union.example".into()])
            .await
            .expect("by ids"),
        Some(conversation)
    );
    let thread = store.thread(conversation).await.expect("thread");
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].list_number.as_deref(), Some("251204"));
    assert_eq!(
        store
            .list("251204")
            .await
            .expect("list")
            .expect("list")
            .submitted_total_ore,
        Some(613_103)
    );
    assert_eq!(
        store.message_lang(a.id).await.expect("lang").as_deref(),
        Some("nb")
    );
    let since = Utc::now() - Duration::hours(1);
    assert_eq!(
        store
            .replies_to_since("lonn@havorn-sjomat.example", since)
            .await
            .expect("replies"),
        1
    );
    let flags = store.open_flag_counts().await.expect("flags");
    let kinds: Vec<(&str, i64)> = flags.iter().map(|f| (f.kind.as_str(), f.count)).collect();
    assert!(kinds.contains(&("new_person", 1)), "{kinds:?}");
    assert!(flags.iter().all(|f| f.oldest.is_some()));
    assert_eq!(
        store.unprocessed_messages().await.expect("left"),
        vec![b.id]
    );
    let counts = store.table_counts().await.expect("counts");
    let count = |t: &str| counts.iter().find(|(n, _)| n == t).map(|(_, n)| *n);
    assert_eq!(count("messages"), Some(2));
    assert_eq!(count("outbox"), Some(1));
}

async fn outbox_states(store: &impl Store) {
    let now = Utc::now();
    let due = store.due_outbox(now, 10).await.expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].eml,
        b"Subject: reply 1\r\n\r\n\xc3\xb8re\r\n".to_vec()
    );
    assert_eq!(due[0].to_address, "lonn@havorn-sjomat.example");
    store
        .mark_failed(due[0].id, "timeout", now + Duration::seconds(60), false)
        .await
        .expect("failed");
    assert!(store.due_outbox(now, 10).await.expect("due").is_empty());
    let later = now + Duration::seconds(61);
    let due = store.due_outbox(later, 10).await.expect("due later");
    assert_eq!(due[0].attempts, 1);
    store.mark_sent(due[0].id, later).await.expect("sent");
    assert_eq!(
        store.outbox_counts().await.expect("counts"),
        vec![("sent".to_string(), 1)]
    );
}

async fn job_runs(store: &impl Store) {
    let tick = Utc
        .with_ymd_and_hms(2026, 12, 1, 8, 0, 0)
        .single()
        .expect("tick");
    let reminders = [ReminderWrite {
        kind: "reminder_overdue".into(),
        subject_key: "251204".into(),
    }];
    assert!(store
        .record_job_run(
            "reminder_overdue",
            tick,
            tick,
            &reminders,
            &[reply(3, "a@b.example")]
        )
        .await
        .expect("run"));
    assert!(
        !store
            .record_job_run(
                "reminder_overdue",
                tick,
                tick,
                &reminders,
                &[reply(4, "a@b.example")]
            )
            .await
            .expect("run again"),
        "a tick runs once"
    );
    assert_eq!(
        store.last_job_tick("reminder_overdue").await.expect("tick"),
        Some(tick)
    );
    // Two daemons serving the same tick at the same moment: exactly one records it.
    let next = tick + Duration::days(1);
    let (five, six) = ([reply(5, "s@union.example")], [reply(6, "s@union.example")]);
    let (a, b) = tokio::join!(
        store.record_job_run("staff_digest", next, next, &[], &five),
        store.record_job_run("staff_digest", next, next, &[], &six),
    );
    assert!(a.expect("first") ^ b.expect("second"), "one run per tick");
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 15).expect("date");
    let overdue = store.overdue_candidates(date).await.expect("overdue");
    let c = overdue
        .iter()
        .find(|c| c.list.list_number == "251204")
        .expect("251204 overdue");
    assert!(c.received);
    assert_eq!(c.reminders, vec![tick]);
    assert!(overdue
        .iter()
        .any(|c| c.list.list_number == "251219" && c.paid && !c.received));
}

async fn leases(store: &impl Store) {
    let now = Utc::now();
    let until = now + Duration::seconds(30);
    for n in 0..3 {
        store
            .store_raw(&format!("l{n}.eml"), format!("L{n}").as_bytes(), None, None)
            .await
            .expect("store");
    }
    let waiting = store.unprocessed_messages().await.expect("unprocessed");
    assert_eq!(waiting.len(), 4);
    let first = store
        .claim_messages("one", now, until, 3)
        .await
        .expect("claim");
    assert_eq!(first, waiting[..3].to_vec());
    let second = store
        .claim_messages("two", now, until, 3)
        .await
        .expect("claim");
    assert_eq!(
        second,
        waiting[3..].to_vec(),
        "held messages are not handed out"
    );
    assert!(store
        .claim_messages("three", now, until, 3)
        .await
        .expect("claim")
        .is_empty());
    // The holder keeps its own; a lease that ran out is taken over.
    assert_eq!(
        store
            .claim_messages("one", now, until, 5)
            .await
            .expect("own"),
        waiting[..3].to_vec()
    );
    let after = until + Duration::seconds(1);
    assert_eq!(
        store
            .claim_messages("three", after, after + Duration::seconds(30), 10)
            .await
            .expect("take over"),
        waiting
    );

    let write = OutcomeWrite {
        kind: "question".into(),
        outbox: vec![reply(10, "q@example.com"), reply(11, "q@example.com")],
        ..Default::default()
    };
    store
        .commit_outcome(waiting[0], &write)
        .await
        .expect("commit");
    // Rows are due from when they were written.
    let now = Utc::now() + Duration::seconds(1);
    let until = now + Duration::seconds(30);
    let after = until + Duration::seconds(1);
    let rows = store
        .claim_outbox("one", now, until, 1)
        .await
        .expect("claim outbox");
    assert_eq!(rows.len(), 1);
    let rest = store
        .claim_outbox("two", now, until, 10)
        .await
        .expect("claim outbox");
    assert_eq!(rest.len(), 3, "the other pending rows");
    assert!(rest.iter().all(|r| r.id != rows[0].id));
    assert!(store
        .claim_outbox("three", now, until, 10)
        .await
        .expect("nothing left")
        .is_empty());
    // A failed attempt gives the row back: another daemon (or the next run) retries it.
    store
        .mark_failed(rest[0].id, "timeout", now, false)
        .await
        .expect("failed");
    let retried = store
        .claim_outbox("four", now, until, 10)
        .await
        .expect("claim after a failure");
    assert_eq!(
        retried.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![rest[0].id]
    );
    store.mark_sent(rows[0].id, now).await.expect("sent");
    let taken = store
        .claim_outbox("three", after, after + Duration::seconds(30), 10)
        .await
        .expect("take over");
    assert_eq!(taken.len(), 3, "sent rows are never handed out again");
}

async fn transport(store: &impl Store) {
    assert_eq!(store.imap_state("INBOX").await.expect("state"), None);
    store.set_imap_state("INBOX", 7, 41).await.expect("set");
    store
        .set_imap_state("INBOX", 7, u32::MAX)
        .await
        .expect("set");
    assert_eq!(
        store.imap_state("INBOX").await.expect("state"),
        Some((7, u32::MAX))
    );
    let row = store
        .due_outbox(Utc::now() + Duration::days(30), 1)
        .await
        .expect("due")
        .into_iter()
        .next()
        .expect("a pending reply");
    assert_eq!(
        store
            .outbox_id_by_message_id(&row.message_id)
            .await
            .expect("by id"),
        Some(row.id)
    );
    assert!(store.next_outbox_attempt().await.expect("next").is_some());
    store.smtp_journal_started(row.id).await.expect("started");
    assert_eq!(
        store.smtp_in_doubt().await.expect("in doubt"),
        vec![(row.id, row.message_id.clone())]
    );
    store.smtp_journal_accepted(row.id).await.expect("accepted");
    store
        .smtp_journal_started(row.id)
        .await
        .expect("started again");
    store.smtp_journal_clear(row.id).await.expect("clear");
    let (state, _) = store
        .smtp_journal(row.id)
        .await
        .expect("journal")
        .expect("kept");
    assert_eq!(state, "accepted", "an accepted send stays accepted");
    assert!(store.smtp_in_doubt().await.expect("in doubt").is_empty());
    let status = trekkpost::store::TransportStatus {
        connected: true,
        last_poll: Some(Utc::now()),
        waiting: Some(3),
        last_error: None,
        updated_at: None,
    };
    store
        .set_transport_status("source", &status)
        .await
        .expect("status");
    let down = trekkpost::store::TransportStatus {
        connected: false,
        last_error: Some("timeout".into()),
        ..Default::default()
    };
    store
        .set_transport_status("source", &down)
        .await
        .expect("status");
    let got = store
        .transport_status("source")
        .await
        .expect("status")
        .expect("row");
    assert!(!got.connected);
    assert_eq!(got.waiting, Some(3), "kept from the last poll");
    assert_eq!(got.last_error.as_deref(), Some("timeout"));
}

/// A holder renews its leases while it works; once another daemon has taken a message or a
/// reply over, the old holder can neither renew, nor commit an outcome.
async fn lease_renewal(store: &impl Store) {
    let now = Utc::now();
    let first_until = now + Duration::seconds(10);
    let mut ids = Vec::new();
    for n in 0..2 {
        let stored = store
            .store_raw(&format!("r{n}.eml"), format!("R{n}").as_bytes(), None, None)
            .await
            .expect("store");
        ids.push(stored.id);
    }
    let claimed = store
        .claim_messages("one", now, first_until, 10)
        .await
        .expect("claim");
    assert_eq!(claimed, ids, "the new messages (older ones are held)");
    let renewed_until = now + Duration::seconds(100);
    assert_eq!(
        store
            .renew_message_leases("one", &ids, renewed_until)
            .await
            .expect("renew"),
        ids,
        "the holder renews what it holds"
    );
    assert!(store
        .renew_message_leases("two", &ids, renewed_until)
        .await
        .expect("renew")
        .is_empty());
    // After the first lease would have run out, a renewed lease still holds.
    let later = first_until + Duration::seconds(1);
    let others = store
        .claim_messages("two", later, later + Duration::seconds(30), 10)
        .await
        .expect("claim");
    assert!(
        others.iter().all(|id| !ids.contains(id)),
        "renewed leases are not handed out: {others:?}"
    );
    // The renewed lease ran out (the holder stopped renewing): taken over.
    let much_later = renewed_until + Duration::seconds(1);
    let taken = store
        .claim_messages("two", much_later, much_later + Duration::seconds(30), 10)
        .await
        .expect("take over");
    assert!(ids.iter().all(|id| taken.contains(id)), "{taken:?}");
    assert!(
        store
            .renew_message_leases("one", &ids, much_later + Duration::seconds(60))
            .await
            .expect("renew")
            .is_empty(),
        "a lost lease is not renewed"
    );
    // The old holder's outcome is refused and writes nothing; the new holder's commits.
    let write = |owner: &str, n: usize| OutcomeWrite {
        kind: "question".into(),
        outcome: "flagged".into(),
        flags: vec![("question".into(), None)],
        outbox: vec![reply(n, "renew@example.com")],
        lease_owner: Some(owner.to_string()),
        ..Default::default()
    };
    let lost = store.commit_outcome(ids[0], &write("one", 30)).await;
    assert!(
        matches!(lost, Err(trekkpost::store::StoreError::LeaseLost(_))),
        "{lost:?}"
    );
    let m = store.message(ids[0]).await.expect("message").expect("row");
    assert_eq!(m.state, "stored", "nothing committed under a lost lease");
    assert_eq!(
        store
            .outbox_id_by_message_id("reply-30@union.example")
            .await
            .expect("outbox"),
        None,
        "no reply queued under a lost lease"
    );
    store
        .commit_outcome(ids[0], &write("two", 31))
        .await
        .expect("the holder commits");
    let m = store.message(ids[0]).await.expect("message").expect("row");
    assert_eq!(m.state, "done");
    assert!(
        store
            .renew_message_leases("two", &ids[..1], much_later + Duration::seconds(60))
            .await
            .expect("renew")
            .is_empty(),
        "a message with its outcome has no lease to renew"
    );
    let row = store
        .outbox_id_by_message_id("reply-31@union.example")
        .await
        .expect("outbox")
        .expect("queued");

    // Outbox rows the same way.
    let t = Utc::now() + Duration::seconds(1);
    let claimed = store
        .claim_outbox("one", t, t + Duration::seconds(10), 10)
        .await
        .expect("claim outbox");
    assert_eq!(
        claimed.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![row],
        "the new reply (older ones are held)"
    );
    assert_eq!(
        store
            .renew_outbox_leases("one", &[row], t + Duration::seconds(100))
            .await
            .expect("renew"),
        vec![row]
    );
    let later = t + Duration::seconds(11);
    assert!(store
        .claim_outbox("two", later, later + Duration::seconds(30), 10)
        .await
        .expect("claim")
        .iter()
        .all(|r| r.id != row));
    let much_later = t + Duration::seconds(101);
    let taken = store
        .claim_outbox("two", much_later, much_later + Duration::seconds(30), 10)
        .await
        .expect("take over");
    assert!(taken.iter().any(|r| r.id == row));
    assert!(store
        .renew_outbox_leases("one", &[row], much_later + Duration::seconds(60))
        .await
        .expect("renew")
        .is_empty());
    store.mark_sent(row, much_later).await.expect("sent");
    assert!(
        store
            .renew_outbox_leases("two", &[row], much_later + Duration::seconds(60))
            .await
            .expect("renew")
            .is_empty(),
        "a sent reply has no lease to renew"
    );
}

/// A message over the size limit is stored as its header, with marks the pipeline reads.
async fn oversize_marks(store: &impl Store) {
    use trekkpost::store::Oversize;
    let header = b"From: a@b.example\r\nSubject: big\r\n\r\n";
    let marks = Oversize {
        size: 31_457_280,
        limit: 26_214_400,
    };
    let stored = store
        .store_oversize("imap:1:99", header, None, None, marks)
        .await
        .expect("store oversize");
    assert!(!stored.done);
    assert_eq!(store.oversize(stored.id).await.expect("marks"), Some(marks));
    let again = store
        .store_oversize("imap:1:99", header, None, None, marks)
        .await
        .expect("again");
    assert_eq!(again.id, stored.id, "known by content like any message");
    let plain = store
        .store_raw("plain.eml", b"Subject: small\r\n\r\nbody", None, None)
        .await
        .expect("store");
    assert_eq!(store.oversize(plain.id).await.expect("marks"), None);
}

/// Several daemons on one mailbox: one files a mail at a time; a dead one's claim runs out.
async fn filing_claims(store: &impl Store) {
    let now = Utc::now();
    let until = now + Duration::seconds(30);
    let key = "message:abc";
    assert!(store
        .claim_filing(key, "one", now, until)
        .await
        .expect("claim"));
    assert!(
        !store
            .claim_filing(key, "two", now, until)
            .await
            .expect("claim"),
        "held by another"
    );
    assert!(
        store
            .claim_filing(key, "one", now, until)
            .await
            .expect("claim"),
        "the holder keeps its own"
    );
    assert!(store
        .claim_filing("copy:x@union.example", "two", now, until)
        .await
        .expect("another mail"));
    let after = until + Duration::seconds(1);
    assert!(
        store
            .claim_filing(key, "two", after, after + Duration::seconds(30))
            .await
            .expect("claim"),
        "a claim that ran out is taken over"
    );
    assert!(!store
        .claim_filing(key, "one", after, after + Duration::seconds(30))
        .await
        .expect("claim"));
    // Filed: the claim goes (only its holder lets it go), and the mail may be filed again.
    store
        .release_filing(key, "one")
        .await
        .expect("not the holder's");
    assert!(!store
        .claim_filing(key, "one", after, after + Duration::seconds(30))
        .await
        .expect("claim"));
    store.release_filing(key, "two").await.expect("release");
    assert!(store
        .claim_filing(key, "one", after, after + Duration::seconds(30))
        .await
        .expect("claim after release"));
}

async fn suite(store: &impl Store) {
    reference_data(store).await;
    messages_and_outcomes(store).await;
    outbox_states(store).await;
    job_runs(store).await;
    leases(store).await;
    transport(store).await;
    lease_renewal(store).await;
    oversize_marks(store).await;
    filing_claims(store).await;
}

#[tokio::test]
async fn store_suite_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = AnyStore::open(&url).await.expect("open");
    suite(&store).await;
}

#[tokio::test]
async fn store_suite_on_postgres() {
    let Some(db) = PgDb::create() else { return };
    let store = AnyStore::open(&db.url).await.expect("open");
    suite(&store).await;
    // Opening again finds the migrations applied.
    AnyStore::open(&db.url).await.expect("reopen");
}
