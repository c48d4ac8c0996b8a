//! Nets OCR giro file: 80-character ISO-8859-1 records starting `NY`.
//!
//! ```text
//! 10 start transmission   (17–23 transmission number)
//!   20 start assignment   (3–4 service code 09, 18–24 assignment number)
//!     30 amount item 1    (5–6 transaction type, 9–15 transaction number, 16–21 date DDMMYY,
//!                          33–49 amount in øre, 50–74 KID right-aligned)
//!     31 amount item 2    (same type and number, 48–58 debit account)
//!   88 end assignment     (9–16 transactions, 17–24 records, 25–41 sum in øre)
//! 89 end transmission     (same counts and sum over the whole transmission)
//! ```
//! Positions are 1-based and inclusive, as in the Nets specification.

use std::collections::HashSet;

use super::values::{check_kid, parse_ddmmyy};
use super::{ImportError, PaymentFormat, PaymentRow};

const RECORD_LEN: usize = 80;

/// Transaction types that reverse an earlier payment (18 with KID, 20 with text).
const REVERSAL_TYPES: [&str; 2] = ["18", "20"];

struct Record<'a> {
    line: usize,
    text: &'a str,
}

impl Record<'_> {
    /// Positions `from..=to`, 1-based as in the specification, counted in characters
    /// (ISO-8859-1 text in filler fields decodes to multi-byte UTF-8).
    fn field(&self, from: usize, to: usize) -> &str {
        let byte_at = |chars: usize| {
            self.text
                .char_indices()
                .nth(chars)
                .map_or(self.text.len(), |(i, _)| i)
        };
        self.text.get(byte_at(from - 1)..byte_at(to)).unwrap_or("")
    }

    fn number(&self, from: usize, to: usize, what: &str, file: &str) -> Result<i64, ImportError> {
        let f = self.field(from, to);
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(
                file,
                format!("{what} (positions {from}–{to}) is not a number: {f:?}"),
            ));
        }
        f.parse::<i64>().map_err(|_| {
            self.err(
                file,
                format!("{what} (positions {from}–{to}) is out of range"),
            )
        })
    }

    fn err(&self, file: &str, reason: impl Into<String>) -> ImportError {
        ImportError::new(file, self.line, reason)
    }
}

/// Running totals for one assignment or the whole transmission.
#[derive(Default)]
struct Totals {
    transactions: i64,
    records: i64,
    /// Sum of the amount fields as written (unsigned), which is what Nets totals.
    sum_unsigned: i64,
    /// Sum with reversals negative, accepted as well in case a bank nets them.
    sum_signed: i64,
}

/// The 30 record waiting for its 31.
struct Pending {
    line: usize,
    tx_type: String,
    tx_number: String,
    date: chrono::NaiveDate,
    amount_ore: i64,
    kid: Option<String>,
}

