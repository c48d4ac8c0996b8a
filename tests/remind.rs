//! Scheduled mail over a month, with a restart (a new process) before every run: each overdue
//! list is reminded on the right days and no more; nothing goes to a list that was delivered
//! or paid; the digest's figures match the store.
mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn a_month_of_daily_runs_with_restarts() {
    let s = Scratch::new();
    let examples = crate_dir().join("examples");
    let env = [
        ("TREKKPOST_SOURCE", examples.join("mailbox")),
        ("TREKKPOST_IMPORT_DIR", examples.join("world")),
    ];
    let env: Vec<(&str, &std::path::Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let run = s.run_with(&["run", "--once"], &env);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let replies_before = files_in(&s.path("outbox")).len();

    // Every day of December at 08:30, each run a new process; the 10th and 11th are skipped
    // (daemon down) and must be caught up once, not twice.
    let mut overdue_days: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut digests = 0;
    let mut needs_info_days = Vec::new();
    for day in (1..=31).filter(|d| *d != 10 && *d != 11) {
        let at = format!("2026-12-{day:02}T08:30");
        let out = s.run(&["remind", "--at", &at]);
        assert!(
            out.status.success(),
            "{at}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lists_today = BTreeSet::new();
        for line in stdout.lines() {
            if line.contains("reminder_overdue") {
                let token = line
                    .rsplit("[TL-")
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(']')
                    .to_string();
                lists_today.insert(token);
            }
            if line.contains("reminder_needs_info") {
                needs_info_days.push(day);
            }
            if line.contains("staff_digest") {
                digests += 1;
            }
        }
        for l in lists_today {
            overdue_days.entry(l).or_default().push(day);
        }
        // Running the same moment again (a restart right after) sends nothing more.
        let again = s.run(&["remind", "--at", &at]);
        assert!(
            String::from_utf8_lossy(&again.stdout).contains("0 mails queued"),
            "{at} ran twice"
        );
    }
    assert!(!overdue_days.is_empty(), "some example list is overdue");
    // The example access request missing its mobile: three reminders a week apart.
    assert_eq!(needs_info_days, vec![1, 8, 15], "needs-info reminders");
    for (list, days) in &overdue_days {
        // interval 7 days, at most 3 reminders (config/default.toml)
        assert_eq!(days, &vec![1, 8, 15], "list {list} reminded on {days:?}");
    }
    let received = query_strings(
        &s.db(),
        "SELECT DISTINCT list_number FROM messages WHERE kind = 'list_submission' AND list_number IS NOT NULL",
    );
    let paid = query_strings(
        &s.db(),
        "SELECT DISTINCT list_number FROM payments WHERE list_number IS NOT NULL",
    );
    for l in received.iter().chain(paid.iter()) {
        assert!(
            !overdue_days.contains_key(l),
            "list {l} was delivered or paid but got a reminder"
        );
    }
    // Weekday digests in December, minus none: the skipped days are caught up by one run.
    assert!(digests >= 20, "{digests} digests");

    // The last digest's open-flag figure matches the store.
    let open: Vec<String> = query_strings(
        &s.db(),
        "SELECT CAST(COUNT(*) AS TEXT) FROM flags WHERE status = 'open'",
    );
    let digest = files_in(&s.path("outbox"))
        .into_iter()
        .rfind(|p| p.to_string_lossy().contains("staff_digest"))
        .expect("a digest");
    let parsed_bytes = std::fs::read(&digest).expect("read");
    let parsed = mail_parser::MessageParser::default()
        .parse(&parsed_bytes)
        .expect("parse");
    let text = parsed
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let line = text
        .lines()
        .find(|l| l.starts_with("Åpne saker"))
        .unwrap_or("")
        .to_string();
    assert!(
        line.ends_with(&format!(": {}", open[0])),
        "digest says `{line}`, store has {}",
        open[0]
    );
    assert!(files_in(&s.path("outbox")).len() > replies_before);
}
