//! The four semicolon-separated files: `employers.csv`, `lists.csv`, `list_lines.csv`,
//! `payments.csv`. UTF-8 (BOM allowed), one header row naming the columns (any order, any
//! case), double quotes allowed around a field (Excel quotes fields holding `;`).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::values::{
    check_kid, normalise_email, normalise_national_id, parse_amount_ore, parse_date, parse_period,
    parse_yes_no,
};
use super::{
    EmployerRow, ImportBatch, ImportError, ListLineRow, ListRow, PaymentFormat, PaymentRow,
    UTF8_BOM,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Employers,
    Lists,
    ListLines,
    Payments,
}

const KINDS: [(Kind, &str, &[&str]); 4] = [
    (
        Kind::Employers,
        "employers.csv",
        &[
            "employer_id",
            "org_number",
            "name",
            "contact_emails",
            "invoice_email",
            "uses_winorg",
        ],
    ),
    (
        Kind::Lists,
        "lists.csv",
        &[
            "list_number",
            "employer_id",
            "period",
            "issued_date",
            "due_date",
            "invoice_number",
            "kid",
            "invoice_amount",
        ],
    ),
    (
        Kind::ListLines,
        "list_lines.csv",
        &[
            "list_number",
            "member_number",
            "name",
            "national_id",
            "amount",
        ],
    ),
    (
        Kind::Payments,
        "payments.csv",
        &[
            "payment_date",
            "amount",
            "kid",
            "payer_account",
            "reference",
        ],
    ),
];

/// A data row with its fields looked up by column name.
struct Row<'a> {
    line: usize,
    fields: Vec<String>,
    columns: &'a HashMap<String, usize>,
    file: &'a str,
}

impl Row<'_> {
    /// The trimmed field; the header check guarantees the column exists.
    fn get(&self, name: &str) -> &str {
        self.columns
            .get(name)
            .and_then(|&i| self.fields.get(i))
            .map_or("", |s| s.trim())
    }

    fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name);
        (!v.is_empty()).then(|| v.to_string())
    }

    fn required(&self, name: &str) -> Result<String, ImportError> {
        self.opt(name)
            .ok_or_else(|| self.err(format!("column {name} is empty")))
    }

    fn err(&self, reason: impl Into<String>) -> ImportError {
        ImportError::new(self.file, self.line, reason)
    }

    /// Runs a value parser on a required column, naming the column in the error.
    fn parse<T>(
        &self,
        name: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ImportError> {
        let v = self.required(name)?;
        f(&v).map_err(|e| self.err(format!("column {name}: {e}")))
    }
}

pub(super) fn read(file: &str, bytes: &[u8]) -> Result<ImportBatch, ImportError> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = super::line_of_offset(body, e.valid_up_to());
        ImportError::new(file, line, "not valid UTF-8 (save the file as UTF-8)")
    })?;

    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)));
    let mut first = || {
        lines
            .by_ref()
            .find(|(_, l)| !l.trim().is_empty())
            .ok_or_else(|| ImportError::new(file, 1, "file has no header row"))
    };
    let (mut header_line, mut header_text) = first()?;
    // Excel writes a "sep=;" hint line above the header when asked to; it is not data.
    if header_text.trim().eq_ignore_ascii_case("sep=;") {
        (header_line, header_text) = first()?;
    }
    let header = split_fields(header_text).map_err(|e| ImportError::new(file, header_line, e))?;
    let (kind, columns) =
        recognise_header(&header).map_err(|e| ImportError::new(file, header_line, e))?;

    let mut rows = Vec::new();
    for (line, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let fields = split_fields(l).map_err(|e| ImportError::new(file, line, e))?;
        // Rows of nothing but separators are what spreadsheets leave below the data.
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if fields.len() != header.len() {
            return Err(ImportError::new(
                file,
                line,
                format!("{} columns, the header has {}", fields.len(), header.len()),
            ));
        }
        rows.push(Row {
            line,
            fields,
            columns: &columns,
            file,
        });
    }

    match kind {
        Kind::Employers => employers(&rows).map(ImportBatch::Employers),
        Kind::Lists => lists(&rows).map(ImportBatch::Lists),
        Kind::ListLines => list_lines(&rows).map(ImportBatch::ListLines),
        Kind::Payments => payments(&rows).map(ImportBatch::Payments),
    }
}

