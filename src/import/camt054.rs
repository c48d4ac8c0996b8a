//! ISO 20022 camt.054 (bank-to-customer debit/credit notification): the incoming payments
//! on the union's account. Booked credits only; one payment per `TxDtls`.
//!
//! Elements are matched by local name so camt.054.001.02 through .08 all read: the later
//! versions wrap `Sts` in `<Cd>` and the debtor's name in `<Pty>`, which is handled below.

use std::collections::HashMap;

use roxmltree::{Document, Node, ParsingOptions};

use super::values::{check_kid, parse_amount_ore, parse_date};
use super::{ImportError, PaymentFormat, PaymentRow, UTF8_BOM};

/// Far above any real notification; bounds memory on hostile input.
const NODES_LIMIT: u32 = 5_000_000;

pub(super) fn read(file: &str, bytes: &[u8]) -> Result<Vec<PaymentRow>, ImportError> {
    let text = decode(file, bytes)?;
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
    };
    let doc = Document::parse_with_options(&text, opts).map_err(|e| {
        let pos = e.pos();
        ImportError::new(file, pos.row as usize, format!("malformed XML: {e}"))
    })?;
    let cx = Cx {
        file,
        newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
    };

    let root = doc.root_element();
    if root.tag_name().name() != "Document" {
        return Err(cx.err(
            root,
            format!(
                "root element is <{}>, expected <Document>",
                root.tag_name().name()
            ),
        ));
    }
    let ns = root.tag_name().namespace().unwrap_or("");
    if !ns.is_empty() && !ns.contains("camt.054") {
        return Err(cx.err(root, format!("namespace {ns} is not camt.054")));
    }
    let Some(ntfctn_parent) = child(root, "BkToCstmrDbtCdtNtfctn") else {
        return Err(cx.err(root, "no <BkToCstmrDbtCdtNtfctn> in <Document>"));
    };

    let mut out = Vec::new();
    for ntfctn in children(ntfctn_parent, "Ntfctn") {
        for entry in children(ntfctn, "Ntry") {
            read_entry(&cx, entry, &mut out)?;
        }
    }

    // Two payments with one key would collapse into one in the store.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for p in &out {
        if let Some(first) = seen.insert(&p.source_ref, p.line) {
            return Err(ImportError::new(
                file,
                p.line,
                format!(
                    "reference {} appears again (first on line {first})",
                    p.source_ref
                ),
            ));
        }
    }
    Ok(out)
}

/// camt.054 is UTF-8 in practice; honour another declared encoding rather than refuse.
fn decode(file: &str, bytes: &[u8]) -> Result<String, ImportError> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let line = super::line_of_offset(body, e.valid_up_to());
            let head = String::from_utf8_lossy(&body[..body.len().min(200)]);
            let label = head
                .split("encoding=")
                .nth(1)
                .and_then(|r| r.trim_start().get(1..))
                .and_then(|r| r.split(['"', '\'']).next())
                .unwrap_or("");
            match encoding_rs::Encoding::for_label(label.as_bytes()) {
                Some(enc) if enc != encoding_rs::UTF_8 => {
                    Ok(enc.decode_without_bom_handling(body).0.into_owned())
                }
                _ => Err(ImportError::new(file, line, "not valid UTF-8")),
            }
        }
    }
}

struct Cx<'a> {
    file: &'a str,
    /// Byte offsets of every '\n': roxmltree's own `text_pos_at` rescans the text from
    /// the start on each call, quadratic over a large file.
    newlines: Vec<usize>,
}

impl Cx<'_> {
    fn line(&self, n: Node) -> usize {
        let offset = n.range().start;
        1 + self.newlines.partition_point(|&nl| nl < offset)
    }

    fn err(&self, n: Node, reason: impl Into<String>) -> ImportError {
        ImportError::new(self.file, self.line(n), reason)
    }

    /// Parses an `<Amt Ccy="NOK">` element; only kroner can be counted in øre.
    fn amount(&self, amt: Node) -> Result<i64, ImportError> {
        if let Some(ccy) = amt.attribute("Ccy") {
            if ccy != "NOK" {
                return Err(self.err(amt, format!("amount in {ccy}; only NOK is supported")));
            }
        }
        let ore = parse_amount_ore(text(amt)).map_err(|e| self.err(amt, e))?;
        if ore < 0 {
            return Err(self.err(amt, "negative amount (the sign belongs in CdtDbtInd)"));
        }
        Ok(ore)
    }
}

