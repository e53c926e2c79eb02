-- The delivery engine: leases on claimed deliveries, per-object ordering, attempts, and
-- signing-secret rotation.

-- status: pending (queued, or failed and waiting for its retry), in_flight (claimed under a
-- lease), delivered, dead (out of tries), cancelled.
ALTER TABLE deliveries ADD COLUMN locked_until INTEGER;
-- "project:12": deliveries of one webhook for one object go out in order.
ALTER TABLE deliveries ADD COLUMN object_key TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN last_error TEXT;
ALTER TABLE deliveries ADD COLUMN completed_at INTEGER;
CREATE INDEX deliveries_order ON deliveries (webhook_id, object_key, id) WHERE status IN ('pending', 'in_flight');

CREATE TABLE delivery_attempts (
    id               INTEGER PRIMARY KEY,
    delivery_id      INTEGER REFERENCES deliveries (id) ON DELETE CASCADE,
    webhook_id       INTEGER NOT NULL,
    attempt_no       INTEGER NOT NULL,
    trigger          TEXT    NOT NULL CHECK (trigger IN ('scheduled', 'manual', 'test', 'synchronous')),
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    request_method   TEXT    NOT NULL,
    request_url      TEXT    NOT NULL,
    -- JSON list of [name, value]; secret values masked.
    request_headers  TEXT    NOT NULL,
    request_body     TEXT    NOT NULL,
    response_status  INTEGER,
    response_headers TEXT,
    -- At most 20 KB.
    response_body    TEXT,
    -- dns, connect, timeout, tls, refused, http, other; NULL on success.
    error_kind       TEXT,
    error_message    TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at);

-- During a rotation the previous secret keeps signing, beside the new one, until it expires.
ALTER TABLE webhooks ADD COLUMN previous_signing_secret TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at INTEGER;
-- Why Hookline turned the webhook off by itself (a 410 Gone), shown on the webhook.
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
