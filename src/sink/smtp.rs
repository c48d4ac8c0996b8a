//! Replies sent through an SMTP server (lettre on tokio, rustls).
//!
//! The stored `.eml` is sent as it is, so its Message-ID is the one fixed for its outbox row.
//! Every send has its own deadline (lettre's timeout covers connecting only) and a fresh
//! connection (lettre's pool does not notice a server that closed an idle one). Retries,
//! back-off and dead letters are the outbox's (`pipeline::drain_outbox`).
//!
//! Exactly once across crashes: before the SMTP transaction the row's journal says `started`,
//! after the server's acceptance `accepted`. A row found `accepted` was sent (the crash came
//! before the outbox row was updated): it is not sent again. A row found `started` is in
//! doubt; with `copy_to_self` every reply also goes to our own mailbox in the same
//! transaction, and the IMAP source marks the row `accepted` when that copy arrives. Only
//! when no copy has come within `in_doubt_secs` is the reply sent again.
use super::{Sink, SinkError};
use crate::config::{Secret, Security, SmtpSettings};
use crate::store::{Store, TransportStatus};
use chrono::Utc;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;
use tracing::{debug, warn};

pub struct SmtpSink<S: Store> {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Envelope sender: the union's mailbox.
    from: Address,
    /// Our own mailbox, when every reply is copied there.
    copy_to: Option<Address>,
    send_timeout: Duration,
    in_doubt: chrono::Duration,
    unreachable_pause: Duration,
    /// Until when the server counts as unreachable (set by a failed connection or timeout).
    down_until: std::sync::Mutex<Option<std::time::Instant>>,
    /// What `status` was last told, and when: unchanged health is written at most every
    /// few seconds (each write is a transaction of its own).
    recorded: std::sync::Mutex<Option<(bool, std::time::Instant)>>,
    store: S,
}

