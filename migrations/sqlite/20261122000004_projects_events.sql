-- Projects and phases, saved project filters, the events that changes record, the deliveries
-- (outbox) that matching writes in the same transaction, and the application log.

CREATE TABLE projects (
    id             INTEGER PRIMARY KEY,
    code           TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL,
    manager_id     INTEGER REFERENCES users (id) ON DELETE RESTRICT,
    start_date     TEXT,
    finish_date    TEXT,
    budget         INTEGER,
    priority       INTEGER,
    change_version INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE phases (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    name           TEXT    NOT NULL,
    start_date     TEXT,
    finish_date    TEXT,
    status         TEXT    NOT NULL,
    progress       INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    change_version INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX phases_project ON phases (project_id);

-- Saved criteria over project fields (JSON list, combined with AND).
CREATE TABLE project_filters (
    id        INTEGER PRIMARY KEY,
    owner_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name      TEXT    NOT NULL,
    public    INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
    criteria  TEXT    NOT NULL,
    UNIQUE (owner_id, name)
);

-- A webhook's project filter and single-project filter, and the strings-only payload option.
ALTER TABLE webhooks ADD COLUMN project_id INTEGER REFERENCES projects (id) ON DELETE SET NULL;
ALTER TABLE webhooks ADD COLUMN values_as_strings INTEGER NOT NULL DEFAULT 0 CHECK (values_as_strings IN (0, 1));

-- One row per change, written in the change's own transaction.
CREATE TABLE events (
    id                INTEGER PRIMARY KEY,
    event_id          TEXT    NOT NULL UNIQUE,
    event_type        TEXT    NOT NULL,
    object_type       TEXT    NOT NULL CHECK (object_type IN ('phase', 'project', 'user')),
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
CREATE INDEX events_object ON events (object_type, object_id, change_version);

-- The outbox: one delivery per event × matching webhook. The message id stays the same
-- across retries, so receivers can de-duplicate.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    webhook_id      INTEGER NOT NULL,
    message_id      TEXT    NOT NULL UNIQUE,
    mode            TEXT    NOT NULL CHECK (mode IN ('async', 'sync', 'sync_tx')),
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);

-- Operator-visible events: hooks over the per-action cap, delivery errors, disabled hooks.
CREATE TABLE app_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    level      TEXT    NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    kind       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    webhook_id INTEGER,
    event_id   INTEGER
);
CREATE INDEX app_log_at ON app_log (at);
