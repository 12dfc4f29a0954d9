-- Version 6: report projections kept up to date as the data changes, so the reports cost
-- the same at a million leads as at a thousand (issue 6):
-- - funnel_stages: per stage, the leads in it now and the leads that ever entered it;
-- - funnel_conversions: per step of the main path, the leads that entered the later stage
--   after first entering the earlier one;
-- - stage_stays: the length of every ended stay, indexed for the median;
-- - attributed_revenue: each win's revenue shares per attribution model, fixed when the win
--   is reported. Existing wins are attributed once at the next start-up (the pending row).
-- Existing history fills the first three here.
CREATE TABLE funnel_stages (
  stage         INTEGER PRIMARY KEY,
  current_count INTEGER NOT NULL DEFAULT 0,
  ever_entered  INTEGER NOT NULL DEFAULT 0,
  stays         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO funnel_stages(stage) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9);
UPDATE funnel_stages SET
  current_count = (SELECT COUNT(*) FROM leads WHERE leads.stage = funnel_stages.stage),
  ever_entered = (SELECT COUNT(DISTINCT lead_id) FROM lead_stage_history h
                  WHERE h.stage = funnel_stages.stage);
CREATE TABLE funnel_conversions (
  from_stage    INTEGER NOT NULL,
  to_stage      INTEGER NOT NULL,
  converted     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (from_stage, to_stage)
);
INSERT INTO funnel_conversions(from_stage, to_stage) VALUES (2, 3), (3, 4), (4, 7);
UPDATE funnel_conversions SET converted = (
  SELECT COUNT(*) FROM (SELECT lead_id, MIN(id) AS first_id FROM lead_stage_history f
                        WHERE f.stage = funnel_conversions.from_stage GROUP BY lead_id) firsts
  WHERE EXISTS (SELECT 1 FROM lead_stage_history t WHERE t.lead_id = firsts.lead_id
                AND t.stage = funnel_conversions.to_stage AND t.id > firsts.first_id));
CREATE TABLE stage_stays (
  stage         INTEGER NOT NULL,
  duration_us   INTEGER NOT NULL
);
INSERT INTO stage_stays(stage, duration_us)
  SELECT stage, next_us - time_us FROM (
    SELECT stage, time_us, LEAD(time_us) OVER (PARTITION BY lead_id ORDER BY id) AS next_us
    FROM lead_stage_history)
  WHERE next_us IS NOT NULL;
CREATE INDEX stage_stays_by_duration ON stage_stays(stage, duration_us);
UPDATE funnel_stages SET stays = (SELECT COUNT(*) FROM stage_stays s WHERE s.stage = funnel_stages.stage);
CREATE TABLE attributed_revenue (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  outcome_id    INTEGER NOT NULL,
  campaign_id   TEXT NOT NULL,
  model         INTEGER NOT NULL,
  amount_minor  INTEGER NOT NULL,
  currency      TEXT NOT NULL,
  time_us       INTEGER NOT NULL
);
CREATE INDEX attributed_revenue_by_campaign ON attributed_revenue(campaign_id, model, time_us);
CREATE INDEX attributed_revenue_by_outcome ON attributed_revenue(outcome_id);
CREATE TABLE attribution_backfill (pending INTEGER NOT NULL);
INSERT INTO attribution_backfill(pending) VALUES (1);
