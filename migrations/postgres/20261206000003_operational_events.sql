-- Operational events: webhooks may listen to Hookline's own objects (webhook.disabled,
-- delivery.dead), and events may be about them (as migrations/sqlite/…_operational_events.sql).

ALTER TABLE webhooks DROP CONSTRAINT webhooks_event_object_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_event_object_check
    CHECK (event_object IN ('phase', 'project', 'user', 'webhook', 'delivery'));
ALTER TABLE events DROP CONSTRAINT events_object_type_check;
ALTER TABLE events ADD CONSTRAINT events_object_type_check
    CHECK (object_type IN ('phase', 'project', 'user', 'webhook', 'delivery'));
