//! Scheduled mail (SPEC §9): overdue-list reminders, needs-info reminders, the staff digest.
//!
//! Each job has a cron expression. At any moment a job is due for the latest tick at or
//! before that moment that it has not served yet; ticks missed while the daemon was down
//! collapse into that one run. The run is recorded in the same transaction as its mail, so
//! a restart (or a second daemon) never sends it twice.
use crate::classify::Lang;
use crate::config::Settings;
use crate::decide::reminders::{
    needs_info_reminder, overdue_needs_reminder, ListState, ReminderPolicy,
};
use crate::handle::{base_context, list_context};
use crate::reply::{self, Envelope};
use crate::store::{OutboxWrite, ReminderWrite, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use std::str::FromStr;

/// A first run looks back this far for a tick to serve.
const FIRST_RUN_LOOKBACK_DAYS: i64 = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Overdue,
    NeedsInfo,
    Digest,
}

impl Job {
    pub const ALL: [Job; 3] = [Job::Overdue, Job::NeedsInfo, Job::Digest];

    pub fn name(self) -> &'static str {
        match self {
            Job::Overdue => "reminder_overdue",
            Job::NeedsInfo => "reminder_needs_info",
            Job::Digest => "staff_digest",
        }
    }

    fn cron(self, settings: &Settings) -> &str {
        match self {
            Job::Overdue => &settings.schedule.overdue_cron,
            Job::NeedsInfo => &settings.schedule.needs_info_cron,
            Job::Digest => &settings.schedule.digest_cron,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cron expression `{expr}`: {message}")]
    Cron { expr: String, message: String },
    #[error(transparent)]
    Reply(#[from] reply::ReplyError),
}

/// The latest tick in `(last, at]`, or in the look-back window when the job never ran.
pub fn due_tick(
    expr: &str,
    last: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ScheduleError> {
    let schedule = cron::Schedule::from_str(expr).map_err(|e| ScheduleError::Cron {
        expr: expr.to_string(),
        message: e.to_string(),
    })?;
    let from = last.unwrap_or(at - Duration::days(FIRST_RUN_LOOKBACK_DAYS));
    if from >= at {
        return Ok(None);
    }
    // Bounded: a pathological every-second expression cannot spin for long.
    Ok(schedule
        .after(&from)
        .take(2_000_000)
        .take_while(|t| *t <= at)
        .last())
}

/// One mail a job sends (or would send, on a dry run).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub job: Job,
    pub tick: DateTime<Utc>,
    pub to: String,
    pub subject: String,
    pub held: bool,
}

/// Run every job that is due as of `at`. With `dry_run`, nothing is recorded or queued.
pub async fn run_due_jobs(
    store: &impl Store,
    settings: &Settings,
    at: DateTime<Utc>,
    dry_run: bool,
) -> Result<Vec<Planned>, ScheduleError> {
    let mut planned = Vec::new();
    for job in Job::ALL {
        let last = store.last_job_tick(job.name()).await?;
        let Some(tick) = due_tick(job.cron(settings), last, at)? else {
            continue;
        };
        let (reminders, mails) = match job {
            Job::Overdue => overdue_mails(store, settings, at).await?,
            Job::NeedsInfo => needs_info_mails(store, settings, at).await?,
            Job::Digest => digest_mail(store, settings, at).await?,
        };
        let recorded = dry_run
            || store
                .record_job_run(job.name(), tick, at, &reminders, &mails)
                .await?;
        if recorded {
            planned.extend(mails.iter().map(|m| Planned {
                job,
                tick,
                to: m.to_address.clone(),
                subject: m.subject.clone(),
                held: m.held,
            }));
        }
    }
    Ok(planned)
}

fn policy(settings: &Settings) -> ReminderPolicy {
    ReminderPolicy {
        interval: Duration::days(settings.schedule.reminder_interval_days),
        max_reminders: settings.schedule.max_reminders,
    }
}

async fn overdue_mails(
    store: &impl Store,
    settings: &Settings,
    at: DateTime<Utc>,
) -> Result<(Vec<ReminderWrite>, Vec<OutboxWrite>), ScheduleError> {
    let mut reminders = Vec::new();
    let mut mails = Vec::new();
    for c in store.overdue_candidates(at.date_naive()).await? {
        let state = ListState {
            list_number: c.list.list_number.clone(),
            due_date: c.list.due_date,
            received: c.received,
            paid: c.paid,
            reminders: c.reminders.clone(),
        };
        if !overdue_needs_reminder(&state, at, policy(settings)) {
            continue;
        }
        let Some(employer) = store.employer(&c.list.employer_id).await? else {
            continue;
        };
        let mut context = base_context(settings);
        context.insert("list".into(), list_context(&c.list));
        context.insert("employer_name".into(), employer.name.clone().into());
        let token = format!("TL-{}", c.list.list_number);
        let mut sent_any = false;
        for to in &employer.contact_emails {
            // Never to an address that bounced.
            if store.is_undeliverable(to).await? {
                continue;
            }
            mails.push(compose(
                settings,
                "reminder_overdue",
                Lang::Nb,
                &token,
                context.clone(),
                to,
                at,
            )?);
            sent_any = true;
        }
        if sent_any {
            reminders.push(ReminderWrite {
                kind: "reminder_overdue".into(),
                subject_key: c.list.list_number.clone(),
            });
        }
    }
    Ok((reminders, mails))
}

async fn needs_info_mails(
    store: &impl Store,
    settings: &Settings,
    at: DateTime<Utc>,
) -> Result<(Vec<ReminderWrite>, Vec<OutboxWrite>), ScheduleError> {
    let mut reminders = Vec::new();
    let mut mails = Vec::new();
    let after = Duration::days(settings.schedule.needs_info_after_days);
    for w in store.waiting_access_requests().await? {
        if !needs_info_reminder(w.waiting_since, &w.reminders, at, after, policy(settings)) {
            continue;
        }
        let Some(to) = w.request.fields.email.clone() else {
            continue;
        };
        if store.is_undeliverable(&to).await? {
            continue;
        }
        let lang = match w.request.last_message {
            Some(m) if store.message_lang(m).await?.as_deref() == Some("en") => Lang::En,
            _ => Lang::Nb,
        };
        let labels: Vec<&str> = w
            .request
            .fields
            .missing
            .iter()
            .map(|f| crate::handle::access::field_label(f, lang))
            .collect();
        let mut context = base_context(settings);
        context.insert(
            "access".into(),
            serde_json::to_value(&w.request.fields).unwrap_or_default(),
        );
        context.insert("missing_fields".into(), labels.into());
        let token = format!("AR-{}", w.request.first_message.unwrap_or(w.request.id));
        mails.push(compose(
            settings,
            "reminder_needs_info",
            lang,
            &token,
            context,
            &to,
            at,
        )?);
        reminders.push(ReminderWrite {
            kind: "reminder_needs_info".into(),
            subject_key: w.request.id.to_string(),
        });
    }
    Ok((reminders, mails))
}

async fn digest_mail(
    store: &impl Store,
    settings: &Settings,
    at: DateTime<Utc>,
) -> Result<(Vec<ReminderWrite>, Vec<OutboxWrite>), ScheduleError> {
    let flags = store.open_flag_counts().await?;
    let dead = store
        .outbox_counts()
        .await?
        .iter()
        .filter(|(state, _)| state == "dead")
        .map(|(_, n)| *n)
        .sum::<i64>();
    let overdue = store
        .overdue_candidates(at.date_naive())
        .await?
        .iter()
        .filter(|c| !c.received && !c.paid)
        .count();
    let mut context = base_context(settings);
    context.insert("date".into(), at.format("%d.%m.%Y").to_string().into());
    context.insert(
        "open_total".into(),
        flags.iter().map(|f| f.count).sum::<i64>().into(),
    );
    context.insert(
        "flags".into(),
        serde_json::Value::Array(
            flags
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "kind": f.kind, "count": f.count,
                        "oldest": f.oldest.map(|o| o.format("%d.%m.%Y").to_string()),
                    })
                })
                .collect(),
        ),
    );
    context.insert("dead_letters".into(), dead.into());
    context.insert("overdue_lists".into(), overdue.into());
    let token = format!("TD-{}", at.format("%Y%m%d"));
    let mail = compose(
        settings,
        "staff_digest",
        Lang::Nb,
        &token,
        context,
        &settings.mail.staff_address,
        at,
    )?;
    Ok((Vec::new(), vec![mail]))
}

