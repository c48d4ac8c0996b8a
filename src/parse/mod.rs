//! List attachments → lines (SPEC §3). Interface used by the rest of the product.
//!
//! Readers (`sheet`, `csv`, `pdf`) turn a file into [`grid::Grid`]s; `table` finds the
//! people in them; `fields` reads single values; `ids` finds list number, employer,
//! org number and period. The daemon calls [`sandbox::parse_sandboxed`], which runs the
//! same code in a child process under memory, CPU and time limits.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub mod cli;
pub mod csv;
pub mod fields;
pub mod grid;
pub mod ids;
pub mod markup;
pub mod pdf;
mod pdf_text;
pub mod sandbox;
pub mod sheet;
pub mod table;

pub use ids::{identifiers_from_file_name, ListIdentifiers};
pub use sandbox::{child_main, parse_sandboxed, ParseLimits};

/// What parsing one attachment yields; serialises to the corpus `expected.json` shape.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ParsedList {
    pub readable: bool,
    /// Why the file could not be read (only when `readable` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub list_number: Option<String>,
    pub employer_id: Option<String>,
    pub org_number: Option<String>,
    /// `YYYY-MM`
    pub period: Option<String>,
    pub declared_total_ore: Option<i64>,
    pub lines: Vec<ParsedLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The detected format (`xlsx`, `xls`, `xlsb`, `ods`, `csv`, `pdf`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ParsedLine {
    /// 11 digits, leading zero restored; kept as written when invalid (see `national_id_valid`).
    pub national_id: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// "Fornavn Etternavn"
    pub name: Option<String>,
    pub member_number: Option<String>,
    pub employee_number: Option<String>,
    pub amount_ore: Option<i64>,
    pub end_date: Option<NaiveDate>,
    pub comment: Option<String>,
    /// Sheet name or `page N`.
    #[serde(default)]
    pub sheet: String,
    /// 1-based row (or text line on a PDF page).
    #[serde(default)]
    pub row: u32,
    #[serde(default = "yes")]
    pub national_id_valid: bool,
}

fn yes() -> bool {
    true
}

/// Settings that change how fields are read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParseOptions {
    /// Accept synthetic test national IDs (month + 40/65/80).
    #[serde(default)]
    pub accept_synthetic_ids: bool,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the file is password-protected or encrypted: {0}")]
    Encrypted(String),
    #[error("the file is damaged or not what it claims to be: {0}")]
    Corrupt(String),
    #[error("the file is too large to read safely: {0}")]
    TooLarge(String),
    #[error("the PDF has no text layer (a scan?)")]
    NoText,
    #[error("unsupported file type: {0}")]
    Unsupported(String),
}

/// File formats told apart by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Sheet(sheet::SheetKind),
    EncryptedOoxml,
    Pdf,
    /// An HTML table (often saved as `.xls` by web portals).
    Html,
    /// Excel 2003 XML.
    SpreadsheetMl,
    Text,
    Unknown,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Sheet(sheet::SheetKind::Xlsx) => "xlsx",
            Format::Sheet(sheet::SheetKind::Xlsb) => "xlsb",
            Format::Sheet(sheet::SheetKind::Ods) => "ods",
            Format::Sheet(sheet::SheetKind::Xls) => "xls",
            Format::EncryptedOoxml => "encrypted-ooxml",
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::SpreadsheetMl => "spreadsheetml",
            Format::Text => "csv",
            Format::Unknown => "unknown",
        }
    }
}

