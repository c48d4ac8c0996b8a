//! The daemon: store, source, pipeline, outbox worker; stops cleanly on Ctrl-C/SIGTERM.
use crate::config::Settings;
use crate::pipeline::{self, Pipeline};
use crate::sink::dir::DirSink;
use crate::sink::smtp::SmtpSink;
use crate::sink::{Sink, SinkError};
use crate::source::imap::{sleep_unless_stopped, ImapSource};
use crate::source::local::LocalSource;
use crate::source::{Incoming, Source, SourceError};
use crate::store::{AnyStore, Store};
use anyhow::{Context as _, Result};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub async fn open_store(settings: &Settings) -> Result<AnyStore> {
    AnyStore::open_with(&settings.database.url, settings.database.max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                crate::store::any::redacted_url(&settings.database.url)
            )
        })
}

pub async fn run_daemon(settings: &Settings, once: bool) -> Result<ExitCode> {
    let store = open_store(settings).await?;
    let stop = Arc::new(AtomicBool::new(false));
    spawn_signal_watch(stop.clone())?;
    // web: the staff triage UI runs beside the loop in daemon mode only.
    if !once && settings.web.enabled {
        spawn_web(settings, &store, stop.clone()).await?;
    }
    let pipeline = Pipeline::new(&store, settings);
    let mut source = AnySource::from_settings(settings, &store)?;
    let sink = AnySink::from_settings(settings, &store)?;
    let mut sent_total = 0;
    let mut settle_rounds = 0;
    loop {
        let imported = pipeline::import_folder(&store, &settings.import.dir).await;
        match imported {
            Ok(s) if s.files > 0 => {
                tracing::info!(files = s.files, rows = s.rows, "imported reference data")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "import folder rejected"),
        }
        let stop_check = || stop.load(Ordering::SeqCst);
        let pass = pipeline.pass(&mut source, &stop_check).await;
        let mut failed = false;
        match pass {
            Ok(s) if s.processed > 0 => tracing::info!(processed = s.processed, "pass done"),
            Ok(_) => {}
            Err(e) if once => return Err(e).context("processing failed"),
            Err(e) => {
                failed = true;
                tracing::error!(error = %e, "pass failed; retrying after a pause")
            }
        }
        // Scheduled mail belongs to the running daemon; `--once` and `remind` stay apart.
        if !once {
            if let Err(e) =
                crate::schedule::run_due_jobs(&store, settings, chrono::Utc::now(), false).await
            {
                tracing::error!(error = %e, "scheduled jobs failed; retrying at the next poll");
            }
        }
        let sent = pipeline::drain_outbox(&store, &sink, settings)
            .await
            .context("outbox")?;
        sent_total += sent;
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if once {
            // More waiting than one batch: take the next before stopping.
            if source.has_more() {
                continue;
            }
            // The copies of what was just sent (smtp.copy_to_self) arrive in our own inbox
            // a moment later: file them too, so a run leaves the inbox empty.
            if source.copies_filed() < sent_total
                && settle_rounds < 20
                && matches!(sink, AnySink::Smtp(_))
                && settings.smtp.copy_to_self
            {
                settle_rounds += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            break;
        }
        // Wake up for the next reply due for a retry, even when no mail comes.
        let retry_due = match store.next_outbox_attempt().await {
            Ok(Some(at)) => (at - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(200)),
            Ok(None) => Duration::MAX,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox");
                Duration::from_secs(settings.daemon.poll_interval_secs.max(1))
            }
        };
        // The loop also imports reference files (and runs whatever else is due) every
        // daemon.poll_interval_secs: IDLE only brings mail in sooner, never later.
        let loop_interval = Duration::from_secs(settings.daemon.poll_interval_secs.max(1));
        source
            .wait(settings, &stop, failed, retry_due.min(loop_interval))
            .await;
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    source.close().await;
    if once {
        let rows = crate::report::rows(&store).await?;
        print!("{}", crate::report::table(&rows));
        let counts = store.outbox_counts().await?;
        let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        println!(
            "\n{} messages; replies: {} (in {})",
            rows.len(),
            if summary.is_empty() {
                "none".to_string()
            } else {
                summary.join(", ")
            },
            settings.sink.path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// web: bind now (a taken port fails the start loudly), serve until the daemon stops.
async fn spawn_web(settings: &Settings, store: &AnyStore, stop: Arc<AtomicBool>) -> Result<()> {
    let web = crate::web::Application::build(settings.clone(), store.clone())
        .await
        .context("cannot start the staff web UI")?;
    tracing::info!(addr = %web.addr(), "staff web UI listening");
    tokio::spawn(async move {
        let stopped = async move {
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        };
        if let Err(e) = web.run_until(stopped).await {
            tracing::error!(error = %e, "staff web UI stopped");
        }
    });
    Ok(())
}

// transport
/// The configured source (`source.kind`); an enum because the trait's methods are `async fn`.
pub enum AnySource<S: Store> {
    Local(LocalSource),
    Imap(Box<ImapSource<S>>),
}

impl<S: Store + Clone> AnySource<S> {
    pub fn from_settings(settings: &Settings, store: &S) -> Result<AnySource<S>> {
        Ok(match settings.source.kind.as_str() {
            "imap" => {
                let password = settings
                    .secrets
                    .imap_password
                    .clone()
                    .context("the IMAP password is missing")?;
                AnySource::Imap(Box::new(
                    ImapSource::new(
                        &settings.imap,
                        password,
                        store.clone(),
                        settings.daemon.lease_secs,
                    )
                    .context("cannot set up the IMAP source")?,
                ))
            }
            _ => AnySource::Local(LocalSource::new(&settings.source.path)),
        })
    }
}

impl<S: Store> AnySource<S> {
    /// More mail is waiting than the last fetch took.
    pub fn has_more(&self) -> bool {
        match self {
            AnySource::Local(_) => false,
            AnySource::Imap(i) => i.has_more(),
        }
    }

    /// Copies of our own replies filed so far.
    pub fn copies_filed(&self) -> usize {
        match self {
            AnySource::Local(_) => usize::MAX,
            AnySource::Imap(i) => i.copies_filed(),
        }
    }

    /// Between passes: IDLE or poll; after a failure, the reconnect back-off.
    pub async fn wait(
        &mut self,
        settings: &Settings,
        stop: &AtomicBool,
        failed: bool,
        at_most: Duration,
    ) {
        match self {
            AnySource::Local(_) => {
                let wait = Duration::from_secs(settings.daemon.poll_interval_secs.max(1));
                sleep_unless_stopped(wait.min(at_most), stop).await;
            }
            AnySource::Imap(i) => {
                if i.has_more() && !failed {
                    return;
                }
                if failed || !i.is_connected() {
                    let delay = i.retry_delay();
                    tracing::info!(secs = delay.as_secs_f32(), "reconnecting after a pause");
                    sleep_unless_stopped(delay.min(at_most), stop).await;
                    return;
                }
                if let Err(e) = i.wait_for_mail(stop, at_most).await {
                    tracing::warn!(error = %e, "waiting for mail failed; reconnecting");
                }
            }
        }
    }

    pub async fn close(&mut self) {
        if let AnySource::Imap(i) = self {
            i.logout().await;
        }
    }
}

impl<S: Store> Source for AnySource<S> {
    async fn fetch(&mut self) -> Result<Vec<Incoming>, SourceError> {
        match self {
            AnySource::Local(l) => l.fetch().await,
            AnySource::Imap(i) => i.fetch().await,
        }
    }

    async fn processed(&mut self, incoming: &Incoming) -> Result<(), SourceError> {
        match self {
            AnySource::Local(l) => l.processed(incoming).await,
            AnySource::Imap(i) => i.processed(incoming).await,
        }
    }
}

/// The configured sink (`sink.kind`).
pub enum AnySink<S: Store> {
    Dir(DirSink),
    Smtp(Box<SmtpSink<S>>),
}

impl<S: Store + Clone> AnySink<S> {
    pub fn from_settings(settings: &Settings, store: &S) -> Result<AnySink<S>> {
        Ok(match settings.sink.kind.as_str() {
            "smtp" => AnySink::Smtp(Box::new(
                SmtpSink::new(
                    &settings.smtp,
                    &settings.mail.address,
                    settings.secrets.smtp_password.clone(),
                    store.clone(),
                )
                .context("cannot set up the SMTP sink")?,
            )),
            _ => AnySink::Dir(DirSink::new(&settings.sink.path)),
        })
    }
}

impl<S: Store> Sink for AnySink<S> {
    async fn send(
        &self,
        outbox_id: i64,
        to: &str,
        template: &str,
        eml: &[u8],
    ) -> Result<(), SinkError> {
        match self {
            AnySink::Dir(d) => d.send(outbox_id, to, template, eml).await,
            AnySink::Smtp(s) => s.send(outbox_id, to, template, eml).await,
        }
    }

    async fn idle(&self) {
        match self {
            AnySink::Dir(d) => d.idle().await,
            AnySink::Smtp(s) => s.idle().await,
        }
    }
}

/// `trekkpost status`: what the daemon last recorded of its connections, and the queues.
pub async fn status(settings: &Settings, json: bool) -> Result<ExitCode> {
    let store = open_store(settings).await?;
    let source = store.transport_status("source").await?;
    let sink = store.transport_status("sink").await?;
    let unprocessed = store.unprocessed_messages().await?.len() as i64;
    let counts = store.outbox_counts().await?;
    let count = |state: &str| {
        counts
            .iter()
            .find(|(s, _)| s == state)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    let waiting = source.as_ref().and_then(|s| s.waiting);
    let report = serde_json::json!({
        "source": {
            "kind": settings.source.kind,
            "connected": source.as_ref().map(|s| s.connected),
            "last_poll": time(source.as_ref().and_then(|s| s.last_poll)),
            "last_error": source.as_ref().and_then(|s| s.last_error.clone()),
            "mails_waiting": waiting,
        },
        "sink": {
            "kind": settings.sink.kind,
            "connected": sink.as_ref().map(|s| s.connected),
            "last_send": time(sink.as_ref().and_then(|s| s.last_poll)),
            "last_error": sink.as_ref().and_then(|s| s.last_error.clone()),
        },
        "stored_unprocessed": unprocessed,
        "outbox_backlog": count("pending"),
        "dead_letters": count("dead"),
        "sent": count("sent"),
        "held": count("held"),
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let conn = |s: &Option<crate::store::TransportStatus>| match s {
        None => "no record yet (the daemon has not run with this connection)".to_string(),
        Some(s) if s.connected => format!(
            "connected (as of {})",
            time(s.updated_at).unwrap_or_default()
        ),
        Some(s) => format!(
            "NOT connected (as of {}): {}",
            time(s.updated_at).unwrap_or_default(),
            s.last_error.as_deref().unwrap_or("–")
        ),
    };
    println!("source ({}): {}", settings.source.kind, conn(&source));
    println!(
        "  last poll: {}",
        time(source.as_ref().and_then(|s| s.last_poll)).unwrap_or_else(|| "never".into())
    );
    println!(
        "  mails waiting: {} in the mailbox, {} stored but not yet processed",
        waiting.map(|w| w.to_string()).unwrap_or_else(|| "?".into()),
        unprocessed
    );
    println!("sink ({}): {}", settings.sink.kind, conn(&sink));
    println!(
        "outbox: {} waiting to be sent, {} dead letters (for staff), {} sent, {} held",
        count("pending"),
        count("dead"),
        count("sent"),
        count("held")
    );
    Ok(ExitCode::SUCCESS)
}

fn spawn_signal_watch(stop: Arc<AtomicBool>) -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot watch SIGTERM")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("stopping after the message in hand");
        stop.store(true, Ordering::SeqCst);
    });
    Ok(())
}
