-- Operations: delivery search and the circuit breaker (as migrations/sqlite/…_operations.sql).

CREATE INDEX deliveries_state ON deliveries (status, id);
CREATE INDEX deliveries_object ON deliveries (object_key, id);
CREATE INDEX deliveries_created ON deliveries (created_at, id);
-- Deliveries with an attempt answered 5xx, or failed by timeout, when those are few.
CREATE INDEX delivery_attempts_status ON delivery_attempts (response_status, delivery_id);
CREATE INDEX delivery_attempts_kind ON delivery_attempts (error_kind, delivery_id);
-- A webhook's health: its attempts over the last day and week.
CREATE INDEX delivery_attempts_webhook ON delivery_attempts (webhook_id, started_at);

ALTER TABLE webhooks ADD COLUMN failing_since BIGINT;
ALTER TABLE webhooks ADD COLUMN failure_count BIGINT NOT NULL DEFAULT 0;
