-- Foundation: settings, users, roles and rights, signed-in sessions, sign-in throttling.
-- Times are Unix milliseconds (UTC).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    email                TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    display_name         TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    -- Monotonic per object, so receivers of user events can order changes.
    change_version       INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

-- kind: 'administrator' holds every right, present and future; 'builtin' roles are read-only;
-- 'custom' roles are made by administrators.
CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL DEFAULT 'custom' CHECK (kind IN ('administrator', 'builtin', 'custom'))
);

CREATE TABLE role_rights (
    role_id    INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    right_code TEXT    NOT NULL,
    PRIMARY KEY (role_id, right_code)
) WITHOUT ROWID;

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;
CREATE INDEX user_roles_role ON user_roles (role_id);

-- A signed-in session. The browser holds the token inside an encrypted cookie; only its
-- SHA-256 is stored, so a copy of the database cannot be used to take over a session.
CREATE TABLE auth_sessions (
    token_hash   BLOB    PRIMARY KEY NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

-- Keyed by the email as typed (lower-cased), whether or not an account has it, so that
-- throttling behaves the same for unknown addresses and reveals nothing.
CREATE TABLE sign_in_throttle (
    email           TEXT    PRIMARY KEY NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    blocked_until   INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO roles (id, name, description, kind) VALUES
    (1, 'Administrator', 'Every right, including those added in later versions.', 'administrator'),
    (2, 'Webhook manager', 'Creates, modifies, deletes and tests webhooks; watches and acts on pending orders.', 'builtin'),
    (3, 'Viewer', 'Sees webhooks, their history and pending orders; changes nothing.', 'builtin');

INSERT INTO role_rights (role_id, right_code) VALUES
    (2, 'webhooks.view'), (2, 'webhooks.create'), (2, 'webhooks.modify'), (2, 'webhooks.delete'),
    (2, 'pending_orders.view'), (2, 'pending_orders.manage'),
    (3, 'webhooks.view'), (3, 'pending_orders.view');
