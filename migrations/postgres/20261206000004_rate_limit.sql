-- A webhook's rate limit (as migrations/sqlite/…_rate_limit.sql).
ALTER TABLE webhooks ADD COLUMN rate_limit BIGINT CHECK (rate_limit BETWEEN 1 AND 1000);
ALTER TABLE webhooks ADD COLUMN rate_next_at BIGINT NOT NULL DEFAULT 0;
