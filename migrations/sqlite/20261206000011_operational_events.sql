-- no-transaction
-- Operational events: webhooks may listen to Hookline's own objects (webhook.disabled,
-- delivery.dead), and events may be about them. SQLite cannot change a CHECK constraint in
-- place, so both tables are built again as SQLite's documentation prescribes: foreign keys
-- off around one transaction (dropping a parent table would otherwise cascade), and the
-- legacy rename, which leaves the other tables' references to the name as they are.
PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
BEGIN IMMEDIATE;

CREATE TABLE webhooks_widened (
    id                 INTEGER PRIMARY KEY,
    wording            TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    url                TEXT    NOT NULL,
    verb               TEXT    NOT NULL CHECK (verb IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
    body               TEXT    NOT NULL DEFAULT '',
    synchronous        INTEGER NOT NULL DEFAULT 0 CHECK (synchronous IN (0, 1)),
    in_transaction     INTEGER NOT NULL DEFAULT 0 CHECK (in_transaction = 0 OR synchronous = 1),
    event_action       TEXT    NOT NULL CHECK (event_action IN ('all', 'create', 'modify', 'delete')),
    event_object       TEXT    NOT NULL CHECK (event_object IN ('phase', 'project', 'user', 'webhook', 'delivery')),
    -- A saved project filter; NULL means All projects.
    project_filter_id  INTEGER,
    second_label       TEXT,
    initiator_user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    excluded_fields    TEXT    NOT NULL DEFAULT '',
    exclude_payload    INTEGER NOT NULL DEFAULT 0 CHECK (exclude_payload IN (0, 1)),
    -- Last day the webhook fires (YYYY-MM-DD, inclusive); NULL never expires.
    valid_until        TEXT,
    signing_secret     TEXT    NOT NULL,
    -- Optimistic concurrency: an update names the version it was made from.
    version            INTEGER NOT NULL DEFAULT 1,
    last_execution_at  INTEGER,
    last_status        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    project_id         INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    values_as_strings  INTEGER NOT NULL DEFAULT 0 CHECK (values_as_strings IN (0, 1)),
    previous_signing_secret    TEXT,
    previous_secret_expires_at INTEGER,
    disabled_reason    TEXT,
    status_seq         INTEGER NOT NULL DEFAULT 0,
    failing_since      INTEGER,
    failure_count      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO webhooks_widened (id, wording, description, active, url, verb, body, synchronous,
    in_transaction, event_action, event_object, project_filter_id, second_label,
    initiator_user_id, excluded_fields, exclude_payload, valid_until, signing_secret, version,
    last_execution_at, last_status, created_at, updated_at, project_id, values_as_strings,
    previous_signing_secret, previous_secret_expires_at, disabled_reason, status_seq,
    failing_since, failure_count)
SELECT id, wording, description, active, url, verb, body, synchronous,
    in_transaction, event_action, event_object, project_filter_id, second_label,
    initiator_user_id, excluded_fields, exclude_payload, valid_until, signing_secret, version,
    last_execution_at, last_status, created_at, updated_at, project_id, values_as_strings,
    previous_signing_secret, previous_secret_expires_at, disabled_reason, status_seq,
    failing_since, failure_count
FROM webhooks;
DROP TABLE webhooks;
ALTER TABLE webhooks_widened RENAME TO webhooks;

CREATE INDEX webhooks_wording ON webhooks (wording COLLATE NOCASE, id);
CREATE INDEX webhooks_event ON webhooks (event_object, event_action, active);
CREATE INDEX webhooks_status_seq ON webhooks (status_seq);
CREATE TRIGGER webhooks_counted_insert AFTER INSERT ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
CREATE TRIGGER webhooks_counted_delete AFTER DELETE ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
CREATE TRIGGER webhooks_counted_update AFTER UPDATE OF
    wording, description, active, url, verb, body, synchronous, in_transaction, event_action,
    event_object, project_filter_id, second_label, initiator_user_id, excluded_fields,
    exclude_payload, valid_until, signing_secret, version, created_at, updated_at, project_id,
    values_as_strings, previous_signing_secret, previous_secret_expires_at, disabled_reason
ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
CREATE TRIGGER webhooks_status_counted AFTER UPDATE OF last_execution_at, last_status ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhook_status';
    UPDATE webhooks SET status_seq = (SELECT value FROM change_counters WHERE name = 'webhook_status')
    WHERE id = NEW.id;
END;

CREATE TABLE events_widened (
    id                INTEGER PRIMARY KEY,
    event_id          TEXT    NOT NULL UNIQUE,
    event_type        TEXT    NOT NULL,
    object_type       TEXT    NOT NULL CHECK (object_type IN ('phase', 'project', 'user', 'webhook', 'delivery')),
    object_id         INTEGER NOT NULL,
    parent_type       TEXT,
    parent_id         INTEGER,
    -- The project the event concerns (itself, or a phase's project), for project filters.
    project_id        INTEGER,
    -- A phase event also carries its project's id, code and name, for placeholders.
    parent_attributes TEXT,
    attributes        TEXT,
    before_attributes TEXT,
    changes           TEXT    NOT NULL,
    initiator_id      INTEGER,
    initiator_name    TEXT    NOT NULL,
    initiator_email   TEXT    NOT NULL,
    occurred_at       INTEGER NOT NULL,
    change_version    INTEGER NOT NULL
);
INSERT INTO events_widened (id, event_id, event_type, object_type, object_id, parent_type,
    parent_id, project_id, parent_attributes, attributes, before_attributes, changes,
    initiator_id, initiator_name, initiator_email, occurred_at, change_version)
SELECT id, event_id, event_type, object_type, object_id, parent_type,
    parent_id, project_id, parent_attributes, attributes, before_attributes, changes,
    initiator_id, initiator_name, initiator_email, occurred_at, change_version
FROM events;
DROP TABLE events;
ALTER TABLE events_widened RENAME TO events;
CREATE INDEX events_object ON events (object_type, object_id, change_version);

-- Whoever holds the webhooks in memory reads them again.
UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';

COMMIT;
PRAGMA legacy_alter_table = OFF;
PRAGMA foreign_keys = ON;
