#!/usr/bin/env python3
"""Generate trekkpost's example data under examples/.

Writes, deterministically (fixed seed, fixed timestamps, fixed MIME boundaries):

  examples/world/      employers.csv, lists.csv, list_lines.csv, payments.csv,
                       camt054_20261023.xml, ocr_20261127.txt
  examples/mailbox/    NN-<case>.eml, in processing order
  examples/expected/   NN-<case>.json, what processing each message must yield
  examples/README.md   one table: file, what it shows, expected outcome

Everything is invented: employers, people, national IDs (synthetic test numbers,
birth month + 80), org numbers, KIDs, invoice numbers and account numbers all carry
valid check digits. Only the Python 3 standard library is needed; the .xlsx files are
written by hand (Office Open XML) so the output does not depend on a library version.

Run from the repository root:  python3 scripts/make-examples.py
"""

import base64
import datetime as dt
import email.utils
import json
import quopri
import random
import struct
import urllib.parse
import zipfile
import zlib
from email.header import Header
from pathlib import Path
from xml.sax.saxutils import escape

SEED = 20261102
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples"
WORLD = OUT / "world"
MAILBOX = OUT / "mailbox"
EXPECTED = OUT / "expected"

CET = dt.timezone(dt.timedelta(hours=1))
UTC = dt.timezone.utc
UNION_ADDR = "trekklister@union.example"
UNION_NAME = "Forbundet Medlemsservice"

rng = random.Random(SEED)


# --------------------------------------------------------------------------------------
# Norwegian check digits
# --------------------------------------------------------------------------------------
def mod11_digit(digits, weights):
    """k = 11 - (sum mod 11); 11 -> 0; 10 -> None (invalid)."""
    s = sum(int(d) * w for d, w in zip(digits, weights))
    k = 11 - s % 11
    if k == 11:
        return 0
    if k == 10:
        return None
    return k


ORG_W = [3, 2, 7, 6, 5, 4, 3, 2]
ACC_W = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
FNR_K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
FNR_K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]


def valid_org(s):
    return len(s) == 9 and s.isdigit() and mod11_digit(s[:8], ORG_W) == int(s[8])


def valid_account(s):
    return len(s) == 11 and s.isdigit() and mod11_digit(s[:10], ACC_W) == int(s[10])


def valid_fnr(s):
    if len(s) != 11 or not s.isdigit():
        return False
    return mod11_digit(s[:9], FNR_K1) == int(s[9]) and mod11_digit(s[:10], FNR_K2) == int(s[10])


def luhn_digit(payload):
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def valid_kid(s):
    return s.isdigit() and luhn_digit(s[:-1]) == int(s[-1])


def make_org(first="9"):
    while True:
        body = first + "".join(str(rng.randint(0, 9)) for _ in range(7))
        k = mod11_digit(body, ORG_W)
        if k is not None:
            return body + str(k)


def make_account(bank):
    """bank: 4-digit register number; returns an 11-digit mod-11 account number."""
    while True:
        body = bank + "".join(str(rng.randint(0, 9)) for _ in range(6))
        k = mod11_digit(body, ACC_W)
        if k is not None:
            return body + str(k)


def iban_no(bban):
    num = int(bban + "2324" + "00")  # N=23, O=24
    return "NO%02d%s" % (98 - num % 97, bban)


_used_fnr = set()


def make_fnr(birth):
    """Synthetic test number (Tenor style): month + 80, valid k1/k2."""
    if birth.year < 1900 or birth.year > 2039:
        raise ValueError(birth)
    while True:
        if birth.year < 2000:
            ind = rng.randint(0, 499)
        else:
            ind = rng.randint(500, 999)
        base = "%02d%02d%02d%03d" % (birth.day, birth.month + 80, birth.year % 100, ind)
        k1 = mod11_digit(base, FNR_K1)
        if k1 is None:
            continue
        k2 = mod11_digit(base + str(k1), FNR_K2)
        if k2 is None:
            continue
        fnr = base + str(k1) + str(k2)
        if fnr in _used_fnr:
            continue
        _used_fnr.add(fnr)
        return fnr


def kid_for(employer_id, list_number):
    payload = "0" + employer_id[1:] + list_number
    return payload + str(luhn_digit(payload))


