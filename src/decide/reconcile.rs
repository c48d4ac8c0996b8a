//! SPEC §5: the outcome of a list submission, tried row by row; the first row that fits decides.
use super::matching::LineStatusCounts;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq)]
pub struct PaymentFact {
    pub date: NaiveDate,
    pub amount_ore: i64,
}

/// Everything the table looks at, for an identified list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListFacts {
    pub already_submitted: bool,
    pub invoiced_ore: i64,
    /// Payments for the list (by KID, or by employer and amount).
    pub payments: Vec<PaymentFact>,
    /// The mail's arrival date.
    pub arrival: NaiveDate,
    pub too_late_days: i64,
    pub counts: LineStatusCounts,
    /// Some change (amount changed, ended, new person) has no comment.
    pub uncommented_change: bool,
}

/// What reading and identifying the submission came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    Unreadable,
    Unidentified,
    Identified(ListFacts),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListOutcome {
    Confirmed,
    TooLate,
    QueryUnreadable,
    Flagged,
}

impl ListOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ListOutcome::Confirmed => "confirmed",
            ListOutcome::TooLate => "too_late",
            ListOutcome::QueryUnreadable => "query_unreadable",
            ListOutcome::Flagged => "flagged",
        }
    }
}

/// The decided row: outcome, flags for staff, queries the reply asks, the reply's template.
#[derive(Debug, Clone, PartialEq)]
pub struct ListDecision {
    pub outcome: ListOutcome,
    pub flags: Vec<&'static str>,
    pub queries: Vec<&'static str>,
    pub template: &'static str,
}

impl ListDecision {
    fn new(outcome: ListOutcome, flag: Option<&'static str>, template: &'static str) -> Self {
        ListDecision {
            outcome,
            flags: flag.into_iter().collect(),
            queries: Vec::new(),
            template,
        }
    }
}

pub fn decide(submission: &Submission) -> ListDecision {
    let facts = match submission {
        Submission::Unreadable => {
            return ListDecision::new(ListOutcome::QueryUnreadable, None, "query_unreadable")
        }
        Submission::Unidentified => {
            return ListDecision::new(
                ListOutcome::Flagged,
                Some("unidentified_list"),
                "received_under_review",
            )
        }
        Submission::Identified(facts) => facts,
    };
    if facts.already_submitted {
        return ListDecision::new(
            ListOutcome::Flagged,
            Some("already_submitted"),
            "already_submitted",
        );
    }
    let before: Vec<&PaymentFact> = facts
        .payments
        .iter()
        .filter(|p| p.date < facts.arrival)
        .collect();
    let paid: i64 = before.iter().map(|p| p.amount_ore).sum();
    if let Some(last_payment) = before.iter().map(|p| p.date).max() {
        let days_before = (facts.arrival - last_payment).num_days();
        if paid == facts.invoiced_ore && days_before >= facts.too_late_days {
            return ListDecision::new(ListOutcome::TooLate, None, "too_late");
        }
        if paid != facts.invoiced_ore {
            return ListDecision::new(
                ListOutcome::Flagged,
                Some("payment_mismatch"),
                "received_under_review",
            );
        }
    }
    let mut decision = ListDecision::new(ListOutcome::Confirmed, None, "confirmation");
    if facts.uncommented_change {
        decision.queries.push("comment");
    }
    if facts.counts.missing > 0 {
        decision.queries.push("missing");
    }
    if facts.counts.new_person > 0 {
        decision.flags.push("new_person");
    }
    decision
}

