-- transport (PostgreSQL; the same tables as migrations/sqlite/0002_transport.sql): the IMAP
-- mailbox's position, the SMTP send journal, and health for `status`.

-- Per mailbox: UIDVALIDITY and the highest UID taken. A new UIDVALIDITY makes the stored
-- UIDs meaningless; messages are then recognised by content (raw_messages.sha256).
CREATE TABLE imap_state (
    mailbox      TEXT COLLATE "C" PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid     BIGINT NOT NULL,
    updated_at   TEXT COLLATE "C" NOT NULL
);

-- One row per outbox row whose sending began: `started` before the SMTP transaction,
-- `accepted` once the server took it. A crash leaves `started` (in doubt: the copy to our
-- own mailbox decides) or `accepted` (sent: only the outbox row was not updated yet).
CREATE TABLE smtp_journal (
    outbox_id   BIGINT PRIMARY KEY REFERENCES outbox(id),
    state       TEXT COLLATE "C" NOT NULL,             -- started | accepted
    started_at  TEXT COLLATE "C" NOT NULL,
    accepted_at TEXT COLLATE "C"
);

-- What the daemon last knew of its connections (`trekkpost status`).
CREATE TABLE transport_status (
    name        TEXT COLLATE "C" PRIMARY KEY,          -- source | sink
    connected   BIGINT NOT NULL,
    last_poll   TEXT COLLATE "C",
    waiting     BIGINT,
    last_error  TEXT COLLATE "C",
    updated_at  TEXT COLLATE "C" NOT NULL
);
