-- Incremental sync: ListLeads by update time (order_by "update_time", min_update_time).
CREATE INDEX leads_by_update ON leads(update_us, seq);
