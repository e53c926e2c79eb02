-- Whole versions in the history (as migrations/sqlite/…_history_versions.sql).
ALTER TABLE webhook_history ADD COLUMN settings TEXT;
