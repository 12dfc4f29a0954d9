-- Version 5: every outcome with its time, for reports over a range and attribution.
CREATE TABLE outcomes (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id       TEXT NOT NULL,
  opportunity   TEXT NOT NULL,
  outcome       INTEGER NOT NULL,
  amount_minor  INTEGER NOT NULL,
  currency      TEXT NOT NULL,
  time_us       INTEGER NOT NULL
);
CREATE INDEX outcomes_by_time ON outcomes(outcome, time_us);
CREATE INDEX lead_stage_history_by_stage ON lead_stage_history(lead_id, stage, time_us);
