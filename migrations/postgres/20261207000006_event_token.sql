-- The cause of every call (as migrations/sqlite/…_event_token.sql).
ALTER TABLE events ADD COLUMN initiator_token TEXT;
