//! Number checks the classifier needs. `crate::norwegian` will own these; the private copies
//! here keep this module independent until the branches meet.

/// Org number: 9 digits, mod-11 with weights 3,2,7,6,5,4,3,2 (11 → 0, 10 → invalid).
pub fn is_valid_org_number(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 9 || s.chars().any(|c| !c.is_ascii_digit()) {
        return false;
    }
    mod11(&digits[..8], &[3, 2, 7, 6, 5, 4, 3, 2]) == Some(digits[8])
}

/// k = 11 − (Σ wᵢdᵢ mod 11); 11 → 0; 10 → no valid check digit.
fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// Does an 11-digit string look like a fødselsnummer / D-number (a plausible date, with the
/// month offsets of synthetic numbers, and valid check digits)? Such numbers are personal data
/// and never kept as references.
pub fn looks_like_national_id(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 || s.chars().any(|c| !c.is_ascii_digit()) {
        return false;
    }
    let mut day = d[0] * 10 + d[1];
    if day > 40 {
        day -= 40; // D-number
    }
    let mut month = d[2] * 10 + d[3];
    for offset in [80, 65, 40] {
        if month > offset {
            month -= offset;
            break;
        }
    }
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return false;
    }
    let k1 = mod11(&d[..9], &[3, 7, 6, 1, 8, 9, 4, 5, 2]);
    let k2 = mod11(&d[..10], &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
    // From 2032 the first check digit may carry an offset of 1–3.
    let k1_ok = k1.is_some_and(|k| (0..4).any(|o| (k + o) % 11 == d[9]));
    k1_ok && k2 == Some(d[10])
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
        // Build one with valid check digits: 01.81.90, individual 123.
        let base = [0, 1, 8, 1, 9, 0, 1, 2, 3];
        let k1 = mod11(&base, &[3, 7, 6, 1, 8, 9, 4, 5, 2]).unwrap_or(0);
        let mut ten = base.to_vec();
        ten.push(k1);
        let k2 = mod11(&ten, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]).unwrap_or(0);
        ten.push(k2);
        ten.iter().map(|d| char::from(b'0' + *d as u8)).collect()
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
