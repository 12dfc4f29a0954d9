-- Consent provenance: every change of a lead's consent, with where it came from
-- (ListConsentChanges). No personal data: kept after erasure.
CREATE TABLE consent_changes (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id       TEXT NOT NULL,
  consent_email INTEGER NOT NULL,
  consent_phone INTEGER NOT NULL,
  consent_sms   INTEGER NOT NULL,
  consent_mail  INTEGER NOT NULL,
  do_not_contact INTEGER NOT NULL,
  source        TEXT NOT NULL,
  legal_basis   INTEGER NOT NULL,
  time_us       INTEGER NOT NULL,
  recorded_by   TEXT NOT NULL,
  method        TEXT NOT NULL
);
CREATE INDEX consent_changes_by_lead ON consent_changes(lead_id, seq);
