-- W3C trace context (common/trace_context.h): the traceparent of the call that queued each
-- outbox message, sent on with it, and of the handoff that opened each opportunity, which
-- its outcomes continue when the call that produced them brought no trace (empty for rows
-- from before).
ALTER TABLE outbox ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
ALTER TABLE opportunities ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
