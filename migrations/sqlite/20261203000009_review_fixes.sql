-- Fixes from the security review and a new administrator's first day.

-- Retry now does not use up a scheduled attempt: the retry schedule counts the attempts
-- made by the workers only (attempts - manual_attempts).
ALTER TABLE deliveries ADD COLUMN manual_attempts INTEGER NOT NULL DEFAULT 0;

-- The call an application-log entry is about (a refusing in-transaction call, for one).
ALTER TABLE app_log ADD COLUMN attempt_id INTEGER;

-- The webhook list names what each webhook is narrowed to (its project filter, its single
-- project's code, its initiating user's name): renaming one of those moves the webhooks
-- counter, so that the list, kept in memory, is read again.
CREATE TRIGGER project_filter_renamed_for_webhooks AFTER UPDATE OF name ON project_filters
WHEN OLD.name IS NOT NEW.name AND EXISTS (SELECT 1 FROM webhooks WHERE project_filter_id = NEW.id)
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

CREATE TRIGGER project_code_changed_for_webhooks AFTER UPDATE OF code ON projects
WHEN OLD.code IS NOT NEW.code AND EXISTS (SELECT 1 FROM webhooks WHERE project_id = NEW.id)
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

CREATE TRIGGER user_renamed_for_webhooks AFTER UPDATE OF display_name ON users
WHEN OLD.display_name IS NOT NEW.display_name AND EXISTS (SELECT 1 FROM webhooks WHERE initiator_user_id = NEW.id)
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;

-- An attempt's error in words (error_message), and the HTTP client's own account of it.
ALTER TABLE delivery_attempts ADD COLUMN error_detail TEXT;

-- Whether the password a user must change was generated (printed once) or chosen by an
-- administrator: the change-password page says which.
ALTER TABLE users ADD COLUMN password_generated INTEGER NOT NULL DEFAULT 0 CHECK (password_generated IN (0, 1));
UPDATE users SET password_generated = must_change_password;

-- Retention deletes old events once no delivery refers to them: each deletion looks for
-- the deliveries of its event.
CREATE INDEX deliveries_event ON deliveries (event_id);
