#include "marketing-service/storage/sql_marketing_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "marketing-service/storage/sql_marketing_tx.h"

namespace handoff::marketing {

namespace migrations {
// Generated from storage/migrations/<backend>/*.sql (common/sql/embed_migrations.cmake).
std::vector<sql::Migration> Sqlite();
std::vector<sql::Migration> Postgres();
}  // namespace migrations

std::vector<sql::Migration> SqlMarketingStore::SqliteMigrations() { return migrations::Sqlite(); }
std::vector<sql::Migration> SqlMarketingStore::PostgresMigrations() { return migrations::Postgres(); }

absl::StatusOr<std::unique_ptr<SqlMarketingStore>> SqlMarketingStore::Open(const std::string& url,
                                                             const DatabaseOptions& options) {
  absl::StatusOr<std::unique_ptr<sql::Database>> db =
      OpenDatabase(url, SqliteMigrations(), PostgresMigrations(), options);
  if (!db.ok()) return db.status();
  return std::make_unique<SqlMarketingStore>(*std::move(db));
}

absl::StatusOr<std::unique_ptr<SqlMarketingStore>> SqlMarketingStore::OpenSqlite(const std::string& path,
                                                                   const DatabaseOptions& options) {
  return Open(absl::StrCat("sqlite:", path), options);
}

absl::Status SqlMarketingStore::Run(absl::FunctionRef<absl::Status(MarketingTx&)> work) {
  return sql::RunTransaction<SqlMarketingTx>(*db_, work);
}

absl::Status SqlMarketingStore::Read(absl::FunctionRef<absl::Status(MarketingTx&)> work) {
  return sql::RunRead<SqlMarketingTx>(*db_, work);
}

}  // namespace handoff::marketing
