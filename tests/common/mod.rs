//! Shared helpers: run the real binary against a fresh database and folders.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod pg;

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shared_dir() -> PathBuf {
    crate_dir().join("../shared")
}

/// A scratch installation: its own database, mailbox, outbox and import folder.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    /// Its PostgreSQL database, when the tests run on PostgreSQL (see [`Scratch::new`]).
    pub pg: Option<pg::PgDb>,
}

impl Scratch {
    /// With `TREKKPOST_DATABASE_URL` set to a `postgres://` URL in the tests' environment,
    /// every scratch installation gets its own database on that server; else a SQLite file.
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temporary folder");
        for d in ["mailbox", "outbox", "import"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        let pg = match std::env::var("TREKKPOST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => pg::PgDb::create_on(&url, true),
            _ => None,
        };
        if let Some(db) = &pg {
            // `counts` and `query_strings` find the database from the `db()` path.
            std::fs::write(dir.path().join("db.url"), &db.url).expect("write db.url");
        }
        Scratch { dir, pg }
    }

    /// The database URL the binary is given.
    pub fn url(&self) -> String {
        url_of(&self.db())
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn db(&self) -> PathBuf {
        self.path("db.sqlite")
    }

    /// Run the binary with this scratch installation's environment.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trekkpost"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("TREKKPOST_DATABASE_URL", self.url())
            .env("TREKKPOST_SOURCE", self.path("mailbox"))
            .env("TREKKPOST_SINK", self.path("outbox"))
            .env("TREKKPOST_IMPORT_DIR", self.path("import"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run trekkpost")
    }

    pub fn report(&self) -> Vec<serde_json::Value> {
        let out = self.run(&["report", "--json"]);
        assert!(
            out.status.success(),
            "report failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("report JSON")
    }
}

pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file());
    v.sort();
    v
}

/// The URL of the database whose SQLite file would be `db` (a PostgreSQL one when its
/// scratch installation left a `db.url` beside it).
pub fn url_of(db: &Path) -> String {
    match std::fs::read_to_string(db.with_file_name("db.url")) {
        Ok(url) => url,
        Err(_) => format!("sqlite://{}", db.display()),
    }
}

/// Row counts of the main tables, straight from the database.
pub fn counts(db: &Path) -> Vec<(String, i64)> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        use trekkpost::store::Store;
        let store = trekkpost::store::AnyStore::open(&url_of(db))
            .await
            .expect("open store");
        store.table_counts().await.expect("counts")
    })
}

/// A one-column query as strings (cast in SQL where needed), straight from the database.
pub fn query_strings(db: &Path, sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = trekkpost::store::AnyStore::open(&url_of(db))
            .await
            .expect("open store");
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &store {
            trekkpost::store::AnyStore::Sqlite(s) => {
                sqlx::query_scalar::<_, String>(sql)
                    .fetch_all(s.pool())
                    .await
            }
            trekkpost::store::AnyStore::Postgres(s) => {
                sqlx::query_scalar::<_, String>(sql)
                    .fetch_all(s.pool())
                    .await
            }
        }
        .expect("query")
    })
}
