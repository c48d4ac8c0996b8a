//! Replies sent through an SMTP server (lettre on tokio, rustls).
//!
//! The stored `.eml` is sent as it is, so its Message-ID is the one fixed for its outbox row.
//! Every send has its own deadline (lettre's timeout covers connecting only), covering the
//! connection it opens or reuses. trekkpost opens the connection itself (TCP_NODELAY, and
//! the TLS handshake for implicit TLS) and lettre speaks SMTP over it (STARTTLS included).
//! One connection carries the sends of an outbox drain, one
//! SMTP transaction after another (at most `smtp.max_messages_per_connection`), and is closed
//! when the drain ends ([`Sink::idle`]). A connection that failed in any way, or missed a
//! deadline, is dropped, never used again; one that sat idle is checked with NOOP before it
//! carries a reply (lettre's own pool does neither: it would put a connection cut off
//! mid-transaction back into use, and does not notice a server that closed an idle one).
//! Retries, back-off and dead letters are the outbox's (`pipeline::drain_outbox`).
//!
//! Exactly once across crashes: before the SMTP transaction the row's journal says `started`,
//! after the server's acceptance `accepted`. A row found `accepted` was sent (the crash came
//! before the outbox row was updated): it is not sent again. A row found `started` is in
//! doubt; with `copy_to_self` every reply also goes to our own mailbox in the same
//! transaction, and the IMAP source marks the row `accepted` when that copy arrives. Only
//! when no copy has come within `in_doubt_secs` is the reply sent again.
use super::{Sink, SinkError};
use crate::config::{Secret, Security, SmtpSettings};
use crate::source::imap::Conn;
use crate::store::{Store, TransportStatus};
use chrono::Utc;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use lettre::Address;
use rustls_pki_types::ServerName;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tracing::{debug, warn};

/// A connection idle longer than this is closed rather than reused (servers drop idle
/// sessions after a few minutes, some much sooner).
const MAX_IDLE: Duration = Duration::from_secs(30);
/// A connection idle longer than this is asked NOOP before it carries a reply: a send on a
/// connection the server has closed would fail half-way and leave the reply in doubt.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);
/// Deadline on closing a connection politely (QUIT).
const QUIT_DEADLINE: Duration = Duration::from_secs(2);

/// The connection kept between sends.
struct Kept {
    conn: AsyncSmtpConnection,
    last_used: Instant,
    /// Messages it has carried.
    sent: u32,
}

/// Why a send failed.
enum Failure {
    /// No SMTP conversation came about (no connection, no TLS): certainly not taken.
    NoConnection(String),
    Smtp(lettre::transport::smtp::Error),
}

impl From<lettre::transport::smtp::Error> for Failure {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Failure::Smtp(e)
    }
}

/// lettre talks SMTP over the connection we open ourselves (TCP_NODELAY, our TLS).
impl AsyncTokioStream for Conn {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        match self {
            Conn::Plain(s) => s.peer_addr(),
            Conn::Tls(s) => s.get_ref().0.peer_addr(),
        }
    }
}

