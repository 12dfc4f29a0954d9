-- Activities are corrected with UpdateActivity: each keeps its own version (its etag) and
-- the time of its last change. Activities logged before carry their occur time.
ALTER TABLE activities ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE activities ADD COLUMN update_us INTEGER NOT NULL DEFAULT 0;
UPDATE activities SET update_us = time_us;
