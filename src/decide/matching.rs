//! SPEC §4, second half: submitted lines matched to the issued lines of the identified list.
use super::names::name_key;
use crate::parse::ParsedLine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One line of an issued list, as the matcher needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedLine {
    pub member_number: String,
    pub name: String,
    pub national_id: Option<String>,
    pub amount_ore: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Unchanged,
    AmountChanged,
    Ended,
    Missing,
    NewPerson,
}

impl LineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Unchanged => "unchanged",
            LineStatus::AmountChanged => "amount_changed",
            LineStatus::Ended => "ended",
            LineStatus::Missing => "missing",
            LineStatus::NewPerson => "new_person",
        }
    }

    /// A change the employer is expected to explain.
    pub fn is_change(self) -> bool {
        matches!(
            self,
            LineStatus::AmountChanged | LineStatus::Ended | LineStatus::NewPerson
        )
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineStatusCounts {
    pub unchanged: usize,
    pub amount_changed: usize,
    pub ended: usize,
    pub missing: usize,
    pub new_person: usize,
}

/// How each line fared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchResult {
    /// Per submitted line: its status and the index of the issued line it matched.
    pub submitted: Vec<(LineStatus, Option<usize>)>,
    /// Indexes of issued lines that no submitted line matched.
    pub missing: Vec<usize>,
    pub counts: LineStatusCounts,
}

/// How two lines were paired (the first rule that pairs them wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    NationalId,
    MemberNumber,
    NameAndBirthDate,
    Name,
}

/// Match by national ID, then member number, then name + birth date, then name alone.
pub fn match_lines(issued: &[IssuedLine], submitted: &[ParsedLine]) -> MatchResult {
    let mut pair_of_submitted: Vec<Option<usize>> = vec![None; submitted.len()];
    let mut issued_taken = vec![false; issued.len()];
    for rule in [
        Rule::NationalId,
        Rule::MemberNumber,
        Rule::NameAndBirthDate,
        Rule::Name,
    ] {
        for (s_idx, line) in submitted.iter().enumerate() {
            if pair_of_submitted[s_idx].is_some() {
                continue;
            }
            let found = issued.iter().enumerate().find(|(i_idx, issued_line)| {
                !issued_taken[*i_idx] && pairs(rule, issued_line, line)
            });
            if let Some((i_idx, _)) = found {
                pair_of_submitted[s_idx] = Some(i_idx);
                issued_taken[i_idx] = true;
            }
        }
    }
    let mut result = MatchResult::default();
    for (line, pair) in submitted.iter().zip(&pair_of_submitted) {
        let status = match pair {
            None => LineStatus::NewPerson,
            Some(i) => status_of_pair(&issued[*i], line),
        };
        count(&mut result.counts, status);
        result.submitted.push((status, *pair));
    }
    for (i_idx, taken) in issued_taken.iter().enumerate() {
        if !taken {
            result.missing.push(i_idx);
            count(&mut result.counts, LineStatus::Missing);
        }
    }
    result
}

fn status_of_pair(issued: &IssuedLine, line: &ParsedLine) -> LineStatus {
    if line.end_date.is_some() {
        LineStatus::Ended
    } else if line.amount_ore.is_some_and(|a| a != issued.amount_ore) {
        LineStatus::AmountChanged
    } else {
        LineStatus::Unchanged
    }
}

fn count(counts: &mut LineStatusCounts, status: LineStatus) {
    match status {
        LineStatus::Unchanged => counts.unchanged += 1,
        LineStatus::AmountChanged => counts.amount_changed += 1,
        LineStatus::Ended => counts.ended += 1,
        LineStatus::Missing => counts.missing += 1,
        LineStatus::NewPerson => counts.new_person += 1,
    }
}

fn pairs(rule: Rule, issued: &IssuedLine, line: &ParsedLine) -> bool {
    match rule {
        Rule::NationalId => match (&issued.national_id, &line.national_id) {
            (Some(a), Some(b)) => digits(a) == digits(b) && !digits(a).is_empty(),
            _ => false,
        },
        Rule::MemberNumber => match &line.member_number {
            Some(m) => trim_zeros(m) == trim_zeros(&issued.member_number) && !m.trim().is_empty(),
            None => false,
        },
        Rule::NameAndBirthDate => match (&line.name, line.birth_date, &issued.national_id) {
            (Some(name), Some(born), Some(nid)) => {
                birth_date_of(nid) == Some(born) && name_key(name) == name_key(&issued.name)
            }
            _ => false,
        },
        Rule::Name => line.name.as_deref().is_some_and(|name| {
            !name.trim().is_empty() && name_key(name) == name_key(&issued.name)
        }),
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn trim_zeros(s: &str) -> &str {
    let t = s.trim();
    let stripped = t.trim_start_matches('0');
    if stripped.is_empty() {
        t
    } else {
        stripped
    }
}

/// Birth date from a national ID (D-, H- and synthetic numbers included).
pub fn birth_date_of(national_id: &str) -> Option<NaiveDate> {
    crate::norwegian::national_id_birth_date(national_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(member: &str, name: &str, nid: Option<&str>, amount: i64) -> IssuedLine {
        IssuedLine {
            member_number: member.into(),
            name: name.into(),
            national_id: nid.map(Into::into),
            amount_ore: amount,
        }
    }

    fn line(name: &str, nid: Option<&str>, amount: Option<i64>) -> ParsedLine {
        ParsedLine {
            name: Some(name.into()),
            national_id: nid.map(Into::into),
            amount_ore: amount,
            ..Default::default()
        }
    }

    #[test]
    fn each_status_is_counted() {
        let list = vec![
            issued("1", "Kari Nordmann", Some("01018012345"), 45000),
            issued("2", "Ola Hansen", Some("02028012345"), 45000),
            issued("3", "Per Berg", Some("03038012345"), 45000),
            issued("4", "Siv Moen", None, 45000),
        ];
        let mut ended = line("Per Berg", Some("03038012345"), Some(45000));
        ended.end_date = NaiveDate::from_ymd_opt(2026, 11, 1);
        let submitted = vec![
            line("Kari Nordmann", Some("01018012345"), Some(45000)),
            line("Ola Hansen", Some("020280 12345"), Some(30000)),
            ended,
            line("Ny Person", Some("05058012345"), Some(45000)),
        ];
        let r = match_lines(&list, &submitted);
        assert_eq!(
            r.counts,
            LineStatusCounts {
                unchanged: 1,
                amount_changed: 1,
                ended: 1,
                missing: 1,
                new_person: 1
            }
        );
        assert_eq!(r.missing, vec![3]);
    }

    #[test]
    fn member_number_then_name_alone() {
        let list = vec![
            issued("100234", "Kari Nordmann", None, 100),
            issued("100235", "Hanne Løvås-Nilsen", None, 100),
        ];
        let mut by_member = line("K. Nordmann", None, Some(100));
        by_member.member_number = Some("100234".into());
        let by_name = line("Lovas Nilsen, Hanne", None, Some(100));
        let r = match_lines(&list, &[by_member, by_name]);
        assert_eq!(r.counts.unchanged, 2);
        assert!(r.missing.is_empty());
    }

    #[test]
    fn an_end_date_counts_as_ended_whatever_the_amount() {
        let list = vec![issued("1", "Kari Nordmann", None, 100)];
        let mut l = line("Kari Nordmann", None, Some(0));
        l.end_date = NaiveDate::from_ymd_opt(2026, 11, 15);
        assert_eq!(match_lines(&list, &[l]).counts.ended, 1);
    }
}
