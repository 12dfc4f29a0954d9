-- The request log, the outbox and the event log every service keeps (its migration 1).
CREATE TABLE request_log (
  request_id    TEXT PRIMARY KEY,
  method        TEXT NOT NULL,
  fingerprint   TEXT NOT NULL,
  response      BLOB NOT NULL,
  create_time_us INTEGER NOT NULL
);
CREATE INDEX request_log_by_time ON request_log(create_time_us);
CREATE TABLE outbox (
  sequence      INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id    TEXT NOT NULL UNIQUE,
  topic         TEXT NOT NULL,
  key           TEXT NOT NULL,
  payload       BLOB NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_attempt_us INTEGER NOT NULL,
  create_time_us INTEGER NOT NULL,
  last_error    TEXT NOT NULL DEFAULT '',
  parked        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(parked, next_attempt_us);
CREATE TABLE events (
  sequence      INTEGER PRIMARY KEY AUTOINCREMENT,
  type          TEXT NOT NULL,
  subject       TEXT NOT NULL,
  payload       BLOB NOT NULL,
  time_us       INTEGER NOT NULL
);
