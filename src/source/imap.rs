//! The union's mailbox over IMAP (async-imap on tokio, rustls).
//!
//! Mail is read with `BODY.PEEK[]` (never marked read), in UID order, a batch at a time, and
//! stored with its INTERNALDATE before the pipeline sees it. It leaves the inbox only through
//! [`Source::processed`], which the pipeline calls after the outcome is committed: MOVE (or
//! COPY + `\Deleted` + UID EXPUNGE) to the processed folder. A crash between commit and move
//! is repaired by the next fetch: the store knows the content, the pipeline calls `processed`
//! again without reprocessing. Every command runs under a deadline; a connection that misses
//! one is dropped and reopened with exponential back-off and jitter.
use super::{Incoming, Source, SourceError};
use crate::config::{ImapAuth, ImapSettings, Secret, Security};
use crate::store::{Oversize, Store, TransportStatus};
use async_imap::{Client, Session};
use chrono::Utc;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tracing::{debug, info, warn};

/// The byte stream under the IMAP session: plain TCP (loopback or before STARTTLS) or TLS.
#[derive(Debug)]
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A rustls client configuration trusting the public roots plus the PEM certificates of
/// `ca_file` (empty: none). The ring provider is named here so no process-wide default is needed.
pub fn tls_config(ca_file: &Path) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if !ca_file.as_os_str().is_empty() {
        let certs = CertificateDer::pem_file_iter(ca_file)
            .map_err(|e| format!("cannot read CA file {}: {e}", ca_file.display()))?;
        let mut added = 0;
        for cert in certs {
            let cert = cert.map_err(|e| format!("CA file {}: {e}", ca_file.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("CA file {}: {e}", ca_file.display()))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!(
                "CA file {} holds no certificate",
                ca_file.display()
            ));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Run one IMAP step under the command deadline.
async fn deadline<T, E: std::fmt::Display>(
    limit: Duration,
    what: &'static str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, SourceError> {
    match tokio::time::timeout(limit, fut).await {
        Err(_) => Err(SourceError::Timeout(what)),
        Ok(Err(e)) => Err(SourceError::Imap {
            what,
            detail: e.to_string(),
        }),
        Ok(Ok(v)) => Ok(v),
    }
}

/// AUTHENTICATE PLAIN (RFC 4616): one response, no challenge to read.
struct PlainAuth<'a> {
    user: &'a str,
    password: &'a str,
}

impl async_imap::Authenticator for PlainAuth<'_> {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        format!("\0{}\0{}", self.user, self.password)
    }
}

/// What the server offers after login (Dovecot lists MOVE/UIDPLUS only then).
#[derive(Debug, Clone, Copy, Default)]
struct Caps {
    idle: bool,
    mv: bool,
    uidplus: bool,
}

pub struct ImapSource<S: Store> {
    cfg: ImapSettings,
    password: Secret,
    store: S,
    tls: Arc<rustls::ClientConfig>,
    session: Option<Session<Conn>>,
    caps: Caps,
    /// UIDVALIDITY of the selected mailbox in this session.
    uid_validity: Option<u32>,
    /// Consecutive failures, for the reconnect back-off.
    failures: u32,
    /// The last fetch left messages in the inbox: fetch again without waiting.
    more: bool,
    /// The server said (in an unsolicited EXISTS/RECENT) that mail arrived since the last
    /// fetch began: IDLE would not announce it again, so fetch before waiting.
    arrived: Arc<AtomicBool>,
    /// Copies of our own replies filed in this run.
    copies: usize,
    /// Quarantined messages stored by the last fetch: the next fetch files them.
    unfiled: usize,
    /// Mails in the inbox as far as this session knows (for `status`).
    waiting: usize,
    /// How long a claim to file a mail lasts (`daemon.lease_secs` plus a command's deadline):
    /// several daemons on one mailbox never move the same mail at once.
    filing_claim: chrono::Duration,
}

fn source_name(uid_validity: u32, uid: u32) -> String {
    format!("imap:{uid_validity}:{uid}")
}

