#ifndef HANDOFF_MARKETING_STORAGE_SQL_MARKETING_STORE_H_
#define HANDOFF_MARKETING_STORAGE_SQL_MARKETING_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "common/database.h"
#include "common/sql/sql.h"
#include "common/sql/store_base.h"
#include "marketing-service/domain/ports.h"

namespace handoff::marketing {

// MarketingStore on a relational database: one SQLite file (WAL, synchronous=FULL, one writer
// with group commit) or PostgreSQL (a pool of connections, SERIALIZABLE write transactions
// retried on conflict). The queries are written once, in the SQL both understand; each
// backend has its own migrations (marketing-service/storage/migrations/<backend>/).
class SqlMarketingStore final : public sql::StoreBase<MarketingStore> {
 public:
  using StoreBase::StoreBase;
  // Opens and migrates the database a --database value names (sqlite:PATH or postgres://...).
  static absl::StatusOr<std::unique_ptr<SqlMarketingStore>> Open(const std::string& url,
                                                            const DatabaseOptions& options = DatabaseOptions());
  // Opens and migrates an SQLite file (tests and tools).
  static absl::StatusOr<std::unique_ptr<SqlMarketingStore>> OpenSqlite(const std::string& path,
                                                                  const DatabaseOptions& options = DatabaseOptions());

  // Every schema version of each backend, oldest first (embedded from the .sql files).
  static std::vector<sql::Migration> SqliteMigrations();
  static std::vector<sql::Migration> PostgresMigrations();

  absl::Status Run(absl::FunctionRef<absl::Status(MarketingTx&)> work) override;
  absl::Status Read(absl::FunctionRef<absl::Status(MarketingTx&)> work) override;

  // PostgreSQL: moves the funnel's counter changes that transactions appended (migration 11)
  // into the per-stage and per-step rows, in one transaction, so reading the funnel stays a
  // read of a few rows; returns how many changes it moved. The counts read are the same
  // before and after. Call every second or so; SQLite (no changes kept) returns 0.
  absl::StatusOr<int64_t> FoldFunnelChanges();
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_STORAGE_SQL_MARKETING_STORE_H_
