#include "common/sql/outbox_store.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace handoff {

absl::StatusOr<std::vector<OutboxMessage>> SqlOutboxStore::Due(absl::Time now, int limit) {
  return sql::ReadValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<std::vector<OutboxMessage>> {
    // Every unparked message in order, not just the due ones: a key whose earliest message
    // is not yet due must hold back its later messages, and the caller needs to see that.
    absl::StatusOr<sql::Statement> q = tx.Prepare(
        "SELECT sequence, message_id, topic, key, payload, attempts, next_attempt_us,"
        " create_time_us, last_error, refusals, COALESCE(budget_since_us, create_time_us)"
        " FROM outbox WHERE parked = 0 ORDER BY sequence LIMIT ?");
    if (!q.ok()) return q.status();
    q->Bind(1, int64_t{limit});
    std::vector<OutboxMessage> out;
    std::set<std::string> held;
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      OutboxMessage m;
      m.sequence = q->Int(0);
      m.message_id = q->Text(1);
      m.topic = q->Text(2);
      m.key = q->Text(3);
      m.payload = q->Blob(4);
      m.attempts = static_cast<int>(q->Int(5));
      m.next_attempt_time = q->Time(6);
      m.create_time = q->Time(7);
      m.last_error = q->Text(8);
      m.refusals = static_cast<int>(q->Int(9));
      m.budget_since = q->Time(10);
      if (held.count(m.key) > 0) continue;
      if (m.next_attempt_time > now) {
        held.insert(m.key);
        continue;
      }
      out.push_back(std::move(m));
    }
    return out;
  });
}

absl::StatusOr<std::optional<absl::Time>> SqlOutboxStore::NextDue() {
  return sql::ReadValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<std::optional<absl::Time>> {
    absl::StatusOr<sql::Statement> q =
        tx.Prepare("SELECT MIN(next_attempt_us) FROM outbox WHERE parked = 0");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row || q->IsNull(0)) return std::optional<absl::Time>();
    return std::optional<absl::Time>(q->Time(0));
  });
}

absl::Status SqlOutboxStore::MarkDelivered(int64_t sequence) {
  return db_.Write([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<sql::Statement> q = tx.Prepare("DELETE FROM outbox WHERE sequence = ?");
    if (!q.ok()) return q.status();
    return q->Bind(1, sequence).Run();
  });
}

absl::Status SqlOutboxStore::Reschedule(int64_t sequence, absl::Time next_attempt,
                                           int attempts, int refusals, absl::string_view error) {
  return db_.Write([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<sql::Statement> q = tx.Prepare(
        "UPDATE outbox SET next_attempt_us = ?, attempts = ?, refusals = ?, last_error = ?"
        " WHERE sequence = ?");
    if (!q.ok()) return q.status();
    return q->BindTime(1, next_attempt)
        .Bind(2, int64_t{attempts})
        .Bind(3, int64_t{refusals})
        .Bind(4, error)
        .Bind(5, sequence)
        .Run();
  });
}

absl::Status SqlOutboxStore::Park(int64_t sequence, absl::string_view error) {
  return db_.Write([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<sql::Statement> q = tx.Prepare(
        "UPDATE outbox SET parked = 1, attempts = attempts + 1, last_error = ? WHERE sequence = ?");
    if (!q.ok()) return q.status();
    return q->Bind(1, error).Bind(2, sequence).Run();
  });
}

absl::StatusOr<OutboxBacklog> SqlOutboxStore::Backlog(absl::Time now) {
  return sql::ReadValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<OutboxBacklog> {
    absl::StatusOr<sql::Statement> q = tx.Prepare(
        "SELECT COUNT(CASE WHEN parked = 0 THEN 1 END), COUNT(CASE WHEN parked = 1 THEN 1 END),"
        " MIN(CASE WHEN parked = 0 THEN create_time_us END) FROM outbox");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    OutboxBacklog b;
    b.pending = q->Int(0);
    b.parked = q->Int(1);
    if (!q->IsNull(2)) b.oldest_age = std::max(absl::ZeroDuration(), now - q->Time(2));
    return b;
  });
}

absl::StatusOr<Page<OutboxMessage>> SqlOutboxStore::ListParked(int64_t after, int limit) {
  return sql::ReadValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<Page<OutboxMessage>> {
    absl::StatusOr<sql::Statement> q = tx.Prepare(
        "SELECT sequence, message_id, topic, key, attempts, last_error, create_time_us FROM outbox"
        " WHERE parked = 1 AND sequence > ? ORDER BY sequence LIMIT ?");
    if (!q.ok()) return q.status();
    q->Bind(1, after).Bind(2, int64_t{limit + 1});
    return sql::ReadPage<OutboxMessage>(*q, limit, [](const sql::Statement& r) {
      OutboxMessage m;
      m.sequence = r.Int(0);
      m.message_id = r.Text(1);
      m.topic = r.Text(2);
      m.key = r.Text(3);
      m.attempts = static_cast<int>(r.Int(4));
      m.last_error = r.Text(5);
      m.create_time = r.Time(6);
      return m;
    });
  });
}

absl::StatusOr<int64_t> SqlOutboxStore::Requeue(const std::vector<int64_t>& sequences, absl::Time now) {
  return sql::WriteValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<int64_t> {
    int64_t moved = 0;
    auto requeue = [&](bool one, int64_t sequence) -> absl::Status {
      absl::StatusOr<sql::Statement> q = tx.Prepare(
          "UPDATE outbox SET parked = 0, refusals = 0, budget_since_us = ?1, next_attempt_us = ?1"
          " WHERE parked = 1 AND (?2 = 0 OR sequence = ?3)");
      if (!q.ok()) return q.status();
      if (absl::Status s = q->BindTime(1, now).Bind(2, int64_t{one}).Bind(3, sequence).Run(); !s.ok()) return s;
      moved += tx.Changes();
      return absl::OkStatus();
    };
    if (sequences.empty()) {
      if (absl::Status s = requeue(false, 0); !s.ok()) return s;
    }
    for (int64_t sequence : sequences) {
      if (absl::Status s = requeue(true, sequence); !s.ok()) return s;
    }
    return moved;
  });
}

}  // namespace handoff
