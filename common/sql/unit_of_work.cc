#include "common/sql/unit_of_work.h"

namespace handoff::sql {

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
      "INSERT INTO outbox(message_id, topic, key, payload, next_attempt_us, create_time_us, traceparent)"
      " VALUES(?, ?, ?, ?, ?, ?, ?)");
  if (!q.ok()) return q.status();
  return q->Bind(1, message.message_id)
      .Bind(2, message.topic)
      .Bind(3, message.key)
      .BindBlob(4, message.payload)
      .BindTime(5, message.next_attempt_time)
      .BindTime(6, message.create_time)
      .Bind(7, message.traceparent)
      .Run();
}

// PostgreSQL takes a sequence value when a row is inserted, not when it commits, so a
// transaction that numbered its events first could commit after one that numbered later,
// and a reader that had moved past the later one would skip the earlier. So the events go
// in last, after a lock held until the transaction ends (committed, and visible, before
// the next holder takes its numbers): numbers are taken in commit order, and once a reader
// sees number N every lower one is committed -- or will never be, a transaction that
// failed at COMMIT leaving a gap. Across replicas, only this tail of the transactions that
// append events runs one at a time. (SQLite has one writer: its numbers are already in
// commit order.) The key is arbitrary but fixed: "events" of this database.
absl::Status AppendEvents(Transaction& tx, const std::vector<EventRecord>& events) {
  // On PostgreSQL the first insert takes the lock itself (one round trip, not two): the
  // lock's one-row subquery is evaluated before the row, and its number, are made.
  const bool postgres = tx.dialect() == Dialect::kPostgres;
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<Statement> q = tx.Prepare(
        postgres && i == 0
            ? "INSERT INTO events(type, subject, payload, time_us)"
              " SELECT ?, ?, ?, ? FROM (SELECT pg_advisory_xact_lock(4857020301)) AS event_log_lock"
            : "INSERT INTO events(type, subject, payload, time_us) VALUES(?, ?, ?, ?)");
    if (!q.ok()) return q.status();
    const EventRecord& event = events[i];
    if (absl::Status s = q->Bind(1, event.type)
                             .Bind(2, event.subject)
                             .BindBlob(3, event.payload)
                             .BindTime(4, event.time)
                             .Run();
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ForgetResponsesContaining(Transaction& tx, const std::vector<std::string>& needles) {
  const char* sql = tx.dialect() == Dialect::kPostgres
                        ? "DELETE FROM request_log WHERE position(CAST(? AS BYTEA) IN response) > 0"
                        : "DELETE FROM request_log WHERE instr(response, CAST(? AS BLOB)) > 0";
  for (const std::string& needle : needles) {
    if (needle.empty()) continue;
    absl::StatusOr<Statement> q = tx.Prepare(sql);
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

absl::StatusOr<int64_t> LatestEventSequence(Database& db) {
  return ReadValue(db, [&](Transaction& tx) -> absl::StatusOr<int64_t> {
    absl::StatusOr<Statement> q = tx.Prepare("SELECT COALESCE(MAX(sequence), 0) FROM events");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    return *row ? q->Int(0) : int64_t{0};
  });
}

absl::StatusOr<int64_t> PruneRequestLog(Database& db, absl::Time before, int limit) {
  return WriteValue(db, [&](Transaction& tx) -> absl::StatusOr<int64_t> {
    absl::StatusOr<Statement> q = tx.Prepare(
        "DELETE FROM request_log WHERE request_id IN (SELECT request_id FROM request_log"
        " WHERE create_time_us < ? ORDER BY create_time_us LIMIT ?)");
    if (!q.ok()) return q.status();
    if (absl::Status s = q->BindTime(1, before).Bind(2, int64_t{limit}).Run(); !s.ok()) return s;
    return tx.Changes();
  });
}

}  // namespace handoff::sql
