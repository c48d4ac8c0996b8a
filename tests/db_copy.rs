//! `trekkpost db copy` (issue 8): an installation moves from SQLite to PostgreSQL and back
//! with nothing lost, and keeps working where it arrived.
mod common;

use common::{crate_dir, files_in, pg::PgDb};
use std::path::Path;
use std::process::{Command, Output};

fn trekkpost(dir: &Path, url: &str, mailbox: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trekkpost"))
        .args(args)
        .current_dir(dir)
        .env("TREKKPOST_DATABASE_URL", url)
        .env("TREKKPOST_SOURCE", mailbox)
        .env("TREKKPOST_SINK", dir.join("outbox"))
        .env("TREKKPOST_IMPORT_DIR", crate_dir().join("examples/world"))
        .output()
        .expect("run trekkpost")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn db_copy_round_trip_sqlite_postgres_sqlite() {
    let Some(pg) = PgDb::create() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mailbox = crate_dir().join("examples/mailbox");
    let first = format!("sqlite://{}", d.join("first.sqlite").display());
    let back = format!("sqlite://{}", d.join("back.sqlite").display());
    ok(trekkpost(d, &first, &mailbox, &["run", "--once"]));
    let report = ok(trekkpost(d, &first, &mailbox, &["report", "--json"]));

    let there = ok(trekkpost(
        d,
        &first,
        &mailbox,
        &["db", "copy", "--from", &first, "--to", &pg.url],
    ));
    assert!(there.contains("checksums are equal"), "{there}");
    assert!(there.contains("raw_messages"), "{there}");
    let back_again = ok(trekkpost(
        d,
        &first,
        &mailbox,
        &["db", "copy", "--from", &pg.url, "--to", &back],
    ));
    // Same rows and checksums there and back.
    assert_eq!(there, back_again);
    assert_eq!(
        report,
        ok(trekkpost(d, &pg.url, &mailbox, &["report", "--json"]))
    );
    assert_eq!(
        report,
        ok(trekkpost(d, &back, &mailbox, &["report", "--json"]))
    );

    // A database that has data is never copied into.
    let refused = trekkpost(
        d,
        &first,
        &mailbox,
        &["db", "copy", "--from", &first, "--to", &pg.url],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("has rows"));

    // The copy keeps working: a new message gets the next id and its reply.
    let more = d.join("more");
    std::fs::create_dir_all(&more).expect("mkdir");
    let question = std::fs::read(mailbox.join("11-question.eml")).expect("read");
    let mut changed = b"Message-ID: <after-copy@db-copy.test>\r\n".to_vec();
    changed.extend(
        String::from_utf8_lossy(&question)
            .split_inclusive('\n')
            .filter(|l| !l.to_ascii_lowercase().starts_with("message-id:"))
            .collect::<String>()
            .into_bytes(),
    );
    std::fs::write(more.join("new.eml"), changed).expect("write");
    let replies_before = files_in(&d.join("outbox")).len();
    ok(trekkpost(d, &pg.url, &more, &["run", "--once"]));
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&ok(trekkpost(d, &pg.url, &more, &["report", "--json"])))
            .expect("json");
    let before: Vec<serde_json::Value> = serde_json::from_str(&report).expect("json");
    assert_eq!(rows.len(), before.len() + 1);
    assert!(files_in(&d.join("outbox")).len() > replies_before);
    ok(trekkpost(d, &pg.url, &more, &["migrate"]));
}