def kr(ore, sep=","):
    """øre -> '1234,56' (no thousands separator)."""
    sign = "-" if ore < 0 else ""
    ore = abs(ore)
    return "%s%d%s%02d" % (sign, ore // 100, sep, ore % 100)


def kr_pretty(ore):
    """øre -> 'kr 1 234,56' as a Norwegian would write it."""
    whole = "{:,}".format(ore // 100).replace(",", " ")
    return "kr %s,%02d" % (whole, ore % 100)


# --------------------------------------------------------------------------------------
# The world: employers, lists, lines
# --------------------------------------------------------------------------------------
FIRST = [
    "Kari", "Ola", "Ingrid", "Håkon", "Sigrid", "Øystein", "Åse", "Marit", "Lars", "Nils",
    "Solveig", "Eirik", "Tuva", "Sindre", "Hanne", "Torbjørn", "Linnea", "Mathias",
    "Ragnhild", "Vegard", "Amalie", "Jonas", "Live", "Aksel", "Maja", "Fredrik", "Synnøve",
    "Ahmed", "Fatima", "Piotr", "Agnieszka", "Tomas", "Ida", "Henrik", "Silje",
    "Kristoffer", "Thea", "Magnus", "Ellinor", "Bjørnar", "Gunn", "Trond", "Mari", "Jørgen",
    "Oda", "Sander", "Randi", "Espen", "Anette", "Geir", "Yasmin", "Dawit", "Leila", "Rune",
]
LAST = [
    "Berg", "Haugen", "Lunde", "Sæther", "Bakke", "Strand", "Moe", "Eide", "Lie", "Holm",
    "Nygård", "Dahl", "Aas", "Rønning", "Hovland", "Brekke", "Myklebust", "Tangen",
    "Kvamme", "Fjeld", "Ødegård", "Aune", "Løken", "Skogstad", "Vatne", "Grønvold",
    "Hansen-Berg", "Khan", "Nowak", "Andersen", "Ali", "Lie-Hovland", "Østby", "Reinholdt",
    "Sandvik", "Tveiten", "Hagen", "Wold", "Mehmeti", "Tesfaye", "Kowalczyk", "Bø",
]
EN_FIRST = ["Rachel", "Owen", "Chloe", "Liam", "Priya", "Graham", "Sofia", "Marek"]
EN_LAST = ["Dunmore", "Pritchard", "Kaur", "Fletcher", "Lindqvist", "Barrow", "Novak", "Hale"]

# the people who write to the union are not on any list
_used_names = {"Ingrid Vik", "Bjørn Are Tveit", "Tone Espeland", "Per Olav Solstad",
               "Synnøve Lia", "Kjetil Grøtte", "Rachel Dunmore"}
_used_members = set()


def person(first_pool=FIRST, last_pool=LAST, birth_day_max=28):
    while True:
        name = "%s %s" % (rng.choice(first_pool), rng.choice(last_pool))
        if name not in _used_names:
            _used_names.add(name)
            break
    year = rng.randint(1962, 2004)
    birth = dt.date(year, rng.randint(1, 12), rng.randint(1, birth_day_max))
    while True:
        member = str(rng.randint(1_000_000, 1_999_999))
        if member not in _used_members:
            _used_members.add(member)
            break
    amount = rng.randint(36_000, 98_000)  # øre
    if rng.random() < 0.3:
        amount -= amount % 100  # some whole-krone amounts
    return {"member_number": member, "name": name, "national_id": make_fnr(birth),
            "amount": amount, "birth": birth}


EMPLOYERS = [
    # employer_id, name, domain, contact local parts, invoice local part, uses_winorg
    ("A3012", "Havørn Sjømat AS", "havorn-sjomat.example", ["lonn", "ingrid.vik"], "faktura", "no"),
    ("A3027", "Stiftelsen Kvernstua Omsorgssenter", "kvernstua.example",
     ["personal", "bjorn.are.tveit"], "faktura", "no"),
    ("A3045", "Brattås kommune", "brattas.kommune.example", ["lonn", "synnove.lia"],
     "fakturamottak", "yes"),
    ("A3061", "Lysefjord Elektro AS", "lysefjord-elektro.example",
     ["regnskap", "tone.espeland"], "faktura", "no"),
    ("A3074", "Solstad Bygg og Anlegg AS", "solstadbygg.example",
     ["lonn", "per.olav.solstad"], "faktura", "no"),
    ("A3088", "Northbound Offshore Catering AS", "northbound-catering.example",
     ["payroll", "rachel.dunmore"], "invoices", "no"),
]

employers = {}
for eid, name, domain, contacts, inv, winorg in EMPLOYERS:
    employers[eid] = {
        "employer_id": eid, "name": name, "domain": domain,
        "org_number": make_org(),
        "contact_emails": ["%s@%s" % (c, domain) for c in contacts],
        "invoice_email": "%s@%s" % (inv, domain),
        "uses_winorg": winorg,
        "account": make_account(rng.choice(["1503", "9710", "1506", "3000", "1254"])),
    }

# The lists the union sent out. The key is a short handle used below.
LIST_SPECS = [
    # key, employer, list_number, period, issued, due, lines
    ("havorn", "A3012", "251204", "2026-11", "2026-10-28", "2026-11-30", 9),
    ("kvernstua", "A3027", "251219", "2026-11", "2026-10-28", "2026-11-30", 12),
    ("brattas_ho", "A3045", "251233", "2026-11", "2026-10-28", "2026-11-30", 14),
    ("brattas_tek", "A3045", "251234", "2026-11", "2026-10-28", "2026-11-30", 7),
    ("lysefjord", "A3061", "251258", "2026-11", "2026-10-28", "2026-11-30", 10),
    ("solstad_okt", "A3074", "250871", "2026-10", "2026-09-28", "2026-10-31", 8),
    ("solstad", "A3074", "251270", "2026-11", "2026-10-28", "2026-11-30", 8),
    ("northbound", "A3088", "251291", "2026-11", "2026-10-28", "2026-11-30", 6),
]

lists = {}
_used_invoices = set()
for key, eid, number, period, issued, due, n in LIST_SPECS:
    if key == "solstad":
        # Same workforce as in October, one member has joined since.
        lines = [dict(l) for l in lists["solstad_okt"]["lines"][:7]]
        lines.append(person())
    elif key == "northbound":
        lines = [person(EN_FIRST, EN_LAST) for _ in range(n - 2)] + [person() for _ in range(2)]
    elif key == "kvernstua":
        # first person born on a day < 10, so Excel can drop the leading zero
        lines = [person(birth_day_max=9)] + [person() for _ in range(n - 1)]
    else:
        lines = [person() for _ in range(n)]
    while True:
        inv = "2026%04d" % rng.randint(1000, 9999)
        if inv not in _used_invoices:
            _used_invoices.add(inv)
            break
    lists[key] = {
        "key": key, "list_number": number, "employer_id": eid, "period": period,
        "issued_date": issued, "due_date": due, "invoice_number": inv,
        "kid": kid_for(eid, number), "lines": lines,
        "invoice_amount": sum(l["amount"] for l in lines),
    }

UNION_BBAN = make_account("1503")
UNION_ORG = make_org()

# --------------------------------------------------------------------------------------
# Submitted lists (what the employers send back), and their line status
# --------------------------------------------------------------------------------------


def submitted_copy(key):
    return [dict(l, end_date=None, comment=None) for l in lists[key]["lines"]]


subs = {}

# (a) Havørn: returned unchanged
subs["havorn"] = submitted_copy("havorn")

# (b) Kvernstua: one amount changed without comment, one new person without comment
s = submitted_copy("kvernstua")
s[4]["amount"] = s[4]["amount"] // 2 - (s[4]["amount"] // 2) % 100  # reduced, unexplained
newcomer = person()
newcomer["member_number"] = None
s.append(dict(newcomer, end_date=None, comment=None))
subs["kvernstua"] = s

# (c) Lysefjord: two issued persons simply left out
s = submitted_copy("lysefjord")
missing_lysefjord = [s[3], s[7]]
subs["lysefjord"] = [l for i, l in enumerate(s) if i not in (3, 7)]

# (d) Solstad, the October list, one person laid off (commented) – but already paid
s = submitted_copy("solstad_okt")
s[2]["end_date"] = dt.date(2026, 10, 15)
s[2]["amount"] = s[2]["amount"] // 2
s[2]["comment"] = "Permittert 100 % fra 15.10.2026"
subs["solstad_okt"] = s

# (e) Northbound: one person resigned, commented in English
s = submitted_copy("northbound")
s[1]["end_date"] = dt.date(2026, 11, 30)
s[1]["comment"] = "Resigned, last working day 30.11.2026"
subs["northbound"] = s


def line_status(key):
    issued = {l["national_id"]: l for l in lists[key]["lines"]}
    st = {"unchanged": 0, "amount_changed": 0, "ended": 0, "missing": 0, "new_person": 0}
    seen = set()
    for l in subs[key]:
        if l["national_id"] not in issued:
            st["new_person"] += 1
            continue
        seen.add(l["national_id"])
        if l["end_date"]:
            st["ended"] += 1
        elif l["amount"] != issued[l["national_id"]]["amount"]:
            st["amount_changed"] += 1
        else:
            st["unchanged"] += 1
    st["missing"] = len(set(issued) - seen)
    return st


# --------------------------------------------------------------------------------------
# Payments
# --------------------------------------------------------------------------------------
# Only one payment precedes the mail about its list: the October list of Solstad,
# paid in full on 2026-10-23 (camt.054) – that makes message 04 `too_late`.
# Every other payment is dated after the last message of the mailbox (2026-11-16).
payments = {
    "camt": [
        {"date": dt.date(2026, 10, 23), "list": "solstad_okt",
         "amount": lists["solstad_okt"]["invoice_amount"], "payer": "A3074",
         "ref": "2026102371046185", "txref": "2610233091648215", "time": "10:41:27"},
    ],
    "ocr": [
        {"date": dt.date(2026, 11, 24), "list": "havorn",
         "amount": lists["havorn"]["invoice_amount"], "payer": "A3012"},
        {"date": dt.date(2026, 11, 25), "list": "lysefjord",
         "amount": lists["lysefjord"]["invoice_amount"], "payer": "A3061"},
        {"date": dt.date(2026, 11, 26), "list": "brattas_tek",
         "amount": lists["brattas_tek"]["invoice_amount"], "payer": "A3045"},
    ],
    "csv": [
        {"date": dt.date(2026, 11, 27), "list": "northbound", "kid": False,
         "amount": lists["northbound"]["invoice_amount"], "payer": "A3088"},
        {"date": dt.date(2026, 11, 30), "list": "kvernstua", "kid": True,
         "amount": sum(l["amount"] for l in subs["kvernstua"]), "payer": "A3027"},
    ],
}

# --------------------------------------------------------------------------------------
# Writers: CSV
# --------------------------------------------------------------------------------------


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


def write_world():
    rows = ["employer_id;org_number;name;contact_emails;invoice_email;uses_winorg"]
    for e in employers.values():
        rows.append(";".join([e["employer_id"], e["org_number"], e["name"],
                              ",".join(e["contact_emails"]), e["invoice_email"],
                              e["uses_winorg"]]))
    write(WORLD / "employers.csv", "\n".join(rows) + "\n")

    rows = ["list_number;employer_id;period;issued_date;due_date;invoice_number;kid;invoice_amount"]
    for l in lists.values():
        rows.append(";".join([l["list_number"], l["employer_id"], l["period"], l["issued_date"],
                              l["due_date"], l["invoice_number"], l["kid"],
                              kr(l["invoice_amount"])]))
    write(WORLD / "lists.csv", "\n".join(rows) + "\n")

    rows = ["list_number;member_number;name;national_id;amount"]
    for l in lists.values():
        for p in l["lines"]:
            rows.append(";".join([l["list_number"], p["member_number"], p["name"],
                                  p["national_id"], kr(p["amount"])]))
    write(WORLD / "list_lines.csv", "\n".join(rows) + "\n")

    rows = ["payment_date;amount;kid;payer_account;reference"]
    for p in payments["csv"]:
        l = lists[p["list"]]
        e = employers[p["payer"]]
        if p["kid"]:
            kid, ref = l["kid"], "KID %s" % l["kid"]
        else:
            kid = ""
            ref = "Fagforeningstrekk nov 2026 %s org %s" % (e["name"], e["org_number"])
        rows.append(";".join([p["date"].isoformat(), kr(p["amount"]), kid, e["account"], ref]))
    write(WORLD / "payments.csv", "\n".join(rows) + "\n")


# --------------------------------------------------------------------------------------
# Writers: camt.054
# --------------------------------------------------------------------------------------


def write_camt():
    day = dt.date(2026, 10, 23)
    cre = "2026-10-24T06:12:05"
    msgid = "DNB054%s118342" % day.strftime("%Y%m%d")
    entries = []
    for i, p in enumerate(payments["camt"], 1):
        l = lists[p["list"]]
        e = employers[p["payer"]]
        amt = kr(p["amount"], ".")
        entries.append(f"""      <Ntry>
        <NtryRef>{i}</NtryRef>
        <Amt Ccy="NOK">{amt}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{p['date'].isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{p['date'].isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{p['ref']}</AcctSvcrRef>
        <BkTxCd>
          <Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>VCOM</SubFmlyCd></Fmly></Domn>
        </BkTxCd>
        <NtryDtls>
          <Btch>
            <NbOfTxs>1</NbOfTxs>
            <TtlAmt Ccy="NOK">{amt}</TtlAmt>
            <CdtDbtInd>CRDT</CdtDbtInd>
          </Btch>
          <TxDtls>
            <Refs>
              <AcctSvcrRef>{p['txref']}</AcctSvcrRef>
              <EndToEndId>NOTPROVIDED</EndToEndId>
            </Refs>
            <AmtDtls><TxAmt><Amt Ccy="NOK">{amt}</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Dbtr><Nm>{escape(e['name'])}</Nm></Dbtr>
              <DbtrAcct><Id><Othr><Id>{e['account']}</Id><SchmeNm><Cd>BBAN</Cd></SchmeNm></Othr></Id></DbtrAcct>
              <Cdtr><Nm>Forbundet</Nm></Cdtr>
            </RltdPties>
            <RmtInf>
              <Strd>
                <CdtrRefInf>
                  <Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>
                  <Ref>{l['kid']}</Ref>
                </CdtrRefInf>
              </Strd>
            </RmtInf>
            <RltdDts>
              <AccptncDtTm>{p['date'].isoformat()}T{p['time']}</AccptncDtTm>
            </RltdDts>
          </TxDtls>
        </NtryDtls>
      </Ntry>""")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr>
      <MsgId>{msgid}</MsgId>
      <CreDtTm>{cre}</CreDtTm>
      <MsgRcpt>
        <Nm>Forbundet</Nm>
        <Id><OrgId><Othr><Id>{UNION_ORG}</Id><SchmeNm><Cd>BANK</Cd></SchmeNm></Othr></OrgId></Id>
      </MsgRcpt>
    </GrpHdr>
    <Ntfctn>
      <Id>{msgid}-1</Id>
      <CreDtTm>{cre}</CreDtTm>
      <Acct>
        <Id><IBAN>{iban_no(UNION_BBAN)}</IBAN></Id>
        <Ccy>NOK</Ccy>
        <Ownr><Nm>Forbundet</Nm></Ownr>
        <Svcr><FinInstnId><BIC>DNBANOKKXXX</BIC></FinInstnId></Svcr>
      </Acct>
{chr(10).join(entries)}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""
    write(WORLD / ("camt054_%s.xml" % day.strftime("%Y%m%d")), xml)


# --------------------------------------------------------------------------------------
# Writers: OCR giro (Nets "OCR giro" fixed-width, 80-character records)
# --------------------------------------------------------------------------------------


def ocr_rec(s):
    s = s.ljust(80, "0")
    assert len(s) == 80, s
    return s


def write_ocr():
    settle = dt.date(2026, 11, 27)
    ddmmyy = lambda d: d.strftime("%d%m%y")
    transmitter, recipient = "00047219", "00008080"
    transmission_no = "1127001"
    agreement, assignment_no = "001847263", "1127001"
    recs = [ocr_rec("NY000010" + transmitter + transmission_no + recipient)]
    recs.append(ocr_rec("NY090020" + agreement + assignment_no + UNION_BBAN))
    total = 0
    for i, p in enumerate(payments["ocr"], 1):
        l = lists[p["list"]]
        e = employers[p["payer"]]
        ttype = "13" if i == 2 else "10"  # 10 = giro debited account, 13 = business terminal giro
        rec30 = ("NY09" + ttype + "30" + "%07d" % i + ddmmyy(p["date"]) + "07" + "%02d" % p["date"].day
                 + "1" + "%05d" % i + "0" + "%017d" % p["amount"] + l["kid"].rjust(25))
        assert len(rec30) == 74
        recs.append(ocr_rec(rec30 + "000000"))
        form_no = "%010d" % rng.randint(10 ** 9, 10 ** 10 - 1)
        rec31 = ("NY09" + ttype + "31" + "%07d" % i + form_no + agreement + "0" * 7
                 + ddmmyy(p["date"]) + e["account"])
        assert len(rec31) == 58
        recs.append(ocr_rec(rec31))
        total += p["amount"]
    n = len(payments["ocr"])
    first = min(p["date"] for p in payments["ocr"])
    last = max(p["date"] for p in payments["ocr"])
    recs.append(ocr_rec("NY090088" + "%08d" % n + "%08d" % (2 * n + 2) + "%017d" % total
                        + ddmmyy(settle) + ddmmyy(first) + ddmmyy(last)))
    recs.append(ocr_rec("NY000089" + "%08d" % n + "%08d" % (2 * n + 4) + "%017d" % total
                        + ddmmyy(settle)))
    write(WORLD / ("ocr_%s.txt" % settle.strftime("%Y%m%d")),
          ("\n".join(recs) + "\n").encode("iso-8859-1"))


# --------------------------------------------------------------------------------------
# Writers: a minimal, deterministic .xlsx (Office Open XML SpreadsheetML)
# --------------------------------------------------------------------------------------
# A cell is None, str, int/float (plain number), or a tuple:
#   ("b", text)          bold text
#   ("h", text)          header cell (bold, bottom border)
#   ("amt", øre)         amount, number format #,##0.00
#   ("date", date)       date, built-in format 14 (shown dd.mm.yyyy in Norwegian Excel)
#   ("sum", øre, ref)    formula SUM(ref) with its cached value, amount format, bold
#   ("txt", text)        a number kept as text (e.g. a national ID)

ZIP_TIME = (2026, 11, 1, 12, 0, 0)


def col_letter(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def excel_serial(d):
    return (d - dt.date(1899, 12, 30)).days


def num(x):
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


def xlsx_bytes(rows, sheet_name="Ark1", merges=(), widths=(), creator="Lønn"):
    sst, sst_index = [], {}

    def si(text):
        if text not in sst_index:
            sst_index[text] = len(sst)
            sst.append(text)
        return sst_index[text]

    count_strings = 0
    xml_rows = []
    max_col = 0
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            if v is None:
                continue
            max_col = max(max_col, c + 1)
            ref = "%s%d" % (col_letter(c), r)
            if isinstance(v, str) or (isinstance(v, tuple) and v[0] in ("b", "h", "txt")):
                style = {"b": 1, "h": 4}.get(v[0], 0) if isinstance(v, tuple) else 0
                text = v if isinstance(v, str) else v[1]
                count_strings += 1
                cells.append('<c r="%s"%s t="s"><v>%d</v></c>'
                             % (ref, ' s="%d"' % style if style else "", si(text)))
            elif isinstance(v, (int, float)):
                cells.append('<c r="%s"><v>%s</v></c>' % (ref, num(v)))
            elif v[0] == "amt":
                cells.append('<c r="%s" s="2"><v>%s</v></c>' % (ref, num(v[1] / 100)))
            elif v[0] == "date":
                cells.append('<c r="%s" s="3"><v>%d</v></c>' % (ref, excel_serial(v[1])))
            elif v[0] == "sum":
                cells.append('<c r="%s" s="5"><f>SUM(%s)</f><v>%s</v></c>'
                             % (ref, v[2], num(v[1] / 100)))
            else:
                raise ValueError(v)
        if cells:
            xml_rows.append('<row r="%d">%s</row>' % (r, "".join(cells)))
    dim = "A1:%s%d" % (col_letter(max_col - 1), len(rows))
    cols = ""
    if widths:
        cols = "<cols>%s</cols>" % "".join(
            '<col min="%d" max="%d" width="%s" customWidth="1"/>' % (i + 1, i + 1, w)
            for i, w in enumerate(widths))
    merge_xml = ""
    if merges:
        merge_xml = '<mergeCells count="%d">%s</mergeCells>' % (
            len(merges), "".join('<mergeCell ref="%s"/>' % m for m in merges))
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             '<dimension ref="%s"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
             '<sheetFormatPr defaultRowHeight="15"/>%s<sheetData>%s</sheetData>%s'
             '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
             '</worksheet>') % (dim, cols, "".join(xml_rows), merge_xml)
    shared = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              'count="%d" uniqueCount="%d">%s</sst>') % (
        count_strings, len(sst), "".join("<si><t>%s</t></si>" % escape(t) for t in sst))
    styles = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.00"/></numFmts>'
              '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
              '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill>'
              '<fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
              '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="6">'
              '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
              '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
              '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
              '<xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1"/>'
              '<xf numFmtId="164" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>'
              '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
              '</styleSheet>')
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<bookViews><workbookView/></bookViews>'
                '<sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>') % escape(sheet_name)
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
               '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
               '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
               '</Relationships>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
            '</Relationships>')
    ctypes = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
              '<Default Extension="xml" ContentType="application/xml"/>'
              '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
              '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
              '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
              '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
              '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
              '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
              '</Types>')
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<dc:creator>%s</dc:creator><cp:lastModifiedBy>%s</cp:lastModifiedBy>'
            '<dcterms:created xsi:type="dcterms:W3CDTF">2026-10-28T07:00:00Z</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-11-01T11:00:00Z</dcterms:modified>'
            '</cp:coreProperties>') % (escape(creator), escape(creator))
    app = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>Microsoft Excel</Application></Properties>')
    parts = [
        ("[Content_Types].xml", ctypes), ("_rels/.rels", rels),
        ("docProps/app.xml", app), ("docProps/core.xml", core),
        ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", wb_rels),
        ("xl/styles.xml", styles), ("xl/sharedStrings.xml", shared),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            z.writestr(info, text.encode("utf-8"), compresslevel=9)
    return buf.getvalue()


HEADER = [("h", "Medlemsnr"), ("h", "Navn"), ("h", "Fødselsnummer"), ("h", "Beløp"),
          ("h", "Sluttdato"), ("h", "Kommentar")]
WIDTHS = [12, 28, 16, 12, 12, 40]


def last_first(name):
    # "Fornavn Etternavn" -> "Etternavn, Fornavn" (first word is the given name here)
    first, last = name.split(" ", 1)
    return "%s, %s" % (last, first)


def list_rows(lines, title=(), name_style="first_last", fnr_as_number=(), total=True,
              member_as_text=False):
    rows = [list(t) for t in title]
    if title:
        rows.append([])
    rows.append(list(HEADER))
    first_data = len(rows) + 1
    for l in lines:
        name = l["name"] if name_style == "first_last" else last_first(l["name"])
        fnr = int(l["national_id"]) if l["national_id"] in fnr_as_number else ("txt", l["national_id"])
        member = None
        if l["member_number"]:
            member = ("txt", l["member_number"]) if member_as_text else int(l["member_number"])
        rows.append([member, name, fnr, ("amt", l["amount"]),
                     ("date", l["end_date"]) if l["end_date"] else None,
                     l["comment"]])
    last_data = len(rows)
    if total:
        rows.append([None, ("b", "Sum"), None,
                     ("sum", sum(l["amount"] for l in lines), "D%d:D%d" % (first_data, last_data)),
                     None, None])
    return rows


def title_block(key, with_number=True, with_org=True, with_eid=True):
    l = lists[key]
    e = employers[l["employer_id"]]
    year, month = l["period"].split("-")
    mnd = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "desember"][int(month) - 1]
    t = [[("b", "Trekkliste %s" % l["list_number"] if with_number
           else "Trekkliste fagforeningskontingent")]]
    t.append(["Arbeidsgiver:", e["name"]])
    if with_eid:
        t.append(["Arbeidsgivernr.:", e["employer_id"]])
    if with_org:
        o = e["org_number"]
        t.append(["Org.nr.:", "%s %s %s" % (o[:3], o[3:6], o[6:])])
    t.append(["Periode:", "%s %s" % (mnd.capitalize(), year)])
    return t


