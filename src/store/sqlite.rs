//! The SQLite store (the embedded default). Runtime-checked queries in portable SQL.
use super::*;
use crate::classify::AccessFields;
use crate::decide::access::AccessStatus;
use crate::import::{ImportBatch, PaymentFormat};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn now() -> String {
    Utc::now().to_rfc3339()
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("date {s}: {e}")))
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl SqliteStore {
    /// Open (creating the file and its folder when absent) and migrate.
    pub async fn open(url: &str) -> Result<SqliteStore> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Corrupt(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
            }
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn employer_from(row: &sqlx::sqlite::SqliteRow) -> Result<Employer> {
    let contacts: String = row.try_get("contact_emails")?;
    Ok(Employer {
        employer_id: row.try_get("employer_id")?,
        org_number: row.try_get("org_number")?,
        name: row.try_get("name")?,
        contact_emails: contacts
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        invoice_email: row.try_get("invoice_email")?,
        uses_winorg: row.try_get::<i64, _>("uses_winorg")? != 0,
    })
}

fn list_from(row: &sqlx::sqlite::SqliteRow) -> Result<IssuedList> {
    Ok(IssuedList {
        list_number: row.try_get("list_number")?,
        employer_id: row.try_get("employer_id")?,
        period: row.try_get("period")?,
        issued_date: date(&row.try_get::<String, _>("issued_date")?)?,
        due_date: date(&row.try_get::<String, _>("due_date")?)?,
        invoice_number: row.try_get("invoice_number")?,
        kid: row.try_get("kid")?,
        invoice_amount_ore: row.try_get("invoice_amount_ore")?,
        submitted_message: row.try_get("submitted_message")?,
        submitted_total_ore: row.try_get("submitted_total_ore")?,
    })
}

fn person_from(row: &sqlx::sqlite::SqliteRow) -> Result<PersonOnList> {
    Ok(PersonOnList {
        list_number: row.try_get("list_number")?,
        member_number: row.try_get("member_number")?,
        name: row.try_get("name")?,
        national_id: row.try_get("national_id")?,
        amount_ore: row.try_get("amount_ore")?,
    })
}

fn access_from(row: &sqlx::sqlite::SqliteRow) -> Result<AccessRequestRow> {
    let missing: String = row.try_get("missing")?;
    let status: String = row.try_get("status")?;
    Ok(AccessRequestRow {
        id: row.try_get("id")?,
        fields: AccessFields {
            company_name: row.try_get("company_name")?,
            org_number: row.try_get("org_number")?,
            requester_name: row.try_get("requester_name")?,
            email: row.try_get("email")?,
            mobile: row.try_get("mobile")?,
            missing: serde_json::from_str(&missing)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        },
        status: AccessStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("access status {status}")))?,
        employer_id: row.try_get("employer_id")?,
        first_message: row.try_get("first_message")?,
        last_message: row.try_get("last_message")?,
        reason: row.try_get("reason")?,
    })
}

fn message_from(row: &sqlx::sqlite::SqliteRow) -> Result<MessageRow> {
    let arrival: Option<String> = row.try_get("arrival")?;
    Ok(MessageRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        source: row.try_get("source")?,
        arrival: arrival.as_deref().and_then(time),
        state: row.try_get("state")?,
        report_json: row.try_get("report_json")?,
        conversation: row.try_get("conversation_id")?,
    })
}

const IMPORT_ORDER: [&str; 4] = ["employers", "lists", "list_lines", "payments"];

fn batch_kind(batch: &ImportBatch) -> &'static str {
    match batch {
        ImportBatch::Employers(_) => "employers",
        ImportBatch::Lists(_) => "lists",
        ImportBatch::ListLines(_) => "list_lines",
        ImportBatch::Payments(_) => "payments",
    }
}

