-- The queue's indexes hold only what is still to go, and lead with the object.
--
-- A change's deliveries check that no earlier delivery of the same webhook for the same
-- object is still queued. PostgreSQL may run that check as one lookup by object for all
-- the change's webhooks at once; with the webhook first in the index, that lookup read the
-- whole index, dead entries included, and grew with the queue's history. Led by the object,
-- both ways of running it go straight to the few entries of that object.
DROP INDEX deliveries_order;
CREATE INDEX deliveries_order ON deliveries (object_key, webhook_id, id)
    WHERE status IN ('pending', 'in_flight');

-- Claims look only at queued and claimed deliveries; a delivered one no longer gets an
-- entry here when it is settled.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)
    WHERE status IN ('pending', 'in_flight');
