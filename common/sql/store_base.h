#ifndef HANDOFF_COMMON_SQL_STORE_BASE_H_
#define HANDOFF_COMMON_SQL_STORE_BASE_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/sql/sql.h"
#include "common/sql/unit_of_work.h"

namespace handoff::sql {

// What every service's store on SQL shares, whatever its port `Port` (a *Store interface
// with Ping and ReadEvents): the database it owns, the health probe, the event log reads.
template <typename Port>
class StoreBase : public Port {
 public:
  explicit StoreBase(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  // Reads answer and the write path is not stuck or failing.
  absl::Status Ping() override {
    if (absl::Status s = db_->Ping(); !s.ok()) return s;
    return db_->CheckWriter();
  }
  absl::StatusOr<std::vector<EventRecord>> ReadEvents(int64_t after, int limit) override {
    return sql::ReadEvents(*db_, after, limit);
  }
  absl::StatusOr<int64_t> LatestEventSequence() override { return sql::LatestEventSequence(*db_); }
  Database& database() { return *db_; }

 protected:
  std::unique_ptr<Database> db_;
};

}  // namespace handoff::sql

#endif  // HANDOFF_COMMON_SQL_STORE_BASE_H_
