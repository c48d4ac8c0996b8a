//! Whole-message tests: raw mails in the shapes different clients produce, through
//! `parse_mail` and `classify`, in both languages.
use super::*;
use crate::mime::parse_mail;

fn plain(from: &str, subject: &str, extra_headers: &str, body: &str) -> Mail {
    let raw = format!(
        "From: {from}\r\nTo: trekklister@union.example\r\nSubject: {subject}\r\nDate: Mon, 02 Nov 2026 09:00:00 +0100\r\nMessage-ID: <t1@x.example>\r\n{extra_headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}"
    );
    parse_mail(raw.as_bytes()).expect("test mail parses")
}

fn html_only(from: &str, subject: &str, html: &str) -> Mail {
    let raw = format!(
        "From: {from}\r\nTo: trekklister@union.example\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}"
    );
    parse_mail(raw.as_bytes()).expect("test mail parses")
}

fn with_attachment(
    from: &str,
    subject: &str,
    body: &str,
    name: &str,
    ctype: &str,
    disp: &str,
) -> Mail {
    let raw = format!(
        "From: {from}\r\nTo: trekklister@union.example\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--BB\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: {disp}; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAA==\r\n--BB--\r\n"
    );
    parse_mail(raw.as_bytes()).expect("test mail parses")
}

fn kind_of(m: &Mail) -> &'static str {
    classify(m).kind.as_str()
}

const FROM: &str = "Kari Nordmann <kari.nordmann@firma.example>";

#[test]
fn access_requests_in_many_phrasings() {
    for (subject, body) in [
        ("Tilgang", "Hei,\n\nKan vi få tilgang til trekksentralen?\n\nFirma: Fjordkraft Bygg AS\nOrg.nr: 958680538\nNavn: Kari Nordmann\nMobil: 412 34 567\n\nMvh\nKari"),
        ("Winorg", "Hei\nVi ønsker å levere trekklistene elektronisk via Winorg fra nå av. Hva trenger dere fra oss?\nHilsen Kari"),
        ("Brukertilgang", "Hei, jeg er ny lønnsansvarlig og trenger brukertilgang til trekksentralen i Winorg.\nMvh Kari Nordmann"),
        ("Access request", "Hello,\n\nCould you please set up an account for us in Winorg trekksentral?\n\nBest regards\nKari"),
        ("Question about the portal", "Hi, how do we get a login to your self-service portal for deduction lists?\nThanks, Kari"),
        ("Søknad om tilgang til trekksentral", "Se opplysninger under.\n\nBedrift: Fjordkraft Bygg AS\nOrganisasjonsnummer: 958 680 538"),
        ("Re: Tilgang til Winorg trekksentral [AR-17]", "Hei,\n\nOrg.nr. er 958680538.\n\nMvh Kari"),
    ] {
        assert_eq!(kind_of(&plain(FROM, subject, "", body)), "access_request", "{subject}: {body}");
    }
}

#[test]
fn invoice_copy_requests() {
    for (subject, body) in [
        ("Faktura", "Hei,\nVi har ikke mottatt fakturaen for november. Kan dere sende den til oss?\nMvh Kari"),
        ("Fakturakopi", "Hei, kan vi få en kopi av siste faktura?\nKari"),
        ("Mangler faktura 20268782", "Hei, vi mangler faktura 20268782 i systemet vårt. Kan dere sende den på nytt?"),
        ("Invoice", "Hello, could you please resend invoice 20268782? We cannot find it.\nRegards, Kari"),
        ("Copy of invoice", "Hi, we need a copy of the October invoice for our accounts.\nKari"),
        ("SV: Trekkliste 245965 for november [TL-245965]", "Hei, fakturaen var ikke vedlagt. Kan dere sende den?\n\nMvh Kari\n\nFra: Forbundet <trekklister@union.example>\nSendt: 28. oktober\nTil: Kari\nEmne: Trekkliste\n\nVedlagt følger trekkliste 245965 og faktura. Kontroller listen og returner den med eventuelle endringer."),
    ] {
        assert_eq!(kind_of(&plain(FROM, subject, "", body)), "invoice_copy_request", "{subject}: {body}");
    }
}

