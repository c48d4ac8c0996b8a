//! `db copy`: move an installation between databases (SQLite to PostgreSQL, or back) with
//! nothing lost. Every table is copied row by row, ids included, in one transaction; then
//! both sides are read again and each table's row count and checksum compared.
use super::{AnyStore, StoreError};
use sha2::{Digest, Sha256};
use sqlx::Row;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cannot copy into a database that has data: table {0} has rows")]
    TargetNotEmpty(String),
    #[error("table {0} is not known to db copy (its rows would be lost)")]
    UnknownTable(String),
    #[error("table {table}: the databases have different columns ({from} / {to})")]
    Columns {
        table: String,
        from: String,
        to: String,
    },
    #[error("table {table}: {what} differ after the copy ({from} / {to})")]
    Mismatch {
        table: String,
        what: &'static str,
        from: String,
        to: String,
    },
}

/// Tables in an order that satisfies their references.
const ORDER: &[&str] = &[
    "employers",
    "lists",
    "list_lines",
    "payments",
    "imports",
    "raw_messages",
    "conversations",
    "messages",
    "conversation_ids",
    "attachments",
    "parsed_lines",
    "flags",
    "access_requests",
    "outbox",
    "undeliverable_addresses",
    "audit_log",
    "job_runs",
    "reminders",
    "staff",
    "staff_sessions",
    "staff_list_overrides",
    "imap_state",
    "smtp_journal",
    "transport_status",
    // Last: a hold makes the outbox trigger hold rows inserted after it.
    "rerun_holds",
];

/// Columns that refer forward in a reference cycle: written once every row is in.
/// (table, column, key column)
const DEFERRED: &[(&str, &str, &str)] = &[
    ("lists", "submitted_message", "list_number"),
    ("messages", "access_request_id", "id"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bytes,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// One table as copied: its rows and their checksum (equal on both sides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub rows: i64,
    pub checksum: String,
}

fn kind_of(declared: &str) -> Kind {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        Kind::Int
    } else if t.contains("blob") || t.contains("bytea") {
        Kind::Bytes
    } else {
        Kind::Text
    }
}

async fn tables(store: &AnyStore) -> Result<Vec<String>, CopyError> {
    Ok(match store {
        AnyStore::Sqlite(s) => {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
            )
            .fetch_all(s.pool())
            .await?
        }
        AnyStore::Postgres(s) => {
            sqlx::query_scalar(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                   AND table_name <> '_sqlx_migrations' ORDER BY table_name",
            )
            .fetch_all(s.pool())
            .await?
        }
    })
}

async fn columns(store: &AnyStore, table: &str) -> Result<Vec<(String, Kind)>, CopyError> {
    let rows: Vec<(String, String)> = match store {
        AnyStore::Sqlite(s) => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info(?) ORDER BY cid")
                .bind(table)
                .fetch_all(s.pool())
                .await?
        }
        AnyStore::Postgres(s) => {
            sqlx::query_as(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(s.pool())
            .await?
        }
    };
    Ok(rows.into_iter().map(|(n, t)| (n, kind_of(&t))).collect())
}

fn decode<R: Row>(row: &R, cols: &[(String, Kind)]) -> Result<Vec<Value>, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    cols.iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
            }
            .unwrap_or(Value::Null))
        })
        .collect()
}

fn select_all(table: &str, cols: &[(String, Kind)]) -> String {
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    format!("SELECT {} FROM {table}", names.join(", "))
}

async fn read_rows(
    store: &AnyStore,
    table: &str,
    cols: &[(String, Kind)],
) -> Result<Vec<Vec<Value>>, CopyError> {
    let sql = sqlx::AssertSqlSafe(select_all(table, cols));
    Ok(match store {
        AnyStore::Sqlite(s) => sqlx::query(sql)
            .fetch_all(s.pool())
            .await?
            .iter()
            .map(|r| decode(r, cols))
            .collect::<Result<_, _>>()?,
        AnyStore::Postgres(s) => sqlx::query(sql)
            .fetch_all(s.pool())
            .await?
            .iter()
            .map(|r| decode(r, cols))
            .collect::<Result<_, _>>()?,
    })
}

/// Row count and an order-independent checksum of a table's rows.
fn checksum(rows: &[Vec<Value>]) -> String {
    let mut digests: Vec<[u8; 32]> = rows
        .iter()
        .map(|row| {
            let mut h = Sha256::new();
            for v in row {
                // Tagged and length-prefixed: no two different rows hash alike by accident.
                let int;
                let (tag, bytes): (u8, &[u8]) = match v {
                    Value::Null => (0, &[]),
                    Value::Int(i) => {
                        int = i.to_le_bytes();
                        (1, &int)
                    }
                    Value::Text(t) => (2, t.as_bytes()),
                    Value::Bytes(b) => (3, b),
                };
                h.update([tag]);
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(bytes);
            }
            h.finalize().into()
        })
        .collect();
    digests.sort_unstable();
    let mut all = Sha256::new();
    for d in &digests {
        all.update(d);
    }
    hex::encode(all.finalize())
}

