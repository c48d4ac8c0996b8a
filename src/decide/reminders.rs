//! SPEC §9: who gets a reminder, as plain rules over plain facts.
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// An issued list as the overdue rule sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListState {
    pub list_number: String,
    pub due_date: NaiveDate,
    /// A list was received for it (confirmed, too late, or under review).
    pub received: bool,
    /// Payments with its KID (or matched to it) exist.
    pub paid: bool,
    /// When reminders about it were sent, as of the job's time.
    pub reminders: Vec<DateTime<Utc>>,
}

/// The limits from the configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReminderPolicy {
    pub interval: Duration,
    pub max_reminders: usize,
}

/// Due date passed, nothing received, nothing paid, fewer than `max_reminders` sent and the
/// last one at least `interval` ago.
pub fn overdue_needs_reminder(list: &ListState, at: DateTime<Utc>, policy: ReminderPolicy) -> bool {
    list.due_date < at.date_naive()
        && !list.received
        && !list.paid
        && may_remind_again(&list.reminders, at, policy)
}

/// An access request waiting for details longer than `after`.
pub fn needs_info_reminder(
    waiting_since: DateTime<Utc>,
    reminders: &[DateTime<Utc>],
    at: DateTime<Utc>,
    after: Duration,
    policy: ReminderPolicy,
) -> bool {
    at - waiting_since >= after && may_remind_again(reminders, at, policy)
}

fn may_remind_again(sent: &[DateTime<Utc>], at: DateTime<Utc>, policy: ReminderPolicy) -> bool {
    let before: Vec<&DateTime<Utc>> = sent.iter().filter(|t| **t <= at).collect();
    before.len() < policy.max_reminders && before.iter().all(|t| at - **t >= policy.interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 8, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn list() -> ListState {
        ListState {
            list_number: "240001".into(),
            due_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default(),
            received: false,
            paid: false,
            reminders: vec![],
        }
    }

    const POLICY: ReminderPolicy = ReminderPolicy {
        interval: Duration::days(7),
        max_reminders: 2,
    };

    #[test]
    fn only_after_the_due_date_and_without_list_or_payment() {
        let mut l = list();
        assert!(!overdue_needs_reminder(
            &l,
            Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0)
                .single()
                .unwrap_or_default(),
            POLICY
        ));
        assert!(overdue_needs_reminder(&l, at(1), POLICY));
        l.received = true;
        assert!(!overdue_needs_reminder(&l, at(1), POLICY));
        l.received = false;
        l.paid = true;
        assert!(!overdue_needs_reminder(&l, at(1), POLICY));
    }

    #[test]
    fn interval_and_maximum() {
        let mut l = list();
        l.reminders = vec![at(1)];
        assert!(
            !overdue_needs_reminder(&l, at(7), POLICY),
            "within the interval"
        );
        assert!(overdue_needs_reminder(&l, at(8), POLICY));
        l.reminders.push(at(8));
        assert!(
            !overdue_needs_reminder(&l, at(20), POLICY),
            "maximum reached"
        );
    }

    #[test]
    fn needs_info_waits_the_configured_age() {
        let since = at(1);
        let after = Duration::days(3);
        assert!(!needs_info_reminder(since, &[], at(3), after, POLICY));
        assert!(needs_info_reminder(since, &[], at(4), after, POLICY));
        assert!(!needs_info_reminder(since, &[at(4)], at(5), after, POLICY));
    }
}
