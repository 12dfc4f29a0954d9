#ifndef HANDOFF_SALES_STORAGE_SQLITE_SALES_STORE_H_
#define HANDOFF_SALES_STORAGE_SQLITE_SALES_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "sales-service/domain/ports.h"

namespace handoff::sales {

// SalesStore on one SQLite file (WAL, synchronous=FULL). Transactions are serialised.
class SqliteSalesStore final : public SalesStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteSalesStore>> Open(
      const std::string& path, const sqlite::DatabaseOptions& options = sqlite::DatabaseOptions());
  // The schema migrations, oldest first (tests open a database at an older version).
  static std::vector<sqlite::Migration> Migrations();
  absl::Status Run(absl::FunctionRef<absl::Status(SalesTx&)> work) override;
  absl::Status Read(absl::FunctionRef<absl::Status(SalesTx&)> work) override;
  // Reads answer and the write path is not stuck or failing.
  absl::Status Ping() override {
    if (absl::Status s = db_->Ping(); !s.ok()) return s;
    return db_->CheckWriter();
  }
  absl::StatusOr<std::vector<EventRecord>> ReadEvents(int64_t after, int limit) override;
  sqlite::Database& database() { return *db_; }

 private:
  explicit SqliteSalesStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_STORAGE_SQLITE_SALES_STORE_H_