const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Tell the format from the bytes (the extension only breaks ties for text).
pub fn detect_format(bytes: &[u8], limits: &ParseLimits) -> Result<Format, ParseError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let names = sheet::zip_entries(bytes, limits)?;
        let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
        return Ok(if has("xl/workbook.bin") {
            Format::Sheet(sheet::SheetKind::Xlsb)
        } else if has("xl/workbook.xml") {
            Format::Sheet(sheet::SheetKind::Xlsx)
        } else if has("content.xml") {
            Format::Sheet(sheet::SheetKind::Ods)
        } else {
            Format::Unknown
        });
    }
    if bytes.starts_with(&OLE2_MAGIC) {
        // An encrypted xlsx is an OLE2 container holding the encrypted package.
        if contains(bytes, &utf16("EncryptedPackage")) || contains(bytes, &utf16("EncryptionInfo"))
        {
            return Ok(Format::EncryptedOoxml);
        }
        return Ok(Format::Sheet(sheet::SheetKind::Xls));
    }
    let head = &bytes[..bytes.len().min(1024)];
    if contains(head, b"%PDF-") {
        return Ok(Format::Pdf);
    }
    // Text: no NUL bytes outside UTF-16, mostly printable.
    let sample = &bytes[..bytes.len().min(8192)];
    let utf16_bom = sample.starts_with(&[0xFF, 0xFE]) || sample.starts_with(&[0xFE, 0xFF]);
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C))
        .count();
    if utf16_bom || (controls * 100 <= sample.len() && !sample.is_empty()) {
        let text = csv::decode(sample);
        if markup::is_spreadsheet_ml(&text) {
            return Ok(Format::SpreadsheetMl);
        }
        if markup::is_html_table(&text) {
            return Ok(Format::Html);
        }
        return Ok(Format::Text);
    }
    Ok(Format::Unknown)
}

fn read_grids(
    file_name: &str,
    bytes: &[u8],
    limits: &ParseLimits,
) -> Result<(Format, Vec<grid::Grid>), ParseError> {
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(ParseError::TooLarge(format!("{} bytes", bytes.len())));
    }
    let format = detect_format(bytes, limits)?;
    let grids = match format {
        Format::Sheet(kind) => sheet::read(kind, bytes, limits)?,
        Format::EncryptedOoxml => {
            return Err(ParseError::Encrypted("encrypted Office document".into()))
        }
        Format::Pdf => pdf::read(bytes, limits)?,
        Format::Text => vec![csv::read_limited(file_name, bytes, limits.max_rows)?],
        Format::Html => vec![markup::read_html(file_name, &csv::decode(bytes))],
        Format::SpreadsheetMl => markup::read_spreadsheet_ml(&csv::decode(bytes))?,
        Format::Unknown => {
            return Err(ParseError::Unsupported(
                "not a spreadsheet, CSV or PDF".into(),
            ));
        }
    };
    // Each reader stops at the limit for one table; many sheets or pages add up.
    let rows: usize = grids.iter().map(|g| g.rows.len()).sum();
    if rows as u64 > limits.max_rows {
        return Err(ParseError::TooLarge(format!(
            "more than {} rows (the limit max_rows)",
            limits.max_rows
        )));
    }
    Ok((format, grids))
}

/// A `readable: false` result with its reason.
pub fn unreadable(reason: impl Into<String>) -> ParsedList {
    ParsedList {
        readable: false,
        reason: Some(reason.into()),
        ..Default::default()
    }
}

/// Parse one attachment in this process. Never panics on purpose, but third-party
/// readers can: the daemon goes through the sandbox instead.
pub fn parse_attachment(file_name: &str, bytes: &[u8], opts: &ParseOptions) -> ParsedList {
    parse_attachment_with_limits(file_name, bytes, opts, &ParseLimits::default())
}

/// [`parse_attachment`] with explicit size limits (the sandbox child uses the configured ones).
/// The reason given for a file that was read but holds no table of people (a form, a
/// letter): unreadable as a list, but not unreadable.
pub const NO_PEOPLE: &str = "no table of people found in the file";

pub fn parse_attachment_with_limits(
    file_name: &str,
    bytes: &[u8],
    opts: &ParseOptions,
    limits: &ParseLimits,
) -> ParsedList {
    match read_grids(file_name, bytes, limits) {
        Ok((format, grids)) => {
            let mut list = table::extract(&grids, opts);
            if list.lines.is_empty() {
                // Nothing to process: for the mail flow this is a file to ask again for.
                let mut u = unreadable(NO_PEOPLE);
                u.format = Some(format.name().to_string());
                return u;
            }
            list.format = Some(format.name().to_string());
            list
        }
        Err(e) => unreadable(e.to_string()),
    }
}