/// Placeholders of the target backend: `?` on SQLite, `$n` on PostgreSQL.
fn insert_sql(store: &AnyStore, table: &str, cols: &[(String, Kind)]) -> String {
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    let marks: Vec<String> = (1..=cols.len())
        .map(|i| match store {
            AnyStore::Sqlite(_) => "?".to_string(),
            AnyStore::Postgres(_) => format!("${i}"),
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    )
}

fn update_sql(store: &AnyStore, table: &str, column: &str, key: &str) -> String {
    match store {
        AnyStore::Sqlite(_) => format!("UPDATE {table} SET {column} = ? WHERE {key} = ?"),
        AnyStore::Postgres(_) => format!("UPDATE {table} SET {column} = $1 WHERE {key} = $2"),
    }
}

/// Binds values by their column's kind, so a NULL has the column's type (PostgreSQL checks).
macro_rules! bind_row {
    ($query:expr, $cols:expr, $row:expr) => {{
        let mut q = $query;
        for ((_, kind), v) in $cols.iter().zip($row.iter()) {
            q = match (v, kind) {
                (Value::Int(i), _) => q.bind(*i),
                (Value::Text(t), _) => q.bind(t.clone()),
                (Value::Bytes(b), _) => q.bind(b.clone()),
                (Value::Null, Kind::Int) => q.bind(None::<i64>),
                (Value::Null, Kind::Text) => q.bind(None::<String>),
                (Value::Null, Kind::Bytes) => q.bind(None::<Vec<u8>>),
            };
        }
        q
    }};
}

/// A table's rows to write, with the deferred columns' values held back.
struct Plan {
    table: String,
    cols: Vec<(String, Kind)>,
    rows: Vec<Vec<Value>>,
}

/// Writes every planned table, then the deferred columns, in one transaction.
macro_rules! write_all {
    ($pool:expr, $target:expr, $plans:expr) => {{
        let mut tx = $pool.begin().await?;
        for plan in $plans {
            let sql = insert_sql($target, &plan.table, &plan.cols);
            for row in &plan.rows {
                let mut row = row.clone();
                for (t, c, _) in DEFERRED {
                    if *t == plan.table {
                        if let Some(i) = plan.cols.iter().position(|(n, _)| n == c) {
                            row[i] = Value::Null;
                        }
                    }
                }
                bind_row!(
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
                    plan.cols,
                    row
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        for plan in $plans {
            for (t, c, key) in DEFERRED {
                if *t != plan.table {
                    continue;
                }
                let (Some(ci), Some(ki)) = (
                    plan.cols.iter().position(|(n, _)| n == c),
                    plan.cols.iter().position(|(n, _)| n == key),
                ) else {
                    continue;
                };
                let sql = update_sql($target, t, c, key);
                let cols = [plan.cols[ci].clone(), plan.cols[ki].clone()];
                for row in &plan.rows {
                    if row[ci] == Value::Null {
                        continue;
                    }
                    let vals = [row[ci].clone(), row[ki].clone()];
                    bind_row!(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), cols, vals)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx
    }};
}

/// Copy everything from `from` into the freshly migrated, empty `to`, then compare.
pub async fn copy(from: &AnyStore, to: &AnyStore) -> Result<Vec<TableCopy>, CopyError> {
    let source_tables = tables(from).await?;
    if let Some(unknown) = source_tables.iter().find(|t| !ORDER.contains(&t.as_str())) {
        return Err(CopyError::UnknownTable(unknown.clone()));
    }
    let target_tables = tables(to).await?;
    let mut plans = Vec::new();
    for table in ORDER
        .iter()
        .filter(|t| source_tables.iter().any(|s| s == *t))
    {
        if !target_tables.iter().any(|t| t == table) {
            return Err(CopyError::UnknownTable(format!(
                "{table} (absent in the target)"
            )));
        }
        let cols = columns(from, table).await?;
        let target_cols = columns(to, table).await?;
        let names = |c: &[(String, Kind)]| {
            let mut v: Vec<String> = c.iter().map(|(n, _)| n.clone()).collect();
            v.sort();
            v.join(",")
        };
        if names(&cols) != names(&target_cols) {
            return Err(CopyError::Columns {
                table: table.to_string(),
                from: names(&cols),
                to: names(&target_cols),
            });
        }
        if !read_rows(to, table, &cols).await?.is_empty() {
            return Err(CopyError::TargetNotEmpty(table.to_string()));
        }
        let rows = read_rows(from, table, &cols).await?;
        plans.push(Plan {
            table: table.to_string(),
            cols,
            rows,
        });
    }
    match to {
        AnyStore::Sqlite(s) => {
            let tx = write_all!(s.pool(), to, &plans);
            tx.commit().await?;
        }
        AnyStore::Postgres(s) => {
            let tx = write_all!(s.pool(), to, &plans);
            tx.commit().await?;
            // Rows came with their ids: new rows continue after the highest.
            for plan in &plans {
                if plan.cols.iter().any(|(n, _)| n == "id") {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT setval(pg_get_serial_sequence('{t}', 'id'), MAX(id)) FROM {t} HAVING MAX(id) IS NOT NULL",
                        t = plan.table
                    )))
                    .execute(s.pool())
                    .await?;
                }
            }
        }
    }
    compare(from, to, &plans).await
}

async fn compare(
    from: &AnyStore,
    to: &AnyStore,
    plans: &[Plan],
) -> Result<Vec<TableCopy>, CopyError> {
    let mut out = Vec::new();
    for plan in plans {
        let a = read_rows(from, &plan.table, &plan.cols).await?;
        let b = read_rows(to, &plan.table, &plan.cols).await?;
        if a.len() != b.len() {
            return Err(CopyError::Mismatch {
                table: plan.table.clone(),
                what: "row counts",
                from: a.len().to_string(),
                to: b.len().to_string(),
            });
        }
        let (ca, cb) = (checksum(&a), checksum(&b));
        if ca != cb {
            return Err(CopyError::Mismatch {
                table: plan.table.clone(),
                what: "checksums",
                from: ca,
                to: cb,
            });
        }
        out.push(TableCopy {
            table: plan.table.clone(),
            rows: a.len() as i64,
            checksum: ca,
        });
    }
    Ok(out)
}
