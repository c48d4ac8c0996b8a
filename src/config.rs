//! Settings: the embedded `config/default.toml`, an optional file over it, then environment
//! variables over both. Raw TOML is merged first and validated once into [`Settings`].
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The embedded default, so the binary runs from any folder without its source tree.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Short names for the settings people override most.
const SHORT_ENV: &[(&str, &[&str])] = &[
    ("TREKKPOST_DATABASE_URL", &["database", "url"]),
    ("TREKKPOST_SOURCE", &["source", "path"]),
    ("TREKKPOST_SINK", &["sink", "path"]),
    ("TREKKPOST_IMPORT_DIR", &["import", "dir"]),
];
/// Generic overrides: `TREKKPOST__SECTION__KEY=value`.
const ENV_PREFIX: &str = "TREKKPOST__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration {origin} is not valid TOML: {source}")]
    Syntax {
        origin: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub source: SourceSettings,
    pub sink: SinkSettings,
    pub import: ImportSettings,
    pub mail: MailSettings,
    pub rules: RuleSettings,
    pub daemon: DaemonSettings,
    pub outbox: OutboxSettings,
    pub schedule: ScheduleSettings,
    /// Limits of the attachment parser's child process (see `parse::sandbox`).
    #[serde(default)]
    pub parse: crate::parse::ParseLimits,
    /// The staff triage UI.
    pub web: WebSettings,
    // transport
    /// The union's mailbox, when `source.kind = "imap"`.
    pub imap: ImapSettings,
    /// The server replies go out through, when `sink.kind = "smtp"`.
    pub smtp: SmtpSettings,
    /// Passwords: only from the environment or a file, never from the TOML.
    #[serde(skip)]
    pub secrets: Secrets,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    /// Connections a daemon keeps open to PostgreSQL (its pool). SQLite keeps its own few.
    pub max_connections: u32,
}

/// `check-config` prints the settings: a PostgreSQL password in the URL stays out.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &crate::store::any::redacted_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    pub kind: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSettings {
    pub kind: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub address: String,
    pub display_name: String,
    pub domain: String,
    pub staff_address: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    pub too_late_days: i64,
    pub max_replies_per_address_per_day: i64,
    pub accept_synthetic_ids: bool,
    pub remind_winorg_users: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSettings {
    pub poll_interval_secs: u64,
    /// How long a claim on a message or outbox row lasts without renewal. A daemon renews
    /// its claims every third of this while it works on them; a dead daemon's claims are
    /// taken over by another at most this long after it died.
    pub lease_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub max_attempts: i64,
    pub retry_base_secs: i64,
    pub retry_max_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    pub overdue_cron: String,
    pub needs_info_cron: String,
    pub digest_cron: String,
    pub reminder_interval_days: i64,
    pub max_reminders: usize,
    pub needs_info_after_days: i64,
}

// transport
/// How a connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain first, then STARTTLS before anything is said (IMAP 143, submission 587).
    Starttls,
    /// No TLS: accepted only for a loopback host.
    Plain,
}

/// How trekkpost logs in to the IMAP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapAuth {
    Login,
    Plain,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    pub enabled: bool,
    pub bind: String,
    pub behind_tls: bool,
    pub session_idle_minutes: i64,
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    /// Items per page of the queue.
    pub queue_page_size: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Extra CA certificates (PEM) trusted besides the public roots; empty for none.
    pub ca_file: PathBuf,
    /// Name the server's certificate must carry; empty: `host`.
    pub tls_name: String,
    pub user: String,
    /// "login" (the LOGIN command) or "plain" (AUTHENTICATE PLAIN).
    pub auth: ImapAuth,
    /// First line is the password (else `TREKKPOST_IMAP_PASSWORD`); empty for none.
    pub password_file: PathBuf,
    pub mailbox: String,
    pub processed_folder: String,
    pub failed_folder: String,
    /// Where copies of our own sent replies (see `smtp.copy_to_self`) are filed.
    pub sent_folder: String,
    pub batch_size: u32,
    pub max_message_bytes: u32,
    pub command_timeout_secs: u64,
    pub idle: bool,
    pub idle_renew_secs: u64,
    /// IDLE is also ended after this long without a word from the server: a dead
    /// connection is found then (servers send keep-alives every few minutes).
    pub idle_silence_secs: u64,
    pub poll_interval_secs: u64,
    pub reconnect_base_secs: u64,
    pub reconnect_max_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub ca_file: PathBuf,
    pub tls_name: String,
    /// Empty: no AUTH.
    pub user: String,
    /// First line is the password (else `TREKKPOST_SMTP_PASSWORD`); empty for none.
    pub password_file: PathBuf,
    pub connect_timeout_secs: u64,
    pub send_timeout_secs: u64,
    /// Replies one connection carries, one SMTP transaction after another, before it is
    /// closed and a new one opened.
    pub max_messages_per_connection: u32,
    /// After a failure to reach the server, further sends in this pause fail at once
    /// instead of each waiting for its own timeout.
    pub unreachable_pause_secs: u64,
    /// Also send every reply to `mail.address`: the copy lands in our own mailbox, proves the
    /// server accepted the reply (a send cut short by a crash is then not sent twice), and
    /// the IMAP source files it in `imap.sent_folder`.
    pub copy_to_self: bool,
    /// How long a send cut short by a crash waits for its copy before it is sent again.
    pub in_doubt_secs: i64,
}