#[test]
fn change_requests() {
    for (subject, body) in [
        ("Endring i innsendt liste", "Hei,\nVi oppdaget en feil i listen vi sendte for november: Ola Hansen sluttet 31. oktober. Kan dere rette dette?\nMvh Kari"),
        ("Ny fakturaadresse", "Hei, fakturaer skal fra 1. januar sendes til faktura@firma.example.\nMvh Kari"),
        ("Fakturaadresse", "Vi har byttet regnskapsbyrå. Vennligst oppdater fakturaadressen til Postboks 12, 0101 Oslo."),
        ("Correction", "Hello, we submitted the list for November with the wrong amount for Ola Hansen. Could you correct it to NOK 450?\nRegards"),
        ("Invoice address", "Hi, please update our invoice address to invoices@firma.example from December.\nKari"),
        ("Re: Trekkliste 247595 registrert [TL-247595]", "Hei, vi glemte å føre opp sluttdato for Per Olsen i listen. Han sluttet 15.10. Kan dere endre det?\n\n> Takk for trekklisten. Vi har registrert 25 uendret."),
    ] {
        assert_eq!(kind_of(&plain(FROM, subject, "", body)), "change_request", "{subject}: {body}");
    }
}

#[test]
fn questions() {
    for (subject, body) in [
        ("Spørsmål", "Hei, når er fristen for å sende inn trekklisten for desember?\nMvh Kari"),
        ("Feriepenger", "Skal det trekkes kontingent av feriepenger i juni?\nHilsen Kari"),
        ("Satser 2027", "Hei, hvilke satser gjelder fra januar 2027 for deltidsansatte?"),
        ("Question", "Hello, do we need to send the list if there are no changes this month?\nBest regards, Kari"),
        ("Re: Påminnelse: trekkliste 241493 [TL-241493]", "Hei, vi har allerede sendt listen den 3. november. Har dere ikke mottatt den?\n\nMvh Kari"),
        ("Winorg", "Hei, hva koster det å bruke Winorg trekksentral?"),
        ("Liste", "Hei, her er listen for november.\nMvh Kari"),
    ] {
        assert_eq!(kind_of(&plain(FROM, subject, "", body)), "question", "{subject}: {body}");
    }
}

#[test]
fn quoted_text_does_not_decide() {
    // A short thank-you below a quoted access query stays a question; the quoted query names
    // access, invoice and changes.
    let body = "Takk for svar!\n\nMvh Kari\n\nDen 10.11.2026 09:41, skrev Forbundet Medlemsservice:\n> Kontroller listen og returner den med eventuelle endringer.\n> Kan vi få kopi av faktura? Endre fakturaadresse.\n";
    assert_eq!(
        kind_of(&plain(FROM, "Re: Trekkliste november", "", body)),
        "question"
    );
}

#[test]
fn forwarded_access_request() {
    let body = "Kan dere hjelpe Ola med dette?\n\nMvh Kari\n\n---------- Forwarded message ---------\nFrom: Ola Hansen <ola@firma.example>\nDate: man. 2. nov. 2026\nSubject: Trekksentral\nTo: Kari <kari@firma.example>\n\nHei Kari, kan du be forbundet om tilgang til Winorg trekksentral for oss?\nFirma: Fjordkraft Bygg AS\nOrg.nr: 958680538\nMobil: 930 12 345\n\nOla Hansen\n";
    let m = plain(FROM, "Fwd: Trekksentral", "", body);
    let c = classify(&m);
    assert_eq!(c.kind, Kind::AccessRequest);
    let a = c.access.expect("access fields");
    assert_eq!(a.company_name.as_deref(), Some("Fjordkraft Bygg AS"));
    assert_eq!(a.org_number.as_deref(), Some("958680538"));
    assert_eq!(a.mobile.as_deref(), Some("+4793012345"));
}

#[test]
fn html_only_access_request_with_table() {
    let html = "<html><body><p>Hei,</p><p>Vi ønsker tilgang til Winorg trekksentral.</p><table border=1><tr><td><b>Firma</b></td><td>Solberg Renhold AS</td></tr><tr><td>Org.nr.</td><td>937 633 912</td></tr><tr><td>Kontaktperson</td><td>Kari Holm</td></tr><tr><td>E-post</td><td>lonn@solbergrenhold.example</td></tr><tr><td>Mobil</td><td>+47 452 18 930</td></tr></table><p>Mvh<br>Kari Holm</p></body></html>";
    let m = html_only(
        "Kari Holm <kari.holm@solbergrenhold.example>",
        "Tilgang",
        html,
    );
    let c = classify(&m);
    assert_eq!(c.kind, Kind::AccessRequest);
    let a = c.access.expect("access fields");
    assert_eq!(a.company_name.as_deref(), Some("Solberg Renhold AS"));
    assert_eq!(a.org_number.as_deref(), Some("937633912"));
    assert_eq!(a.requester_name.as_deref(), Some("Kari Holm"));
    assert_eq!(a.email.as_deref(), Some("lonn@solbergrenhold.example"));
    assert_eq!(a.mobile.as_deref(), Some("+4745218930"));
    assert!(a.missing.is_empty());
}

