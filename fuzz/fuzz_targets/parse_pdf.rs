//! The PDF path. Bytes that start like a PDF go to lopdf/pdf-extract as they are (mutated
//! corpus PDFs); anything else is laid out as text runs on pages of a valid PDF, so the
//! fuzzer reaches the line, column and header rebuilding behind the PDF reader.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trekkpost::parse::{parse_attachment_with_limits, ParseLimits, ParseOptions};

#[path = "../../benches/support/pdf.rs"]
mod pdf;
use pdf::{write_pdf, Run};

fn limits() -> ParseLimits {
    ParseLimits {
        max_input_bytes: 4 * 1024 * 1024,
        max_pdf_pages: 50,
        max_pdf_chars: 200_000,
        ..ParseLimits::default()
    }
}

/// Each line: x and y from its first two bytes, size from the third, then the text.
/// A line "\x0c" (form feed) starts a new page.
fn pages(data: &[u8]) -> Vec<Vec<Run>> {
    let mut pages = vec![Vec::new()];
    for line in data.split(|&b| b == b'\n').take(2000) {
        if line == b"\x0c" {
            pages.push(Vec::new());
            continue;
        }
        let (Some(&x), Some(&y)) = (line.first(), line.get(1)) else {
            continue;
        };
        let size = line.get(2).map_or(10.0, |&s| f32::from(s % 24) + 4.0);
        if let Some(p) = pages.last_mut() {
            p.push(Run {
                x: f32::from(x) * 2.2,
                y: f32::from(y) * 3.2,
                size,
                text: line.get(3..).unwrap_or_default().to_vec(),
            });
        }
    }
    pages
}

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions::default();
    let bytes = if data.starts_with(b"%PDF") {
        data.to_vec()
    } else {
        write_pdf(&pages(data), None)
    };
    let list = parse_attachment_with_limits("fuzz.pdf", &bytes, &opts, &limits());
    for l in &list.lines {
        assert!(l.sheet.starts_with("page "), "{}", l.sheet);
    }
    assert!(list.readable || list.reason.is_some());
});
