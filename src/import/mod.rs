//! Readers for the reference data the union imports (SPEC §1): the three semicolon files
//! (`employers.csv`, `lists.csv`, `list_lines.csv`) and payments as camt.054 XML, OCR giro
//! or `payments.csv`.
//!
//! Pure: bytes in, records out. The kind of file is recognised from its content, never its
//! name, because staff rename exports freely. Any malformed input rejects the whole file
//! with a 1-based line number and a reason, so an import never half-succeeds.

mod camt054;
mod csv;
mod ocr;
pub mod values;

use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

/// Largest file we read; real reference files are a few hundred kilobytes.
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

/// What one file contained. A file is always exactly one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "rows", rename_all = "snake_case")]
pub enum ImportBatch {
    Employers(Vec<EmployerRow>),
    Lists(Vec<ListRow>),
    ListLines(Vec<ListLineRow>),
    Payments(Vec<PaymentRow>),
}

impl ImportBatch {
    /// Short name of the kind, as used in logs and the CLI.
    pub fn kind(&self) -> &'static str {
        match self {
            ImportBatch::Employers(_) => "employers",
            ImportBatch::Lists(_) => "lists",
            ImportBatch::ListLines(_) => "list_lines",
            ImportBatch::Payments(_) => "payments",
        }
    }

    /// Number of records read.
    pub fn len(&self) -> usize {
        match self {
            ImportBatch::Employers(v) => v.len(),
            ImportBatch::Lists(v) => v.len(),
            ImportBatch::ListLines(v) => v.len(),
            ImportBatch::Payments(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One row of `employers.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmployerRow {
    pub line: usize,
    pub employer_id: String,
    /// Nine digits, spaces removed.
    pub org_number: String,
    pub name: String,
    /// Lower-case, in file order, duplicates removed.
    pub contact_emails: Vec<String>,
    /// Lower-case.
    pub invoice_email: Option<String>,
    pub uses_winorg: bool,
}

/// One row of `lists.csv`: a deduction list the union sent out, with its invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListRow {
    pub line: usize,
    pub list_number: String,
    pub employer_id: String,
    /// `YYYY-MM`.
    pub period: String,
    pub issued_date: NaiveDate,
    pub due_date: NaiveDate,
    pub invoice_number: String,
    pub kid: String,
    pub invoice_amount_ore: i64,
}

/// One row of `list_lines.csv`: a member on a list and the amount to deduct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListLineRow {
    pub line: usize,
    pub list_number: String,
    pub member_number: String,
    pub name: String,
    /// 11 digits (a 10-digit value has its lost leading zero restored).
    pub national_id: Option<String>,
    pub amount_ore: i64,
}

/// Where a payment record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentFormat {
    Camt054,
    Ocr,
    Csv,
}

impl PaymentFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentFormat::Camt054 => "camt054",
            PaymentFormat::Ocr => "ocr",
            PaymentFormat::Csv => "csv",
        }
    }
}

/// One incoming payment, whatever format it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRow {
    pub line: usize,
    /// Unique, stable key so a re-import never double counts: `camt:<AcctSvcrRef>`,
    /// `ocr:<transmission>:<assignment>:<transaction>` or `csv:<hash>:<occurrence>`.
    pub source_ref: String,
    pub payment_date: NaiveDate,
    /// Negative for OCR reversals (transaction types 18 and 20).
    pub amount_ore: i64,
    pub kid: Option<String>,
    pub payer_account: Option<String>,
    pub payer_name: Option<String>,
    pub reference: Option<String>,
    pub format: PaymentFormat,
}

/// Why a file was rejected. `line` is 1-based; 0 means the file as a whole (unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct ImportError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl ImportError {
    pub(crate) fn new(file: &str, line: usize, reason: impl Into<String>) -> Self {
        ImportError {
            file: file.to_string(),
            line,
            reason: reason.into(),
        }
    }
}

/// Reads and parses one file. The error's `file` is the path as given.
pub fn read_import_file(path: &Path) -> Result<ImportBatch, ImportError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| ImportError::new(&shown, 0, format!("cannot read file: {e}")))?;
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::new(
            &shown,
            0,
            format!(
                "file is {} bytes, more than the {} allowed",
                meta.len(),
                MAX_IMPORT_BYTES
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| ImportError::new(&shown, 0, format!("cannot read file: {e}")))?;
    read_import_bytes(&shown, &bytes)
}

/// Parses one file's content; `file_name` only labels errors.
pub fn read_import_bytes(file_name: &str, bytes: &[u8]) -> Result<ImportBatch, ImportError> {
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(ImportError::new(file_name, 0, "file too large"));
    }
    match detect(bytes) {
        Detected::Camt054 => camt054::read(file_name, bytes).map(ImportBatch::Payments),
        Detected::Ocr => ocr::read(file_name, bytes).map(ImportBatch::Payments),
        Detected::Semicolon => csv::read(file_name, bytes),
        Detected::Unknown(reason) => Err(ImportError::new(file_name, 1, reason)),
    }
}

#[derive(Debug, PartialEq)]
enum Detected {
    Camt054,
    Ocr,
    /// One of the four semicolon files; the header decides which (in `csv`).
    Semicolon,
    Unknown(String),
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn detect(bytes: &[u8]) -> Detected {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    if body.is_empty() {
        return Detected::Unknown("file is empty".into());
    }
    if body[0] == b'<' {
        // Look for the markers anywhere: a truncated or broken camt.054 must still be
        // recognised so its error points at the broken line instead of "unknown file".
        let is_camt = contains(body, b"BkToCstmrDbtCdtNtfctn") || contains(body, b"camt.054");
        return if is_camt {
            Detected::Camt054
        } else {
            Detected::Unknown(
                "XML that is not a camt.054 notification (no BkToCstmrDbtCdtNtfctn)".into(),
            )
        };
    }
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    // OCR giro: "NY" + service code + transmission type + record type, all digits. Length
    // is checked by the reader so a short line gets a line-numbered error.
    if first_line.len() >= 8
        && first_line.starts_with(b"NY")
        && first_line[2..8].iter().all(u8::is_ascii_digit)
    {
        return Detected::Ocr;
    }
    if first_line.contains(&b';') {
        return Detected::Semicolon;
    }
    Detected::Unknown(
        "unrecognised content: not a camt.054 file, not an OCR giro file, and no semicolon header row".into(),
    )
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Counts the lines up to byte offset `pos` (1-based line of that byte).
pub(crate) fn line_of_offset(bytes: &[u8], pos: usize) -> usize {
    1 + bytes[..pos.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(
            detect(b"\xEF\xBB\xBFemployer_id;org_number\n"),
            Detected::Semicolon
        );
        assert_eq!(
            detect(b"NY000010000123452610001000080800000\n"),
            Detected::Ocr
        );
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\">"),
            Detected::Camt054
        );
        assert!(matches!(
            detect(b"<?xml version=\"1.0\"?><html/>"),
            Detected::Unknown(_)
        ));
        assert!(matches!(detect(b""), Detected::Unknown(_)));
        assert!(matches!(detect(b"   \n"), Detected::Unknown(_)));
        assert!(matches!(detect(b"hello world\n"), Detected::Unknown(_)));
    }

    #[test]
    fn unknown_is_line_one() {
        let err = read_import_bytes("x.bin", b"\x00\x01\x02").unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(err.file, "x.bin");
    }

    #[test]
    fn line_offsets() {
        assert_eq!(line_of_offset(b"a\nb\nc", 0), 1);
        assert_eq!(line_of_offset(b"a\nb\nc", 2), 2);
        assert_eq!(line_of_offset(b"a\nb\nc", 4), 3);
    }
}
