-- @include common/sql/migrations/sqlite/unit_of_work.sql
CREATE TABLE campaigns (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  channel       INTEGER NOT NULL,
  state         INTEGER NOT NULL,
  budget_minor  INTEGER NOT NULL,
  currency      TEXT NOT NULL,
  spent_minor   INTEGER NOT NULL DEFAULT 0,
  start_us      INTEGER,
  end_us        INTEGER,
  create_us     INTEGER NOT NULL,
  update_us     INTEGER NOT NULL,
  version       INTEGER NOT NULL
);
CREATE INDEX campaigns_by_state ON campaigns(state, seq);
CREATE TABLE campaign_spend (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id   TEXT NOT NULL REFERENCES campaigns(id),
  amount_minor  INTEGER NOT NULL,
  note          TEXT NOT NULL,
  recorded_by   TEXT NOT NULL,
  over_budget_reason TEXT NOT NULL,
  time_us       INTEGER NOT NULL
);
CREATE INDEX campaign_spend_by_campaign ON campaign_spend(campaign_id);
CREATE TABLE leads (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
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
  stage         INTEGER NOT NULL,
  owner         INTEGER NOT NULL,
  score         INTEGER NOT NULL,
  source_campaign_id TEXT NOT NULL,
  merged_capture_count INTEGER NOT NULL,
  touch_count   INTEGER NOT NULL,
  opportunity   TEXT NOT NULL,
  last_outcome  INTEGER NOT NULL,
  last_outcome_reason TEXT NOT NULL,
  won_minor     INTEGER NOT NULL,
  won_currency  TEXT NOT NULL,
  ever_mql      INTEGER NOT NULL,
  ever_accepted INTEGER NOT NULL,
  ever_rejected INTEGER NOT NULL,
  won_count     INTEGER NOT NULL,
  create_us     INTEGER NOT NULL,
  update_us     INTEGER NOT NULL,
  version       INTEGER NOT NULL
);
-- One person, one lead: the database itself refuses a second lead with the same e-mail.
CREATE UNIQUE INDEX leads_by_email ON leads(email) WHERE email <> '';
CREATE INDEX leads_by_phone ON leads(phone) WHERE phone <> '';
CREATE INDEX leads_by_source ON leads(source_campaign_id, seq);
CREATE INDEX leads_by_stage ON leads(stage, seq);
CREATE TABLE lead_stage_history (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  lead_id       TEXT NOT NULL,
  stage         INTEGER NOT NULL,
  time_us       INTEGER NOT NULL,
  reason        TEXT NOT NULL
);
CREATE INDEX lead_stage_history_by_lead ON lead_stage_history(lead_id, id);
CREATE TABLE touches (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  touch_id      TEXT NOT NULL UNIQUE,
  lead_id       TEXT NOT NULL,
  campaign_id   TEXT NOT NULL,
  type          INTEGER NOT NULL,
  merged_capture INTEGER NOT NULL,
  time_us       INTEGER NOT NULL
);
CREATE INDEX touches_by_lead ON touches(lead_id, id);
CREATE INDEX touches_by_campaign ON touches(campaign_id, merged_capture);
