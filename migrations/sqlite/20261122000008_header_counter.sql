-- A webhook's headers are part of what is sent: changing them moves the webhooks counter
-- too, so that in-memory copies of webhooks (the delivery engine's) are read again.
CREATE TRIGGER webhook_headers_counted_insert AFTER INSERT ON webhook_headers
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

CREATE TRIGGER webhook_headers_counted_update AFTER UPDATE ON webhook_headers
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

CREATE TRIGGER webhook_headers_counted_delete AFTER DELETE ON webhook_headers
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