/// Splits one line on `;`. A field may be wrapped in double quotes, with `""` for a quote
/// inside; quoted fields cannot span lines (none of our files need it, and line numbers
/// stay true).
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        // Skip blanks before a possible opening quote.
        let mut field = String::new();
        while let Some(&c) = chars.peek() {
            if c == ' ' || c == '\t' {
                field.push(c);
                chars.next();
            } else {
                break;
            }
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            field.clear();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated double quote".into()),
                }
            }
            while let Some(&c) = chars.peek() {
                if c == ' ' || c == '\t' {
                    chars.next();
                } else {
                    break;
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(';') => fields.push(field),
                Some(_) => return Err("text after a closing double quote".into()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(';') => {
                        fields.push(field);
                        break;
                    }
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

fn recognise_header(header: &[String]) -> Result<(Kind, HashMap<String, usize>), String> {
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut columns = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(format!("header column {} has no name", i + 1));
        }
        if columns.insert(n.clone(), i).is_some() {
            return Err(format!("header names column {n} twice"));
        }
    }
    // The kind whose columns overlap most; ties cannot happen with these four headers
    // unless the header is nonsense, which the checks below report.
    let best = KINDS
        .iter()
        .map(|(kind, label, cols)| {
            (
                kind,
                label,
                cols,
                cols.iter().filter(|c| columns.contains_key(**c)).count(),
            )
        })
        .max_by_key(|k| k.3);
    let Some((kind, label, cols, overlap)) = best else {
        return Err("no known header".into());
    };
    if overlap < 2 {
        return Err(format!(
            "unrecognised header {:?}: expected the header row of employers.csv, lists.csv, list_lines.csv or payments.csv",
            header.join(";")
        ));
    }
    let missing: Vec<&str> = cols
        .iter()
        .copied()
        .filter(|c| !columns.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "header looks like {label} but lacks column(s) {}",
            missing.join(", ")
        ));
    }
    let extra: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !cols.contains(n))
        .collect();
    if !extra.is_empty() {
        return Err(format!(
            "unexpected column(s) {} in {label} header",
            extra.join(", ")
        ));
    }
    Ok((*kind, columns))
}

/// Refuses a second row with the same key: the store would keep only one, and which one
/// the union meant is a question for a person.
fn check_unique(
    seen: &mut HashMap<String, usize>,
    key: String,
    what: &str,
    row: &Row,
) -> Result<(), ImportError> {
    if let Some(first) = seen.insert(key.clone(), row.line) {
        return Err(row.err(format!(
            "{what} {key} appears again (first on line {first})"
        )));
    }
    Ok(())
}

fn employers(rows: &[Row]) -> Result<Vec<super::EmployerRow>, ImportError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = HashMap::new();
    for r in rows {
        let employer_id = r.required("employer_id")?;
        check_unique(&mut seen, employer_id.clone(), "employer_id", r)?;
        let org_number = r.parse("org_number", |v| {
            let digits: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            if digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(digits)
            } else {
                Err(format!("invalid org number {v:?} (expected 9 digits)"))
            }
        })?;
        let name = r.required("name")?;
        let mut contact_emails: Vec<String> = Vec::new();
        for part in r.get("contact_emails").split(',') {
            if part.trim().is_empty() {
                continue;
            }
            let email =
                normalise_email(part).map_err(|e| r.err(format!("column contact_emails: {e}")))?;
            if !contact_emails.contains(&email) {
                contact_emails.push(email);
            }
        }
        let invoice_email = match r.opt("invoice_email") {
            Some(v) => {
                Some(normalise_email(&v).map_err(|e| r.err(format!("column invoice_email: {e}")))?)
            }
            None => None,
        };
        let uses_winorg = r.parse("uses_winorg", parse_yes_no)?;
        out.push(EmployerRow {
            line: r.line,
            employer_id,
            org_number,
            name,
            contact_emails,
            invoice_email,
            uses_winorg,
        });
    }
    Ok(out)
}

