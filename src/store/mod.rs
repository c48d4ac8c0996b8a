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
}
