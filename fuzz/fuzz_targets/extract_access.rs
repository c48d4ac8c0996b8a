//! Arbitrary text as the body (and subject) of a mail through the access-field extractor and
//! the merge of two extractions.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trekkpost::classify::{extract_access, merge_access};
use trekkpost::mime::Mail;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (subject, body) = text.split_once('\n').unwrap_or(("", &text));
    let mail = Mail {
        subject: subject.to_string(),
        from_address: Some("sender@firma.example".into()),
        from_name: Some(subject.chars().take(40).collect()),
        text: body.to_string(),
        own_text: body.to_string(),
        html_text: body.to_string(),
        ..Default::default()
    };
    let fields = extract_access(&mail);
    let merged = merge_access(&fields, &fields);
    // Merging a request with itself changes nothing.
    assert_eq!(merged, fields);
});
