//! The daemon: store, source, pipeline, outbox worker; stops cleanly on Ctrl-C/SIGTERM.
use crate::config::Settings;
use crate::pipeline::{self, Pipeline};
use crate::sink::dir::DirSink;
use crate::source::local::LocalSource;
use crate::store::{AnyStore, Store};
use anyhow::{Context as _, Result};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub async fn open_store(settings: &Settings) -> Result<AnyStore> {
    AnyStore::open(&settings.database.url)
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
    let mut source = LocalSource::new(&settings.source.path);
    let sink = DirSink::new(&settings.sink.path);
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
        match pass {
            Ok(s) if s.processed > 0 => tracing::info!(processed = s.processed, "pass done"),
            Ok(_) => {}
            Err(e) if once => return Err(e).context("processing failed"),
            Err(e) => tracing::error!(error = %e, "pass failed; retrying at the next poll"),
        }
        // Scheduled mail belongs to the running daemon; `--once` and `remind` stay apart.
        if !once {
            if let Err(e) =
                crate::schedule::run_due_jobs(&store, settings, chrono::Utc::now(), false).await
            {
                tracing::error!(error = %e, "scheduled jobs failed; retrying at the next poll");
            }
        }
        pipeline::drain_outbox(&store, &sink, settings)
            .await
            .context("outbox")?;
        if once || stop.load(Ordering::SeqCst) {
            break;
        }
        let wait = std::time::Duration::from_secs(settings.daemon.poll_interval_secs.max(1));
        let deadline = tokio::time::Instant::now() + wait;
        while tokio::time::Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
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
