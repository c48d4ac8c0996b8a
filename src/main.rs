//! The binary's edge: arguments → commands; errors printed with their chain.
use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use trekkpost::config::Settings;
use trekkpost::pipeline;
use trekkpost::store::{AnyStore, Store};

/// trekkpost: reads the union's trekkliste mailbox, answers employers, and puts what needs a
/// person in front of staff.
#[derive(Parser)]
#[command(name = "trekkpost", version, about)]
struct Cli {
    /// Configuration file over the embedded default (environment variables override both).
    #[arg(long, global = true, env = "TREKKPOST_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The daemon: import new reference files, process new mail, send replies; runs until
    /// stopped (Ctrl-C/SIGTERM finish the message in hand).
    Run {
        /// Process what is there, drain the outbox, print the report table, exit.
        #[arg(long)]
        once: bool,
    },
    /// Import reference data (employers, lists, list lines, payments: csv, camt.054, OCR giro).
    /// All files or nothing: a malformed file is rejected with `file:line: reason`.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Parse one list attachment and print what was read.
    Parse {
        file: PathBuf,
        /// Print JSON (the corpus expected.json shape).
        #[arg(long)]
        json: bool,
    },
    /// Classify one message: kind, language and what was extracted.
    Classify {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Every processed message and its outcome.
    Report {
        #[arg(long)]
        json: bool,
    },
    /// Run the scheduled jobs (reminders, staff digest) as of a given time and print what is
    /// sent; for testing and for catching up by hand.
    Remind {
        /// The time to run as of, e.g. 2026-12-15T08:00 (UTC); default now.
        #[arg(long)]
        at: Option<String>,
        /// Print what would be sent; record and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Validate the configuration and print it.
    CheckConfig,
    /// Health: mailbox connected or not, last poll, mails waiting, outbox backlog, dead letters.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Winorg trekksentral access requests: list, approve, reject, export.
    Access {
        #[command(subcommand)]
        action: AccessAction,
    },
    /// Create or update the database's tables (every command does this when it opens it).
    Migrate,
    /// Database tools.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Staff accounts of the triage web UI.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
}

#[derive(Subcommand)]
enum DbAction {
    /// Copy everything into a new, empty database (e.g. SQLite to PostgreSQL), then compare
    /// every table's row count and checksum. Stop the daemons first.
    Copy {
        /// The database to copy from (sqlite:… or postgres://…).
        #[arg(long)]
        from: String,
        /// The database to copy into; created tables must be empty.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum StaffAction {
    /// Create an account, or set a new password (enabling it again). The password is read
    /// from a prompt, or from the first line of standard input when it is not a terminal.
    Add { email: String },
    /// Disable an account and end its sessions.
    Disable { email: String },
}

#[derive(Subcommand)]
enum AccessAction {
    /// Every request with its status.
    List,
    /// Approve a complete request: replies `access_confirmed`, marks the employer a Winorg user.
    Approve {
        id: i64,
        /// Who decided (for the audit log).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Reject a request: replies `access_rejected` with the reason.
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Approved requests, for registration in Winorg.
    Export {
        /// Semicolon-separated with a header row (the only format for now).
        #[arg(long)]
        csv: bool,
    },
}

fn main() -> ExitCode {
    // The attachment parser's child process (see parse::sandbox) runs this same binary.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(trekkpost::parse::sandbox::CHILD_ARG) {
        let code = trekkpost::parse::child_main(&args[1..]);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TREKKPOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    init_tracing();
    let settings =
        Settings::load(cli.config.as_deref()).context("cannot load the configuration")?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Run { once } => trekkpost::app::run_daemon(&settings, once).await,
            Command::Import { files } => import(&settings, &files).await,
            Command::Parse { file, json } => parse(&settings, &file, json),
            Command::Classify { file, json } => classify(&file, json),
            Command::Report { json } => report(&settings, json).await,
            Command::Access { action } => access(&settings, action).await,
            Command::Staff { action } => staff(&settings, action).await,
            Command::Remind { at, dry_run } => remind(&settings, at.as_deref(), dry_run).await,
            Command::Status { json } => trekkpost::app::status(&settings, json).await,
            Command::Migrate => {
                let store = trekkpost::app::open_store(&settings).await?;
                println!("the {:?} database is up to date", store.backend());
                Ok(ExitCode::SUCCESS)
            }
            Command::Db {
                action: DbAction::Copy { from, to },
            } => db_copy(&from, &to).await,
            Command::CheckConfig => {
                println!("{settings:#?}");
                println!("configuration is valid");
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn import(settings: &Settings, files: &[PathBuf]) -> Result<ExitCode> {
    let store = trekkpost::app::open_store(settings).await?;
    match pipeline::import_files(&store, files, false).await {
        Ok(s) => {
            println!("imported {} files, {} rows", s.files, s.rows);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!("nothing was imported");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn parse(settings: &Settings, file: &std::path::Path, json: bool) -> Result<ExitCode> {
    let opts = trekkpost::parse::ParseOptions {
        accept_synthetic_ids: settings.rules.accept_synthetic_ids,
    };
    let code = trekkpost::parse::cli::run_parse_command(file, json, &opts, &settings.parse);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

fn classify(file: &PathBuf, json: bool) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mail = match trekkpost::mime::parse_mail(&bytes) {
        Ok(m) => m,
        Err(e) => bail!("{}: {e}", file.display()),
    };
    let class = trekkpost::classify::classify(&mail);
    if json {
        println!("{}", serde_json::to_string_pretty(&class)?);
    } else {
        println!("kind: {}\nlanguage: {:?}", class.kind.as_str(), class.lang);
        if let Some(a) = &class.access {
            println!("access request: {a:?}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn report(settings: &Settings, json: bool) -> Result<ExitCode> {
    let store = trekkpost::app::open_store(settings).await?;
    let rows = trekkpost::report::rows(&store).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", trekkpost::report::table(&rows));
    }
    Ok(ExitCode::SUCCESS)
}

async fn access(settings: &Settings, action: AccessAction) -> Result<ExitCode> {
    use trekkpost::decide::access::AccessStatus;
    use trekkpost::handle::access::decide_by_staff;
    let store = trekkpost::app::open_store(settings).await?;
    match action {
        AccessAction::List => {
            for r in store.access_requests().await? {
                let f = &r.fields;
                println!(
                    "{:>4}  {:<16}  {:<28}  {:<9}  {:<24}  {:<28}  {:<12}  missing: {}",
                    r.id,
                    r.status.as_str(),
                    f.company_name.as_deref().unwrap_or("–"),
                    f.org_number.as_deref().unwrap_or("–"),
                    f.requester_name.as_deref().unwrap_or("–"),
                    f.email.as_deref().unwrap_or("–"),
                    f.mobile.as_deref().unwrap_or("–"),
                    if f.missing.is_empty() {
                        "–".to_string()
                    } else {
                        f.missing.join(",")
                    }
                );
            }
        }
        AccessAction::Approve { id, by } => {
            decide_by_staff(&store, settings, id, true, &by, None).await?;
            drain(settings, &store).await?;
            println!("access request {id} approved; access_confirmed queued");
        }
        AccessAction::Reject { id, reason, by } => {
            decide_by_staff(&store, settings, id, false, &by, Some(&reason)).await?;
            drain(settings, &store).await?;
            println!("access request {id} rejected; access_rejected queued");
        }
        AccessAction::Export { csv: _ } => {
            println!("org_number;company_name;requester_name;email;mobile;employer_id");
            for r in store.access_requests().await? {
                if r.status == AccessStatus::Approved {
                    let f = &r.fields;
                    let cell = |v: &Option<String>| v.clone().unwrap_or_default().replace(';', ",");
                    println!(
                        "{};{};{};{};{};{}",
                        cell(&f.org_number),
                        cell(&f.company_name),
                        cell(&f.requester_name),
                        cell(&f.email),
                        cell(&f.mobile),
                        cell(&r.employer_id)
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn db_copy(from: &str, to: &str) -> Result<ExitCode> {
    let source = AnyStore::open(from)
        .await
        .context("cannot open the database to copy from")?;
    let target = AnyStore::open(to)
        .await
        .context("cannot open the database to copy into")?;
    let tables = trekkpost::store::copy::copy(&source, &target)
        .await
        .context("copy failed")?;
    for t in &tables {
        println!("{:<24} {:>8} rows  sha256 {}", t.table, t.rows, t.checksum);
    }
    println!(
        "copied {} tables, {} rows; counts and checksums are equal on both sides",
        tables.len(),
        tables.iter().map(|t| t.rows).sum::<i64>()
    );
    Ok(ExitCode::SUCCESS)
}

async fn drain(settings: &Settings, store: &AnyStore) -> Result<()> {
    // The configured sink: with sink.kind = "smtp" staff decisions are mailed, not filed.
    let sink = trekkpost::app::AnySink::from_settings(settings, store)?;
    pipeline::drain_outbox(store, &sink, settings)
        .await
        .context("outbox")?;
    Ok(())
}

fn parse_at(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)));
    }
    bail!("`{text}` is not a time (use e.g. 2026-12-15T08:00)")
}

async fn remind(settings: &Settings, at: Option<&str>, dry_run: bool) -> Result<ExitCode> {
    let at = match at {
        Some(text) => parse_at(text)?,
        None => chrono::Utc::now(),
    };
    let store = trekkpost::app::open_store(settings).await?;
    let planned = trekkpost::schedule::run_due_jobs(&store, settings, at, dry_run).await?;
    let verb = if dry_run { "would send" } else { "queued" };
    for p in &planned {
        println!(
            "{}  {:<20} {} to {}{}: {}",
            p.tick.format("%Y-%m-%d %H:%M"),
            p.job.name(),
            verb,
            p.to,
            if p.held { " (held)" } else { "" },
            p.subject
        );
    }
    println!(
        "{} mails {verb} as of {}",
        planned.len(),
        at.format("%Y-%m-%d %H:%M UTC")
    );
    if !dry_run {
        drain(settings, &store).await?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn staff(settings: &Settings, action: StaffAction) -> Result<ExitCode> {
    let store = trekkpost::app::open_store(settings).await?;
    match action {
        StaffAction::Add { email } => {
            let email = email.trim().to_lowercase();
            if !email.contains('@') {
                bail!("`{email}` is not an e-mail address");
            }
            let password = read_password()?;
            let hash = trekkpost::web::auth::hash_password(&password)?;
            store.staff_upsert(&email, &hash, "cli").await?;
            println!("staff account {email} can log in");
        }
        StaffAction::Disable { email } => {
            if !store.staff_set_active(&email, false, "cli").await? {
                bail!("no staff account {email}");
            }
            println!("staff account {email} disabled; its sessions are ended");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// From a terminal: asked twice without echo. Otherwise: the first line of stdin.
fn read_password() -> Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let ask = |prompt: &str| -> Result<String> {
        eprint!("{prompt}");
        std::io::stderr().flush()?;
        // `stty` is on every system that has a terminal; echo comes back even on error.
        let _ = std::process::Command::new("stty").arg("-echo").status();
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line);
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
        read?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let first = ask("Passord: ")?;
    let second = ask("Gjenta passord: ")?;
    if first != second {
        bail!("the passwords differ");
    }
    Ok(first)
}
