-- Staff triage web UI (SPEC §8): accounts, sessions, and what staff decide.

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,            -- lower-case
    password_hash TEXT NOT NULL,                   -- Argon2id PHC string
    active        INTEGER NOT NULL DEFAULT 1,      -- 0: disabled, cannot log in
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A session is known by the SHA-256 of its cookie value: a copy of the database gives no
-- usable session. The CSRF token is the synchronizer token every form of the session carries.
CREATE TABLE staff_sessions (
    token_sha256  TEXT PRIMARY KEY,
    staff_id      INTEGER NOT NULL REFERENCES staff(id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions(staff_id);

-- Staff moved a mail to another list: this wins over what the pipeline identified, also
-- after a re-run.
CREATE TABLE staff_list_overrides (
    message       INTEGER PRIMARY KEY REFERENCES messages(id),
    list_number   TEXT NOT NULL REFERENCES lists(list_number),
    decided_by    TEXT NOT NULL,
    decided_at    TEXT NOT NULL,
    note          TEXT
);

-- While staff re-run a message, the replies its new outcome queues are held (not sent):
-- staff already talk to the sender and send a reply themselves when one is needed.
CREATE TABLE rerun_holds (
    message       INTEGER PRIMARY KEY REFERENCES messages(id),
    since         TEXT NOT NULL
);
CREATE TRIGGER outbox_hold_rerun AFTER INSERT ON outbox
WHEN NEW.message IN (SELECT message FROM rerun_holds)
BEGIN
    UPDATE outbox SET state = 'held', last_error = 'held: re-run by staff' WHERE id = NEW.id;
END;
