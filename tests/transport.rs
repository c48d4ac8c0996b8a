//! The daemon against real servers: the private Dovecot + Postfix of `scripts/mail-rig`,
//! found through the `TREKKPOST_RIG_*` variables that `scripts/mail-rig env` prints (and
//! `scripts/test` exports). Without them the tests are skipped, unless
//! `TREKKPOST_RIG_REQUIRED=1` or `CI=true`: then a missing rig fails them.
//!
//! Every test has its own mailbox user and database; replies are recognised by their
//! Message-ID (unique per outbox row), so tests sharing recipients do not disturb each other.
//! Tests that stop or restart a server hold the rig exclusively.
mod common;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use trekkpost::store::{OutboxWrite, OutcomeWrite, SqliteStore, Store};

/// One test at a time touches the rig: some stop its servers.
static RIG_LOCK: Mutex<()> = Mutex::new(());

struct Rig {
    imap_port: u16,
    imaps_port: u16,
    smtp_port: u16,
    smtps_port: u16,
    ca: PathBuf,
    password: String,
    dovecot_conf: PathBuf,
    script: PathBuf,
    _guard: MutexGuard<'static, ()>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The rig, or None (skip) when it is not there and not required.
fn rig() -> Option<Rig> {
    let required = env("TREKKPOST_RIG_REQUIRED").as_deref() == Some("1")
        || env("CI").as_deref() == Some("true");
    let guard = RIG_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let found = (|| {
        let port = |n: &str| env(n).and_then(|v| v.parse::<u16>().ok());
        let password_file = env("TREKKPOST_RIG_PASSWORD_FILE")?;
        let password = std::fs::read_to_string(password_file).ok()?;
        Some(Rig {
            imap_port: port("TREKKPOST_RIG_IMAP_PORT")?,
            imaps_port: port("TREKKPOST_RIG_IMAPS_PORT")?,
            smtp_port: port("TREKKPOST_RIG_SMTP_PORT")?,
            smtps_port: port("TREKKPOST_RIG_SMTPS_PORT")?,
            ca: PathBuf::from(env("TREKKPOST_RIG_CA")?),
            password: password.trim().to_string(),
            dovecot_conf: PathBuf::from(env("TREKKPOST_RIG_DOVECOT_CONF")?),
            script: PathBuf::from(env("TREKKPOST_RIG_SCRIPT")?),
            _guard: guard,
        })
    })();
    match found {
        Some(r) => {
            // A test that failed half-way may have left a server stopped.
            r.script_ok("postfix-start");
            r.script_ok("dovecot-start");
            Some(r)
        }
        None if required => panic!(
            "the mail rig is required (TREKKPOST_RIG_REQUIRED=1 or CI=true) but its \
             TREKKPOST_RIG_* variables are missing or unreadable: did `scripts/mail-rig start` fail?"
        ),
        None => {
            eprintln!("mail rig not running (no TREKKPOST_RIG_*): transport test skipped");
            None
        }
    }
}

impl Rig {
    fn script_ok(&self, arg: &str) {
        let out = Command::new(&self.script)
            .arg(arg)
            .output()
            .expect("run mail-rig");
        assert!(
            out.status.success(),
            "mail-rig {arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.dovecot_conf)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run doveadm");
        assert!(
            out.status.success(),
            "doveadm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Put a message into a user's mailbox folder, as delivery would.
    fn save(&self, user: &str, folder: &str, eml: &[u8]) {
        use std::io::Write;
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(&self.dovecot_conf)
            .args(["save", "-u", user, "-m", folder])
            .stdin(Stdio::piped())
            .spawn()
            .expect("doveadm save");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(eml)
            .expect("write");
        assert!(child.wait().expect("wait").success(), "doveadm save");
    }

    /// One field of `doveadm mailbox status` (printed as `FOLDER field=value`).
    fn status_field(&self, user: &str, folder: &str, field: &str) -> u64 {
        let out = self.doveadm(&["mailbox", "status", "-u", user, field, folder]);
        let prefix = format!("{field}=");
        out.split_whitespace()
            .find_map(|w| w.strip_prefix(&prefix))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("doveadm mailbox status {field}: {out}"))
    }

    fn count(&self, user: &str, folder: &str) -> usize {
        self.status_field(user, folder, "messages") as usize
    }

    /// Message-IDs (without <>) in a user's folder, with how often each occurs.
    fn message_ids(&self, user: &str, folder: &str) -> HashMap<String, usize> {
        let out = self.doveadm(&[
            "fetch",
            "-u",
            user,
            "hdr.message-id",
            "mailbox",
            folder,
            "all",
        ]);
        let mut ids = HashMap::new();
        for line in out.lines() {
            if let Some(v) = line.strip_prefix("hdr.message-id:") {
                let id = v.trim().trim_start_matches('<').trim_end_matches('>');
                if !id.is_empty() {
                    *ids.entry(id.to_string()).or_insert(0) += 1;
                }
            }
        }
        ids
    }
}

/// One installation of the daemon: its database, its mailbox user, its settings.
struct Install {
    dir: tempfile::TempDir,
    user: String,
    env: Vec<(String, String)>,
}

#[derive(Clone, Copy)]
enum ImapMode {
    Tls,
    Starttls,
    Plain,
}

#[derive(Clone, Copy)]
enum SmtpMode {
    Starttls,
    Tls,
}

impl Install {
    fn new(rig: &Rig, name: &str, imap: ImapMode, smtp: SmtpMode) -> Install {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("import")).expect("mkdir");
        let user = format!("tp-{name}-{:08x}@union.example", rand::random::<u32>());
        let (imap_port, imap_security) = match imap {
            ImapMode::Tls => (rig.imaps_port, "tls"),
            ImapMode::Starttls => (rig.imap_port, "starttls"),
            ImapMode::Plain => (rig.imap_port, "plain"),
        };
        let (smtp_port, smtp_security) = match smtp {
            SmtpMode::Starttls => (rig.smtp_port, "starttls"),
            SmtpMode::Tls => (rig.smtps_port, "tls"),
        };
        let ca = rig.ca.display().to_string();
        let pairs: Vec<(&str, String)> = vec![
            (
                "TREKKPOST_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("db.sqlite").display()),
            ),
            (
                "TREKKPOST_IMPORT_DIR",
                dir.path().join("import").display().to_string(),
            ),
            (
                "TREKKPOST_SINK",
                dir.path().join("outbox").display().to_string(),
            ),
            ("TREKKPOST__SOURCE__KIND", "imap".into()),
            ("TREKKPOST__IMAP__HOST", "127.0.0.1".into()),
            ("TREKKPOST__IMAP__TLS_NAME", "localhost".into()),
            ("TREKKPOST__IMAP__PORT", imap_port.to_string()),
            ("TREKKPOST__IMAP__SECURITY", imap_security.into()),
            ("TREKKPOST__IMAP__CA_FILE", ca.clone()),
            ("TREKKPOST__IMAP__USER", user.clone()),
            ("TREKKPOST__IMAP__BATCH_SIZE", "25".into()),
            ("TREKKPOST__IMAP__POLL_INTERVAL_SECS", "1".into()),
            ("TREKKPOST__IMAP__COMMAND_TIMEOUT_SECS", "10".into()),
            ("TREKKPOST__IMAP__RECONNECT_MAX_SECS", "2".into()),
            ("TREKKPOST_IMAP_PASSWORD", rig.password.clone()),
            ("TREKKPOST__SINK__KIND", "smtp".into()),
            ("TREKKPOST__SMTP__HOST", "127.0.0.1".into()),
            ("TREKKPOST__SMTP__TLS_NAME", "localhost".into()),
            ("TREKKPOST__SMTP__PORT", smtp_port.to_string()),
            ("TREKKPOST__SMTP__SECURITY", smtp_security.into()),
            ("TREKKPOST__SMTP__CA_FILE", ca),
            ("TREKKPOST__SMTP__USER", user.clone()),
            ("TREKKPOST__SMTP__SEND_TIMEOUT_SECS", "10".into()),
            ("TREKKPOST__SMTP__CONNECT_TIMEOUT_SECS", "5".into()),
            ("TREKKPOST__SMTP__IN_DOUBT_SECS", "5".into()),
            ("TREKKPOST__SMTP__UNREACHABLE_PAUSE_SECS", "2".into()),
            ("TREKKPOST_SMTP_PASSWORD", rig.password.clone()),
            ("TREKKPOST__MAIL__ADDRESS", user.clone()),
            ("TREKKPOST__OUTBOX__RETRY_BASE_SECS", "1".into()),
            ("TREKKPOST__OUTBOX__RETRY_MAX_SECS", "2".into()),
            ("TREKKPOST__OUTBOX__MAX_ATTEMPTS", "100".into()),
            ("TREKKPOST__DAEMON__POLL_INTERVAL_SECS", "1".into()),
            // Real-world corpus mails come from many senders; the daily cap is not under test.
            (
                "TREKKPOST__RULES__MAX_REPLIES_PER_ADDRESS_PER_DAY",
                "10000".into(),
            ),
        ];
        let env = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Install { dir, user, env }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trekkpost"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("TREKKPOST_CONFIG")
            .env("TREKKPOST_LOG", "info");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("run trekkpost")
    }

    fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "trekkpost {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The daemon in the background, its log in a file. The database is created first, so
    /// the test's own reads never race the daemon's migration.
    fn spawn(&self, log_name: &str) -> Child {
        let _ = snapshot(&self.db_url());
        let log = std::fs::File::create(self.dir.path().join(log_name)).expect("log file");
        let err = log.try_clone().expect("log file");
        self.command(&["run"])
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn trekkpost run")
    }

    /// The daemon logs of this installation, for failure messages.
    fn logs(&self) -> String {
        let mut out = String::new();
        for f in common::files_in(self.dir.path()) {
            if f.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(&f).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                out.push_str(&format!("--- {}\n", f.display()));
                for l in tail.into_iter().rev() {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        out
    }

    fn all_logs(&self) -> String {
        common::files_in(self.dir.path())
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "log"))
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .collect()
    }

    fn db_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("db.sqlite").display())
    }

    fn world(&self, from: &Path) {
        copy_dir(from, &self.dir.path().join("import"));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let p = entry.expect("entry").path();
        let target = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// What the database says: messages by state, outbox rows.
struct Snapshot {
    messages: usize,
    done: usize,
    /// (id, to, message_id, state)
    outbox: Vec<(i64, String, String, String)>,
}

/// The store, opened (and migrated) with retries: the daemon may be migrating it right now.
async fn open_store(url: &str) -> SqliteStore {
    let mut last = None;
    for _ in 0..50 {
        match SqliteStore::open(url).await {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot open the store: {last:?}")
}

fn snapshot(url: &str) -> Snapshot {
    block(async {
        let store = open_store(url).await;
        let messages = store.messages().await.expect("messages");
        let done = messages.iter().filter(|m| m.state == "done").count();
        let rows: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, to_address, message_id, state FROM outbox ORDER BY id")
                .fetch_all(store.pool())
                .await
                .expect("outbox");
        Snapshot {
            messages: messages.len(),
            done,
            outbox: rows,
        }
    })
}

/// Outbox rows made directly in the store, as a committed outcome would make them: the
/// sending side is then tested whatever the classifier decides.
fn seed_replies(url: &str, n: usize, tag: &str) -> Vec<String> {
    seed_replies_to(url, n, tag, |i| {
        format!("lonn{}@employer{}.example", i % 7, i % 3)
    })
}

fn seed_replies_to(url: &str, n: usize, tag: &str, to: impl Fn(usize) -> String) -> Vec<String> {
    block(async {
        let store = open_store(url).await;
        let mut ids = Vec::new();
        for i in 0..n {
            let raw = format!(
                "Message-ID: <seed-{tag}-{i}@employer.example>\r\nSubject: seed {i}\r\n\r\nseed\r\n"
            );
            let stored = store
                .store_raw(&format!("seed-{tag}-{i}"), raw.as_bytes(), None, None)
                .await
                .expect("store_raw");
            let message_id = format!(
                "tp.seed.{tag}.{i}.{:08x}@union.example",
                rand::random::<u32>()
            );
            let to = to(i);
            let eml = format!(
                "From: trekklister@union.example\r\nTo: {to}\r\nSubject: Mottatt [TL-{i}]\r\n\
                 Message-ID: <{message_id}>\r\nAuto-Submitted: auto-replied\r\n\r\nMottatt.\r\n"
            );
            let write = OutcomeWrite {
                kind: "question".into(),
                lang: "nb".into(),
                outcome: "flagged".into(),
                subject: format!("seed {i}"),
                report_json: "{}".into(),
                outbox: vec![OutboxWrite {
                    template: "received_under_review".into(),
                    to_address: to,
                    subject: format!("Mottatt [TL-{i}]"),
                    message_id: message_id.clone(),
                    eml: eml.into_bytes(),
                    held: false,
                }],
                ..Default::default()
            };
            store
                .commit_outcome(stored.id, &write)
                .await
                .expect("commit");
            ids.push(message_id);
        }
        ids
    })
}

/// A plain question from an employer: one per test message, unique content.
fn question_eml(tag: &str, i: usize) -> Vec<u8> {
    format!(
        "From: Kari Lønn <lonn{}@employer{}.example>\r\nTo: trekklister@union.example\r\n\
         Subject: Spørsmål {i}\r\nMessage-ID: <q-{tag}-{i}@employer.example>\r\n\
         Date: Fri, 27 Nov 2026 08:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHei, når kommer neste liste? ({tag} {i})\r\n",
        i % 5,
        i % 3
    )
    .into_bytes()
}

/// Every sent outbox row's Message-ID is in its recipient's INBOX exactly once, and no
/// row is left unsent. Returns the number of replies counted.
fn assert_replies_exactly_once(rig: &Rig, snap: &Snapshot) -> usize {
    // Postfix hands replies to Dovecot a moment after accepting them: wait for the last.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let problems = reply_problems(rig, snap);
        if problems.is_empty() {
            return snap.outbox.len();
        }
        let still_arriving = problems.iter().all(|p| p.ends_with("delivered 0 times"));
        if !still_arriving || Instant::now() > deadline {
            panic!("replies: {problems:#?}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn reply_problems(rig: &Rig, snap: &Snapshot) -> Vec<String> {
    let mut by_rcpt: HashMap<&str, HashMap<String, usize>> = HashMap::new();
    let mut problems = Vec::new();
    for (id, to, mid, state) in &snap.outbox {
        if state != "sent" {
            problems.push(format!("outbox {id}: {state}, not sent"));
            continue;
        }
        let ids = by_rcpt
            .entry(to.as_str())
            .or_insert_with(|| rig.message_ids(to, "INBOX"));
        match ids.get(mid).copied().unwrap_or(0) {
            1 => {}
            n => problems.push(format!("outbox {id}: delivered {n} times")),
        }
    }
    problems
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

fn stop(child: &mut Child) {
    terminate(child.id());
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn corpus_mails() -> Vec<PathBuf> {
    let dir = common::shared_dir().join("corpus/mail");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path().join("message.eml")))
                .collect()
        })
        .unwrap_or_default();
    v.retain(|p| p.is_file());
    v.sort();
    v
}

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
        assert!(seen, "mail {i} was not processed");
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
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM flags WHERE status = 'open'")
            .fetch_one(store.pool())
            .await
            .expect("flags");
        n
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
        let store = SqliteStore::open(&url).await.expect("store");
        store.imap_state("INBOX").await.expect("state")
    });
    assert_eq!(state.map(|s| u64::from(s.0)), Some(old + 1000));
}