fn parse_source_name(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("imap:")?;
    let (v, u) = rest.split_once(':')?;
    Some((v.parse().ok()?, u.parse().ok()?))
}

impl<S: Store> ImapSource<S> {
    /// `lease_secs`: `daemon.lease_secs`, how long a daemon's claims last.
    pub fn new(
        cfg: &ImapSettings,
        password: Secret,
        store: S,
        lease_secs: i64,
    ) -> Result<ImapSource<S>, SourceError> {
        let command = i64::try_from(cfg.command_timeout_secs).unwrap_or(i64::MAX / 2);
        let tls = tls_config(&cfg.ca_file).map_err(SourceError::Config)?;
        Ok(ImapSource {
            cfg: cfg.clone(),
            password,
            store,
            tls,
            session: None,
            caps: Caps::default(),
            uid_validity: None,
            failures: 0,
            more: false,
            arrived: Arc::new(AtomicBool::new(false)),
            copies: 0,
            unfiled: 0,
            waiting: 0,
            filing_claim: chrono::Duration::seconds(
                lease_secs.max(1).saturating_add(command.max(1)),
            ),
        })
    }

    fn limit(&self) -> Duration {
        Duration::from_secs(self.cfg.command_timeout_secs.max(1))
    }

    /// Copies of our own replies filed in this run.
    pub fn copies_filed(&self) -> usize {
        self.copies
    }

    /// Whether a session is open now.
    pub fn is_connected(&self) -> bool {
        self.session.is_some()
    }

    /// The last fetch did not take everything: fetch again at once.
    pub fn has_more(&self) -> bool {
        self.more || self.unfiled > 0
    }

    /// How long to wait before the next attempt after `failures` consecutive failures:
    /// base · 2^(n-1), capped, plus up to 25 % jitter so many daemons do not reconnect in step.
    pub fn retry_delay(&self) -> Duration {
        let base = self.cfg.reconnect_base_secs.max(1);
        let max = self.cfg.reconnect_max_secs.max(base);
        let exp = self.failures.saturating_sub(1).min(20);
        let secs = base.saturating_mul(1u64 << exp).min(max);
        let jitter = secs as f64 * 0.25 * rand::random::<f64>();
        Duration::from_secs_f64(secs as f64 + jitter)
    }

    async fn open(&self) -> Result<(Session<Conn>, Caps), SourceError> {
        let limit = self.limit();
        let host = self.cfg.host.as_str();
        let tcp = deadline(limit, "connect", TcpStream::connect((host, self.cfg.port))).await?;
        let _ = tcp.set_nodelay(true);
        let name = if self.cfg.tls_name.is_empty() {
            host.to_string()
        } else {
            self.cfg.tls_name.clone()
        };
        let server_name = rustls_pki_types::ServerName::try_from(name.clone())
            .map_err(|e| SourceError::Config(format!("TLS name {name}: {e}")))?;
        let connector = tokio_rustls::TlsConnector::from(self.tls.clone());
        let conn = match self.cfg.security {
            Security::Plain => Conn::Plain(tcp),
            Security::Tls => {
                let tls =
                    deadline(limit, "TLS handshake", connector.connect(server_name, tcp)).await?;
                Conn::Tls(Box::new(tls))
            }
            Security::Starttls => {
                let mut client = Client::new(Conn::Plain(tcp));
                greeting(&mut client, limit).await?;
                deadline(
                    limit,
                    "STARTTLS",
                    client.run_command_and_check_ok("STARTTLS", None),
                )
                .await?;
                let Conn::Plain(tcp) = client.into_inner() else {
                    return Err(SourceError::Config("STARTTLS over TLS".into()));
                };
                let tls =
                    deadline(limit, "TLS handshake", connector.connect(server_name, tcp)).await?;
                Conn::Tls(Box::new(tls))
            }
        };
        let mut client = Client::new(conn);
        // After STARTTLS the server says nothing more; otherwise its greeting comes first.
        if self.cfg.security != Security::Starttls {
            greeting(&mut client, limit).await?;
        }
        let user = self.cfg.user.as_str();
        let password = self.password.expose();
        let login = async {
            match self.cfg.auth {
                ImapAuth::Login => client.login(user, password).await.map_err(|(e, _)| e),
                ImapAuth::Plain => client
                    .authenticate("PLAIN", PlainAuth { user, password })
                    .await
                    .map_err(|(e, _)| e),
            }
        };
        let mut session = match tokio::time::timeout(limit, login).await {
            Err(_) => return Err(SourceError::Timeout("LOGIN")),
            Ok(Err(e)) => return Err(SourceError::Auth(e.to_string())),
            Ok(Ok(s)) => s,
        };
        let caps = deadline(limit, "CAPABILITY", session.capabilities()).await?;
        let caps = Caps {
            idle: caps.has_str("IDLE"),
            mv: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
        };
        drain_unsolicited(&session, &self.arrived);
        Ok((session, caps))
    }

