//! The dev corpus scoreboard, by `../shared/tools/score-corpus`, printed for the log.
//! The mail score must stay at or above the floor measured when it was last raised.
mod common;
use common::*;
use std::process::Command;

/// Cases fully right at the last measurement; raise it as the product improves.
const MAIL_FLOOR: usize = 41;

#[test]
fn mail_scoreboard() {
    let tool = shared_dir().join("tools/score-corpus");
    if !tool.exists() {
        eprintln!("score-corpus not found at {}: skipped", tool.display());
        return;
    }
    let out = Command::new("python3")
        .arg(&tool)
        .args(["mail", env!("CARGO_BIN_EXE_trekkpost")])
        .arg(shared_dir().join("corpus"))
        .arg("--verbose")
        .output()
        .expect("run score-corpus");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    let last = stdout.lines().last().unwrap_or("");
    let right: usize = last
        .strip_prefix("mail: ")
        .and_then(|s| s.split('/').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        right >= MAIL_FLOOR,
        "mail scoreboard fell below {MAIL_FLOOR}: {last}"
    );
}