#[test]
fn a_mail_over_the_size_limit_is_not_read_but_gets_one_outcome_and_goes_to_failed() {
    let Some(rig) = rig() else { return };
    let mut install = Install::new(&rig, "big", ImapMode::Tls, SmtpMode::Starttls);
    install.set("TREKKPOST__IMAP__MAX_MESSAGE_BYTES", "4000");
    let url = install.db_url();
    let mut big = question_eml("big", 0);
    big.extend(std::iter::repeat_n(b'x', 8000));
    big.extend_from_slice(b"\r\n");
    rig.save(&install.user, "INBOX", &big);
    rig.save(&install.user, "INBOX", &question_eml("big", 1));
    install.run_ok(&["run", "--once"]);
    let snap = snapshot(&url);
    assert_eq!(snap.messages, 2);
    assert_eq!(snap.done, 2, "the big mail has its outcome too");
    assert_eq!(rig.count(&install.user, "INBOX"), 0);
    assert_eq!(rig.count(&install.user, "Failed"), 1);
    assert_eq!(rig.count(&install.user, "Processed"), 1);
    let notes = block(async {
        let store = open_store(&url).await;
        let mut notes = 0;
        for m in store.messages().await.expect("messages") {
            let raw = store
                .raw_message(m.id)
                .await
                .expect("raw")
                .unwrap_or_default();
            if String::from_utf8_lossy(&raw).contains("over the limit") {
                assert!(raw.len() < 4000, "the big body was not read");
                notes += 1;
            }
        }
        notes
    });
    assert_eq!(notes, 1, "the big mail is stored as its header and a note");
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

/// SIGTERM: the daemon finishes the message in hand and stops.
fn terminate(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a pid we spawned and a valid signal number touches no memory.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}