pub(super) fn read(file: &str, bytes: &[u8]) -> Result<Vec<PaymentRow>, ImportError> {
    // ISO-8859-1 maps every byte to the code point of the same value, so character
    // positions equal byte positions.
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let last_data = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);

    let mut out = Vec::new();
    let mut transmission: Option<String> = None;
    let mut ended = false;
    let mut assignment: Option<(String, Totals)> = None;
    let mut whole = Totals::default();
    let mut pending: Option<Pending> = None;
    let mut seen_refs: HashSet<String> = HashSet::new();

    for (i, raw) in lines[..last_data].iter().enumerate() {
        let rec = Record {
            line: i + 1,
            text: raw,
        };
        let len = raw.chars().count();
        if len != RECORD_LEN {
            return Err(rec.err(
                file,
                format!("record is {len} characters, expected {RECORD_LEN}"),
            ));
        }
        if !raw.starts_with("NY") {
            return Err(rec.err(file, "record does not start with NY"));
        }
        if ended {
            return Err(rec.err(file, "record after the end-of-transmission record 89"));
        }
        let rtype = rec.field(7, 8);
        if pending.is_some() && rtype != "31" {
            return Err(rec.err(
                file,
                format!("record {rtype} where amount item 31 was expected"),
            ));
        }
        match rtype {
            "10" => {
                if transmission.is_some() {
                    return Err(rec.err(file, "second start-of-transmission record 10"));
                }
                rec.number(17, 23, "transmission number", file)?;
                transmission = Some(rec.field(17, 23).to_string());
            }
            _ if transmission.is_none() => {
                return Err(rec.err(
                    file,
                    "file does not begin with start-of-transmission record 10",
                ));
            }
            "20" => {
                if assignment.is_some() {
                    return Err(rec.err(
                        file,
                        "start-of-assignment record 20 before the previous assignment ended",
                    ));
                }
                let service = rec.field(3, 4);
                if service != "09" {
                    return Err(
                        rec.err(file, format!("service code {service} is not OCR giro (09)"))
                    );
                }
                rec.number(18, 24, "assignment number", file)?;
                let totals = Totals {
                    records: 1,
                    ..Totals::default()
                };
                assignment = Some((rec.field(18, 24).to_string(), totals));
            }
            "30" => {
                let Some((_, totals)) = assignment.as_mut() else {
                    return Err(rec.err(file, "amount item outside an assignment"));
                };
                let tx_type = rec.field(5, 6).to_string();
                rec.number(9, 15, "transaction number", file)?;
                let date = parse_ddmmyy(rec.field(16, 21)).map_err(|e| rec.err(file, e))?;
                let unsigned = rec.number(33, 49, "amount", file)?;
                // Nets marks reversals by transaction type; a '-' at 32 is honoured too.
                let negative =
                    REVERSAL_TYPES.contains(&tx_type.as_str()) || rec.field(32, 32) == "-";
                let kid_field = rec.field(50, 74).trim();
                let kid = if kid_field.is_empty() {
                    None
                } else {
                    Some(
                        check_kid(kid_field)
                            .map_err(|e| rec.err(file, format!("KID (positions 50–74): {e}")))?,
                    )
                };
                totals.records += 1;
                pending = Some(Pending {
                    line: rec.line,
                    tx_type,
                    tx_number: rec.field(9, 15).to_string(),
                    date,
                    amount_ore: if negative { -unsigned } else { unsigned },
                    kid,
                });
            }
            "31" => {
                let Some(p) = pending.take() else {
                    return Err(rec.err(file, "amount item 31 without a preceding amount item 30"));
                };
                let Some((assignment_no, totals)) = assignment.as_mut() else {
                    return Err(rec.err(file, "amount item outside an assignment"));
                };
                if rec.field(9, 15) != p.tx_number || rec.field(5, 6) != p.tx_type {
                    return Err(rec.err(
                        file,
                        format!(
                            "amount item 31 is transaction {} type {}, its 30 was {} type {}",
                            rec.field(9, 15),
                            rec.field(5, 6),
                            p.tx_number,
                            p.tx_type
                        ),
                    ));
                }
                let account = rec.field(48, 58).trim();
                let payer_account = (!account.is_empty() && account.bytes().any(|b| b != b'0'))
                    .then(|| account.to_string());
                totals.records += 1;
                totals.transactions += 1;
                totals.sum_unsigned = totals.sum_unsigned.saturating_add(p.amount_ore.abs());
                totals.sum_signed = totals.sum_signed.saturating_add(p.amount_ore);

                let tx_no = transmission.as_deref().unwrap_or("");
                let source_ref = format!("ocr:{tx_no}:{assignment_no}:{}", p.tx_number);
                if !seen_refs.insert(source_ref.clone()) {
                    return Err(rec.err(
                        file,
                        format!(
                            "transaction {} appears twice in the assignment",
                            p.tx_number
                        ),
                    ));
                }
                out.push(PaymentRow {
                    line: p.line,
                    source_ref,
                    payment_date: p.date,
                    amount_ore: p.amount_ore,
                    kid: p.kid,
                    payer_account,
                    payer_name: None,
                    reference: None,
                    format: PaymentFormat::Ocr,
                });
            }
            "88" => {
                let Some((_, mut totals)) = assignment.take() else {
                    return Err(rec.err(
                        file,
                        "end-of-assignment record 88 without a start record 20",
                    ));
                };
                totals.records += 1;
                check_totals(&rec, file, "assignment", &totals)?;
                whole.transactions += totals.transactions;
                whole.records += totals.records;
                whole.sum_unsigned = whole.sum_unsigned.saturating_add(totals.sum_unsigned);
                whole.sum_signed = whole.sum_signed.saturating_add(totals.sum_signed);
            }
            "89" => {
                if assignment.is_some() {
                    return Err(rec.err(
                        file,
                        "end-of-transmission record 89 inside an open assignment",
                    ));
                }
                // The transmission's record count includes its own 10 and 89.
                whole.records += 2;
                check_totals(&rec, file, "transmission", &whole)?;
                ended = true;
            }
            other => return Err(rec.err(file, format!("unknown record type {other:?}"))),
        }
    }

    if let Some(p) = pending {
        return Err(ImportError::new(
            file,
            p.line,
            "amount item 30 without its amount item 31",
        ));
    }
    if !ended {
        return Err(ImportError::new(
            file,
            last_data.max(1),
            "file ends without the end-of-transmission record 89 (truncated?)",
        ));
    }
    Ok(out)
}

