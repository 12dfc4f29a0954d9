-- Version 3: the pipeline report reads a narrow covering index (grouped by rep and stage
-- as the report is) instead of every wide opportunity row: at 150,000 opportunities,
-- ~460 ms -> see docs/performance.md.
CREATE INDEX opportunities_pipeline ON opportunities(rep_id, stage, acceptance, currency, amount_minor,
  close_us, create_us);
