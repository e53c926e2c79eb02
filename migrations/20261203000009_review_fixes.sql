-- Fixes from the security review and a new administrator's first day.

-- Retry now does not use up a scheduled attempt: the retry schedule counts the attempts
-- made by the workers only (attempts - manual_attempts).
ALTER TABLE deliveries ADD COLUMN manual_attempts INTEGER NOT NULL DEFAULT 0;

-- The call an application-log entry is about (a refusing in-transaction call, for one).
ALTER TABLE app_log ADD COLUMN attempt_id INTEGER;
