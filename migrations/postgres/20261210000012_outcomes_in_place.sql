-- A webhook's delivery outcome is written in place. Each outcome moves status_seq, and with
-- status_seq indexed no outcome could be a heap-only update: every one added an entry to
-- each of the webhooks' indexes. A webhook that delivered a thousand times a second piled
-- up thousands of entries for its one row, which every later outcome and read of the row
-- walked through. Only the webhook list reads status_seq: when it refreshes, one statement
-- picks the outcomes changed since its last look, and reading the webhooks table for them
-- costs little beside the list, which holds every webhook anyway.
DROP INDEX webhooks_status_seq;
