-- API tokens: a name, scopes, an optional expiry, tied to the user whose rights bound it.
-- Only the SHA-256 of the token is stored; the token itself is shown once at creation.

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    -- The first characters of the token, so that a user can tell their tokens apart.
    prefix       TEXT    NOT NULL,
    -- Space-separated scope codes, e.g. 'webhooks.read webhooks.write'.
    scopes       TEXT    NOT NULL,
    expires_at   INTEGER,
    created_at   INTEGER NOT NULL,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
