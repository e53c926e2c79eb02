-- The cause of every call: the API token a change came through, by name (NULL on screen).
ALTER TABLE events ADD COLUMN initiator_token TEXT;
