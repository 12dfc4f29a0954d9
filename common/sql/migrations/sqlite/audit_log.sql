-- The audit log: one row per mutating call (AuditRecord), appended in the transaction of
-- the change it records (a refused call: in a transaction of its own). Append-only: the
-- triggers refuse any UPDATE or DELETE, whoever runs it.
CREATE TABLE audit_log (
  sequence   INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us    INTEGER NOT NULL,
  principal  TEXT NOT NULL,
  actor      TEXT NOT NULL,
  method     TEXT NOT NULL,
  resource   TEXT NOT NULL,
  code       INTEGER NOT NULL,
  request_id TEXT NOT NULL
);
CREATE INDEX audit_log_by_resource ON audit_log(resource, sequence);
CREATE INDEX audit_log_by_principal ON audit_log(principal, sequence);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
