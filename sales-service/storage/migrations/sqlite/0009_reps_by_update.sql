-- Incremental sync: ListReps by update time (order_by "update_time", min_update_time).
CREATE INDEX reps_by_update ON reps(update_us, seq);
