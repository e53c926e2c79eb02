-- A counter per table that changes whenever the table does, whoever writes it (this process,
-- another instance, the command line). Readers keep in-memory views and rebuild them when
-- the counter moves.
CREATE TABLE change_counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO change_counters (name, value) VALUES ('webhooks', 0);

CREATE TRIGGER webhooks_counted_insert AFTER INSERT ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

CREATE TRIGGER webhooks_counted_update AFTER UPDATE ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

CREATE TRIGGER webhooks_counted_delete AFTER DELETE ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
