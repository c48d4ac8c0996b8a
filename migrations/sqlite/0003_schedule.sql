-- Scheduled mail (SPEC §9). A job run is recorded in the same transaction as the mail it
-- queues, keyed by the cron tick it serves: a restart never runs a tick twice.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,
    tick        TEXT NOT NULL,                 -- RFC 3339 UTC
    ran_at      TEXT NOT NULL,
    mails       INTEGER NOT NULL,
    PRIMARY KEY (job, tick)
);

-- One row per reminder sent about a list or an access request (not per recipient).
CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                 -- reminder_overdue | reminder_needs_info
    subject_key TEXT NOT NULL,                 -- list number or access request id
    tick        TEXT NOT NULL,
    sent_at     TEXT NOT NULL                  -- the job's "as of" time
);
CREATE INDEX reminders_subject ON reminders(kind, subject_key);
