-- Caller-chosen ids of leads and campaigns (the id a CRM or ad platform keeps), unique when
-- set: LookupLead / LookupCampaign and the Upsert methods find the record by them.
ALTER TABLE leads ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX leads_by_external_id ON leads(external_id) WHERE external_id <> '';
ALTER TABLE campaigns ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX campaigns_by_external_id ON campaigns(external_id) WHERE external_id <> '';
