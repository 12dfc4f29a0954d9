-- @include common/sql/migrations/sqlite/unit_of_work.sql
CREATE TABLE reps (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  email         TEXT NOT NULL UNIQUE,
  territories   TEXT NOT NULL,
  capacity      INTEGER NOT NULL,
  status        INTEGER NOT NULL,
  last_assigned_seq INTEGER NOT NULL,
  create_us     INTEGER NOT NULL,
  update_us     INTEGER NOT NULL,
  version       INTEGER NOT NULL
);
CREATE TABLE counters (
  name          TEXT PRIMARY KEY,
  value         INTEGER NOT NULL
);
CREATE TABLE opportunities (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  lead          TEXT NOT NULL,
  email         TEXT NOT NULL,
  phone         TEXT NOT NULL,
  given_name    TEXT NOT NULL,
  family_name   TEXT NOT NULL,
  company       TEXT NOT NULL,
  title         TEXT NOT NULL,
  country_code  TEXT NOT NULL,
  consent_email INTEGER NOT NULL,
  consent_phone INTEGER NOT NULL,
  consent_sms   INTEGER NOT NULL,
  consent_mail  INTEGER NOT NULL,
  do_not_contact INTEGER NOT NULL,
  mkt_score     INTEGER NOT NULL,
  mkt_campaigns TEXT NOT NULL,
  mkt_touch_count INTEGER NOT NULL,
  kind          INTEGER NOT NULL,
  parent_id     TEXT NOT NULL,
  rep_id        TEXT NOT NULL,
  unassigned_reason TEXT NOT NULL,
  acceptance    INTEGER NOT NULL,
  reject_reason INTEGER NOT NULL,
  stage         INTEGER NOT NULL,
  amount_minor  INTEGER NOT NULL,
  currency      TEXT NOT NULL,
  loss_reason   INTEGER NOT NULL,
  reason_text   TEXT NOT NULL,
  competitor    TEXT NOT NULL,
  handoff_us    INTEGER,
  accept_us     INTEGER,
  close_us      INTEGER,
  create_us     INTEGER NOT NULL,
  update_us     INTEGER NOT NULL,
  version       INTEGER NOT NULL,
  is_open       INTEGER NOT NULL
);
-- At most one open new-business opportunity per lead, enforced by the database too.
CREATE UNIQUE INDEX opportunities_open_new_business ON opportunities(lead)
  WHERE is_open = 1 AND kind = 1;
CREATE INDEX opportunities_by_lead ON opportunities(lead, seq);
CREATE INDEX opportunities_by_rep ON opportunities(rep_id, is_open);
CREATE INDEX opportunities_pending ON opportunities(acceptance, handoff_us);
CREATE TABLE assignments (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  opportunity_id TEXT NOT NULL,
  rep_id        TEXT NOT NULL,
  time_us       INTEGER NOT NULL,
  reason        TEXT NOT NULL
);
CREATE INDEX assignments_by_opportunity ON assignments(opportunity_id);
CREATE TABLE activities (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  opportunity_id TEXT NOT NULL,
  type          INTEGER NOT NULL,
  call_outcome  INTEGER NOT NULL,
  meeting_status INTEGER NOT NULL,
  summary       TEXT NOT NULL,
  next_step     TEXT NOT NULL,
  next_step_due_us INTEGER,
  time_us       INTEGER NOT NULL,
  rep_id        TEXT NOT NULL
);
CREATE INDEX activities_by_opportunity ON activities(opportunity_id, seq);
