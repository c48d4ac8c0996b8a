//! The store: everything trekkpost keeps. Handlers and the pipeline see only the [`Store`]
//! trait and the plain records below; `sqlite` and `postgres` implement it, and [`AnyStore`]
//! picks one by the database URL.
use crate::import::ImportBatch;
use chrono::{DateTime, NaiveDate, Utc};

pub mod any;
pub mod copy;
pub mod postgres;
pub mod sqlite;
pub use any::AnyStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{file}:{line}: {reason}")]
    Reference {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// What an outcome was decided on changed meanwhile (another daemon): decide again.
    #[error("changed while deciding: {0}")]
    Conflict(String),
    /// leases: the lease on a message or outbox row is no longer this daemon's (it ran out
    /// and another daemon took the work over): nothing of this daemon's work was written.
    #[error("lease lost: {0}")]
    LeaseLost(String),
}

impl StoreError {
    /// SQLite refused a write because another connection wrote meanwhile (busy, or a read
    /// snapshot gone stale): nothing was written, and trying again is right.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e))
                if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() =>
            {
                // SQLITE_BUSY (5) and its extended codes, e.g. BUSY_SNAPSHOT (517).
                e.code()
                    .and_then(|c| c.parse::<i64>().ok())
                    .is_some_and(|c| c & 0xff == 5)
            }
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq)]
pub struct Employer {
    pub employer_id: String,
    pub org_number: String,
    pub name: String,
    pub contact_emails: Vec<String>,
    pub invoice_email: Option<String>,
    pub uses_winorg: bool,
}

impl Employer {
    /// Where replies about lists and reminders go.
    pub fn addresses(&self) -> Vec<String> {
        self.contact_emails
            .iter()
            .chain(self.invoice_email.iter())
            .cloned()
            .collect()
    }
}

/// An issued list with its invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedList {
    pub list_number: String,
    pub employer_id: String,
    pub period: String,
    pub issued_date: NaiveDate,
    pub due_date: NaiveDate,
    pub invoice_number: String,
    pub kid: String,
    pub invoice_amount_ore: i64,
    pub submitted_message: Option<i64>,
    pub submitted_total_ore: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub source_ref: String,
    pub payment_date: NaiveDate,
    pub amount_ore: i64,
    pub kid: Option<String>,
    pub list_number: Option<String>,
}

/// An issued line, with the list it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonOnList {
    pub list_number: String,
    pub member_number: String,
    pub name: String,
    pub national_id: Option<String>,
    pub amount_ore: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessRequestRow {
    pub id: i64,
    pub fields: crate::classify::AccessFields,
    pub status: crate::decide::access::AccessStatus,
    pub employer_id: Option<String>,
    pub first_message: Option<i64>,
    pub last_message: Option<i64>,
    pub reason: Option<String>,
}

/// One message as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub id: i64,
    pub message_id: Option<String>,
    pub source: String,
    pub arrival: Option<DateTime<Utc>>,
    pub state: String,
    pub report_json: Option<String>,
    pub conversation: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub message: Option<i64>,
    pub template: String,
    pub to_address: String,
    pub message_id: String,
    pub eml: Vec<u8>,
    pub attempts: i64,
}

/// A message over `imap.max_message_bytes`, stored as its header only: how big it was and
/// the limit in force when it was fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversize {
    pub size: i64,
    pub limit: i64,
}

/// The result of storing a raw message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    /// It already had its outcome: nothing more to do.
    pub done: bool,
}

/// A message of a conversation, as the handlers need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadMessage {
    pub id: i64,
    pub kind: Option<String>,
    pub list_number: Option<String>,
    pub access_request: Option<i64>,
}

/// A parsed attachment to keep, with its lines and their match status.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentWrite {
    pub file_name: Option<String>,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub parsed: Option<crate::parse::ParsedList>,
    /// Per parsed line: (status, matched member number).
    pub line_status: Vec<(Option<String>, Option<String>)>,
}

/// An access request to create or update.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessWrite {
    /// None: create.
    pub id: Option<i64>,
    pub fields: crate::classify::AccessFields,
    pub status: crate::decide::access::AccessStatus,
    pub employer_id: Option<String>,
}

/// A reply, rendered, to put in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxWrite {
    pub template: String,
    pub to_address: String,
    pub subject: String,
    pub message_id: String,
    pub eml: Vec<u8>,
    /// `held`: not sent (undeliverable address); otherwise `pending`.
    pub held: bool,
}

