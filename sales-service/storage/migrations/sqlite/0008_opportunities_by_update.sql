-- Incremental sync: ListOpportunities by update time (order_by "update_time", min_update_time).
CREATE INDEX opportunities_by_update ON opportunities(update_us, seq);
