-- Webhooks, their headers, their append-only history, and saved filters of the list.

CREATE TABLE webhooks (
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
    event_object       TEXT    NOT NULL CHECK (event_object IN ('phase', 'project', 'user')),
    -- A saved project filter (the table comes with projects); NULL means All projects.
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
    updated_at         INTEGER NOT NULL
);
CREATE INDEX webhooks_wording ON webhooks (wording COLLATE NOCASE, id);
CREATE INDEX webhooks_event ON webhooks (event_object, event_action, active);

CREATE TABLE webhook_headers (
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    secret     INTEGER NOT NULL DEFAULT 0 CHECK (secret IN (0, 1)),
    PRIMARY KEY (webhook_id, position)
) WITHOUT ROWID;

-- Every change to every webhook. No foreign key: the history of a deleted webhook stays.
-- Each entry's hash covers the previous entry's hash and its own content, so any edit made
-- behind the triggers' back breaks the chain (`hookline audit verify`).
CREATE TABLE webhook_history (
    id          INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('created', 'modified', 'activated', 'deactivated', 'deleted', 'tested')),
    wording     TEXT    NOT NULL,
    changes     TEXT    NOT NULL,
    prev_hash   BLOB    NOT NULL,
    hash        BLOB    NOT NULL
);
CREATE INDEX webhook_history_webhook ON webhook_history (webhook_id, id);

CREATE TRIGGER webhook_history_no_update BEFORE UPDATE ON webhook_history
BEGIN
    SELECT RAISE(ABORT, 'webhook history is append-only');
END;

CREATE TRIGGER webhook_history_no_delete BEFORE DELETE ON webhook_history
BEGIN
    SELECT RAISE(ABORT, 'webhook history is append-only');
END;

-- Saved criteria for the webhook list: private to their owner, or public.
CREATE TABLE webhook_list_filters (
    id        INTEGER PRIMARY KEY,
    owner_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name      TEXT    NOT NULL,
    public    INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
    criteria  TEXT    NOT NULL,
    UNIQUE (owner_id, name)
);

-- The filter a user has active on the webhook list; it outlives sign-out.
CREATE TABLE webhook_list_active_filter (
    user_id   INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    filter_id INTEGER REFERENCES webhook_list_filters (id) ON DELETE SET NULL,
    criteria  TEXT    NOT NULL
);
