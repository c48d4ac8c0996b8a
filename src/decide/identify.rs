//! SPEC §4, first half: which issued list a submission is.
//!
//! The handler looks each kind of evidence up in the store and hands the results here in
//! plain form; this module applies the order of SPEC §4.

/// An issued list as identification needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListCandidate {
    pub list_number: String,
    /// `YYYY-MM`
    pub period: String,
    /// A submission was already confirmed for it.
    pub submitted: bool,
}

/// The evidence, strongest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// List numbers named in the attachment, subject, body or file name (in that order) that
    /// exist among the issued lists.
    pub known_list_numbers: Vec<String>,
    /// The lists of the employer found from the content (employer ID or org number), else
    /// from the sender's address, else from the sender's domain. Empty when none was found.
    pub employer_lists: Vec<ListCandidate>,
    /// The period the attachment states (`YYYY-MM`), if any.
    pub period_hint: Option<String>,
    /// Lists sharing people with the submission: (list, people in common).
    pub overlaps: Vec<(ListCandidate, usize)>,
    /// How many lines the submission has.
    pub submitted_lines: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifiedBy {
    ListNumber,
    Employer,
    Overlap,
}

/// The list, and what identified it; `None` means `unidentified_list`.
pub fn identify(evidence: &Evidence) -> Option<(String, IdentifiedBy)> {
    if let Some(number) = evidence.known_list_numbers.first() {
        return Some((number.clone(), IdentifiedBy::ListNumber));
    }
    if let Some(list) =
        pick_employer_list(&evidence.employer_lists, evidence.period_hint.as_deref())
    {
        return Some((list, IdentifiedBy::Employer));
    }
    pick_by_overlap(&evidence.overlaps, evidence.submitted_lines)
        .map(|list| (list, IdentifiedBy::Overlap))
}

/// The employer's list for the stated period, else for its latest period; an open list is
/// preferred over one already submitted.
pub fn pick_employer_list(lists: &[ListCandidate], period_hint: Option<&str>) -> Option<String> {
    let period = period_hint
        .filter(|p| lists.iter().any(|l| l.period == *p))
        .map(str::to_string)
        .or_else(|| lists.iter().map(|l| l.period.clone()).max())?;
    let mut in_period: Vec<&ListCandidate> = lists.iter().filter(|l| l.period == period).collect();
    in_period.sort_by_key(|l| (l.submitted, std::cmp::Reverse(l.list_number.clone())));
    in_period.first().map(|l| l.list_number.clone())
}

/// The list with the most people in common, when at least half of the submitted lines are
/// on it: a few shared names across employers must not pick a list.
pub fn pick_by_overlap(
    overlaps: &[(ListCandidate, usize)],
    submitted_lines: usize,
) -> Option<String> {
    let (best, shared) = overlaps
        .iter()
        .max_by_key(|(l, n)| (*n, l.period.clone(), !l.submitted))?;
    (*shared > 0 && shared * 2 >= submitted_lines.max(1)).then(|| best.list_number.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(n: &str, p: &str, submitted: bool) -> ListCandidate {
        ListCandidate {
            list_number: n.into(),
            period: p.into(),
            submitted,
        }
    }

    #[test]
    fn list_number_beats_employer_beats_overlap() {
        let mut e = Evidence {
            known_list_numbers: vec!["240001".into()],
            employer_lists: vec![cand("240002", "2026-11", false)],
            overlaps: vec![(cand("240003", "2026-11", false), 10)],
            submitted_lines: 10,
            period_hint: None,
        };
        assert_eq!(
            identify(&e),
            Some(("240001".into(), IdentifiedBy::ListNumber))
        );
        e.known_list_numbers.clear();
        assert_eq!(
            identify(&e),
            Some(("240002".into(), IdentifiedBy::Employer))
        );
        e.employer_lists.clear();
        assert_eq!(identify(&e), Some(("240003".into(), IdentifiedBy::Overlap)));
        e.overlaps[0].1 = 4;
        assert_eq!(identify(&e), None, "under half the lines in common");
    }

    #[test]
    fn employer_list_prefers_stated_period_then_latest_open() {
        let lists = vec![
            cand("1", "2026-10", false),
            cand("2", "2026-11", true),
            cand("3", "2026-11", false),
        ];
        assert_eq!(pick_employer_list(&lists, None), Some("3".into()));
        assert_eq!(
            pick_employer_list(&lists, Some("2026-10")),
            Some("1".into())
        );
        assert_eq!(
            pick_employer_list(&lists, Some("2025-01")),
            Some("3".into())
        );
        assert_eq!(pick_employer_list(&lists[1..2], None), Some("2".into()));
        assert_eq!(pick_employer_list(&[], None), None);
    }
}