/// SPEC §5, a payment imported later: against the submitted total, or the invoice where no
/// list came. `None` while nothing is paid.
pub fn payment_status(
    invoiced_ore: i64,
    submitted_ore: Option<i64>,
    paid_ore: i64,
    payments: usize,
) -> Option<&'static str> {
    if payments == 0 {
        return None;
    }
    let expected = submitted_ore.unwrap_or(invoiced_ore);
    Some(if paid_ore == expected {
        "reconciled"
    } else {
        "payment_mismatch"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn facts() -> ListFacts {
        ListFacts {
            already_submitted: false,
            invoiced_ore: 100_000,
            payments: vec![],
            arrival: day(20),
            too_late_days: 3,
            counts: LineStatusCounts {
                unchanged: 10,
                ..Default::default()
            },
            uncommented_change: false,
        }
    }

    fn pay(d: u32, amount: i64) -> PaymentFact {
        PaymentFact {
            date: day(d),
            amount_ore: amount,
        }
    }

    fn outcome(f: ListFacts) -> ListDecision {
        decide(&Submission::Identified(f))
    }

    #[test]
    fn unreadable_and_unidentified() {
        let d = decide(&Submission::Unreadable);
        assert_eq!(
            (d.outcome, d.template),
            (ListOutcome::QueryUnreadable, "query_unreadable")
        );
        assert!(d.flags.is_empty());
        let d = decide(&Submission::Unidentified);
        assert_eq!(d.outcome, ListOutcome::Flagged);
        assert_eq!(d.flags, vec!["unidentified_list"]);
        assert_eq!(d.template, "received_under_review");
    }

    #[test]
    fn already_submitted_wins_over_payments() {
        let mut f = facts();
        f.already_submitted = true;
        f.payments = vec![pay(1, 100_000)];
        let d = outcome(f);
        assert_eq!(d.flags, vec!["already_submitted"]);
        assert_eq!(d.template, "already_submitted");
    }

    #[test]
    fn paid_in_full_long_enough_before_is_too_late() {
        let mut f = facts();
        f.payments = vec![pay(10, 60_000), pay(17, 40_000)];
        let d = outcome(f.clone());
        assert_eq!((d.outcome, d.template), (ListOutcome::TooLate, "too_late"));
        // paid in full, but the last payment only one day before: confirmed
        f.payments = vec![pay(19, 100_000)];
        assert_eq!(outcome(f).outcome, ListOutcome::Confirmed);
    }

    #[test]
    fn a_payment_before_that_differs_is_a_mismatch() {
        let mut f = facts();
        f.payments = vec![pay(12, 95_000)];
        let d = outcome(f.clone());
        assert_eq!(d.outcome, ListOutcome::Flagged);
        assert_eq!(d.flags, vec!["payment_mismatch"]);
        assert_eq!(d.template, "received_under_review");
        // a recent but different payment is a mismatch too
        f.payments = vec![pay(19, 95_000)];
        assert_eq!(outcome(f).flags, vec!["payment_mismatch"]);
    }

    #[test]
    fn payments_after_arrival_do_not_count() {
        let mut f = facts();
        f.payments = vec![pay(25, 95_000), pay(20, 100_000)];
        assert_eq!(outcome(f).outcome, ListOutcome::Confirmed);
    }

    #[test]
    fn confirmed_with_both_queries_and_new_person_flag() {
        let mut f = facts();
        f.uncommented_change = true;
        f.counts.missing = 2;
        f.counts.new_person = 1;
        let d = outcome(f);
        assert_eq!(
            (d.outcome, d.template),
            (ListOutcome::Confirmed, "confirmation")
        );
        assert_eq!(d.queries, vec!["comment", "missing"]);
        assert_eq!(d.flags, vec!["new_person"]);
    }

    #[test]
    fn payments_imported_later_are_checked_against_the_submission_or_the_invoice() {
        assert_eq!(payment_status(100, None, 0, 0), None);
        assert_eq!(payment_status(100, None, 100, 1), Some("reconciled"));
        assert_eq!(payment_status(100, Some(90), 90, 2), Some("reconciled"));
        assert_eq!(
            payment_status(100, Some(90), 100, 1),
            Some("payment_mismatch")
        );
        assert_eq!(payment_status(100, None, 50, 1), Some("payment_mismatch"));
    }

    #[test]
    fn confirmed_plain() {
        let d = outcome(facts());
        assert!(d.queries.is_empty() && d.flags.is_empty());
    }
}
