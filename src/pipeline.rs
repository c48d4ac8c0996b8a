//! One message through the product: store raw → MIME → classify → handler → decision →
//! outcome + outbox rows committed together. Also the outbox worker and the run loop.
use crate::classify::{self, Classification, Kind};
use crate::config::Settings;
use crate::handle::{self, Context, Handled};
use crate::mime::{self, Mail};
use crate::reply::{self, Envelope};
use crate::sink::{Sink, SinkError};
use crate::source::{Incoming, Source};
use crate::store::{OutboxRow, OutboxWrite, OutcomeWrite, Oversize, Store, StoreError};
use chrono::{Duration, Utc};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing::{debug, info, info_span, warn, Instrument};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Handle(#[from] handle::HandleError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    #[error("message {0} has no raw bytes in the store")]
    MissingRaw(i64),
}

pub struct Pipeline<'a, S: Store> {
    pub store: &'a S,
    pub settings: &'a Settings,
    /// Our own binary, for the attachment parser's child process.
    pub exe: PathBuf,
}

/// What a pass over the source did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassSummary {
    pub seen: usize,
    pub processed: usize,
}

impl<'a, S: Store> Pipeline<'a, S> {
    pub fn new(store: &'a S, settings: &'a Settings) -> Self {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("trekkpost"));
        Pipeline {
            store,
            settings,
            exe,
        }
    }

    /// Take every message the source has, store it, and process what has no outcome yet
    /// (including messages a crash left stored but unprocessed). `stop` is checked between
    /// messages: the message in hand is always finished.
    pub async fn pass(
        &self,
        source: &mut impl Source,
        stop: &dyn Fn() -> bool,
    ) -> Result<PassSummary, PipelineError> {
        let mut summary = PassSummary::default();
        let incoming = source.fetch().await?;
        summary.seen = incoming.len();
        // What this pass fetched, by message: filed away once its outcome is committed.
        let mut fetched: Vec<(i64, Incoming)> = Vec::new();
        for item in incoming {
            let (message_id, arrival) = mime::parse_head(&item.bytes);
            let stored = self
                .store
                .store_raw(&item.source, &item.bytes, message_id.as_deref(), arrival)
                .await?;
            if stored.done {
                source.processed(&item).await?;
            } else {
                fetched.push((stored.id, item));
            }
        }
        // Every stored message without an outcome (this pass's, a crash's, another daemon's
        // whose lease ran out), one lease at a time so several daemons share the work.
        let leases = Leases::new(self.store, self.settings);
        loop {
            if stop() {
                break;
            }
            let now = Utc::now();
            let claimed = self
                .store
                .claim_messages(leases.owner, now, now + leases.lease, 1)
                .await?;
            let Some(&id) = claimed.first() else { break };
            leases.hold(Held::Message, &[id]);
            let result = leases
                .while_working(self.process_as(id, Some(leases.owner)))
                .await;
            leases.release(Held::Message, id);
            match result {
                Err(PipelineError::Store(StoreError::LeaseLost(why))) => {
                    // Another daemon took it over (this one stalled past its lease): its
                    // outcome is theirs; nothing of this daemon's was written.
                    warn!(id, %why, "lease lost: the message is another daemon's now");
                    continue;
                }
                other => other?,
            }
            summary.processed += 1;
            if let Some(i) = fetched.iter().position(|(f, _)| *f == id) {
                let (_, item) = fetched.swap_remove(i);
                source.processed(&item).await?;
            }
        }
        Ok(summary)
    }

    /// Decide and commit one stored message's outcome (no lease: staff re-runs).
    pub async fn process(&self, id: i64) -> Result<(), PipelineError> {
        self.process_as(id, None).await
    }

    /// Decide and commit one stored message's outcome; with `owner`, only while that lease
    /// holder still holds the message (else [`StoreError::LeaseLost`], nothing written).
    pub async fn process_as(&self, id: i64, owner: Option<&str>) -> Result<(), PipelineError> {
        let span = info_span!("message", id);
        async move {
            let raw = self
                .store
                .raw_message(id)
                .await?
                .ok_or(PipelineError::MissingRaw(id))?;
            let row = self.store.message(id).await?;
            let source = row.map(|r| r.source).unwrap_or_default();
            // leases: another daemon may commit something this outcome rests on (a list
            // confirmed) while it is decided; then it is decided again, on the new facts.
            let mut attempts = 0;
            loop {
                attempts += 1;
                match self.decide_and_commit(id, &raw, &source, owner).await {
                    Err(PipelineError::Store(StoreError::Conflict(why))) if attempts < 3 => {
                        info!(%why, "deciding again");
                    }
                    // SQLite: a write of a lease renewal came between this commit's first
                    // read and its first write; nothing was written, so simply again.
                    Err(PipelineError::Store(e)) if attempts < 3 && e.is_busy() => {
                        info!(error = %e, "database busy; committing again");
                    }
                    other => return other,
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn decide_and_commit(
        &self,
        id: i64,
        raw: &[u8],
        source: &str,
        owner: Option<&str>,
    ) -> Result<(), PipelineError> {
        // Over the size limit: only its header was stored, and the store says so.
        let oversize = self.store.oversize(id).await?;
        // A panic in a third-party reader must not take the daemon down: the message is
        // given to staff instead, with exactly one outcome.
        let decided = AssertUnwindSafe(async {
            if let Some(o) = oversize {
                return self.too_large(id, raw, source, o).await;
            }
            match mime::parse_mail(raw) {
                Ok(mail) => self.decide(id, &mail).await,
                Err(e) => Ok(unreadable_message(&e.to_string(), source)),
            }
        })
        .catch_unwind()
        .await;
        let mut write = match decided {
            Ok(result) => result?,
            Err(_) => {
                warn!("processing panicked; flagged for staff");
                unreadable_message("processing failed unexpectedly", source)
            }
        };
        write.lease_owner = owner.map(str::to_string);
        info!(kind = %write.kind, outcome = %write.outcome, "outcome");
        self.store.commit_outcome(id, &write).await?;
        Ok(())
    }

    /// The handler of the classified kind.
    async fn dispatch(&self, cx: &Context<'_>) -> Result<Handled, PipelineError> {
        Ok(match cx.class.kind {
            Kind::ListSubmission => handle::list::handle(self.store, cx).await?,
            Kind::AccessRequest => handle::access::handle(self.store, cx).await?,
            Kind::InvoiceCopyRequest => handle::invoice::handle(self.store, cx).await?,
            Kind::ChangeRequest | Kind::Question => {
                handle::other::flag_and_acknowledge(self.store, cx, cx.class.kind).await?
            }
            Kind::AutoReply => handle::other::auto_reply(),
            Kind::Bounce => handle::other::bounce(cx),
        })
    }

    /// The conversation a mail belongs to: by In-Reply-To/References, else by the thread
    /// token in its subject.
    async fn conversation_of(
        &self,
        mail: &Mail,
        class: &Classification,
    ) -> Result<Option<i64>, PipelineError> {
        let mut ids: Vec<String> = mail.references.clone();
        ids.extend(mail.in_reply_to.iter().cloned());
        let mut conversation = self.store.conversation_of_message_ids(&ids).await?;
        if conversation.is_none() {
            if let Some(token) = &class.references.thread_token {
                conversation = self.store.conversation_by_token(token).await?;
            }
        }
        Ok(conversation)
    }

    /// A message over `imap.max_message_bytes` (only its header was stored): quarantined.
    /// Its kind is what its header tells; staff get it flagged `message_too_large`, and its
    /// sender, under the usual rules, a reply saying it was not read and asking for the list
    /// as a smaller file or over several mails. The source files it in the failed folder.
    async fn too_large(
        &self,
        id: i64,
        raw: &[u8],
        source: &str,
        oversize: Oversize,
    ) -> Result<OutcomeWrite, PipelineError> {
        let warning = format!(
            "message of {} bytes is over the limit of {} bytes: not read",
            oversize.size, oversize.limit
        );
        let head = &raw[..header_end(raw)];
        let mail = match mime::parse_mail(head) {
            Ok(mail) => mail,
            Err(e) => {
                let mut write = unreadable_message(&e.to_string(), source);
                write
                    .flags
                    .push(("message_too_large".into(), Some(warning)));
                return Ok(write);
            }
        };
        let class = classify::classify(&mail);
        let conversation = self.conversation_of(&mail, &class).await?;
        let mut handled = Handled::new(class.kind, "flagged");
        handled.flags.push("message_too_large".into());
        handled.warnings.push(warning);
        let mut context = handle::base_context(self.settings);
        context.insert("size".into(), oversize.size.into());
        context.insert("limit".into(), oversize.limit.into());
        handled.reply = Some(handle::ReplyPlan {
            template: "too_large",
            token: class
                .references
                .thread_token
                .clone()
                .unwrap_or_else(|| format!("TP-{id}")),
            context: serde_json::Value::Object(context),
            to: None,
        });
        warn!(
            size = oversize.size,
            limit = oversize.limit,
            "message over the size limit quarantined"
        );
        self.outcome_write(id, &mail, &class, conversation, handled)
            .await
    }

    async fn decide(&self, id: i64, mail: &Mail) -> Result<OutcomeWrite, PipelineError> {
        let mut class = classify::classify(mail);
        let conversation = self.conversation_of(mail, &class).await?;
        let thread = match conversation {
            Some(c) => self.store.thread(c).await?,
            None => Vec::new(),
        };
        // A reply in the thread of an access request still missing details completes it.
        if matches!(
            class.kind,
            Kind::Question | Kind::AccessRequest | Kind::ChangeRequest
        ) && handle::access::continues_request(self.store, &thread).await?
        {
            class.kind = Kind::AccessRequest;
            if class.access.is_none() {
                class.access = Some(classify::extract_access(mail));
            }
        }
        let context = |class| Context {
            message: id,
            mail,
            class,
            settings: self.settings,
            thread: &thread,
            exe: &self.exe,
        };
        let mut handled = self.dispatch(&context(&class)).await?;
        // A readable spreadsheet holding no people (a form, say) beside words that ask for
        // something else: the words decide, and the parsed files are kept for staff.
        if class.kind == Kind::ListSubmission
            && matches!(
                class.words_kind,
                Kind::AccessRequest | Kind::InvoiceCopyRequest | Kind::ChangeRequest
            )
            && handle::list::readable_without_people(&handled)
        {
            let mut by_words = class.clone();
            by_words.kind = class.words_kind;
            if by_words.kind == Kind::AccessRequest && by_words.access.is_none() {
                by_words.access = Some(classify::extract_access(mail));
            }
            let attachments = std::mem::take(&mut handled.attachments);
            handled = self.dispatch(&context(&by_words)).await?;
            handled.attachments = attachments;
            class = by_words;
        }
        self.outcome_write(id, mail, &class, conversation, handled)
            .await
    }

    /// Apply the sending rules, render the reply, and assemble everything to commit.
    async fn outcome_write(
        &self,
        id: i64,
        mail: &Mail,
        class: &Classification,
        conversation: Option<i64>,
        mut handled: Handled,
    ) -> Result<OutcomeWrite, PipelineError> {
        let mut staff_flags: Vec<(String, Option<String>)> =
            handled.flags.iter().map(|f| (f.clone(), None)).collect();
        let mut outbox = Vec::new();
        let mut reply_template = None;
        let mut token = None;
        let mut conversation_ids: Vec<String> = mail.message_id.iter().cloned().collect();
        if let Some(plan) = handled.reply.take() {
            token = Some(plan.token.clone());
            let to = plan
                .to
                .clone()
                .or_else(|| mail.reply_to.clone())
                .or_else(|| mail.from_address.clone());
            match to {
                _ if class.never_answer
                    || matches!(handled.kind, Kind::AutoReply | Kind::Bounce) => {}
                None => handled.warnings.push("no sender address to answer".into()),
                Some(to) => {
                    let since = Utc::now() - Duration::days(1);
                    let sent_today = self.store.replies_to_since(&to, since).await?;
                    if sent_today >= self.settings.rules.max_replies_per_address_per_day {
                        staff_flags.push((
                            "reply_limit".into(),
                            Some(format!("{sent_today} replies in a day")),
                        ));
                        handled
                            .warnings
                            .push("daily reply limit reached: not answered".into());
                    } else {
                        let held = self.store.is_undeliverable(&to).await?;
                        if held {
                            staff_flags.push((
                                "undeliverable".into(),
                                Some("reply held: address bounced before".into()),
                            ));
                        }
                        match self.render_reply(id, mail, &plan, &to, class) {
                            Ok((message_id, subject, eml)) => {
                                conversation_ids.push(message_id.clone());
                                reply_template = Some(plan.template.to_string());
                                outbox.push(OutboxWrite {
                                    template: plan.template.to_string(),
                                    to_address: to,
                                    subject,
                                    message_id,
                                    eml,
                                    held,
                                });
                            }
                            Err(e) => {
                                warn!(error = %e, "reply not rendered");
                                staff_flags.push(("reply_failed".into(), Some(e.to_string())));
                            }
                        }
                    }
                }
            }
        }
        let report = serde_json::json!({
            "message_id": mail.message_id,
            "kind": handled.kind.as_str(),
            "outcome": handled.outcome,
            "queries": handled.queries,
            "flags": handled.flags,
            "list_number": handled.list_number,
            "reply_template": reply_template,
            "line_status": handled.line_status,
            "access_request": handled.access_request,
            "lang": reply::lang_dir(class.lang),
            "warnings": handled.warnings,
        });
        Ok(OutcomeWrite {
            kind: handled.kind.as_str().to_string(),
            lang: reply::lang_dir(class.lang).to_string(),
            outcome: handled.outcome.clone(),
            list_number: handled.list_number.clone(),
            reply_template,
            from_address: mail.from_address.clone(),
            subject: mail.subject.clone(),
            report_json: report.to_string(),
            conversation,
            conversation_token: token,
            conversation_ids,
            flags: staff_flags,
            attachments: handled.attachments,
            mark_submitted: handled.mark_submitted,
            access: handled.access_write,
            outbox,
            bounced_outbox_message_id: handled.bounced_outbox_message_id,
            undeliverable: handled.undeliverable,
            audit: vec![(
                "outcome".into(),
                format!("{} {}", handled.kind.as_str(), handled.outcome),
            )],
            lease_owner: None,
        })
    }

    fn render_reply(
        &self,
        id: i64,
        mail: &Mail,
        plan: &handle::ReplyPlan,
        to: &str,
        class: &Classification,
    ) -> Result<(String, String, Vec<u8>), reply::ReplyError> {
        let mut context = plan.context.clone();
        if let Some(map) = context.as_object_mut() {
            map.insert("token".into(), plan.token.clone().into());
        }
        let rendered = reply::render(plan.template, class.lang, &context)?;
        let message_id = format!(
            "tp.{id}.{:016x}@{}",
            rand::random::<u64>(),
            self.settings.mail.domain
        );
        let mut references = mail.references.clone();
        if let Some(own) = &mail.message_id {
            references.push(own.clone());
        }
        let envelope = Envelope {
            from_address: &self.settings.mail.address,
            from_name: &self.settings.mail.display_name,
            to,
            in_reply_to: mail.message_id.as_deref(),
            references,
            message_id: &message_id,
            date: Utc::now(),
        };
        let eml = reply::build_eml(&envelope, &rendered)?;
        Ok((message_id, rendered.subject, eml))
    }
}

/// Where the header block ends (after its blank line), or the whole length.
fn header_end(raw: &[u8]) -> usize {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(raw.len()),
    }
}

/// A message mail-parser cannot read still gets exactly one outcome: staff look at it.
fn unreadable_message(error: &str, source: &str) -> OutcomeWrite {
    let report = serde_json::json!({
        "message_id": null, "kind": "question", "outcome": "flagged", "queries": [],
        "flags": ["question"], "list_number": null, "reply_template": null,
        "line_status": null, "access_request": null, "warnings": [format!("unreadable message: {error}")],
    });
    OutcomeWrite {
        kind: "question".into(),
        lang: "nb".into(),
        outcome: "flagged".into(),
        subject: String::new(),
        report_json: report.to_string(),
        flags: vec![(
            "unreadable_message".into(),
            Some(format!("{source}: {error}")),
        )],
        ..Default::default()
    }
}

/// Send what is due, once each; failures are retried with back-off and jitter, then dead.
/// The replies of one drain share the sink's connection; it is released when the drain ends.
pub async fn drain_outbox(
    store: &impl Store,
    sink: &impl Sink,
    settings: &Settings,
) -> Result<usize, StoreError> {
    let result = drain(store, sink, settings).await;
    sink.idle().await;
    result
}

async fn drain(
    store: &impl Store,
    sink: &impl Sink,
    settings: &Settings,
) -> Result<usize, StoreError> {
    let leases = Leases::new(store, settings);
    let mut sent = 0;
    loop {
        let now = Utc::now();
        let due = store
            .claim_outbox(leases.owner, now, now + leases.lease, 50)
            .await?;
        if due.is_empty() {
            return Ok(sent);
        }
        let ids: Vec<i64> = due.iter().map(|r| r.id).collect();
        leases.hold(Held::Outbox, &ids);
        let batch = leases
            .while_working(send_batch(store, sink, settings, &leases, due))
            .await;
        for id in ids {
            leases.release(Held::Outbox, id);
        }
        let n = batch?;
        sent += n;
        if n == 0 {
            return Ok(sent);
        }
    }
}

/// Send claimed rows one after another; returns how many were sent.
async fn send_batch<S: Store>(
    store: &S,
    sink: &impl Sink,
    settings: &Settings,
    leases: &Leases<'_, S>,
    due: Vec<OutboxRow>,
) -> Result<usize, StoreError> {
    let mut sent = 0;
    for row in due {
        let span = info_span!("outbox", id = row.id, template = %row.template);
        // leases: send only a row still ours, and keep it ours for the send (the renewal
        // beside the batch keeps extending it while the send takes).
        let until = Utc::now() + leases.lease;
        if store
            .renew_outbox_leases(leases.owner, &[row.id], until)
            .await?
            .is_empty()
        {
            leases.release(Held::Outbox, row.id);
            warn!(
                id = row.id,
                "lease lost: the reply is another daemon's now; not sent"
            );
            continue;
        }
        let result = sink
            .send(row.id, &row.to_address, &row.template, &row.eml)
            .instrument(span)
            .await;
        leases.release(Held::Outbox, row.id);
        match result {
            Ok(()) => {
                store.mark_sent(row.id, Utc::now()).await?;
                sent += 1;
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                let dead = matches!(e, SinkError::Permanent(_))
                    || attempts >= settings.outbox.max_attempts;
                let next = Utc::now() + backoff(settings, attempts);
                warn!(id = row.id, attempts, dead, error = %e, "reply not sent");
                store
                    .mark_failed(row.id, &e.to_string(), next, dead)
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// This process's name on the leases it holds (several daemons may share one database).
pub fn lease_owner() -> &'static str {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER.get_or_init(|| format!("pid{}-{:08x}", std::process::id(), rand::random::<u32>()))
}

/// How long a claimed message or outbox row stays ours without renewal.
fn lease(settings: &Settings) -> Duration {
    Duration::seconds(settings.daemon.lease_secs.max(1))
}

/// What a lease is held on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Message,
    Outbox,
}

/// leases: the claims this daemon is working on, renewed every third of the lease while the
/// work runs, so a living daemon keeps them however long a message or a send takes, and a
/// dead one's run out after `daemon.lease_secs`. Renewal only extends; whether a claim is
/// still ours is decided where it matters, in the store: an outcome commits only under its
/// holder's lease, and a reply is sent only after its lease was extended once more.
struct Leases<'a, S: Store> {
    store: &'a S,
    owner: &'static str,
    lease: Duration,
    messages: Mutex<Vec<i64>>,
    outbox: Mutex<Vec<i64>>,
}

impl<'a, S: Store> Leases<'a, S> {
    fn new(store: &'a S, settings: &Settings) -> Self {
        Leases {
            store,
            owner: lease_owner(),
            lease: lease(settings),
            messages: Mutex::new(Vec::new()),
            outbox: Mutex::new(Vec::new()),
        }
    }

    fn ids(&self, what: Held) -> std::sync::MutexGuard<'_, Vec<i64>> {
        let m = match what {
            Held::Message => &self.messages,
            Held::Outbox => &self.outbox,
        };
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn hold(&self, what: Held, ids: &[i64]) {
        self.ids(what).extend_from_slice(ids);
    }

    fn release(&self, what: Held, id: i64) {
        self.ids(what).retain(|i| *i != id);
    }

    /// Extend every lease held; those no longer ours are forgotten.
    async fn renew(&self) {
        for what in [Held::Message, Held::Outbox] {
            let ids = self.ids(what).clone();
            if ids.is_empty() {
                continue;
            }
            let until = Utc::now() + self.lease;
            let renewed = match what {
                Held::Message => {
                    self.store
                        .renew_message_leases(self.owner, &ids, until)
                        .await
                }
                Held::Outbox => {
                    self.store
                        .renew_outbox_leases(self.owner, &ids, until)
                        .await
                }
            };
            match renewed {
                Ok(kept) => {
                    let gone: Vec<i64> =
                        ids.iter().copied().filter(|i| !kept.contains(i)).collect();
                    if !gone.is_empty() {
                        // Finished meanwhile, or taken over: either way not ours to renew.
                        debug!(?what, ?gone, "leases no longer held");
                        self.ids(what).retain(|i| !gone.contains(i));
                    }
                    debug!(?what, renewed = kept.len(), "leases renewed");
                }
                // Tried again at the next round; the lease has two more thirds to run.
                Err(e) => warn!(error = %e, "cannot renew leases"),
            }
        }
    }

    async fn renew_forever(&self) {
        let every = (self.lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(1))
            .max(std::time::Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            self.renew().await;
        }
    }

    /// Run `work` with the renewal beside it (polled together, so a renewal waiting for the
    /// database never holds the work up).
    async fn while_working<F: std::future::Future>(&self, work: F) -> F::Output {
        tokio::pin!(work);
        tokio::select! {
            biased;
            out = &mut work => out,
            () = self.renew_forever() => work.await,
        }
    }
}

/// Exponential back-off with up to 25 % jitter, capped.
pub fn backoff(settings: &Settings, attempts: i64) -> Duration {
    let base = settings.outbox.retry_base_secs.max(1);
    let exp = base
        .saturating_mul(1_i64 << attempts.clamp(0, 20))
        .min(settings.outbox.retry_max_secs.max(base));
    let jitter = (exp as f64 * 0.25 * rand::random::<f64>()) as i64;
    Duration::seconds(exp + jitter)
}

/// Files of the import folder not imported before (by content), imported together.
pub async fn import_folder(
    store: &impl Store,
    dir: &Path,
) -> Result<crate::store::ImportSummary, ImportRunError> {
    let mut paths = Vec::new();
    collect_files(dir, &mut paths)
        .map_err(|e| ImportRunError::Io(format!("{}: {e}", dir.display())))?;
    import_files(store, &paths, true).await
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.ends_with(".md") {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ImportRunError {
    #[error("{0}")]
    Read(#[from] crate::import::ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

/// Read every file first; any error rejects the whole import before anything is written.
pub async fn import_files(
    store: &impl Store,
    paths: &[PathBuf],
    skip_known: bool,
) -> Result<crate::store::ImportSummary, ImportRunError> {
    let mut files = Vec::new();
    let mut skipped = 0;
    for path in paths {
        let bytes = std::fs::read(path)
            .map_err(|e| ImportRunError::Io(format!("{}: {e}", path.display())))?;
        let sha = crate::store::sqlite::sha256_hex(&bytes);
        if skip_known && store.is_imported(&sha).await? {
            skipped += 1;
            continue;
        }
        let name = path.display().to_string();
        let batch = crate::import::read_import_bytes(&name, &bytes)?;
        files.push(crate::store::ImportFile {
            file_name: name,
            sha256: sha,
            batch,
        });
    }
    let mut summary = if files.is_empty() {
        crate::store::ImportSummary::default()
    } else {
        store.apply_import(&files).await?
    };
    summary.skipped_known = skipped;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    fn settings(lease_secs: i64) -> Settings {
        let env = vec![(
            "TREKKPOST__DAEMON__LEASE_SECS".to_string(),
            lease_secs.to_string(),
        )];
        Settings::load_with_env(None, env).expect("settings")
    }

    async fn store(dir: &tempfile::TempDir) -> SqliteStore {
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        SqliteStore::open(&url).await.expect("store")
    }

    fn question(n: usize) -> Vec<u8> {
        format!(
            "From: Kari <kari@firma.example>\r\nTo: trekklister@union.example\r\n\
             Subject: Spørsmål {n}\r\nMessage-ID: <q{n}@firma.example>\r\n\r\nHei, et spørsmål.\r\n"
        )
        .into_bytes()
    }

    /// A sink that records what it was asked to send. During the first send another daemon
    /// (`thief`) takes the replies over, as if this one had stalled past its lease.
    struct Recording {
        sent: Mutex<Vec<i64>>,
        thief: SqliteStore,
    }

    impl Sink for Recording {
        async fn send(&self, id: i64, _: &str, _: &str, _: &[u8]) -> Result<(), SinkError> {
            let first = {
                let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
                sent.push(id);
                sent.len() == 1
            };
            if first {
                let far = Utc::now() + Duration::seconds(3600);
                let taken = self
                    .thief
                    .claim_outbox("other", far, far + Duration::seconds(60), 10)
                    .await
                    .map_err(|e| SinkError::Temporary(e.to_string()))?;
                // Both rows, the one in flight too (the jump is far past its lease).
                assert_eq!(taken.len(), 2);
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_outcome_is_not_committed_under_a_lost_lease() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir).await;
        let settings = settings(60);
        let pipeline = Pipeline::new(&store, &settings);
        let stored = store
            .store_raw("q.eml", &question(1), Some("q1@firma.example"), None)
            .await
            .expect("store");
        let now = Utc::now();
        // "one" claimed it, stalled past its lease, and "two" took it over.
        store
            .claim_messages("one", now, now + Duration::seconds(1), 1)
            .await
            .expect("claim");
        let later = now + Duration::seconds(2);
        store
            .claim_messages("two", later, later + Duration::seconds(60), 1)
            .await
            .expect("take over");
        let lost = pipeline.process_as(stored.id, Some("one")).await;
        assert!(
            matches!(lost, Err(PipelineError::Store(StoreError::LeaseLost(_)))),
            "{lost:?}"
        );
        let m = store
            .message(stored.id)
            .await
            .expect("message")
            .expect("row");
        assert_eq!(m.state, "stored", "nothing committed");
        assert_eq!(store.outbox_counts().await.expect("outbox"), vec![]);
        pipeline
            .process_as(stored.id, Some("two"))
            .await
            .expect("the holder commits");
        let m = store
            .message(stored.id)
            .await
            .expect("message")
            .expect("row");
        assert_eq!(m.state, "done");
        assert_eq!(
            store.outbox_counts().await.expect("outbox"),
            vec![("pending".to_string(), 1)]
        );
    }

    #[tokio::test]
    async fn a_reply_whose_lease_was_taken_over_is_not_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir).await;
        let settings = settings(60);
        let pipeline = Pipeline::new(&store, &settings);
        for n in 0..2 {
            let stored = store
                .store_raw(&format!("q{n}.eml"), &question(n), None, None)
                .await
                .expect("store");
            pipeline.process(stored.id).await.expect("process");
        }
        let sink = Recording {
            sent: Mutex::new(Vec::new()),
            thief: store.clone(),
        };
        let sent = drain_outbox(&store, &sink, &settings).await.expect("drain");
        assert_eq!(sent, 1, "only the reply still ours");
        let asked = sink.sent.lock().expect("sent").clone();
        assert_eq!(
            asked.len(),
            1,
            "the other reply never reached the sink: {asked:?}"
        );
        assert_eq!(
            store.outbox_counts().await.expect("outbox"),
            vec![("pending".to_string(), 1), ("sent".to_string(), 1)]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn leases_are_renewed_while_the_work_takes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir).await;
        let settings = settings(3);
        let stored = store
            .store_raw("q.eml", &question(1), None, None)
            .await
            .expect("store");
        let leases = Leases::new(&store, &settings);
        let now = Utc::now();
        let first_until = now + leases.lease;
        store
            .claim_messages(leases.owner, now, first_until, 1)
            .await
            .expect("claim");
        leases.hold(Held::Message, &[stored.id]);
        // Work that outlasts the lease: renewed every second, nobody can take it meanwhile.
        leases
            .while_working(async {
                tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
                let after = Utc::now();
                assert!(after > first_until);
                let others = store
                    .claim_messages("other", after, after + Duration::seconds(60), 1)
                    .await
                    .expect("claim");
                assert!(others.is_empty(), "the lease was renewed: {others:?}");
            })
            .await;
        // Without renewal it runs out and is taken over.
        let later = Utc::now() + Duration::seconds(4);
        let others = store
            .claim_messages("other", later, later + Duration::seconds(60), 1)
            .await
            .expect("claim");
        assert_eq!(others, vec![stored.id]);
    }
}
