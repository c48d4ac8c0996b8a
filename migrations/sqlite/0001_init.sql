-- trekkpost store, SQLite. Money is integer øre; dates are ISO text; times are RFC 3339 UTC.

CREATE TABLE employers (
    employer_id     TEXT PRIMARY KEY,
    org_number      TEXT NOT NULL,
    name            TEXT NOT NULL,
    contact_emails  TEXT NOT NULL,          -- comma-separated, lower-case
    invoice_email   TEXT,
    uses_winorg     INTEGER NOT NULL
);
CREATE INDEX employers_org ON employers(org_number);

-- Issued lists; each carries its invoice (one invoice per list).
CREATE TABLE lists (
    list_number         TEXT PRIMARY KEY,
    employer_id         TEXT NOT NULL REFERENCES employers(employer_id),
    period              TEXT NOT NULL,
    issued_date         TEXT NOT NULL,
    due_date            TEXT NOT NULL,
    invoice_number      TEXT NOT NULL,
    kid                 TEXT NOT NULL,
    invoice_amount_ore  INTEGER NOT NULL,
    -- set when a submission was confirmed: a later one is `already_submitted`
    submitted_message   INTEGER REFERENCES messages(id),
    submitted_total_ore INTEGER,
    payment_status      TEXT                   -- null | reconciled | mismatch
);
CREATE INDEX lists_employer ON lists(employer_id, period);
CREATE INDEX lists_invoice ON lists(invoice_number);
CREATE INDEX lists_kid ON lists(kid);

CREATE TABLE list_lines (
    list_number     TEXT NOT NULL REFERENCES lists(list_number),
    member_number   TEXT NOT NULL,
    name            TEXT NOT NULL,
    national_id     TEXT,
    amount_ore      INTEGER NOT NULL,
    PRIMARY KEY (list_number, member_number)
);
CREATE INDEX list_lines_nid ON list_lines(national_id);

CREATE TABLE payments (
    source_ref      TEXT PRIMARY KEY,          -- stable per payment: re-imports are harmless
    payment_date    TEXT NOT NULL,
    amount_ore      INTEGER NOT NULL,
    kid             TEXT,
    payer_account   TEXT,
    payer_name      TEXT,
    reference       TEXT,
    format          TEXT NOT NULL,
    list_number     TEXT REFERENCES lists(list_number)   -- by KID, or by employer + amount
);
CREATE INDEX payments_list ON payments(list_number);

-- Files of reference data already imported (by content), so the import folder is idempotent.
CREATE TABLE imports (
    sha256      TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);

-- Raw messages, content-addressed and never altered.
CREATE TABLE raw_messages (
    sha256  TEXT PRIMARY KEY,
    bytes   BLOB NOT NULL
);

CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    token       TEXT UNIQUE,                   -- e.g. TL-245965, AR-4
    created_at  TEXT NOT NULL
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    sha256          TEXT NOT NULL UNIQUE REFERENCES raw_messages(sha256),
    message_id      TEXT,                      -- header, without <>
    source          TEXT NOT NULL,             -- file name or IMAP UID
    arrival         TEXT,                      -- Date header / INTERNALDATE
    stored_at       TEXT NOT NULL,
    state           TEXT NOT NULL,             -- stored | done
    from_address    TEXT,
    subject         TEXT,
    conversation_id INTEGER REFERENCES conversations(id),
    kind            TEXT,
    lang            TEXT,
    outcome         TEXT,
    list_number     TEXT,
    reply_template  TEXT,
    access_request_id INTEGER REFERENCES access_requests(id),
    report_json     TEXT,                      -- the report row as decided
    processed_at    TEXT
);
CREATE INDEX messages_mid ON messages(message_id);
CREATE INDEX messages_state ON messages(state, id);

-- Message-IDs a conversation is known by: incoming mails and our own replies.
CREATE TABLE conversation_ids (
    message_id      TEXT PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id)
);

CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    message     INTEGER NOT NULL REFERENCES messages(id),
    file_name   TEXT,
    content_type TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    readable    INTEGER,
    reason      TEXT,
    parsed_json TEXT                           -- header fields and warnings of the parse
);

CREATE TABLE parsed_lines (
    id              INTEGER PRIMARY KEY,
    message         INTEGER NOT NULL REFERENCES messages(id),
    attachment      INTEGER NOT NULL REFERENCES attachments(id),
    sheet           TEXT NOT NULL,
    row_number      INTEGER NOT NULL,
    national_id     TEXT,
    birth_date      TEXT,
    name            TEXT,
    member_number   TEXT,
    employee_number TEXT,
    amount_ore      INTEGER,
    end_date        TEXT,
    comment         TEXT,
    match_status    TEXT,                      -- unchanged | amount_changed | ended | new_person
    matched_member  TEXT                       -- issued line's member number
);
CREATE INDEX parsed_lines_message ON parsed_lines(message);

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    message     INTEGER REFERENCES messages(id),
    kind        TEXT NOT NULL,
    detail      TEXT,
    status      TEXT NOT NULL DEFAULT 'open',  -- open | resolved
    created_at  TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    note        TEXT
);
CREATE INDEX flags_open ON flags(status, kind);

CREATE TABLE access_requests (
    id              INTEGER PRIMARY KEY,
    org_number      TEXT,
    email           TEXT,
    company_name    TEXT,
    requester_name  TEXT,
    mobile          TEXT,
    missing         TEXT NOT NULL,             -- JSON array
    status          TEXT NOT NULL,             -- needs_info | pending_approval | approved | rejected
    employer_id     TEXT REFERENCES employers(employer_id),
    conversation_id INTEGER REFERENCES conversations(id),
    first_message   INTEGER REFERENCES messages(id),
    last_message    INTEGER REFERENCES messages(id),
    decided_by      TEXT,
    decided_at      TEXT,
    reason          TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX access_requests_key ON access_requests(org_number, email);

-- Durable outbox: written in the same transaction as the outcome that caused it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message         INTEGER REFERENCES messages(id),
    template        TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,      -- fixed per row: a retried send is recognisable
    eml             BLOB NOT NULL,
    state           TEXT NOT NULL,             -- pending | sent | dead | held | bounced
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_to ON outbox(to_address, created_at);

CREATE TABLE undeliverable_addresses (
    address     TEXT PRIMARY KEY,
    reason      TEXT,
    since       TEXT NOT NULL
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,                     -- 'system' or a staff e-mail
    action  TEXT NOT NULL,
    subject TEXT,                              -- what it acted on, e.g. message:12
    before  TEXT,
    after   TEXT
);