    /// The open session, opening one when there is none.
    async fn session(&mut self) -> Result<&mut Session<Conn>, SourceError> {
        if self.session.is_none() {
            let (session, caps) = self.open().await?;
            info!(
                idle = caps.idle,
                r#move = caps.mv,
                uidplus = caps.uidplus,
                "IMAP connected"
            );
            self.session = Some(session);
            self.caps = caps;
            self.uid_validity = None;
        }
        self.session
            .as_mut()
            .ok_or(SourceError::Config("no IMAP session".into()))
    }

    /// Any error leaves the connection in an unknown state: drop it, count the failure.
    async fn failed(&mut self, e: SourceError) -> SourceError {
        self.session = None;
        self.failures = self.failures.saturating_add(1);
        self.more = false;
        let status = TransportStatus {
            connected: false,
            last_error: Some(e.to_string()),
            ..Default::default()
        };
        if let Err(se) = self.store.set_transport_status("source", &status).await {
            warn!(error = %se, "cannot record the source status");
        }
        e
    }

    async fn fetch_inner(&mut self) -> Result<Vec<Incoming>, SourceError> {
        let arrived = self.arrived.clone();
        let limit = self.limit();
        let mailbox = self.cfg.mailbox.clone();
        let batch = self.cfg.batch_size.max(1) as usize;
        let max_bytes = self.cfg.max_message_bytes;
        let session = self.session().await?;
        let selected = deadline(limit, "SELECT", session.select(&mailbox)).await?;
        drain_unsolicited(session, &arrived);
        // This fetch sees whatever arrived before its SELECT; later news sets it again.
        arrived.store(false, Ordering::SeqCst);
        let validity = selected.uid_validity.unwrap_or(0);
        let exists = selected.exists;
        let known = self.store.imap_state(&mailbox).await?;
        let mut last_uid = match known {
            Some((v, last)) if v == validity => last,
            Some((v, _)) => {
                // Old UIDs mean nothing now. Messages already handled are recognised by
                // their content, so they are filed again, not processed again.
                warn!(
                    old = v,
                    new = validity,
                    "UIDVALIDITY changed; UIDs forgotten"
                );
                0
            }
            None => 0,
        };
        self.uid_validity = Some(validity);
        self.resolve_in_doubt().await?;
        let session = self.session().await?;
        let mut waiting: Vec<(u32, u32)> = Vec::new();
        if exists > 0 {
            let listing = deadline(limit, "FETCH (list)", async {
                let stream = session.uid_fetch("1:*", "(UID RFC822.SIZE FLAGS)").await?;
                collect_present(stream).await
            })
            .await?;
            for f in &listing {
                let deleted = f
                    .flags()
                    .any(|fl| matches!(fl, async_imap::types::Flag::Deleted));
                if let (Some(uid), false) = (f.uid, deleted) {
                    waiting.push((uid, f.size.unwrap_or(0)));
                }
            }
            drain_unsolicited(session, &arrived);
        }
        waiting.sort_unstable();
        let total = waiting.len();
        self.waiting = total;
        self.more = total > batch;
        waiting.truncate(batch);
        let (small, large): (Vec<_>, Vec<_>) =
            waiting.iter().partition(|(_, size)| *size <= max_bytes);
        let mut out = Vec::new();
        if !small.is_empty() {
            let set: Vec<String> = small.iter().map(|(u, _)| u.to_string()).collect();
            let session = self.session().await?;
            let (fetched, complete) = deadline(limit, "FETCH (bodies)", async {
                let stream = session
                    .uid_fetch(set.join(","), "(UID INTERNALDATE BODY.PEEK[])")
                    .await?;
                collect_answer(stream).await
            })
            .await?;
            drain_unsolicited(session, &arrived);
            // Another daemon filed some of these meanwhile: what came for them may be empty
            // (never to be stored as a message). Fetch again, on the mailbox as it is now.
            let fetched = if complete {
                fetched
            } else {
                self.more = true;
                Vec::new()
            };
            for f in fetched {
                let (Some(uid), Some(body)) = (f.uid, f.body()) else {
                    continue;
                };
                if body.is_empty() {
                    continue;
                }
                let arrival = f.internal_date().map(|d| d.with_timezone(&Utc));
                let bytes = body.to_vec();
                let name = source_name(validity, uid);
                last_uid = last_uid.max(uid);
                if let Some(mid) = self.own_copy(&bytes).await? {
                    let folder = self.sent_folder();
                    self.file_once(&format!("copy:{mid}"), uid, validity, &folder)
                        .await?;
                    self.copies += 1;
                    continue;
                }
                let (message_id, _) = crate::mime::parse_head(&bytes);
                // Stored here so the arrival time is the server's INTERNALDATE.
                self.store
                    .store_raw(&name, &bytes, message_id.as_deref(), arrival)
                    .await?;
                out.push(Incoming {
                    source: name,
                    bytes,
                });
            }
        }
        self.unfiled = 0;
        for (uid, size) in large {
            last_uid = last_uid.max(uid);
            if !self.quarantine(uid, validity, size).await? {
                self.unfiled += 1;
            }
        }
        self.store
            .set_imap_state(&mailbox, validity, last_uid)
            .await?;
        self.failures = 0;
        let status = TransportStatus {
            connected: true,
            last_poll: Some(Utc::now()),
            waiting: Some(total as i64),
            last_error: None,
            updated_at: None,
        };
        self.store.set_transport_status("source", &status).await?;
        debug!(fetched = out.len(), waiting = total, "IMAP fetch");
        Ok(out)
    }

