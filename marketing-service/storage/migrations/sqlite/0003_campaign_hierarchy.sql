-- Version 3: campaign hierarchy and UTM codes.
ALTER TABLE campaigns ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN utm_source TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN utm_medium TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN utm_campaign TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX campaigns_by_utm ON campaigns(utm_source, utm_medium, utm_campaign)
  WHERE utm_campaign <> '';
