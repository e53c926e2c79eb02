-- Operations: delivery search and the circuit breaker.

-- Delivery search pages newest first (by id) within a state, an object or a time range.
CREATE INDEX deliveries_state ON deliveries (status, id);
CREATE INDEX deliveries_object ON deliveries (object_key, id);
CREATE INDEX deliveries_created ON deliveries (created_at, id);
-- Deliveries with an attempt answered 5xx, or failed by timeout, when those are few.
CREATE INDEX delivery_attempts_status ON delivery_attempts (response_status, delivery_id);
CREATE INDEX delivery_attempts_kind ON delivery_attempts (error_kind, delivery_id);
-- A webhook's health: its attempts over the last day and week.
CREATE INDEX delivery_attempts_webhook ON delivery_attempts (webhook_id, started_at);

-- The current run of failed attempts of each webhook: since when, and how many. A success
-- ends it; a run long and old enough turns the webhook off (HOOKLINE_AUTO_DISABLE_*).
ALTER TABLE webhooks ADD COLUMN failing_since INTEGER;
ALTER TABLE webhooks ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0;