    /// Replies whose send a crash cut short: their copy may already wait in the inbox,
    /// behind other mail. Look for it by Message-ID, so the reply is known as sent before
    /// the outbox would send it again.
    async fn resolve_in_doubt(&mut self) -> Result<(), SourceError> {
        let arrived = self.arrived.clone();
        let doubtful = self.store.smtp_in_doubt().await?;
        if doubtful.is_empty() {
            return Ok(());
        }
        let limit = self.limit();
        for (outbox_id, mid) in doubtful {
            if mid.contains(['"', '\\', '\r', '\n']) {
                continue;
            }
            let session = self.session().await?;
            let query = format!("HEADER Message-ID \"<{mid}>\"");
            let found = deadline(limit, "SEARCH", session.uid_search(&query)).await?;
            drain_unsolicited(session, &arrived);
            if !found.is_empty() {
                self.store.smtp_journal_accepted(outbox_id).await?;
                info!(outbox_id, "the copy shows an interrupted send was accepted");
            }
        }
        Ok(())
    }

    fn sent_folder(&self) -> String {
        if self.cfg.sent_folder.is_empty() {
            self.cfg.processed_folder.clone()
        } else {
            self.cfg.sent_folder.clone()
        }
    }

    /// A copy of one of our own replies (see `smtp.copy_to_self`): it proves the server took
    /// that reply, and it is filed, never processed. Returns its Message-ID when it is one.
    async fn own_copy(&self, bytes: &[u8]) -> Result<Option<String>, SourceError> {
        let Some(mid) = header_message_id(bytes) else {
            return Ok(None);
        };
        match self.store.outbox_id_by_message_id(&mid).await? {
            Some(outbox_id) => {
                self.store.smtp_journal_accepted(outbox_id).await?;
                debug!(outbox_id, "copy of a sent reply filed");
                Ok(Some(mid))
            }
            None => Ok(None),
        }
    }

