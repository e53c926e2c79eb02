-- Field-change triggers (as migrations/sqlite/…_trigger_fields.sql).
ALTER TABLE webhooks ADD COLUMN trigger_fields TEXT NOT NULL DEFAULT '';