pub struct SmtpSink<S: Store> {
    host: String,
    port: u16,
    /// STARTTLS (lettre upgrades the connection after EHLO).
    starttls: Option<TlsParameters>,
    /// Implicit TLS: the handshake comes first, before SMTP.
    implicit_tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    credentials: Option<Credentials>,
    hello: ClientId,
    connect_timeout: Duration,
    max_per_connection: u32,
    /// The open connection, when a send left one; taken out while a send uses it.
    kept: std::sync::Mutex<Option<Kept>>,
    /// Connections opened so far (for the log and tests).
    opened: std::sync::atomic::AtomicU64,
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
        let (starttls, implicit_tls) = match cfg.security {
            Security::Tls => {
                let tls = crate::source::imap::tls_config(&cfg.ca_file).map_err(config)?;
                let server = ServerName::try_from(name.clone())
                    .map_err(|e| config(format!("TLS name {name}: {e}")))?;
                (None, Some((tokio_rustls::TlsConnector::from(tls), server)))
            }
            Security::Starttls => (Some(tls_parameters()?), None),
            Security::Plain => (None, None),
        };
        let credentials = if cfg.user.is_empty() {
            None
        } else {
            let password = password.ok_or_else(|| config("the password is missing".into()))?;
            Some(Credentials::new(
                cfg.user.clone(),
                password.expose().to_string(),
            ))
        };
        Ok(SmtpSink {
            host: cfg.host.clone(),
            port: cfg.port,
            starttls,
            implicit_tls,
            credentials,
            hello: ClientId::default(),
            connect_timeout: Duration::from_secs(cfg.connect_timeout_secs.max(1)),
            max_per_connection: cfg.max_messages_per_connection.max(1),
            kept: std::sync::Mutex::new(None),
            opened: std::sync::atomic::AtomicU64::new(0),
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

    /// Connections opened so far.
    pub fn connections_opened(&self) -> u64 {
        self.opened.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A new connection: TCP, TLS (implicit or STARTTLS), EHLO, AUTH.
    async fn connect(&self) -> Result<Kept, Failure> {
        let limit = self.connect_timeout;
        let tcp =
            match tokio::time::timeout(limit, TcpStream::connect((self.host.as_str(), self.port)))
                .await
            {
                Err(_) => return Err(Failure::NoConnection("connecting timed out".into())),
                Ok(Err(e)) => return Err(Failure::NoConnection(format!("cannot connect: {e}"))),
                Ok(Ok(tcp)) => tcp,
            };
        // The end of a message (`.`) is written after its body: without NODELAY it waits for
        // the server's delayed acknowledgement, some 40 ms a reply.
        let _ = tcp.set_nodelay(true);
        let stream = match &self.implicit_tls {
            Some((connector, server)) => {
                match tokio::time::timeout(limit, connector.connect(server.clone(), tcp)).await {
                    Err(_) => return Err(Failure::NoConnection("TLS handshake timed out".into())),
                    Ok(Err(e)) => return Err(Failure::NoConnection(format!("TLS: {e}"))),
                    Ok(Ok(tls)) => Conn::Tls(Box::new(tls)),
                }
            }
            None => Conn::Plain(tcp),
        };
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        if let Some(p) = &self.starttls {
            conn.starttls(p.clone(), &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        let n = self
            .opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        debug!(connections = n, "SMTP connection opened");
        Ok(Kept {
            conn,
            last_used: Instant::now(),
            sent: 0,
        })
    }

    fn take_kept(&self) -> Option<Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Keep a connection that just carried a reply for the next send (an extra one, from
    /// sends running side by side, is simply dropped).
    fn put_kept(&self, kept: Kept) {
        let mut slot = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(kept);
        }
    }

    /// A connection fit to carry the next reply: the kept one when it is fresh and still
    /// answers, else a new one.
    async fn usable(&self, kept: Option<Kept>) -> Result<Kept, Failure> {
        if let Some(mut k) = kept {
            let idle = k.last_used.elapsed();
            if k.sent < self.max_per_connection && idle < MAX_IDLE {
                if idle < CHECK_AFTER_IDLE || k.conn.test_connected().await {
                    return Ok(k);
                }
                debug!("kept SMTP connection no longer answers: reconnecting");
            }
            k.conn.abort().await;
        }
        self.connect().await
    }

    /// One SMTP transaction, on a kept or new connection; the connection is kept again only
    /// when the transaction succeeded.
    async fn transact(&self, envelope: &Envelope, eml: &[u8]) -> Result<(), Failure> {
        let mut k = self.usable(self.take_kept()).await?;
        // On failure lettre aborts the connection; it is dropped here either way.
        k.conn.send(envelope, eml).await?;
        k.sent += 1;
        k.last_used = Instant::now();
        self.put_kept(k);
        Ok(())
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
        // The deadline covers connecting (or checking the kept connection) and the whole
        // transaction; a connection that misses it is dropped with the future.
        let sent = tokio::time::timeout(self.send_timeout, self.transact(&envelope, eml)).await;
        match sent {
            Err(_) => {
                self.mark_down(true);
                self.record(false, Some("send timed out".into())).await;
                Err(SinkError::Temporary(format!(
                    "no answer within {} s",
                    self.send_timeout.as_secs()
                )))
            }
            Ok(Err(Failure::NoConnection(text))) => {
                // No SMTP conversation: certainly not taken, a plain retry later.
                self.store
                    .smtp_journal_clear(outbox_id)
                    .await
                    .map_err(temporary)?;
                self.mark_down(true);
                let text = scrub(&text);
                self.record(false, Some(text.clone())).await;
                Err(SinkError::Temporary(text))
            }
            Ok(Err(Failure::Smtp(e))) => {
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
            Ok(Ok(())) => {
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

    async fn idle(&self) {
        self.close().await;
    }
}

impl<S: Store> SmtpSink<S> {
    /// Close the kept connection politely (QUIT), e.g. when the outbox drain is over.
    pub async fn close(&self) {
        if let Some(mut k) = self.take_kept() {
            let _ = tokio::time::timeout(QUIT_DEADLINE, k.conn.quit()).await;
            debug!(carried = k.sent, "SMTP connection closed");
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
