-- Incremental sync: ListCampaigns by update time (order_by "update_time", min_update_time).
CREATE INDEX campaigns_by_update ON campaigns(update_us, seq);
