-- Delivery outcomes (Last execution, Last status) change far more often than webhooks do.
-- They get their own counter and a per-row sequence, so that the in-memory webhook list
-- refreshes just those columns of just the rows that changed, instead of being rebuilt.

DROP TRIGGER webhooks_counted_update;
CREATE TRIGGER webhooks_counted_update AFTER UPDATE OF
    wording, description, active, url, verb, body, synchronous, in_transaction, event_action,
    event_object, project_filter_id, second_label, initiator_user_id, excluded_fields,
    exclude_payload, valid_until, signing_secret, version, created_at, updated_at, project_id,
    values_as_strings, previous_signing_secret, previous_secret_expires_at, disabled_reason
ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

INSERT INTO change_counters (name, value) VALUES ('webhook_status', 0);
ALTER TABLE webhooks ADD COLUMN status_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX webhooks_status_seq ON webhooks (status_seq);

CREATE TRIGGER webhooks_status_counted AFTER UPDATE OF last_execution_at, last_status ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhook_status';
    UPDATE webhooks SET status_seq = (SELECT value FROM change_counters WHERE name = 'webhook_status')
    WHERE id = NEW.id;
END;
