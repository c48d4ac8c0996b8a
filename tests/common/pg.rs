//! Throw-away PostgreSQL databases on the test server (`TREKKPOST_TEST_POSTGRES_URL`, default
//! the local server's `postgres` database), one per test, dropped afterwards.
use sqlx::Connection;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("TREKKPOST_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

/// A missing server fails the tests in CI and under `scripts/test` (which sets the URL); a
/// developer without PostgreSQL gets a skipped test instead.
fn required() -> bool {
    std::env::var_os("TREKKPOST_TEST_POSTGRES_URL").is_some() || std::env::var_os("CI").is_some()
}

/// The URL of `name` on the server `admin` points at.
fn url_with_db(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin, String::new()),
    };
    let server = match base.rsplit_once('/') {
        Some((server, _db)) if server.contains("//") && !server.ends_with('/') => server,
        _ => base.trim_end_matches('/'),
    };
    format!("{server}/{name}{query}")
}

pub struct PgDb {
    pub url: String,
    admin: String,
    name: String,
}

impl PgDb {
    /// A fresh empty database, or None (test skipped) when no server answers and none is required.
    pub fn create() -> Option<PgDb> {
        Self::create_on(&admin_url(), required())
    }

    /// A fresh empty database on the server `admin` (a URL of any database there) points at.
    pub fn create_on(admin: &str, required: bool) -> Option<PgDb> {
        let admin = admin.to_string();
        let name = format!("trekkpost_test_{:016x}", rand::random::<u64>());
        let created = run_blocking({
            let (admin, name) = (admin.clone(), name.clone());
            async move {
                let mut c = sqlx::PgConnection::connect(&admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await?;
                Ok::<_, sqlx::Error>(())
            }
        });
        match created {
            Ok(()) => Some(PgDb {
                url: url_with_db(&admin, &name),
                admin,
                name,
            }),
            Err(e) if !required => {
                eprintln!("skipped: no PostgreSQL at {admin}: {e}");
                None
            }
            Err(e) => panic!("PostgreSQL at {admin} is required here: {e}"),
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = run_blocking(async move {
            let mut c = sqlx::PgConnection::connect(&admin).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await?;
            Ok::<_, sqlx::Error>(())
        });
    }
}

/// Runs a future on its own thread and runtime: callable from sync tests, async tests and Drop.
fn run_blocking<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    })
    .join()
    .expect("database thread")
}