/// A password: never printed, never logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub imap_password: Option<Secret>,
    pub smtp_password: Option<Secret>,
}

/// Environment variables holding secrets (read, never written into the settings table).
const SECRET_ENV: [&str; 2] = ["TREKKPOST_IMAP_PASSWORD", "TREKKPOST_SMTP_PASSWORD"];

fn read_secret_file(path: &Path, what: &str) -> Result<Option<Secret>, ConfigError> {
    if path.as_os_str().is_empty() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{what}: {} is empty",
            path.display()
        )));
    }
    Ok(Some(Secret::new(line)))
}

/// A host plain text may go to: the loopback interface only.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

impl Settings {
    /// Default, then `file`, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut table = parse_table(DEFAULT_TOML, "config/default.toml (embedded)")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            merge(&mut table, parse_table(&text, &path.display().to_string())?);
        }
        let mut env_secrets = Secrets::default();
        for (name, value) in env {
            if name == SECRET_ENV[0] {
                env_secrets.imap_password = Some(Secret::new(value));
                continue;
            }
            if name == SECRET_ENV[1] {
                env_secrets.smtp_password = Some(Secret::new(value));
                continue;
            }
            if let Some((_, keys)) = SHORT_ENV.iter().find(|(n, _)| *n == name) {
                set_path(&mut table, keys, toml::Value::String(value))?;
            } else if let Some(rest) = name.strip_prefix(ENV_PREFIX) {
                let keys: Vec<String> = rest.split("__").map(|k| k.to_ascii_lowercase()).collect();
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                set_path(&mut table, &keys, env_value(&value))?;
            }
        }
        let mut settings: Settings = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        // A file wins over the environment only when the environment says nothing.
        settings.secrets = Secrets {
            imap_password: match env_secrets.imap_password {
                Some(s) => Some(s),
                None if settings.source.kind == "imap" => {
                    read_secret_file(&settings.imap.password_file, "imap.password_file")?
                }
                None => None,
            },
            smtp_password: match env_secrets.smtp_password {
                Some(s) => Some(s),
                None if settings.sink.kind == "smtp" => {
                    read_secret_file(&settings.smtp.password_file, "smtp.password_file")?
                }
                None => None,
            },
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.source.kind.as_str(), "local" | "imap") {
            return Err(ConfigError::Invalid(format!(
                "source.kind `{}` is not supported (use \"local\" or \"imap\")",
                self.source.kind
            )));
        }
        if !matches!(self.sink.kind.as_str(), "dir" | "smtp") {
            return Err(ConfigError::Invalid(format!(
                "sink.kind `{}` is not supported (use \"dir\" or \"smtp\")",
                self.sink.kind
            )));
        }
        self.validate_transport()?;
        if crate::store::any::Backend::of_url(&self.database.url).is_none() {
            return Err(ConfigError::Invalid(
                "database.url must be a sqlite: or postgres:// URL".to_string(),
            ));
        }
        if self.database.max_connections < 2 {
            // The daemon's work and its lease renewal run side by side.
            return Err(ConfigError::Invalid(
                "database.max_connections must be ≥ 2".to_string(),
            ));
        }
        if self.daemon.lease_secs < 3 {
            return Err(ConfigError::Invalid(
                "daemon.lease_secs must be ≥ 3 (leases are renewed every third of it)".to_string(),
            ));
        }
        if self.rules.too_late_days < 0 || self.rules.max_replies_per_address_per_day < 1 {
            return Err(ConfigError::Invalid(
                "rules.too_late_days must be ≥ 0 and rules.max_replies_per_address_per_day ≥ 1"
                    .to_string(),
            ));
        }
        if self.outbox.max_attempts < 1 || self.outbox.retry_base_secs < 1 {
            return Err(ConfigError::Invalid(
                "outbox.max_attempts and outbox.retry_base_secs must be ≥ 1".to_string(),
            ));
        }
        for (name, expr) in [
            ("overdue_cron", &self.schedule.overdue_cron),
            ("needs_info_cron", &self.schedule.needs_info_cron),
            ("digest_cron", &self.schedule.digest_cron),
        ] {
            if let Err(e) = cron::Schedule::from_str(expr) {
                return Err(ConfigError::Invalid(format!(
                    "schedule.{name} `{expr}` is not a cron expression (seconds field first): {e}"
                )));
            }
        }
        if self.schedule.reminder_interval_days < 1 || self.schedule.needs_info_after_days < 0 {
            return Err(ConfigError::Invalid(
                "schedule.reminder_interval_days must be ≥ 1 and needs_info_after_days ≥ 0"
                    .to_string(),
            ));
        }
        if self.web.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "web.bind `{}` is not an address:port",
                self.web.bind
            )));
        }
        if self.web.session_idle_minutes < 1 || self.web.login_max_failures < 1 {
            return Err(ConfigError::Invalid(
                "web.session_idle_minutes and web.login_max_failures must be ≥ 1".to_string(),
            ));
        }
        if !self.mail.address.contains('@') {
            return Err(ConfigError::Invalid(
                "mail.address must be an e-mail address".to_string(),
            ));
        }
        Ok(())
    }
}

