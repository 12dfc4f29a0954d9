-- Leads per lifecycle stage and owner now (merged leads not counted), for the handoff_leads
-- gauge: kept by a trigger, so every path that inserts, changes or deletes a lead keeps it
-- right, and a scrape reads a few rows whatever the number of leads.
CREATE TABLE lead_counts (
  stage BIGINT NOT NULL,
  owner BIGINT NOT NULL,
  leads BIGINT NOT NULL,
  PRIMARY KEY (stage, owner)
);
INSERT INTO lead_counts(stage, owner, leads)
  SELECT stage, owner, COUNT(*) FROM leads WHERE merged_into = '' GROUP BY stage, owner;
CREATE FUNCTION lead_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.merged_into = '' THEN
    UPDATE lead_counts SET leads = leads - 1 WHERE stage = OLD.stage AND owner = OLD.owner;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.merged_into = '' THEN
    INSERT INTO lead_counts(stage, owner, leads) VALUES (NEW.stage, NEW.owner, 1)
      ON CONFLICT (stage, owner) DO UPDATE SET leads = lead_counts.leads + 1;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER lead_counts_insert_delete AFTER INSERT OR DELETE ON leads
  FOR EACH ROW EXECUTE FUNCTION lead_counts_follow();
-- Most updates (a touch, a score) change none of the three: the function is not called.
CREATE TRIGGER lead_counts_update AFTER UPDATE OF stage, owner, merged_into ON leads
  FOR EACH ROW WHEN (OLD.stage <> NEW.stage OR OLD.owner <> NEW.owner OR OLD.merged_into <> NEW.merged_into)
  EXECUTE FUNCTION lead_counts_follow();
