#ifndef HANDOFF_COMMON_SQL_UNIT_OF_WORK_H_
#define HANDOFF_COMMON_SQL_UNIT_OF_WORK_H_

#include <optional>
#include <vector>

#include "common/sql/audit_log.h"
#include "common/sql/sql.h"
#include "common/unit_of_work.h"

namespace handoff::sql {

// The request log, the outbox and the event log on either backend (their tables:
// common/sql/migrations/<backend>/, included in each service's migrations).

absl::StatusOr<std::optional<RequestRecord>> FindRequest(Transaction& tx,
                                                         absl::string_view request_id);
absl::Status SaveRequest(Transaction& tx, const RequestRecord& record);
absl::Status Enqueue(Transaction& tx, const OutboxMessage& message);
// Appends `events` to the event log, numbered in order. Call last in a write transaction:
// on PostgreSQL it takes the event log's lock, held until the transaction ends, so events
// are numbered in commit order (see unit_of_work.cc).
absl::Status AppendEvents(Transaction& tx, const std::vector<EventRecord>& events);
absl::Status ForgetResponsesContaining(Transaction& tx, const std::vector<std::string>& needles);
// Deletes up to `limit` stored answers of requests made before `before` (their request_ids
// are then forgotten); returns how many.
absl::StatusOr<int64_t> PruneRequestLog(Database& db, absl::Time before, int limit);
// Up to `limit` events with sequence > `after`, in order. A reader never skips an event:
// once it sees a sequence, every lower one is committed (or was never committed: a
// transaction rolled back after numbering leaves a gap, on PostgreSQL).
absl::StatusOr<std::vector<EventRecord>> ReadEvents(Database& db, int64_t after, int limit);
// The newest event's sequence (0 for an empty log): a Watch "from now" starts after it.
absl::StatusOr<int64_t> LatestEventSequence(Database& db);

// Implements the UnitOfWork part of a service transaction interface `Tx` (which derives
// from UnitOfWork) on a transaction of either backend; the service's class adds its
// aggregates.
template <typename Tx>
class UnitOfWorkOn : public Tx {
 public:
  explicit UnitOfWorkOn(Transaction& tx) : tx_(tx) {}
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(absl::string_view id) override {
    return sql::FindRequest(tx_, id);
  }
  absl::Status SaveRequest(const RequestRecord& r) override { return sql::SaveRequest(tx_, r); }
  absl::Status Enqueue(const OutboxMessage& m) override {
    absl::Status s = sql::Enqueue(tx_, m);
    enqueued_ = enqueued_ || s.ok();
    return s;
  }
  // Held until Finish, the end of the transaction's work.
  absl::Status AppendEvent(const EventRecord& e) override {
    events_.push_back(e);
    return absl::OkStatus();
  }
  absl::Status ForgetResponsesContaining(const std::vector<std::string>& needles) override {
    return sql::ForgetResponsesContaining(tx_, needles);
  }
  absl::Status AppendAudit(const AuditRecord& r) override { return sql::AppendAudit(tx_, r); }
  // Called when the work succeeded, before it commits: writes the events appended.
  absl::Status Finish() { return events_.empty() ? absl::OkStatus() : sql::AppendEvents(tx_, events_); }
  // Whether this transaction queued an outbox message, appended an event.
  bool enqueued() const { return enqueued_; }
  bool appended() const { return !events_.empty(); }

 protected:
  Transaction& tx_;

 private:
  bool enqueued_ = false;
  std::vector<EventRecord> events_;
};

// Runs `work` on an `Impl` (constructed from the transaction) in a write transaction
// (Database::Write): durable when it returns OK, without effect otherwise. What it
// committed (outbox messages, events) is marked in ThreadCommits() of the calling thread
// (`work` itself may run on another: SQLite's group commit runs a batch on one thread).
template <typename Impl, typename Work>
absl::Status RunTransaction(Database& db, Work& work) {
  CommittedOnThisThread committed;
  absl::Status s = db.Write([&](Transaction& tx) -> absl::Status {
    Impl impl(tx);
    absl::Status done = work(impl);
    if (done.ok()) done = impl.Finish();
    committed.outbox_messages = done.ok() && impl.enqueued();
    committed.events = done.ok() && impl.appended();
    return done;
  });
  if (s.ok()) {
    ThreadCommits().outbox_messages |= committed.outbox_messages;
    ThreadCommits().events |= committed.events;
  }
  return s;
}

// Runs read-only `work` on an `Impl` in a read transaction (Database::Read): it does not
// wait for writers, and any write it attempts fails.
template <typename Impl, typename Work>
absl::Status RunRead(Database& db, Work& work) {
  return db.Read([&](Transaction& tx) -> absl::Status {
    Impl impl(tx);
    return work(impl);
  });
}

}  // namespace handoff::sql

#endif  // HANDOFF_COMMON_SQL_UNIT_OF_WORK_H_
