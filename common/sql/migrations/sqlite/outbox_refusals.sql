-- The outbox counts refusals apart from transport failures, and when a message's age
-- budget started (its creation, or the operator's RetryParkedMessages); see
-- OutboxDispatcher::Options.
ALTER TABLE outbox ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN budget_since_us INTEGER;