    /// File a mail unless another daemon on this mailbox is filing it right now (it will, or
    /// its claim runs out and a later fetch finds the mail again): two daemons moving one
    /// mail at once may leave two copies of it in the folder.
    async fn file_once(
        &mut self,
        key: &str,
        uid: u32,
        validity: u32,
        folder: &str,
    ) -> Result<(), SourceError> {
        let owner = crate::pipeline::lease_owner();
        let now = Utc::now();
        if !self
            .store
            .claim_filing(key, owner, now, now + self.filing_claim)
            .await?
        {
            debug!(key, "another daemon is filing this mail");
            return Ok(());
        }
        self.file(uid, validity, folder).await?;
        // Filed (or gone already): should it come back, it is filed again at once.
        self.store.release_filing(key, owner).await?;
        Ok(())
    }

    /// A message over the size limit is not read: its header and a note for staff are stored
    /// in its place, marked in the store as over the limit (the pipeline then quarantines it:
    /// flagged for staff, the sender told), and it is filed in the failed folder once that
    /// outcome is committed.
    /// Returns whether it was filed (its outcome was committed before).
    async fn quarantine(
        &mut self,
        uid: u32,
        validity: u32,
        size: u32,
    ) -> Result<bool, SourceError> {
        let arrived = self.arrived.clone();
        let limit = self.limit();
        let session = self.session().await?;
        let (fetched, complete) = deadline(limit, "FETCH (header)", async {
            let stream = session
                .uid_fetch(uid.to_string(), "(UID INTERNALDATE BODY.PEEK[HEADER])")
                .await?;
            collect_answer(stream).await
        })
        .await?;
        drain_unsolicited(session, &arrived);
        let header = fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.header())
            .filter(|h| !h.is_empty() && complete);
        let (Some(header), Some(f)) = (header, fetched.iter().find(|f| f.uid == Some(uid))) else {
            // Gone meanwhile (another client filed it).
            return Ok(true);
        };
        let header = header.to_vec();
        let arrival = f.internal_date().map(|d| d.with_timezone(&Utc));
        let name = source_name(validity, uid);
        let mut bytes = header;
        bytes.extend_from_slice(
            format!(
                "\r\n[trekkpost: the message was {size} bytes, over the limit of {} bytes; \
                 it was not read and is kept in the folder {}]\r\n",
                self.cfg.max_message_bytes, self.cfg.failed_folder
            )
            .as_bytes(),
        );
        let message_id = header_message_id(&bytes);
        let oversize = Oversize {
            size: i64::from(size),
            limit: i64::from(self.cfg.max_message_bytes),
        };
        let stored = self
            .store
            .store_oversize(&name, &bytes, message_id.as_deref(), arrival, oversize)
            .await?;
        if stored.done {
            // Its outcome (from the header) is committed: file it away.
            let key = format!("message:{}", crate::store::sqlite::sha256_hex(&bytes));
            let folder = self.cfg.failed_folder.clone();
            self.file_once(&key, uid, validity, &folder).await?;
        } else {
            // The pipeline gives the stored header its outcome in this pass; the next
            // fetch files the message.
            info!(
                message = stored.id,
                size, "message over the size limit stored as its header"
            );
        }
        Ok(stored.done)
    }

    /// File one message: MOVE, else COPY + `\Deleted` + (UID) EXPUNGE.
    async fn file(&mut self, uid: u32, validity: u32, folder: &str) -> Result<(), SourceError> {
        let arrived = self.arrived.clone();
        let limit = self.limit();
        let caps = self.caps;
        if self.uid_validity != Some(validity) {
            // The UID belongs to an older view of the mailbox (or session): the next fetch
            // finds the message again by content and files it then.
            return Ok(());
        }
        let session = self.session().await?;
        let uid_s = uid.to_string();
        // Gone already: another client (another daemon on this mailbox) filed it between
        // this session's view and now.
        let gone = if caps.mv {
            expunged(limit, "MOVE", session.uid_mv(&uid_s, folder)).await?
        } else {
            let gone = expunged(limit, "COPY", session.uid_copy(&uid_s, folder)).await?;
            if !gone {
                deadline(limit, "STORE", async {
                    let stream = session
                        .uid_store(&uid_s, "+FLAGS.SILENT (\\Deleted)")
                        .await?;
                    collect_present(stream).await
                })
                .await?;
                if caps.uidplus {
                    deadline(limit, "UID EXPUNGE", async {
                        let stream = session.uid_expunge(&uid_s).await?;
                        collect_present(stream).await
                    })
                    .await?;
                } else {
                    deadline(limit, "EXPUNGE", async {
                        let stream = session.expunge().await?;
                        collect_present(stream).await
                    })
                    .await?;
                }
            }
            gone
        };
        if gone {
            debug!(uid, folder, "already filed by another client");
        }
        drain_unsolicited(session, &arrived);
        self.waiting = self.waiting.saturating_sub(1);
        Ok(())
    }

    /// Wait for new mail: IDLE when offered (renewed before `idle_renew_secs`), otherwise
    /// sleep the poll interval; never longer than `at_most`. Returns early when `stop` is set.
    pub async fn wait_for_mail(
        &mut self,
        stop: &AtomicBool,
        at_most: Duration,
    ) -> Result<(), SourceError> {
        let poll = Duration::from_secs(self.cfg.poll_interval_secs.max(1));
        if let Some(session) = &self.session {
            drain_unsolicited(session, &self.arrived);
        }
        if self.arrived.load(Ordering::SeqCst) {
            // Announced while we were busy (filing, copying a reply): fetch it now.
            return Ok(());
        }
        if !self.cfg.idle || !self.caps.idle || self.session.is_none() {
            sleep_unless_stopped(poll.min(at_most), stop).await;
            return Ok(());
        }
        let status = TransportStatus {
            connected: true,
            waiting: Some(self.waiting as i64),
            ..Default::default()
        };
        self.store.set_transport_status("source", &status).await?;
        let limit = self.limit();
        let renew = Duration::from_secs(self.cfg.idle_renew_secs.max(1)).min(at_most);
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        let mut idle = session.idle();
        if let Err(e) = deadline(limit, "IDLE", idle.init()).await {
            return Err(self.failed(e).await);
        }
        let woke = {
            let (fut, interrupt) =
                idle.wait_with_timeout(renew.saturating_add(Duration::from_secs(60)));
            tokio::pin!(fut);
            // The library's own timeout restarts on every keep-alive; ours does not.
            let wake = async {
                tokio::select! {
                    _ = tokio::time::sleep(renew) => {}
                    _ = until_stopped(stop) => {}
                }
            };
            tokio::select! {
                r = &mut fut => r,
                _ = wake => {
                    drop(interrupt);
                    fut.await
                }
            }
        };
        match deadline(limit, "DONE", idle.done()).await {
            Ok(session) => self.session = Some(session),
            Err(e) => return Err(self.failed(e).await),
        }
        if let Err(e) = woke {
            return Err(self
                .failed(SourceError::Imap {
                    what: "IDLE",
                    detail: e.to_string(),
                })
                .await);
        }
        Ok(())
    }

    /// Close the session politely (on shutdown).
    pub async fn logout(&mut self) {
        let limit = self.limit();
        if let Some(mut s) = self.session.take() {
            let _ = tokio::time::timeout(limit, s.logout()).await;
        }
    }
}

