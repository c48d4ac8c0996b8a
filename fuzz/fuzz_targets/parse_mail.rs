//! Any bytes through the MIME decoder and the classifier: no panic may escape, no hang.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trekkpost::classify::classify;
use trekkpost::mime::parse_mail;

fuzz_target!(|data: &[u8]| {
    if let Ok(mail) = parse_mail(data) {
        let c = classify(&mail);
        // Access fields, when present, are normalised whatever the input.
        if let Some(a) = c.access {
            if let Some(o) = a.org_number {
                assert!(o.chars().all(|c| c.is_ascii_digit()));
            }
            if let Some(m) = a.mobile {
                assert!(m.starts_with('+'));
            }
        }
    }
});
