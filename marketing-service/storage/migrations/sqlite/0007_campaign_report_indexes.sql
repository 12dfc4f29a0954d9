-- Version 7: the counts of GetCampaignPerformance read narrow covering indexes (a range of
-- the campaign's leads by capture time with their milestone flags, and of its merged
-- captures by time) instead of looking up every lead row of the campaign.
CREATE INDEX leads_by_campaign_time ON leads(source_campaign_id, create_us, ever_mql, ever_accepted,
  ever_rejected);
DROP INDEX touches_by_campaign;
CREATE INDEX touches_by_campaign ON touches(campaign_id, merged_capture, time_us);
