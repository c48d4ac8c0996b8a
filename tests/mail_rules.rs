//! Staff decisions on access requests, bounces and the daily reply cap, end to end through
//! the binary.
mod common;
use common::*;

fn examples_env() -> Vec<(&'static str, std::path::PathBuf)> {
    vec![("TREKKPOST_IMPORT_DIR", crate_dir().join("examples/world"))]
}

fn run_once(s: &Scratch) {
    let env = examples_env();
    let env: Vec<(&str, &std::path::Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let out = s.run_with(&["run", "--once"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sql(s: &Scratch, q: &str) -> Vec<String> {
    query_strings(&s.db(), q)
}

fn decoded_text(path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).expect("read");
    let msg = mail_parser::MessageParser::default()
        .parse(&bytes)
        .expect("parse");
    format!(
        "{}\n{}",
        msg.subject().unwrap_or_default(),
        msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default()
    )
}

fn mail(from: &str, id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: trekklister@union.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 16 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

#[test]
fn approving_and_rejecting_access_requests() {
    let s = Scratch::new();
    for f in files_in(&crate_dir().join("examples/mailbox")) {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if name.contains("access") {
            std::fs::copy(&f, s.path("mailbox").join(&name)).expect("copy");
        }
    }
    run_once(&s);
    let pending = sql(
        &s,
        "SELECT CAST(id AS TEXT) FROM access_requests WHERE status = 'pending_approval'",
    );
    let waiting = sql(
        &s,
        "SELECT CAST(id AS TEXT) FROM access_requests WHERE status = 'needs_info'",
    );
    assert_eq!((pending.len(), waiting.len()), (1, 1));
    let listed = s.run(&["access", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("pending_approval"));

    // A request still missing details cannot be approved.
    let refused = s.run(&["access", "approve", &waiting[0]]);
    assert!(!refused.status.success());

    let before = files_in(&s.path("outbox")).len();
    let ok = s.run(&[
        "access",
        "approve",
        &pending[0],
        "--by",
        "kari@union.example",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let outbox = files_in(&s.path("outbox"));
    assert_eq!(outbox.len(), before + 1);
    let confirmed = outbox
        .iter()
        .find(|p| p.to_string_lossy().contains("access_confirmed"))
        .expect("access_confirmed reply");
    assert!(
        String::from_utf8_lossy(&std::fs::read(confirmed).expect("read"))
            .contains("In-Reply-To: <")
    );
    let export = s.run(&["access", "export", "--csv"]);
    let csv = String::from_utf8_lossy(&export.stdout);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let org = sql(
        &s,
        &format!(
            "SELECT org_number FROM access_requests WHERE id = {}",
            pending[0]
        ),
    );
    assert!(csv.contains(&org[0]));
    let winorg = sql(
        &s,
        &format!(
            "SELECT CAST(e.uses_winorg AS TEXT) FROM employers e JOIN access_requests a ON a.employer_id = e.employer_id WHERE a.id = {}",
            pending[0]
        ),
    );
    assert_eq!(
        winorg,
        vec!["1".to_string()],
        "the employer is now a Winorg user"
    );
    // Decided once: a second decision is refused, and it is in the audit log.
    assert!(!s
        .run(&["access", "reject", &pending[0], "--reason", "x"])
        .status
        .success());
    let audit = sql(
        &s,
        "SELECT actor FROM audit_log WHERE action = 'access_decision'",
    );
    assert_eq!(audit, vec!["kari@union.example".to_string()]);
}

#[test]
fn a_rejection_carries_the_reason_in_the_requesters_language() {
    let s = Scratch::new();
    let english = shared_dir().join("corpus/mail/022-access-english-apple/message.eml");
    std::fs::copy(&english, s.path("mailbox/022.eml")).expect("copy");
    run_once(&s);
    let pending = sql(
        &s,
        "SELECT CAST(id AS TEXT) FROM access_requests WHERE status = 'pending_approval'",
    );
    assert_eq!(pending.len(), 1);
    assert!(
        !s.run(&["access", "reject", &pending[0], "--reason", " "])
            .status
            .success(),
        "a reason is required"
    );
    let out = s.run(&[
        "access",
        "reject",
        &pending[0],
        "--reason",
        "Not a member employer",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rejected = files_in(&s.path("outbox"))
        .into_iter()
        .find(|p| p.to_string_lossy().contains("access_rejected"))
        .expect("access_rejected reply");
    let text = decoded_text(&rejected);
    assert!(
        text.contains("Not a member employer") && text.contains("Reason"),
        "{text}"
    );
}

#[test]
fn a_bounce_marks_the_reply_and_holds_later_ones_to_that_address() {
    let s = Scratch::new();
    let who = "ola@bedrift.example";
    std::fs::write(
        s.path("mailbox/1.eml"),
        mail(
            who,
            "q1@bedrift.example",
            "Spørsmål",
            "Hei, hvor mye er kontingenten for lærlinger?",
        ),
    )
    .expect("write");
    run_once(&s);
    let ours = sql(&s, "SELECT message_id FROM outbox");
    assert_eq!(ours.len(), 1);
    let bounce = format!(
        "From: MAILER-DAEMON@mx.union.example (Mail Delivery System)\r\nTo: trekklister@union.example\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx.union.example>\r\n\
         Date: Mon, 16 Nov 2026 10:05:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.union.example\r\n\r\n\
         Final-Recipient: rfc822; {who}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{}>\r\nTo: {who}\r\nSubject: Vi har mottatt\r\n\r\n--b--\r\n",
        ours[0]
    );
    std::fs::write(s.path("mailbox/2.eml"), bounce).expect("write");
    std::fs::write(
        s.path("mailbox/3.eml"),
        mail(
            who,
            "q2@bedrift.example",
            "Nytt spørsmål",
            "Hei igjen, gjelder dette også vikarer?",
        ),
    )
    .expect("write");
    run_once(&s);
    let report = s.report();
    let bounce_row = report
        .iter()
        .find(|r| r["source"] == "2.eml")
        .expect("bounce row");
    assert_eq!(bounce_row["kind"], "bounce");
    assert!(bounce_row["reply_template"].is_null());
    let states = sql(&s, "SELECT state FROM outbox ORDER BY id");
    assert_eq!(states, vec!["bounced".to_string(), "held".to_string()]);
    let flags = sql(
        &s,
        "SELECT kind FROM flags WHERE status = 'open' ORDER BY kind",
    );
    assert!(
        flags.contains(&"bounce".to_string()) && flags.contains(&"undeliverable".to_string()),
        "{flags:?}"
    );
    assert_eq!(
        files_in(&s.path("outbox")).len(),
        1,
        "the held reply was not sent"
    );
}

#[test]
fn no_more_than_the_daily_cap_of_replies_to_one_address() {
    let s = Scratch::new();
    for i in 0..7 {
        std::fs::write(
            s.path(&format!("mailbox/{i}.eml")),
            mail(
                "per@bedrift.example",
                &format!("m{i}@bedrift.example"),
                &format!("Spørsmål {i}"),
                &format!("Hei, jeg lurer på en ting nummer {i} om kontingenten?"),
            ),
        )
        .expect("write");
    }
    run_once(&s);
    let report = s.report();
    let answered = report
        .iter()
        .filter(|r| !r["reply_template"].is_null())
        .count();
    assert_eq!(answered, 5, "default cap is 5 a day");
    assert_eq!(files_in(&s.path("outbox")).len(), 5);
    let limited = sql(&s, "SELECT kind FROM flags WHERE kind = 'reply_limit'");
    assert_eq!(limited.len(), 2);
}

/// The same list sent twice in one mail, as a spreadsheet and as a copy in another format
/// (here CSV, written from what the spreadsheet holds): its people are counted once, so
/// the outcome is the one the spreadsheet alone gives.
#[test]
fn a_copy_of_the_list_in_another_format_is_not_counted_twice() {
    let s = Scratch::new();
    let original =
        std::fs::read(crate_dir().join("examples/mailbox/02-list-changed-new-person.eml"))
            .expect("example mail");
    let msg = mail_parser::MessageParser::default()
        .parse(&original)
        .expect("parse the example");
    let sheet = msg.attachments().next().expect("the example has a list");
    let sheet_name = mail_parser::MimeHeaders::attachment_name(sheet)
        .unwrap_or("liste.xlsx")
        .to_string();
    std::fs::write(s.path(&sheet_name), sheet.contents()).expect("write");
    let parsed = s.run(&["parse", "--json", s.path(&sheet_name).to_str().unwrap()]);
    assert!(parsed.status.success());
    let parsed: serde_json::Value = serde_json::from_slice(&parsed.stdout).expect("parse JSON");
    let mut csv = String::from("Fødselsnummer;Navn;Trekk\r\n");
    for l in parsed["lines"].as_array().expect("lines") {
        let ore = l["amount_ore"].as_i64().unwrap_or(0);
        csv.push_str(&format!(
            "{};{};{},{:02}\r\n",
            l["national_id"].as_str().unwrap_or(""),
            l["name"].as_str().unwrap_or(""),
            ore / 100,
            ore % 100
        ));
    }
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let body = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let eml = format!(
        "From: {from}\r\nTo: trekklister@union.example\r\nSubject: {subject}\r\nMessage-ID: <copy-test@x.example>\r\n\
         Date: Mon, 16 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\
         --b\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\
         Content-Disposition: attachment; filename=\"{sheet_name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{x}\r\n\
         --b\r\nContent-Type: text/csv; charset=utf-8\r\n\
         Content-Disposition: attachment; filename=\"kopi.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{c}\r\n--b--\r\n",
        from = msg.from().and_then(|f| f.first()).and_then(|a| a.address()).unwrap_or(""),
        subject = msg.subject().unwrap_or(""),
        x = b64(sheet.contents()),
        c = b64(csv.as_bytes()),
    );
    std::fs::write(s.path("mailbox").join("copy.eml"), eml).expect("write mail");
    run_once(&s);
    let report = s.report();
    let row = report
        .iter()
        .find(|r| r["source"] == "copy.eml")
        .expect("report row");
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate_dir().join("examples/expected/02-list-changed-new-person.json"))
            .expect("expected"),
    )
    .expect("json");
    for f in [
        "kind",
        "outcome",
        "queries",
        "flags",
        "list_number",
        "line_status",
    ] {
        assert_eq!(row[f], expected[f], "{f}: {row}");
    }
    assert!(
        row.to_string().contains("not counted twice"),
        "the copy is named in the warnings: {row}"
    );
}

/// A change of invoice address with the employer's own form attached (a spreadsheet of
/// label/value cells, no people): the words decide, so staff get a change request, and
/// the sender is not asked to send "the list" as Excel.
#[test]
fn a_form_without_people_beside_a_change_request_is_a_change_request() {
    let s = Scratch::new();
    use base64::Engine;
    let form = "Skjema;Endring av fakturaadresse\r\nFirma;Solstad Bygg og Anlegg AS\r\nNy fakturaadresse;Postboks 12, 0101 Oslo\r\nGjelder fra;01.12.2026\r\n";
    let eml = format!(
        "From: lonn@solstad-bygg.example\r\nTo: trekklister@union.example\r\nSubject: Ny fakturaadresse\r\n\
         Message-ID: <form-test@x.example>\r\nDate: Mon, 16 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hei,\r\n\r\nVi har fått ny fakturaadresse. Fra og med desember skal fakturaene sendes til adressen i skjemaet.\r\n\r\nMvh\r\nLønn\r\n\
         --b\r\nContent-Type: text/csv; charset=utf-8\r\n\
         Content-Disposition: attachment; filename=\"skjema.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64::engine::general_purpose::STANDARD.encode(form)
    );
    std::fs::write(s.path("mailbox").join("form.eml"), eml).expect("write mail");
    run_once(&s);
    let report = s.report();
    let row = report
        .iter()
        .find(|r| r["source"] == "form.eml")
        .expect("report row");
    assert_eq!(row["kind"], "change_request", "{row}");
    assert_eq!(row["outcome"], "flagged", "{row}");
    assert_eq!(row["flags"], serde_json::json!(["change_request"]), "{row}");
    assert_eq!(row["reply_template"], "received_under_review", "{row}");
    let stored = sql(&s, "SELECT file_name FROM attachments");
    assert_eq!(
        stored,
        vec!["skjema.csv".to_string()],
        "the form is kept for staff"
    );
}

/// An invoice copy asked for by month from an employer's known address is answered with
/// that month's invoice; with a month the employer has no invoice for, staff are asked.
#[test]
fn an_invoice_copy_asked_for_by_month_is_found_from_the_sender() {
    let s = Scratch::new();
    let mails = [
        (
            "1-october.eml",
            mail(
                "per.olav.solstad@solstadbygg.example",
                "inv-oct@x.example",
                "Kopi av faktura",
                "Hei,\r\n\r\nKan vi få kopi av fakturaen for oktober 2026? Vi finner den ikke.\r\n\r\nMvh\r\nPer Olav",
            ),
        ),
        (
            "2-march.eml",
            mail(
                "per.olav.solstad@solstadbygg.example",
                "inv-mar@x.example",
                "Kopi av faktura",
                "Hei,\r\n\r\nKan vi få kopi av fakturaen for mars 2026?\r\n\r\nMvh\r\nPer Olav",
            ),
        ),
    ];
    for (name, eml) in &mails {
        std::fs::write(s.path("mailbox").join(name), eml).expect("write mail");
    }
    run_once(&s);
    let report = s.report();
    let row = |source: &str| {
        report
            .iter()
            .find(|r| r["source"] == source)
            .cloned()
            .expect("report row")
    };
    let october = row("1-october.eml");
    assert_eq!(october["kind"], "invoice_copy_request", "{october}");
    assert_eq!(october["outcome"], "answered", "{october}");
    assert_eq!(october["list_number"], "250871", "{october}");
    assert_eq!(october["reply_template"], "invoice_copy", "{october}");
    let march = row("2-march.eml");
    assert_eq!(march["outcome"], "flagged", "{march}");
    assert_eq!(
        march["flags"],
        serde_json::json!(["invoice_unknown"]),
        "{march}"
    );
}
