-- transport: the IMAP mailbox's position, the SMTP send journal, and health for `status`.

-- Per mailbox: UIDVALIDITY and the highest UID taken. A new UIDVALIDITY makes the stored
-- UIDs meaningless; messages are then recognised by content (raw_messages.sha256).
CREATE TABLE imap_state (
    mailbox      TEXT PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TEXT NOT NULL
);

-- One row per outbox row whose sending began: `started` before the SMTP transaction,
-- `accepted` once the server took it. A crash leaves `started` (in doubt: the copy to our
-- own mailbox decides) or `accepted` (sent: only the outbox row was not updated yet).
CREATE TABLE smtp_journal (
    outbox_id   INTEGER PRIMARY KEY REFERENCES outbox(id),
    state       TEXT NOT NULL,             -- started | accepted
    started_at  TEXT NOT NULL,
    accepted_at TEXT
);

-- What the daemon last knew of its connections (`trekkpost status`).
CREATE TABLE transport_status (
    name        TEXT PRIMARY KEY,          -- source | sink
    connected   INTEGER NOT NULL,
    last_poll   TEXT,
    waiting     INTEGER,
    last_error  TEXT,
    updated_at  TEXT NOT NULL
);