impl<S: Store> SmtpSink<S> {
    pub fn new(
        cfg: &SmtpSettings,
        from: &str,
        password: Option<Secret>,
        store: S,
    ) -> Result<SmtpSink<S>, SinkError> {
        let config = |m: String| SinkError::Permanent(format!("SMTP configuration: {m}"));
        let from: Address = from
            .parse()
            .map_err(|e| config(format!("mail.address: {e}")))?;
        let name = if cfg.tls_name.is_empty() {
            cfg.host.clone()
        } else {
            cfg.tls_name.clone()
        };
        let tls_parameters = || -> Result<TlsParameters, SinkError> {
            let mut builder = TlsParameters::builder(name.clone());
            if !cfg.ca_file.as_os_str().is_empty() {
                let pem = std::fs::read(&cfg.ca_file)
                    .map_err(|e| config(format!("cannot read {}: {e}", cfg.ca_file.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| config(format!("{}: {e}", cfg.ca_file.display())))?;
                builder = builder.add_root_certificate(cert);
            }
            builder.build_rustls().map_err(|e| config(e.to_string()))
        };
        let tls = match cfg.security {
            Security::Tls => Tls::Wrapper(tls_parameters()?),
            Security::Starttls => Tls::Required(tls_parameters()?),
            Security::Plain => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            .port(cfg.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(cfg.connect_timeout_secs.max(1))));
        if !cfg.user.is_empty() {
            let password = password.ok_or_else(|| config("the password is missing".into()))?;
            builder = builder.credentials(Credentials::new(
                cfg.user.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(SmtpSink {
            transport: builder.build(),
            copy_to: cfg.copy_to_self.then(|| from.clone()),
            from,
            send_timeout: Duration::from_secs(cfg.send_timeout_secs.max(1)),
            in_doubt: chrono::Duration::seconds(cfg.in_doubt_secs.max(0)),
            unreachable_pause: Duration::from_secs(cfg.unreachable_pause_secs),
            down_until: std::sync::Mutex::new(None),
            recorded: std::sync::Mutex::new(None),
            store,
        })
    }

    fn is_down(&self) -> bool {
        let guard = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        guard.is_some_and(|t| std::time::Instant::now() < t)
    }

    fn mark_down(&self, down: bool) {
        let mut guard = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        *guard = down.then(|| std::time::Instant::now() + self.unreachable_pause);
    }

    async fn record(&self, connected: bool, error: Option<String>) {
        {
            let mut last = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
            let now = std::time::Instant::now();
            let fresh = matches!(*last, Some((c, at)) if c == connected
                && now.duration_since(at) < Duration::from_secs(5));
            if fresh && error.is_none() {
                return;
            }
            *last = Some((connected, now));
        }
        let status = TransportStatus {
            connected,
            last_poll: Some(Utc::now()),
            last_error: error,
            ..Default::default()
        };
        if let Err(e) = self.store.set_transport_status("sink", &status).await {
            warn!(error = %e, "cannot record the sink status");
        }
    }
}

/// Errors after which the server certainly did not take the message: it refused it with a
/// 4xx/5xx reply, or no SMTP conversation came about (no connection, no TLS). A broken
/// connection or a timeout mid-transaction leaves the send in doubt.
fn not_accepted(e: &lettre::transport::smtp::Error) -> bool {
    use std::error::Error as _;
    if e.is_transient() || e.is_permanent() || e.is_tls() || e.is_client() {
        return true;
    }
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused | AddrNotAvailable | HostUnreachable | NetworkUnreachable
            ) {
                return true;
            }
        }
        source = s.source();
    }
    false
}

/// Server replies often quote the recipient: errors are logged and stored, addresses are not.
fn scrub(text: &str) -> String {
    static ADDRESS: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    match ADDRESS.get_or_init(|| regex::Regex::new(r"[^\s<>@]+@[^\s<>@]+").ok()) {
        Some(re) => re.replace_all(text, "[address]").into_owned(),
        None => "[error text withheld]".to_string(),
    }
}

fn temporary(e: impl std::fmt::Display) -> SinkError {
    SinkError::Temporary(e.to_string())
}

impl<S: Store> Sink for SmtpSink<S> {
    async fn send(
        &self,
        outbox_id: i64,
        to: &str,
        _template: &str,
        eml: &[u8],
    ) -> Result<(), SinkError> {
        match self
            .store
            .smtp_journal(outbox_id)
            .await
            .map_err(temporary)?
        {
            Some((state, _)) if state == "accepted" => {
                debug!(outbox_id, "already accepted by the server before a restart");
                return Ok(());
            }
            Some((_, started)) if self.copy_to.is_some() => {
                if Utc::now() - started < self.in_doubt {
                    return Err(SinkError::Temporary(
                        "an interrupted send is in doubt: waiting for its copy".into(),
                    ));
                }
                warn!(
                    outbox_id,
                    "no copy of an interrupted send arrived: sending again"
                );
            }
            _ => {}
        }
        if self.is_down() {
            return Err(SinkError::Temporary(
                "the SMTP server was unreachable a moment ago; not tried".into(),
            ));
        }
        let rcpt: Address = to.parse().map_err(|e: lettre::address::AddressError| {
            SinkError::Permanent(format!("recipient address: {}", scrub(&e.to_string())))
        })?;
        let mut recipients = vec![rcpt];
        recipients.extend(self.copy_to.iter().cloned());
        let envelope = Envelope::new(Some(self.from.clone()), recipients)
            .map_err(|e| SinkError::Permanent(format!("envelope: {e}")))?;
        self.store
            .smtp_journal_started(outbox_id)
            .await
            .map_err(temporary)?;
        let sent =
            tokio::time::timeout(self.send_timeout, self.transport.send_raw(&envelope, eml)).await;
        match sent {
            Err(_) => {
                self.mark_down(true);
                self.record(false, Some("send timed out".into())).await;
                Err(SinkError::Temporary(format!(
                    "no answer within {} s",
                    self.send_timeout.as_secs()
                )))
            }
            Ok(Err(e)) => {
                if not_accepted(&e) {
                    // Certainly not taken: the next attempt is a plain retry, not in doubt.
                    self.store
                        .smtp_journal_clear(outbox_id)
                        .await
                        .map_err(temporary)?;
                }
                let permanent = e.is_permanent();
                let reached = e.is_transient() || permanent;
                self.mark_down(!reached);
                self.record(reached, Some(scrub(&e.to_string()))).await;
                let text = scrub(&e.to_string());
                if permanent {
                    Err(SinkError::Permanent(text))
                } else {
                    Err(SinkError::Temporary(text))
                }
            }
            Ok(Ok(_)) => {
                self.mark_down(false);
                self.store
                    .smtp_journal_accepted(outbox_id)
                    .await
                    .map_err(temporary)?;
                self.record(true, None).await;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_scrubbed_from_server_errors() {
        let t = scrub(
            "permanent error (550): 5.1.1 <lonn@rejected.example>: Recipient address rejected",
        );
        assert!(!t.contains("lonn@"), "{t}");
        assert!(t.contains("550"), "{t}");
    }
}
