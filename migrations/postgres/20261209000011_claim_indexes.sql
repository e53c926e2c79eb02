-- Claims take queued deliveries in the order they fall due, and deliveries whose lease ran
-- out in the order it did: one index for each, walked in order, so that a claim reads
-- about as many rows as it takes however long the queue. The index over both, which a
-- claim had to read whole and sort, goes.
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_leased ON deliveries (locked_until, id) WHERE status = 'in_flight';
DROP INDEX deliveries_due;
