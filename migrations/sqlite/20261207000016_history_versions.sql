-- Each history entry written by a save keeps the whole webhook as it then was (secret
-- header values left out), so that it can be shown beside the current one and restored.
ALTER TABLE webhook_history ADD COLUMN settings TEXT;