/// Everything one message's outcome writes, committed in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutcomeWrite {
    pub kind: String,
    pub lang: String,
    pub outcome: String,
    pub list_number: Option<String>,
    pub reply_template: Option<String>,
    pub from_address: Option<String>,
    pub subject: String,
    pub report_json: String,
    /// Existing conversation, else one is created with `conversation_token`.
    pub conversation: Option<i64>,
    pub conversation_token: Option<String>,
    /// Message-IDs to file under the conversation (this mail's and the reply's).
    pub conversation_ids: Vec<String>,
    pub flags: Vec<(String, Option<String>)>,
    pub attachments: Vec<AttachmentWrite>,
    /// The list whose submission this confirmed, with the submitted total.
    pub mark_submitted: Option<(String, i64)>,
    pub access: Option<AccessWrite>,
    pub outbox: Vec<OutboxWrite>,
    /// A bounce: the outbox row it bounces and the addresses to mark undeliverable.
    pub bounced_outbox_message_id: Option<String>,
    pub undeliverable: Vec<String>,
    pub audit: Vec<(String, String)>,
    /// leases: commit only while this owner holds the message's lease; otherwise nothing is
    /// written and the commit fails with [`StoreError::LeaseLost`]. None: no lease check
    /// (staff re-runs, tests).
    pub lease_owner: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub files: usize,
    pub skipped_known: usize,
    pub rows: usize,
}

/// A file of reference data, read and ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportFile {
    pub file_name: String,
    pub sha256: String,
    pub batch: ImportBatch,
}

/// An overdue-list candidate: due date passed (SPEC §9).
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueCandidate {
    pub list: IssuedList,
    pub received: bool,
    pub paid: bool,
    pub reminders: Vec<DateTime<Utc>>,
}

/// An access request waiting for details.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingAccess {
    pub request: AccessRequestRow,
    pub waiting_since: DateTime<Utc>,
    pub reminders: Vec<DateTime<Utc>>,
}

/// Open flags of one kind, for the staff digest.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagCount {
    pub kind: String,
    pub count: i64,
    pub oldest: Option<DateTime<Utc>>,
}

/// A reminder to record with the job run that sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderWrite {
    pub kind: String,
    pub subject_key: String,
}

// transport
/// What the daemon last knew of one connection (`source` or `sink`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransportStatus {
    pub connected: bool,
    pub last_poll: Option<DateTime<Utc>>,
    /// Mails waiting in the mailbox at the last poll.
    pub waiting: Option<i64>,
    pub last_error: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The store as the pipeline, the handlers and the commands use it.
#[allow(async_fn_in_trait)]
pub trait Store {
    // reference data
    /// Apply files of reference data in one transaction: all or nothing. A row that refers
    /// to something unknown fails the whole import with its `file:line`.
    async fn apply_import(&self, files: &[ImportFile]) -> Result<ImportSummary>;
    async fn is_imported(&self, sha256: &str) -> Result<bool>;
    async fn table_counts(&self) -> Result<Vec<(String, i64)>>;

    async fn employer(&self, employer_id: &str) -> Result<Option<Employer>>;
    async fn employer_by_org(&self, org_number: &str) -> Result<Option<Employer>>;
    async fn employer_by_contact(&self, address: &str) -> Result<Option<Employer>>;
    async fn employers_by_domain(&self, domain: &str) -> Result<Vec<Employer>>;
    async fn list(&self, list_number: &str) -> Result<Option<IssuedList>>;
    async fn lists_of_employer(&self, employer_id: &str) -> Result<Vec<IssuedList>>;
    async fn list_by_invoice_or_kid(&self, number: &str) -> Result<Option<IssuedList>>;
    async fn issued_lines(&self, list_number: &str) -> Result<Vec<PersonOnList>>;
    /// Issued lines of lists with a period at or after `period` (for identification by overlap).
    async fn issued_lines_since(&self, period: &str) -> Result<Vec<PersonOnList>>;
    async fn latest_period(&self) -> Result<Option<String>>;
    async fn payments_for_list(&self, list_number: &str) -> Result<Vec<Payment>>;