fn compose(
    settings: &Settings,
    template: &str,
    lang: Lang,
    token: &str,
    mut context: serde_json::Map<String, serde_json::Value>,
    to: &str,
    at: DateTime<Utc>,
) -> Result<OutboxWrite, ScheduleError> {
    context.insert("token".into(), token.into());
    let rendered = reply::render(template, lang, &serde_json::Value::Object(context))?;
    let message_id = format!(
        "tp.{}.{}.{:016x}@{}",
        template,
        at.format("%Y%m%d%H%M"),
        rand::random::<u64>(),
        settings.mail.domain
    );
    let envelope = Envelope {
        from_address: &settings.mail.address,
        from_name: &settings.mail.display_name,
        to,
        in_reply_to: None,
        references: Vec::new(),
        message_id: &message_id,
        date: at,
    };
    let eml = reply::build_eml(&envelope, &rendered)?;
    Ok(OutboxWrite {
        template: template.to_string(),
        to_address: to.to_string(),
        subject: rendered.subject,
        message_id,
        eml,
        held: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn missed_ticks_collapse_into_one_run() {
        let daily = "0 0 8 * * *";
        // Down from the 1st 09:00 to the 5th 10:00: one run, for the 5th's tick.
        assert_eq!(
            due_tick(daily, Some(t(1, 8)), t(5, 10)).ok().flatten(),
            Some(t(5, 8))
        );
        // Already served.
        assert_eq!(
            due_tick(daily, Some(t(5, 8)), t(5, 10)).ok().flatten(),
            None
        );
        // Before today's tick: nothing new.
        assert_eq!(due_tick(daily, Some(t(4, 8)), t(5, 7)).ok().flatten(), None);
        // Never ran: the latest tick.
        assert_eq!(
            due_tick(daily, None, t(5, 10)).ok().flatten(),
            Some(t(5, 8))
        );
        assert!(due_tick("not cron", None, t(5, 10)).is_err());
    }
}