impl<S: Store> Source for ImapSource<S> {
    async fn fetch(&mut self) -> Result<Vec<Incoming>, SourceError> {
        match self.fetch_inner().await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.failed(e).await),
        }
    }

    async fn processed(&mut self, incoming: &Incoming) -> Result<(), SourceError> {
        let Some((validity, uid)) = parse_source_name(&incoming.source) else {
            return Ok(());
        };
        let folder = self.cfg.processed_folder.clone();
        let key = format!(
            "message:{}",
            crate::store::sqlite::sha256_hex(&incoming.bytes)
        );
        match self.file_once(&key, uid, validity, &folder).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.failed(e).await),
        }
    }
}

async fn greeting(client: &mut Client<Conn>, limit: Duration) -> Result<(), SourceError> {
    match tokio::time::timeout(limit, client.read_response()).await {
        Err(_) => Err(SourceError::Timeout("greeting")),
        Ok(Err(e)) => Err(SourceError::Imap {
            what: "greeting",
            detail: e.to_string(),
        }),
        Ok(Ok(None)) => Err(SourceError::Imap {
            what: "greeting",
            detail: "connection closed".into(),
        }),
        Ok(Ok(Some(_))) => Ok(()),
    }
}

/// Another client (another daemon on the same mailbox) expunged a message this session still
/// sees: the server answers NO [EXPUNGEISSUED] (RFC 5530). The session is fine.
fn expunged_meanwhile(e: &async_imap::error::Error) -> bool {
    matches!(e, async_imap::error::Error::No(text) if text.contains("EXPUNGEISSUED"))
}