def build_attachments():
    a = {}
    # (a) Havørn: the union's own list, list number in the title block, Sum formula
    a["havorn"] = xlsx_bytes(list_rows(subs["havorn"], title_block("havorn")),
                             sheet_name="Trekkliste", merges=["A1:C1"], widths=WIDTHS,
                             creator="Ingrid Vik")
    # (b) Kvernstua: number in the title block; one national ID stored as a number
    #     (Excel dropped the leading zero); new person without member number
    k = subs["kvernstua"]
    a["kvernstua"] = xlsx_bytes(
        list_rows(k, title_block("kvernstua"), fnr_as_number={k[0]["national_id"]}),
        sheet_name="November", merges=["A1:C1"], widths=WIDTHS, creator="Bjørn Are Tveit")
    # (c) Lysefjord: names as "Etternavn, Fornavn", list number only in the file name,
    #     org number in the title block
    a["lysefjord"] = xlsx_bytes(
        list_rows(subs["lysefjord"], title_block("lysefjord", with_number=False, with_eid=False),
                  name_style="last_first"),
        sheet_name="Ark1", merges=["A1:C1"], widths=WIDTHS, creator="Tone Espeland")
    # (d) Solstad, October: list number in the title block, an end date with a comment
    a["solstad_okt"] = xlsx_bytes(list_rows(subs["solstad_okt"], title_block("solstad_okt")),
                                  sheet_name="Trekkliste", merges=["A1:C1"], widths=WIDTHS,
                                  creator="Per Olav Solstad")
    # (e) Northbound: no list number, no org number, no employer ID – only the sender
    #     identifies it. A bare table (header in row 1), member numbers as text.
    a["northbound"] = xlsx_bytes(list_rows(subs["northbound"], member_as_text=True),
                                 sheet_name="Sheet1", widths=WIDTHS, creator="Rachel Dunmore")
    return a