// transport
impl Settings {
    fn validate_transport(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.source.kind == "imap" {
            let i = &self.imap;
            if i.host.is_empty() || i.user.is_empty() {
                return invalid("imap.host and imap.user must be set".into());
            }
            if i.security == Security::Plain && !is_loopback(&i.host) {
                return invalid(format!(
                    "imap.security = \"plain\" is only allowed for a loopback host, not {}",
                    i.host
                ));
            }
            if self.secrets.imap_password.is_none() {
                return invalid(
                    "the IMAP password is missing: set TREKKPOST_IMAP_PASSWORD or imap.password_file"
                        .into(),
                );
            }
            if i.batch_size == 0 || i.command_timeout_secs == 0 || i.poll_interval_secs == 0 {
                return invalid(
                    "imap.batch_size, imap.command_timeout_secs and imap.poll_interval_secs must be ≥ 1"
                        .into(),
                );
            }
            // Servers drop an IDLE after 30 minutes; it must be renewed before.
            if i.idle_renew_secs == 0 || i.idle_renew_secs > 29 * 60 {
                return invalid("imap.idle_renew_secs must be between 1 and 1740".into());
            }
        }
        if self.sink.kind == "smtp" {
            let s = &self.smtp;
            if s.host.is_empty() {
                return invalid("smtp.host must be set".into());
            }
            if s.security == Security::Plain && !is_loopback(&s.host) {
                return invalid(format!(
                    "smtp.security = \"plain\" is only allowed for a loopback host, not {}",
                    s.host
                ));
            }
            if !s.user.is_empty() && self.secrets.smtp_password.is_none() {
                return invalid(
                    "the SMTP password is missing: set TREKKPOST_SMTP_PASSWORD or smtp.password_file"
                        .into(),
                );
            }
            if s.send_timeout_secs == 0 || s.connect_timeout_secs == 0 {
                return invalid(
                    "smtp.send_timeout_secs and smtp.connect_timeout_secs must be ≥ 1".into(),
                );
            }
        }
        Ok(())
    }
}

fn parse_table(text: &str, origin: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|source| ConfigError::Syntax {
            origin: origin.to_string(),
            source: Box::new(source),
        })
}

/// Later tables win key by key; nested tables merge.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn set_path(table: &mut toml::Table, keys: &[&str], value: toml::Value) -> Result<(), ConfigError> {
    let Some((last, parents)) = keys.split_last() else {
        return Err(ConfigError::Invalid("empty environment key".to_string()));
    };
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "environment override {} names a value, not a section",
                    keys.join(".")
                )))
            }
        };
    }
    current.insert(last.to_string(), value);
    Ok(())
}

