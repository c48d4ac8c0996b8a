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
    "filing_claims",
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

/// Runs `$body` for every row of `$sql` on `$store`, decoded by `$cols`, streaming: a table
/// of years of raw mail is never held in memory whole.
macro_rules! for_each_row {
    ($store:expr, $sql:expr, $cols:expr, |$row:ident| $body:block) => {{
        use futures_util::TryStreamExt;
        match $store {
            AnyStore::Sqlite(s) => {
                let mut rows = sqlx::query(sqlx::AssertSqlSafe($sql)).fetch(s.pool());
                while let Some(r) = rows.try_next().await? {
                    let $row = decode(&r, $cols)?;
                    $body
                }
            }
            AnyStore::Postgres(s) => {
                let mut rows = sqlx::query(sqlx::AssertSqlSafe($sql)).fetch(s.pool());
                while let Some(r) = rows.try_next().await? {
                    let $row = decode(&r, $cols)?;
                    $body
                }
            }
        }
    }};
}

/// An order-independent checksum of a table's rows, built one row at a time: the sum
/// (mod 2^256) of each row's SHA-256, then hashed once more with the row count.
#[derive(Default)]
struct TableSum {
    rows: i64,
    sum: [u64; 4],
}

impl TableSum {
    fn add(&mut self, row: &[Value]) {
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
        let digest: [u8; 32] = h.finalize().into();
        let mut carry = false;
        for (limb, chunk) in self.sum.iter_mut().zip(digest.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let (a, c1) = limb.overflowing_add(u64::from_le_bytes(word));
            let (b, c2) = a.overflowing_add(u64::from(carry));
            *limb = b;
            carry = c1 || c2;
        }
        self.rows += 1;
    }

    fn hex(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.rows.to_le_bytes());
        for limb in self.sum {
            h.update(limb.to_le_bytes());
        }
        hex::encode(h.finalize())
    }
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

/// A table to copy: its columns, and where its forward references are.
struct Plan {
    table: String,
    cols: Vec<(String, Kind)>,
    /// (column index, key column index) of columns written after every row is in.
    deferred: Vec<(usize, usize)>,
}

impl Plan {
    fn select(&self) -> String {
        let names: Vec<&str> = self.cols.iter().map(|(n, _)| n.as_str()).collect();
        format!("SELECT {} FROM {}", names.join(", "), self.table)
    }
}

/// Streams every planned table into the target in one transaction, then writes the
/// deferred columns (only their (value, key) pairs are kept meanwhile: few, and small). Returns the
/// source's sums as read.
macro_rules! write_all {
    ($pool:expr, $from:expr, $target:expr, $plans:expr) => {{
        let mut tx = $pool.begin().await?;
        let mut sums = Vec::new();
        // (plan, deferred column, value, key): written once every table is in.
        let mut later: Vec<(&Plan, usize, Value, Value)> = Vec::new();
        for plan in $plans {
            let sql = insert_sql($target, &plan.table, &plan.cols);
            let mut sum = TableSum::default();
            for_each_row!($from, plan.select(), &plan.cols, |row| {
                sum.add(&row);
                let mut row = row;
                for (n, &(ci, ki)) in plan.deferred.iter().enumerate() {
                    if row[ci] != Value::Null {
                        let value = std::mem::replace(&mut row[ci], Value::Null);
                        later.push((plan, n, value, row[ki].clone()));
                    }
                }
                bind_row!(
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
                    plan.cols,
                    row
                )
                .execute(&mut *tx)
                .await?;
            });
            sums.push(sum);
        }
        for (plan, n, value, key) in later {
            let (ci, ki) = plan.deferred[n];
            let sql = update_sql($target, &plan.table, &plan.cols[ci].0, &plan.cols[ki].0);
            let cols = [plan.cols[ci].clone(), plan.cols[ki].clone()];
            bind_row!(sqlx::query(sqlx::AssertSqlSafe(sql)), cols, [value, key])
                .execute(&mut *tx)
                .await?;
        }
        (tx, sums)
    }};
}

async fn has_rows(store: &AnyStore, table: &str) -> Result<bool, CopyError> {
    let sql = format!("SELECT 1 FROM {table} LIMIT 1");
    let mut any = false;
    for_each_row!(store, sql, &[], |_row| {
        any = true;
    });
    Ok(any)
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
        if has_rows(to, table).await? {
            return Err(CopyError::TargetNotEmpty(table.to_string()));
        }
        let position = |name: &str| cols.iter().position(|(n, _)| n == name);
        let deferred = DEFERRED
            .iter()
            .filter(|(t, _, _)| t == table)
            .filter_map(|(_, c, key)| Some((position(c)?, position(key)?)))
            .collect();
        plans.push(Plan {
            table: table.to_string(),
            cols,
            deferred,
        });
    }
    let sums = match to {
        AnyStore::Sqlite(s) => {
            let (tx, sums) = write_all!(s.pool(), from, to, &plans);
            tx.commit().await?;
            sums
        }
        AnyStore::Postgres(s) => {
            let (tx, sums) = write_all!(s.pool(), from, to, &plans);
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
            sums
        }
    };
    compare(from, to, &plans, &sums).await
}

/// Both sides read again, row by row: counts and checksums must match what was read from
/// the source while copying.
async fn compare(
    from: &AnyStore,
    to: &AnyStore,
    plans: &[Plan],
    copied: &[TableSum],
) -> Result<Vec<TableCopy>, CopyError> {
    let mut out = Vec::new();
    for (plan, copied) in plans.iter().zip(copied) {
        let mut a = TableSum::default();
        for_each_row!(from, plan.select(), &plan.cols, |row| {
            a.add(&row);
        });
        let mut b = TableSum::default();
        for_each_row!(to, plan.select(), &plan.cols, |row| {
            b.add(&row);
        });
        for (what, x, y) in [("row counts", copied, &b), ("row counts", &a, &b)] {
            if x.rows != y.rows {
                return Err(CopyError::Mismatch {
                    table: plan.table.clone(),
                    what,
                    from: x.rows.to_string(),
                    to: y.rows.to_string(),
                });
            }
        }
        for x in [copied, &a] {
            if x.hex() != b.hex() {
                return Err(CopyError::Mismatch {
                    table: plan.table.clone(),
                    what: "checksums",
                    from: x.hex(),
                    to: b.hex(),
                });
            }
        }
        out.push(TableCopy {
            table: plan.table.clone(),
            rows: b.rows,
            checksum: b.hex(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_of(rows: &[Vec<Value>]) -> String {
        let mut s = TableSum::default();
        for r in rows {
            s.add(r);
        }
        s.hex()
    }

    #[test]
    fn the_checksum_ignores_row_order_and_sees_every_change() {
        let a = vec![Value::Int(1), Value::Text("Kari".into()), Value::Null];
        let b = vec![Value::Int(2), Value::Bytes(b"raw".to_vec()), Value::Int(0)];
        assert_eq!(
            sum_of(&[a.clone(), b.clone()]),
            sum_of(&[b.clone(), a.clone()])
        );
        let changed = vec![Value::Int(2), Value::Bytes(b"raw!".to_vec()), Value::Int(0)];
        assert_ne!(
            sum_of(&[a.clone(), b.clone()]),
            sum_of(&[a.clone(), changed])
        );
        // NULL is not 0, and a row twice is not the row once.
        let zero = vec![Value::Int(1), Value::Text("Kari".into()), Value::Int(0)];
        assert_ne!(sum_of(std::slice::from_ref(&a)), sum_of(&[zero]));
        assert_ne!(sum_of(std::slice::from_ref(&a)), sum_of(&[a.clone(), a]));
    }
}
