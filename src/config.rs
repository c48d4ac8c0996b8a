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
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
}

/// `check-config` prints the settings: a PostgreSQL password in the URL stays out.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &crate::store::any::redacted_url(&self.url))
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
    /// How long a daemon holds a claimed message or outbox row; a dead daemon's claims are
    /// taken over by another after this.
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    pub enabled: bool,
    pub bind: String,
    pub behind_tls: bool,
    pub session_idle_minutes: i64,
    pub login_max_failures: u32,
    pub login_window_secs: u64,
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
        for (name, value) in env {
            if let Some((_, keys)) = SHORT_ENV.iter().find(|(n, _)| *n == name) {
                set_path(&mut table, keys, toml::Value::String(value))?;
            } else if let Some(rest) = name.strip_prefix(ENV_PREFIX) {
                let keys: Vec<String> = rest.split("__").map(|k| k.to_ascii_lowercase()).collect();
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                set_path(&mut table, &keys, env_value(&value))?;
            }
        }
        let settings: Settings = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.source.kind != "local" {
            return Err(ConfigError::Invalid(format!(
                "source.kind `{}` is not supported (use \"local\")",
                self.source.kind
            )));
        }
        if self.sink.kind != "dir" {
            return Err(ConfigError::Invalid(format!(
                "sink.kind `{}` is not supported (use \"dir\")",
                self.sink.kind
            )));
        }
        if crate::store::any::Backend::of_url(&self.database.url).is_none() {
            return Err(ConfigError::Invalid(
                "database.url must be a sqlite: or postgres:// URL".to_string(),
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
}
