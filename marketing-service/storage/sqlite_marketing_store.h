#ifndef HANDOFF_MARKETING_STORAGE_SQLITE_MARKETING_STORE_H_
#define HANDOFF_MARKETING_STORAGE_SQLITE_MARKETING_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "marketing-service/domain/ports.h"

namespace handoff::marketing {

// MarketingStore on one SQLite file (WAL, synchronous=FULL). Transactions are serialised.
class SqliteMarketingStore final : public MarketingStore {
 public:
  // Opens the file and applies pending migrations.
  static absl::StatusOr<std::unique_ptr<SqliteMarketingStore>> Open(
      const std::string& path, const sqlite::DatabaseOptions& options = sqlite::DatabaseOptions());

  // Every schema version, in order (for upgrade tests).
  static std::vector<sqlite::Migration> Migrations();

  absl::Status Run(absl::FunctionRef<absl::Status(MarketingTx&)> work) override;
  absl::Status Read(absl::FunctionRef<absl::Status(MarketingTx&)> work) override;
  // Reads answer and the write path is not stuck or failing.
  absl::Status Ping() override {
    if (absl::Status s = db_->Ping(); !s.ok()) return s;
    return db_->CheckWriter();
  }
  absl::StatusOr<std::vector<EventRecord>> ReadEvents(int64_t after, int limit) override;
  sqlite::Database& database() { return *db_; }

 private:
  explicit SqliteMarketingStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_STORAGE_SQLITE_MARKETING_STORE_H_