fn read_entry(cx: &Cx, entry: Node, out: &mut Vec<PaymentRow>) -> Result<(), ImportError> {
    // Both are mandatory in the schema; skipping an entry that lacks one could silently
    // drop money, so it is an error instead.
    let Some(cdt_dbt) = child(entry, "CdtDbtInd").map(text) else {
        return Err(cx.err(entry, "entry without <CdtDbtInd>"));
    };
    // Sts is a plain code up to version .04 and <Sts><Cd>BOOK</Cd></Sts> later.
    let Some(status) = child(entry, "Sts").map(|s| child(s, "Cd").map_or_else(|| text(s), text))
    else {
        return Err(cx.err(entry, "entry without <Sts>"));
    };
    if cdt_dbt != "CRDT" || status != "BOOK" {
        return Ok(());
    }

    let Some(entry_amt) = child(entry, "Amt") else {
        return Err(cx.err(entry, "booked credit entry without <Amt>"));
    };
    let entry_ore = cx.amount(entry_amt)?;
    let date = booking_date(cx, entry)?;
    let entry_ref = child(entry, "AcctSvcrRef")
        .map(text)
        .filter(|s| !s.is_empty());

    let tx_details: Vec<Node> = children(entry, "NtryDtls")
        .flat_map(|d| children(d, "TxDtls"))
        .collect();
    if tx_details.is_empty() {
        // A booked credit without details still is money received: key it on the entry.
        let Some(entry_ref) = entry_ref else {
            return Err(cx.err(
                entry,
                "entry has neither <TxDtls> nor <AcctSvcrRef>; cannot import it idempotently",
            ));
        };
        out.push(PaymentRow {
            line: cx.line(entry),
            source_ref: format!("camt:{entry_ref}"),
            payment_date: date,
            amount_ore: entry_ore,
            kid: None,
            payer_account: None,
            payer_name: None,
            reference: child(entry, "AddtlNtryInf")
                .map(text)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            format: PaymentFormat::Camt054,
        });
        return Ok(());
    }

    let single = tx_details.len() == 1;
    let mut sum: i64 = 0;
    for (index, tx) in tx_details.iter().enumerate() {
        let amount_ore = match tx_amount(tx) {
            Some(amt) => cx.amount(amt)?,
            None if single => entry_ore,
            None => return Err(cx.err(*tx, "one of several <TxDtls> has no amount")),
        };
        sum = sum.saturating_add(amount_ore);

        let tx_ref = path(*tx, &["Refs", "AcctSvcrRef"])
            .map(text)
            .filter(|s| !s.is_empty());
        let source_ref = match (tx_ref, entry_ref) {
            (Some(r), _) => format!("camt:{r}"),
            (None, Some(e)) => format!("camt:{e}:{}", index + 1),
            (None, None) => return Err(cx.err(
                *tx,
                "no <AcctSvcrRef> on the transaction or its entry; cannot import it idempotently",
            )),
        };

        let rmt = child(*tx, "RmtInf");
        // The structured creditor reference is the KID when it looks like one; an RF
        // reference or free text goes to `reference` instead of being lost.
        let cred_ref = rmt
            .into_iter()
            .flat_map(|r| children(r, "Strd"))
            .filter_map(|s| path(s, &["CdtrRefInf", "Ref"]))
            .map(text)
            .find(|s| !s.is_empty());
        let kid = cred_ref.and_then(|r| check_kid(r).ok());
        let mut refs: Vec<String> = Vec::new();
        if let (Some(r), None) = (cred_ref, &kid) {
            refs.push(r.to_string());
        }
        refs.extend(
            rmt.into_iter()
                .flat_map(|r| children(r, "Ustrd"))
                .map(text)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        let reference = (!refs.is_empty()).then(|| refs.join(" "));

        let parties = child(*tx, "RltdPties");
        let debtor = parties.and_then(|p| child(p, "Dbtr"));
        let payer_name = debtor
            .and_then(|d| child(d, "Nm").or_else(|| path(d, &["Pty", "Nm"])))
            .map(text)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let payer_account = parties
            .and_then(|p| child(p, "DbtrAcct"))
            .and_then(|a| child(a, "Id"))
            .and_then(|id| child(id, "IBAN").or_else(|| path(id, &["Othr", "Id"])))
            .map(text)
            .filter(|s| !s.is_empty())
            .map(str::to_string);

        out.push(PaymentRow {
            line: cx.line(*tx),
            source_ref,
            payment_date: date,
            amount_ore,
            kid,
            payer_account,
            payer_name,
            reference,
            format: PaymentFormat::Camt054,
        });
    }
    // Transaction amounts that do not add up to what the bank booked mean we would count
    // money that did not arrive (or miss some): refuse rather than guess.
    if sum != entry_ore {
        return Err(cx.err(
            entry_amt,
            format!(
                "the {} transaction amount(s) add up to {sum} øre, the entry says {entry_ore} øre",
                tx_details.len()
            ),
        ));
    }
    Ok(())
}

fn tx_amount<'a, 'i>(tx: &Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    path(*tx, &["AmtDtls", "TxAmt", "Amt"]).or_else(|| child(*tx, "Amt"))
}

/// `BookgDt/Dt` (or the date part of `BookgDt/DtTm`); `ValDt` if the bank left it out.
fn booking_date(cx: &Cx, entry: Node) -> Result<chrono::NaiveDate, ImportError> {
    for holder in ["BookgDt", "ValDt"] {
        let Some(h) = child(entry, holder) else {
            continue;
        };
        if let Some(d) = child(h, "Dt") {
            return parse_date(text(d)).map_err(|e| cx.err(d, e));
        }
        if let Some(d) = child(h, "DtTm") {
            let t = text(d);
            return parse_date(t.get(..10).unwrap_or(t)).map_err(|e| cx.err(d, e));
        }
    }
    Err(cx.err(entry, "booked entry without <BookgDt>"))
}

fn children<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn child<'a, 'i: 'a>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn path<'a, 'i: 'a>(n: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(n, |cur, name| child(cur, name))
}

fn text<'a>(n: Node<'a, '_>) -> &'a str {
    n.text().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(entries: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">\n\
             <BkToCstmrDbtCdtNtfctn><Ntfctn>\n{entries}\n</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"
        )
    }

    const V08_ENTRY: &str = "<Ntry><Amt Ccy=\"NOK\">300.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>\n\
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-11-27T10:00:00</DtTm></BookgDt>\n\
        <AcctSvcrRef>E1</AcctSvcrRef><NtryDtls>\n\
        <TxDtls><Amt Ccy=\"NOK\">100.50</Amt><RltdPties><Dbtr><Pty><Nm>A AS</Nm></Pty></Dbtr>\n\
        <DbtrAcct><Id><IBAN>NO9386011117947</IBAN></Id></DbtrAcct></RltdPties>\n\
        <RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>\n\
        <TxDtls><Amt Ccy=\"NOK\">200</Amt><RmtInf><Ustrd>trekk nov</Ustrd></RmtInf></TxDtls>\n\
        </NtryDtls></Ntry>\n\
        <Ntry><Amt Ccy=\"NOK\">5</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts></Ntry>\n\
        <Ntry><Amt Ccy=\"NOK\">5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts></Ntry>";

    #[test]
    fn later_version_shapes() {
        let rows = read("t.xml", doc(V08_ENTRY).as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].source_ref, "camt:E1:1");
        assert_eq!(rows[1].source_ref, "camt:E1:2");
        assert_eq!(rows[0].amount_ore, 10050);
        assert_eq!(rows[1].amount_ore, 20000);
        assert_eq!(rows[0].kid, None);
        assert_eq!(rows[0].reference.as_deref(), Some("RF18539007547034"));
        assert_eq!(rows[0].payer_name.as_deref(), Some("A AS"));
        assert_eq!(rows[0].payer_account.as_deref(), Some("NO9386011117947"));
        assert_eq!(rows[1].reference.as_deref(), Some("trekk nov"));
        assert_eq!(rows[0].payment_date.to_string(), "2026-11-27");
        assert_eq!(rows[0].line, 7);
    }

    #[test]
    fn split_that_does_not_add_up() {
        let bad = V08_ENTRY.replace("300.50", "300.00");
        let err = read("t.xml", doc(&bad).as_bytes()).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
    }

    #[test]
    fn entry_without_amount() {
        let e =
            "<Ntry>\n<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><AcctSvcrRef>X</AcctSvcrRef></Ntry>";
        let err = read("t.xml", doc(e).as_bytes()).unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.reason.contains("Amt"), "{err}");
    }

    #[test]
    fn foreign_currency_and_dtd_refused() {
        let e = V08_ENTRY.replace("Ccy=\"NOK\">300.50", "Ccy=\"EUR\">300.50");
        assert!(read("t.xml", doc(&e).as_bytes())
            .unwrap_err()
            .reason
            .contains("EUR"));
        let dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"b\">]>\n<Document><BkToCstmrDbtCdtNtfctn/></Document>";
        assert!(read("t.xml", dtd.as_bytes()).is_err());
    }

    #[test]
    fn latin1_declared() {
        let mut bytes = doc(&V08_ENTRY.replace("A AS", "S\u{f8}r AS"))
            .replace("UTF-8", "ISO-8859-1")
            .into_bytes();
        // Re-encode the one non-ASCII character as Latin-1.
        let pos = bytes.windows(2).position(|w| w == "ø".as_bytes()).unwrap();
        bytes.splice(pos..pos + 2, [0xf8]);
        let rows = read("t.xml", &bytes).unwrap();
        assert_eq!(rows[0].payer_name.as_deref(), Some("Sør AS"));
    }
}
