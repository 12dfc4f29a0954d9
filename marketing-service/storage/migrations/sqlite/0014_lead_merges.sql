-- MergeLeads: a lead found to be the same person as another points to the one kept.
-- Its e-mail and phone stay on it so that captures by them still find the person.
ALTER TABLE leads ADD COLUMN merged_into TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN merge_us INTEGER;
CREATE INDEX leads_by_merged_into ON leads(merged_into) WHERE merged_into <> '';