# --------------------------------------------------------------------------------------
# A scanned PDF: one page, one greyscale image, no text layer at all
# --------------------------------------------------------------------------------------


def scanned_pdf():
    W, H = 620, 877
    px = bytearray([250] * (W * H))
    r = random.Random(SEED + 7)

    def rect(x0, y0, x1, y1, v):
        for y in range(max(0, y0), min(H, y1)):
            row = y * W
            for x in range(max(0, x0), min(W, x1)):
                px[row + x] = v

    def words(x, y, width, height=7):
        # blobs of "ink" that look like a line of handwriting/print at 75 dpi
        end = x + width
        while x < end:
            w = r.randint(8, 34)
            for xx in range(x, min(end, x + w)):
                if r.random() < 0.8:
                    top = y + r.randint(0, 2)
                    rect(xx, top, xx + 1, top + height - r.randint(0, 3), r.randint(30, 90))
            x += w + r.randint(4, 7)

    # a slightly grey, uneven sheet with speckles
    for y in range(0, H, 40):
        rect(0, y, W, y + 40, 250 - (y // 40) % 3)
    for _ in range(900):
        x, y = r.randrange(W), r.randrange(H)
        px[y * W + x] = r.randint(120, 200)
    words(60, 50, 230, 11)          # title
    for i in range(4):
        words(60, 85 + i * 16, 140)  # title block
        words(220, 85 + i * 16, 160)
    top, rows_n, row_h = 170, 15, 22
    cols = [55, 135, 300, 410, 480, 560]
    for i in range(rows_n + 1):
        rect(cols[0], top + i * row_h, cols[-1], top + i * row_h + 1, 60)
    for c in cols:
        rect(c, top, c + 1, top + rows_n * row_h + 1, 60)
    for i in range(rows_n):
        y = top + i * row_h + 8
        for j in range(len(cols) - 1):
            if i > 0 and j == 4 and r.random() < 0.85:
                continue
            words(cols[j] + 6, y, r.randint(25, cols[j + 1] - cols[j] - 12))
    words(380, 560, 150, 12)        # signature
    rect(380, 578, 540, 579, 70)
    img = zlib.compress(bytes(px), 9)

    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
    ]
    content = b"q\n595 0 0 842 0 0 cm\n/Im0 Do\nQ\n"
    objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
                % (W, H, len(img)) + img + b"\nendstream")
    objs.append(b"<< /Producer (Canon iR-ADV C3826 PDF) /Creator (Canon iR-ADV C3826) "
                b"/CreationDate (D:20261109112941+01'00') >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


# --------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def hex_id(n):
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))