async fn apply_batch(tx: &mut Transaction<'_, Sqlite>, file: &ImportFile) -> Result<usize> {
    let reference = |line: usize, reason: String| StoreError::Reference {
        file: file.file_name.clone(),
        line,
        reason,
    };
    match &file.batch {
        ImportBatch::Employers(rows) => {
            for r in rows {
                sqlx::query(
                    "INSERT INTO employers (employer_id, org_number, name, contact_emails, invoice_email, uses_winorg)
                     VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT(employer_id) DO UPDATE SET org_number = excluded.org_number, name = excluded.name,
                       contact_emails = excluded.contact_emails, invoice_email = excluded.invoice_email,
                       uses_winorg = excluded.uses_winorg",
                )
                .bind(&r.employer_id)
                .bind(&r.org_number)
                .bind(&r.name)
                .bind(r.contact_emails.join(","))
                .bind(&r.invoice_email)
                .bind(r.uses_winorg as i64)
                .execute(&mut **tx)
                .await?;
            }
            Ok(rows.len())
        }
        ImportBatch::Lists(rows) => {
            for r in rows {
                let known = sqlx::query("SELECT 1 FROM employers WHERE employer_id = ?")
                    .bind(&r.employer_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                if known.is_none() {
                    return Err(reference(
                        r.line,
                        format!("unknown employer `{}`", r.employer_id),
                    ));
                }
                sqlx::query(
                    "INSERT INTO lists (list_number, employer_id, period, issued_date, due_date, invoice_number, kid, invoice_amount_ore)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT(list_number) DO UPDATE SET employer_id = excluded.employer_id, period = excluded.period,
                       issued_date = excluded.issued_date, due_date = excluded.due_date,
                       invoice_number = excluded.invoice_number, kid = excluded.kid,
                       invoice_amount_ore = excluded.invoice_amount_ore",
                )
                .bind(&r.list_number)
                .bind(&r.employer_id)
                .bind(&r.period)
                .bind(r.issued_date.to_string())
                .bind(r.due_date.to_string())
                .bind(&r.invoice_number)
                .bind(&r.kid)
                .bind(r.invoice_amount_ore)
                .execute(&mut **tx)
                .await?;
            }
            Ok(rows.len())
        }
        ImportBatch::ListLines(rows) => {
            for r in rows {
                let known = sqlx::query("SELECT 1 FROM lists WHERE list_number = ?")
                    .bind(&r.list_number)
                    .fetch_optional(&mut **tx)
                    .await?;
                if known.is_none() {
                    return Err(reference(
                        r.line,
                        format!("unknown list `{}`", r.list_number),
                    ));
                }
                sqlx::query(
                    "INSERT INTO list_lines (list_number, member_number, name, national_id, amount_ore)
                     VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT(list_number, member_number) DO UPDATE SET name = excluded.name,
                       national_id = excluded.national_id, amount_ore = excluded.amount_ore",
                )
                .bind(&r.list_number)
                .bind(&r.member_number)
                .bind(&r.name)
                .bind(&r.national_id)
                .bind(r.amount_ore)
                .execute(&mut **tx)
                .await?;
            }
            Ok(rows.len())
        }
        ImportBatch::Payments(rows) => {
            for r in rows {
                let list = match &r.kid {
                    Some(kid) => {
                        sqlx::query_scalar::<_, String>(
                            "SELECT list_number FROM lists WHERE kid = ?",
                        )
                        .bind(kid)
                        .fetch_optional(&mut **tx)
                        .await?
                    }
                    None => list_for_payment_without_kid(tx, r).await?,
                };
                let format = match r.format {
                    PaymentFormat::Camt054 => "camt054",
                    PaymentFormat::Ocr => "ocr",
                    PaymentFormat::Csv => "csv",
                };
                sqlx::query(
                    "INSERT INTO payments (source_ref, payment_date, amount_ore, kid, payer_account, payer_name, reference, format, list_number)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT(source_ref) DO UPDATE SET payment_date = excluded.payment_date,
                       amount_ore = excluded.amount_ore, kid = excluded.kid, payer_account = excluded.payer_account,
                       payer_name = excluded.payer_name, reference = excluded.reference, list_number = excluded.list_number",
                )
                .bind(&r.source_ref)
                .bind(r.payment_date.to_string())
                .bind(r.amount_ore)
                .bind(&r.kid)
                .bind(&r.payer_account)
                .bind(&r.payer_name)
                .bind(&r.reference)
                .bind(format)
                .bind(list)
                .execute(&mut **tx)
                .await?;
            }
            Ok(rows.len())
        }
    }
}

/// SPEC §5: a payment without KID belongs to a list of the employer it names (org number,
/// employer ID or name in the reference or payer name) whose invoice has that amount.
async fn list_for_payment_without_kid(
    tx: &mut Transaction<'_, Sqlite>,
    payment: &crate::import::PaymentRow,
) -> Result<Option<String>> {
    let text = format!(
        "{} {}",
        payment.reference.as_deref().unwrap_or(""),
        payment.payer_name.as_deref().unwrap_or("")
    )
    .to_lowercase();
    let digits_only: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let employers = sqlx::query("SELECT employer_id, org_number, name FROM employers")
        .fetch_all(&mut **tx)
        .await?;
    let mut named = Vec::new();
    for e in &employers {
        let id: String = e.try_get("employer_id")?;
        let org: String = e.try_get("org_number")?;
        let name: String = e.try_get("name")?;
        if digits_only.contains(&org)
            || text.contains(&id.to_lowercase())
            || text.contains(&name.to_lowercase())
        {
            named.push(id);
        }
    }
    for employer in named {
        let list = sqlx::query_scalar::<_, String>(
            "SELECT list_number FROM lists WHERE employer_id = ? AND invoice_amount_ore = ?
             ORDER BY period DESC LIMIT 1",
        )
        .bind(&employer)
        .bind(payment.amount_ore)
        .fetch_optional(&mut **tx)
        .await?;
        if list.is_some() {
            return Ok(list);
        }
    }
    Ok(None)
}

/// Queue one mail; it is sent by the outbox worker (or held for staff).
async fn insert_outbox(
    tx: &mut Transaction<'_, Sqlite>,
    message: Option<i64>,
    o: &OutboxWrite,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (message, template, to_address, subject, message_id, eml, state, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
    )
    .bind(message)
    .bind(&o.template)
    .bind(o.to_address.to_lowercase())
    .bind(&o.subject)
    .bind(&o.message_id)
    .bind(&o.eml)
    .bind(if o.held { "held" } else { "pending" })
    .bind(at)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// SPEC §5: lists that just received payments are reconciled against what was expected; a
/// difference is flagged once for staff.
async fn reconcile_payments(
    tx: &mut Transaction<'_, Sqlite>,
    source_refs: &[String],
) -> Result<()> {
    let mut lists: Vec<String> = Vec::new();
    for r in source_refs {
        let list: Option<String> =
            sqlx::query_scalar("SELECT list_number FROM payments WHERE source_ref = ?")
                .bind(r)
                .fetch_optional(&mut **tx)
                .await?
                .flatten();
        if let Some(l) = list {
            if !lists.contains(&l) {
                lists.push(l);
            }
        }
    }
    for list in lists {
        let row = sqlx::query(
            "SELECT l.invoice_amount_ore, l.submitted_total_ore, l.submitted_message,
               (SELECT COALESCE(SUM(amount_ore), 0) FROM payments p WHERE p.list_number = l.list_number) AS paid,
               (SELECT COUNT(*) FROM payments p WHERE p.list_number = l.list_number) AS n
             FROM lists l WHERE l.list_number = ?",
        )
        .bind(&list)
        .fetch_one(&mut **tx)
        .await?;
        let paid: i64 = row.try_get("paid")?;
        let status = crate::decide::reconcile::payment_status(
            row.try_get("invoice_amount_ore")?,
            row.try_get("submitted_total_ore")?,
            paid,
            row.try_get::<i64, _>("n")? as usize,
        );
        let Some(status) = status else { continue };
        let stored = if status == "reconciled" {
            "reconciled"
        } else {
            "mismatch"
        };
        sqlx::query("UPDATE lists SET payment_status = ? WHERE list_number = ?")
            .bind(stored)
            .bind(&list)
            .execute(&mut **tx)
            .await?;
        if status == "payment_mismatch" {
            let detail = format!("list {list}: paid {paid} øre differs from what was expected");
            let open: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM flags WHERE kind = 'payment_mismatch' AND status = 'open' AND detail LIKE ?",
            )
            .bind(format!("list {list}:%"))
            .fetch_optional(&mut **tx)
            .await?;
            if open.is_none() {
                let message: Option<i64> = row.try_get("submitted_message")?;
                sqlx::query("INSERT INTO flags (message, kind, detail, status, created_at) VALUES (?, 'payment_mismatch', ?, 'open', ?)")
                    .bind(message)
                    .bind(detail)
                    .bind(now())
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    async fn apply_import(&self, files: &[ImportFile]) -> Result<ImportSummary> {
        let mut ordered: Vec<&ImportFile> = files.iter().collect();
        ordered.sort_by_key(|f| IMPORT_ORDER.iter().position(|k| *k == batch_kind(&f.batch)));
        let mut tx = self.pool.begin().await?;
        let mut summary = ImportSummary::default();
        for file in ordered {
            let rows = apply_batch(&mut tx, file).await?;
            sqlx::query(
                "INSERT INTO imports (sha256, file_name, kind, rows, imported_at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT(sha256) DO NOTHING",
            )
            .bind(&file.sha256)
            .bind(&file.file_name)
            .bind(batch_kind(&file.batch))
            .bind(rows as i64)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO audit_log (at, actor, action, subject, after) VALUES (?, 'system', 'import', ?, ?)")
                .bind(now())
                .bind(&file.file_name)
                .bind(format!("{} rows of {}", rows, batch_kind(&file.batch)))
                .execute(&mut *tx)
                .await?;
            summary.files += 1;
            summary.rows += rows;
        }
        let touched: Vec<String> = files
            .iter()
            .filter_map(|f| match &f.batch {
                ImportBatch::Payments(rows) => Some(rows),
                _ => None,
            })
            .flatten()
            .map(|p| p.source_ref.clone())
            .collect();
        reconcile_payments(&mut tx, &touched).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn is_imported(&self, sha256: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM imports WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    async fn table_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for table in [
            "employers",
            "lists",
            "list_lines",
            "payments",
            "messages",
            "outbox",
            "flags",
            "access_requests",
        ] {
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&self.pool)
                    .await?;
            out.push((table.to_string(), n));
        }
        Ok(out)
    }

    async fn employer(&self, employer_id: &str) -> Result<Option<Employer>> {
        sqlx::query("SELECT * FROM employers WHERE employer_id = ?")
            .bind(employer_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(employer_from)
            .transpose()
    }

    async fn employer_by_org(&self, org_number: &str) -> Result<Option<Employer>> {
        sqlx::query("SELECT * FROM employers WHERE org_number = ?")
            .bind(org_number)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(employer_from)
            .transpose()
    }

    async fn employer_by_contact(&self, address: &str) -> Result<Option<Employer>> {
        let address = address.to_lowercase();
        let rows = sqlx::query("SELECT * FROM employers")
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            let e = employer_from(row)?;
            if e.addresses().contains(&address) {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    async fn employers_by_domain(&self, domain: &str) -> Result<Vec<Employer>> {
        let domain = domain.to_lowercase();
        let rows = sqlx::query("SELECT * FROM employers")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let e = employer_from(row)?;
            if e.addresses()
                .iter()
                .any(|a| a.rsplit('@').next() == Some(domain.as_str()))
            {
                out.push(e);
            }
        }
        Ok(out)
    }

    async fn list(&self, list_number: &str) -> Result<Option<IssuedList>> {
        sqlx::query("SELECT * FROM lists WHERE list_number = ?")
            .bind(list_number)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(list_from)
            .transpose()
    }

    async fn lists_of_employer(&self, employer_id: &str) -> Result<Vec<IssuedList>> {
        sqlx::query("SELECT * FROM lists WHERE employer_id = ? ORDER BY period, list_number")
            .bind(employer_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(list_from)
            .collect()
    }

    async fn list_by_invoice_or_kid(&self, number: &str) -> Result<Option<IssuedList>> {
        sqlx::query(
            "SELECT * FROM lists WHERE invoice_number = ? OR kid = ? OR list_number = ? LIMIT 1",
        )
        .bind(number)
        .bind(number)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(list_from)
        .transpose()
    }

    async fn issued_lines(&self, list_number: &str) -> Result<Vec<PersonOnList>> {
        sqlx::query("SELECT * FROM list_lines WHERE list_number = ? ORDER BY member_number")
            .bind(list_number)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(person_from)
            .collect()
    }

    async fn issued_lines_since(&self, period: &str) -> Result<Vec<PersonOnList>> {
        sqlx::query(
            "SELECT l.* FROM list_lines l JOIN lists s ON s.list_number = l.list_number WHERE s.period >= ?",
        )
        .bind(period)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(person_from)
        .collect()
    }

    async fn latest_period(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT MAX(period) FROM lists")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn payments_for_list(&self, list_number: &str) -> Result<Vec<Payment>> {
        let rows =
            sqlx::query("SELECT * FROM payments WHERE list_number = ? ORDER BY payment_date")
                .bind(list_number)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Payment {
                    source_ref: r.try_get("source_ref")?,
                    payment_date: date(&r.try_get::<String, _>("payment_date")?)?,
                    amount_ore: r.try_get("amount_ore")?,
                    kid: r.try_get("kid")?,
                    list_number: r.try_get("list_number")?,
                })
            })
            .collect()
    }

    async fn store_raw(
        &self,
        source: &str,
        bytes: &[u8],
        message_id: Option<&str>,
        arrival: Option<DateTime<Utc>>,
    ) -> Result<Stored> {
        let sha = sha256_hex(bytes);
        let mut tx = self.pool.begin().await?;
        if let Some(row) = sqlx::query("SELECT id, state FROM messages WHERE sha256 = ?")
            .bind(&sha)
            .fetch_optional(&mut *tx)
            .await?
        {
            let state: String = row.try_get("state")?;
            return Ok(Stored {
                id: row.try_get("id")?,
                done: state == "done",
            });
        }
        sqlx::query(
            "INSERT INTO raw_messages (sha256, bytes) VALUES (?, ?) ON CONFLICT(sha256) DO NOTHING",
        )
        .bind(&sha)
        .bind(bytes)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (sha256, message_id, source, arrival, stored_at, state) VALUES (?, ?, ?, ?, ?, 'stored') RETURNING id",
        )
        .bind(&sha)
        .bind(message_id)
        .bind(source)
        .bind(arrival.map(|a| a.to_rfc3339()))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Stored { id, done: false })
    }

    async fn store_oversize(
        &self,
        source: &str,
        header: &[u8],
        message_id: Option<&str>,
        arrival: Option<DateTime<Utc>>,
        oversize: Oversize,
    ) -> Result<Stored> {
        let sha = sha256_hex(header);
        let mut tx = self.pool.begin().await?;
        if let Some(row) = sqlx::query("SELECT id, state FROM messages WHERE sha256 = ?")
            .bind(&sha)
            .fetch_optional(&mut *tx)
            .await?
        {
            let state: String = row.try_get("state")?;
            return Ok(Stored {
                id: row.try_get("id")?,
                done: state == "done",
            });
        }
        sqlx::query(
            "INSERT INTO raw_messages (sha256, bytes) VALUES (?, ?) ON CONFLICT(sha256) DO NOTHING",
        )
        .bind(&sha)
        .bind(header)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO messages (sha256, message_id, source, arrival, stored_at, state, oversize_bytes, oversize_limit)
             VALUES (?, ?, ?, ?, ?, 'stored', ?, ?) RETURNING id",
        )
        .bind(&sha)
        .bind(message_id)
        .bind(source)
        .bind(arrival.map(|a| a.to_rfc3339()))
        .bind(now())
        .bind(oversize.size)
        .bind(oversize.limit)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Stored { id, done: false })
    }

    async fn oversize(&self, id: i64) -> Result<Option<Oversize>> {
        let row: Option<(Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT oversize_bytes, oversize_limit FROM messages WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some((Some(size), limit)) => Some(Oversize {
                size,
                limit: limit.unwrap_or(0),
            }),
            _ => None,
        })
    }

    async fn unprocessed_messages(&self) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM messages WHERE state = 'stored' ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn raw_message(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar(
            "SELECT r.bytes FROM raw_messages r JOIN messages m ON m.sha256 = r.sha256 WHERE m.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn message(&self, id: i64) -> Result<Option<MessageRow>> {
        sqlx::query("SELECT * FROM messages WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(message_from)
            .transpose()
    }

    async fn messages(&self) -> Result<Vec<MessageRow>> {
        sqlx::query("SELECT * FROM messages ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(message_from)
            .collect()
    }

    async fn conversation_of_message_ids(&self, ids: &[String]) -> Result<Option<i64>> {
        // Most recent reference first: it is the closest ancestor.
        for id in ids.iter().rev() {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT conversation_id FROM conversation_ids WHERE message_id = ?",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    async fn conversation_by_token(&self, token: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM conversations WHERE token = ?")
                .bind(token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn thread(&self, conversation: i64) -> Result<Vec<ThreadMessage>> {
        let rows = sqlx::query(
            "SELECT id, kind, list_number, access_request_id FROM messages WHERE conversation_id = ? ORDER BY id",
        )
        .bind(conversation)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ThreadMessage {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    list_number: r.try_get("list_number")?,
                    access_request: r.try_get("access_request_id")?,
                })
            })
            .collect()
    }

    async fn access_request(&self, id: i64) -> Result<Option<AccessRequestRow>> {
        sqlx::query("SELECT * FROM access_requests WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(access_from)
            .transpose()
    }

    async fn access_request_by_key(
        &self,
        org_number: &str,
        email: &str,
    ) -> Result<Option<AccessRequestRow>> {
        sqlx::query("SELECT * FROM access_requests WHERE org_number = ? AND email = ? ORDER BY id DESC LIMIT 1")
            .bind(org_number)
            .bind(email.to_lowercase())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(access_from)
            .transpose()
    }

    async fn access_requests(&self) -> Result<Vec<AccessRequestRow>> {
        sqlx::query("SELECT * FROM access_requests ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(access_from)
            .collect()
    }

    async fn replies_to_since(&self, address: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE to_address = ? AND created_at >= ?",
        )
        .bind(address.to_lowercase())
        .bind(since.to_rfc3339())
        .fetch_one(&self.pool)
        .await?)
    }

    async fn is_undeliverable(&self, address: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM undeliverable_addresses WHERE address = ?")
                .bind(address.to_lowercase())
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    async fn commit_outcome(&self, message: i64, w: &OutcomeWrite) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let at = now();
        let conversation = match w.conversation {
            Some(c) => Some(c),
            None => match &w.conversation_token {
                Some(token) => {
                    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE token = ?")
                        .bind(token)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match existing {
                        Some(c) => Some(c),
                        None => Some(
                            sqlx::query_scalar("INSERT INTO conversations (token, created_at) VALUES (?, ?) RETURNING id")
                                .bind(token)
                                .bind(&at)
                                .fetch_one(&mut *tx)
                                .await?,
                        ),
                    }
                }
                None => Some(
                    sqlx::query_scalar("INSERT INTO conversations (token, created_at) VALUES (NULL, ?) RETURNING id")
                        .bind(&at)
                        .fetch_one(&mut *tx)
                        .await?,
                ),
            },
        };
        if let Some(c) = conversation {
            for id in &w.conversation_ids {
                sqlx::query("INSERT INTO conversation_ids (message_id, conversation_id) VALUES (?, ?) ON CONFLICT(message_id) DO NOTHING")
                    .bind(id)
                    .bind(c)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let access_id = match &w.access {
            None => None,
            Some(a) => {
                let missing = serde_json::to_string(&a.fields.missing)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                match a.id {
                    Some(id) => {
                        sqlx::query(
                            "UPDATE access_requests SET org_number = ?, email = ?, company_name = ?, requester_name = ?,
                               mobile = ?, missing = ?, status = ?, employer_id = ?, last_message = ?, updated_at = ? WHERE id = ?",
                        )
                        .bind(&a.fields.org_number)
                        .bind(&a.fields.email)
                        .bind(&a.fields.company_name)
                        .bind(&a.fields.requester_name)
                        .bind(&a.fields.mobile)
                        .bind(&missing)
                        .bind(a.status.as_str())
                        .bind(&a.employer_id)
                        .bind(message)
                        .bind(&at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        Some(id)
                    }
                    None => Some(
                        sqlx::query_scalar(
                            "INSERT INTO access_requests (org_number, email, company_name, requester_name, mobile, missing, status,
                               employer_id, conversation_id, first_message, last_message, created_at, updated_at)
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        )
                        .bind(&a.fields.org_number)
                        .bind(&a.fields.email)
                        .bind(&a.fields.company_name)
                        .bind(&a.fields.requester_name)
                        .bind(&a.fields.mobile)
                        .bind(&missing)
                        .bind(a.status.as_str())
                        .bind(&a.employer_id)
                        .bind(conversation)
                        .bind(message)
                        .bind(message)
                        .bind(&at)
                        .bind(&at)
                        .fetch_one(&mut *tx)
                        .await?,
                    ),
                }
            }
        };
        for att in &w.attachments {
            let parsed_json = att
                .parsed
                .as_ref()
                .map(|p| {
                    serde_json::json!({
                        "list_number": p.list_number, "employer_id": p.employer_id, "org_number": p.org_number,
                        "period": p.period, "declared_total_ore": p.declared_total_ore, "warnings": p.warnings,
                    })
                    .to_string()
                });
            let att_id: i64 = sqlx::query_scalar(
                "INSERT INTO attachments (message, file_name, content_type, sha256, size, readable, reason, parsed_json)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(message)
            .bind(&att.file_name)
            .bind(&att.content_type)
            .bind(&att.sha256)
            .bind(att.size)
            .bind(att.parsed.as_ref().map(|p| p.readable as i64))
            .bind(att.parsed.as_ref().and_then(|p| p.reason.clone()))
            .bind(parsed_json)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(parsed) = &att.parsed {
                for (i, line) in parsed.lines.iter().enumerate() {
                    let (status, member) = att.line_status.get(i).cloned().unwrap_or((None, None));
                    sqlx::query(
                        "INSERT INTO parsed_lines (message, attachment, sheet, row_number, national_id, birth_date, name,
                           member_number, employee_number, amount_ore, end_date, comment, match_status, matched_member)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(message)
                    .bind(att_id)
                    .bind(&line.sheet)
                    .bind(line.row as i64)
                    .bind(&line.national_id)
                    .bind(line.birth_date.map(|d| d.to_string()))
                    .bind(&line.name)
                    .bind(&line.member_number)
                    .bind(&line.employee_number)
                    .bind(line.amount_ore)
                    .bind(line.end_date.map(|d| d.to_string()))
                    .bind(&line.comment)
                    .bind(status)
                    .bind(member)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        for (kind, detail) in &w.flags {
            sqlx::query("INSERT INTO flags (message, kind, detail, status, created_at) VALUES (?, ?, ?, 'open', ?)")
                .bind(message)
                .bind(kind)
                .bind(detail)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((list, total)) = &w.mark_submitted {
            sqlx::query("UPDATE lists SET submitted_message = ?, submitted_total_ore = ? WHERE list_number = ? AND submitted_message IS NULL")
                .bind(message)
                .bind(total)
                .bind(list)
                .execute(&mut *tx)
                .await?;
            // leases: another daemon's message confirmed this list since it was decided.
            let by: Option<Option<i64>> =
                sqlx::query_scalar("SELECT submitted_message FROM lists WHERE list_number = ?")
                    .bind(list)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(Some(other)) = by {
                if other != message {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict(format!(
                        "list {list} was confirmed by message {other}"
                    )));
                }
            }
        }
        for o in &w.outbox {
            insert_outbox(&mut tx, Some(message), o, &at).await?;
        }
        if let Some(mid) = &w.bounced_outbox_message_id {
            sqlx::query("UPDATE outbox SET state = 'bounced' WHERE message_id = ?")
                .bind(mid)
                .execute(&mut *tx)
                .await?;
        }
        for address in &w.undeliverable {
            sqlx::query("INSERT INTO undeliverable_addresses (address, reason, since) VALUES (?, ?, ?) ON CONFLICT(address) DO NOTHING")
                .bind(address.to_lowercase())
                .bind(format!("bounce in message {message}"))
                .bind(&at)
                .execute(&mut *tx)
                .await?;
        }
        for (action, after) in &w.audit {
            sqlx::query("INSERT INTO audit_log (at, actor, action, subject, after) VALUES (?, 'system', ?, ?, ?)")
                .bind(&at)
                .bind(action)
                .bind(format!("message:{message}"))
                .bind(after)
                .execute(&mut *tx)
                .await?;
        }
        // leases: only while the lease is still ours (when the caller holds one).
        let updated = sqlx::query(
            "UPDATE messages SET state = 'done', from_address = ?, subject = ?, conversation_id = ?, kind = ?, lang = ?,
               outcome = ?, list_number = ?, reply_template = ?, access_request_id = ?, report_json = ?, processed_at = ?
             WHERE id = ? AND state = 'stored' AND (? IS NULL OR lease_owner = ?)",
        )
        .bind(&w.from_address)
        .bind(&w.subject)
        .bind(conversation)
        .bind(&w.kind)
        .bind(&w.lang)
        .bind(&w.outcome)
        .bind(&w.list_number)
        .bind(&w.reply_template)
        .bind(access_id)
        .bind(&w.report_json)
        .bind(&at)
        .bind(message)
        .bind(&w.lease_owner)
        .bind(&w.lease_owner)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            // Someone else committed it first (keep theirs), or took the lease over: write
            // nothing of ours.
            tx.rollback().await?;
            if let Some(owner) = &w.lease_owner {
                return Err(StoreError::LeaseLost(format!(
                    "message {message} is no longer leased to {owner}"
                )));
            }
            return Ok(());
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_outbox(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT id, message, template, to_address, message_id, eml, attempts FROM outbox
             WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        )
        .bind(now.to_rfc3339())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    message: r.try_get("message")?,
                    template: r.try_get("template")?,
                    to_address: r.try_get("to_address")?,
                    message_id: r.try_get("message_id")?,
                    eml: r.try_get("eml")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'pending'")
            .bind(at.to_rfc3339())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt: DateTime<Utc>,
        dead: bool,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // leases: a failed attempt gives the row back; its retry time decides when it is
        // tried again, by whichever daemon (or the next run) gets there.
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, state = ?,
               lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = 'pending'",
        )
        .bind(error)
        .bind(next_attempt.to_rfc3339())
        .bind(if dead { "dead" } else { "pending" })
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if dead {
            sqlx::query(
                "INSERT INTO flags (message, kind, detail, status, created_at)
                 SELECT message, 'dead_letter', ?, 'open', ? FROM outbox WHERE id = ?",
            )
            .bind(format!("outbox {id}: {error}"))
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    async fn decide_access_request(
        &self,
        id: i64,
        status: AccessStatus,
        actor: &str,
        reason: Option<&str>,
        reply: Option<&OutboxWrite>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT status FROM access_requests WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(before) = before else {
            return Err(StoreError::Corrupt(format!("no access request {id}")));
        };
        let at = now();
        sqlx::query("UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, reason = ?, updated_at = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(actor)
            .bind(&at)
            .bind(reason)
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if status == AccessStatus::Approved {
            sqlx::query("UPDATE employers SET uses_winorg = 1 WHERE employer_id = (SELECT employer_id FROM access_requests WHERE id = ?)")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE flags SET status = 'resolved', resolved_by = ?, resolved_at = ?, note = ?
             WHERE kind = 'access_request' AND status = 'open'
               AND message IN (SELECT id FROM messages WHERE access_request_id = ?)",
        )
        .bind(actor)
        .bind(&at)
        .bind(status.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(o) = reply {
            let last_message: Option<i64> =
                sqlx::query_scalar("SELECT last_message FROM access_requests WHERE id = ?")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            insert_outbox(&mut tx, last_message, o, &at).await?;
        }
        sqlx::query("INSERT INTO audit_log (at, actor, action, subject, before, after) VALUES (?, ?, 'access_decision', ?, ?, ?)")
            .bind(&at)
            .bind(actor)
            .bind(format!("access_request:{id}"))
            .bind(before)
            .bind(format!("{}{}", status.as_str(), reason.map(|r| format!(": {r}")).unwrap_or_default()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn last_job_tick(&self, job: &str) -> Result<Option<DateTime<Utc>>> {
        let tick: Option<String> =
            sqlx::query_scalar("SELECT MAX(tick) FROM job_runs WHERE job = ?")
                .bind(job)
                .fetch_one(&self.pool)
                .await?;
        Ok(tick.as_deref().and_then(time))
    }

    async fn overdue_candidates(&self, date: NaiveDate) -> Result<Vec<OverdueCandidate>> {
        let rows = sqlx::query(
            "SELECT l.*,
               EXISTS (SELECT 1 FROM messages m WHERE m.list_number = l.list_number AND m.kind = 'list_submission') AS received,
               EXISTS (SELECT 1 FROM payments p WHERE p.list_number = l.list_number) AS paid
             FROM lists l WHERE l.due_date < ? ORDER BY l.due_date, l.list_number",
        )
        .bind(date.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let list = list_from(row)?;
            let sent: Vec<String> = sqlx::query_scalar(
                "SELECT sent_at FROM reminders WHERE kind = 'reminder_overdue' AND subject_key = ? ORDER BY sent_at",
            )
            .bind(&list.list_number)
            .fetch_all(&self.pool)
            .await?;
            out.push(OverdueCandidate {
                received: row.try_get::<i64, _>("received")? != 0
                    || list.submitted_message.is_some(),
                paid: row.try_get::<i64, _>("paid")? != 0,
                reminders: sent.iter().filter_map(|s| time(s)).collect(),
                list,
            });
        }
        Ok(out)
    }

    async fn waiting_access_requests(&self) -> Result<Vec<WaitingAccess>> {
        // Waiting since the mail that left it incomplete arrived (its Date), so reminders
        // follow the employer's clock, not when trekkpost happened to process the mail.
        let rows = sqlx::query(
            "SELECT a.*, COALESCE(m.arrival, a.updated_at) AS waiting_since FROM access_requests a
             LEFT JOIN messages m ON m.id = a.last_message
             WHERE a.status = 'needs_info' ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let request = access_from(row)?;
            let updated: String = row.try_get("waiting_since")?;
            let sent: Vec<String> = sqlx::query_scalar(
                "SELECT sent_at FROM reminders WHERE kind = 'reminder_needs_info' AND subject_key = ? ORDER BY sent_at",
            )
            .bind(request.id.to_string())
            .fetch_all(&self.pool)
            .await?;
            out.push(WaitingAccess {
                waiting_since: time(&updated)
                    .ok_or_else(|| StoreError::Corrupt(format!("time {updated}")))?,
                reminders: sent.iter().filter_map(|s| time(s)).collect(),
                request,
            });
        }
        Ok(out)
    }

    async fn open_flag_counts(&self) -> Result<Vec<FlagCount>> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) AS n, MIN(created_at) AS oldest FROM flags WHERE status = 'open' GROUP BY kind ORDER BY kind",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let oldest: Option<String> = r.try_get("oldest")?;
                Ok(FlagCount {
                    kind: r.try_get("kind")?,
                    count: r.try_get("n")?,
                    oldest: oldest.as_deref().and_then(time),
                })
            })
            .collect()
    }

    async fn record_job_run(
        &self,
        job: &str,
        tick: DateTime<Utc>,
        at: DateTime<Utc>,
        reminders: &[ReminderWrite],
        outbox: &[OutboxWrite],
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO job_runs (job, tick, ran_at, mails) VALUES (?, ?, ?, ?) ON CONFLICT(job, tick) DO NOTHING",
        )
        .bind(job)
        .bind(tick.to_rfc3339())
        .bind(now())
        .bind(outbox.len() as i64)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for r in reminders {
            sqlx::query(
                "INSERT INTO reminders (kind, subject_key, tick, sent_at) VALUES (?, ?, ?, ?)",
            )
            .bind(&r.kind)
            .bind(&r.subject_key)
            .bind(tick.to_rfc3339())
            .bind(at.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        }
        let created = now();
        for o in outbox {
            insert_outbox(&mut tx, None, o, &created).await?;
        }
        sqlx::query("INSERT INTO audit_log (at, actor, action, subject, after) VALUES (?, 'system', 'job_run', ?, ?)")
            .bind(&created)
            .bind(format!("job:{job}"))
            .bind(format!("tick {} as of {}: {} mails", tick.to_rfc3339(), at.to_rfc3339(), outbox.len()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn message_lang(&self, id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT lang FROM messages WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .flatten())
    }

    // leases
    async fn claim_messages(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "UPDATE messages SET lease_owner = ?1, lease_until = ?2 WHERE id IN (SELECT id FROM messages WHERE state = 'stored' AND (lease_until IS NULL OR lease_until < ?3 OR lease_owner = ?1) ORDER BY id LIMIT ?4) RETURNING id",
        )
        .bind(owner)
        .bind(until.to_rfc3339())
        .bind(now.to_rfc3339())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        ids.sort_unstable();
        Ok(ids)
    }

    async fn claim_outbox(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "UPDATE outbox SET lease_owner = ?1, lease_until = ?2 WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?3 AND (lease_until IS NULL OR lease_until < ?3 OR lease_owner = ?1) ORDER BY id LIMIT ?4) RETURNING id, message, template, to_address, message_id, eml, attempts",
        )
        .bind(owner)
        .bind(until.to_rfc3339())
        .bind(now.to_rfc3339())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    message: r.try_get("message")?,
                    template: r.try_get("template")?,
                    to_address: r.try_get("to_address")?,
                    message_id: r.try_get("message_id")?,
                    eml: r.try_get("eml")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    async fn claim_filing(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let claimed: Option<String> = sqlx::query_scalar(
            "INSERT INTO filing_claims (key, owner, until) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, until = excluded.until
             WHERE filing_claims.until < ?4 OR filing_claims.owner = excluded.owner
             RETURNING key",
        )
        .bind(key)
        .bind(owner)
        .bind(until.to_rfc3339())
        .bind(now.to_rfc3339())
        .fetch_optional(&self.pool)
        .await?;
        Ok(claimed.is_some())
    }

    async fn release_filing(&self, key: &str, owner: &str) -> Result<()> {
        sqlx::query("DELETE FROM filing_claims WHERE key = ? AND owner = ?")
            .bind(key)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn renew_message_leases(
        &self,
        owner: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        renew_leases(&self.pool, "messages", "stored", owner, ids, until).await
    }

    async fn renew_outbox_leases(
        &self,
        owner: &str,
        ids: &[i64],
        until: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        renew_leases(&self.pool, "outbox", "pending", owner, ids, until).await
    }

    // web
    async fn staff_upsert(&self, email: &str, password_hash: &str, actor: &str) -> Result<()> {
        let email = email.trim().to_lowercase();
        let at = now();
        let mut tx = self.pool.begin().await?;
        let before: Option<i64> = sqlx::query_scalar("SELECT active FROM staff WHERE email = ?")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO staff (email, password_hash, active, created_at, updated_at) VALUES (?, ?, 1, ?, ?)
             ON CONFLICT(email) DO UPDATE SET password_hash = excluded.password_hash, active = 1,
               updated_at = excluded.updated_at",
        )
        .bind(&email)
        .bind(password_hash)
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        // A new password ends the sessions made with the old one.
        sqlx::query(
            "DELETE FROM staff_sessions WHERE staff_id = (SELECT id FROM staff WHERE email = ?)",
        )
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        insert_audit(
            &mut tx,
            actor,
            if before.is_some() {
                "staff_password"
            } else {
                "staff_add"
            },
            &format!("staff:{email}"),
            before.map(|a| if a != 0 { "active" } else { "disabled" }),
            Some("active"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn staff_set_active(&self, email: &str, active: bool, actor: &str) -> Result<bool> {
        let email = email.trim().to_lowercase();
        let mut tx = self.pool.begin().await?;
        let before: Option<i64> = sqlx::query_scalar("SELECT active FROM staff WHERE email = ?")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(before) = before else {
            return Ok(false);
        };
        sqlx::query("UPDATE staff SET active = ?, updated_at = ? WHERE email = ?")
            .bind(active as i64)
            .bind(now())
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM staff_sessions WHERE staff_id = (SELECT id FROM staff WHERE email = ?)")
                .bind(&email)
                .execute(&mut *tx)
                .await?;
        }
        let word = |a: bool| if a { "active" } else { "disabled" };
        insert_audit(
            &mut tx,
            actor,
            if active {
                "staff_enable"
            } else {
                "staff_disable"
            },
            &format!("staff:{email}"),
            Some(word(before != 0)),
            Some(word(active)),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffAccount>> {
        let row = sqlx::query("SELECT id, email, password_hash, active FROM staff WHERE email = ?")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(StaffAccount {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
                password_hash: r.try_get("password_hash")?,
                active: r.try_get::<i64, _>("active")? != 0,
            })
        })
        .transpose()
    }

    async fn session_create(
        &self,
        token_sha256: &str,
        staff_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO staff_sessions (token_sha256, staff_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_sha256)
        .bind(staff_id)
        .bind(csrf_token)
        .bind(at.to_rfc3339())
        .bind(at.to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_get(&self, token_sha256: &str) -> Result<Option<StaffSession>> {
        let row = sqlx::query(
            "SELECT s.staff_id, s.csrf_token, s.last_seen_at, t.email FROM staff_sessions s
             JOIN staff t ON t.id = s.staff_id WHERE s.token_sha256 = ? AND t.active = 1",
        )
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let seen: String = r.try_get("last_seen_at")?;
            Ok(StaffSession {
                staff_id: r.try_get("staff_id")?,
                email: r.try_get("email")?,
                csrf_token: r.try_get("csrf_token")?,
                last_seen: time(&seen)
                    .ok_or_else(|| StoreError::Corrupt(format!("time {seen}")))?,
            })
        })
        .transpose()
    }

    async fn session_touch(&self, token_sha256: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE staff_sessions SET last_seen_at = ? WHERE token_sha256 = ?")
            .bind(at.to_rfc3339())
            .bind(token_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_delete(&self, token_sha256: &str) -> Result<()> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_sha256 = ?")
            .bind(token_sha256)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn queue(&self, filter: &QueueFilter) -> Result<Vec<QueueItem>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{QUEUE_SELECT}
             WHERE (?1 IS NULL OR q.kind = ?1)
               AND (?2 IS NULL OR q.status = ?2)
               AND (?3 IS NULL OR q.since < ?3)
               AND (?4 IS NULL OR q.employer_id = ?4)
             ORDER BY q.since, q.flag_id"
        )))
        .bind(&filter.kind)
        .bind(&filter.status)
        .bind(filter.created_before.map(|t| t.to_rfc3339()))
        .bind(&filter.employer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(queue_item_from).collect()
    }

    async fn queue_item(&self, flag_id: i64) -> Result<Option<QueueItem>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{QUEUE_SELECT} WHERE q.flag_id = ?"
        )))
        .bind(flag_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(queue_item_from)
        .transpose()
    }

    async fn flags_of_message(&self, message: i64) -> Result<Vec<QueueItem>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{QUEUE_SELECT} WHERE q.message = ? ORDER BY q.flag_id"
        )))
        .bind(message)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(queue_item_from).collect()
    }

    async fn resolve_flag(&self, flag_id: i64, actor: &str, note: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let at = now();
        let done = sqlx::query(
            "UPDATE flags SET status = 'resolved', resolved_by = ?, resolved_at = ?, note = ? WHERE id = ? AND status = 'open'",
        )
        .bind(actor)
        .bind(&at)
        .bind(note)
        .bind(flag_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_audit(
            &mut tx,
            actor,
            "flag_resolve",
            &format!("flag:{flag_id}"),
            Some("open"),
            Some(&format!("resolved: {note}")),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn message_detail(&self, id: i64) -> Result<Option<MessageDetail>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MESSAGE_SELECT} WHERE m.id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(message_detail_from)
        .transpose()
    }

    async fn conversation_messages(&self, conversation: i64) -> Result<Vec<MessageDetail>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MESSAGE_SELECT} WHERE m.conversation_id = ? ORDER BY m.id"
        )))
        .bind(conversation)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_detail_from).collect()
    }

    async fn messages_of_employer(&self, employer_id: &str) -> Result<Vec<MessageDetail>> {
        let employer = self.employer(employer_id).await?;
        let addresses = employer.map(|e| e.addresses()).unwrap_or_default();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MESSAGE_SELECT} ORDER BY m.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let list_employer: Option<String> = r.try_get("employer_of_list")?;
            let access_employer: Option<String> = r.try_get("employer_of_access")?;
            let m = message_detail_from(r)?;
            let from_contact = m
                .from_address
                .as_ref()
                .is_some_and(|a| addresses.contains(&a.to_lowercase()));
            if list_employer.as_deref() == Some(employer_id)
                || access_employer.as_deref() == Some(employer_id)
                || from_contact
            {
                out.push(m);
            }
        }
        Ok(out)
    }

    async fn attachments_of(&self, message: i64) -> Result<Vec<AttachmentInfo>> {
        let rows = sqlx::query("SELECT * FROM attachments WHERE message = ? ORDER BY id")
            .bind(message)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AttachmentInfo {
                    id: r.try_get("id")?,
                    message: r.try_get("message")?,
                    file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?,
                    sha256: r.try_get("sha256")?,
                    size: r.try_get("size")?,
                    readable: r.try_get::<Option<i64>, _>("readable")?.map(|v| v != 0),
                    reason: r.try_get("reason")?,
                    parsed_json: r.try_get("parsed_json")?,
                })
            })
            .collect()
    }

    async fn parsed_lines_of(&self, message: i64) -> Result<Vec<ParsedLineRow>> {
        let rows =
            sqlx::query("SELECT * FROM parsed_lines WHERE message = ? ORDER BY attachment, id")
                .bind(message)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(parsed_line_from).collect()
    }

    async fn parsed_line(&self, id: i64) -> Result<Option<ParsedLineRow>> {
        sqlx::query("SELECT * FROM parsed_lines WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(parsed_line_from)
            .transpose()
    }

    async fn outbox_of_messages(&self, messages: &[i64]) -> Result<Vec<OutboxInfo>> {
        let mut out = Vec::new();
        for m in messages {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{OUTBOX_SELECT} WHERE message = ? ORDER BY id"
            )))
            .bind(m)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.push(outbox_info_from(r)?);
            }
        }
        out.sort_by_key(|o| o.id);
        Ok(out)
    }

    async fn outbox_row(&self, id: i64) -> Result<Option<OutboxInfo>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{OUTBOX_SELECT} WHERE id = ?")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(outbox_info_from)
            .transpose()
    }

    async fn dead_letters(&self) -> Result<Vec<OutboxInfo>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{OUTBOX_SELECT} WHERE state = 'dead' ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_info_from).collect()
    }

    async fn retry_dead_letter(&self, outbox: i64, actor: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let at = now();
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state = 'dead'",
        )
        .bind(&at)
        .bind(outbox)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        resolve_dead_letter_flags(&mut tx, outbox, actor, "sendes på nytt").await?;
        insert_audit(
            &mut tx,
            actor,
            "outbox_retry",
            &format!("outbox:{outbox}"),
            Some("dead"),
            Some("pending"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn discard_dead_letter(&self, outbox: i64, actor: &str, note: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("UPDATE outbox SET state = 'discarded' WHERE id = ? AND state = 'dead'")
                .bind(outbox)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        resolve_dead_letter_flags(&mut tx, outbox, actor, note).await?;
        insert_audit(
            &mut tx,
            actor,
            "outbox_discard",
            &format!("outbox:{outbox}"),
            Some("dead"),
            Some(&format!("discarded: {note}")),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn queue_staff_reply(&self, message: i64, o: &OutboxWrite, actor: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let at = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (message, template, to_address, subject, message_id, eml, state, attempts, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
        )
        .bind(message)
        .bind(&o.template)
        .bind(o.to_address.to_lowercase())
        .bind(&o.subject)
        .bind(&o.message_id)
        .bind(&o.eml)
        .bind(if o.held { "held" } else { "pending" })
        .bind(&at)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        // The employer's answer to this reply must find its way back to the conversation.
        sqlx::query(
            "INSERT INTO conversation_ids (message_id, conversation_id)
             SELECT ?, conversation_id FROM messages WHERE id = ? AND conversation_id IS NOT NULL
             ON CONFLICT(message_id) DO NOTHING",
        )
        .bind(&o.message_id)
        .bind(message)
        .execute(&mut *tx)
        .await?;
        insert_audit(
            &mut tx,
            actor,
            "staff_reply",
            &format!("message:{message}"),
            None,
            Some(&format!("outbox:{id} to {}: {}", o.to_address, o.subject)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reassign_message(
        &self,
        message: i64,
        list_number: &str,
        actor: &str,
        note: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let at = now();
        let before: Option<Option<String>> =
            sqlx::query_scalar("SELECT list_number FROM messages WHERE id = ?")
                .bind(message)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(before) = before else {
            return Err(StoreError::Corrupt(format!("no message {message}")));
        };
        sqlx::query(
            "INSERT INTO staff_list_overrides (message, list_number, decided_by, decided_at, note) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(message) DO UPDATE SET list_number = excluded.list_number, decided_by = excluded.decided_by,
               decided_at = excluded.decided_at, note = excluded.note",
        )
        .bind(message)
        .bind(list_number)
        .bind(actor)
        .bind(&at)
        .bind(note)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE messages SET list_number = ? WHERE id = ?")
            .bind(list_number)
            .bind(message)
            .execute(&mut *tx)
            .await?;
        insert_audit(
            &mut tx,
            actor,
            "message_reassign",
            &format!("message:{message}"),
            before.as_deref().or(Some("(ingen liste)")),
            Some(&format!("{list_number}: {note}")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reopen_for_rerun(&self, message: i64, actor: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let at = now();
        let before: Option<String> = sqlx::query_scalar(
            "SELECT COALESCE(kind, '') || ' ' || COALESCE(outcome, '') FROM messages WHERE id = ? AND state = 'done'",
        )
        .bind(message)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            tx.rollback().await?;
            return Ok(false);
        };
        sqlx::query("INSERT INTO rerun_holds (message, since) VALUES (?, ?) ON CONFLICT(message) DO NOTHING")
            .bind(message)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        // Open flags were the automatic outcome's; the re-run raises its own. Flags staff
        // resolved keep their resolution.
        sqlx::query(
            "UPDATE flags SET status = 'superseded', resolved_by = ?, resolved_at = ?, note = 'kjørt på nytt'
             WHERE message = ? AND status = 'open'",
        )
        .bind(actor)
        .bind(&at)
        .bind(message)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM parsed_lines WHERE message = ?")
            .bind(message)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM attachments WHERE message = ?")
            .bind(message)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE messages SET state = 'stored' WHERE id = ?")
            .bind(message)
            .execute(&mut *tx)
            .await?;
        insert_audit(
            &mut tx,
            actor,
            "message_rerun",
            &format!("message:{message}"),
            Some(&before),
            Some("stored: re-run requested"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn finish_rerun(&self, message: i64, actor: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE messages SET list_number = (SELECT list_number FROM staff_list_overrides WHERE message = ?)
             WHERE id = ? AND EXISTS (SELECT 1 FROM staff_list_overrides WHERE message = ?)",
        )
        .bind(message)
        .bind(message)
        .bind(message)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM rerun_holds WHERE message = ?")
            .bind(message)
            .execute(&mut *tx)
            .await?;
        let after: Option<String> = sqlx::query_scalar(
            "SELECT COALESCE(kind, '') || ' ' || COALESCE(outcome, '') || ' (' || state || ')' FROM messages WHERE id = ?",
        )
        .bind(message)
        .fetch_optional(&mut *tx)
        .await?;
        insert_audit(
            &mut tx,
            actor,
            "message_rerun_done",
            &format!("message:{message}"),
            None,
            after.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_audit(&mut tx, actor, action, subject, before, after).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_entries(
        &self,
        actor: Option<&str>,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR subject = ?2 OR subject LIKE ?2 || ':%')
             ORDER BY id DESC LIMIT ?3",
        )
        .bind(actor)
        .bind(subject)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get("at")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: time(&at),
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    before: r.try_get("before")?,
                    after: r.try_get("after")?,
                })
            })
            .collect()
    }

    async fn employers(&self) -> Result<Vec<Employer>> {
        sqlx::query("SELECT * FROM employers ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(employer_from)
            .collect()
    }

    async fn health_facts(&self) -> Result<HealthFacts> {
        let opt_time = |s: Option<String>| s.as_deref().and_then(time);
        let last_stored: Option<String> = sqlx::query_scalar("SELECT MAX(stored_at) FROM messages")
            .fetch_one(&self.pool)
            .await?;
        let last_processed: Option<String> =
            sqlx::query_scalar("SELECT MAX(processed_at) FROM messages")
                .fetch_one(&self.pool)
                .await?;
        let unprocessed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE state = 'stored'")
                .fetch_one(&self.pool)
                .await?;
        let oldest_pending: Option<String> =
            sqlx::query_scalar("SELECT MIN(created_at) FROM outbox WHERE state = 'pending'")
                .fetch_one(&self.pool)
                .await?;
        let open_flags: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM flags WHERE status = 'open'")
                .fetch_one(&self.pool)
                .await?;
        let job = sqlx::query("SELECT job, ran_at FROM job_runs ORDER BY ran_at DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        let last_job_run = match job {
            Some(r) => {
                let ran: String = r.try_get("ran_at")?;
                time(&ran)
                    .map(|t| Ok::<_, StoreError>((r.try_get("job")?, t)))
                    .transpose()?
            }
            None => None,
        };
        Ok(HealthFacts {
            last_stored: opt_time(last_stored),
            last_processed: opt_time(last_processed),
            unprocessed,
            outbox: self.outbox_counts().await?,
            oldest_pending: opt_time(oldest_pending),
            open_flags,
            last_job_run,
        })
    }

    async fn set_line_matches(
        &self,
        message: i64,
        matches: &[(i64, Option<String>, Option<String>)],
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let before: Vec<String> = sqlx::query_scalar(
            "SELECT COALESCE(match_status, '-') FROM parsed_lines WHERE message = ? ORDER BY id",
        )
        .bind(message)
        .fetch_all(&mut *tx)
        .await?;
        for (id, status, member) in matches {
            sqlx::query("UPDATE parsed_lines SET match_status = ?, matched_member = ? WHERE id = ? AND message = ?")
                .bind(status)
                .bind(member)
                .bind(id)
                .bind(message)
                .execute(&mut *tx)
                .await?;
        }
        let after: Vec<&str> = matches
            .iter()
            .map(|(_, s, _)| s.as_deref().unwrap_or("-"))
            .collect();
        insert_audit(
            &mut tx,
            actor,
            "lines_rematched",
            &format!("message:{message}"),
            Some(&before.join(",")),
            Some(&after.join(",")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_eml(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar("SELECT eml FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn session_purge(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM staff_sessions WHERE last_seen_at < ?")
                .bind(before.to_rfc3339())
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    // transport
    async fn imap_state(&self, mailbox: &str) -> Result<Option<(u32, u32)>> {
        let row = sqlx::query("SELECT uid_validity, last_uid FROM imap_state WHERE mailbox = ?")
            .bind(mailbox)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let v: i64 = r.try_get("uid_validity")?;
                let u: i64 = r.try_get("last_uid")?;
                let v = u32::try_from(v).map_err(|_| StoreError::Corrupt("uid_validity".into()))?;
                let u = u32::try_from(u).map_err(|_| StoreError::Corrupt("last_uid".into()))?;
                Ok(Some((v, u)))
            }
        }
    }

    async fn set_imap_state(&self, mailbox: &str, uid_validity: u32, last_uid: u32) -> Result<()> {
        sqlx::query(
            "INSERT INTO imap_state (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(mailbox) DO UPDATE SET uid_validity = excluded.uid_validity,
               last_uid = excluded.last_uid, updated_at = excluded.updated_at",
        )
        .bind(mailbox)
        .bind(i64::from(uid_validity))
        .bind(i64::from(last_uid))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn outbox_id_by_message_id(&self, message_id: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM outbox WHERE message_id = ?")
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn smtp_journal(&self, outbox_id: i64) -> Result<Option<(String, DateTime<Utc>)>> {
        let row = sqlx::query("SELECT state, started_at FROM smtp_journal WHERE outbox_id = ?")
            .bind(outbox_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let state: String = r.try_get("state")?;
                let at: String = r.try_get("started_at")?;
                let at = DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| StoreError::Corrupt(format!("smtp_journal.started_at: {e}")))?
                    .with_timezone(&Utc);
                Ok(Some((state, at)))
            }
        }
    }

    async fn smtp_journal_started(&self, outbox_id: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO smtp_journal (outbox_id, state, started_at) VALUES (?, 'started', ?)
             ON CONFLICT(outbox_id) DO UPDATE SET started_at = excluded.started_at
             WHERE smtp_journal.state = 'started'",
        )
        .bind(outbox_id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn smtp_journal_accepted(&self, outbox_id: i64) -> Result<()> {
        let at = now();
        sqlx::query(
            "INSERT INTO smtp_journal (outbox_id, state, started_at, accepted_at) VALUES (?, 'accepted', ?, ?)
             ON CONFLICT(outbox_id) DO UPDATE SET state = 'accepted', accepted_at = excluded.accepted_at",
        )
        .bind(outbox_id)
        .bind(&at)
        .bind(&at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn smtp_in_doubt(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT o.id, o.message_id FROM smtp_journal j JOIN outbox o ON o.id = j.outbox_id
             WHERE j.state = 'started' AND o.state = 'pending' ORDER BY o.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("message_id")?)))
            .collect()
    }

    async fn smtp_journal_clear(&self, outbox_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM smtp_journal WHERE outbox_id = ? AND state = 'started'")
            .bind(outbox_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_transport_status(&self, name: &str, status: &TransportStatus) -> Result<()> {
        sqlx::query(
            "INSERT INTO transport_status (name, connected, last_poll, waiting, last_error, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(name) DO UPDATE SET connected = excluded.connected,
               last_poll = COALESCE(excluded.last_poll, transport_status.last_poll),
               waiting = COALESCE(excluded.waiting, transport_status.waiting),
               last_error = excluded.last_error, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(status.connected)
        .bind(status.last_poll.map(|t| t.to_rfc3339()))
        .bind(status.waiting)
        .bind(status.last_error.as_deref())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn next_outbox_attempt(&self) -> Result<Option<DateTime<Utc>>> {
        let at: Option<String> =
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
                .fetch_one(&self.pool)
                .await?;
        Ok(at
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    async fn transport_status(&self, name: &str) -> Result<Option<TransportStatus>> {
        let row = sqlx::query(
            "SELECT connected, last_poll, waiting, last_error, updated_at FROM transport_status WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        let time = |s: Option<String>| {
            s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(TransportStatus {
                connected: r.try_get("connected")?,
                last_poll: time(r.try_get("last_poll")?),
                waiting: r.try_get("waiting")?,
                last_error: r.try_get("last_error")?,
                updated_at: time(r.try_get("updated_at")?),
            })),
        }
    }
}

// web: row mappers and shared statements of the triage UI.

// `since`: when the employer wrote (the mail's arrival), else when the flag was raised.
// The employer: of the list (the mail's, or the one a payment flag names: `list 251219: …`),
// else of the access request, else the one the sender is a contact of.
const QUEUE_SELECT: &str = "SELECT q.*, e.name AS employer_name FROM (
     SELECT f.id AS flag_id, f.kind, f.detail, f.status, f.created_at, f.resolved_by,
       COALESCE(m.arrival, f.created_at) AS since,
       f.resolved_at, f.note, f.message, m.from_address, m.subject, m.kind AS message_kind, m.outcome,
       COALESCE(m.list_number, l.list_number) AS list_number,
       COALESCE(l.employer_id, a.employer_id,
         (SELECT c.employer_id FROM employers c WHERE m.from_address IS NOT NULL
            AND (',' || c.contact_emails || ',' || COALESCE(c.invoice_email, '') || ',')
                LIKE '%,' || m.from_address || ',%'
          ORDER BY c.employer_id LIMIT 1)) AS employer_id
     FROM flags f
     LEFT JOIN messages m ON m.id = f.message
     LEFT JOIN lists l ON l.list_number = COALESCE(m.list_number,
       CASE WHEN f.detail LIKE 'list %:%' THEN substr(f.detail, 6, instr(f.detail, ':') - 6) END)
     LEFT JOIN access_requests a ON a.id = m.access_request_id
   ) q
   LEFT JOIN employers e ON e.employer_id = q.employer_id";

const MESSAGE_SELECT: &str = "SELECT m.*, o.list_number AS override_list, o.decided_by AS override_by,
       (SELECT employer_id FROM lists WHERE list_number = m.list_number) AS employer_of_list,
       (SELECT employer_id FROM access_requests WHERE id = m.access_request_id) AS employer_of_access
     FROM messages m LEFT JOIN staff_list_overrides o ON o.message = m.id";

const OUTBOX_SELECT: &str =
    "SELECT id, message, template, to_address, subject, message_id, state, attempts,
       last_error, created_at, sent_at FROM outbox";

fn queue_item_from(r: &sqlx::sqlite::SqliteRow) -> Result<QueueItem> {
    let created: Option<String> = r.try_get("created_at")?;
    let resolved: Option<String> = r.try_get("resolved_at")?;
    let since: Option<String> = r.try_get("since")?;
    Ok(QueueItem {
        since: since.as_deref().and_then(time),
        flag_id: r.try_get("flag_id")?,
        kind: r.try_get("kind")?,
        detail: r.try_get("detail")?,
        status: r.try_get("status")?,
        created_at: created.as_deref().and_then(time),
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: resolved.as_deref().and_then(time),
        note: r.try_get("note")?,
        message: r.try_get("message")?,
        from_address: r.try_get("from_address")?,
        subject: r.try_get("subject")?,
        message_kind: r.try_get("message_kind")?,
        outcome: r.try_get("outcome")?,
        list_number: r.try_get("list_number")?,
        employer_id: r.try_get("employer_id")?,
        employer_name: r.try_get("employer_name")?,
    })
}

fn message_detail_from(r: &sqlx::sqlite::SqliteRow) -> Result<MessageDetail> {
    let arrival: Option<String> = r.try_get("arrival")?;
    let stored: Option<String> = r.try_get("stored_at")?;
    let override_list: Option<String> = r.try_get("override_list")?;
    let override_by: Option<String> = r.try_get("override_by")?;
    Ok(MessageDetail {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        source: r.try_get("source")?,
        arrival: arrival.as_deref().and_then(time),
        stored_at: stored.as_deref().and_then(time),
        state: r.try_get("state")?,
        from_address: r.try_get("from_address")?,
        subject: r.try_get("subject")?,
        conversation_id: r.try_get("conversation_id")?,
        kind: r.try_get("kind")?,
        lang: r.try_get("lang")?,
        outcome: r.try_get("outcome")?,
        list_number: r.try_get("list_number")?,
        reply_template: r.try_get("reply_template")?,
        access_request_id: r.try_get("access_request_id")?,
        report_json: r.try_get("report_json")?,
        list_override: override_list.zip(override_by),
    })
}

fn parsed_line_from(r: &sqlx::sqlite::SqliteRow) -> Result<ParsedLineRow> {
    Ok(ParsedLineRow {
        id: r.try_get("id")?,
        message: r.try_get("message")?,
        attachment: r.try_get("attachment")?,
        sheet: r.try_get("sheet")?,
        row_number: r.try_get("row_number")?,
        national_id: r.try_get("national_id")?,
        birth_date: r.try_get("birth_date")?,
        name: r.try_get("name")?,
        member_number: r.try_get("member_number")?,
        employee_number: r.try_get("employee_number")?,
        amount_ore: r.try_get("amount_ore")?,
        end_date: r.try_get("end_date")?,
        comment: r.try_get("comment")?,
        match_status: r.try_get("match_status")?,
        matched_member: r.try_get("matched_member")?,
    })
}

fn outbox_info_from(r: &sqlx::sqlite::SqliteRow) -> Result<OutboxInfo> {
    let created: Option<String> = r.try_get("created_at")?;
    let sent: Option<String> = r.try_get("sent_at")?;
    Ok(OutboxInfo {
        id: r.try_get("id")?,
        message: r.try_get("message")?,
        template: r.try_get("template")?,
        to_address: r.try_get("to_address")?,
        subject: r.try_get("subject")?,
        message_id: r.try_get("message_id")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        created_at: created.as_deref().and_then(time),
        sent_at: sent.as_deref().and_then(time),
    })
}

/// leases: extend the leases `owner` still holds on rows of `table` in `state`.
async fn renew_leases(
    pool: &SqlitePool,
    table: &'static str,
    state: &'static str,
    owner: &str,
    ids: &[i64],
    until: DateTime<Utc>,
) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    // The table and state are constants of this file; only the ids vary in number.
    let sql = format!(
        "UPDATE {table} SET lease_until = ? WHERE lease_owner = ? AND state = '{state}' AND id IN ({marks}) RETURNING id"
    );
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(until.to_rfc3339())
        .bind(owner);
    for id in ids {
        query = query.bind(*id);
    }
    let mut renewed: Vec<i64> = query.fetch_all(pool).await?;
    renewed.sort_unstable();
    Ok(renewed)
}

async fn insert_audit(
    tx: &mut Transaction<'_, Sqlite>,
    actor: &str,
    action: &str,
    subject: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(before)
        .bind(after)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The dead-letter flags `mark_failed` raised for this outbox row (detail `outbox N: …`).
async fn resolve_dead_letter_flags(
    tx: &mut Transaction<'_, Sqlite>,
    outbox: i64,
    actor: &str,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE flags SET status = 'resolved', resolved_by = ?, resolved_at = ?, note = ?
         WHERE kind = 'dead_letter' AND status = 'open' AND detail LIKE ?",
    )
    .bind(actor)
    .bind(now())
    .bind(note)
    .bind(format!("outbox {outbox}:%"))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
