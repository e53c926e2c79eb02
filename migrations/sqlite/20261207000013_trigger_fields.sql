-- Field-change triggers: a modification fires the webhook only when it changes one of these
-- fields (names as in changedFields, comma-separated; empty for any detail field).
ALTER TABLE webhooks ADD COLUMN trigger_fields TEXT NOT NULL DEFAULT '';
