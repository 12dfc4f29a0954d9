-- Version 2: erasure of personal data (EraseContact).
ALTER TABLE leads ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN erase_us INTEGER;
CREATE TABLE erased_contacts (
  fingerprint   TEXT PRIMARY KEY,
  time_us       INTEGER NOT NULL
);
