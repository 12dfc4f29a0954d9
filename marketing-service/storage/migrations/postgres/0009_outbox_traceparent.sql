-- The W3C traceparent of the call that queued each message, sent on with it so the
-- receiver's log lines carry the same trace id (empty for messages queued before).
ALTER TABLE outbox ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
