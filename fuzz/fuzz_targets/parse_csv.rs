//! The CSV/text path: any bytes through encoding and delimiter detection, then the table
//! finder, both directly and through format detection.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trekkpost::parse::{csv, parse_attachment_with_limits, table, ParseLimits, ParseOptions};

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions::default();
    let grid = csv::read("fuzz.csv", data);
    for (i, r) in grid.rows.iter().enumerate() {
        assert_eq!(r.row as usize, i + 1);
    }
    let _ = table::extract(&[grid], &opts);
    let list = parse_attachment_with_limits("fuzz.csv", data, &opts, &ParseLimits::default());
    assert!(list.readable || list.reason.is_some());
});
