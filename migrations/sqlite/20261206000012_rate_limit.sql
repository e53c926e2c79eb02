-- A webhook's rate limit (requests per second; NULL is none), and the earliest time, in
-- microseconds, its next call may start: the workers of every instance book their calls
-- against it. Booking is not a setting, so it does not move the webhooks counter.
ALTER TABLE webhooks ADD COLUMN rate_limit INTEGER CHECK (rate_limit BETWEEN 1 AND 1000);
ALTER TABLE webhooks ADD COLUMN rate_next_at INTEGER NOT NULL DEFAULT 0;
