//! TEMPORARY interface stand-in until the import branch lands (it owns this folder).
use chrono::NaiveDate;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum ImportBatch {
    Employers(Vec<EmployerRow>),
    Lists(Vec<ListRow>),
    ListLines(Vec<ListLineRow>),
    Payments(Vec<PaymentRow>),
}
#[derive(Debug, Clone, PartialEq)]
pub struct EmployerRow {
    pub line: usize,
    pub employer_id: String,
    pub org_number: String,
    pub name: String,
    pub contact_emails: Vec<String>,
    pub invoice_email: Option<String>,
    pub uses_winorg: bool,
}
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    pub line: usize,
    pub list_number: String,
    pub employer_id: String,
    pub period: String,
    pub issued_date: NaiveDate,
    pub due_date: NaiveDate,
    pub invoice_number: String,
    pub kid: String,
    pub invoice_amount_ore: i64,
}
#[derive(Debug, Clone, PartialEq)]
pub struct ListLineRow {
    pub line: usize,
    pub list_number: String,
    pub member_number: String,
    pub name: String,
    pub national_id: Option<String>,
    pub amount_ore: i64,
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PaymentFormat {
    Camt054,
    Ocr,
    Csv,
}
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRow {
    pub line: usize,
    pub source_ref: String,
    pub payment_date: NaiveDate,
    pub amount_ore: i64,
    pub kid: Option<String>,
    pub payer_account: Option<String>,
    pub payer_name: Option<String>,
    pub reference: Option<String>,
    pub format: PaymentFormat,
}
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct ImportError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}
pub fn read_import_bytes(file: &str, _b: &[u8]) -> Result<ImportBatch, ImportError> {
    Err(ImportError {
        file: file.to_string(),
        line: 1,
        reason: "not built".into(),
    })
}
pub fn read_import_file(path: &Path) -> Result<ImportBatch, ImportError> {
    Err(ImportError {
        file: path.display().to_string(),
        line: 1,
        reason: "not built".into(),
    })
}
