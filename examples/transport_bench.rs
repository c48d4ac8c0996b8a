//! End-to-end throughput against the mail rig: N mails with list attachments (the corpus
//! list submissions, each made unique; their attachments parsed for real) appended to a
//! fresh mailbox, then the daemon started; the clock runs until every mail has its outcome
//! and every reply is sent, then until every reply has been delivered into its recipient's
//! mailbox and the inbox is empty. Prints mails/second, replies/second, and the peak memory
//! (VmHWM) of the daemon and of the largest attachment-parser child it started.
//!
//! ```sh
//! scripts/mail-rig start && eval "$(scripts/mail-rig env)"
//! cargo build --release && cargo run --release --example transport_bench -- 1000 [REPLIES]
//! ```
//! REPLIES (default 0) outbox rows are put in the store before the start, as committed
//! outcomes would, so the sending side is measured whatever the classifier answers.
//! The daemon binary is `target/<profile>/trekkpost` beside this example (or `TREKKPOST_BIN`).
use anyhow::{bail, Context as _, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use trekkpost::store::{SqliteStore, Store};

fn env(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| {
        format!("{name} is not set: start the rig and eval `scripts/mail-rig env`")
    })
}

fn main() -> Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()
        .context("the argument is the number of mails")?
        .unwrap_or(1000);
    let replies: usize = std::env::args()
        .nth(2)
        .map(|a| a.parse())
        .transpose()
        .context("the second argument is the number of replies to seed")?
        .unwrap_or(0);
    let dovecot_conf = env("TREKKPOST_RIG_DOVECOT_CONF")?;
    let password = std::fs::read_to_string(env("TREKKPOST_RIG_PASSWORD_FILE")?)?
        .trim()
        .to_string();
    let bin = match std::env::var("TREKKPOST_BIN") {
        Ok(b) => PathBuf::from(b),
        Err(_) => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .context("no target folder")?
            .join("trekkpost"),
    };
    if !bin.is_file() {
        bail!("{} is missing: build the binary first", bin.display());
    }
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut lists = Vec::new();
    for entry in std::fs::read_dir(corpus.join("mail"))? {
        let dir = entry?.path();
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.contains("-list-") {
            lists.push(std::fs::read(dir.join("message.eml"))?);
        }
    }
    if lists.is_empty() {
        bail!("no list submissions in {}", corpus.display());
    }
    let dir = tempfile::tempdir()?;
    let user = format!("bench-{:08x}@union.example", rand::random::<u32>());
    std::fs::create_dir_all(dir.path().join("import"))?;
    copy_dir(&corpus.join("world"), &dir.path().join("import"))?;

    eprintln!("appending {n} mails for {user} …");
    let mut bytes_total = 0usize;
    for i in 0..n {
        let base = &lists[i % lists.len()];
        // A header of its own makes every copy a different message (content-addressed store).
        let mut eml = format!("X-Bench-Seq: {i}\r\n").into_bytes();
        eml.extend_from_slice(base);
        bytes_total += eml.len();
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(&dovecot_conf)
            .args(["save", "-u", &user, "-m", "INBOX"])
            .stdin(Stdio::piped())
            .spawn()?;
        child.stdin.take().context("stdin")?.write_all(&eml)?;
        if !child.wait()?.success() {
            bail!("doveadm save failed");
        }
    }
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = runtime.block_on(SqliteStore::open(&url))?;
    runtime.block_on(seed_replies(&store, replies))?;

    let ca = env("TREKKPOST_RIG_CA")?;
    let mut cmd = Command::new(&bin);
    cmd.arg("run")
        .current_dir(dir.path())
        .env("TREKKPOST_DATABASE_URL", &url)
        .env("TREKKPOST_IMPORT_DIR", dir.path().join("import"))
        .env("TREKKPOST__SOURCE__KIND", "imap")
        .env("TREKKPOST__IMAP__HOST", "127.0.0.1")
        .env("TREKKPOST__IMAP__TLS_NAME", "localhost")
        .env("TREKKPOST__IMAP__PORT", env("TREKKPOST_RIG_IMAPS_PORT")?)
        .env("TREKKPOST__IMAP__SECURITY", "tls")
        .env("TREKKPOST__IMAP__CA_FILE", &ca)
        .env("TREKKPOST__IMAP__USER", &user)
        .env("TREKKPOST_IMAP_PASSWORD", &password)
        .env("TREKKPOST__SINK__KIND", "smtp")
        .env("TREKKPOST__SMTP__HOST", "127.0.0.1")
        .env("TREKKPOST__SMTP__TLS_NAME", "localhost")
        .env("TREKKPOST__SMTP__PORT", env("TREKKPOST_RIG_SMTP_PORT")?)
        .env("TREKKPOST__SMTP__SECURITY", "starttls")
        .env("TREKKPOST__SMTP__CA_FILE", &ca)
        .env("TREKKPOST__SMTP__USER", &user)
        .env("TREKKPOST_SMTP_PASSWORD", &password)
        .env("TREKKPOST__MAIL__ADDRESS", &user)
        .env(
            "TREKKPOST__RULES__MAX_REPLIES_PER_ADDRESS_PER_DAY",
            "100000",
        )
        .env("TREKKPOST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(
            dir.path().join("daemon.log"),
        )?));
    let start = Instant::now();
    let mut daemon = cmd.spawn()?;
    let pid = daemon.id();
    let mut peak_kib = 0u64;
    let mut child_peak_kib = 0u64;
    let finished = loop {
        std::thread::sleep(Duration::from_millis(250));
        peak_kib = peak_kib.max(vm_hwm_kib(pid));
        child_peak_kib = child_peak_kib.max(children_hwm_kib(pid));
        let (done, pending) = runtime.block_on(async {
            let messages = store.messages().await?;
            let done = messages.iter().filter(|m| m.state == "done").count();
            let counts = store.outbox_counts().await?;
            let pending: i64 = counts
                .iter()
                .filter(|(s, _)| s == "pending")
                .map(|(_, c)| *c)
                .sum();
            anyhow::Ok((done, pending))
        })?;
        if done >= n + replies && pending == 0 {
            break true;
        }
        if start.elapsed() > Duration::from_secs(3600) {
            break false;
        }
        if let Some(status) = daemon.try_wait()? {
            bail!("the daemon stopped: {status}");
        }
    };
    let elapsed = start.elapsed();
    peak_kib = peak_kib.max(vm_hwm_kib(pid));
    if !finished {
        terminate(pid);
        let _ = daemon.wait();
        bail!("not finished within an hour");
    }
    // Delivered: every sent reply in its recipient's mailbox, and our inbox empty (the
    // copies of our replies filed away).
    let sent_rows: Vec<(String, String)> = runtime.block_on(
        sqlx::query_as("SELECT to_address, message_id FROM outbox WHERE state = 'sent'")
            .fetch_all(store.pool()),
    )?;
    let delivered = loop {
        if delivered_all(&dovecot_conf, &sent_rows)? && inbox_count(&dovecot_conf, &user)? == 0 {
            break true;
        }
        if start.elapsed() > Duration::from_secs(3600) {
            break false;
        }
        peak_kib = peak_kib.max(vm_hwm_kib(pid));
        std::thread::sleep(Duration::from_millis(250));
    };
    let all_done = start.elapsed();
    terminate(pid);
    let _ = daemon.wait();
    if !delivered {
        bail!("the replies were not all delivered within an hour");
    }
    let sent = sent_rows.len();
    let secs = elapsed.as_secs_f64();
    println!(
        "{n} mails ({:.1} MiB) processed and {sent} replies sent in {secs:.1} s: {:.1} mails/s, \
         {:.1} replies/s; all replies delivered and the inbox empty after {:.1} s; \
         peak memory: daemon {:.1} MiB, largest parser child {:.1} MiB",
        bytes_total as f64 / 1048576.0,
        n as f64 / secs,
        sent as f64 / secs,
        all_done.as_secs_f64(),
        peak_kib as f64 / 1024.0,
        child_peak_kib as f64 / 1024.0
    );
    Ok(())
}