/// The items of a FETCH or STORE answer. A NO [EXPUNGEISSUED] at its end (some of the
/// messages asked for were expunged by another client meanwhile) keeps the items that came,
/// and says so: the items of the expunged messages may then be empty.
async fn collect_answer<T>(
    stream: impl futures_util::Stream<Item = Result<T, async_imap::error::Error>>,
) -> Result<(Vec<T>, bool), async_imap::error::Error> {
    use futures_util::StreamExt;
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(v) => out.push(v),
            Err(e) if expunged_meanwhile(&e) => {
                debug!("some messages were expunged by another client meanwhile");
                return Ok((out, false));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((out, true))
}

/// As [`collect_answer`], for answers whose items do not matter once a message is gone.
async fn collect_present<T>(
    stream: impl futures_util::Stream<Item = Result<T, async_imap::error::Error>>,
) -> Result<Vec<T>, async_imap::error::Error> {
    Ok(collect_answer(stream).await?.0)
}

/// Run a command that files a message under the deadline; true when the message was gone
/// already (expunged by another client meanwhile).
async fn expunged(
    limit: Duration,
    what: &'static str,
    fut: impl Future<Output = Result<(), async_imap::error::Error>>,
) -> Result<bool, SourceError> {
    match tokio::time::timeout(limit, fut).await {
        Err(_) => Err(SourceError::Timeout(what)),
        Ok(Err(e)) if expunged_meanwhile(&e) => Ok(true),
        Ok(Err(e)) => Err(SourceError::Imap {
            what,
            detail: e.to_string(),
        }),
        Ok(Ok(())) => Ok(false),
    }
}

/// The channel of unsolicited responses holds 100 entries and drops the rest: empty it.
/// Empty the session's unsolicited responses (the channel is bounded), noting in
/// `arrived` whether any said that mail came in.
fn drain_unsolicited(session: &Session<Conn>, arrived: &AtomicBool) {
    use async_imap::types::UnsolicitedResponse;
    while let Ok(r) = session.unsolicited_responses.try_recv() {
        if matches!(
            r,
            UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
        ) {
            arrived.store(true, Ordering::SeqCst);
        }
    }
}

/// The Message-ID header (without <>), read from the header only.
fn header_message_id(bytes: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::new().parse_headers(bytes)?;
    parsed.message_id().map(str::to_string)
}

async fn until_stopped(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sleep `d`, or less when `stop` is set meanwhile.
pub async fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = until_stopped(stop) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_round_trip() {
        assert_eq!(parse_source_name(&source_name(7, 42)), Some((7, 42)));
        assert_eq!(parse_source_name("a.eml"), None);
        assert_eq!(parse_source_name("imap:x:1"), None);
    }

    #[test]
    fn message_id_from_the_header() {
        let m = b"Subject: x\r\nMessage-ID: <tp.1.ab@union.example>\r\n\r\nbody";
        assert_eq!(
            header_message_id(m).as_deref(),
            Some("tp.1.ab@union.example")
        );
        assert_eq!(header_message_id(b"Subject: x\r\n\r\nbody"), None);
    }
}
