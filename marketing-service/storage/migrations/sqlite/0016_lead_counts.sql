-- Leads per lifecycle stage and owner now (merged leads not counted), for the handoff_leads
-- gauge: kept by triggers, so every path that inserts, changes or deletes a lead keeps it
-- right, and a scrape reads a few rows whatever the number of leads.
CREATE TABLE lead_counts (
  stage INTEGER NOT NULL,
  owner INTEGER NOT NULL,
  leads INTEGER NOT NULL,
  PRIMARY KEY (stage, owner)
) WITHOUT ROWID;
INSERT INTO lead_counts(stage, owner, leads)
  SELECT stage, owner, COUNT(*) FROM leads WHERE merged_into = '' GROUP BY stage, owner;
CREATE TRIGGER lead_counts_insert AFTER INSERT ON leads WHEN NEW.merged_into = '' BEGIN
  INSERT INTO lead_counts(stage, owner, leads) VALUES (NEW.stage, NEW.owner, 1)
    ON CONFLICT (stage, owner) DO UPDATE SET leads = leads + 1;
END;
CREATE TRIGGER lead_counts_update AFTER UPDATE OF stage, owner, merged_into ON leads
  WHEN OLD.stage <> NEW.stage OR OLD.owner <> NEW.owner OR OLD.merged_into <> NEW.merged_into BEGIN
  UPDATE lead_counts SET leads = leads - 1
    WHERE OLD.merged_into = '' AND stage = OLD.stage AND owner = OLD.owner;
  INSERT INTO lead_counts(stage, owner, leads) SELECT NEW.stage, NEW.owner, 1 WHERE NEW.merged_into = ''
    ON CONFLICT (stage, owner) DO UPDATE SET leads = leads + 1;
END;
CREATE TRIGGER lead_counts_delete AFTER DELETE ON leads WHEN OLD.merged_into = '' BEGIN
  UPDATE lead_counts SET leads = leads - 1 WHERE stage = OLD.stage AND owner = OLD.owner;
END;
