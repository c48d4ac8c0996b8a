//! Number checks the classifier needs; the check-digit rules live in `crate::norwegian`.

/// Org number: 9 digits, nothing else, valid mod-11.
pub fn is_valid_org_number(s: &str) -> bool {
    s.len() == 9
        && s.chars().all(|c| c.is_ascii_digit())
        && crate::norwegian::is_valid_org_number(s)
}

/// Does an 11-digit string look like a fødselsnummer / D- / H-number (synthetic ones
/// included)? Such numbers are personal data and never kept as references.
pub fn looks_like_national_id(s: &str) -> bool {
    s.len() == 11
        && s.chars().all(|c| c.is_ascii_digit())
        && crate::norwegian::is_valid_national_id(s, true)
}

/// A Norwegian phone number normalised to `+47XXXXXXXX` (or `+CC…` for another country),
/// and whether it is a valid Norwegian mobile (8 digits starting with 4 or 9).
pub fn normalise_phone(raw: &str) -> Option<(String, bool)> {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let mut digits: String = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let mut foreign = false;
    if plus {
        if let Some(rest) = digits.strip_prefix("47") {
            digits = rest.to_string();
        } else {
            foreign = true;
        }
    } else if let Some(rest) = digits.strip_prefix("0047") {
        digits = rest.to_string();
    } else if digits.len() == 10 && digits.starts_with("47") {
        digits = digits[2..].to_string();
    } else if digits.starts_with("00") && digits.len() > 10 {
        foreign = true;
        digits = digits[2..].to_string();
    }
    if foreign {
        return Some((format!("+{digits}"), false));
    }
    let valid = digits.len() == 8 && (digits.starts_with('4') || digits.starts_with('9'));
    Some((format!("+47{digits}"), valid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_numbers() {
        assert!(is_valid_org_number("936048048"));
        assert!(is_valid_org_number("958680538"));
        assert!(!is_valid_org_number("933199801"));
        assert!(!is_valid_org_number("93604804"));
        assert!(!is_valid_org_number("93604804x"));
    }

    #[test]
    fn national_ids() {
        // Synthetic test numbers (month + 80) with valid check digits are recognised.
        assert!(looks_like_national_id(&synthetic()));
        assert!(!looks_like_national_id("12345678901"));
        assert!(!looks_like_national_id("011072459651"));
    }

    fn synthetic() -> String {
        // A synthetic test number (birth month + 80) with valid check digits.
        "05857746513".to_string()
    }

    #[test]
    fn phones() {
        assert_eq!(
            normalise_phone("917 23 456"),
            Some(("+4791723456".into(), true))
        );
        assert_eq!(
            normalise_phone("+47 412 34 567"),
            Some(("+4741234567".into(), true))
        );
        assert_eq!(
            normalise_phone("0047 48123456"),
            Some(("+4748123456".into(), true))
        );
        assert_eq!(
            normalise_phone("47 48 12 34 56"),
            Some(("+4748123456".into(), true))
        );
        assert_eq!(
            normalise_phone("22 45 67 80"),
            Some(("+4722456780".into(), false))
        );
        assert_eq!(
            normalise_phone("917 23 45"),
            Some(("+479172345".into(), false))
        );
        assert_eq!(
            normalise_phone("+46 70 123 45 67"),
            Some(("+46701234567".into(), false))
        );
        assert_eq!(normalise_phone("ingen"), None);
    }
}
