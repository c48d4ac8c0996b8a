-- Several daemons may share one database. A daemon works on a message or an outbox row only
-- while it holds the row's lease; a lease that runs out (its daemon died) is taken over.
ALTER TABLE messages ADD COLUMN lease_owner TEXT;
ALTER TABLE messages ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
