//! Shared helpers: run the real binary against a fresh database and folders.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shared_dir() -> PathBuf {
    crate_dir().join("../shared")
}

/// A scratch installation: its own database, mailbox, outbox and import folder.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temporary folder");
        for d in ["mailbox", "outbox", "import"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        Scratch { dir }
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
            .env(
                "TREKKPOST_DATABASE_URL",
                format!("sqlite://{}", self.db().display()),
            )
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

/// Row counts of the main tables, straight from the database file.
pub fn counts(db: &Path) -> Vec<(String, i64)> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        use trekkpost::store::Store;
        let store = trekkpost::store::SqliteStore::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("open store");
        store.table_counts().await.expect("counts")
    })
}

/// A one-column query as strings (cast in SQL where needed), straight from the database file.
pub fn query_strings(db: &Path, sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = trekkpost::store::SqliteStore::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("open store");
        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(store.pool())
            .await
            .expect("query")
    })
}