fn lists(rows: &[Row]) -> Result<Vec<ListRow>, ImportError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = HashMap::new();
    for r in rows {
        let list_number = r.required("list_number")?;
        check_unique(&mut seen, list_number.clone(), "list_number", r)?;
        let employer_id = r.required("employer_id")?;
        let period = r.parse("period", parse_period)?;
        let issued_date = r.parse("issued_date", parse_date)?;
        let due_date = r.parse("due_date", parse_date)?;
        let invoice_number = r.required("invoice_number")?;
        let kid = r.parse("kid", check_kid)?;
        let invoice_amount_ore = r.parse("invoice_amount", parse_amount_ore)?;
        out.push(ListRow {
            line: r.line,
            list_number,
            employer_id,
            period,
            issued_date,
            due_date,
            invoice_number,
            kid,
            invoice_amount_ore,
        });
    }
    Ok(out)
}

fn list_lines(rows: &[Row]) -> Result<Vec<ListLineRow>, ImportError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = HashMap::new();
    for r in rows {
        let list_number = r.required("list_number")?;
        let member_number = r.required("member_number")?;
        check_unique(
            &mut seen,
            format!("{list_number}/{member_number}"),
            "list/member",
            r,
        )?;
        let name = r.required("name")?;
        let national_id = normalise_national_id(r.get("national_id"))
            .map_err(|e| r.err(format!("column national_id: {e}")))?;
        let amount_ore = r.parse("amount", parse_amount_ore)?;
        out.push(ListLineRow {
            line: r.line,
            list_number,
            member_number,
            name,
            national_id,
            amount_ore,
        });
    }
    Ok(out)
}

