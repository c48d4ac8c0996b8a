-- Several daemons may share one database. A daemon works on a message or an outbox row only
-- while it holds the row's lease; a lease that runs out (its daemon died) is taken over.
ALTER TABLE messages ADD COLUMN lease_owner TEXT COLLATE "C";
ALTER TABLE messages ADD COLUMN lease_until TEXT COLLATE "C";
ALTER TABLE outbox ADD COLUMN lease_owner TEXT COLLATE "C";
ALTER TABLE outbox ADD COLUMN lease_until TEXT COLLATE "C";
