-- Several daemons on one mailbox: before a daemon files a message (or a copy of one of our
-- replies) out of the inbox it claims the filing here, so two daemons never move the same
-- mail at once (a server may then file it twice). A claim whose holder died runs out.
CREATE TABLE filing_claims (
    key     TEXT PRIMARY KEY,   -- message:<sha256 of the stored bytes> | copy:<Message-ID>
    owner   TEXT NOT NULL,
    until   TEXT NOT NULL
);