fn payments(rows: &[Row]) -> Result<Vec<PaymentRow>, ImportError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let payment_date = r.parse("payment_date", parse_date)?;
        let amount_ore = r.parse("amount", parse_amount_ore)?;
        let kid = match r.opt("kid") {
            Some(v) => Some(check_kid(&v).map_err(|e| r.err(format!("column kid: {e}")))?),
            None => None,
        };
        // Account numbers are often written 1506.92.00637 or with spaces; store digits.
        let payer_account = r
            .opt("payer_account")
            .map(|v| {
                v.chars()
                    .filter(|c| !c.is_whitespace() && *c != '.')
                    .collect::<String>()
            })
            .filter(|v| !v.is_empty());
        let reference = r
            .opt("reference")
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));

        // No bank reference in this format: identify a payment by its content, and count
        // identical rows so two equal payments in one file stay two.
        let mut h = Sha256::new();
        for part in [
            "payments.csv v1",
            &payment_date.to_string(),
            &amount_ore.to_string(),
            kid.as_deref().unwrap_or(""),
            payer_account.as_deref().unwrap_or(""),
            reference.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        let digest = hex::encode(h.finalize());
        let key = digest[..32].to_string();
        let n = occurrences.entry(key.clone()).or_insert(0);
        *n += 1;
        out.push(PaymentRow {
            line: r.line,
            source_ref: format!("csv:{key}:{n}"),
            payment_date,
            amount_ore,
            kid,
            payer_account,
            payer_name: None,
            reference,
            format: PaymentFormat::Csv,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> Result<ImportBatch, ImportError> {
        read("t.csv", s.as_bytes())
    }

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            split_fields("a;\"b;c\";\"d \"\"e\"\"\";").unwrap(),
            vec!["a", "b;c", "d \"e\"", ""]
        );
        assert_eq!(split_fields(" x ; \"y\" ").unwrap(), vec![" x ", "y"]);
        assert!(split_fields("a;\"b").is_err());
        assert!(split_fields("a;\"b\"c").is_err());
    }

    #[test]
    fn employers_with_bom_and_odd_case() {
        let s = "\u{feff}Employer_ID;ORG_NUMBER;name;contact_emails;invoice_email;uses_winorg\r\n\
                 A1;958 680 538;\"Fjellvik; kommune\";Lonn@X.example, b@x.example,lonn@x.example;;JA\r\n\
                 ;;;;;\r\n\r\n";
        let ImportBatch::Employers(rows) = read_str(s).unwrap() else {
            panic!("kind")
        };
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.line, r.org_number.as_str(), r.name.as_str()),
            (2, "958680538", "Fjellvik; kommune")
        );
        assert_eq!(r.contact_emails, vec!["lonn@x.example", "b@x.example"]);
        assert_eq!(r.invoice_email, None);
        assert!(r.uses_winorg);
    }

    #[test]
    fn columns_in_any_order() {
        let s = "amount;national_id;name;member_number;list_number\n1 234,50;5857746513;Kari;007;0240398\n";
        let ImportBatch::ListLines(rows) = read_str(s).unwrap() else {
            panic!("kind")
        };
        assert_eq!(rows[0].list_number, "0240398");
        assert_eq!(rows[0].member_number, "007");
        assert_eq!(rows[0].national_id.as_deref(), Some("05857746513"));
        assert_eq!(rows[0].amount_ore, 123450);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let head = "list_number;employer_id;period;issued_date;due_date;invoice_number;kid;invoice_amount\n";
        let good = "1;A1;2026-11;2026-10-28;30.11.2026;9;0123;10,00\n";
        let cases = [
            (
                "2;A1;2026-13;2026-10-28;2026-11-30;9;0123;10,00\n",
                "period",
            ),
            (
                "2;A1;2026-11;2026-10-32;2026-11-30;9;0123;10,00\n",
                "issued_date",
            ),
            (
                "2;A1;2026-11;2026-10-28;2026-11-30;9;0123;10,0x\n",
                "invoice_amount",
            ),
            ("2;A1;2026-11;2026-10-28;2026-11-30;9;0123\n", "columns"),
            (
                "2;;2026-11;2026-10-28;2026-11-30;9;0123;10,00\n",
                "employer_id is empty",
            ),
            ("2;A1;2026-11;2026-10-28;2026-11-30;9;01x3;10,00\n", "kid"),
            (
                "1;A1;2026-11;2026-10-28;2026-11-30;9;0123;10,00\n",
                "appears again",
            ),
        ];
        for (bad, what) in cases {
            let err = read_str(&format!("{head}{good}\n{bad}")).unwrap_err();
            assert_eq!(err.line, 4, "{what}: {err}");
            assert!(err.reason.contains(what), "{what}: {err}");
        }
    }

    #[test]
    fn header_problems_are_line_one() {
        for s in [
            "list_number;member_number;name;national_id\n",
            "list_number;member_number;name;national_id;amount;extra\n",
            "foo;bar\n",
            "list_number;list_number;name;national_id;amount\n",
        ] {
            assert_eq!(read_str(s).unwrap_err().line, 1, "{s}");
        }
        assert!(read("t.csv", b"a;b\n\xff\n").is_err());
    }

    #[test]
    fn excel_separator_hint_is_skipped() {
        let s = "sep=;\npayment_date;amount;kid;payer_account;reference\n2026-11-27;1;;;\n";
        let ImportBatch::Payments(p) = read_str(s).unwrap() else {
            panic!("kind")
        };
        assert_eq!(p[0].line, 3);
    }

    #[test]
    fn bad_winorg_and_email() {
        let head = "employer_id;org_number;name;contact_emails;invoice_email;uses_winorg\n";
        let e = read_str(&format!("{head}A1;958680538;N;a@b.example;;maybe\n")).unwrap_err();
        assert!(e.reason.contains("uses_winorg") && e.line == 2, "{e}");
        let e = read_str(&format!("{head}A1;958680538;N;Kari Holm;;no\n")).unwrap_err();
        assert!(e.reason.contains("contact_emails"), "{e}");
        let e = read_str(&format!("{head}A1;95868053;N;a@b.example;;no\n")).unwrap_err();
        assert!(e.reason.contains("org number"), "{e}");
    }

    #[test]
    fn payment_refs_count_identical_rows() {
        let s = "payment_date;amount;kid;payer_account;reference\n\
                 2026-11-27;100,00;;1506.92.00637;x\n\
                 27.11.2026;100.00;;15069200637; x \n\
                 2026-11-27;100,00;0123;;\n";
        let ImportBatch::Payments(p) = read_str(s).unwrap() else {
            panic!("kind")
        };
        assert_eq!(
            p[0].source_ref.split(':').nth(1),
            p[1].source_ref.split(':').nth(1)
        );
        assert!(p[0].source_ref.ends_with(":1") && p[1].source_ref.ends_with(":2"));
        assert_ne!(p[0].source_ref, p[2].source_ref);
        assert_eq!(p[2].kid.as_deref(), Some("0123"));
        assert_eq!(p[0].kid, None);
        assert_eq!(p[0].payer_account.as_deref(), Some("15069200637"));
    }
}