    // messages
    /// Keep the raw bytes (content-addressed) and a message row; committed before anything else.
    async fn store_raw(
        &self,
        source: &str,
        bytes: &[u8],
        message_id: Option<&str>,
        arrival: Option<DateTime<Utc>>,
    ) -> Result<Stored>;
    /// Keep a message over the size limit: its header (content-addressed like any message)
    /// and, in the same transaction, the marks that make the pipeline quarantine it.
    async fn store_oversize(
        &self,
        source: &str,
        header: &[u8],
        message_id: Option<&str>,
        arrival: Option<DateTime<Utc>>,
        oversize: Oversize,
    ) -> Result<Stored>;
    /// The size marks of a message stored by `store_oversize` (None for any other).
    async fn oversize(&self, id: i64) -> Result<Option<Oversize>>;
    /// Messages stored but without an outcome (a crash came between).
    async fn unprocessed_messages(&self) -> Result<Vec<i64>>;
    async fn raw_message(&self, id: i64) -> Result<Option<Vec<u8>>>;
    async fn message(&self, id: i64) -> Result<Option<MessageRow>>;
    async fn messages(&self) -> Result<Vec<MessageRow>>;
    async fn conversation_of_message_ids(&self, ids: &[String]) -> Result<Option<i64>>;
    async fn conversation_by_token(&self, token: &str) -> Result<Option<i64>>;
    async fn thread(&self, conversation: i64) -> Result<Vec<ThreadMessage>>;
    async fn access_request(&self, id: i64) -> Result<Option<AccessRequestRow>>;
    async fn access_request_by_key(
        &self,
        org_number: &str,
        email: &str,
    ) -> Result<Option<AccessRequestRow>>;
    async fn access_requests(&self) -> Result<Vec<AccessRequestRow>>;
    /// Replies queued to an address since a time (for the daily cap).
    async fn replies_to_since(&self, address: &str, since: DateTime<Utc>) -> Result<i64>;
    async fn is_undeliverable(&self, address: &str) -> Result<bool>;
    /// Commit a message's outcome with all it writes, the outbox rows included.
    async fn commit_outcome(&self, message: i64, write: &OutcomeWrite) -> Result<()>;

    // outbox
    async fn due_outbox(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>>;
    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    /// Record a failed attempt; the row goes dead (and is flagged) when `dead` is set.
    async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt: DateTime<Utc>,
        dead: bool,
    ) -> Result<()>;
    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>>;

    // staff decisions and the audit log
    async fn decide_access_request(
        &self,
        id: i64,
        status: crate::decide::access::AccessStatus,
        actor: &str,
        reason: Option<&str>,
        reply: Option<&OutboxWrite>,
    ) -> Result<()>;

    // schedule
    /// The last cron tick a job served.
    async fn last_job_tick(&self, job: &str) -> Result<Option<DateTime<Utc>>>;
    /// Lists whose due date is before `date`, with what was received and reminded.
    async fn overdue_candidates(&self, date: NaiveDate) -> Result<Vec<OverdueCandidate>>;
    async fn waiting_access_requests(&self) -> Result<Vec<WaitingAccess>>;
    async fn open_flag_counts(&self) -> Result<Vec<FlagCount>>;
    /// Record a job's run for `tick` with its reminders and mail, all or nothing. False when
    /// the tick was already served (by an earlier run or another daemon): nothing is written.
    async fn record_job_run(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        at: DateTime<Utc>,
        reminders: &[ReminderWrite],
        outbox: &[OutboxWrite],
    ) -> Result<bool>;
    /// The language the latest report of a message was answered in.
    async fn message_lang(&self, id: i64) -> Result<Option<String>>;

