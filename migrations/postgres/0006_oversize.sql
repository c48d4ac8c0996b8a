-- A message over imap.max_message_bytes is not read: only its header is stored. These columns
-- say so, with its size and the limit then in force; the pipeline reads them (never the stored
-- text, which an employer could have written) and quarantines the message with a reply.
ALTER TABLE messages ADD COLUMN oversize_bytes BIGINT;
ALTER TABLE messages ADD COLUMN oversize_limit BIGINT;
