//! TEMPORARY stand-in until the parser branch lands (it owns this file).
use chrono::NaiveDate;

pub fn national_id_birth_date(s: &str) -> Option<NaiveDate> {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 {
        return None;
    }
    let mut day = d[0] * 10 + d[1];
    if day > 40 {
        day -= 40;
    }
    let mut month = d[2] * 10 + d[3];
    for off in [80, 65, 40] {
        if month > off {
            month -= off;
            break;
        }
    }
    let yy = (d[4] * 10 + d[5]) as i32;
    let ind = d[6] * 100 + d[7] * 10 + d[8];
    let year = match ind {
        0..=499 => 1900 + yy,
        500..=749 if yy >= 54 => 1800 + yy,
        900..=999 if yy >= 40 => 1900 + yy,
        _ if yy < 40 => 2000 + yy,
        _ => 1900 + yy,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

pub fn is_valid_org_number(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 9 {
        return false;
    }
    let sum: u32 = [3, 2, 7, 6, 5, 4, 3, 2]
        .iter()
        .zip(&d)
        .map(|(w, x)| w * x)
        .sum();
    let k = (11 - sum % 11) % 11;
    k != 10 && k == d[8]
}

pub fn mask_national_id(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return "*".repeat(digits.len());
    }
    format!("{}{}", &digits[..6], "*".repeat(digits.len() - 6))
}