/// An override is read as a TOML value when it is one (numbers, booleans), else as a string.
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn embedded_default_is_valid() {
        let s = Settings::load_with_env(None, Vec::new()).expect("default config");
        assert_eq!(s.rules.too_late_days, 3);
        assert_eq!(s.source.path, PathBuf::from("examples/mailbox"));
    }

    #[test]
    fn short_and_generic_environment_overrides() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("TREKKPOST_DATABASE_URL", "sqlite:///tmp/x.sqlite"),
                ("TREKKPOST_SOURCE", "/tmp/in"),
                ("TREKKPOST_SINK", "/tmp/out"),
                ("TREKKPOST_IMPORT_DIR", "/tmp/world"),
                ("TREKKPOST__RULES__TOO_LATE_DAYS", "5"),
                ("TREKKPOST__MAIL__DISPLAY_NAME", "Union"),
            ]),
        )
        .expect("config");
        assert_eq!(s.database.url, "sqlite:///tmp/x.sqlite");
        assert_eq!(s.source.path, PathBuf::from("/tmp/in"));
        assert_eq!(s.sink.path, PathBuf::from("/tmp/out"));
        assert_eq!(s.import.dir, PathBuf::from("/tmp/world"));
        assert_eq!(s.rules.too_late_days, 5);
        assert_eq!(s.mail.display_name, "Union");
    }

    #[test]
    fn wrong_type_is_a_clear_error() {
        let err =
            Settings::load_with_env(None, env(&[("TREKKPOST__RULES__TOO_LATE_DAYS", "soon")]))
                .expect_err("must fail");
        assert!(err.to_string().contains("too_late_days"), "{err}");
    }

    #[test]
    fn postgres_pool_size_is_a_setting() {
        let s = Settings::load_with_env(None, Vec::new()).expect("default config");
        assert_eq!(s.database.max_connections, 10);
        let s =
            Settings::load_with_env(None, env(&[("TREKKPOST__DATABASE__MAX_CONNECTIONS", "25")]))
                .expect("config");
        assert_eq!(s.database.max_connections, 25);
        let err =
            Settings::load_with_env(None, env(&[("TREKKPOST__DATABASE__MAX_CONNECTIONS", "1")]))
                .expect_err("must fail");
        assert!(err.to_string().contains("max_connections"), "{err}");
    }

    // transport
    fn imap_env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v = env(&[
            ("TREKKPOST__SOURCE__KIND", "imap"),
            ("TREKKPOST__SINK__KIND", "smtp"),
            ("TREKKPOST__IMAP__HOST", "127.0.0.1"),
            ("TREKKPOST__SMTP__HOST", "localhost"),
            ("TREKKPOST_IMAP_PASSWORD", "imap-secret"),
            ("TREKKPOST_SMTP_PASSWORD", "smtp-secret"),
        ]);
        v.extend(env(extra));
        v
    }

    #[test]
    fn passwords_come_from_the_environment_and_are_never_printed() {
        let s = Settings::load_with_env(None, imap_env(&[])).expect("config");
        assert_eq!(
            s.secrets.imap_password.as_ref().map(Secret::expose),
            Some("imap-secret")
        );
        let printed = format!("{s:?}");
        assert!(!printed.contains("imap-secret") && !printed.contains("smtp-secret"));
        // Nowhere else: a password key in the settings is refused.
        let err = Settings::load_with_env(None, imap_env(&[("TREKKPOST__IMAP__PASSWORD", "x")]))
            .expect_err("must fail");
        assert!(err.to_string().contains("password"), "{err}");
    }

    #[test]
    fn password_file_and_missing_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").expect("write");
        let path = file.display().to_string();
        let mut e = imap_env(&[("TREKKPOST__IMAP__PASSWORD_FILE", &path)]);
        e.retain(|(k, _)| k != "TREKKPOST_IMAP_PASSWORD");
        let s = Settings::load_with_env(None, e.clone()).expect("config");
        assert_eq!(
            s.secrets.imap_password.as_ref().map(Secret::expose),
            Some("from-file")
        );
        e.retain(|(k, _)| k != "TREKKPOST__IMAP__PASSWORD_FILE");
        let err = Settings::load_with_env(None, e).expect_err("must fail");
        assert!(err.to_string().contains("IMAP password"), "{err}");
    }

    #[test]
    fn plain_text_only_to_loopback() {
        let ok = Settings::load_with_env(None, imap_env(&[("TREKKPOST__IMAP__SECURITY", "plain")]));
        assert!(ok.is_ok(), "{ok:?}");
        let err = Settings::load_with_env(
            None,
            imap_env(&[
                ("TREKKPOST__IMAP__SECURITY", "plain"),
                ("TREKKPOST__IMAP__HOST", "imap.union.example"),
            ]),
        )
        .expect_err("must fail");
        assert!(err.to_string().contains("loopback"), "{err}");
        let err = Settings::load_with_env(
            None,
            imap_env(&[
                ("TREKKPOST__SMTP__SECURITY", "plain"),
                ("TREKKPOST__SMTP__HOST", "10.0.0.1"),
            ]),
        )
        .expect_err("must fail");
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(is_loopback("::1") && is_loopback("localhost") && !is_loopback("example.org"));
    }
}
