//! The spreadsheet path. Bytes that look like a zip or an OLE2 file go to the readers as
//! they are (mutated corpus lists find reader bugs); anything else is taken as lines of
//! `;`-separated cells, written into a valid xlsx and read back, so calamine accepts it
//! and the fuzzer reaches the table finder and the field readers behind it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trekkpost::parse::{parse_attachment_with_limits, ParseLimits, ParseOptions};

#[path = "../../benches/support/xlsx.rs"]
mod xlsx;
use xlsx::{write_xlsx, XCell};

/// Small limits keep each run fast; the checks themselves are what is fuzzed.
fn limits() -> ParseLimits {
    ParseLimits {
        max_input_bytes: 4 * 1024 * 1024,
        max_zip_uncompressed_bytes: 16 * 1024 * 1024,
        max_sheet_cells: 200_000,
        ..ParseLimits::default()
    }
}

fn cells(text: &str) -> Vec<Vec<XCell>> {
    text.lines()
        .take(500)
        .map(|l| {
            l.split(';')
                .take(30)
                .map(|c| match c.strip_prefix('#').map(str::parse::<f64>) {
                    // "#12.5" is a number cell, anything else text.
                    Some(Ok(n)) => XCell::Number(n),
                    _ if c.is_empty() => XCell::Empty,
                    _ => XCell::Text(c.to_string()),
                })
                .collect()
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions {
        accept_synthetic_ids: data.first().is_some_and(|b| b & 1 == 1),
    };
    let raw = data.starts_with(b"PK") || data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let list = if raw {
        parse_attachment_with_limits("fuzz.xlsx", data, &opts, &limits())
    } else {
        let text = String::from_utf8_lossy(data);
        let mut sheets = Vec::new();
        // A line "@@" starts another sheet: tables split over sheets are joined.
        for (i, part) in text.split("@@\n").take(4).enumerate() {
            sheets.push((["Ark1", "Ark2", "Ark3", "Ark4"][i], cells(part)));
        }
        let bytes = write_xlsx(&sheets, &[]);
        parse_attachment_with_limits("fuzz.xlsx", &bytes, &opts, &limits())
    };
    for l in &list.lines {
        if let Some(id) = &l.national_id {
            if l.national_id_valid {
                assert!(id.len() == 11 && id.bytes().all(|b| b.is_ascii_digit()), "{id}");
            }
        }
        assert!(l.row >= 1);
    }
    assert!(list.readable || list.reason.is_some());
});
