-- Forecast fields, service-level bookkeeping, and one timeline of stage changes,
-- assignments and activities (the assignments table moves into it).
ALTER TABLE opportunities ADD COLUMN expected_close_us INTEGER;
ALTER TABLE opportunities ADD COLUMN committed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN stage_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN first_touch_us INTEGER;
ALTER TABLE opportunities ADD COLUMN pending_since_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN accept_breached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN first_touch_breached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN mkt_first_touch_us INTEGER;
ALTER TABLE opportunities ADD COLUMN mkt_last_touch_us INTEGER;
ALTER TABLE opportunities ADD COLUMN mkt_touch_types TEXT NOT NULL DEFAULT '';
UPDATE opportunities SET stage_us = COALESCE(close_us, update_us),
  pending_since_us = COALESCE(handoff_us, create_us),
  first_touch_us = (SELECT MIN(a.time_us) FROM activities a
                    WHERE a.opportunity_id = opportunities.id AND a.type <> 6);
CREATE TABLE timeline (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  opportunity_id TEXT NOT NULL,
  time_us       INTEGER NOT NULL,
  kind          INTEGER NOT NULL,  -- 1 activity, 2 stage change, 3 assignment
  activity_id   TEXT NOT NULL,
  from_stage    INTEGER NOT NULL,
  to_stage      INTEGER NOT NULL,
  time_in_from_us INTEGER NOT NULL,
  rep_id        TEXT NOT NULL,
  reason        TEXT NOT NULL
);
CREATE INDEX timeline_by_opportunity ON timeline(opportunity_id, time_us, seq);
INSERT INTO timeline(opportunity_id, time_us, kind, activity_id, from_stage, to_stage,
                     time_in_from_us, rep_id, reason)
  SELECT id, create_us, 2, '', 0, 1, 0, '', 'created' FROM opportunities;
INSERT INTO timeline(opportunity_id, time_us, kind, activity_id, from_stage, to_stage,
                     time_in_from_us, rep_id, reason)
  SELECT id, stage_us, 2, '', 1, stage, stage_us - create_us, rep_id,
         'recorded before stage history was kept' FROM opportunities WHERE stage <> 1;
INSERT INTO timeline(opportunity_id, time_us, kind, activity_id, from_stage, to_stage,
                     time_in_from_us, rep_id, reason)
  SELECT opportunity_id, time_us, 3, '', 0, 0, 0, rep_id, reason FROM assignments ORDER BY id;
INSERT INTO timeline(opportunity_id, time_us, kind, activity_id, from_stage, to_stage,
                     time_in_from_us, rep_id, reason)
  SELECT opportunity_id, time_us, 1, id, 0, 0, 0, rep_id, '' FROM activities ORDER BY seq;
DROP TABLE assignments;
DROP INDEX opportunities_pending;
CREATE INDEX opportunities_pending ON opportunities(acceptance, pending_since_us);
CREATE INDEX opportunities_untouched ON opportunities(accept_us)
  WHERE acceptance = 2 AND is_open = 1 AND kind = 1 AND first_touch_us IS NULL;
CREATE INDEX opportunities_expected_close ON opportunities(expected_close_us) WHERE is_open = 1;
CREATE INDEX opportunities_won ON opportunities(close_us) WHERE stage = 6;
