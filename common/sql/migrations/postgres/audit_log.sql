-- The audit log: one row per mutating call (AuditRecord), appended in the transaction of
-- the change it records (a refused call: in a transaction of its own). Append-only: the
-- trigger refuses any UPDATE, DELETE or TRUNCATE, whoever runs it.
CREATE TABLE audit_log (
  sequence   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time_us    BIGINT NOT NULL,
  principal  TEXT NOT NULL,
  actor      TEXT NOT NULL,
  method     TEXT NOT NULL,
  resource   TEXT NOT NULL,
  code       INTEGER NOT NULL,
  request_id TEXT NOT NULL
);
CREATE INDEX audit_log_by_resource ON audit_log(resource, sequence);
CREATE INDEX audit_log_by_principal ON audit_log(principal, sequence);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$body$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