fn check_totals(rec: &Record, file: &str, what: &str, t: &Totals) -> Result<(), ImportError> {
    let count = rec.number(9, 16, "number of transactions", file)?;
    let records = rec.number(17, 24, "number of records", file)?;
    let sum = rec.number(25, 41, "sum of amounts", file)?;
    if count != t.transactions {
        return Err(rec.err(
            file,
            format!(
                "{what} end record says {count} transactions, the file has {}",
                t.transactions
            ),
        ));
    }
    if records != t.records {
        return Err(rec.err(
            file,
            format!(
                "{what} end record says {records} records, the file has {}",
                t.records
            ),
        ));
    }
    if sum != t.sum_unsigned && sum != t.sum_signed {
        return Err(rec.err(
            file,
            format!(
                "{what} end record says the amounts sum to {sum} øre, they sum to {} øre",
                t.sum_unsigned
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an 80-character record from (1-based position, text) pieces over zeros.
    fn rec(pieces: &[(usize, &str)]) -> String {
        let mut r = vec![b'0'; RECORD_LEN];
        r[0] = b'N';
        r[1] = b'Y';
        for (pos, s) in pieces {
            r[pos - 1..pos - 1 + s.len()].copy_from_slice(s.as_bytes());
        }
        String::from_utf8(r).unwrap_or_default()
    }

    fn item(tx_type: &str, n: &str, amount: &str, kid: &str) -> String {
        let kid_field = format!("{kid:>25}");
        let r30 = rec(&[
            (3, "09"),
            (5, tx_type),
            (7, "30"),
            (9, n),
            (16, "241126"),
            (33, amount),
            (50, &kid_field),
        ]);
        let r31 = rec(&[
            (3, "09"),
            (5, tx_type),
            (7, "31"),
            (9, n),
            (48, "15069200637"),
        ]);
        format!("{r30}\n{r31}\n")
    }

    fn file(items: &str, n: &str, records88: &str, records89: &str, sum: &str) -> String {
        let r10 = rec(&[(3, "00"), (7, "10"), (17, "2611001")]);
        let r20 = rec(&[(3, "09"), (7, "20"), (18, "2611001")]);
        let r88 = rec(&[(3, "09"), (7, "88"), (9, n), (17, records88), (25, sum)]);
        let r89 = rec(&[(3, "00"), (7, "89"), (9, n), (17, records89), (25, sum)]);
        format!("{r10}\n{r20}\n{items}{r88}\n{r89}\n")
    }

    #[test]
    fn reversal_is_negative() {
        let items = item("10", "0000001", "00000000000010000", "0123")
            + &item("18", "0000002", "00000000000002500", "0123");
        let f = file(
            &items,
            "00000002",
            "00000006",
            "00000008",
            "00000000000012500",
        );
        let rows = read("t.txt", f.as_bytes()).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.amount_ore).collect::<Vec<_>>(),
            vec![10000, -2500]
        );
        assert_eq!(rows[0].source_ref, "ocr:2611001:2611001:0000001");
        assert_eq!(rows[0].kid.as_deref(), Some("0123"));
        assert_eq!(rows[0].payer_account.as_deref(), Some("15069200637"));
        assert_eq!(rows[1].line, 5);
        // A bank that nets reversals in the total is accepted too.
        let netted = file(
            &items,
            "00000002",
            "00000006",
            "00000008",
            "00000000000007500",
        );
        assert!(read("t.txt", netted.as_bytes()).is_ok());
    }

    #[test]
    fn wrong_totals_and_shapes() {
        let items = item("10", "0000001", "00000000000010000", "0123");
        let bad_sum = file(
            &items,
            "00000001",
            "00000004",
            "00000006",
            "00000000000010001",
        );
        assert_eq!(read("t.txt", bad_sum.as_bytes()).unwrap_err().line, 5);
        let bad_count = file(
            &items,
            "00000001",
            "00000005",
            "00000006",
            "00000000000010000",
        );
        assert_eq!(read("t.txt", bad_count.as_bytes()).unwrap_err().line, 5);
        let good = file(
            &items,
            "00000001",
            "00000004",
            "00000006",
            "00000000000010000",
        );
        assert_eq!(read("t.txt", good.as_bytes()).unwrap().len(), 1);
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        lines[2].pop();
        let short = lines.join("\n");
        assert_eq!(read("t.txt", short.as_bytes()).unwrap_err().line, 3);
        let truncated: String = good.lines().take(5).map(|l| format!("{l}\n")).collect();
        assert!(read("t.txt", truncated.as_bytes())
            .unwrap_err()
            .reason
            .contains("89"));
        let lone30: String = good
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 3)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        assert_eq!(read("t.txt", lone30.as_bytes()).unwrap_err().line, 4);
        let bad_date = good.replace("241126", "321326");
        assert_eq!(read("t.txt", bad_date.as_bytes()).unwrap_err().line, 3);
    }

    #[test]
    fn two_assignments_and_crlf() {
        let r10 = rec(&[(3, "00"), (7, "10"), (17, "2611001")]);
        let r20a = rec(&[(3, "09"), (7, "20"), (18, "0000001")]);
        let r20b = rec(&[(3, "09"), (7, "20"), (18, "0000002")]);
        let a = item("10", "0000001", "00000000000000100", "0123");
        let b = item("10", "0000001", "00000000000000200", "");
        let r88a = rec(&[
            (3, "09"),
            (7, "88"),
            (9, "00000001"),
            (17, "00000004"),
            (25, "00000000000000100"),
        ]);
        let r88b = rec(&[
            (3, "09"),
            (7, "88"),
            (9, "00000001"),
            (17, "00000004"),
            (25, "00000000000000200"),
        ]);
        let r89 = rec(&[
            (3, "00"),
            (7, "89"),
            (9, "00000002"),
            (17, "00000010"),
            (25, "00000000000000300"),
        ]);
        let f =
            format!("{r10}\n{r20a}\n{a}{r88a}\n{r20b}\n{b}{r88b}\n{r89}\n\n").replace('\n', "\r\n");
        let rows = read("t.txt", f.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_ne!(rows[0].source_ref, rows[1].source_ref);
        assert_eq!(rows[1].kid, None);
        assert_eq!(rows[1].line, 7);
        let bad89 = f.replace(&r89, &r89.replacen("00000010", "00000011", 1));
        assert_eq!(read("t.txt", bad89.as_bytes()).unwrap_err().line, 10);
    }

    #[test]
    fn latin1_in_filler_is_fine() {
        let items = item("10", "0000001", "00000000000010000", "0123");
        let good = file(
            &items,
            "00000001",
            "00000004",
            "00000006",
            "00000000000010000",
        );
        let mut bytes = good.into_bytes();
        bytes[70] = 0xe6; // 'æ' in ISO-8859-1, filler of record 10
        assert_eq!(read("t.txt", &bytes).unwrap().len(), 1);
    }
}
