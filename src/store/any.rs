//! The store chosen by the database URL. `Store` uses `async fn` and is not object-safe, so
//! the choice is an enum that hands every call to the backend it holds.
use super::*;
use crate::decide::access::AccessStatus;

#[derive(Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Which backend a URL names, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The URL with its password (if any) replaced, for messages and logs.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl AnyStore {
    /// Open (and migrate) the database a `sqlite:` or `postgres://` URL names, with the
    /// default pool size.
    pub async fn open(url: &str) -> Result<AnyStore> {
        Self::open_with(url, postgres::DEFAULT_MAX_CONNECTIONS).await
    }

    /// Open (and migrate) with at most `max_connections` to PostgreSQL
    /// (`database.max_connections`; SQLite keeps its own small pool).
    pub async fn open_with(url: &str, max_connections: u32) -> Result<AnyStore> {
        match Backend::of_url(url) {
            Some(Backend::Sqlite) => Ok(AnyStore::Sqlite(SqliteStore::open(url).await?)),
            Some(Backend::Postgres) => Ok(AnyStore::Postgres(
                PostgresStore::open_with(url, max_connections).await?,
            )),
            None => Err(StoreError::Corrupt(
                "the database URL must start with sqlite: or postgres://".to_string(),
            )),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            AnyStore::Sqlite(_) => Backend::Sqlite,
            AnyStore::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Implements `Store` for `AnyStore` from the trait's signatures, each call handed on.
macro_rules! delegate {
    ($( async fn $name:ident(&self $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty; )*) => {
        impl Store for AnyStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        AnyStore::Sqlite(s) => s.$name($($arg),*).await,
                        AnyStore::Postgres(s) => s.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
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
    async fn issued_lines_since(&self, period: &str) -> Result<Vec<PersonOnList>>;
    async fn latest_period(&self) -> Result<Option<String>>;
    async fn payments_for_list(&self, list_number: &str) -> Result<Vec<Payment>>;
    async fn store_raw(
        &self,
        source: &str,
        bytes: &[u8],
        message_id: Option<&str>,
        arrival: Option<DateTime<Utc>>,
    ) -> Result<Stored>;
    async fn store_oversize(
        &self,
        source: &str,
        header: &[u8],
        message_id: Option<&str>,
        arrival: Option<DateTime<Utc>>,
        oversize: Oversize,
    ) -> Result<Stored>;
    async fn oversize(&self, id: i64) -> Result<Option<Oversize>>;
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
    async fn replies_to_since(&self, address: &str, since: DateTime<Utc>) -> Result<i64>;
    async fn is_undeliverable(&self, address: &str) -> Result<bool>;
    async fn commit_outcome(&self, message: i64, write: &OutcomeWrite) -> Result<()>;
    async fn due_outbox(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>>;
    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt: DateTime<Utc>,
        dead: bool,
    ) -> Result<()>;
    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>>;
    async fn decide_access_request(
        &self,
        id: i64,
        status: AccessStatus,
        actor: &str,
        reason: Option<&str>,
        reply: Option<&OutboxWrite>,
    ) -> Result<()>;
    async fn last_job_tick(&self, job: &str) -> Result<Option<DateTime<Utc>>>;
    async fn overdue_candidates(&self, date: NaiveDate) -> Result<Vec<OverdueCandidate>>;
    async fn waiting_access_requests(&self) -> Result<Vec<WaitingAccess>>;
    async fn open_flag_counts(&self) -> Result<Vec<FlagCount>>;
    async fn record_job_run(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        at: DateTime<Utc>,
        reminders: &[ReminderWrite],
        outbox: &[OutboxWrite],
    ) -> Result<bool>;
    async fn message_lang(&self, id: i64) -> Result<Option<String>>;
    // web: staff accounts, sessions and the triage UI (SPEC §8)
    async fn staff_upsert(&self, email: &str, password_hash: &str, actor: &str) -> Result<()>;
    async fn staff_set_active(&self, email: &str, active: bool, actor: &str) -> Result<bool>;
    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffAccount>>;
    async fn session_create(
        &self,
        token_sha256: &str,
        staff_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    async fn session_get(&self, token_sha256: &str) -> Result<Option<StaffSession>>;
    async fn session_touch(&self, token_sha256: &str, at: DateTime<Utc>) -> Result<()>;
    async fn session_delete(&self, token_sha256: &str) -> Result<()>;
    async fn queue(&self, filter: &QueueFilter) -> Result<Vec<QueueItem>>;
    async fn queue_item(&self, flag_id: i64) -> Result<Option<QueueItem>>;
    async fn flags_of_message(&self, message: i64) -> Result<Vec<QueueItem>>;
    async fn resolve_flag(&self, flag_id: i64, actor: &str, note: &str) -> Result<bool>;
    async fn message_detail(&self, id: i64) -> Result<Option<MessageDetail>>;
    async fn conversation_messages(&self, conversation: i64) -> Result<Vec<MessageDetail>>;
    async fn messages_of_employer(&self, employer_id: &str) -> Result<Vec<MessageDetail>>;
    async fn attachments_of(&self, message: i64) -> Result<Vec<AttachmentInfo>>;
    async fn parsed_lines_of(&self, message: i64) -> Result<Vec<ParsedLineRow>>;
    async fn parsed_line(&self, id: i64) -> Result<Option<ParsedLineRow>>;
    async fn outbox_of_messages(&self, messages: &[i64]) -> Result<Vec<OutboxInfo>>;
    async fn outbox_row(&self, id: i64) -> Result<Option<OutboxInfo>>;
    async fn dead_letters(&self) -> Result<Vec<OutboxInfo>>;
    async fn retry_dead_letter(&self, outbox: i64, actor: &str) -> Result<bool>;
    async fn discard_dead_letter(&self, outbox: i64, actor: &str, note: &str) -> Result<bool>;
    async fn queue_staff_reply(&self, message: i64, reply: &OutboxWrite, actor: &str)
        -> Result<()>;
    async fn reassign_message(
        &self,
        message: i64,
        list_number: &str,
        actor: &str,
        note: &str,
    ) -> Result<()>;
    async fn reopen_for_rerun(&self, message: i64, actor: &str) -> Result<bool>;
    async fn finish_rerun(&self, message: i64, actor: &str) -> Result<()>;
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()>;
    async fn audit_entries(
        &self,
        actor: Option<&str>,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>>;
    async fn employers(&self) -> Result<Vec<Employer>>;
    async fn health_facts(&self) -> Result<HealthFacts>;
    async fn set_line_matches(
        &self,
        message: i64,
        matches: &[(i64, Option<String>, Option<String>)],
        actor: &str,
    ) -> Result<()>;
    async fn outbox_eml(&self, id: i64) -> Result<Option<Vec<u8>>>;
    async fn session_purge(&self, before: DateTime<Utc>) -> Result<u64>;
    // transport
    async fn imap_state(&self, mailbox: &str) -> Result<Option<(u32, u32)>>;
    async fn set_imap_state(&self, mailbox: &str, uid_validity: u32, last_uid: u32) -> Result<()>;
    async fn outbox_id_by_message_id(&self, message_id: &str) -> Result<Option<i64>>;
    async fn smtp_journal(&self, outbox_id: i64) -> Result<Option<(String, DateTime<Utc>)>>;
    async fn smtp_journal_started(&self, outbox_id: i64) -> Result<()>;
    async fn smtp_journal_accepted(&self, outbox_id: i64) -> Result<()>;
    async fn smtp_in_doubt(&self) -> Result<Vec<(i64, String)>>;
    async fn smtp_journal_clear(&self, outbox_id: i64) -> Result<()>;
    async fn set_transport_status(&self, name: &str, status: &TransportStatus) -> Result<()>;
    async fn next_outbox_attempt(&self) -> Result<Option<DateTime<Utc>>>;
    async fn transport_status(&self, name: &str) -> Result<Option<TransportStatus>>;
    // leases
    async fn claim_messages(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<i64>>;
    async fn claim_outbox(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>>;
    async fn claim_filing(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool>;
    async fn release_filing(&self, key: &str, owner: &str) -> Result<()>;
    async fn renew_message_leases(
        &self,
        owner: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>>;
    async fn renew_outbox_leases(
        &self,
        owner: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_by_url_and_passwords_kept_out_of_messages() {
        assert_eq!(
            Backend::of_url("sqlite://var/x.sqlite"),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
        assert_eq!(
            redacted_url("postgres://trek:s3cret@db.example:5432/trek?sslmode=require"),
            "postgres://trek:***@db.example:5432/trek?sslmode=require"
        );
        assert_eq!(redacted_url("postgres://trek@db/x"), "postgres://trek@db/x");
        assert_eq!(
            redacted_url("sqlite://var/x.sqlite"),
            "sqlite://var/x.sqlite"
        );
    }
}