#[test]
fn english_free_text_access_request() {
    let body = "Hi,\n\nI'm the payroll manager at Arctic Seafood Processing AS (org. no. 958 680 538) and we would like access to Winorg trekksentral. You can reach me on +47 930 12 345.\n\nBest regards,\nDaniel Whitmore\n";
    let m = plain(
        "Daniel Whitmore <daniel@arctic.example>",
        "Winorg access",
        "",
        body,
    );
    let c = classify(&m);
    assert_eq!(c.kind, Kind::AccessRequest);
    assert_eq!(c.lang, Lang::En);
    let a = c.access.expect("access fields");
    assert_eq!(
        a.company_name.as_deref(),
        Some("Arctic Seafood Processing AS")
    );
    assert_eq!(a.org_number.as_deref(), Some("958680538"));
    assert_eq!(a.requester_name.as_deref(), Some("Daniel Whitmore"));
    assert_eq!(a.email.as_deref(), Some("daniel@arctic.example"));
    assert_eq!(a.mobile.as_deref(), Some("+4793012345"));
}

#[test]
fn list_attachments() {
    for (name, ct, disp) in [
        ("Trekkliste.xlsx", "application/octet-stream", "attachment"),
        ("liste.pdf", "application/pdf", "inline"),
        ("trekk.csv", "text/csv", "attachment"),
        ("Trekk nov.XLS", "application/vnd.ms-excel", "attachment"),
        (
            "liste.ods",
            "application/vnd.oasis.opendocument.spreadsheet",
            "attachment",
        ),
    ] {
        let m = with_attachment(FROM, "Trekkliste", "Vedlagt.", name, ct, disp);
        assert_eq!(kind_of(&m), "list_submission", "{name}");
    }
    // A logo alone is no list: the mail is a question.
    let m = with_attachment(
        FROM,
        "Spørsmål",
        "Hvilken sats gjelder?",
        "image001.png",
        "image/png",
        "inline",
    );
    assert_eq!(kind_of(&m), "question");
}

#[test]
fn auto_replies_and_bulk() {
    let m = plain(FROM, "Autosvar: Trekkliste", "", "Jeg er på ferie.");
    assert_eq!(kind_of(&m), "auto_reply");
    let m = plain(
        FROM,
        "Re: Trekkliste",
        "Auto-Submitted: auto-replied\r\n",
        "Takk.",
    );
    let c = classify(&m);
    assert_eq!(c.kind, Kind::AutoReply);
    assert!(c.never_answer);
    let m = plain(
        FROM,
        "Nyhetsbrev",
        "Precedence: bulk\r\nList-Unsubscribe: <mailto:x@y>\r\n",
        "Nytt i år.",
    );
    let c = classify(&m);
    assert_eq!(c.kind, Kind::AutoReply);
    assert!(c.bulk && c.never_answer);
    // A vacation notice without any marks, recognised by its words.
    let m = plain(FROM, "Re: Påminnelse om trekkliste", "", "Jeg er på ferie til 20. november og leser ikke e-post. Ved hastesaker, ring sentralbordet.\n\nKari");
    assert_eq!(kind_of(&m), "auto_reply");
    // A payroll system's generated mail with a list is still a list.
    let raw = "From: Lønn <noreply@lonn.example>\r\nSubject: Trekkliste\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain\r\n\r\nVedlagt.\r\n--BB\r\nContent-Type: text/csv; name=\"liste.csv\"\r\nContent-Disposition: attachment; filename=\"liste.csv\"\r\n\r\na;b\r\n--BB--\r\n";
    let m = parse_mail(raw.as_bytes()).expect("parses");
    let c = classify(&m);
    assert_eq!(c.kind, Kind::ListSubmission);
    assert!(c.never_answer);
    // Same with Precedence: bulk from a portal; but a mailing list stays bulk mail.
    let portal = raw.replace("Auto-Submitted: auto-generated", "Precedence: bulk");
    let c = classify(&parse_mail(portal.as_bytes()).expect("parses"));
    assert_eq!(c.kind, Kind::ListSubmission);
    assert!(c.never_answer && c.bulk);
    let list_server = raw.replace(
        "Auto-Submitted: auto-generated",
        "List-Id: <lonn.lists.example>",
    );
    let c = classify(&parse_mail(list_server.as_bytes()).expect("parses"));
    assert_eq!(c.kind, Kind::AutoReply);
    // A vacation notice carrying a list-looking attachment is still a vacation notice.
    let ooo = raw.replace("Subject: Trekkliste", "Subject: Fraværende: Trekkliste");
    let c = classify(&parse_mail(ooo.as_bytes()).expect("parses"));
    assert_eq!(c.kind, Kind::AutoReply);
}