/// Message-IDs (without <>) in a user's folder.
fn message_ids(dovecot_conf: &str, user: &str, folder: &str) -> Result<Vec<String>> {
    let out = Command::new("doveadm")
        .args([
            "-c",
            dovecot_conf,
            "fetch",
            "-u",
            user,
            "hdr.message-id",
            "mailbox",
            folder,
        ])
        .arg("all")
        .stdin(Stdio::null())
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("hdr.message-id:"))
        .map(|v| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
        .collect())
}

/// Every (recipient, Message-ID) is in the recipient's INBOX.
fn delivered_all(dovecot_conf: &str, rows: &[(String, String)]) -> Result<bool> {
    let mut by_rcpt: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for (to, mid) in rows {
        by_rcpt.entry(to.as_str()).or_default().push(mid.as_str());
    }
    for (to, mids) in by_rcpt {
        let there: std::collections::HashSet<String> = message_ids(dovecot_conf, to, "INBOX")?
            .into_iter()
            .collect();
        if mids.iter().any(|m| !there.contains(*m)) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn inbox_count(dovecot_conf: &str, user: &str) -> Result<usize> {
    Ok(message_ids(dovecot_conf, user, "INBOX")?.len())
}

/// The largest peak resident memory among the daemon's child processes now alive (the
/// attachment parser runs in one per attachment).
fn children_hwm_kib(parent: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut peak = 0;
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let ppid = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
                let rest = s.rsplit_once(')')?.1;
                rest.split_whitespace().nth(1)?.parse::<u32>().ok()
            });
        if ppid == Some(parent) {
            peak = peak.max(vm_hwm_kib(pid));
        }
    }
    peak
}

/// Outbox rows to send, each to an employer address of the rig.
async fn seed_replies(store: &SqliteStore, n: usize) -> Result<()> {
    use trekkpost::store::{OutboxWrite, OutcomeWrite};
    for i in 0..n {
        let raw = format!("Message-ID: <bench-seed-{i}@employer.example>\r\n\r\nseed {i}\r\n");
        let stored = store
            .store_raw(&format!("bench-seed-{i}"), raw.as_bytes(), None, None)
            .await?;
        let message_id = format!("tp.bench.{i}.{:08x}@union.example", rand::random::<u32>());
        let to = format!("lonn{}@employer{}.example", i % 7, i % 3);
        let eml = format!(
            "From: trekklister@union.example\r\nTo: {to}\r\nSubject: Mottatt [TL-{i}]\r\n\
             Message-ID: <{message_id}>\r\nAuto-Submitted: auto-replied\r\n\r\nMottatt.\r\n"
        );
        let write = OutcomeWrite {
            kind: "question".into(),
            lang: "nb".into(),
            outcome: "flagged".into(),
            report_json: "{}".into(),
            outbox: vec![OutboxWrite {
                template: "received_under_review".into(),
                to_address: to,
                subject: format!("Mottatt [TL-{i}]"),
                message_id,
                eml: eml.into_bytes(),
                held: false,
            }],
            ..Default::default()
        };
        store.commit_outcome(stored.id, &write).await?;
    }
    Ok(())
}

/// Peak resident memory of a process, from /proc (0 when gone).
fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let p = entry?.path();
        let target = to.join(p.file_name().context("name")?);
        if p.is_dir() {
            copy_dir(&p, &target)?;
        } else {
            std::fs::copy(&p, &target)?;
        }
    }
    Ok(())
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
