#include "common/sqlite_unit_of_work.h"

namespace handoff::sqlite {

const char kUnitOfWorkSchema[] = R"sql(
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
)sql";

const char kOutboxRefusalsSchema[] = R"sql(
ALTER TABLE outbox ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN budget_since_us INTEGER;
)sql";

absl::StatusOr<std::optional<RequestRecord>> FindRequest(Transaction& tx,
                                                         absl::string_view request_id) {
  absl::StatusOr<Statement> q = tx.Prepare(
      "SELECT method, fingerprint, response, create_time_us FROM request_log"
      " WHERE request_id = ?");
  if (!q.ok()) return q.status();
  q->Bind(1, request_id);
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<RequestRecord>();
  RequestRecord r;
  r.request_id = std::string(request_id);
  r.method = q->Text(0);
  r.fingerprint = q->Text(1);
  r.response = q->Blob(2);
  r.create_time = q->Time(3);
  return std::optional<RequestRecord>(std::move(r));
}

absl::Status SaveRequest(Transaction& tx, const RequestRecord& record) {
  absl::StatusOr<Statement> q = tx.Prepare(
      "INSERT INTO request_log(request_id, method, fingerprint, response, create_time_us)"
      " VALUES(?, ?, ?, ?, ?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, record.request_id)
      .Bind(2, record.method)
      .Bind(3, record.fingerprint)
      .BindBlob(4, record.response)
      .BindTime(5, record.create_time)
      .Run();
}

absl::Status Enqueue(Transaction& tx, const OutboxMessage& message) {
  absl::StatusOr<Statement> q = tx.Prepare(
      "INSERT INTO outbox(message_id, topic, key, payload, next_attempt_us, create_time_us)"
      " VALUES(?, ?, ?, ?, ?, ?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, message.message_id)
      .Bind(2, message.topic)
      .Bind(3, message.key)
      .BindBlob(4, message.payload)
      .BindTime(5, message.next_attempt_time)
      .BindTime(6, message.create_time)
      .Run();
}

absl::Status AppendEvent(Transaction& tx, const EventRecord& event) {
  absl::StatusOr<Statement> q =
      tx.Prepare("INSERT INTO events(type, subject, payload, time_us) VALUES(?, ?, ?, ?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, event.type)
      .Bind(2, event.subject)
      .BindBlob(3, event.payload)
      .BindTime(4, event.time)
      .Run();
}

absl::Status ForgetResponsesContaining(Transaction& tx, const std::vector<std::string>& needles) {
  for (const std::string& needle : needles) {
    if (needle.empty()) continue;
    absl::StatusOr<Statement> q =
        tx.Prepare("DELETE FROM request_log WHERE instr(response, CAST(? AS BLOB)) > 0");
    if (!q.ok()) return q.status();
    if (absl::Status s = q->BindBlob(1, needle).Run(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EventRecord>> ReadEvents(Database& db, int64_t after, int limit) {
  return ReadValue(db, [&](Transaction& tx) -> absl::StatusOr<std::vector<EventRecord>> {
    absl::StatusOr<Statement> q = tx.Prepare(
        "SELECT sequence, type, subject, payload, time_us FROM events WHERE sequence > ?"
        " ORDER BY sequence LIMIT ?");
    if (!q.ok()) return q.status();
    q->Bind(1, after).Bind(2, int64_t{limit});
    return ReadAll<EventRecord>(*q, [](const Statement& r) {
      return EventRecord{r.Int(0), r.Text(1), r.Text(2), r.Blob(3), r.Time(4)};
    });
  });
}

absl::StatusOr<int64_t> PruneRequestLog(Database& db, absl::Time before, int limit) {
  Transaction tx(db);
  if (!tx.begin_status().ok()) return tx.begin_status();
  absl::StatusOr<Statement> q = tx.Prepare(
      "DELETE FROM request_log WHERE request_id IN (SELECT request_id FROM request_log"
      " WHERE create_time_us < ? ORDER BY create_time_us LIMIT ?)");
  if (!q.ok()) return q.status();
  if (absl::Status s = q->BindTime(1, before).Bind(2, int64_t{limit}).Run(); !s.ok()) return s;
  const int64_t deleted = tx.Changes();
  if (absl::Status s = tx.Commit(); !s.ok()) return s;
  return deleted;
}

}  // namespace handoff::sqlite
