-- Who logged an activity (Activity.performed_by): the acting rep, or the calling system.
ALTER TABLE activities ADD COLUMN performed_by TEXT NOT NULL DEFAULT '';
