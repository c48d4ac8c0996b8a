//! The mail rig as the transport tests use it (included by `tests/transport.rs` and
//! `tests/transport_pg.rs` with `#[path]`): the private Dovecot + Postfix of
//! `scripts/mail-rig`, found through the `TREKKPOST_RIG_*` variables that `scripts/mail-rig env`
//! prints (and `scripts/test` exports); installations of the daemon (their database: SQLite, or
//! a fresh PostgreSQL database when `TREKKPOST_DATABASE_URL` names a PostgreSQL server); and
//! what the tests read back from the store and the mailboxes.
#![allow(dead_code)]
use crate::common;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use trekkpost::store::{AnyStore, OutboxWrite, OutcomeWrite, Store};

/// One test at a time touches the rig: some stop its servers.
static RIG_LOCK: Mutex<()> = Mutex::new(());

pub struct Rig {
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

pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The rig, or None (skip) when it is not there and not required.
pub fn rig() -> Option<Rig> {
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
    pub fn script_ok(&self, arg: &str) {
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

    pub fn doveadm(&self, args: &[&str]) -> String {
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
    pub fn save(&self, user: &str, folder: &str, eml: &[u8]) {
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
    pub fn status_field(&self, user: &str, folder: &str, field: &str) -> u64 {
        let out = self.doveadm(&["mailbox", "status", "-u", user, field, folder]);
        let prefix = format!("{field}=");
        out.split_whitespace()
            .find_map(|w| w.strip_prefix(&prefix))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("doveadm mailbox status {field}: {out}"))
    }

    pub fn count(&self, user: &str, folder: &str) -> usize {
        self.status_field(user, folder, "messages") as usize
    }

    /// The complete message with this Message-ID (without <>) in a user's folder.
    pub fn message_text(&self, user: &str, folder: &str, message_id: &str) -> Option<Vec<u8>> {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.dovecot_conf)
            .args([
                "fetch",
                "-u",
                user,
                "text",
                "mailbox",
                folder,
                "header",
                "message-id",
            ])
            .arg(format!("<{message_id}>"))
            .stdin(Stdio::null())
            .output()
            .expect("run doveadm");
        let out = out.stdout;
        let start = out.windows(5).position(|w| w == b"text:")? + 5;
        let body = &out[start..];
        let skip = body
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\n')
            .count();
        Some(body[skip..].to_vec()).filter(|b| !b.is_empty())
    }

    /// Message-IDs (without <>) in a user's folder, with how often each occurs.
    pub fn message_ids(&self, user: &str, folder: &str) -> HashMap<String, usize> {
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
pub struct Install {
    pub dir: tempfile::TempDir,
    pub user: String,
    pub env: Vec<(String, String)>,
    /// Its PostgreSQL database, when it has one (dropped with the installation).
    pub pg: Option<common::pg::PgDb>,
}

#[derive(Clone, Copy)]
pub enum ImapMode {
    Tls,
    Starttls,
    Plain,
}

#[derive(Clone, Copy)]
pub enum SmtpMode {
    Starttls,
    Tls,
}

impl Install {
    /// An installation on SQLite, or on a PostgreSQL database of its own when the tests'
    /// `TREKKPOST_DATABASE_URL` names a PostgreSQL server (the second pass of `scripts/test`).
    pub fn new(rig: &Rig, name: &str, imap: ImapMode, smtp: SmtpMode) -> Install {
        let pg = match std::env::var("TREKKPOST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => common::pg::PgDb::create_on(&url, true),
            _ => None,
        };
        Self::with_database(rig, name, imap, smtp, pg)
    }

    /// An installation on a fresh PostgreSQL database (`TREKKPOST_TEST_POSTGRES_URL`), or
    /// None (test skipped) when there is no server and none is required.
    pub fn on_postgres(rig: &Rig, name: &str, imap: ImapMode, smtp: SmtpMode) -> Option<Install> {
        let pg = common::pg::PgDb::create()?;
        Some(Self::with_database(rig, name, imap, smtp, Some(pg)))
    }

    fn with_database(
        rig: &Rig,
        name: &str,
        imap: ImapMode,
        smtp: SmtpMode,
        pg: Option<common::pg::PgDb>,
    ) -> Install {
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
                match &pg {
                    Some(db) => db.url.clone(),
                    None => format!("sqlite://{}", dir.path().join("db.sqlite").display()),
                },
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
            // Each daemon serves the staff UI on a port of its own (never a fixed one that
            // another daemon, test or person may hold).
            ("TREKKPOST__WEB__BIND", "127.0.0.1:0".into()),
            // Real-world corpus mails come from many senders; the daily cap is not under test.
            (
                "TREKKPOST__RULES__MAX_REPLIES_PER_ADDRESS_PER_DAY",
                "10000".into(),
            ),
        ];
        let env = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Install { dir, user, env, pg }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    pub fn command(&self, args: &[&str]) -> Command {
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

    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("run trekkpost")
    }

    pub fn run_ok(&self, args: &[&str]) -> String {
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
    pub fn spawn(&self, log_name: &str) -> Child {
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
    pub fn logs(&self) -> String {
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

    pub fn all_logs(&self) -> String {
        common::files_in(self.dir.path())
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "log"))
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .collect()
    }

    pub fn db_url(&self) -> String {
        match &self.pg {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("db.sqlite").display()),
        }
    }

    pub fn world(&self, from: &Path) {
        copy_dir(from, &self.dir.path().join("import"));
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
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

pub fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// What the database says: messages by state, outbox rows.
pub struct Snapshot {
    pub messages: usize,
    pub done: usize,
    /// (id, to, message_id, state)
    pub outbox: Vec<(i64, String, String, String)>,
}

/// The store, opened (and migrated) with retries: the daemon may be migrating it right now.
pub async fn open_store(url: &str) -> AnyStore {
    let mut last = None;
    for _ in 0..50 {
        match AnyStore::open(url).await {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot open the store: {last:?}")
}

/// Rows of a query, from either backend.
pub async fn rows<T>(store: &AnyStore, sql: &str) -> Vec<T>
where
    T: Send + Unpin,
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match store {
        AnyStore::Sqlite(s) => sqlx::query_as::<_, T>(sql).fetch_all(s.pool()).await,
        AnyStore::Postgres(s) => sqlx::query_as::<_, T>(sql).fetch_all(s.pool()).await,
    }
    .unwrap_or_else(|e| panic!("query failed: {e}"))
}

/// One number from a query (cast to a 64-bit integer in SQL where needed).
pub async fn number(store: &AnyStore, sql: &str) -> i64 {
    let v: Vec<(i64,)> = rows(store, sql).await;
    v.first().map(|r| r.0).unwrap_or(0)
}

pub fn snapshot(url: &str) -> Snapshot {
    block(async {
        let store = open_store(url).await;
        let messages = store.messages().await.expect("messages");
        let done = messages.iter().filter(|m| m.state == "done").count();
        let outbox: Vec<(i64, String, String, String)> = rows(
            &store,
            "SELECT id, to_address, message_id, state FROM outbox ORDER BY id",
        )
        .await;
        Snapshot {
            messages: messages.len(),
            done,
            outbox,
        }
    })
}

/// Outbox rows made directly in the store, as a committed outcome would make them: the
/// sending side is then tested whatever the classifier decides.
pub fn seed_replies(url: &str, n: usize, tag: &str) -> Vec<String> {
    seed_replies_to(url, n, tag, |i| {
        format!("lonn{}@employer{}.example", i % 7, i % 3)
    })
}

pub fn seed_replies_to(
    url: &str,
    n: usize,
    tag: &str,
    to: impl Fn(usize) -> String,
) -> Vec<String> {
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
pub fn question_eml(tag: &str, i: usize) -> Vec<u8> {
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

/// `eml` with lines of filler appended to its body until it is `size` bytes.
pub fn padded(mut eml: Vec<u8>, size: usize) -> Vec<u8> {
    let line = [b'x'; 76];
    while eml.len() + 78 < size {
        eml.extend_from_slice(&line);
        eml.extend_from_slice(b"\r\n");
    }
    eml
}

/// `eml` with its Message-ID replaced by `id` (without <>), or given one: copies of one
/// mail become different messages, each known by its own id.
pub fn with_message_id(eml: &[u8], id: &str) -> Vec<u8> {
    let end = eml
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| eml.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(eml.len());
    let (head, body) = eml.split_at(end);
    let mut out = format!("Message-ID: <{id}>\r\n").into_bytes();
    let mut skipping = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if folded && skipping {
            continue;
        }
        skipping = !folded && line.to_ascii_lowercase().starts_with(b"message-id:");
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

/// Every sent outbox row's Message-ID is in its recipient's INBOX exactly once, and no
/// row is left unsent. Returns the number of replies counted.
pub fn assert_replies_exactly_once(rig: &Rig, snap: &Snapshot) -> usize {
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

pub fn reply_problems(rig: &Rig, snap: &Snapshot) -> Vec<String> {
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

pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

pub fn stop(child: &mut Child) {
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

pub fn corpus_mails() -> Vec<PathBuf> {
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

/// SIGTERM: the daemon finishes the message in hand and stops.
pub fn terminate(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a pid we spawned and a valid signal number touches no memory.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}
