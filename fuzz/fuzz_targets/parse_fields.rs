//! The field readers: amounts, dates, national IDs, names and header words, on text and
//! on number cells, with the invariants they promise.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trekkpost::norwegian as no;
use trekkpost::parse::fields as f;
use trekkpost::parse::grid::Cell;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let text = Cell::Text(s.to_string());
    let number = data
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(|b| Cell::Number(f64::from_le_bytes(b)));

    // Amounts: whatever parses formats back to the same øre.
    if let Some(ore) = no::parse_amount_ore(&s) {
        assert_eq!(no::parse_amount_ore(&no::format_amount_ore(ore)), Some(ore), "{s:?}");
    }
    let _ = f::amount_ore(&text);

    // Dates.
    let _ = no::parse_date(&s);
    let _ = f::date_value(&text);
    let _ = f::birth_date_value(&text);
    let _ = f::date_in_text(&s);
    let _ = f::ddmmyy_digits(&text);
    let _ = no::month_from_name(&s);

    // National IDs: a normalised one is 11 digits; a valid one has a birth date unless
    // its century cannot be told; a mask shows at most six digits.
    if let Some(id) = no::normalize_national_id(&s) {
        assert!(id.len() == 11 && id.bytes().all(|b| b.is_ascii_digit()), "{s:?}");
        let _ = no::is_valid_national_id(&id, true);
        let _ = no::national_id_birth_date(&id);
    }
    if let Some((id, valid)) = f::national_id(&text, true) {
        if valid {
            assert!(no::is_valid_national_id(&id, true), "{s:?}");
        }
    }
    let _ = f::looks_like_national_id(&text);
    assert!(no::mask_national_id(&s).chars().filter(char::is_ascii_digit).count() <= 6);

    // Names and headers.
    if let Some(n) = f::full_name(&s, data.first().is_some_and(|b| b & 1 == 1)) {
        assert!(!n.starts_with(' ') && !n.ends_with(' '), "{n:?}");
    }
    let _ = f::tidy_name(&s);
    let _ = f::classify_header(&s);
    let _ = f::fold(&s);
    let _ = no::is_valid_org_number(&s);
    let _ = no::is_valid_kid(&s);

    if let Some(n) = number {
        let _ = f::amount_ore(&n);
        let _ = f::date_value(&n);
        let _ = f::birth_date_value(&n);
        let _ = f::ddmmyy_digits(&n);
        let _ = f::national_id(&n, false);
        let _ = f::looks_like_national_id(&n);
        let _ = f::cell_text(&n);
        let _ = f::id_text(&n);
    }
});