def alnum(n, alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def enc_header(text):
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return Header(text, "utf-8", maxlinelen=76, header_name="Subject").encode("\n ")


def addr(name, address):
    return email.utils.formataddr((name, address), charset="utf-8")


def qp(text):
    return quopri.encodestring(text.encode("utf-8")).decode("ascii")


def b64(data):
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def html_of(text):
    paras = escape(text).split("\n")
    return "<div>" + "<br>\n".join(paras) + "</div>"


def text_part(text, cte="quoted-printable", subtype="plain"):
    if cte == "8bit":
        body = text
    else:
        body = qp(text)
    return ('Content-Type: text/%s; charset="UTF-8"\nContent-Transfer-Encoding: %s\n\n%s\n'
            % (subtype, cte, body.rstrip("\n")))


def alternative(text, boundary, cte="quoted-printable"):
    return ('Content-Type: multipart/alternative; boundary="%s"\n\n--%s\n%s\n--%s\n%s\n--%s--\n'
            % (boundary, boundary, text_part(text, cte), boundary,
               text_part(html_of(text), cte, "html"), boundary))


def attachment(filename, ctype, data, style="rfc2047"):
    try:
        filename.encode("ascii")
        fn = 'filename="%s"' % filename
        nm = 'name="%s"' % filename
    except UnicodeEncodeError:
        if style == "rfc2231":
            q = urllib.parse.quote(filename, safe="")
            fn = "filename*=utf-8''%s" % q
            nm = "name*=utf-8''%s" % q
        else:
            h = Header(filename, "utf-8").encode()
            fn = 'filename="%s"' % h
            nm = 'name="%s"' % h
    return ("Content-Type: %s;\n\t%s\nContent-Disposition: attachment;\n\t%s\n"
            "Content-Transfer-Encoding: base64\n\n%s\n" % (ctype, nm, fn, b64(data)))


def mixed(parts, boundary):
    out = 'Content-Type: multipart/mixed; boundary="%s"\n\n' % boundary
    if True:
        out += "This is a multi-part message in MIME format.\n"
    for p in parts:
        out += "\n--%s\n%s" % (boundary, p)
    out += "\n--%s--\n" % boundary
    return out


def received(client_host, client_ip, when_local):
    qid = hex_id(10)
    return ("Received: from %s (%s [%s])\n by mx.union.example (Postfix) with ESMTPS id %s\n"
            " for <%s>; %s\nDelivered-To: %s\n"
            % (client_host, client_host, client_ip, qid, UNION_ADDR,
               email.utils.format_datetime(when_local + dt.timedelta(seconds=3)),
               UNION_ADDR))


def message(client, sender_name, sender, subject, when_local, body_mime, extra=(),
            to=UNION_ADDR):
    """client: outlook | gmail | thunderbird | apple. body_mime starts with Content-Type."""
    h = []
    if client == "outlook":
        host, ip = "EUR05-%s-obe.outbound.protection.outlook.com" % alnum(3, "ABCDEF0123456789"), \
            "203.0.113.%d" % rng.randint(10, 250)
        when = when_local.astimezone(UTC)
        box = "%sPR%02dMB%04d" % (rng.choice(["AM", "DB", "VI", "PA"]), rng.randint(1, 99),
                                   rng.randint(1000, 9999))
        mid = "<%s%s@%s.EURPRD%02d.PROD.OUTLOOK.COM>" % (box, hex_id(24), box, rng.randint(10, 99))
    elif client == "gmail":
        host, ip = "mail-ed1-f%d.google.com" % rng.randint(40, 70), "198.51.100.%d" % rng.randint(10, 250)
        when = when_local
        mid = "<CA%s@mail.gmail.com>" % alnum(44, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_")
    elif client == "thunderbird":
        host, ip = "smtp.%s" % sender.split("@")[1], "192.0.2.%d" % rng.randint(10, 250)
        when = when_local
        u = hex_id(32).lower()
        mid = "<%s-%s-%s-%s-%s@%s>" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:], sender.split("@")[1])
    elif client == "apple":
        host, ip = "smtp.%s" % sender.split("@")[1], "192.0.2.%d" % rng.randint(10, 250)
        when = when_local
        u = hex_id(32)
        mid = "<%s-%s-%s-%s-%s@%s>" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:], sender.split("@")[1])
    else:
        raise ValueError(client)
    h.append(received(host, ip, when_local))
    h.append("Return-Path: <%s>\n" % sender)
    h.append("From: %s\n" % addr(sender_name, sender))
    h.append("To: %s\n" % to)
    h.append("Subject: %s\n" % enc_header(subject))
    h.append("Date: %s\n" % email.utils.format_datetime(when))
    h.append("Message-ID: %s\n" % mid)
    for x in extra:
        h.append(x + "\n")
    if client == "outlook":
        h.append("Accept-Language: nb-NO, en-US\n")
    elif client == "thunderbird":
        h.append("User-Agent: Mozilla Thunderbird\nContent-Language: nb\n")
    elif client == "apple":
        h.append("X-Mailer: Apple Mail (2.3826.600.51.1.5)\n")
    h.append("MIME-Version: 1.0\n")
    raw = "".join(h) + body_mime
    return raw.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


