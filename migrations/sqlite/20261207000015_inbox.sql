-- The built-in inbox: each person's address (<public URL>/inbox/<key>), and the last
-- requests it received, kept at 100 per inbox.
CREATE TABLE inboxes (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key     TEXT    NOT NULL UNIQUE
);
CREATE TABLE inbox_requests (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES inboxes (user_id) ON DELETE CASCADE,
    received_at INTEGER NOT NULL,
    -- The webhook that sent it, when known: a call made by Hookline itself.
    webhook_id  INTEGER,
    method      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    headers     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    -- Whether webhook-signature verifies with the webhook's secret; NULL when no webhook is known.
    verified    INTEGER CHECK (verified IN (0, 1))
);
CREATE INDEX inbox_requests_user ON inbox_requests (user_id, id);
