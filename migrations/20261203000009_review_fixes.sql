-- Fixes from the security review and a new administrator's first day.

-- Retry now does not use up a scheduled attempt: the retry schedule counts the attempts
-- made by the workers only (attempts - manual_attempts).
ALTER TABLE deliveries ADD COLUMN manual_attempts INTEGER NOT NULL DEFAULT 0;