    // web: staff accounts, sessions and the triage UI (SPEC §8)
    /// Create a staff account, or set a new password and enable it again.
    async fn staff_upsert(&self, email: &str, password_hash: &str, actor: &str) -> Result<()>;
    /// Enable or disable an account; disabling ends its sessions. False: no such account.
    async fn staff_set_active(&self, email: &str, active: bool, actor: &str) -> Result<bool>;
    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffAccount>>;
    async fn session_create(
        &self,
        token_sha256: &str,
        staff_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// The session, when its account is still active.
    async fn session_get(&self, token_sha256: &str) -> Result<Option<StaffSession>>;
    async fn session_touch(&self, token_sha256: &str, at: DateTime<Utc>) -> Result<()>;
    async fn session_delete(&self, token_sha256: &str) -> Result<()>;
    /// Flags, oldest mail first.
    async fn queue(&self, filter: &QueueFilter) -> Result<Vec<QueueItem>>;
    async fn queue_item(&self, flag_id: i64) -> Result<Option<QueueItem>>;
    async fn flags_of_message(&self, message: i64) -> Result<Vec<QueueItem>>;
    /// Close an open flag with the staff member's note. False when it was not open.
    async fn resolve_flag(&self, flag_id: i64, actor: &str, note: &str) -> Result<bool>;
    async fn message_detail(&self, id: i64) -> Result<Option<MessageDetail>>;
    async fn conversation_messages(&self, conversation: i64) -> Result<Vec<MessageDetail>>;
    async fn messages_of_employer(&self, employer_id: &str) -> Result<Vec<MessageDetail>>;
    async fn attachments_of(&self, message: i64) -> Result<Vec<AttachmentInfo>>;
    async fn parsed_lines_of(&self, message: i64) -> Result<Vec<ParsedLineRow>>;
    async fn parsed_line(&self, id: i64) -> Result<Option<ParsedLineRow>>;
    /// Replies queued for these messages, oldest first.
    async fn outbox_of_messages(&self, messages: &[i64]) -> Result<Vec<OutboxInfo>>;
    async fn outbox_row(&self, id: i64) -> Result<Option<OutboxInfo>>;
    /// Outbox rows in state `dead`.
    async fn dead_letters(&self) -> Result<Vec<OutboxInfo>>;
    /// A dead letter back to `pending`, sent at the next drain; its flag resolved. False when
    /// it was not dead.
    async fn retry_dead_letter(&self, outbox: i64, actor: &str) -> Result<bool>;
    /// A dead letter given up (`discarded`); its flag resolved with the note.
    async fn discard_dead_letter(&self, outbox: i64, actor: &str, note: &str) -> Result<bool>;
    /// A reply written by staff, queued with an audit entry, filed under the conversation.
    async fn queue_staff_reply(&self, message: i64, reply: &OutboxWrite, actor: &str)
        -> Result<()>;
    /// Staff move a mail to another list; kept over later re-runs.
    async fn reassign_message(
        &self,
        message: i64,
        list_number: &str,
        actor: &str,
        note: &str,
    ) -> Result<()>;
    /// Prepare a processed message for a re-run: its derived rows (attachments, parsed
    /// lines, open automatic flags) go, it is `stored` again, and replies its new outcome
    /// queues are held. Staff-resolved flags and decisions stay. False when not processed.
    async fn reopen_for_rerun(&self, message: i64, actor: &str) -> Result<bool>;
    /// After a re-run: release the hold and apply the staff's list override again.
    async fn finish_rerun(&self, message: i64, actor: &str) -> Result<()>;
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()>;
    /// Newest first; `subject` filters by prefix (e.g. `message:12`).
    async fn audit_entries(
        &self,
        actor: Option<&str>,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>>;
    async fn employers(&self) -> Result<Vec<Employer>>;
    async fn health_facts(&self) -> Result<HealthFacts>;
    /// New match status and matched member per parsed line `(id, status, member)`, after
    /// staff moved the mail to another list; audited as one change.
    async fn set_line_matches(
        &self,
        message: i64,
        matches: &[(i64, Option<String>, Option<String>)],
        actor: &str,
    ) -> Result<()>;
    /// The complete message of an outbox row, as sent (or to be sent).
    async fn outbox_eml(&self, id: i64) -> Result<Option<Vec<u8>>>;
    /// Forget sessions unused since `before` (they can no longer be used anyway).
    async fn session_purge(&self, before: DateTime<Utc>) -> Result<u64>;

    // transport
    /// UIDVALIDITY and the last UID taken from an IMAP mailbox.
    async fn imap_state(&self, mailbox: &str) -> Result<Option<(u32, u32)>>;
    async fn set_imap_state(&self, mailbox: &str, uid_validity: u32, last_uid: u32) -> Result<()>;
    /// The outbox row a Message-ID (without <>) belongs to.
    async fn outbox_id_by_message_id(&self, message_id: &str) -> Result<Option<i64>>;
    /// The send journal of an outbox row: `started` or `accepted`, and when it started.
    async fn smtp_journal(&self, outbox_id: i64) -> Result<Option<(String, DateTime<Utc>)>>;
    /// Record that a send begins (kept `accepted` when it already is).
    async fn smtp_journal_started(&self, outbox_id: i64) -> Result<()>;
    async fn smtp_journal_accepted(&self, outbox_id: i64) -> Result<()>;
    /// Pending outbox rows whose send was cut short: (outbox id, Message-ID).
    async fn smtp_in_doubt(&self) -> Result<Vec<(i64, String)>>;
    /// Forget a send the server certainly did not take (kept when already `accepted`).
    async fn smtp_journal_clear(&self, outbox_id: i64) -> Result<()>;
    async fn set_transport_status(&self, name: &str, status: &TransportStatus) -> Result<()>;
    /// When the earliest pending outbox row is due (the daemon wakes up for it).
    async fn next_outbox_attempt(&self) -> Result<Option<DateTime<Utc>>>;
    async fn transport_status(&self, name: &str) -> Result<Option<TransportStatus>>;

    // leases
    /// Claim up to `limit` stored messages without an outcome for `owner` until `until`:
    /// those nobody holds, whose lease ran out before `now`, or that `owner` holds already.
    /// Two daemons never get the same message while its lease runs.
    async fn claim_messages(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<i64>>;
    /// Claim up to `limit` pending outbox rows due at `now`, the same way as messages.
    async fn claim_outbox(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>>;
    /// Claim the filing of a mail out of the inbox (`key`: what it is) for `owner` until
    /// `until`: true when nobody else holds it (never claimed, run out before `now`, or
    /// `owner`'s already). Two daemons never move the same mail at once.
    async fn claim_filing(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool>;
    /// The mail was filed: let the claim go (should the mail come back, e.g. copied into
    /// the inbox again, it is filed again at once).
    async fn release_filing(&self, key: &str, owner: &str) -> Result<()>;
    /// Extend to `until` the leases `owner` still holds on these messages (still without an
    /// outcome). Returns the ids renewed; a missing one was taken over or finished.
    async fn renew_message_leases(
        &self,
        owner: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>>;
    /// Extend to `until` the leases `owner` still holds on these outbox rows (still
    /// pending). Returns the ids renewed.
    async fn renew_outbox_leases(
        &self,
        owner: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>>;
}

// web: records of the staff triage UI (SPEC §8).

/// A staff account; the password hash is an Argon2id PHC string.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffAccount {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub active: bool,
}

/// A live session of an active staff member.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StaffSession {
    pub staff_id: i64,
    pub email: String,
    pub csrf_token: String,
    pub last_seen: DateTime<Utc>,
}

/// What the queue shows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct QueueFilter {
    pub kind: Option<String>,
    /// `open` (default in the UI), `resolved`, or None for all.
    pub status: Option<String>,
    /// Only items whose mail arrived (else whose flag was raised) before this time.
    pub created_before: Option<DateTime<Utc>>,
    pub employer_id: Option<String>,
}

/// A flag with what staff need to see of its message, list and employer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueItem {
    pub flag_id: i64,
    pub kind: String,
    pub detail: Option<String>,
    pub status: String,
    pub created_at: Option<DateTime<Utc>>,
    /// When the mail arrived (else when the flag was raised): the queue's age and order.
    pub since: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub message: Option<i64>,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub message_kind: Option<String>,
    pub outcome: Option<String>,
    pub list_number: Option<String>,
    pub employer_id: Option<String>,
    pub employer_name: Option<String>,
}

/// One message with everything its outcome recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MessageDetail {
    pub id: i64,
    pub message_id: Option<String>,
    pub source: String,
    pub arrival: Option<DateTime<Utc>>,
    pub stored_at: Option<DateTime<Utc>>,
    pub state: String,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub conversation_id: Option<i64>,
    pub kind: Option<String>,
    pub lang: Option<String>,
    pub outcome: Option<String>,
    pub list_number: Option<String>,
    pub reply_template: Option<String>,
    pub access_request_id: Option<i64>,
    pub report_json: Option<String>,
    /// Staff moved the mail to this list (by whom).
    pub list_override: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub message: i64,
    pub file_name: Option<String>,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub readable: Option<bool>,
    pub reason: Option<String>,
    pub parsed_json: Option<String>,
}

/// A parsed line as stored, with its match status. `national_id` is the full number: the
/// UI masks it and shows it only on an audited request.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParsedLineRow {
    pub id: i64,
    pub message: i64,
    pub attachment: i64,
    pub sheet: String,
    pub row_number: i64,
    pub national_id: Option<String>,
    pub birth_date: Option<String>,
    pub name: Option<String>,
    pub member_number: Option<String>,
    pub employee_number: Option<String>,
    pub amount_ore: Option<i64>,
    pub end_date: Option<String>,
    pub comment: Option<String>,
    pub match_status: Option<String>,
    pub matched_member: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxInfo {
    pub id: i64,
    pub message: Option<i64>,
    pub template: String,
    pub to_address: String,
    pub subject: String,
    pub message_id: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Option<DateTime<Utc>>,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What the health page shows, all read from the store.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HealthFacts {
    pub last_stored: Option<DateTime<Utc>>,
    pub last_processed: Option<DateTime<Utc>>,
    pub unprocessed: i64,
    pub outbox: Vec<(String, i64)>,
    pub oldest_pending: Option<DateTime<Utc>>,
    pub open_flags: i64,
    pub last_job_run: Option<(String, DateTime<Utc>)>,
}
