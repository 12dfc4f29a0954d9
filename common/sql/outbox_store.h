#ifndef HANDOFF_COMMON_SQL_OUTBOX_STORE_H_
#define HANDOFF_COMMON_SQL_OUTBOX_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/outbox.h"
#include "common/sql/sql.h"

namespace handoff {

// The outbox table of a service's database, on either backend (schema:
// common/sql/migrations/<backend>/ and outbox_claims). Claims and records run in write
// transactions, listings in read transactions.
class SqlOutboxStore final : public OutboxStore {
 public:
  explicit SqlOutboxStore(sql::Database& db) : db_(db) {}
  absl::StatusOr<std::vector<OutboxMessage>> Claim(const OutboxClaim& claim) override;
  absl::Status MarkDelivered(int64_t sequence, const OutboxFence& fence) override;
  absl::Status Reschedule(int64_t sequence, absl::Time next_attempt, int attempts, int refusals,
                          absl::string_view error, const OutboxFence& fence) override;
  absl::Status Park(int64_t sequence, absl::string_view error, const OutboxFence& fence) override;
  absl::Status Release(const std::vector<std::string>& keys, int64_t token) override;
  absl::StatusOr<OutboxBacklog> Backlog(absl::Time now) override;
  absl::StatusOr<Page<OutboxMessage>> ListParked(int64_t after, int limit) override;
  absl::StatusOr<int64_t> Requeue(const std::vector<int64_t>& sequences, absl::Time now,
                                  const AuditRecord& audit) override;

 private:
  // `sqlite_hint` (an INDEXED BY / NOT INDEXED clause) on SQLite, nothing on PostgreSQL.
  const char* Hint(const char* sqlite_hint) const {
    return db_.dialect() == sql::Dialect::kSqlite ? sqlite_hint : "";
  }

  sql::Database& db_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_SQL_OUTBOX_STORE_H_