#[test]
fn exchange_ndr_and_exim_bounce() {
    let raw = "From: Microsoft Outlook <postmaster@firma.example>\r\nTo: trekklister@union.example\r\nSubject: Undeliverable: Trekkliste 241493\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nDelivery has failed to these recipients or groups:\r\nola@firma.example\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns;mx.firma.example\r\n\r\nFinal-recipient: RFC822; ola@firma.example\r\nAction: failed\r\nStatus: 5.1.10\r\n\r\n--R\r\nContent-Type: message/rfc822\r\n\r\nFrom: trekklister@union.example\r\nMessage-ID: <tl-241493.1@union.example>\r\nSubject: Trekkliste\r\n\r\nHei\r\n--R--\r\n";
    let m = parse_mail(raw.as_bytes()).expect("parses");
    let c = classify(&m);
    assert_eq!(c.kind, Kind::Bounce);
    let b = c.bounce.expect("bounce info");
    assert_eq!(b.failed_recipients, vec!["ola@firma.example"]);
    assert_eq!(
        b.original_message_id.as_deref(),
        Some("tl-241493.1@union.example")
    );
    assert!(b.permanent);

    let m = plain(
        "Mail Delivery System <Mailer-Daemon@mx.example>",
        "Mail delivery failed: returning message to sender",
        "X-Failed-Recipients: per@firma.example\r\nReturn-Path: <>\r\n",
        "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its recipients.\n\n  per@firma.example\n    mailbox is full: retry timeout exceeded\n",
    );
    let c = classify(&m);
    assert_eq!(c.kind, Kind::Bounce);
    assert_eq!(
        c.bounce.map(|b| b.failed_recipients),
        Some(vec!["per@firma.example".to_string()])
    );
}

#[test]
fn references_and_language() {
    let m = plain(
        FROM,
        "SV: Trekkliste 245965 [TL-245965]",
        "Content-Language: en-US\r\n",
        "Hei, gjelder faktura 20263683 og KID 011072459651 for A1107. Org.nr. 937 633 912.",
    );
    let c = classify(&m);
    assert_eq!(c.references.thread_token.as_deref(), Some("TL-245965"));
    for n in ["245965", "20263683", "011072459651", "937633912"] {
        assert!(c.references.numbers.contains(&n.to_string()), "{n}");
    }
    assert_eq!(c.references.employer_ids, vec!["A1107"]);
    assert_eq!(c.lang, Lang::Nb);
}

#[test]
fn noreply_sender_is_never_answered() {
    let m = with_attachment(
        "Lønnsportalen <no-reply@portal.example>",
        "Trekkliste",
        "Vedlagt.",
        "liste.xlsx",
        "application/octet-stream",
        "attachment",
    );
    let c = classify(&m);
    assert_eq!(c.kind, Kind::ListSubmission);
    assert!(c.never_answer);
    let m = plain(FROM, "Spørsmål", "", "Hei?");
    assert!(!classify(&m).never_answer);
}

#[test]
fn outlook_html_only_with_signature_table() {
    let html = "<html><head><style>p.MsoNormal{margin:0}</style></head><body lang=NO-BOK><div class=WordSection1><p class=MsoNormal>Hei,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Vi &oslash;nsker tilgang til Winorg trekksentral. Org.nr. 958&nbsp;680&nbsp;538.<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Med vennlig hilsen<o:p></o:p></p><table><tr><td><img src=\"cid:image001.png\"></td><td><p class=MsoNormal><b>Tone R&oslash;nning</b><br>&Oslash;konomiansvarlig<br>Havblikk Hotell AS<br>T: +47 22 33 44 55<br>M: +47 934 56 789</p></td></tr></table></div></body></html>";
    let m = html_only(
        "Tone Rønning <tone.ronning@havblikk.example>",
        "Tilgang til trekksentral",
        html,
    );
    let c = classify(&m);
    assert_eq!(c.kind, Kind::AccessRequest);
    let a = c.access.expect("access fields");
    assert_eq!(a.company_name.as_deref(), Some("Havblikk Hotell AS"));
    assert_eq!(a.org_number.as_deref(), Some("958680538"));
    assert_eq!(a.requester_name.as_deref(), Some("Tone Rønning"));
    assert_eq!(a.email.as_deref(), Some("tone.ronning@havblikk.example"));
    assert_eq!(a.mobile.as_deref(), Some("+4793456789"));
}