# --------------------------------------------------------------------------------------
# The mailbox
# --------------------------------------------------------------------------------------


def at(day, hh, mm, ss=0):
    return dt.datetime(2026, 11, day, hh, mm, ss, tzinfo=CET)


def expected(kind, outcome, reply, queries=(), flags=(), list_key=None, status=False,
             access=None, note=""):
    return {
        "kind": kind, "outcome": outcome,
        "queries": sorted(queries), "flags": sorted(flags),
        "list_number": lists[list_key]["list_number"] if list_key else None,
        "reply_template": reply,
        "line_status": line_status(list_key) if status else None,
        "access_request": access,
        "note": note,
    }


def build_mailbox():
    att = build_attachments()
    msgs = []  # (name, bytes, expected, date, shows, list_key_for_payment_check)

    # ---- 01 (a) list returned unchanged -------------------------------------------------
    e = employers["A3012"]
    l = lists["havorn"]
    text = ("Hei,\n\nVedlagt trekklisten for november. Ingen endringer denne måneden.\n\n"
            "Med vennlig hilsen\n\nIngrid Vik\nLønnsansvarlig\nHavørn Sjømat AS\n")
    when = at(2, 9, 14, 7)
    b1, b2 = "_004_%s_" % hex_id(40), "_000_%s_" % hex_id(40)
    body = mixed([alternative(text, b2),
                  attachment("Trekkliste november 2026.xlsx", XLSX_CT, att["havorn"])], b1)
    msgs.append(("01-list-unchanged", message(
        "outlook", "Ingrid Vik", "ingrid.vik@havorn-sjomat.example",
        "Trekkliste november", when, body, extra=["Content-Language: nb-NO"]),
        expected("list_submission", "confirmed", "confirmation", list_key="havorn", status=True,
                 note="list number in the title block of the xlsx; every line unchanged"),
        when, "List returned unchanged (list number in the title block)", "havorn"))

    # ---- 02 (b) amount changed without comment + new person ---------------------------
    l = lists["kvernstua"]
    text = ("Hei\n\nVedlagt trekkliste for november.\n\nHilsen\nBjørn Are Tveit\n"
            "Personalavdelingen\nStiftelsen Kvernstua Omsorgssenter\n")
    when = at(3, 13, 42, 31)
    b1, b2 = "0000000000%s" % hex_id(18).lower(), "0000000000%s" % hex_id(18).lower()
    body = mixed([alternative(text, b2),
                  attachment("Trekkliste Kvernstua – november.xlsx", XLSX_CT, att["kvernstua"])], b1)
    msgs.append(("02-list-changed-new-person", message(
        "gmail", "Bjørn Are Tveit", "bjorn.are.tveit@kvernstua.example",
        "Trekkliste november", when, body),
        expected("list_submission", "confirmed", "confirmation", queries=["comment"],
                 flags=["new_person"], list_key="kvernstua", status=True,
                 note="one amount lowered and one new person, neither explained (the body is "
                      "only a cover note): the reply asks for a comment; the new person is "
                      "flagged for staff. One national ID is stored as a number (leading zero "
                      "lost)."),
        when, "One amount changed and one new person, no comments", "kvernstua"))

    # ---- 03 (c) two issued persons missing --------------------------------------------
    l = lists["lysefjord"]
    text = ("Hei,\n\nHer kommer listen vår for november.\n\nVennlig hilsen\nTone Espeland\n"
            "Regnskap og lønn\nLysefjord Elektro AS\n")
    when = at(4, 10, 5, 48)
    b1 = "------------%s" % alnum(24, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    part = text_part(text, "8bit")
    body = mixed([part, attachment("Trekkliste_%s_november.xlsx" % l["list_number"], XLSX_CT,
                                   att["lysefjord"])], b1)
    msgs.append(("03-list-two-missing", message(
        "thunderbird", "Tone Espeland", "tone.espeland@lysefjord-elektro.example",
        "Trekkliste november – Lysefjord Elektro", when, body),
        expected("list_submission", "confirmed", "confirmation", queries=["missing"],
                 list_key="lysefjord", status=True,
                 note="two issued persons (%s, %s) are absent without an end date: the "
                      "reply asks whether they have left and from when. List number only "
                      "in the file name; names written \"Etternavn, Fornavn\"."
                      % tuple(p["name"] for p in missing_lysefjord)),
        when, "Two issued persons missing from the list", "lysefjord"))

    # ---- 04 (d) October list, paid in full 13 days earlier -> too_late ----------------
    l = lists["solstad_okt"]
    laid_off = subs["solstad_okt"][2]["name"]
    text = ("Hei,\n\nBeklager at denne kommer sent. Her er trekklisten for oktober i retur, "
            "med én permittering – se kommentar i listen.\n\nMvh\nPer Olav Solstad\n"
            "Solstad Bygg og Anlegg AS\n")
    when = at(5, 15, 20, 12)
    b1, b2 = "Apple-Mail=_%s" % hex_id(32)[:8] + "-" + hex_id(4), "Apple-Mail=_%s" % hex_id(8)
    body = mixed([alternative(text, b2),
                  attachment("Trekkliste oktober 2026 %s.xlsx" % l["list_number"], XLSX_CT,
                             att["solstad_okt"])], b1)
    msgs.append(("04-list-too-late", message(
        "apple", "Per Olav Solstad", "per.olav.solstad@solstadbygg.example",
        "Trekkliste oktober", when, body),
        expected("list_submission", "too_late", "too_late", list_key="solstad_okt", status=True,
                 note="the October invoice %s (KID %s, %s) was paid in full on 2026-10-23 "
                      "(camt054_20261023.xml), 13 days before this mail: nothing is changed; "
                      "the laid-off person (%s) is commented in the list"
                      % (l["invoice_number"], l["kid"], kr_pretty(l["invoice_amount"]), laid_off)),
        when, "October list arriving after its invoice was paid in full", "solstad_okt"))

    # ---- 05 (e) identified only by the sender, in English ----------------------------
    leaver = subs["northbound"][1]["name"]
    text = ("Hi,\n\nPlease find attached our union dues list for November. One employee, "
            "%s, has resigned and leaves us at the end of the month (see the comment in "
            "the sheet).\n\nKind regards,\nRachel Dunmore\nPayroll & HR\n"
            "Northbound Offshore Catering AS\n" % leaver)
    when = at(6, 8, 55, 40)
    b1, b2 = "_004_%s_" % hex_id(40), "_000_%s_" % hex_id(40)
    body = mixed([alternative(text, b2),
                  attachment("union-dues-november.xlsx", XLSX_CT, att["northbound"])], b1)
    msgs.append(("05-list-english-by-sender", message(
        "outlook", "Rachel Dunmore", "rachel.dunmore@northbound-catering.example",
        "Union dues November", when, body, extra=["Content-Language: en-GB"]),
        expected("list_submission", "confirmed", "confirmation", list_key="northbound",
                 status=True,
                 note="no list number, employer ID or org number anywhere: identified by the "
                      "sender's address (a contact of A3088) and its only open list for "
                      "2026-11. English mail: the reply is in English. The end date is "
                      "commented in the sheet and in the body."),
        when, "List identified only by the sender's address; English mail and reply",
        "northbound"))

    # ---- 06 (f) scanned PDF without text layer ---------------------------------------
    text = ("Hei,\n\nVedlagt signert trekkliste for november for helse og omsorg (skannet).\n\n"
            "Hilsen\nSynnøve Lia\nLønn og personal\nBrattås kommune\n")
    when = at(9, 11, 30, 2)
    b1, b2 = "_004_%s_" % hex_id(40), "_000_%s_" % hex_id(40)
    body = mixed([alternative(text, b2),
                  attachment("Skann_20261109_112941.pdf", "application/pdf", scanned_pdf())], b1)
    msgs.append(("06-list-scanned-pdf", message(
        "outlook", "Synnøve Lia", "synnove.lia@brattas.kommune.example",
        "Trekkliste november – helse og omsorg", when, body,
        extra=["Content-Language: nb-NO"]),
        expected("list_submission", "query_unreadable", "query_unreadable",
                 note="a scanned PDF: one image, no text layer; the reply asks for the list "
                      "as Excel"),
        when, "Scanned PDF with no text layer", None))

    # ---- 07 (g) complete access request -----------------------------------------------
    e = employers["A3012"]
    o = e["org_number"]
    text = ("Hei,\n\nVi ønsker tilgang til Winorg trekksentral, slik at vi kan levere "
            "trekklistene der i stedet for på e-post.\n\n"
            "Firma: Havørn Sjømat AS\nOrg.nr.: %s %s %s\nNavn: Ingrid Vik\n"
            "E-post: ingrid.vik@havorn-sjomat.example\nMobil: 918 27 364\n\n"
            "Med vennlig hilsen\nIngrid Vik\nLønnsansvarlig\nHavørn Sjømat AS\n" % (o[:3], o[3:6], o[6:]))
    when = at(10, 9, 48, 19)
    b2 = "_000_%s_" % hex_id(40)
    body = alternative(text, b2)
    msgs.append(("07-access-request-complete", message(
        "outlook", "Ingrid Vik", "Ingrid.Vik@havorn-sjomat.example",
        "Tilgang til Winorg trekksentral", when, body, extra=["Content-Language: nb-NO"]),
        expected("access_request", "pending_approval", "received_under_review",
                 flags=["access_request"],
                 access={"company_name": "Havørn Sjømat AS", "org_number": o,
                         "requester_name": "Ingrid Vik",
                         "email": "ingrid.vik@havorn-sjomat.example",
                         "mobile": "+4791827364", "missing": []},
                 note="all five fields as labelled lines; the org number belongs to employer "
                      "A3012, so the request is linked to it"),
        when, "Access request with all five fields", None))

    # ---- 08 (h) access request without a mobile number -------------------------------
    org_new = make_org()
    text = ("Hei!\n\nVi har flere ansatte som er medlemmer hos dere, og ønsker å få tilgang "
            "til trekksentralen i Winorg.\n\nFirma: Grøtte Bilverksted AS\nOrg.nr.: %s\n"
            "Kontaktperson: Kjetil Grøtte\nE-post: kjetil@grotte-bil.example\n\n"
            "Hilsen Kjetil\n" % org_new)
    when = at(11, 14, 10, 55)
    b2 = "0000000000%s" % hex_id(18).lower()
    body = alternative(text, b2)
    msgs.append(("08-access-request-no-mobile", message(
        "gmail", "Kjetil Grøtte", "kjetil@grotte-bil.example",
        "Tilgang til trekksentral", when, body),
        expected("access_request", "needs_info", "access_query",
                 access={"company_name": "Grøtte Bilverksted AS", "org_number": org_new,
                         "requester_name": "Kjetil Grøtte", "email": "kjetil@grotte-bil.example",
                         "mobile": None, "missing": ["mobile"]},
                 note="no mobile number anywhere: the reply asks for it; the company is not "
                      "yet an employer in the world files"),
        when, "Access request missing the mobile number", None))

    # ---- 09 (i) out-of-office auto-reply ---------------------------------------------
    text = ("Takk for e-posten din. Jeg er på kurs til og med 18. november og leser ikke "
            "e-post i denne perioden.\nHenvendelser om lønn kan sendes til "
            "regnskap@lysefjord-elektro.example.\n\nTone Espeland\n")
    when = at(12, 10, 0, 4)
    b2 = "_000_%s_" % hex_id(40)
    body = alternative(text, b2)
    msgs.append(("09-out-of-office", message(
        "outlook", "Tone Espeland", "tone.espeland@lysefjord-elektro.example",
        "Automatisk svar: Nye kontingentsatser fra 1. januar 2027", when, body,
        extra=["In-Reply-To: <info-satser-2027.20261112095800@union.example>",
               "References: <info-satser-2027.20261112095800@union.example>",
               "Content-Language: nb-NO",
               "X-Auto-Response-Suppress: All",
               "Auto-Submitted: auto-replied"],
        to=addr(UNION_NAME, UNION_ADDR)),
        expected("auto_reply", "recorded", None,
                 note="out-of-office reply (Auto-Submitted, X-Auto-Response-Suppress): "
                      "recorded, never answered"),
        when, "Out-of-office auto-reply", None))

    # ---- 10 (j) invoice copy, known invoice number -----------------------------------
    l = lists["brattas_tek"]
    text = ("Hei,\n\nKan dere sende oss en kopi av faktura %s? Den ser ikke ut til å ha "
            "kommet fram til fakturamottaket vårt.\n\nHilsen\nSynnøve Lia\nLønn og personal\n"
            "Brattås kommune\n" % l["invoice_number"])
    when = at(13, 12, 25, 37)
    b2 = "_000_%s_" % hex_id(40)
    body = alternative(text, b2)
    msgs.append(("10-invoice-copy", message(
        "outlook", "Synnøve Lia", "synnove.lia@brattas.kommune.example",
        "Kopi av faktura", when, body, extra=["Content-Language: nb-NO"]),
        expected("invoice_copy_request", "answered", "invoice_copy", list_key="brattas_tek",
                 note="names invoice %s, the November invoice of list %s (Brattås kommune has "
                      "two lists this period)" % (l["invoice_number"], l["list_number"])),
        when, "Request for a copy of a known invoice", None))

    # ---- 11 (k) a general question -----------------------------------------------------
    text = ("Hei,\n\nVi får en lærling i januar som vil melde seg inn hos dere. Skal "
            "lærlinger stå på trekklisten fra første måned, og gjelder det en egen sats for "
            "lærlinger?\n\nMvh\nPer Olav Solstad\nSolstad Bygg og Anlegg AS\n")
    when = at(16, 9, 3, 26)
    b2 = "Apple-Mail=_%s" % hex_id(8)
    body = alternative(text, b2)
    msgs.append(("11-question", message(
        "apple", "Per Olav Solstad", "per.olav.solstad@solstadbygg.example",
        "Spørsmål om lærlinger", when, body),
        expected("question", "flagged", "received_under_review", flags=["question"],
                 note="a general question without attachment: flagged for staff, acknowledged"),
        when, "General question", None))
    return msgs


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def check(msgs):
    for e in employers.values():
        assert valid_org(e["org_number"]), e
        assert valid_account(e["account"]), e
    assert valid_org(UNION_ORG) and valid_account(UNION_BBAN)
    for l in lists.values():
        assert valid_kid(l["kid"]), l
        assert l["invoice_amount"] == sum(p["amount"] for p in l["lines"])
        assert 5 <= len(l["lines"]) <= 15
        for p in l["lines"]:
            assert valid_fnr(p["national_id"]), p
            assert int(p["national_id"][2:4]) > 80
    for s in subs.values():
        for p in s:
            assert valid_fnr(p["national_id"])
    assert sum(1 for l in lists.values() if l["period"] == "2026-11") == 7
    # payment timing: only the too_late list has a payment before its mail
    all_payments = [(p["date"], p["list"], p.get("kid", True)) for kind in payments.values()
                    for p in kind]
    last_mail = max(m[3] for m in msgs).date()
    for date, key, has_kid in all_payments:
        if key == "solstad_okt":
            continue
        assert date > last_mail + dt.timedelta(days=3), (date, key)
    too_late = [m for m in msgs if m[2]["outcome"] == "too_late"]
    assert len(too_late) == 1
    paid = sum(p["amount"] for k in payments.values() for p in k if p["list"] == "solstad_okt")
    assert paid == lists["solstad_okt"]["invoice_amount"]
    for p in payments["camt"]:
        if p["list"] == "solstad_okt":
            assert (too_late[0][3].date() - p["date"]).days >= 4
    # mails are in processing order
    dates = [m[3] for m in msgs]
    assert dates == sorted(dates)
    # OCR records
    ocr = next(WORLD.glob("ocr_*.txt")).read_text("iso-8859-1").splitlines()
    assert all(len(r) == 80 and r.startswith("NY") for r in ocr)
    amounts = [int(r[32:49]) for r in ocr if r[6:8] == "30"]
    assert int(ocr[-2][24:41]) == sum(amounts) == int(ocr[-1][24:41])
    assert int(ocr[-2][8:16]) == len(amounts) == int(ocr[-1][8:16])
    assert int(ocr[-2][16:24]) == len(ocr) - 2 and int(ocr[-1][16:24]) == len(ocr)


# --------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------


def outcome_text(x):
    s = "`%s` / `%s`" % (x["kind"], x["outcome"])
    extra = []
    if x["queries"]:
        extra.append("queries " + ", ".join("`%s`" % q for q in x["queries"]))
    if x["flags"]:
        extra.append("flags " + ", ".join("`%s`" % f for f in x["flags"]))
    extra.append("reply `%s`" % x["reply_template"] if x["reply_template"] else "no reply")
    return s + " — " + "; ".join(extra)


def write_readme(msgs):
    rows = ["| file | what it shows | expected outcome |", "|---|---|---|"]
    for name, _, exp, _, shows, _ in msgs:
        rows.append("| `mailbox/%s.eml` | %s | %s |" % (name, shows, outcome_text(exp)))
    solstad = lists["solstad_okt"]
    text = """# Example data

A small world and a mailbox of %d messages for trying trekkpost:
`cargo run --release -- run --once` imports `world/` and processes `mailbox/` in file-name
order; `expected/<name>.json` is what each message must yield (same format as the corpus's
`expected.json`). Everything here is invented; national IDs are synthetic test numbers
(birth month + 80). Regenerate with `python3 scripts/make-examples.py` (deterministic).

`world/` holds 6 employers, 8 lists (7 for 2026-11, one for 2026-10) and payments in all three
forms. The only payment dated before a message about its list is the October invoice of
Solstad Bygg og Anlegg AS (list %s, KID %s, paid 2026-10-23 in `camt054_20261023.xml`),
which makes message 04 `too_late`; all other payments are dated 2026-11-24 or later.

%s
""" % (len(msgs), solstad["list_number"], solstad["kid"], "\n".join(rows))
    write(OUT / "README.md", text)


def main():
    write_world()
    write_camt()
    write_ocr()
    msgs = build_mailbox()
    for name, raw, exp, _, _, _ in msgs:
        write(MAILBOX / (name + ".eml"), raw)
        write(EXPECTED / (name + ".json"),
              json.dumps(exp, ensure_ascii=False, indent=2) + "\n")
    write(OUT / ".gitattributes", "*.eml -text\n*.xlsx binary\n*.pdf binary\n")
    write_readme(msgs)
    check(msgs)
    print("wrote %d messages, %d lists, %d employers under %s"
          % (len(msgs), len(lists), len(employers), OUT))


if __name__ == "__main__":
    main()
